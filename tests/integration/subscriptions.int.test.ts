/**
 * GraphQL subscriptions through the gateway, end to end: graphql-ws clients on the gateway's /graphql,
 * the orders subgraph's own graphql-ws endpoint behind it, products resolving the entity fields of
 * each event, and (with the real Redis) events crossing from one orders replica to another.
 *
 * A subscription is known to be open when the orders subgraph counts it (its listener is then on
 * the event bus), so no test depends on timing; "never arrives" is shown by order: the event bus
 * delivers in publish order, so a subscriber whose first event is a later change did not get the
 * earlier one.
 */
import { randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { loadGatewayConfig } from '../../gateway/config.js';
import { startGateway, type RunningGateway } from '../../gateway/server.js';
import { signIdentityHeaders } from '../../lib/signedIdentity.js';
import type { RunningSubgraph } from '../../subgraphs/kit/index.js';
import { loadOrdersConfig } from '../../subgraphs/orders/config.js';
import { startOrders } from '../../subgraphs/orders/service.js';
import { as, startTestPlatform, TEST_IDENTITY_SIGNING_SECRET, type TestPlatform } from '../support/platform.js';
import { redisAnswers, TEST_REDIS_URL } from '../support/redis.js';

let platform: TestPlatform;
const clients: Client[] = [];

beforeAll(async () => {
  platform = await startTestPlatform();
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await platform?.close();
});

// Subjects of this run only: other suites may publish order events on the same Redis channel.
const run = randomUUID().slice(0, 8);
const alice = `alice-${run}`;
const bob = `bob-${run}`;
const admin = `admin-${run}`;

const ORDER_UPDATED = 'subscription { orderUpdated { id customerId status updatedAt items { quantity product { id name } } } }';

function wsUrl(gateway: { url: string }, query = ''): string {
  return `${gateway.url.replace(/^http/, 'ws')}/graphql${query}`;
}

/** A graphql-ws client of the gateway; `headers` go with the upgrade request. */
function connect(
  gateway: { url: string },
  options: { headers?: Record<string, string>; connectionParams?: Record<string, unknown>; query?: string } = {},
): Client {
  const headers = options.headers ?? {};
  class WithHeaders extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  const client = createClient({
    url: wsUrl(gateway, options.query),
    webSocketImpl: WithHeaders,
    connectionParams: options.connectionParams,
    retryAttempts: 0,
    shouldRetry: () => false,
    lazyCloseTimeout: 0,
  });
  clients.push(client);
  return client;
}

interface Subscription {
  next(): Promise<any>;
  /** Completes it from the client's side. */
  complete(): Promise<void>;
}

function subscribe(client: Client, query: string, variables?: Record<string, unknown>): Subscription {
  const iterator = client.iterate({ query, variables });
  return {
    next: async () => {
      const result = await iterator.next();
      if (result.done) throw new Error('the subscription completed');
      return result.value;
    },
    complete: async () => {
      await iterator.return?.();
    },
  };
}

/** The error a subscription ends with: the protocol's error payload, or the close event. */
async function failureOf(client: Client, query: string, variables?: Record<string, unknown>): Promise<any> {
  try {
    for await (const result of client.iterate({ query, variables })) return { unexpected: result };
    return { completed: true };
  } catch (err) {
    return err;
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`gave up waiting until ${what}`);
}

const activeAt = (subgraph: RunningSubgraph) => subgraph.subscriptions?.active() ?? 0;

async function placeOrder(subject: string, productId = 'prod_0001'): Promise<string> {
  const { body } = await platform.graphql(
    'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
    { input: { idempotencyKey: randomUUID(), items: [{ productId, quantity: 1 }] } },
    as(subject),
  );
  expect(body.errors).toBeUndefined();
  return body.data.placeOrder.id;
}

async function moveOrder(id: string, status: string): Promise<void> {
  const { body } = await platform.graphql(
    'mutation ($id: ID!, $status: OrderStatus!) { updateOrderStatus(id: $id, status: $status) { id } }',
    { id, status },
    as(`ops-${run}`, 'orders:admin'),
  );
  expect(body.errors).toBeUndefined();
}

describe('subscription { orderUpdated } through the gateway', () => {
  // Each test ends its subscriptions; the subgraph hears of it a moment later.
  beforeEach(() => until(() => activeAt(platform.orders) === 0, 'earlier subscriptions have ended at the orders subgraph'));

  it("delivers the customer's own order changes, with product fields from the products subgraph", async () => {
    const { body } = await platform.graphql('{ product(id: "prod_0002") { name } }');
    const productName = body.data.product.name as string;
    const before = activeAt(platform.orders);
    const subscription = subscribe(connect(platform.gateway, { headers: as(alice) }), ORDER_UPDATED);
    await until(() => activeAt(platform.orders) === before + 1, 'the orders subgraph has the subscription');

    const id = await placeOrder(alice, 'prod_0002');
    const placed = await subscription.next();
    expect(placed).toEqual({
      data: {
        orderUpdated: {
          id,
          customerId: alice,
          status: 'PENDING',
          updatedAt: expect.any(String),
          items: [{ quantity: 1, product: { id: 'prod_0002', name: productName } }],
        },
      },
    });
    await moveOrder(id, 'PAID');
    expect((await subscription.next()).data.orderUpdated).toMatchObject({ id, status: 'PAID' });
    await subscription.complete();
  });

  it("never delivers another customer's orders; an orders:admin holder gets everyone's", async () => {
    const before = activeAt(platform.orders);
    const bobs = subscribe(connect(platform.gateway, { headers: as(bob) }), 'subscription { orderUpdated { id customerId } }');
    const admins = subscribe(
      connect(platform.gateway, { headers: as(admin, 'orders:admin') }),
      'subscription { orderUpdated { id customerId status } }',
    );
    await until(() => activeAt(platform.orders) === before + 2, 'the orders subgraph has both subscriptions');

    const alicesOrder = await placeOrder(alice);
    const bobsOrder = await placeOrder(bob);
    // Bob's first event is his own order: Alice's, published before it, never reached him.
    expect((await bobs.next()).data.orderUpdated).toEqual({ id: bobsOrder, customerId: bob });
    const seen: string[] = [];
    while (!seen.includes(bobsOrder)) seen.push((await admins.next()).data.orderUpdated.id);
    expect(seen).toEqual(expect.arrayContaining([alicesOrder, bobsOrder]));
    await bobs.complete();
    await admins.complete();
  });

  it('narrows to one order with the id argument', async () => {
    const first = await placeOrder(alice);
    const second = await placeOrder(alice);
    const before = activeAt(platform.orders);
    const subscription = subscribe(
      connect(platform.gateway, { headers: as(alice) }),
      'subscription ($id: ID) { orderUpdated(id: $id) { id status } }',
      { id: second },
    );
    await until(() => activeAt(platform.orders) === before + 1, 'the orders subgraph has the subscription');
    await moveOrder(first, 'PAID');
    await moveOrder(second, 'PAID');
    expect((await subscription.next()).data.orderUpdated).toEqual({ id: second, status: 'PAID' });
    await subscription.complete();
  });

  it('closes the upstream subscription when the client completes', async () => {
    const before = activeAt(platform.orders);
    const subscription = subscribe(connect(platform.gateway, { headers: as(alice) }), ORDER_UPDATED);
    await until(() => activeAt(platform.orders) === before + 1, 'the orders subgraph has the subscription');
    await subscription.complete();
    await until(() => activeAt(platform.orders) === before, 'the orders subgraph ended the subscription');
  });

  it('closes the upstream subscription when the client disconnects', async () => {
    const before = activeAt(platform.orders);
    const client = connect(platform.gateway, { headers: as(alice) });
    subscribe(client, ORDER_UPDATED);
    await until(() => activeAt(platform.orders) === before + 1, 'the orders subgraph has the subscription');
    await client.dispose();
    await until(() => activeAt(platform.orders) === before, 'the orders subgraph ended the subscription');
  });

  it('accepts the token in connection_init or as ?token=', async () => {
    const token = as(alice).authorization.slice('Bearer '.length);
    for (const client of [
      connect(platform.gateway, { connectionParams: { authorization: `Bearer ${token}` } }),
      connect(platform.gateway, { query: `?token=${encodeURIComponent(token)}` }),
    ]) {
      const subscription = subscribe(client, 'subscription { orderUpdated { id } }');
      await until(() => activeAt(platform.orders) === 1, 'the orders subgraph has the subscription');
      await subscription.complete();
      await until(() => activeAt(platform.orders) === 0, 'the orders subgraph ended the subscription');
    }
  });
});

describe('refusals', () => {
  it('closes an unauthenticated connection with 4401', async () => {
    const failure = await failureOf(connect(platform.gateway), ORDER_UPDATED);
    expect(failure.code).toBe(4401);
    expect(failure.reason).toMatch(/signed-in caller/);
  });

  it('closes with 4401 naming the problem when connection_init carries a bad token', async () => {
    const failure = await failureOf(connect(platform.gateway, { connectionParams: { authorization: 'Bearer not-a-token' } }), ORDER_UPDATED);
    expect(failure.code).toBe(4401);
    expect(failure.reason).toMatch(/^Unauthorized: /);
  });

  it('answers a bad token in the upgrade request with HTTP 401 and a JSON body, before any WebSocket', async () => {
    const answer = await new Promise<{ status: number; body: any; challenge?: string }>((resolve, reject) => {
      const socket = new WebSocket(wsUrl(platform.gateway), 'graphql-transport-ws', { headers: { authorization: 'Bearer not-a-token' } });
      socket.on('open', () => reject(new Error('the upgrade was accepted')));
      socket.on('error', () => {});
      socket.on('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), challenge: res.headers['www-authenticate'] }));
      });
    });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(answer.challenge).toMatch(/^Bearer error="invalid_token"/);
  });

  it('refuses an upgrade without the graphql-transport-ws subprotocol with 400', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(wsUrl(platform.gateway), { headers: as(alice) });
      socket.on('open', () => reject(new Error('the upgrade was accepted')));
      socket.on('error', () => {});
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    });
    expect(status).toBe(400);
  });

  const errorOf = async (query: string) => {
    const failure = await failureOf(connect(platform.gateway, { headers: as(alice) }), query);
    expect(Array.isArray(failure)).toBe(true);
    return failure[0];
  };

  it('refuses a document that does not validate against the API schema', async () => {
    expect(await errorOf('subscription { orderUpdated { id nope } }')).toMatchObject({
      message: expect.stringContaining('Cannot query field "nope"'),
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(await errorOf('subscription { orderUpdated { id }')).toMatchObject({ extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
  });

  it('refuses a subscription over the operation limits', async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: id`).join(' ');
    expect(await errorOf(`subscription { orderUpdated { ${aliases} } }`)).toMatchObject({
      message: 'Operation refused: its aliases (31) exceeds the limit of 30',
      extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'aliases', max: 30, actual: 31 },
    });
  });

  it('refuses queries and mutations on the socket, pointing at POST /graphql', async () => {
    expect(await errorOf('{ products(first: 1) { totalCount } }')).toMatchObject({
      message: 'Only subscriptions run over the WebSocket at /graphql; send a query as POST /graphql',
      extensions: { code: 'BAD_REQUEST' },
    });
  });

  it('refuses variables of the wrong type', async () => {
    const failure = await failureOf(
      connect(platform.gateway, { headers: as(alice) }),
      'subscription ($id: ID) { orderUpdated(id: $id) { id } }',
      { id: { not: 'an id' } },
    );
    expect(failure[0]).toMatchObject({ message: expect.stringContaining('$id'), extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('the orders subgraph refuses a WebSocket upgrade without the gateway signature with 401', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(platform.orders.graphqlUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
      socket.on('open', () => reject(new Error('the upgrade was accepted')));
      socket.on('error', () => {});
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    });
    expect(status).toBe(401);
  });
});

describe('a second orders replica', () => {
  let withRedis = false;
  let replica: RunningSubgraph | undefined;
  let writer: RunningSubgraph | undefined;
  let gateway: RunningGateway | undefined;

  beforeAll(async () => {
    withRedis = await redisAnswers();
    const redis = withRedis ? { REDIS_URL: TEST_REDIS_URL } : {};
    replica = await startOrders(loadOrdersConfig({ ...platform.env, ORDERS_PORT: '0', ...redis }));
    if (withRedis) writer = await startOrders(loadOrdersConfig({ ...platform.env, ORDERS_PORT: '0', ...redis }));
    // A gateway whose orders subgraph is the replica: its subscriptions' upstream is there.
    const urls = platform.env.SUBGRAPH_URLS!.split(',').filter((entry) => !entry.startsWith('orders='));
    gateway = await startGateway(
      loadGatewayConfig({ ...platform.env, GATEWAY_PORT: '0', SUPERGRAPH_WATCH: 'false', SUBGRAPH_URLS: [...urls, `orders=${replica.graphqlUrl}`].join(',') }),
    );
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    await writer?.close();
    await replica?.close();
  });

  it('delivers a change made through another replica, through Redis', async () => {
    if (!withRedis) {
      console.warn(`skipped: Redis does not answer at ${TEST_REDIS_URL}; cross-replica events need it`);
      return;
    }
    const subscription = subscribe(connect(gateway!, { headers: as(alice) }), 'subscription { orderUpdated { id status items { product { name } } } }');
    await until(() => activeAt(replica!) === 1, 'the replica has the subscription');
    // Placed through the other replica directly, as the gateway would call it.
    const requestId = randomUUID();
    const response = await fetch(writer!.graphqlUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-request-id': requestId,
        ...signIdentityHeaders({ subject: alice, scopes: [] }, { secret: TEST_IDENTITY_SIGNING_SECRET, requestId }),
      },
      body: JSON.stringify({
        query: 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
        variables: { input: { idempotencyKey: randomUUID(), items: [{ productId: 'prod_0003', quantity: 1 }] } },
      }),
    });
    const placed = (await response.json()) as any;
    expect(placed.errors).toBeUndefined();
    const event = await subscription.next();
    expect(event.data.orderUpdated).toMatchObject({ id: placed.data.placeOrder.id, status: 'PENDING', items: [{ product: { name: expect.any(String) } }] });
    await subscription.complete();
  });

  it("ends the client's subscription with an error naming the subgraph when the upstream goes away", async () => {
    const client = connect(gateway!, { headers: as(alice) });
    const ended = failureOf(client, 'subscription { orderUpdated { id } }');
    await until(() => activeAt(replica!) >= 1, 'the replica has the subscription');
    await replica!.close();
    replica = undefined;
    const failure = await ended;
    expect(Array.isArray(failure)).toBe(true);
    expect(failure[0]).toMatchObject({
      message: expect.stringContaining('Subgraph "orders" ended the subscription'),
      extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'orders' },
    });
  });
});
