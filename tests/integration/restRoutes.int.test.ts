/**
 * REST routes through the real platform: the gateway's /api/... paths reach the owning services over
 * real HTTP, with the front door (request id, authentication), the registry's error shape, the
 * OpenAPI document, the /docs pages, header rules on REST answers, and 502 when a service is down.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { as, startTestPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
let base: string;
let rulesDir: string;

beforeAll(async () => {
  rulesDir = mkdtempSync(path.join(os.tmpdir(), 'header-rules-'));
  const rulesFile = path.join(rulesDir, 'rules.yaml');
  writeFileSync(
    rulesFile,
    [
      'all:',
      '  response:',
      '    insert: { x-content-type-options: nosniff }',
      'routes:',
      '  /api/products:',
      '    response:',
      '      rename: { content-type: x-original-content-type }',
      '      insert: { x-served-by: products-rest }',
      '      remove: [cache-control]',
    ].join('\n'),
  );
  platform = await startTestPlatform({ HEADER_RULES_FILE: rulesFile });
  base = platform.gateway.url;
});

afterAll(async () => {
  await platform?.close();
  rmSync(rulesDir, { recursive: true, force: true });
});

async function call(method: string, url: string, options: { headers?: Record<string, string>; body?: unknown } = {}) {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body };
}

describe('GET /api/products', () => {
  test('pages through the catalog with a cursor, through the front door', async () => {
    const first = await call('GET', '/api/products?first=2', { headers: { 'x-request-id': 'rest-test-1' } });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-request-id')).toBe('rest-test-1');
    expect(first.body.items).toHaveLength(2);
    expect(first.body.items[0]).toEqual(
      expect.objectContaining({ id: expect.any(String), price: expect.objectContaining({ amountCents: expect.any(Number) }) }),
    );
    expect(first.body.totalCount).toBeGreaterThan(2);
    expect(first.body.pageInfo.hasNextPage).toBe(true);
    const next = await call('GET', `/api/products?first=2&after=${encodeURIComponent(first.body.pageInfo.endCursor)}`);
    expect(next.status).toBe(200);
    expect(next.body.items[0].id > first.body.items[1].id).toBe(true);
  });

  test('filters by category, as the GraphQL field does', async () => {
    const graph = await platform.graphql('{ products(first: 1) { nodes { category } } }');
    const category = graph.body.data.products.nodes[0].category;
    const rest = await call('GET', `/api/products?category=${encodeURIComponent(category)}&first=5`);
    const viaGraph = await platform.graphql('query($c: String) { products(category: $c, first: 5) { totalCount nodes { id } } }', {
      c: category,
    });
    expect(rest.body.totalCount).toBe(viaGraph.body.data.products.totalCount);
    expect(rest.body.items.map((p: { id: string }) => p.id)).toEqual(viaGraph.body.data.products.nodes.map((p: { id: string }) => p.id));
  });

  test('bad query parameters get 400 naming each problem', async () => {
    const res = await call('GET', '/api/products?first=0&colour=red');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BAD_USER_INPUT');
    expect(res.body.error.message).toMatch(/first/);
    expect(res.body.error.message).toMatch(/colour/);
    const cursor = await call('GET', '/api/products?after=not-a-cursor');
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.code).toBe('BAD_USER_INPUT');
  });

  test('header rules shape the answer: rename, insert, remove, and `all` applies too', async () => {
    const res = await call('GET', '/api/products?first=1');
    expect(res.headers.get('x-served-by')).toBe('products-rest');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-original-content-type')).toMatch(/application\/json/);
    expect(res.headers.get('cache-control')).toBeNull();
  });
});

describe('GET /api/products/:id', () => {
  test('answers one product, and 404 in the registry shape for an unknown id', async () => {
    const list = await call('GET', '/api/products?first=1');
    const id = list.body.items[0].id;
    const one = await call('GET', `/api/products/${encodeURIComponent(id)}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(list.body.items[0]);
    const missing = await call('GET', '/api/products/prod_does_not_exist');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 'NOT_FOUND', message: 'No product with id "prod_does_not_exist"', details: { id: 'prod_does_not_exist' } } });
  });
});

describe('GET /api/search', () => {
  test('finds products like the GraphQL field', async () => {
    const graph = await platform.graphql('{ products(first: 1) { nodes { name } } }');
    const word = String(graph.body.data.products.nodes[0].name).split(/\s+/)[0];
    const res = await call('GET', `/api/search?q=${encodeURIComponent(word)}&first=3`);
    expect(res.status).toBe(200);
    expect(res.body.totalCount).toBeGreaterThan(0);
    expect(res.body.hits[0]).toEqual({ score: expect.any(Number), highlight: expect.stringContaining('<mark>'), productId: expect.any(String) });
  });

  test('a missing or empty q gets 400', async () => {
    const missing = await call('GET', '/api/search');
    expect(missing.status).toBe(400);
    expect(missing.body.error).toEqual(expect.objectContaining({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/q/) }));
    const tooMany = await call('GET', '/api/search?q=lamp&first=500');
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toMatch(/first/);
  });
});

describe('orders', () => {
  let productId: string;
  beforeAll(async () => {
    const list = await call('GET', '/api/products?first=5');
    productId = list.body.items.find((p: { stock: number }) => p.stock > 10).id;
  });

  test('POST /api/orders without a credential gets 401 UNAUTHENTICATED', async () => {
    const res = await call('POST', '/api/orders', { body: { items: [{ productId, quantity: 1 }], idempotencyKey: 'anon-1' } });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  test('a bad token is refused by the front door before the service', async () => {
    const res = await call('POST', '/api/orders', {
      headers: { authorization: 'Bearer not-a-token' },
      body: { items: [{ productId, quantity: 1 }], idempotencyKey: 'bad-token' },
    });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  test('places an order (201), a retry with the same key returns the same order, and its owner can read it', async () => {
    const body = { items: [{ productId, quantity: 2 }] };
    const headers = { ...as('rest-alice', 'orders:write'), 'idempotency-key': 'rest-order-1' };
    const placed = await call('POST', '/api/orders', { headers, body });
    expect(placed.status).toBe(201);
    expect(placed.body).toEqual(
      expect.objectContaining({
        id: expect.any(String),
        customerId: 'rest-alice',
        items: [expect.objectContaining({ productId, quantity: 2 })],
        total: expect.objectContaining({ amountCents: expect.any(Number), currency: expect.any(String) }),
      }),
    );
    expect(placed.headers.get('location')).toBe(`/api/orders/${placed.body.id}`);

    const retry = await call('POST', '/api/orders', { headers, body });
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(placed.body.id);

    const read = await call('GET', `/api/orders/${placed.body.id}`, { headers: as('rest-alice') });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(placed.body);

    // The same order through GraphQL: one saga, one record.
    const graph = await platform.graphql(`{ order(id: "${placed.body.id}") { id total { amountCents } } }`, undefined, as('rest-alice'));
    expect(graph.body.data.order).toEqual({ id: placed.body.id, total: { amountCents: placed.body.total.amountCents } });

    const other = await call('GET', `/api/orders/${placed.body.id}`, { headers: as('rest-mallory') });
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('NOT_FOUND');
    const anonymous = await call('GET', `/api/orders/${placed.body.id}`);
    expect(anonymous.status).toBe(401);
  });

  test('bad order bodies get 400 naming the problem', async () => {
    const headers = as('rest-bob', 'orders:write');
    const noKey = await call('POST', '/api/orders', { headers, body: { items: [{ productId, quantity: 1 }] } });
    expect(noKey.status).toBe(400);
    expect(noKey.body.error.message).toMatch(/idempotencyKey/);
    const zero = await call('POST', '/api/orders', { headers, body: { items: [{ productId, quantity: 0 }], idempotencyKey: 'k0' } });
    expect(zero.status).toBe(400);
    expect(zero.body.error.message).toMatch(/quantity/);
    const unknown = await call('POST', '/api/orders', {
      headers,
      body: { items: [{ productId: 'prod_nope', quantity: 1 }], idempotencyKey: 'k-unknown' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toEqual(expect.objectContaining({ code: 'BAD_USER_INPUT', details: expect.objectContaining({ productId: 'prod_nope' }) }));
    const differ = await call('POST', '/api/orders', {
      headers: { ...headers, 'idempotency-key': 'a' },
      body: { items: [{ productId, quantity: 1 }], idempotencyKey: 'b' },
    });
    expect(differ.status).toBe(400);
  });

  test('calling the orders service directly, without the gateway, gets no data', async () => {
    const res = await fetch(`${platform.orders.url}/api/orders/anything`, { headers: { 'x-user-id': 'rest-alice' } });
    expect(res.status).toBe(401);
  });
});

describe('OpenAPI and docs', () => {
  test('GET /api/openapi.json is an OpenAPI 3.1 document with every route', async () => {
    const res = await call('GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths).sort()).toEqual(['/api/orders', '/api/orders/{id}', '/api/products', '/api/products/{id}', '/api/search']);
    expect(Object.keys(res.body.components.schemas)).toEqual(expect.arrayContaining(['Product', 'Money', 'Order', 'SearchResults', 'Error']));
  });

  test('the /docs pages render from the served supergraph', async () => {
    for (const page of ['/docs', '/docs/getting-started', '/docs/schema', '/docs/rest']) {
      const res = await fetch(`${base}${page}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    }
    const schema = await (await fetch(`${base}/docs/schema`)).text();
    expect(schema).toContain('id="type-Product"');
    expect(schema).toContain('placeOrder');
    expect(schema).not.toContain('join__');
    const rest = await (await fetch(`${base}/docs/rest`)).text();
    expect(rest).toContain('/api/orders/{id}');
    expect((await fetch(`${base}/docs/nope`)).status).toBe(404);
  });
});

describe('a service that is down', () => {
  test('gets 502 DOWNSTREAM_SERVICE_ERROR in the registry shape', async () => {
    await platform.search.close();
    const res = await call('GET', '/api/search?q=lamp');
    expect(res.status).toBe(502);
    expect(res.body.error).toEqual(
      expect.objectContaining({ code: 'DOWNSTREAM_SERVICE_ERROR', message: 'Service "search" is unreachable' }),
    );
  });
});
