/**
 * The orders subgraph against a real connection proxy and the real products service: the placement
 * saga (prices, idempotency, no overselling), cancellation and status changes, visibility, input
 * checks, batching of items, and recovery when products cannot be reached.
 */
import { createServer } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { testSecret } from '../../tests/support/testDatabase.js';
import { startTestDbProxy, type TestDbProxy } from '../../tests/support/testDbProxy.js';
import { createDbClient, type DbClient } from '../kit/index.js';
import { loadProductsConfig } from '../products/config.js';
import { createProductsInternalClient } from '../products/internalApi.js';
import { startProducts } from '../products/service.js';
import { loadOrdersConfig } from './config.js';
import { startReleaseSweep } from './releaseSweep.js';
import { startOrders } from './service.js';
import type { Identity } from '../../lib/identity.js';
import { signedIdentityHeaders } from '../kit/testing.js';

type Running = { url: string; graphqlUrl?: string; close(): Promise<void> };

/** Records what the orders service sends to the proxy, by request id, to prove batching. */
class RecordingAgent extends Agent {
  private readonly calls: { requestId: unknown; body: string }[] = [];
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const headers = (options.headers ?? {}) as Record<string, unknown>;
    this.calls.push({ requestId: headers['x-request-id'], body: typeof options.body === 'string' ? options.body : '' });
    return super.dispatch(options, handler);
  }
  /** Bodies of the proxy calls made for one GraphQL request (the background sweep sends none with an id). */
  bodiesFor(requestId: string): string[] {
    return this.calls.filter((call) => call.requestId === requestId).map((call) => call.body);
  }
}

/** Who calls, signed as the gateway signs it (the subgraphs answer nothing else), and the request id it signs. */
type Caller = Partial<Identity> & { requestId?: string };
const identitySecret = testSecret();
const ADMIN: Caller = { subject: 'ops', scopes: ['orders:admin'] };
const as = (subject: string): Caller => ({ subject });

let dbProxy: TestDbProxy;
let products: Running & { graphqlUrl: string };
let orders: Running & { graphqlUrl: string };
/** A second orders instance on the same database whose products URL leads nowhere. */
let ordersWithoutProducts: Running & { graphqlUrl: string };
let proxyCalls: RecordingAgent;
let ordersDb: DbClient;
let env: Record<string, string>;
const closers: (() => Promise<void>)[] = [];

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  dbProxy = await startTestDbProxy(['products', 'orders']);
  closers.push(() => dbProxy.close());
  const { credentials } = dbProxy;
  env = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    INTERNAL_SERVICE_TOKEN: testSecret(),
    IDENTITY_SIGNING_SECRET: identitySecret,
    PRODUCTS_PORT: '0',
    PRODUCTS_HOST: '127.0.0.1',
    PRODUCTS_DB_CREDENTIAL: credentials.products,
    ORDERS_PORT: '0',
    ORDERS_HOST: '127.0.0.1',
    ORDERS_DB_CREDENTIAL: credentials.orders,
    DB_PROXY_URL: dbProxy.url,
  };

  products = await startProducts(loadProductsConfig(env));
  closers.unshift(() => products.close());

  proxyCalls = new RecordingAgent();
  closers.unshift(() => proxyCalls.close());
  orders = await startOrders(
    loadOrdersConfig({ ...env, PRODUCTS_URL: products.url, ORDERS_RELEASE_SWEEP_INTERVAL_MS: '200' }),
    { dbDispatcher: proxyCalls },
  );
  closers.unshift(() => orders.close());

  ordersWithoutProducts = await startOrders(
    loadOrdersConfig({
      ...env,
      PRODUCTS_URL: `http://127.0.0.1:${await unusedPort()}`,
      ORDERS_RELEASE_SWEEP_INTERVAL_MS: '3600000',
    }),
  );
  closers.unshift(() => ordersWithoutProducts.close());

  ordersDb = createDbClient({ proxyUrl: dbProxy.url, credential: credentials.orders });
  closers.unshift(() => ordersDb.close());
}, 120_000);

