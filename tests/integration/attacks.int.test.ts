/**
 * Attacks SECURITY.md lists, each against the whole platform (one per describe, every port 0):
 * request smuggling over a raw TCP socket, rate-limit evasion by spoofing X-Forwarded-For, reading or
 * changing another customer's order through REST and the WebSocket API, and what a client can learn
 * from errors when the platform runs in production mode with real secrets.
 */
import { connect } from 'node:net';
import { as, startTestPlatform, TEST_JWT_SECRET, type TestPlatform } from '../support/platform.js';
import { CLIENT_DEADLINE_MS, nextOutcome, openSocketWithin, send } from '../support/hostileInput.js';
import { testToken } from '../../gateway/testing/testTokens.js';
import type { TestSocket } from '../../gateway/testing/webSocketClient.js';
import type { Db } from '../../subgraphs/kit/index.js';

// --- helpers -------------------------------------------------------------------------------------

interface RawExchange {
  /** Everything the server sent before it closed the connection. */
  text: string;
  /** The status of every response in `text`, in order. */
  statuses: number[];
}

/**
 * Writes `bytes` to a fresh TCP connection to the gateway and reads until the server closes it. A
 * server that keeps the connection open past the client deadline is a failure naming the request:
 * every request here either ends with `Connection: close` or is refused by the parser, which closes.
 */
function rawExchange(port: number, bytes: string, what: string): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${what}: the gateway kept the connection open for ${CLIENT_DEADLINE_MS} ms (got: ${Buffer.concat(chunks).toString('latin1').slice(0, 300)})`));
    }, CLIENT_DEADLINE_MS);
    const done = () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) [A-Z]/g)].map((m) => Number(m[1]));
      resolve({ text, statuses });
    };
    socket.on('data', (chunk) => chunks.push(chunk));
    // A reset after the server's answer (it closed with our bytes unread) is a close too.
    socket.on('error', () => undefined);
    socket.on('close', done);
    socket.write(bytes, 'latin1');
  });
}

/** A complete HTTP/1.1 request with a JSON body, as its bytes. */
function httpRequest(options: { method?: string; path?: string; headers?: Record<string, string>; body?: string; close?: boolean }): string {
  const body = options.body ?? '';
  const headers = {
    host: '127.0.0.1',
    ...(body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}),
    ...(options.close ? { connection: 'close' } : {}),
    ...options.headers,
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `${options.method ?? 'POST'} ${options.path ?? '/graphql'} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}

const CREATE_PRODUCT = 'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id sku } }';
const productInput = (sku: string, stock = 5) => ({ sku, name: `Product ${sku}`, description: 'Made for the attack tests', category: 'test', priceCents: 1500, stock });

/** Every text a client got, for the "nothing internal leaks" checks. */
function leaksIn(text: string, internals: { urls: string[]; ports: number[] }): string[] {
  const found: string[] = [];
  // A V8 stack frame ("at fn (file.js:1:2)" / "at file.js:1:2") or a stacktrace extension.
  if (/\bat [^\s]+ \(.*:\d+:\d+\)|\bat (?:file:|node:|\/)[^\s]*:\d+:\d+/.test(text)) found.push('a stack frame');
  if (/stacktrace/i.test(text)) found.push('a stacktrace field');
  if (/\.(?:ts|js):\d+/.test(text)) found.push('a source file position');
  // SQL text, database errors and their fields.
  if (/\b(?:SELECT|INSERT|UPDATE|DELETE)\b[\s\S]*\b(?:FROM|INTO|SET|WHERE)\b/i.test(text)) found.push('SQL text');
  if (/\b(?:relation|syntax error at|sqlstate|pg_|postgres|pglite|tsquery|to_tsvector)\b/i.test(text)) found.push('a database message');
  // Internal addresses: services' URLs, their ports, loopback hosts.
  for (const url of internals.urls) if (text.includes(url)) found.push(`the internal URL ${url}`);
  for (const port of internals.ports) if (new RegExp(`[:\\s"]${port}\\b`).test(text)) found.push(`the internal port ${port}`);
  if (/127\.0\.0\.1|localhost|\[::1\]/i.test(text)) found.push('a loopback address');
  return found;
}

