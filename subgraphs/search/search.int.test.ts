/**
 * The search subgraph against a real connection proxy and a real products service: finding seeded
 * products, ranking, highlights, freshness after a product change, restarts and rebuilds.
 */
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { testSecret } from '../../tests/support/testDatabase.js';
import { startTestDbProxy, type TestDbProxy } from '../../tests/support/testDbProxy.js';
import { createDbClient, type DbClient, type RunningSubgraph } from '../kit/index.js';
import { loadProductsConfig } from '../products/config.js';
import { generateCatalog } from '../products/seedCatalog.js';
import { startProducts } from '../products/service.js';
import { loadSearchConfig } from './config.js';
import { startSearch } from './service.js';
import type { Identity } from '../../lib/identity.js';
import { signedIdentityHeaders } from '../kit/testing.js';

const token = testSecret();
const identitySecret = testSecret();
const catalog = generateCatalog();
const WRITER: Partial<Identity> = { subject: 'editor', scopes: ['products:write'] };

let proxy: TestDbProxy;
let products: RunningSubgraph;
let search: RunningSubgraph;
let searchDb: DbClient;

function searchEnv(extra: Record<string, string> = {}) {
  return {
    SEARCH_PORT: '0',
    SEARCH_HOST: '127.0.0.1',
    SEARCH_DB_CREDENTIAL: proxy.credentials.search,
    DB_PROXY_URL: proxy.url,
    PRODUCTS_URL: products.url,
    INTERNAL_SERVICE_TOKEN: token,
    IDENTITY_SIGNING_SECRET: identitySecret,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    NODE_ENV: 'test',
    ...extra,
  };
}

beforeAll(async () => {
  proxy = await startTestDbProxy(['products', 'search']);
  products = await startProducts(
    loadProductsConfig({
      PRODUCTS_PORT: '0',
      PRODUCTS_HOST: '127.0.0.1',
      PRODUCTS_DB_CREDENTIAL: proxy.credentials.products,
      DB_PROXY_URL: proxy.url,
      INTERNAL_SERVICE_TOKEN: token,
    IDENTITY_SIGNING_SECRET: identitySecret,
      LOG_LEVEL: 'silent',
      NODE_ENV: 'test',
    }),
  );
  // The default poll interval (500 ms), so the freshness test checks the shipped setting.
  search = await startSearch(loadSearchConfig(searchEnv()));
  searchDb = createDbClient({ proxyUrl: proxy.url, credential: proxy.credentials.search });
  // The initial sync reads the catalog in (updated_at, id) order, so the last seeded product comes last.
  const last = catalog[catalog.length - 1];
  await eventually(async () => {
    const { data } = await searchFor(`"${last.name}"`, { first: 50 });
    return data?.search.hits.some((h: any) => h.product.id === last.id);
  }, 30_000);
}, 120_000);

afterAll(async () => {
  await search?.close();
  await products?.close();
  await searchDb?.close();
  await proxy?.close();
});

const SEARCH = `query Search($query: String!, $first: Int, $category: String) {
  search(query: $query, first: $first, category: $category) {
    totalCount
    hits { score highlight product { id } }
  }
}`;

async function graphql(url: string, query: string, variables: Record<string, unknown> = {}, identity: Partial<Identity> = {}) {
  // Signed as the gateway signs it: the subgraphs answer nothing else.
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signedIdentityHeaders(identity, identitySecret) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as { data?: any; errors?: any[] }) };
}

function searchFor(query: string, options: { first?: number; category?: string } = {}, url = search.graphqlUrl) {
  return graphql(url, SEARCH, { query, ...options });
}

async function eventually(check: () => Promise<boolean | undefined>, timeoutMs: number, everyMs = 50): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

let counter = 0;
async function createProduct(input: { name: string; description: string; category?: string }) {
  counter++;
  const { data, errors } = await graphql(
    products.graphqlUrl,
    `mutation Create($input: CreateProductInput!) { createProduct(input: $input) { id updatedAt } }`,
    {
      input: {
        sku: `SRCH-${process.pid}-${counter}`,
        category: 'Testing',
        priceCents: 500,
        stock: 5,
        ...input,
      },
    },
    WRITER,
  );
  expect(errors).toBeUndefined();
  return data.createProduct as { id: string; updatedAt: string };
}

const byId = new Map(catalog.map((p) => [p.id, p]));