afterAll(async () => {
  for (const close of closers) await close();
});

async function gql<T = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  { requestId, ...identity }: Caller = {},
): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signedIdentityHeaders(identity, identitySecret, { requestId }) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as any;
}

let skuCounter = 0;
async function createProduct(stock: number, priceCents: number, currency = 'USD'): Promise<string> {
  const sku = `ORD-TEST-${process.pid}-${++skuCounter}`;
  const result = await gql<{ createProduct: { id: string } }>(
    products.graphqlUrl,
    `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
    { input: { sku, name: `Test product ${sku}`, description: 'for order tests', category: 'test', priceCents, currency, stock } },
    { subject: 'catalog-admin', scopes: ['products:write'] },
  );
  expect(result.errors).toBeUndefined();
  return result.data!.createProduct.id;
}

async function updateProduct(id: string, input: Record<string, unknown>): Promise<void> {
  const result = await gql(
    products.graphqlUrl,
    `mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }`,
    { id, input },
    { subject: 'catalog-admin', scopes: ['products:write'] },
  );
  expect(result.errors).toBeUndefined();
}

async function stockOf(id: string): Promise<number> {
  const result = await gql<{ product: { stock: number } }>(products.graphqlUrl, `query($id: ID!) { product(id: $id) { stock } }`, { id });
  return result.data!.product.stock;
}

const ORDER_FIELDS = `id customerId status createdAt updatedAt
  total { amountCents currency formatted }
  items { quantity product { id } unitPrice { amountCents currency } lineTotal { amountCents currency } }`;

function placeOrder(
  customer: string | undefined,
  items: { productId: string; quantity: number }[],
  idempotencyKey: string,
  url = orders.graphqlUrl,
) {
  return gql<{ placeOrder: any }>(
    url,
    `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { ${ORDER_FIELDS} } }`,
    { input: { items, idempotencyKey } },
    customer ? as(customer) : {},
  );
}

function cancelOrder(customer: string, id: string, url = orders.graphqlUrl) {
  return gql<{ cancelOrder: { id: string; status: string } }>(
    url,
    `mutation($id: ID!) { cancelOrder(id: $id) { id status } }`,
    { id },
    as(customer),
  );
}

function updateStatus(id: string, status: string, caller: Caller = ADMIN) {
  return gql<{ updateOrderStatus: { id: string; status: string } }>(
    orders.graphqlUrl,
    `mutation($id: ID!, $status: OrderStatus!) { updateOrderStatus(id: $id, status: $status) { id status } }`,
    { id, status },
    caller,
  );
}

function codeOf(result: { errors?: { extensions?: { code?: string } }[] }): string | undefined {
  return result.errors?.[0]?.extensions?.code;
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('placeOrder', () => {
  it('places an order at the catalog prices and lists it in myOrders', async () => {
    const widget = await createProduct(10, 1250);
    const gadget = await createProduct(10, 399);
    const placed = await placeOrder(
      'alice',
      [
        { productId: widget, quantity: 2 },
        { productId: gadget, quantity: 3 },
      ],
      'alice-1',
    );
    expect(placed.errors).toBeUndefined();
    const order = placed.data!.placeOrder;
    expect(order.id).toMatch(/^ord_[0-9a-f-]{36}$/);
    expect(order).toMatchObject({
      customerId: 'alice',
      status: 'PENDING',
      total: { amountCents: 2 * 1250 + 3 * 399, currency: 'USD', formatted: '$36.97' },
      items: [
        { quantity: 2, product: { id: widget }, unitPrice: { amountCents: 1250, currency: 'USD' }, lineTotal: { amountCents: 2500 } },
        { quantity: 3, product: { id: gadget }, unitPrice: { amountCents: 399, currency: 'USD' }, lineTotal: { amountCents: 1197 } },
      ],
    });
    expect(await stockOf(widget)).toBe(8);
    expect(await stockOf(gadget)).toBe(7);

    const listed = await gql(
      orders.graphqlUrl,
      `{ myOrders { totalCount nodes { ${ORDER_FIELDS} } edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`,
      {},
      as('alice'),
    );
    expect(listed.errors).toBeUndefined();
    expect(listed.data.myOrders.totalCount).toBe(1);
    expect(listed.data.myOrders.nodes).toEqual([order]);
    expect(listed.data.myOrders.pageInfo.hasNextPage).toBe(false);
  });

  it('takes unit prices from products at the time of the order', async () => {
    const product = await createProduct(10, 500);
    const first = await placeOrder('bruno', [{ productId: product, quantity: 1 }], 'bruno-1');
    await updateProduct(product, { priceCents: 700 });
    const second = await placeOrder('bruno', [{ productId: product, quantity: 1 }], 'bruno-2');
    expect(first.data!.placeOrder.items[0].unitPrice.amountCents).toBe(500);
    expect(second.data!.placeOrder.items[0].unitPrice.amountCents).toBe(700);
    // The first order keeps the price it was placed at.
    const reread = await gql(orders.graphqlUrl, `query($id: ID!) { order(id: $id) { total { amountCents } } }`, { id: first.data!.placeOrder.id }, as('bruno'));
    expect(reread.data.order.total.amountCents).toBe(500);
  });

  it('returns the same order for a retry with the same key and moves the stock once', async () => {
    const product = await createProduct(10, 100);
    const items = [{ productId: product, quantity: 3 }];
    const first = await placeOrder('carla', items, 'carla-retry');
    const retries = await Promise.all([1, 2, 3].map(() => placeOrder('carla', items, 'carla-retry')));
    const ids = new Set([first, ...retries].map((r) => r.data?.placeOrder.id));
    expect(ids.size).toBe(1);
    expect(await stockOf(product)).toBe(7);
    // The same key is the customer's own: another customer may use it for their own order.
    const other = await placeOrder('dmitri', items, 'carla-retry');
    expect(other.data!.placeOrder.id).not.toBe(first.data!.placeOrder.id);
    expect(await stockOf(product)).toBe(4);
  });

  it('finishes concurrent first attempts with the same key as one order', async () => {
    const product = await createProduct(10, 100);
    const items = [{ productId: product, quantity: 2 }];
    const results = await Promise.all([1, 2, 3, 4].map(() => placeOrder('erin', items, 'erin-race')));
    for (const result of results) expect(result.errors).toBeUndefined();
    expect(new Set(results.map((r) => r.data!.placeOrder.id)).size).toBe(1);
    expect(await stockOf(product)).toBe(8);
  });

  it('rejects a key reused for different items', async () => {
    const product = await createProduct(10, 100);
    await placeOrder('frank', [{ productId: product, quantity: 1 }], 'frank-1');
    const reused = await placeOrder('frank', [{ productId: product, quantity: 2 }], 'frank-1');
    expect(codeOf(reused)).toBe('BAD_USER_INPUT');
    expect(reused.errors![0].message).toBe('idempotencyKey was already used for a different order');
    expect(await stockOf(product)).toBe(9);
  });

  it('never oversells: 20 concurrent orders for a stock of 5', async () => {
    const product = await createProduct(5, 1000);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => placeOrder(`rush-${i}`, [{ productId: product, quantity: 1 }], `rush-key-${i}`)),
    );
    const placed = results.filter((r) => r.data?.placeOrder);
    const refused = results.filter((r) => r.errors);
    expect(placed).toHaveLength(5);
    expect(refused).toHaveLength(15);
    for (const r of refused) {
      expect(codeOf(r)).toBe('BAD_USER_INPUT');
      expect(r.errors![0].message).toBe(`Not enough stock for ${product}`);
    }
    expect(await stockOf(product)).toBe(0);

    // A refused order frees its key: once there is stock again, the same key places the order.
    const refusedIndex = results.findIndex((r) => r.errors);
    await updateProduct(product, { stock: 1 });
    const again = await placeOrder(`rush-${refusedIndex}`, [{ productId: product, quantity: 1 }], `rush-key-${refusedIndex}`);
    expect(again.errors).toBeUndefined();
    expect(await stockOf(product)).toBe(0);
  });

  it('refuses unknown products and mixed currencies without taking stock', async () => {
    const unknown = await placeOrder('gina', [{ productId: 'prod_x', quantity: 1 }], 'gina-1');
    expect(codeOf(unknown)).toBe('BAD_USER_INPUT');
    expect(unknown.errors![0].message).toBe('Unknown product prod_x');

    const dollars = await createProduct(10, 100, 'USD');
    const euros = await createProduct(10, 100, 'EUR');
    const mixed = await placeOrder(
      'gina',
      [
        { productId: dollars, quantity: 1 },
        { productId: euros, quantity: 1 },
      ],
      'gina-2',
    );
    expect(codeOf(mixed)).toBe('BAD_USER_INPUT');
    expect(mixed.errors![0].message).toMatch(/cannot mix currencies \((USD, EUR|EUR, USD)\)/);
    expect(await stockOf(dollars)).toBe(10);
    expect(await stockOf(euros)).toBe(10);
    // The key is free again for a valid order.
    const fixed = await placeOrder('gina', [{ productId: dollars, quantity: 1 }], 'gina-2');
    expect(fixed.errors).toBeUndefined();
  });

  it('needs a signed-in customer', async () => {
    const result = await placeOrder(undefined, [{ productId: 'prod_0001', quantity: 1 }], 'anon-1');
    expect(codeOf(result)).toBe('UNAUTHENTICATED');
    const list = await gql(orders.graphqlUrl, `{ myOrders { totalCount } }`);
    expect(codeOf(list)).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['quantity 0', [{ productId: 'prod_0001', quantity: 0 }], 'k', /items\[0\]\.quantity must be at least 1/],
    ['no items', [], 'k', /at least one item/],
    ['51 items', Array.from({ length: 51 }, (_, i) => ({ productId: `prod_${i}`, quantity: 1 })), 'k', /at most 50 items/],
    ['a 129-character key', [{ productId: 'prod_0001', quantity: 1 }], 'k'.repeat(129), /idempotencyKey must be 1 to 128/],
    ['an empty key', [{ productId: 'prod_0001', quantity: 1 }], '', /idempotencyKey must be 1 to 128/],
    ['quantity 1001', [{ productId: 'prod_0001', quantity: 1001 }], 'k', /at most 1000/],
  ])('rejects %s', async (_name, items, key, message) => {
    const result = await placeOrder('hugo', items, key);
    expect(codeOf(result)).toBe('BAD_USER_INPUT');
    expect(result.errors![0].message).toMatch(message);
  });
});

describe('cancelOrder and updateOrderStatus', () => {
  it('gives the stock back exactly once when two cancels race', async () => {
    const product = await createProduct(10, 100);
    const placed = await placeOrder('ivan', [{ productId: product, quantity: 4 }], 'ivan-1');
    const id = placed.data!.placeOrder.id;
    expect(await stockOf(product)).toBe(6);
    const [a, b] = await Promise.all([cancelOrder('ivan', id), cancelOrder('ivan', id)]);
    const wins = [a, b].filter((r) => r.data?.cancelOrder);
    const losses = [a, b].filter((r) => r.errors);
    expect(wins).toHaveLength(1);
    expect(wins[0].data!.cancelOrder.status).toBe('CANCELLED');
    expect(losses).toHaveLength(1);
    expect(codeOf(losses[0])).toBe('BAD_USER_INPUT');
    expect(losses[0].errors![0].message).toMatch(/this order is CANCELLED/);
    expect(await stockOf(product)).toBe(10);
    const flag = await ordersDb.read<{ stock_released: boolean }>('SELECT stock_released FROM orders WHERE id = $1', [id]);
    expect(flag.rows[0].stock_released).toBe(true);
  });

  it('moves orders along the allowed transitions only', async () => {
    const product = await createProduct(10, 100);
    const placed = await placeOrder('jana', [{ productId: product, quantity: 1 }], 'jana-1');
    const id = placed.data!.placeOrder.id;

    expect(codeOf(await updateStatus(id, 'PAID', as('jana')))).toBe('FORBIDDEN');
    expect(codeOf(await updateStatus(id, 'PAID', {}))).toBe('UNAUTHENTICATED');
    const skip = await updateStatus(id, 'SHIPPED');
    expect(skip.errors![0].message).toBe('cannot move an order from PENDING to SHIPPED');

    expect((await updateStatus(id, 'PAID')).data!.updateOrderStatus.status).toBe('PAID');
    expect((await updateStatus(id, 'SHIPPED')).data!.updateOrderStatus.status).toBe('SHIPPED');
    const cancel = await cancelOrder('jana', id);
    expect(codeOf(cancel)).toBe('BAD_USER_INPUT');
    expect(cancel.errors![0].message).toMatch(/SHIPPED/);
    const back = await updateStatus(id, 'PAID');
    expect(back.errors![0].message).toBe('cannot move an order from SHIPPED to PAID');
    expect((await updateStatus(id, 'DELIVERED')).data!.updateOrderStatus.status).toBe('DELIVERED');
    expect(await stockOf(product)).toBe(9);
    expect(codeOf(await updateStatus('ord_missing', 'PAID'))).toBe('NOT_FOUND');
  });

  it('gives the stock back when an admin cancels a paid order', async () => {
    const product = await createProduct(10, 100);
    const placed = await placeOrder('kemal', [{ productId: product, quantity: 2 }], 'kemal-1');
    const id = placed.data!.placeOrder.id;
    await updateStatus(id, 'PAID');
    expect((await updateStatus(id, 'CANCELLED')).data!.updateOrderStatus.status).toBe('CANCELLED');
    expect(await stockOf(product)).toBe(10);
  });
});

describe('visibility', () => {
  it("hides another customer's order", async () => {
    const product = await createProduct(10, 100);
    const placed = await placeOrder('lena', [{ productId: product, quantity: 1 }], 'lena-1');
    const id = placed.data!.placeOrder.id;
    const query = `query($id: ID!) { order(id: $id) { id customerId } }`;

    expect((await gql(orders.graphqlUrl, query, { id }, as('lena'))).data.order).toEqual({ id, customerId: 'lena' });
    expect((await gql(orders.graphqlUrl, query, { id }, as('mallory'))).data.order).toBeNull();
    expect((await gql(orders.graphqlUrl, query, { id })).data.order).toBeNull();
    expect((await gql(orders.graphqlUrl, query, { id }, ADMIN)).data.order).toEqual({ id, customerId: 'lena' });

    const cancel = await cancelOrder('mallory', id);
    expect(codeOf(cancel)).toBe('NOT_FOUND');
    expect(cancel.errors![0].message).toBe(`Order ${id} not found`);
    expect(await stockOf(product)).toBe(9);

    const entities = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Order { id total { amountCents } } } }`;
    const reps = [{ __typename: 'Order', id }];
    expect((await gql(orders.graphqlUrl, entities, { reps }, as('lena'))).data._entities).toEqual([{ id, total: { amountCents: 100 } }]);
    expect((await gql(orders.graphqlUrl, entities, { reps }, as('mallory'))).data._entities).toEqual([null]);

    const listed = await gql(orders.graphqlUrl, `{ myOrders { totalCount } }`, {}, as('mallory'));
    expect(listed.data.myOrders.totalCount).toBe(0);
  });
});

