/**
 * One subgraph down is not an outage: per-subgraph timeouts, retries of reads (never of mutations),
 * the circuit breaker through a subgraph's death and restart, partial results, and deduplication of
 * identical concurrent reads, all over real HTTP with small real subgraphs (catalog and inventory,
 * sharing Product; inventory's Product.stock is non-null, so a failed inventory fetch nulls the
 * product it belongs to and nothing else).
 */
import { createLogger } from '../../../lib/logger.js';
import { loadGatewayConfig } from '../../config.js';
import { startGateway, type RunningGateway } from '../../server.js';
import { INVENTORY, startTestSubgraph, startTestSupergraph, type TestSubgraph, type TestSupergraph } from '../../testing/testSubgraphs.js';
import { bearer } from '../../testing/testTokens.js';

const logger = createLogger('gateway', 'silent');

let supergraph: TestSupergraph;

beforeAll(async () => {
  supergraph = await startTestSupergraph();
});

afterAll(async () => {
  await supergraph?.close();
});

interface GraphQLBody {
  data?: Record<string, any> | null;
  errors?: { message: string; path?: unknown; extensions?: Record<string, unknown> }[];
}

async function startTestGateway(env: Record<string, string>, urls: Record<string, string> = supergraph.subgraphUrls) {
  return startGateway(
    loadGatewayConfig({
      GATEWAY_PORT: '0',
      GATEWAY_HOST: '127.0.0.1',
      SUPERGRAPH_CONFIG: supergraph.configPath,
      SUPERGRAPH_WATCH: 'false',
      SUBGRAPH_URLS: Object.entries(urls)
        .map(([name, url]) => `${name}=${url}`)
        .join(','),
      LOG_LEVEL: 'silent',
      ...env,
    }),
    { logger },
  );
}

async function graphql(
  gateway: RunningGateway,
  query: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: GraphQLBody; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as GraphQLBody;
  return { status: response.status, body, ms: performance.now() - started };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Requests that reached a subgraph while `run` ran. */
async function requestsDuring(subgraph: TestSubgraph, run: () => Promise<unknown>): Promise<number> {
  const before = subgraph.requests.length;
  await run();
  return subgraph.requests.length - before;
}

const CATALOG_PRODUCTS = [
  { id: 'p1', name: 'Espresso Cup' },
  { id: 'p2', name: 'Milk Jug' },
];

describe('per-subgraph timeouts', () => {
  let gateway: RunningGateway;

  afterEach(async () => {
    await gateway?.close();
  });

  it('cuts a slow subgraph off at its own timeout, with GATEWAY_TIMEOUT naming it', async () => {
    gateway = await startTestGateway({ SUBGRAPH_TIMEOUT_MS: '5000', SUBGRAPH_TIMEOUTS: 'inventory=300', SUBGRAPH_RETRIES: '0' });
    const fast = await graphql(gateway, '{ slow(ms: 20) }');
    expect(fast.body).toEqual({ data: { slow: 20 } });

    const slow = await graphql(gateway, '{ products { id name } slow(ms: 1500) }');
    expect(slow.status).toBe(200);
    expect(slow.body.errors).toEqual([
      {
        message: 'Subgraph "inventory" did not answer within 300 ms',
        extensions: expect.objectContaining({ code: 'GATEWAY_TIMEOUT', serviceName: 'inventory', reason: 'TIMEOUT' }),
      },
    ]);
    expect(slow.ms).toBeLessThan(1_200);
  });

  it('lets a subgraph with a longer timeout than the default take its time', async () => {
    gateway = await startTestGateway({ SUBGRAPH_TIMEOUT_MS: '200', SUBGRAPH_TIMEOUTS: 'inventory=5000', SUBGRAPH_RETRIES: '0' });
    const { body } = await graphql(gateway, '{ slow(ms: 700) }');
    expect(body).toEqual({ data: { slow: 700 } });
  });
});

describe('retries', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ SUBGRAPH_RETRIES: '2', SUBGRAPH_RETRY_BASE_MS: '20', BREAKER_FAILURE_THRESHOLD: '100' });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  afterEach(() => {
    supergraph.catalog.answerNextWith({ status: 200, contentType: 'text/plain', body: '' }, 0);
    supergraph.catalog.dropNextRequests(0);
  });

  const unavailable = { status: 503, contentType: 'text/plain', body: 'restarting' };

  it('repeats a query after transient failures (503, dropped connection) until it succeeds', async () => {
    supergraph.catalog.answerNextWith(unavailable, 2);
    let result: Awaited<ReturnType<typeof graphql>> | undefined;
    expect(await requestsDuring(supergraph.catalog, async () => (result = await graphql(gateway, '{ products { id name } }')))).toBe(3);
    expect(result!.body).toEqual({ data: { products: CATALOG_PRODUCTS } });

    supergraph.catalog.dropNextRequests(2);
    expect(await requestsDuring(supergraph.catalog, async () => (result = await graphql(gateway, '{ products { id } }')))).toBe(3);
    expect(result!.body.errors).toBeUndefined();
  });

  it('gives up after SUBGRAPH_RETRIES and reports the last failure', async () => {
    supergraph.catalog.answerNextWith(unavailable, 5);
    let result: Awaited<ReturnType<typeof graphql>> | undefined;
    expect(await requestsDuring(supergraph.catalog, async () => (result = await graphql(gateway, '{ products { id } }')))).toBe(3);
    expect(result!.body.errors?.[0]).toMatchObject({
      message: 'Subgraph "catalog" answered HTTP 503',
      extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'catalog', httpStatus: 503 },
    });
  });

  it('does not repeat a query the subgraph refused with a 4xx', async () => {
    supergraph.catalog.answerNextWith({ status: 400, contentType: 'application/json', body: '{"errors":[{"message":"no"}]}' }, 3);
    expect(await requestsDuring(supergraph.catalog, () => graphql(gateway, '{ products { id } }'))).toBe(1);
  });

  it('sends a mutation exactly once, even when the subgraph fails transiently', async () => {
    supergraph.catalog.answerNextWith(unavailable, 3);
    let result: Awaited<ReturnType<typeof graphql>> | undefined;
    const mutation = 'mutation { renameProduct(id: "p9", name: "Tamper") { id } }';
    expect(await requestsDuring(supergraph.catalog, async () => (result = await graphql(gateway, mutation)))).toBe(1);
    expect(result!.status).toBe(200);
    expect(result!.body.errors?.[0].extensions).toMatchObject({ serviceName: 'catalog', httpStatus: 503 });

    supergraph.catalog.answerNextWith(unavailable, 0);
    supergraph.catalog.dropNextRequests(3);
    expect(await requestsDuring(supergraph.catalog, async () => (result = await graphql(gateway, mutation)))).toBe(1);
    expect(result!.body.errors?.[0]).toMatchObject({
      message: 'Subgraph "catalog" is unreachable',
      extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'catalog' },
    });
  });
});

