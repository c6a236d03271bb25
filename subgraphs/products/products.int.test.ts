/**
 * The products subgraph against a real connection proxy (PGlite, or PostgreSQL with TEST_DATABASE_URL):
 * the seeded catalog, pagination, mutations with their scopes, entity batching and the internal API.
 */
import { testSecret } from '../../tests/support/testDatabase.js';
import { startTestDbProxy, type TestDbProxy } from '../../tests/support/testDbProxy.js';
import type { Identity } from '../../lib/identity.js';
import { createDbClient, migrate, type RunningSubgraph } from '../kit/index.js';
import { signedIdentityHeaders } from '../kit/testing.js';
import { loadProductsConfig } from './config.js';
import { productsMigrations } from './migrations.js';
import { generateCatalog, generateCatalogWeights, SEED_PRODUCT_COUNT } from './seedCatalog.js';
import { startProducts } from './service.js';

const token = testSecret();
const identitySecret = testSecret();
let proxy: TestDbProxy;
let products: RunningSubgraph;

const catalog = generateCatalog();
const WRITER: Partial<Identity> = { subject: 'editor', scopes: ['products:write'] };

beforeAll(async () => {
  proxy = await startTestDbProxy(['products', 'products_copy', 'products_upgrade']);
  products = await startProducts(productsConfig(proxy.credentials.products));
}, 120_000);

afterAll(async () => {
  await products?.close();
  await proxy?.close();
});

function productsConfig(credential: string) {
  return loadProductsConfig({
    PRODUCTS_PORT: '0',
    PRODUCTS_HOST: '127.0.0.1',
    PRODUCTS_DB_CREDENTIAL: credential,
    DB_PROXY_URL: proxy.url,
    INTERNAL_SERVICE_TOKEN: token,
    IDENTITY_SIGNING_SECRET: identitySecret,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    NODE_ENV: 'test',
  });
}

async function graphql<T = any>(
  query: string,
  variables: Record<string, unknown> = {},
  identity: Partial<Identity> = {},
  url = products.graphqlUrl,
): Promise<{ data?: T; errors?: { message: string; extensions?: any }[] }> {
  // Signed as the gateway signs it: the subgraph answers nothing else.
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signedIdentityHeaders(identity, identitySecret) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as any;
}

