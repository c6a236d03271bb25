/**
 * One subgraph down is not an outage, on the real platform: a subgraph is stopped while traffic
 * flows, the rest of the graph keeps answering, the failed part comes back as an error naming the
 * subgraph, the gateway's circuit opens and fails fast, and once the subgraph is started again on
 * the same port the circuit's probe lets traffic through again.
 */
import type { RunningSubgraph } from '../../subgraphs/kit/index.js';
import { loadOrdersConfig } from '../../subgraphs/orders/config.js';
import { startOrders } from '../../subgraphs/orders/service.js';
import { loadSearchConfig } from '../../subgraphs/search/config.js';
import { startSearch } from '../../subgraphs/search/service.js';
import { as, startTestPlatform, type TestPlatform } from '../support/platform.js';

const COOLDOWN_MS = 1_000;

let platform: TestPlatform;
/** Services started again by the tests; closed before the platform. */
const restarted: RunningSubgraph[] = [];

beforeAll(async () => {
  platform = await startTestPlatform({
    BREAKER_FAILURE_THRESHOLD: '3',
    BREAKER_COOLDOWN_MS: String(COOLDOWN_MS),
    SUBGRAPH_RETRY_BASE_MS: '10',
    // Within their max-age, cached answers would be served through the outage: this suite is about what
    // the gateway does when a subgraph is actually called and fails.
    RESPONSE_CACHE: 'false',
  });
}, 120_000);

afterAll(async () => {
  for (const service of restarted) await service.close();
  await platform?.close();
});

type Result = { status: number; body: { data: any; errors?: any } };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readiness(): Promise<Record<string, string>> {
  const response = await fetch(`${platform.gateway.url}/ready`);
  return ((await response.json()) as { checks: Record<string, string> }).checks;
}