describe('listing', () => {
  const customer = 'nora';
  let placedIds: string[] = [];

  beforeAll(async () => {
    const product = await createProduct(1_000, 100);
    const other = await createProduct(1_000, 250);
    // In small groups, so the listing has orders with equal and with distinct creation times.
    for (let group = 0; group < 10; group++) {
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          placeOrder(
            customer,
            [
              { productId: product, quantity: 1 + i },
              { productId: other, quantity: 1 },
            ],
            `nora-${group}-${i}`,
          ),
        ),
      );
      placedIds.push(...results.map((r) => r.data!.placeOrder.id as string));
    }
  });

  it("loads 50 orders' items with one proxy round trip", async () => {
    const result = await gql(
      orders.graphqlUrl,
      `{ myOrders(first: 50) { totalCount nodes { id items { quantity product { id } lineTotal { amountCents } } } } }`,
      {},
      { ...as(customer), requestId: 'list-50-orders' },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data.myOrders.nodes).toHaveLength(50);
    expect(result.data.myOrders.totalCount).toBe(50);
    for (const order of result.data.myOrders.nodes) expect(order.items).toHaveLength(2);
    const bodies = proxyCalls.bodiesFor('list-50-orders');
    expect(bodies.filter((body) => body.includes('FROM order_items'))).toHaveLength(1);
    // The page with its count, then the items: nothing per order.
    expect(bodies).toHaveLength(2);
  });

  it('batches entity resolution of many orders', async () => {
    const reps = placedIds.slice(0, 10).map((id) => ({ __typename: 'Order', id }));
    const result = await gql(
      orders.graphqlUrl,
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Order { id items { quantity } } } }`,
      { reps },
      { ...as(customer), requestId: 'resolve-10-orders' },
    );
    expect(result.data._entities.map((o: { id: string }) => o.id)).toEqual(placedIds.slice(0, 10));
    // One statement for the orders, one for all their items.
    expect(proxyCalls.bodiesFor('resolve-10-orders')).toHaveLength(2);
  });

  it('pages newest first with opaque cursors and filters by status', async () => {
    const seen: { id: string; createdAt: string }[] = [];
    const pageAfter = async (after: string | null): Promise<any> => {
      const page = await gql(
        orders.graphqlUrl,
        `query($after: String) { myOrders(first: 7, after: $after) { totalCount nodes { id createdAt } pageInfo { hasNextPage endCursor } } }`,
        { after },
        as(customer),
      );
      expect(page.errors).toBeUndefined();
      return page.data.myOrders;
    };
    let after: string | null = null;
    let lastCursor: string | null = null;
    do {
      const page = await pageAfter(after);
      expect(page.totalCount).toBe(50);
      seen.push(...page.nodes);
      lastCursor = page.pageInfo.endCursor;
      after = page.pageInfo.hasNextPage ? lastCursor : null;
    } while (after);
    expect(seen).toHaveLength(50);
    // Past the end: an empty page that still counts every order.
    expect(await pageAfter(lastCursor)).toEqual({ totalCount: 50, nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
    expect(new Set(seen.map((o) => o.id))).toEqual(new Set(placedIds));
    const keys = seen.map((o) => [o.createdAt, o.id].join(' '));
    expect(keys).toEqual([...keys].sort().reverse());

    await cancelOrder(customer, placedIds[0]);
    await cancelOrder(customer, placedIds[1]);
    const cancelled = await gql(
      orders.graphqlUrl,
      `{ myOrders(status: CANCELLED) { totalCount nodes { id status } } }`,
      {},
      as(customer),
    );
    expect(cancelled.data.myOrders.totalCount).toBe(2);
    expect(new Set(cancelled.data.myOrders.nodes.map((o: { id: string }) => o.id))).toEqual(new Set(placedIds.slice(0, 2)));
  });

  it.each([
    ['first: 0', 'first: 0', /first must be between 1 and 100/],
    ['first: 101', 'first: 101', /first must be between 1 and 100/],
    ['a made-up cursor', 'after: "bm90LWEtY3Vyc29y"', /not a cursor this API produced/],
  ])('rejects %s', async (_name, args, message) => {
    const result = await gql(orders.graphqlUrl, `{ myOrders(${args}) { totalCount } }`, {}, as(customer));
    expect(codeOf(result)).toBe('BAD_USER_INPUT');
    expect(result.errors![0].message).toMatch(message);
  });
});

describe('when products cannot be reached', () => {
  it('keeps the placement for a retry with the same key, which finishes it once', async () => {
    const product = await createProduct(10, 100);
    const items = [{ productId: product, quantity: 2 }];
    const failed = await placeOrder('olga', items, 'olga-1', ordersWithoutProducts.graphqlUrl);
    expect(codeOf(failed)).toBe('DOWNSTREAM_SERVICE_ERROR');
    expect(failed.errors![0].message).toMatch(/retry with the same idempotencyKey/);
    expect(await stockOf(product)).toBe(10);

    const retried = await placeOrder('olga', items, 'olga-1');
    expect(retried.errors).toBeUndefined();
    expect(await stockOf(product)).toBe(8);
    const again = await placeOrder('olga', items, 'olga-1');
    expect(again.data!.placeOrder.id).toBe(retried.data!.placeOrder.id);
    expect(await stockOf(product)).toBe(8);
  });

  it('cancels anyway and the background sweep gives the stock back later', async () => {
    const product = await createProduct(10, 100);
    const placed = await placeOrder('petra', [{ productId: product, quantity: 3 }], 'petra-1');
    const id = placed.data!.placeOrder.id;
    const cancelled = await cancelOrder('petra', id, ordersWithoutProducts.graphqlUrl);
    expect(cancelled.data!.cancelOrder.status).toBe('CANCELLED');
    // The instance that reaches products sweeps every 200 ms.
    await eventually(async () => (await stockOf(product)) === 10);
    await eventually(async () => {
      const flag = await ordersDb.read<{ stock_released: boolean }>('SELECT stock_released FROM orders WHERE id = $1', [id]);
      return flag.rows[0].stock_released === true;
    });
  });

  it('abandons a placement nobody finished and releases what it had reserved', async () => {
    const product = await createProduct(10, 100);
    const items = [{ productId: product, quantity: 4 }];
    const failed = await placeOrder('quinn', items, 'quinn-1', ordersWithoutProducts.graphqlUrl);
    expect(codeOf(failed)).toBe('DOWNSTREAM_SERVICE_ERROR');
    const stuck = await ordersDb.read<{ id: string }>(
      `SELECT id FROM orders WHERE customer_id = 'quinn' AND idempotency_key = 'quinn-1' AND state = 'RESERVING'`,
    );
    const orderId = stuck.rows[0].id;
    // As if the reservation had reached products before the attempt died.
    const stock = createProductsInternalClient({ baseUrl: products.url, token: env.INTERNAL_SERVICE_TOKEN });
    await stock.reserve(orderId, items);
    expect(await stockOf(product)).toBe(6);

    await new Promise((resolve) => setTimeout(resolve, 50));
    const sweep = startReleaseSweep({
      db: ordersDb,
      products: stock,
      logger: (await import('../../lib/logger.js')).createLogger('orders-test', 'silent'),
      intervalMs: 3_600_000,
      abandonAfterMs: 20,
    });
    try {
      const result = await sweep.runOnce();
      expect(result.abandoned).toBeGreaterThanOrEqual(1);
    } finally {
      await sweep.stop();
      await stock.close();
    }
    expect(await stockOf(product)).toBe(10);
    // The key is free again.
    const retried = await placeOrder('quinn', items, 'quinn-1');
    expect(retried.errors).toBeUndefined();
    expect(retried.data!.placeOrder.id).not.toBe(orderId);
    expect(await stockOf(product)).toBe(6);
  });
});