// --- 1. request smuggling ------------------------------------------------------------------------

describe('request smuggling over a raw socket', () => {
  let platform: TestPlatform;
  let port: number;
  const editor = as('smuggler', 'products:write');

  beforeAll(async () => {
    platform = await startTestPlatform();
    port = platform.gateway.port;
  }, 120_000);

  afterAll(async () => {
    await platform?.close();
  });

  /** The mutation a smuggler hides behind the first request: creating a product, visible afterwards. */
  const smuggledMutation = (sku: string) =>
    httpRequest({ headers: { ...editor }, body: JSON.stringify({ query: CREATE_PRODUCT, variables: { input: productInput(sku) } }), close: true });

  async function productExists(sku: string): Promise<boolean> {
    // A query text of its own per sku, so no cached answer stands in for the database.
    const { body } = await platform.graphql(`query Exists_${sku.replace(/\W/g, '_')}($sku: String!) { product(sku: $sku) { id } }`, { sku });
    expect(body.errors).toBeUndefined();
    return body.data.product !== null;
  }

  it('runs a second request pipelined behind a valid one (the side effect the attacks below look for is observable)', async () => {
    const first = httpRequest({ body: JSON.stringify({ query: '{ __typename }' }) });
    const { statuses } = await rawExchange(port, first + smuggledMutation('SMUGGLE-CONTROL'), 'pipelined pair');
    expect(statuses).toEqual([200, 200]);
    expect(await productExists('SMUGGLE-CONTROL')).toBe(true);
  });

  const attacks: { name: string; sku: string; expected: number[]; bytes: (smuggled: string) => string }[] = [
    {
      name: 'headers over Node\'s header limit',
      sku: 'SMUGGLE-HUGE',
      expected: [431],
      bytes: (smuggled) => httpRequest({ headers: { 'x-padding': 'a'.repeat(20_000) }, body: '{"query":"{ __typename }"}' }) + smuggled,
    },
    {
      name: 'many headers adding up past the limit',
      sku: 'SMUGGLE-MANY',
      expected: [431],
      bytes: (smuggled) =>
        httpRequest({
          headers: Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`x-h${i}`, 'b'.repeat(60)])),
          body: '{"query":"{ __typename }"}',
        }) + smuggled,
    },
    {
      // CL.TE: a server reading the chunked body would stop at "0" and run the rest as a second request.
      name: 'Content-Length and Transfer-Encoding: chunked together',
      sku: 'SMUGGLE-CLTE',
      expected: [400],
      bytes: (smuggled) => {
        const body = `0\r\n\r\n${smuggled}`;
        return `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\ntransfer-encoding: chunked\r\n\r\n${body}`;
      },
    },
    {
      // TE.CL: a server reading Content-Length (4) would leave the smuggled request in the buffer.
      name: 'Transfer-Encoding: chunked before a short Content-Length',
      sku: 'SMUGGLE-TECL',
      expected: [400],
      bytes: (smuggled) => {
        const chunk = smuggled;
        const body = `${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n0\r\n\r\n`;
        return `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\ncontent-length: 4\r\n\r\n${body}`;
      },
    },
    {
      name: 'two conflicting Content-Length headers',
      sku: 'SMUGGLE-CLCL',
      expected: [400],
      bytes: (smuggled) => {
        const json = '{"query":"{ __typename }"}';
        return `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${json.length}\r\ncontent-length: ${json.length + Buffer.byteLength(smuggled)}\r\n\r\n${json}${smuggled}`;
      },
    },
    {
      name: 'one Content-Length header listing two values',
      sku: 'SMUGGLE-CLLIST',
      expected: [400],
      bytes: (smuggled) => {
        const json = '{"query":"{ __typename }"}';
        return `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${json.length}, ${json.length + Buffer.byteLength(smuggled)}\r\n\r\n${json}${smuggled}`;
      },
    },
    {
      name: 'the same Content-Length twice',
      sku: 'SMUGGLE-CLDUP',
      expected: [400],
      bytes: (smuggled) => {
        const json = '{"query":"{ __typename }"}';
        return `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${json.length}\r\ncontent-length: ${json.length}\r\n\r\n${json}${smuggled}`;
      },
    },
    {
      // An obfuscated coding a front proxy might not read as chunked, with the body framed by Content-Length.
      name: 'a Transfer-Encoding other than chunked last, with Content-Length',
      sku: 'SMUGGLE-TEOBF',
      expected: [400],
      bytes: (smuggled) => {
        const body = `0\r\n\r\n${smuggled}`;
        return `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\ntransfer-encoding: chunked, identity\r\n\r\n${body}`;
      },
    },
  ];

  it.each(attacks)('refuses $name with a 4xx, closes the connection, and never runs the request queued behind it', async ({ name, sku, expected, bytes }) => {
    const { statuses, text } = await rawExchange(port, bytes(smuggledMutation(sku)), name);
    // One answer, the refusal: nothing after it (rawExchange returned, so the server closed).
    expect({ statuses, head: text.split('\r\n')[0] }).toEqual({ statuses: expected, head: expect.stringMatching(/^HTTP\/1\.1 4\d\d /) });
    expect(text).toMatch(/\r\nconnection: close\r\n/i);
    expect(await productExists(sku)).toBe(false);
    // The gateway is still serving.
    expect((await send(`${platform.gateway.url}/health`)).status).toBe(200);
  });
});