describe('searching the seeded catalog', () => {
  it('finds products by the words in their names, best matches first', async () => {
    const { data, errors } = await searchFor('hiking backpack', { first: 20 });
    expect(errors).toBeUndefined();
    const named = catalog.filter((p) => p.name.includes('Hiking Backpack'));
    expect(named.length).toBeGreaterThan(5);
    expect(data.search.totalCount).toBeGreaterThanOrEqual(named.length);
    const top = data.search.hits.slice(0, Math.min(named.length, 20));
    for (const hit of top) expect(byId.get(hit.product.id)?.name).toContain('Hiking Backpack');
    const scores = data.search.hits.map((h: any) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('marks the matched words in the highlight', async () => {
    const { data } = await searchFor('backpack', { first: 5 });
    expect(data.search.hits.length).toBeGreaterThan(0);
    for (const hit of data.search.hits) expect(hit.highlight).toMatch(/<mark>backpack\w*<\/mark>/i);
  });

  it('filters by category', async () => {
    const all = await searchFor('organic', { first: 50 });
    const grocery = await searchFor('organic', { first: 50, category: 'Grocery' });
    expect(grocery.data.search.totalCount).toBeGreaterThan(0);
    expect(grocery.data.search.totalCount).toBeLessThan(all.data.search.totalCount);
    for (const hit of grocery.data.search.hits) expect(byId.get(hit.product.id)?.category).toBe('Grocery');
    const none = await searchFor('organic', { category: 'No Such Category' });
    expect(none.data.search).toEqual({ totalCount: 0, hits: [] });
  });

  it('limits hits to `first` but counts them all', async () => {
    const { data } = await searchFor('organic OR wireless', { first: 3 });
    expect(data.search.hits).toHaveLength(3);
    expect(data.search.totalCount).toBeGreaterThan(3);
  });

  it('takes web-search syntax and odd input without failing', async () => {
    for (const query of ['"stainless steel" -knife', 'tent OR hammock', '"unbalanced quote', '!!! ::: &|<>', 'the', '*']) {
      const { status, data, errors } = await searchFor(query);
      expect(errors).toBeUndefined();
      expect(status).toBe(200);
      expect(data.search.totalCount).toBeGreaterThanOrEqual(0);
    }
    const phrase = await searchFor('"stainless steel" -knife', { first: 50 });
    for (const hit of phrase.data.search.hits) expect(byId.get(hit.product.id)?.name).not.toMatch(/Knife/);
  });

  it('refuses empty, overlong and out-of-range requests with BAD_USER_INPUT', async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['', {}, /query/],
      ['   ', {}, /query/],
      ['x'.repeat(201), {}, /query/],
      ['tent', { first: 0 }, /first/],
      ['tent', { first: 51 }, /first/],
    ];
    for (const [query, options, argument] of cases) {
      const { status, errors } = await searchFor(query, options);
      // An argument the resolver refuses is a field error: the answer is 200 with the error, as for any field.
      expect(status).toBe(200);
      expect(errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(errors?.[0].message).toMatch(argument);
    }
  });
});

describe('ranking and highlights of new products', () => {
  it('ranks a match in the name above one in the description, and escapes product text', async () => {
    const inDescription = await createProduct({
      name: 'Plain Enamel Mug',
      description: 'Pairs well with the zorblax kettle. Holds 5 < 6 cups & "more"',
    });
    const inName = await createProduct({ name: 'Zorblax Kettle', description: 'A kettle for boiling water.' });
    await eventually(async () => (await searchFor('zorblax')).data?.search.totalCount === 2, 2_000);

    const { data } = await searchFor('zorblax');
    expect(data.search.hits.map((h: any) => h.product.id)).toEqual([inName.id, inDescription.id]);
    expect(data.search.hits[0].score).toBeGreaterThan(data.search.hits[1].score);
    expect(data.search.hits[0].highlight).toContain('<mark>Zorblax</mark> Kettle');
    const escaped = data.search.hits[1].highlight;
    expect(escaped).toContain('<mark>zorblax</mark>');
    expect(escaped).toContain('5 &lt; 6 cups &amp; &quot;more');
    expect(escaped.replace(/<\/?mark>/g, '')).not.toMatch(/[<>]/);
  });
});

describe('freshness', () => {
  it('finds an updated product within 2 seconds', async () => {
    const target = catalog[321];
    const mutation = await graphql(
      products.graphqlUrl,
      `mutation { updateProduct(id: "${target.id}", input: { name: "Quillfeather Reading Lamp" }) { id } }`,
      {},
      WRITER,
    );
    expect(mutation.errors).toBeUndefined();
    const ms = await eventually(async () => {
      const { data } = await searchFor('quillfeather');
      return data?.search.hits[0]?.product.id === target.id;
    }, 2_000);
    expect(ms).toBeLessThan(2_000);
    // The old name's words no longer find it through the name.
    const { data } = await searchFor(`"${target.name}"`, { first: 50 });
    expect(data.search.hits.map((h: any) => h.product.id)).not.toContain(target.id);
  });

  it('finds a created product within 2 seconds', async () => {
    const created = await createProduct({ name: 'Brambleworth Garden Trowel', description: 'Forged steel.' });
    await eventually(async () => (await searchFor('brambleworth')).data?.search.hits[0]?.product.id === created.id, 2_000);
  });

  it('keeps the sync cursor in its database and resumes from it after a restart', async () => {
    const cursor = await searchDb.read<{ cursor_since: string }>(
      "SELECT cursor_since FROM sync_state WHERE source = 'products'",
    );
    expect(cursor.rows[0].cursor_since).toBeTruthy();

    await search.close();
    const changed = catalog[654];
    await graphql(
      products.graphqlUrl,
      `mutation { updateProduct(id: "${changed.id}", input: { description: "Now with snorkelwise fittings." }) { id } }`,
      {},
      WRITER,
    );
    const restartedAt = (await searchDb.read<{ now: string }>('SELECT now() AS now')).rows[0].now;
    search = await startSearch(loadSearchConfig(searchEnv()));
    await eventually(async () => (await searchFor('snorkelwise')).data?.search.hits[0]?.product.id === changed.id, 2_000);
    // Resuming re-reads only the overlap window, and of that writes only what changed: no reload of the catalog.
    const written = await searchDb.read<{ product_id: string }>(
      'SELECT product_id FROM search_documents WHERE indexed_at >= $1::timestamptz',
      [restartedAt],
    );
    expect(written.rows.map((r) => r.product_id)).toEqual([changed.id]);
  });
});

describe('rebuilding the index', () => {
  async function damageIndex() {
    await searchDb.transaction([
      { sql: "DELETE FROM search_documents WHERE product_id IN ('prod_0100', 'prod_0101', 'prod_0102')" },
      { sql: "UPDATE search_documents SET name = 'garbled', description = '' WHERE product_id = 'prod_0200'" },
      {
        sql: `INSERT INTO search_documents (product_id, sku, name, description, category, updated_at)
              VALUES ('prod_ghost', 'GHOST-1', 'Ghostly Lantern', 'Does not exist', 'Testing', now())`,
      },
    ]);
    expect((await searchFor('ghostly')).data.search.totalCount).toBe(1);
    const missing = catalog[99];
    const found = await searchFor(`"${missing.name}"`, { first: 50 });
    expect(found.data.search.hits.map((h: any) => h.product.id)).not.toContain(missing.id);
  }

  async function expectRestored() {
    expect((await searchFor('ghostly')).data.search.totalCount).toBe(0);
    for (const product of [catalog[99], catalog[199]]) {
      const { data } = await searchFor(`"${product.name}"`, { first: 50 });
      expect(data.search.hits.map((h: any) => h.product.id)).toContain(product.id);
    }
    const count = await searchDb.read<{ n: number }>('SELECT count(*)::int AS n FROM search_documents');
    const total = await graphql(products.graphqlUrl, '{ products(first: 1) { totalCount } }');
    expect(count.rows[0].n).toBe(total.data.products.totalCount);
  }

  it('POST /internal/index/rebuild needs the service token', async () => {
    for (const authorization of [undefined, 'Bearer not-the-right-token-at-all']) {
      const response = await fetch(`${search.url}/internal/index/rebuild`, {
        method: 'POST',
        headers: authorization ? { authorization } : {},
      });
      expect(response.status).toBe(401);
    }
  });

  it('POST /internal/index/rebuild restores a damaged index', async () => {
    await damageIndex();
    const response = await fetch(`${search.url}/internal/index/rebuild`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    const result = await response.json();
    const total = await graphql(products.graphqlUrl, '{ products(first: 1) { totalCount } }');
    expect(result).toMatchObject({ indexed: total.data.products.totalCount, removed: 1 });
    await expectRestored();
  });

  it('npm run search:rebuild restores a damaged index and prints its progress', async () => {
    await damageIndex();
    const { code, output } = await runRebuildCommand({
      PATH: process.env.PATH,
      DB_PROXY_URL: proxy.url,
      SEARCH_DB_CREDENTIAL: proxy.credentials.search,
      PRODUCTS_URL: products.url,
      INTERNAL_SERVICE_TOKEN: token,
    IDENTITY_SIGNING_SECRET: identitySecret,
    });
    expect(output).toMatch(/indexed \d+ products/);
    expect(output).toMatch(/done: \d+ documents indexed, 1 stale documents removed/);
    expect(code).toBe(0);
    await expectRestored();
  }, 60_000);
});

describe('when products is unreachable', () => {
  it('keeps answering from its index and logs the sync failure', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'warn' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const isolated = await startSearch(loadSearchConfig(searchEnv({ PRODUCTS_URL: 'http://127.0.0.1:9' })), { logger });
    try {
      const { data } = await searchFor('backpack', {}, isolated.graphqlUrl);
      expect(data.search.totalCount).toBeGreaterThan(0);
      await eventually(async () => lines.some((l) => l.includes('search index sync failed')), 5_000);
    } finally {
      await isolated.close();
    }
  });
});

function runRebuildCommand(env: Record<string, string | undefined>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'subgraphs/search/rebuild.ts'], {
      cwd: new URL('../../', import.meta.url).pathname,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
