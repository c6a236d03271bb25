/**
 * Live order updates end to end on the platform: a customer's WebSocket connection sends
 * {"action":"watchOrders"} (a WS_ROUTES route to the orders service), and every order of theirs that
 * is placed or moves status is pushed to it by the orders service through the gateway's push API;
 * another customer's changes never reach it; $disconnect forgets the watcher.
 */
import { as, startTestPlatform, TEST_JWT_SECRET, type TestPlatform } from '../support/platform.js';
import { testToken } from '../../gateway/testing/testTokens.js';
import { openSocket, type TestSocket } from '../../gateway/testing/webSocketClient.js';
import type { Db } from '../../subgraphs/kit/index.js';

let platform: TestPlatform;
let productId: string;
const admin = as('order-admin', 'products:write', 'orders:admin');

beforeAll(async () => {
  platform = await startTestPlatform();
  const { body } = await platform.graphql(
    `mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
    { input: { sku: 'LIVE-0001', name: 'Live lamp', description: 'For live order tests', category: 'Testing', priceCents: 1500, stock: 50 } },
    admin,
  );
  expect(body.errors).toBeUndefined();
  productId = body.data.createProduct.id;
});

afterAll(async () => {
  await platform?.close();
});

async function watching(subject: string): Promise<TestSocket> {
  const token = testToken({ sub: subject }, TEST_JWT_SECRET);
  const socket = await openSocket(`${platform.gateway.url.replace(/^http/, 'ws')}/ws?token=${token}`);
  socket.send({ action: 'watchOrders' });
  expect(await socket.nextJson()).toEqual({ type: 'watching', watching: 'orders', customerId: subject });
  return socket;
}

async function placeOrder(subject: string, key: string): Promise<{ id: string }> {
  const { body } = await platform.graphql(
    `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }`,
    { input: { idempotencyKey: key, items: [{ productId, quantity: 1 }] } },
    as(subject),
  );
  expect(body.errors).toBeUndefined();
  return body.data.placeOrder;
}

const ordersDb = () => platform.orders.deps.db as Db;

test("a customer's placed and moved orders are pushed to their connection, and only theirs", async () => {
  const alice = await watching('live-alice');
  const bob = await watching('live-bob');

  const order = await placeOrder('live-alice', 'live-a1');
  expect(await alice.nextJson()).toMatchObject({ type: 'order', event: 'placed', order: { id: order.id, customerId: 'live-alice', status: 'PENDING', total: { amountCents: 1500 } } });

  const moved = await platform.graphql(`mutation { updateOrderStatus(id: "${order.id}", status: PAID) { status } }`, {}, admin);
  expect(moved.body.errors).toBeUndefined();
  expect(await alice.nextJson()).toMatchObject({ type: 'order', event: 'status', order: { id: order.id, status: 'PAID' } });

  // Bob's first message is his own order: alice's two changes, pushed before it, never came.
  const bobs = await placeOrder('live-bob', 'live-b1');
  expect(await bob.nextJson()).toMatchObject({ type: 'order', event: 'placed', order: { id: bobs.id, customerId: 'live-bob' } });

  alice.ws.close();
  bob.ws.close();
  await Promise.all([alice.closed, bob.closed]);
});

test('$disconnect removes the watcher; unwatchOrders stops the pushes', async () => {
  const carol = await watching('live-carol');
  const rows = async () =>
    (await ordersDb().read<{ n: number }>("SELECT count(*)::int AS n FROM websocket_watchers WHERE customer_id = 'live-carol'")).rows[0].n;
  expect(await rows()).toBe(1);
  carol.send({ action: 'unwatchOrders' });
  expect(await carol.nextJson()).toEqual({ type: 'unwatched', watching: 'orders' });
  expect(await rows()).toBe(0);
  carol.send({ action: 'watchOrders' });
  expect(await carol.nextJson()).toMatchObject({ type: 'watching' });
  carol.ws.close();
  await carol.closed;
  while ((await rows()) !== 0) await new Promise((resolve) => setTimeout(resolve, 25));
});

test('a watcher whose connection is gone is forgotten when its push answers 410', async () => {
  await ordersDb().query(
    "INSERT INTO websocket_watchers (connection_id, customer_id, callback_url) VALUES ('gone-conn', 'live-dave', $1)",
    [`${platform.gateway.url}/@connections/gone-conn`],
  );
  await placeOrder('live-dave', 'live-d1');
  const rows = async () => (await ordersDb().read<{ n: number }>("SELECT count(*)::int AS n FROM websocket_watchers WHERE connection_id = 'gone-conn'")).rows[0].n;
  while ((await rows()) !== 0) await new Promise((resolve) => setTimeout(resolve, 25));
  expect(await rows()).toBe(0);
});

test('watchOrders reaches the orders service only through the gateway (its signature is checked)', async () => {
  const response = await fetch(`${platform.orders.url}/websocket/watchOrders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ requestContext: { connectionId: 'x', callbackUrl: 'http://evil.example/@connections/x' } }),
  });
  expect(response.status).toBe(401);
});