// --- 2. rate-limit evasion by header spoofing ----------------------------------------------------

/** Three anonymous requests per client address; the window (3 h) never ends during a test. */
const TINY_ANONYMOUS_LIMIT = 'rate:1/h,burst:3';

const graphqlFrom = (url: string, headers: Record<string, string>) =>
  send(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: '{ __typename }' }),
  });

describe('rate-limit evasion with GATEWAY_TRUST_PROXY off (the default)', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await startTestPlatform({ RATE_LIMIT: 'true', RATE_LIMIT_ANONYMOUS: TINY_ANONYMOUS_LIMIT });
  }, 120_000);

  afterAll(async () => {
    await platform?.close();
  });

  it('counts every anonymous request against the peer address, whatever X-Forwarded-For, Forwarded or X-Real-IP claim', async () => {
    const url = platform.gateway.url;
    const allowed = [];
    for (let i = 1; i <= 3; i++) allowed.push(await graphqlFrom(url, { 'x-forwarded-for': `198.51.100.${i}` }));
    expect(allowed.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(allowed.map((a) => a.headers.get('ratelimit'))).toEqual([
      expect.stringMatching(/^"anonymous";r=2;/),
      expect.stringMatching(/^"anonymous";r=1;/),
      expect.stringMatching(/^"anonymous";r=0;/),
    ]);

    const spoofs: Record<string, string>[] = [
      { 'x-forwarded-for': '198.51.100.4' },
      { 'x-forwarded-for': '203.0.113.9, 198.51.100.5' },
      { 'x-forwarded-for': '127.0.0.2' },
      { forwarded: 'for=198.51.100.6' },
      { 'x-real-ip': '198.51.100.7' },
      { 'x-client-ip': '198.51.100.8', 'true-client-ip': '198.51.100.8', 'cf-connecting-ip': '198.51.100.8' },
      {},
    ];
    for (const headers of spoofs) {
      const refused = await graphqlFrom(url, headers);
      expect({ headers, status: refused.status, code: refused.json?.errors?.[0]?.extensions?.code }).toEqual({ headers, status: 429, code: 'RATE_LIMITED' });
    }
    // REST is behind the same limit.
    const rest = await send(`${url}/api/products?first=1`, { headers: { 'x-forwarded-for': '198.51.100.9' } });
    expect(rest.status).toBe(429);
    expect(rest.json.error.code).toBe('RATE_LIMITED');
    // A signed-in caller from the same address has a bucket of their own (the limit is not simply stuck).
    expect((await graphqlFrom(url, as('rate-ana'))).status).toBe(200);
  });
});