describe('a subgraph that dies and comes back', () => {
  const COOLDOWN_MS = 1_500;
  let inventory: TestSubgraph;
  let gateway: RunningGateway;
  // Catalog data plus inventory's stock: with inventory down, `products` still comes back and only
  // `product` (which needs stock) is null.
  const MIXED = '{ products { id name } product(id: "p1") { name stock } }';

  beforeAll(async () => {
    inventory = await startTestSubgraph(INVENTORY);
    gateway = await startTestGateway(
      { SUBGRAPH_RETRIES: '0', BREAKER_FAILURE_THRESHOLD: '3', BREAKER_COOLDOWN_MS: String(COOLDOWN_MS) },
      { ...supergraph.subgraphUrls, inventory: inventory.graphqlUrl },
    );
  });

  afterAll(async () => {
    await gateway?.close();
    await inventory?.close();
  });

  async function ready() {
    const response = await fetch(`${gateway.url}/ready`);
    return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } };
  }

  it('answers in full while the subgraph is up', async () => {
    const { body } = await graphql(gateway, MIXED);
    expect(body).toEqual({ data: { products: CATALOG_PRODUCTS, product: { name: 'Espresso Cup', stock: 12 } } });
    expect((await ready()).body.checks).toEqual({ catalog: 'ok', inventory: 'ok' });
  });

  it('returns the healthy subgraph\'s data and a null with an error naming the dead one', async () => {
    await inventory.close();
    for (let i = 0; i < 3; i++) {
      const { status, body } = await graphql(gateway, MIXED);
      expect(status).toBe(200);
      expect(body.data).toEqual({ products: CATALOG_PRODUCTS, product: null });
      expect(body.errors).toEqual([
        expect.objectContaining({
          message: 'Subgraph "inventory" is unreachable',
          extensions: expect.objectContaining({ code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'inventory' }),
        }),
      ]);
    }
  });

  it('fails fast with SERVICE_UNAVAILABLE once the circuit is open, and says so in /ready', async () => {
    const { status, body } = await graphql(gateway, MIXED);
    expect(status).toBe(200);
    expect(body.data).toEqual({ products: CATALOG_PRODUCTS, product: null });
    expect(body.errors).toEqual([
      {
        message: 'Subgraph "inventory" is unavailable: calls to it are paused after repeated failures',
        extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', serviceName: 'inventory', reason: 'CIRCUIT_OPEN' }),
      },
    ]);
    const readiness = await ready();
    expect(readiness.status).toBe(503);
    expect(readiness.body.checks).toEqual({ catalog: 'ok', inventory: 'circuit open' });
  });

  it('sends nothing to the subgraph while the circuit is open, even once it is back', async () => {
    inventory = await startTestSubgraph(INVENTORY, { port: inventory.port });
    const { body } = await graphql(gateway, MIXED);
    expect(body.errors?.[0].extensions?.reason).toBe('CIRCUIT_OPEN');
    expect(inventory.requests).toHaveLength(0);
  });

  it('after the cool-down lets exactly one probe through, and closes the circuit when it succeeds', async () => {
    await sleep(COOLDOWN_MS);
    inventory.delayRequests(400);
    // Different queries, so deduplication does not merge them: only the probe reaches the subgraph.
    const results = await Promise.all([1, 2, 3].map((n) => graphql(gateway, `{ slow(ms: ${n}) }`)));
    inventory.delayRequests(0);
    expect(inventory.requests).toHaveLength(1);
    const answered = results.filter((r) => !r.body.errors);
    const refused = results.filter((r) => r.body.errors?.[0].extensions?.reason === 'CIRCUIT_OPEN');
    expect([answered.length, refused.length]).toEqual([1, 2]);

    const { body } = await graphql(gateway, MIXED);
    expect(body).toEqual({ data: { products: CATALOG_PRODUCTS, product: { name: 'Espresso Cup', stock: 12 } } });
    expect((await ready()).body.checks).toEqual({ catalog: 'ok', inventory: 'ok' });
  });

  it('reopens when the probe fails', async () => {
    await inventory.close();
    for (let i = 0; i < 3; i++) await graphql(gateway, MIXED);
    expect((await graphql(gateway, MIXED)).body.errors?.[0].extensions?.reason).toBe('CIRCUIT_OPEN');
    await sleep(COOLDOWN_MS);
    const probe = await graphql(gateway, MIXED);
    expect(probe.body.errors?.[0].extensions).toMatchObject({ code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'inventory' });
    const next = await graphql(gateway, MIXED);
    expect(next.body.errors?.[0].extensions?.reason).toBe('CIRCUIT_OPEN');
    inventory = await startTestSubgraph(INVENTORY, { port: inventory.port });
  });
});