/** Retries an assertion until it passes or the time is up. */
async function eventually(assertion: () => Promise<void>, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

/** Sends the queries round and round from a few concurrent clients until stopped, tagging each result with the phase. */
function startTraffic(queries: Record<string, string>) {
  const results: { phase: string; query: string; result: Result }[] = [];
  let phase = 'before';
  let running = true;
  const client = async (offset: number) => {
    for (let i = offset; running; i++) {
      const names = Object.keys(queries);
      const query = names[i % names.length];
      const sentIn = phase;
      const result = await platform.graphql(queries[query]);
      // A request that straddles a change of phase belongs to neither.
      if (sentIn === phase) results.push({ phase, query, result });
    }
  };
  const clients = [0, 1, 2].map(client);
  return {
    results,
    set phase(next: string) {
      phase = next;
    },
    async stop() {
      running = false;
      await Promise.all(clients);
    },
  };
}

describe('the search subgraph dies mid-traffic and comes back', () => {
  it('keeps the rest of the graph answering, names search in the errors, and recovers after the cool-down', async () => {
    const { body: catalog } = await platform.graphql('{ products(first: 1) { nodes { id name } } }');
    const word = (catalog.data.products.nodes[0].name as string).split(/\s+/)[0];
    const queries = {
      products: '{ products(first: 3) { totalCount nodes { id name price { formatted } } } }',
      search: `{ search(query: ${JSON.stringify(word)}, first: 3) { totalCount hits { product { name stock } } } }`,
      productsAndSearch: `{ products(first: 2) { nodes { name } } search(query: ${JSON.stringify(word)}) { totalCount } }`,
    };
    const traffic = startTraffic(queries);
    try {
      await sleep(500);
      const port = platform.search.port;
      traffic.phase = 'stopping';
      await platform.search.close();
      traffic.phase = 'down';
      await eventually(async () => expect((await readiness()).search).toBe('circuit open'), 5_000);
      await sleep(300);

      traffic.phase = 'restarting';
      const search = await startSearch(loadSearchConfig({ ...platform.env, SEARCH_PORT: String(port) }));
      restarted.push(search);
      const back = Date.now();
      await eventually(async () => {
        const { body } = await platform.graphql(queries.search);
        expect(body.errors).toBeUndefined();
      }, COOLDOWN_MS + 5_000);
      const recoveredAfterMs = Date.now() - back;
      traffic.phase = 'after';
      await sleep(500);
      await traffic.stop();

      expect(recoveredAfterMs).toBeLessThan(COOLDOWN_MS + 5_000);
      expect(await readiness()).toEqual({ products: 'ok', orders: 'ok', search: 'ok' });
    } finally {
      await traffic.stop();
    }

    const { results } = traffic;
    const inPhase = (phase: string, query?: string) =>
      results.filter((r) => r.phase === phase && (query === undefined || r.query === query));
    // No request ever failed as a whole: HTTP 200 throughout.
    expect(results.filter((r) => r.result.status !== 200)).toEqual([]);
    for (const phase of ['before', 'after']) {
      expect(inPhase(phase).length).toBeGreaterThan(3);
      expect(inPhase(phase).filter((r) => r.result.body.errors)).toEqual([]);
    }

    // While search was down: queries that do not touch it answered in full ...
    const down = inPhase('down');
    expect(inPhase('down', 'products').length).toBeGreaterThan(3);
    for (const { result } of inPhase('down', 'products')) {
      expect(result.body.errors).toBeUndefined();
      expect(result.body.data.products.nodes).toHaveLength(3);
    }
    // ... and those that do got an error naming search with a stable code. `search` is non-null in
    // the contract, so its null takes the whole `data` with it, by GraphQL's null propagation.
    const touchingSearch = down.filter((r) => r.query !== 'products');
    expect(touchingSearch.length).toBeGreaterThan(3);
    const codes = new Set<unknown>();
    for (const { result } of touchingSearch) {
      expect(result.body.data).toBeNull();
      expect(result.body.errors).toHaveLength(1);
      expect(result.body.errors[0].extensions.serviceName).toBe('search');
      codes.add(result.body.errors[0].extensions.code);
    }
    // Every call failed fast on the open circuit once the outage was known.
    expect([...codes]).toContain('SERVICE_UNAVAILABLE');
    expect([...codes].every((code) => ['SERVICE_UNAVAILABLE', 'DOWNSTREAM_SERVICE_ERROR'].includes(code as string))).toBe(true);
  }, 60_000);
});

describe('partial results from the real subgraphs', () => {
  it('returns products data with a null order and an error naming orders while orders is down', async () => {
    const customer = as('outage-customer');
    const { body: catalog } = await platform.graphql('{ products(first: 50) { nodes { id stock } } }');
    const inStock = (catalog.data.products.nodes as { id: string; stock: number }[]).find((p) => p.stock > 0)!;
    const placed = await platform.graphql(
      'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      { input: { idempotencyKey: 'outage-1', items: [{ productId: inStock.id, quantity: 1 }] } },
      customer,
    );
    expect(placed.body.errors).toBeUndefined();
    const orderId = placed.body.data.placeOrder.id as string;
    const query = 'query ($id: ID!) { products(first: 2) { nodes { id } } order(id: $id) { id status } }';

    const up = await platform.graphql(query, { id: orderId }, customer);
    expect(up.body.errors).toBeUndefined();
    expect(up.body.data.order).toEqual({ id: orderId, status: expect.any(String) });

    const port = platform.orders.port;
    await platform.orders.close();
    const down = await platform.graphql(query, { id: orderId }, customer);
    expect(down.status).toBe(200);
    expect(down.body.data.products.nodes).toHaveLength(2);
    expect(down.body.data.order).toBeNull();
    expect(down.body.errors).toEqual([
      expect.objectContaining({
        message: 'Subgraph "orders" is unreachable',
        extensions: expect.objectContaining({ code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'orders' }),
      }),
    ]);

    restarted.push(await startOrders(loadOrdersConfig({ ...platform.env, ORDERS_PORT: String(port) })));
    await eventually(async () => {
      const again = await platform.graphql(query, { id: orderId }, customer);
      expect(again.body.errors).toBeUndefined();
      expect(again.body.data.order).toEqual(up.body.data.order);
    }, COOLDOWN_MS + 5_000);
  }, 60_000);
});