describe('rate-limit evasion behind a trusted proxy (GATEWAY_TRUST_PROXY=loopback)', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await startTestPlatform({ RATE_LIMIT: 'true', RATE_LIMIT_ANONYMOUS: TINY_ANONYMOUS_LIMIT, GATEWAY_TRUST_PROXY: 'loopback' });
  }, 120_000);

  afterAll(async () => {
    await platform?.close();
  });

  // The test is the trusted proxy: it appends the address it saw to what the client sent.
  const viaProxy = (clientSent: string | undefined, clientAddress: string) => ({
    'x-forwarded-for': clientSent === undefined ? clientAddress : `${clientSent}, ${clientAddress}`,
  });

  it('counts the address the trusted hop added, not the entries the client wrote before it', async () => {
    const url = platform.gateway.url;
    const client = '203.0.113.20';
    const statuses = [];
    for (const spoof of [undefined, '198.51.100.1', '198.51.100.2, 198.51.100.3', '10.0.0.1', 'not-an-ip', '198.51.100.4']) {
      statuses.push((await graphqlFrom(url, viaProxy(spoof, client))).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);

    // Another client behind the same proxy, sending the same spoofed entries, is counted on its own:
    // the key is the hop's entry (were it the first entry, this would share the bucket above).
    const other = await graphqlFrom(url, viaProxy('198.51.100.1', '203.0.113.21'));
    expect(other.status).toBe(200);
    expect(other.headers.get('ratelimit')).toMatch(/^"anonymous";r=2;/);
    // And the spoofed value on its own, as the hop's entry, is a third client (it was never counted).
    expect((await graphqlFrom(url, viaProxy(undefined, '198.51.100.1'))).headers.get('ratelimit')).toMatch(/^"anonymous";r=2;/);
  });
});

// --- 3. another customer's order through REST and the WebSocket API ------------------------------