describe('deduplication of identical concurrent reads', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({});
  });

  afterAll(async () => {
    await gateway?.close();
  });

  afterEach(() => {
    supergraph.catalog.delayRequests(0);
    supergraph.inventory.delayRequests(0);
  });

  it('makes one subgraph call for N identical concurrent queries, and every caller gets the answer', async () => {
    let results: Awaited<ReturnType<typeof graphql>>[] = [];
    const calls = await requestsDuring(supergraph.inventory, async () => {
      results = await Promise.all(Array.from({ length: 5 }, () => graphql(gateway, '{ slow(ms: 300) }')));
    });
    expect(calls).toBe(1);
    expect(results.map((r) => r.body)).toEqual(Array(5).fill({ data: { slow: 300 } }));
  });

  it('makes separate calls for different identities, and nobody sees another caller\'s data', async () => {
    const query = '{ caller { subject } slow(ms: 300) }';
    const asUser = (subject: string) => graphql(gateway, query, bearer(subject));
    let results: Awaited<ReturnType<typeof graphql>>[] = [];
    const calls = await requestsDuring(supergraph.inventory, async () => {
      results = await Promise.all([asUser('ann'), asUser('bob'), asUser('ann'), asUser('bob'), graphql(gateway, query)]);
    });
    expect(calls).toBe(3);
    expect(results.map((r) => r.body.data?.caller.subject)).toEqual(['ann', 'bob', 'ann', 'bob', null]);
  });

  it('makes separate calls for different variables or queries', async () => {
    const calls = await requestsDuring(supergraph.inventory, () =>
      Promise.all([graphql(gateway, '{ slow(ms: 301) }'), graphql(gateway, '{ slow(ms: 302) }')]),
    );
    expect(calls).toBe(2);
  });

  it('never merges mutations', async () => {
    supergraph.catalog.delayRequests(300);
    const mutation = 'mutation { renameProduct(id: "p3", name: "Tamper") { id name } }';
    const mutations = await requestsDuring(supergraph.catalog, () =>
      Promise.all(Array.from({ length: 3 }, () => graphql(gateway, mutation))),
    );
    expect(mutations).toBe(3);
    // The same overlap with a query does merge, so the count above is not an accident of timing.
    const queries = await requestsDuring(supergraph.catalog, () =>
      Promise.all(Array.from({ length: 3 }, () => graphql(gateway, '{ product(id: "p3") { name } }'))),
    );
    expect(queries).toBe(1);
  });

  it('does not hand a read that started before a write to a caller that arrives after it', async () => {
    const read = '{ product(id: "p4") { name } }';
    supergraph.catalog.delayRequests(800);
    const before = supergraph.catalog.requests.length;
    const early = graphql(gateway, read);
    await sleep(150);
    supergraph.catalog.delayRequests(0);
    const write = await graphql(gateway, 'mutation { renameProduct(id: "p4", name: "Knock Box") { name } }');
    expect(write.body.errors).toBeUndefined();
    const late = await graphql(gateway, read);
    expect(late.body).toEqual({ data: { product: { name: 'Knock Box' } } });
    await early;
    // The early read, the write, and a read of its own for the late caller.
    expect(supergraph.catalog.requests.length - before).toBe(3);
  });
});
