/**
 * The gateway's response cache on the whole platform: the subgraphs' @cacheControl hints reach the
 * gateway as Cache-Control, public answers are served again with Age, private ones only to their
 * owner, answers with errors never, and a mutation through the gateway drops what it changed.
 */
import { as, startTestPlatform, waitForQuietProxy, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
const admin = as('cache-admin', 'products:write', 'orders:admin');

beforeAll(async () => {
  platform = await startTestPlatform({ SEARCH_SYNC_INTERVAL_MS: '600000' });
  await waitForQuietProxy(platform);
}, 120_000);

afterAll(async () => {
  await platform?.close();
});

interface Answer {
  status: number;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  cache: string | null;
  cacheControl: string | null;
  age: string | null;
}

async function post(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${platform.gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    body: (await response.json()) as Answer['body'],
    cache: response.headers.get('x-cache'),
    cacheControl: response.headers.get('cache-control'),
    age: response.headers.get('age'),
  };
}

const PRODUCT = 'query Product($id: ID!) { product(id: $id) { id name price { formatted } } }';

describe('response cache', () => {
  it('serves a public query from the cache the second time, with Cache-Control and Age', async () => {
    const first = await post(PRODUCT, { id: 'prod_0002' });
    expect(first.status).toBe(200);
    expect(first.body.errors).toBeUndefined();
    expect(first.cache).toBe('MISS');
    expect(first.cacheControl).toBe('max-age=30, public');
    expect(first.age).toBeNull();

    platform.dbProxy.resetStats();
    const second = await post(PRODUCT, { id: 'prod_0002' });
    expect(second.cache).toBe('HIT');
    expect(second.body).toEqual(first.body);
    expect(second.cacheControl).toBe('max-age=30, public');
    expect(Number(second.age)).toBeGreaterThanOrEqual(0);
    // Answered by the gateway alone.
    expect(platform.dbProxy.stats().requests).toBe(0);

    // Other variables are another entry.
    expect((await post(PRODUCT, { id: 'prod_0003' })).cache).toBe('MISS');
  });

  it('never caches stock, which orders change without a mutation on the product', async () => {
    const answer = await post('{ product(id: "prod_0004") { id name stock } }');
    expect(answer.body.errors).toBeUndefined();
    expect(answer.cacheControl).toBe('no-store');
    expect((await post('{ product(id: "prod_0004") { id name stock } }')).cache).toBe('MISS');
  });

  it('drops the cached product when updateProduct changes it through the gateway', async () => {
    const before = await post(PRODUCT, { id: 'prod_0005' });
    expect((await post(PRODUCT, { id: 'prod_0005' })).cache).toBe('HIT');

    const updated = await post(
      'mutation ($id: ID!) { updateProduct(id: $id, input: { name: "Renamed by the cache test" }) { id name } }',
      { id: 'prod_0005' },
      admin,
    );
    expect(updated.body.errors).toBeUndefined();
    expect(updated.cache).toBeNull();

    const after = await post(PRODUCT, { id: 'prod_0005' });
    expect(after.cache).toBe('MISS');
    expect(after.body.data.product.name).toBe('Renamed by the cache test');
    expect(after.body.data.product.name).not.toBe(before.body.data.product.name);
    expect((await post(PRODUCT, { id: 'prod_0005' })).cache).toBe('HIT');
  });

  it('never caches an answer with errors', async () => {
    const bad = '{ product(id: "prod_0001", sku: "X") { id } }';
    const first = await post(bad);
    expect(first.body.errors?.length).toBeGreaterThan(0);
    expect(first.cacheControl).toBe('no-store');
    const second = await post(bad);
    expect(second.cache).toBe('MISS');
  });

  it('keeps private answers per caller, never serves them to anyone else, and drops them after the caller mutates', async () => {
    const MY_ORDERS = '{ myOrders { totalCount nodes { id status } } }';
    const alice = as('cache-alice');
    const bob = as('cache-bob');
    const place = (key: string) =>
      post(
        'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
        { input: { items: [{ productId: 'prod_0006', quantity: 1 }], idempotencyKey: key } },
        alice,
      );
    const placed = await place('cache-test-1');
    expect(placed.body.errors).toBeUndefined();

    const first = await post(MY_ORDERS, undefined, alice);
    expect(first.cache).toBe('MISS');
    expect(first.cacheControl).toBe('max-age=10, private');
    expect(first.body.data.myOrders.totalCount).toBe(1);
    expect((await post(MY_ORDERS, undefined, alice)).cache).toBe('HIT');

    // Bob asks the very same query: never Alice's answer.
    const forBob = await post(MY_ORDERS, undefined, bob);
    expect(forBob.cache).toBe('MISS');
    expect(forBob.body.data.myOrders.totalCount).toBe(0);
    expect((await post(MY_ORDERS, undefined, bob)).body.data.myOrders.totalCount).toBe(0);

    // An anonymous caller never gets what was cached for a signed-in one (gateway/features/responseCache/caching.int.test.ts
    // shows PRIVATE data is not stored for anonymous callers at all).
    const anonymous = await post(MY_ORDERS);
    expect(anonymous.cache).not.toBe('HIT');
    expect(anonymous.body.data?.myOrders ?? null).toBeNull();

    // Alice's own next order shows in her list at once.
    expect((await place('cache-test-2')).body.errors).toBeUndefined();
    const afterOrder = await post(MY_ORDERS, undefined, alice);
    expect(afterOrder.cache).toBe('MISS');
    expect(afterOrder.body.data.myOrders.totalCount).toBe(2);
  });
});