describe("another customer's order through REST and the WebSocket API", () => {
  let platform: TestPlatform;
  let productId: string;
  const alice = as('attack-alice');
  const bob = as('attack-bob');

  beforeAll(async () => {
    platform = await startTestPlatform();
    const { body } = await platform.graphql(CREATE_PRODUCT, { input: productInput('ATTACK-ORDERS', 50) }, as('attack-editor', 'products:write'));
    expect(body.errors).toBeUndefined();
    productId = body.data.createProduct.id;
  }, 120_000);

  afterAll(async () => {
    await platform?.close();
  });

  const rest = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
    send(`${platform.gateway.url}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  async function alicesOrder(key: string): Promise<{ id: string; status: string; updatedAt: string }> {
    const placed = await rest('POST', '/api/orders', { ...alice, 'idempotency-key': key }, { items: [{ productId, quantity: 1 }] });
    expect(placed.status).toBe(201);
    return placed.json;
  }

  const ordersDb = () => platform.orders.deps.db as Db;
  async function storedOrder(id: string): Promise<{ status: string; updated_at: unknown }> {
    const { rows } = await ordersDb().read<{ status: string; updated_at: unknown }>('SELECT status, updated_at FROM orders WHERE id = $1', [id]);
    return rows[0];
  }

  it('REST: another customer reading it by id gets 404 with nothing of the order; anonymous gets 401', async () => {
    const order = await alicesOrder('attack-read');
    const asBob = await rest('GET', `/api/orders/${encodeURIComponent(order.id)}`, bob);
    expect(asBob.status).toBe(404);
    expect(asBob.json).toEqual({ error: { code: 'NOT_FOUND', message: `No order with id "${order.id}"`, details: { id: order.id } } });
    expect(asBob.text).not.toContain('attack-alice');
    // The same 404 as an order that does not exist: bob cannot tell someone else's from none.
    const missing = await rest('GET', '/api/orders/ord_does_not_exist', bob);
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('NOT_FOUND');

    const anonymous = await rest('GET', `/api/orders/${encodeURIComponent(order.id)}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.error.code).toBe('UNAUTHENTICATED');
    // Its owner reads it.
    const asAlice = await rest('GET', `/api/orders/${encodeURIComponent(order.id)}`, alice);
    expect(asAlice.status).toBe(200);
    expect(asAlice.json).toMatchObject({ id: order.id, customerId: 'attack-alice', status: 'PENDING' });
  });

  it('REST: no method or path under /api/orders changes another customer\'s order', async () => {
    const order = await alicesOrder('attack-change');
    const before = await storedOrder(order.id);
    const id = encodeURIComponent(order.id);
    const attempts: [string, string, unknown][] = [
      ['DELETE', `/api/orders/${id}`, undefined],
      ['POST', `/api/orders/${id}/cancel`, {}],
      ['POST', `/api/orders/${id}`, { status: 'CANCELLED' }],
      ['PATCH', `/api/orders/${id}`, { status: 'CANCELLED' }],
      ['PUT', `/api/orders/${id}`, { status: 'CANCELLED', customerId: 'attack-bob' }],
      ['PUT', `/api/orders/${id}/status`, { status: 'CANCELLED' }],
      ['POST', '/api/orders', { items: [], idempotencyKey: 'attack-change', id: order.id, status: 'CANCELLED' }],
    ];
    for (const [method, path, body] of attempts) {
      for (const headers of [bob, as('attack-bob', 'orders:write'), {}]) {
        const answer = await rest(method, path, headers, body);
        expect({ method, path, ok: answer.status < 400, status5xx: answer.status >= 500 }).toEqual({ method, path, ok: false, status5xx: false });
      }
    }
    expect(await storedOrder(order.id)).toEqual(before);
    expect(before.status).toBe('PENDING');

    // GraphQL's cancelOrder, the one way to cancel, refuses bob too, and lets alice (the check can fail).
    const byBob = await platform.graphql(`mutation { cancelOrder(id: "${order.id}") { status } }`, undefined, bob);
    expect(byBob.body.errors?.[0].extensions.code).toBe('NOT_FOUND');
    expect((await storedOrder(order.id)).status).toBe('PENDING');
    const byAlice = await platform.graphql(`mutation { cancelOrder(id: "${order.id}") { status } }`, undefined, alice);
    expect(byAlice.body).toEqual({ data: { cancelOrder: { status: 'CANCELLED' } } });
    expect((await storedOrder(order.id)).status).toBe('CANCELLED');
  });

  async function connect(subject: string): Promise<TestSocket> {
    const token = testToken({ sub: subject }, TEST_JWT_SECRET);
    return openSocketWithin(`${platform.gateway.url.replace(/^http/, 'ws')}/ws?token=${token}`);
  }

  it('WebSocket API: offers no action that changes an order, and refuses every order-changing action it is sent', async () => {
    const order = await alicesOrder('attack-ws');
    const before = await storedOrder(order.id);
    const aliceSocket = await connect('attack-alice');
    aliceSocket.send({ action: 'watchOrders' });
    expect(await aliceSocket.nextJson()).toEqual({ type: 'watching', watching: 'orders', customerId: 'attack-alice' });
    const [{ connection_id: aliceConnection }] = (
      await ordersDb().read<{ connection_id: string }>("SELECT connection_id FROM websocket_watchers WHERE customer_id = 'attack-alice'")
    ).rows;

    const bobSocket = await connect('attack-bob');
    const messages: unknown[] = [
      { action: 'cancelOrder', id: order.id },
      { action: 'updateOrderStatus', id: order.id, status: 'CANCELLED' },
      { action: 'placeOrder', customerId: 'attack-alice', items: [{ productId, quantity: 1 }] },
      { action: '$disconnect', requestContext: { connectionId: aliceConnection } },
      { action: 'orders', method: 'DELETE', id: order.id },
      'cancel ' + order.id,
    ];
    for (const message of messages) {
      bobSocket.send(message);
      const outcome = await nextOutcome(bobSocket);
      expect(outcome.kind).toBe('message');
      const answer = JSON.parse((outcome as { text: string }).text);
      expect(answer).toMatchObject({ type: 'error', error: { code: 'BAD_REQUEST' } });
      // The routes the API has: watching and unwatching one's own connection, nothing that writes an order.
      expect([...answer.error.details.actions].sort()).toEqual(['unwatchOrders', 'watchOrders']);
    }

    // unwatchOrders naming alice's connection in the message only unwatches bob's own (the route takes
    // the connection from the gateway's requestContext, never from the message).
    bobSocket.send({ action: 'unwatchOrders', requestContext: { connectionId: aliceConnection, callbackUrl: `http://x/@connections/${aliceConnection}` }, connectionId: aliceConnection });
    expect(await bobSocket.nextJson()).toEqual({ type: 'unwatched', watching: 'orders' });
    // watchOrders claiming to be alice watches bob's own orders.
    bobSocket.send({ action: 'watchOrders', customerId: 'attack-alice', requestContext: { connectionId: aliceConnection } });
    expect(await bobSocket.nextJson()).toEqual({ type: 'watching', watching: 'orders', customerId: 'attack-bob' });

    expect(await storedOrder(order.id)).toEqual(before);
    // Alice still watches: her own cancel reaches her connection.
    const cancelled = await platform.graphql(`mutation { cancelOrder(id: "${order.id}") { status } }`, undefined, alice);
    expect(cancelled.body.errors).toBeUndefined();
    expect(await aliceSocket.nextJson()).toMatchObject({ type: 'order', event: 'status', order: { id: order.id, status: 'CANCELLED' } });

    aliceSocket.ws.close();
    bobSocket.ws.close();
    await Promise.all([aliceSocket.closed, bobSocket.closed]);
  });
});

