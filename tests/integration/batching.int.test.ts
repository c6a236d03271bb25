/**
 * Entity references are batched with per-request DataLoaders: the cost of a list does not grow with
 * its length. Counted at the connection proxy, on a platform whose search sync is idle so nothing
 * else calls the database meanwhile.
 */
import { as, startTestPlatform, waitForQuietProxy, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform({ SEARCH_SYNC_INTERVAL_MS: '600000' });
  await waitForQuietProxy(platform);
}, 120_000);

afterAll(async () => {
  await platform?.close();
});

const admin = as('catalog-admin', 'products:write');

async function createProduct(sku: string, stock: number, priceCents: number) {
  const { body } = await platform.graphql(
    `mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
    { input: { sku, name: `Batch ${sku}`, description: 'For batching', category: 'Testing', priceCents, stock } },
    admin,
  );
  expect(body.errors).toBeUndefined();
  return body.data.createProduct as { id: string };
}

const PLACE_ORDER = `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`;

/** Resolves once the proxy has served no request for 200 ms. */
async function proxyQuiet(): Promise<void> {
  let before = platform.dbProxy.stats().requests;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const now = platform.dbProxy.stats().requests;
    if (now === before) return;
    before = now;
  }
}

describe('DataLoader batching', () => {
  it('batches entity references: 50 orders with their products cost one proxy call per batch', async () => {
    const products = await Promise.all(
      Array.from({ length: 5 }, (_, i) => createProduct(`BATCH-${i}`, 100, 100 + i)),
    );
    for (let i = 0; i < 50; i++) {
      const { body } = await platform.graphql(
        PLACE_ORDER,
        {
          input: {
            idempotencyKey: `batch-${i}`,
            items: [
              { productId: products[i % 5].id, quantity: 1 },
              { productId: products[(i + 1) % 5].id, quantity: 1 },
            ],
          },
        },
        as('bulk-buyer'),
      );
      expect(body.errors).toBeUndefined();
    }
    // Each order is pushed to the customer's watchers after its answer: let that work finish first.
    await proxyQuiet();
    platform.dbProxy.resetStats();
    const { body } = await platform.graphql(
      `{ myOrders(first: 50) { totalCount nodes { id items { quantity product { id name sku } } } } }`,
      undefined,
      as('bulk-buyer'),
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.myOrders.nodes).toHaveLength(50);
    expect(body.data.myOrders.nodes.every((o: any) => o.items.length === 2 && o.items[0].product.name)).toBe(true);
    const calls = platform.dbProxy.stats().byService;
    // orders: the page with its count, then all 100 items in one call; products: one call for 100 references.
    expect(calls.orders.requests).toBeLessThanOrEqual(2);
    expect(calls.products.requests).toBe(1);
  });

});