async function internal(method: 'GET' | 'POST', path: string, body?: unknown, auth: string | null = token) {
  const response = await fetch(`${products.url}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(auth === null ? {} : { authorization: `Bearer ${auth}` }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

const PAGE = `query Page($first: Int, $after: String, $category: String) {
  products(first: $first, after: $after, category: $category) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id } }
    nodes { id sku name description category price { amountCents currency formatted } stock createdAt updatedAt }
  }
}`;

const CREATE = `mutation Create($input: CreateProductInput!) {
  createProduct(input: $input) { id sku name description category price { amountCents currency formatted } stock createdAt updatedAt }
}`;

const UPDATE = `mutation Update($id: ID!, $input: UpdateProductInput!) {
  updateProduct(id: $id, input: $input) { id sku name category price { amountCents currency } stock updatedAt }
}`;

let skuCounter = 0;
function newProductInput(overrides: Record<string, unknown> = {}) {
  skuCounter++;
  return {
    sku: `TEST-${process.pid}-${skuCounter}`,
    name: `Test Lantern ${skuCounter}`,
    description: 'A sturdy lantern for tests.',
    category: 'Testing',
    priceCents: 1299,
    stock: 10,
    ...overrides,
  };
}

async function createProduct(overrides: Record<string, unknown> = {}) {
  const result = await graphql(CREATE, { input: newProductInput(overrides) }, WRITER);
  expect(result.errors).toBeUndefined();
  return result.data.createProduct as { id: string; sku: string; stock: number; updatedAt: string };
}

describe('seeded catalog', () => {
  it('has the whole demo catalog, exactly as generated', async () => {
    const { data } = await graphql(PAGE, { first: 5 });
    expect(data.products.totalCount).toBe(SEED_PRODUCT_COUNT);
    expect(SEED_PRODUCT_COUNT).toBeGreaterThanOrEqual(1_000);
    expect(data.products.nodes.map((p: any) => [p.id, p.sku, p.name, p.price.amountCents, p.stock, p.createdAt])).toEqual(
      catalog.slice(0, 5).map((p) => [p.id, p.sku, p.name, p.priceCents, p.stock, p.createdAt]),
    );
    expect(data.products.nodes[0].price.formatted).toMatch(/^\$\d/);
  });

  it('is the same in a second fresh database', async () => {
    const copy = await startProducts(productsConfig(proxy.credentials.products_copy));
    try {
      const [a, b] = await Promise.all([
        graphql(PAGE, { first: 20 }),
        graphql(PAGE, { first: 20 }, {}, copy.graphqlUrl),
      ]);
      expect(b.data.products.totalCount).toBe(SEED_PRODUCT_COUNT);
      expect(b.data.products.nodes).toEqual(a.data.products.nodes);
    } finally {
      await copy.close();
    }
  });
});

describe('product weights migration', () => {
  it('gives seeded products their generated weight and older products 500 g, leaving updatedAt alone', async () => {
    const db = createDbClient({ proxyUrl: proxy.url, credential: proxy.credentials.products_upgrade });
    try {
      await migrate(db, productsMigrations.filter((m) => m.version <= 3));
      await db.query(
        `INSERT INTO products (id, sku, name, description, category, price_cents, currency, stock)
         VALUES ('prod_created_earlier', 'EARLY-1', 'Early product', '', 'Office', 100, 'USD', 1)`,
      );
      expect(await migrate(db, productsMigrations)).toEqual([4]);

      const { rows } = await db.read<{ id: string; weight_grams: number; updated_at: string }>(
        'SELECT id, weight_grams, updated_at FROM products ORDER BY id',
      );
      const weights = generateCatalogWeights(catalog);
      expect(rows).toHaveLength(SEED_PRODUCT_COUNT + 1);
      expect(rows.find((r) => r.id === 'prod_created_earlier')?.weight_grams).toBe(500);
      const seeded = rows.filter((r) => weights.has(r.id));
      expect(seeded.map((r) => [r.id, Number(r.weight_grams)])).toEqual([...weights.entries()].sort(([a], [b]) => a.localeCompare(b)));
      expect(new Date(seeded[0].updated_at).toISOString()).toBe(catalog[0].createdAt);
    } finally {
      await db.close();
    }
  });
});

describe('products query', () => {
  it('walks every page once, in id order, with a stable totalCount', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 20; pages++) {
      const { data, errors }: { data?: any; errors?: unknown[] } = await graphql(PAGE, { first: 100, after });
      expect(errors).toBeUndefined();
      expect(data.products.totalCount).toBe(SEED_PRODUCT_COUNT);
      seen.push(...data.products.nodes.map((n: any) => n.id));
      expect(data.products.edges.map((e: any) => e.node.id)).toEqual(data.products.nodes.map((n: any) => n.id));
      if (!data.products.pageInfo.hasNextPage) break;
      after = data.products.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(SEED_PRODUCT_COUNT);
    expect(new Set(seen).size).toBe(SEED_PRODUCT_COUNT);
    expect(seen).toEqual([...seen].sort());
  });

  it('filters by category, with the count of that category', async () => {
    const expected = catalog.filter((p) => p.category === 'Outdoors');
    const first = await graphql(PAGE, { first: 50, category: 'Outdoors' });
    expect(first.data.products.totalCount).toBe(expected.length);
    expect(first.data.products.nodes.every((p: any) => p.category === 'Outdoors')).toBe(true);
    expect(first.data.products.nodes.map((p: any) => p.id)).toEqual(expected.slice(0, 50).map((p) => p.id));
    const second = await graphql(PAGE, { first: 50, category: 'Outdoors', after: first.data.products.pageInfo.endCursor });
    expect(second.data.products.nodes.map((p: any) => p.id)).toEqual(expected.slice(50, 100).map((p) => p.id));

    const none = await graphql(PAGE, { first: 5, category: 'No Such Category' });
    expect(none.data.products).toMatchObject({ totalCount: 0, nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('refuses a page size out of range and a cursor it did not make', async () => {
    for (const first of [0, 101, -1]) {
      const { errors } = await graphql(PAGE, { first });
      expect(errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(errors?.[0].message).toMatch(/first/);
    }
    const { errors } = await graphql(PAGE, { first: 5, after: 'not-a-cursor' });
    expect(errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(errors?.[0].message).toMatch(/after/);
  });
});

describe('product query', () => {
  const ONE = `query One($id: ID, $sku: String) { product(id: $id, sku: $sku) { id sku name } }`;

  it('finds a product by id and by sku, and answers null for an unknown one', async () => {
    const seed = catalog[41];
    expect((await graphql(ONE, { id: seed.id })).data.product).toEqual({ id: seed.id, sku: seed.sku, name: seed.name });
    expect((await graphql(ONE, { sku: seed.sku })).data.product).toEqual({ id: seed.id, sku: seed.sku, name: seed.name });
    expect((await graphql(ONE, { id: 'prod_none' })).data.product).toBeNull();
  });

  it('needs exactly one of id and sku', async () => {
    for (const variables of [{}, { id: catalog[0].id, sku: catalog[0].sku }]) {
      const { errors } = await graphql(ONE, variables);
      expect(errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(errors?.[0].message).toMatch(/exactly one of.*id.*sku/);
    }
  });
});

describe('mutations', () => {
  it('createProduct needs a signed-in caller with products:write', async () => {
    const anonymous = await graphql(CREATE, { input: newProductInput() });
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const reader = await graphql(CREATE, { input: newProductInput() }, { subject: 'reader' });
    expect(reader.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(reader.errors?.[0].message).toMatch(/products:write/);
  });

  it('creates a product with a default currency and finds it again', async () => {
    const input = newProductInput({ priceCents: 4550 });
    const { data, errors } = await graphql(CREATE, { input }, WRITER);
    expect(errors).toBeUndefined();
    expect(data.createProduct).toMatchObject({
      sku: input.sku,
      name: input.name,
      category: 'Testing',
      stock: 10,
      price: { amountCents: 4550, currency: 'USD', formatted: '$45.50' },
    });
    expect(data.createProduct.id).toMatch(/^prod_[0-9a-f]{16}$/);
    const again = await graphql(`query { product(sku: "${input.sku}") { id } }`);
    expect(again.data.product.id).toBe(data.createProduct.id);
  });

  it('refuses a duplicate sku with CONFLICT naming it, and changes nothing', async () => {
    const existing = catalog[7].sku;
    const { data, errors } = await graphql(CREATE, { input: newProductInput({ sku: existing }) }, WRITER);
    expect(data).toBeNull();
    expect(errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(errors?.[0].message).toContain(existing);
    expect(errors?.[0].extensions?.details).toEqual({ sku: existing });
    const count = await graphql(PAGE, { first: 1, category: catalog[7].category });
    expect(count.data.products.totalCount).toBe(catalog.filter((p) => p.category === catalog[7].category).length);
  });

  it('refuses bad input with BAD_USER_INPUT naming the field', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ priceCents: -1 }, /priceCents/],
      [{ stock: -5 }, /stock/],
      [{ currency: 'XYZ' }, /currency/],
      [{ name: '   ' }, /name/],
      [{ sku: 'has spaces' }, /sku/],
      [{ category: 'x'.repeat(65) }, /category/],
    ];
    for (const [overrides, field] of cases) {
      const { errors } = await graphql(CREATE, { input: newProductInput(overrides) }, WRITER);
      expect(errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(errors?.[0].message).toMatch(field);
    }
  });

  it('updateProduct changes the given fields and bumps updatedAt', async () => {
    const created = await createProduct();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const { data, errors } = await graphql(
      UPDATE,
      { id: created.id, input: { name: 'Renamed Lantern', priceCents: 999, currency: 'EUR', stock: null } },
      WRITER,
    );
    expect(errors).toBeUndefined();
    expect(data.updateProduct).toMatchObject({
      id: created.id,
      sku: created.sku,
      name: 'Renamed Lantern',
      category: 'Testing',
      price: { amountCents: 999, currency: 'EUR' },
      stock: 10,
    });
    expect(Date.parse(data.updateProduct.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
  });

  it('updateProduct: scope, unknown id, empty input and bad values', async () => {
    const created = await createProduct();
    const forbidden = await graphql(UPDATE, { id: created.id, input: { stock: 1 } }, { subject: 'reader' });
    expect(forbidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const anonymous = await graphql(UPDATE, { id: created.id, input: { stock: 1 } });
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const missing = await graphql(UPDATE, { id: 'prod_missing', input: { stock: 1 } }, WRITER);
    expect(missing.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const empty = await graphql(UPDATE, { id: created.id, input: {} }, WRITER);
    expect(empty.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const negative = await graphql(UPDATE, { id: created.id, input: { stock: -1 } }, WRITER);
    expect(negative.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const after = await graphql(`query { product(id: "${created.id}") { stock } }`);
    expect(after.data.product.stock).toBe(10);
  });
});

describe('entity resolution', () => {
  const ENTITIES = `query Entities($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Product { id sku name price { amountCents } } }
  }`;

  it('resolves 50 references by id with one proxy request', async () => {
    const picked = catalog.filter((_, i) => i % 23 === 0).slice(0, 50);
    expect(picked).toHaveLength(50);
    const before = proxy.stats().byService.products.requests;
    const { data, errors } = await graphql(ENTITIES, {
      representations: picked.map((p) => ({ __typename: 'Product', id: p.id })),
    });
    const after = proxy.stats().byService.products.requests;
    expect(errors).toBeUndefined();
    expect(after - before).toBe(1);
    expect(data._entities.map((e: any) => e.id)).toEqual(picked.map((p) => p.id));
    expect(data._entities[3]).toEqual({
      id: picked[3].id,
      sku: picked[3].sku,
      name: picked[3].name,
      price: { amountCents: picked[3].priceCents },
    });
  });

  it('resolves references by sku in one request, unknown ones as null', async () => {
    const picked = catalog.slice(100, 130);
    const before = proxy.stats().byService.products.requests;
    const { data } = await graphql(ENTITIES, {
      representations: [
        ...picked.map((p) => ({ __typename: 'Product', sku: p.sku })),
        { __typename: 'Product', sku: 'NOPE-0000' },
      ],
    });
    expect(proxy.stats().byService.products.requests - before).toBe(1);
    expect(data._entities.slice(0, 30).map((e: any) => e.sku)).toEqual(picked.map((p) => p.sku));
    expect(data._entities[30]).toBeNull();
  });
});

describe('internal API', () => {
  it('refuses a missing or wrong service token with 401', async () => {
    const calls: [('GET' | 'POST'), string, unknown][] = [
      ['POST', '/internal/stock/reserve', { reservationId: 'r', items: [{ productId: 'prod_0001', quantity: 1 }] }],
      ['POST', '/internal/stock/release', { reservationId: 'r' }],
      ['GET', '/internal/products/changes', undefined],
    ];
    for (const [method, path, body] of calls) {
      for (const auth of [null, 'wrong-token-of-some-length']) {
        const { status, body: answer } = await internal(method, path, body, auth);
        expect(status).toBe(401);
        expect(answer.error.code).toBe('UNAUTHENTICATED');
      }
    }
  });

  const stockOf = async (id: string) => (await graphql(`query { product(id: "${id}") { stock } }`)).data.product.stock;

  it('reserves stock at the current price, idempotently by reservation id', async () => {
    const a = await createProduct({ stock: 10, priceCents: 250 });
    const b = await createProduct({ stock: 3, priceCents: 1000, currency: 'EUR' });
    const request = {
      reservationId: `res-${a.id}`,
      items: [
        { productId: b.id, quantity: 2 },
        { productId: a.id, quantity: 1 },
        { productId: a.id, quantity: 3 }, // duplicates are summed
      ],
    };
    const first = await internal('POST', '/internal/stock/reserve', request);
    expect(first.status).toBe(200);
    const expectedItems = [
      { productId: a.id, quantity: 4, unitPrice: { amountCents: 250, currency: 'USD' } },
      { productId: b.id, quantity: 2, unitPrice: { amountCents: 1000, currency: 'EUR' } },
    ].sort((x, y) => (x.productId < y.productId ? -1 : 1));
    expect(first.body).toEqual({ reservationId: request.reservationId, status: 'reserved', items: expectedItems });
    expect(await stockOf(a.id)).toBe(6);
    expect(await stockOf(b.id)).toBe(1);

    // A later price change does not alter what the repeat answers, and the repeat takes no more stock.
    await graphql(UPDATE, { id: a.id, input: { priceCents: 999 } }, WRITER);
    const repeat = await internal('POST', '/internal/stock/reserve', request);
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual(first.body);
    expect(await stockOf(a.id)).toBe(6);
  });

  it('takes nothing when one item lacks stock (409) or does not exist (404)', async () => {
    const plenty = await createProduct({ stock: 50 });
    const scarce = await createProduct({ stock: 2 });
    const short = await internal('POST', '/internal/stock/reserve', {
      reservationId: `res-short-${plenty.id}`,
      items: [
        { productId: plenty.id, quantity: 5 },
        { productId: scarce.id, quantity: 3 },
      ],
    });
    expect(short.status).toBe(409);
    expect(short.body.error.code).toBe('CONFLICT');
    expect(short.body.error.details).toMatchObject({ reason: 'INSUFFICIENT_STOCK', productId: scarce.id });
    expect(await stockOf(plenty.id)).toBe(50);
    expect(await stockOf(scarce.id)).toBe(2);

    const unknown = await internal('POST', '/internal/stock/reserve', {
      reservationId: `res-unknown-${plenty.id}`,
      items: [
        { productId: plenty.id, quantity: 1 },
        { productId: 'prod_missing', quantity: 1 },
      ],
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'NOT_FOUND', details: { productId: 'prod_missing' } });
    expect(await stockOf(plenty.id)).toBe(50);

    // The failed reservation id was not used up: it works once there is stock.
    const retry = await internal('POST', '/internal/stock/reserve', {
      reservationId: `res-short-${plenty.id}`,
      items: [{ productId: scarce.id, quantity: 2 }],
    });
    expect(retry.status).toBe(200);
    expect(await stockOf(scarce.id)).toBe(0);
  });

  it('refuses malformed reservation requests with 400 naming the field', async () => {
    const bad: [unknown, RegExp][] = [
      [{}, /reservationId/],
      [{ reservationId: 'x', items: [] }, /items/],
      [{ reservationId: 'x', items: [{ productId: 'prod_0001', quantity: 0 }] }, /quantity/],
      [{ reservationId: 'x', items: [{ productId: 'prod_0001', quantity: 1.5 }] }, /quantity/],
      [{ reservationId: 'x'.repeat(129), items: [{ productId: 'prod_0001', quantity: 1 }] }, /reservationId/],
    ];
    for (const [body, field] of bad) {
      const { status, body: answer } = await internal('POST', '/internal/stock/reserve', body);
      expect(status).toBe(400);
      expect(answer.error.message).toMatch(field);
    }
  });

  it('never oversells under concurrent reservations', async () => {
    const product = await createProduct({ stock: 5 });
    const attempts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        internal('POST', '/internal/stock/reserve', {
          reservationId: `res-race-${product.id}-${i}`,
          items: [{ productId: product.id, quantity: 1 }],
        }),
      ),
    );
    const statuses = attempts.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 409)).toHaveLength(15);
    expect(await stockOf(product.id)).toBe(0);
  });

  it('releases a reservation once', async () => {
    const product = await createProduct({ stock: 8 });
    const reservationId = `res-release-${product.id}`;
    const reserved = await internal('POST', '/internal/stock/reserve', {
      reservationId,
      items: [{ productId: product.id, quantity: 5 }],
    });
    expect(reserved.status).toBe(200);
    expect(await stockOf(product.id)).toBe(3);

    const first = await internal('POST', '/internal/stock/release', { reservationId });
    expect(first).toEqual({ status: 200, body: { released: true } });
    expect(await stockOf(product.id)).toBe(8);
    const second = await internal('POST', '/internal/stock/release', { reservationId });
    expect(second).toEqual({ status: 200, body: { released: false } });
    expect(await stockOf(product.id)).toBe(8);
    const unknown = await internal('POST', '/internal/stock/release', { reservationId: 'res-never-made' });
    expect(unknown).toEqual({ status: 200, body: { released: false } });
    const malformed = await internal('POST', '/internal/stock/release', { reservationId: '' });
    expect(malformed.status).toBe(400);
  });

  it('pages through the change feed in (updatedAt, id) order and shows updates after the cursor', async () => {
    const all: any[] = [];
    let query = 'limit=500';
    for (let pages = 0; pages < 10; pages++) {
      const { status, body } = await internal('GET', `/internal/products/changes?${query}`);
      expect(status).toBe(200);
      all.push(...body.products);
      if (!body.next) {
        expect(body.products.length).toBeLessThan(500);
        break;
      }
      expect(body.products).toHaveLength(500);
      query = `limit=500&since=${encodeURIComponent(body.next.since)}&afterId=${encodeURIComponent(body.next.afterId)}`;
    }
    const total = (await graphql(PAGE, { first: 1 })).data.products.totalCount;
    expect(all).toHaveLength(total);
    expect(new Set(all.map((p) => p.id)).size).toBe(total);
    const keys = all.map((p) => [p.updatedAt, p.id] as const);
    expect(keys).toEqual([...keys].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : 1)));
    expect(all[0]).toEqual({
      id: catalog[0].id,
      sku: catalog[0].sku,
      name: catalog[0].name,
      description: catalog[0].description,
      category: catalog[0].category,
      priceCents: catalog[0].priceCents,
      currency: 'USD',
      stock: catalog[0].stock,
      updatedAt: expect.stringMatching(/^2025-01-01T00:37:00\.0+Z$/),
    });

    const last = all[all.length - 1];
    const changed = catalog[10];
    await graphql(UPDATE, { id: changed.id, input: { name: 'Freshly Changed Name' } }, WRITER);
    const since = `since=${encodeURIComponent(last.updatedAt)}&afterId=${encodeURIComponent(last.id)}`;
    const { body } = await internal('GET', `/internal/products/changes?limit=10&${since}`);
    expect(body.products.map((p: any) => [p.id, p.name])).toEqual([[changed.id, 'Freshly Changed Name']]);
    expect(body.next).toBeNull();
  });

  it('refuses bad change-feed parameters with 400', async () => {
    for (const query of ['limit=0', 'limit=1001', 'limit=abc', 'since=yesterday', 'unknown=1']) {
      const { status, body } = await internal('GET', `/internal/products/changes?${query}`);
      expect(status).toBe(400);
      expect(body.error.code).toBe('BAD_USER_INPUT');
    }
  });
});