// --- 4. production mode: what errors tell a client -----------------------------------------------

describe('the platform in production mode (NODE_ENV=production, real secrets)', () => {
  let platform: TestPlatform;
  let internals: { urls: string[]; ports: number[] };
  const answers: { what: string; text: string }[] = [];

  beforeAll(async () => {
    platform = await startTestPlatform({ NODE_ENV: 'production', GATEWAY_SHUTDOWN_DELAY_MS: '0' });
    const urls = [...platform.subgraphs.values()].map((s) => s.url).concat(platform.dbProxy.url);
    internals = {
      urls: urls.flatMap((url) => [url, new URL(url).host]),
      ports: [...platform.subgraphs.values()].map((s) => s.port).concat(platform.dbProxy.port),
    };
  }, 120_000);

  afterAll(async () => {
    await platform?.close();
  });

  /** POSTs to /graphql, keeps the answer for the leak check, and returns it. */
  async function graphql(what: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
    const answer = await send(`${platform.gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    answers.push({ what, text: answer.text + JSON.stringify([...answer.headers]) });
    expect({ what, text: answer.text.slice(0, 500), leaks: leaksIn(answer.text + JSON.stringify([...answer.headers]), internals) }).toEqual({ what, text: answer.text.slice(0, 500), leaks: [] });
    return answer;
  }

  async function get(what: string, path: string, headers: Record<string, string> = {}) {
    const answer = await send(`${platform.gateway.url}${path}`, { headers });
    answers.push({ what, text: answer.text });
    expect({ what, text: answer.text.slice(0, 500), leaks: leaksIn(answer.text + JSON.stringify([...answer.headers]), internals) }).toEqual({ what, text: answer.text.slice(0, 500), leaks: [] });
    return answer;
  }

  it('runs with production settings: introspection is refused', async () => {
    const schema = await graphql('introspection', '{ __schema { queryType { name } } }');
    expect(schema.status).toBe(400);
    expect(schema.json.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(schema.json.errors[0].message).toMatch(/introspection/i);
    const type = await graphql('__type', '{ __type(name: "Order") { fields { name } } }');
    expect(type.status).toBe(400);
  });

  it('answers failing queries with the intended codes and nothing else', async () => {
    const parse = await graphql('parse error', '{ products(first: 1) { nodes { id } ');
    expect(parse.status).toBe(400);
    expect(parse.json.errors[0].extensions).toEqual({ code: 'GRAPHQL_PARSE_FAILED' });
    const validation = await graphql('unknown field', '{ products(first: 1) { nodes { secretField } } }');
    expect(validation.status).toBe(400);
    expect(validation.json.errors[0].extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
    const variables = await graphql('bad variable', 'query ($n: Int) { products(first: $n) { totalCount } }', { n: 'many' });
    expect(variables.status).toBe(400);
    expect(variables.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const input = await graphql('bad input', '{ products(first: -5) { totalCount } }');
    expect(input.json.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const notFound = await graphql('not found', 'mutation { cancelOrder(id: "ord_nope") { id } }', undefined, as('prod-ana'));
    expect(notFound.json.errors[0].extensions.code).toBe('NOT_FOUND');
    const unauth = await graphql('anonymous myOrders', '{ myOrders { totalCount } }');
    expect(unauth.json.errors[0].extensions.code).toBe('UNAUTHORIZED');
  });

  it('answers SQL-ish search text as text, over GraphQL and REST', async () => {
    const hostile = [
      "'; DROP TABLE products; --",
      "') OR 1=1 --",
      '" UNION SELECT password FROM pg_shadow --',
      '!!! & | <-> :* ((',
      '\\x00\u0000',
      'a'.repeat(2000),
    ];
    for (const q of hostile) {
      const viaGraph = await graphql(`search ${q.slice(0, 30)}`, 'query ($q: String!) { search(query: $q, first: 3) { totalCount } }', { q });
      expect({ q, status: viaGraph.status < 500, code: viaGraph.json?.errors?.[0]?.extensions?.code ?? 'none' }).toEqual({
        q,
        status: true,
        code: expect.not.stringMatching(/INTERNAL_SERVER_ERROR|DOWNSTREAM_SERVICE_ERROR/),
      });
      const viaRest = await get(`REST search ${q.slice(0, 30)}`, `/api/search?q=${encodeURIComponent(q)}`);
      expect({ q, status: viaRest.status }).toEqual({ q, status: expect.any(Number) });
      expect(viaRest.status).toBeLessThan(500);
    }
  });

  it('treats SQL in filters (category) as a value: no match, nothing run, the catalog intact', async () => {
    // A document of its own each time: the response cache (on by default) must not answer for the table.
    const catalog = async (when: string) =>
      (await graphql(`catalog size ${when}`, `{ ${when}: products(first: 1) { totalCount } }`)).json.data[when].totalCount as number;
    const before = await catalog('before');
    expect(before).toBeGreaterThan(0);
    const hostile = ["'; DROP TABLE products; --", "x' OR '1'='1", "') OR 1=1 --", '" UNION SELECT usename FROM pg_user --', '%', '_'];
    for (const c of hostile) {
      const products = await graphql(`category ${c}`, 'query ($c: String) { products(first: 5, category: $c) { totalCount nodes { id } } }', { c });
      const search = await graphql(`search category ${c}`, 'query ($c: String) { search(query: "lamp", category: $c) { totalCount } }', { c });
      // A category no product has: an always-true condition or a LIKE pattern would match them all.
      expect({ c, products: products.json.data?.products, search: search.json.data?.search }).toEqual({
        c,
        products: { totalCount: 0, nodes: [] },
        search: { totalCount: 0 },
      });
      for (const path of [`/api/products?category=${encodeURIComponent(c)}`, `/api/search?q=lamp&category=${encodeURIComponent(c)}`]) {
        const answer = await get(`REST ${path}`, path);
        expect({ path, status: answer.status, totalCount: answer.json?.totalCount }).toEqual({ path, status: 200, totalCount: 0 });
      }
    }
    expect(await catalog('after')).toBe(before);
  });

  it('answers a NUL character in any text argument as the caller\'s mistake, not an internal error', async () => {
    const nul = 'prod\u00000001';
    const answers = [
      await graphql('NUL search', 'query ($q: String!) { search(query: $q) { totalCount } }', { q: `lamp${nul}` }),
      await graphql('NUL search category', 'query ($c: String) { search(query: "lamp", category: $c) { totalCount } }', { c: nul }),
      await graphql('NUL product id', 'query ($id: ID!) { product(id: $id) { id } }', { id: nul }),
      await graphql('NUL order id', 'query ($id: ID!) { order(id: $id) { id } }', { id: nul }, as('prod-ana')),
    ];
    for (const answer of answers) {
      expect(answer.json.errors.map((e: any) => [e.extensions.code, e.message])).toEqual([['BAD_USER_INPUT', expect.stringMatching(/NUL/)]]);
    }
    for (const [path, headers] of [
      [`/api/search?q=${encodeURIComponent(`lamp${nul}`)}`, {}],
      [`/api/products/${encodeURIComponent(nul)}`, {}],
      [`/api/orders/${encodeURIComponent(nul)}`, as('prod-ana')],
    ] as const) {
      const answer = await get(`REST ${path}`, path, headers);
      expect({ path, status: answer.status, code: answer.json?.error?.code }).toEqual({ path, status: 400, code: 'BAD_USER_INPUT' });
    }
  });

  it('hides internal errors: a database failure inside a subgraph, over GraphQL and REST', async () => {
    const ordersDb = platform.orders.deps.db as Db;
    const placed = await send(`${platform.gateway.url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'prod-1', ...as('prod-ana') },
      body: JSON.stringify({ items: [{ productId: 'prod_0001', quantity: 1 }] }),
    });
    expect(placed.status).toBe(201);
    // The orders table goes away under the service: every read of it is now an unexpected SQL error.
    await ordersDb.query('ALTER TABLE orders RENAME TO orders_gone');
    try {
      const viaGraph = await graphql('orders table gone', '{ myOrders { totalCount nodes { id } } }', undefined, as('prod-ana'));
      expect(viaGraph.json.errors?.length).toBeGreaterThan(0);
      for (const error of viaGraph.json.errors) expect(error.message).toBe('Internal server error');
      expect(viaGraph.json.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
      const viaRest = await get('REST orders table gone', `/api/orders/${encodeURIComponent(placed.json.id)}`, as('prod-ana'));
      expect(viaRest.status).toBe(500);
      expect(viaRest.json.error.code).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await ordersDb.query('ALTER TABLE orders_gone RENAME TO orders');
    }
    expect((await get('REST order back', `/api/orders/${encodeURIComponent(placed.json.id)}`, as('prod-ana'))).status).toBe(200);
  });

  it('hides internal addresses when a subgraph is down, over GraphQL and REST (last: it stops products)', async () => {
    await platform.products.close();
    const viaGraph = await graphql('products down', '{ products(first: 1) { totalCount } }');
    expect(viaGraph.json.errors[0]).toMatchObject({ message: 'Subgraph "products" is unreachable', extensions: { code: 'DOWNSTREAM_SERVICE_ERROR' } });
    const viaRest = await get('REST products down', '/api/products?first=1');
    expect(viaRest.status).toBe(502);
    expect(viaRest.json.error).toMatchObject({ code: 'DOWNSTREAM_SERVICE_ERROR', message: 'Service "products" is unreachable' });
    const entity = await graphql('entity fetch down', '{ search(query: "lamp", first: 1) { hits { product { name } } } }');
    expect(entity.status).toBeLessThan(500);
  });

  it('hides internal addresses when the connection proxy is down, over GraphQL and REST (last: it stops the proxy)', async () => {
    await platform.dbProxy.close();
    const viaGraph = await graphql('proxy down', '{ search(query: "lamp") { totalCount } }');
    expect(viaGraph.json.errors?.length).toBeGreaterThan(0);
    const viaRest = await get('REST proxy down', '/api/orders/ord_1', as('prod-ana'));
    expect(viaRest.status).toBeGreaterThanOrEqual(500);
    const place = await graphql(
      'proxy down placeOrder',
      'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      { input: { idempotencyKey: 'prod-down', items: [{ productId: 'prod_0001', quantity: 1 }] } },
      as('prod-ana'),
    );
    expect(place.json.errors?.length).toBeGreaterThan(0);
  });

  it('has seen answers to check (the leak check ran on something)', () => {
    expect(answers.length).toBeGreaterThan(20);
    // The checker itself finds what it looks for.
    expect(leaksIn(`connect ECONNREFUSED ${internals.urls[0]}`, internals)).not.toEqual([]);
    expect(leaksIn('relation "orders" does not exist', internals)).not.toEqual([]);
    expect(leaksIn('Error: x\n    at run (/app/dist/x.js:10:5)', internals)).not.toEqual([]);
  });
});
