/**
 * Hot reload over real HTTP and real files: a gateway serving a supergraph file, and one composing a
 * supergraph.yaml, each watching its files. Traffic during a swap sees no failure; a broken
 * supergraph is refused with a log line naming the problem while the old one keeps serving; a
 * subgraph added to the yaml is picked up with its own routing URL.
 */
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { composeSubgraphs } from './compose.js';
import { loadGatewayConfig } from '../../config.js';
import { startGateway, type RunningGateway } from '../../server.js';
import { captureLogs, LOG_LEVELS, type CapturedLogger } from '../../testing/logCapture.js';
import {
  CATALOG,
  INVENTORY,
  startTestSubgraph,
  type TestSubgraph,
  type TestSubgraphDefinition,
} from '../../testing/testSubgraphs.js';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable"])';

/** The catalog subgraph as it runs: it already serves `description`, which the first supergraph leaves out. */
const CATALOG_WITH_DESCRIPTION: TestSubgraphDefinition = {
  name: 'catalog',
  sdl: CATALOG.sdl.replace('  name: String!\n}', '  name: String!\n  description: String!\n}'),
  resolvers: {
    ...CATALOG.resolvers,
    Product: {
      ...(CATALOG.resolvers.Product as object),
      description: (product: { name: string }) => `${product.name}, made by hand`,
    },
  },
};

const REVIEWS: TestSubgraphDefinition = {
  name: 'reviews',
  sdl: `${LINK}
type Product @key(fields: "id") {
  id: ID!
  reviews: [String!]!
}
`,
  resolvers: {
    Product: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id, reviews: [`Great ${ref.id}`] }),
    },
  },
};

const PRODUCT_QUERY = '{ product(id: "p1") { name stock } }';
const PRODUCT_DATA = { product: { name: 'Espresso Cup', stock: 12 } };
// Waits in the inventory subgraph, so it is in flight when a swap happens.
const SLOW_QUERY = '{ product(id: "p1") { name stock } slow(ms: 150) }';
const SLOW_DATA = { ...PRODUCT_DATA, slow: 150 };

interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

async function graphql(gateway: RunningGateway, query: string) {
  const response = await fetch(gateway.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLBody };
}

/** Writes a whole file in one step (a new file renamed over the old), so no half-written state is seen. */
async function writeAtomically(file: string, content: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, file);
}

/** Polls until `predicate` holds; fails with `what` after the deadline. */
async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function compose(catalogSdl: string) {
  return composeSubgraphs([
    { name: 'catalog', routingUrl: 'http://catalog.invalid/graphql', sdl: catalogSdl, sourceName: 'catalog.graphql' },
    { name: 'inventory', routingUrl: 'http://inventory.invalid/graphql', sdl: INVENTORY.sdl, sourceName: 'inventory.graphql' },
  ]).supergraphSdl;
}

const SUPERGRAPH_V1 = compose(CATALOG.sdl);
const SUPERGRAPH_V2 = compose(CATALOG_WITH_DESCRIPTION.sdl);

let dir: string;
let catalog: TestSubgraph;
let inventory: TestSubgraph;
let reviews: TestSubgraph;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gateway-reload-test-'));
  [catalog, inventory, reviews] = await Promise.all([
    startTestSubgraph(CATALOG_WITH_DESCRIPTION),
    startTestSubgraph(INVENTORY),
    startTestSubgraph(REVIEWS),
  ]);
});

afterAll(async () => {
  await Promise.all([catalog?.close(), inventory?.close(), reviews?.close()]);
  await rm(dir, { recursive: true, force: true });
});

function gatewayEnv(extra: Record<string, string>) {
  return {
    GATEWAY_PORT: '0',
    GATEWAY_HOST: '127.0.0.1',
    SUBGRAPH_URLS: `catalog=${catalog.graphqlUrl},inventory=${inventory.graphqlUrl}`,
    SUPERGRAPH_WATCH: 'true',
    LOG_LEVEL: 'info',
    // These tests poll the gateway fast; throttling has its own suite (rateLimit.int.test.ts).
    RATE_LIMIT: 'false',
    ...extra,
  };
}

describe('a supergraph file (SUPERGRAPH_PATH)', () => {
  let gateway: RunningGateway;
  let logs: CapturedLogger;
  let supergraphPath: string;

  beforeAll(async () => {
    await mkdir(path.join(dir, 'file'));
    supergraphPath = path.join(dir, 'file', 'supergraph.graphql');
    await writeFile(supergraphPath, SUPERGRAPH_V1);
    logs = captureLogs();
    gateway = await startGateway(loadGatewayConfig(gatewayEnv({ SUPERGRAPH_PATH: supergraphPath })), {
      logger: logs.logger,
    });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('swaps to a changed file under traffic: no request fails, and the new field works after', async () => {
    const before = gateway.supergraphHash();
    expect((await graphql(gateway, '{ product(id: "p1") { description } }')).status).toBe(400);

    const failures: unknown[] = [];
    let completed = 0;
    let inFlight = 0;
    let inFlightAtSwap = -1;
    let swappedAt = -1;
    logs.onLine = (line) => {
      if (line.msg === 'supergraph updated') inFlightAtSwap = inFlight;
    };
    const deadline = Date.now() + 20_000;
    // 8 clients in a loop; half of them hold a request open in a subgraph, so some are in flight at the swap.
    const client = async (slow: boolean) => {
      // Runs until well after the swap, bounded by the deadline.
      while (Date.now() < deadline && (swappedAt < 0 || completed < swappedAt + 80)) {
        inFlight++;
        try {
          const { status, body } = await graphql(gateway, slow ? SLOW_QUERY : PRODUCT_QUERY);
          if (status !== 200 || JSON.stringify(body) !== JSON.stringify({ data: slow ? SLOW_DATA : PRODUCT_DATA })) {
            failures.push({ status, body });
          }
        } catch (err) {
          failures.push(String(err));
        }
        inFlight--;
        completed++;
      }
    };
    const clients = Array.from({ length: 8 }, (_, i) => client(i % 2 === 0));

    await waitFor('traffic to start', () => completed >= 16);
    // An editor-style save: a temporary file renamed over the old one.
    await writeAtomically(supergraphPath, SUPERGRAPH_V2);
    await waitFor('the swap', () => gateway.supergraphHash() !== before);
    swappedAt = completed;
    await Promise.all(clients);

    expect(failures).toEqual([]);
    // Requests that started on the old supergraph were still running when it was swapped.
    expect(inFlightAtSwap).toBeGreaterThan(0);
    expect(completed).toBeGreaterThanOrEqual(swappedAt + 80);
    expect((await graphql(gateway, '{ product(id: "p1") { name description stock } }')).body).toEqual({
      data: { product: { name: 'Espresso Cup', description: 'Espresso Cup, made by hand', stock: 12 } },
    });

    const updated = logs.matching(/^supergraph updated$/);
    expect(updated).toHaveLength(1);
    expect(updated[0]).toMatchObject({
      level: LOG_LEVELS.info,
      hash: gateway.supergraphHash(),
      previousHash: before,
      subgraphs: ['catalog', 'inventory'],
    });
    // Apollo's own swap message is not logged next to ours at info.
    expect(logs.matching(/Updated Supergraph SDL/).filter((l) => l.level >= LOG_LEVELS.info)).toEqual([]);
  });

  it('refuses a file that is not valid GraphQL, and keeps serving', async () => {
    const serving = gateway.supergraphHash();
    const refusals = logs.matching(/supergraph update refused/).length;
    await writeFile(supergraphPath, SUPERGRAPH_V2.slice(0, SUPERGRAPH_V2.length / 2));
    await waitFor('the refusal', () => logs.matching(/supergraph update refused/).length > refusals);

    const refusal = logs.matching(/supergraph update refused/).at(-1)!;
    expect(refusal.level).toBe(LOG_LEVELS.error);
    expect(refusal.msg).toMatch(new RegExp(`^supergraph update refused, still serving ${serving}: invalid supergraph: Syntax Error`));
    expect(refusal).toMatchObject({ reason: 'invalid', source: supergraphPath, servingHash: serving });
    expect(gateway.supergraphHash()).toBe(serving);
    expect((await graphql(gateway, '{ product(id: "p1") { description } }')).body).toEqual({
      data: { product: { description: 'Espresso Cup, made by hand' } },
    });
  });

  it('refuses valid GraphQL that is not a supergraph, and takes the next good file', async () => {
    const serving = gateway.supergraphHash();
    const refusals = logs.matching(/supergraph update refused/).length;
    await writeAtomically(supergraphPath, 'type Query { hello: String }\n');
    await waitFor('the refusal', () => logs.matching(/supergraph update refused/).length > refusals);
    expect(logs.matching(/supergraph update refused/).at(-1)!.msg).toMatch(/invalid supergraph: must be a core schema/i);
    expect((await graphql(gateway, PRODUCT_QUERY)).body).toEqual({ data: PRODUCT_DATA });

    await writeFile(supergraphPath, SUPERGRAPH_V1);
    await waitFor('the swap back', () => gateway.supergraphHash() !== serving);
    expect((await graphql(gateway, '{ product(id: "p1") { description } }')).status).toBe(400);
  });
});

describe('a supergraph.yaml composed by the gateway (SUPERGRAPH_CONFIG)', () => {
  let gateway: RunningGateway;
  let logs: CapturedLogger;
  let yamlDir: string;
  let configPath: string;

  const yaml = (extra = '') =>
    [
      'federation_version: =2.9.0',
      'subgraphs:',
      '  catalog:',
      '    routing_url: http://catalog.invalid/graphql',
      '    schema: { file: ./schemas/catalog.graphql }',
      '  inventory:',
      '    routing_url: http://inventory.invalid/graphql',
      '    schema: { file: ./schemas/inventory.graphql }',
      extra,
    ].join('\n');

  const refusalCount = () => logs.matching(/supergraph update refused/).length;
  const lastRefusal = () => logs.matching(/supergraph update refused/).at(-1)!;

  beforeAll(async () => {
    yamlDir = path.join(dir, 'yaml');
    await mkdir(path.join(yamlDir, 'schemas'), { recursive: true });
    await writeFile(path.join(yamlDir, 'schemas', 'catalog.graphql'), CATALOG.sdl);
    await writeFile(path.join(yamlDir, 'schemas', 'inventory.graphql'), INVENTORY.sdl);
    configPath = path.join(yamlDir, 'supergraph.yaml');
    await writeFile(configPath, yaml());
    logs = captureLogs();
    gateway = await startGateway(
      loadGatewayConfig(gatewayEnv({ SUPERGRAPH_CONFIG: configPath, SUPERGRAPH_HEALTH_CHECK: 'true' })),
      { logger: logs.logger },
    );
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('refuses subgraph schemas that do not compose, naming the subgraphs, and keeps serving', async () => {
    const serving = gateway.supergraphHash();
    const refusals = refusalCount();
    const inventoryFile = path.join(yamlDir, 'schemas', 'inventory.graphql');
    // Product.name in inventory too, with another type: the subgraphs no longer compose.
    await writeAtomically(inventoryFile, INVENTORY.sdl.replace('  stock: Int!', '  stock: Int!\n  name: Int!'));
    await waitFor('the refusal', () => refusalCount() > refusals);

    const refusal = lastRefusal();
    expect(refusal).toMatchObject({ level: LOG_LEVELS.error, reason: 'compose', source: configPath, servingHash: serving });
    expect(refusal.msg).toMatch(/^supergraph update refused, still serving \w+: Composition failed/);
    expect(refusal.msg).toContain('[catalog, inventory]');
    expect(refusal.problems).toEqual(
      expect.arrayContaining([expect.objectContaining({ subgraphs: ['catalog', 'inventory'] })]),
    );
    expect(gateway.supergraphHash()).toBe(serving);
    expect((await graphql(gateway, PRODUCT_QUERY)).body).toEqual({ data: PRODUCT_DATA });

    // Putting the file back is not a change of the served supergraph: nothing to swap, nothing logged.
    await writeAtomically(inventoryFile, INVENTORY.sdl);
    expect((await gateway.reloadSupergraph()).status).toBe('unchanged');
    expect(refusalCount()).toBe(refusals + 1);
  });

  it('refuses a subgraph whose health check fails (SUPERGRAPH_HEALTH_CHECK)', async () => {
    const serving = gateway.supergraphHash();
    const refusals = refusalCount();
    await writeAtomically(path.join(yamlDir, 'schemas', 'ghost.graphql'), `${LINK}\ntype Query { ghost: String }\n`);
    // Port 9 (discard) on loopback: nothing listens there.
    await writeAtomically(
      configPath,
      yaml('  ghost:\n    routing_url: http://127.0.0.1:9/graphql\n    schema: { file: ./schemas/ghost.graphql }\n'),
    );
    await waitFor('the refusal', () => refusalCount() > refusals);
    expect(lastRefusal()).toMatchObject({ reason: 'health-check' });
    expect(lastRefusal().msg).toMatch(/health check failed[\s\S]*\[ghost\]/);
    expect(gateway.supergraphHash()).toBe(serving);
    expect(gateway.subgraphs.map((s) => s.name)).toEqual(['catalog', 'inventory']);
  });

  it('picks up a new subgraph: its schema file may come after the yaml names it', async () => {
    const serving = gateway.supergraphHash();
    const refusals = refusalCount();
    await writeAtomically(
      configPath,
      yaml(`  reviews:\n    routing_url: ${reviews.graphqlUrl}\n    schema: { file: ./schemas/reviews.graphql }\n`),
    );
    await waitFor('the refusal', () => refusalCount() > refusals);
    expect(lastRefusal()).toMatchObject({ reason: 'read' });
    expect(lastRefusal().msg).toMatch(/subgraphs\.reviews\.schema\.file: schema file not found/);

    await writeAtomically(path.join(yamlDir, 'schemas', 'reviews.graphql'), REVIEWS.sdl);
    await waitFor('the swap', () => gateway.supergraphHash() !== serving);

    expect(gateway.subgraphs).toEqual([
      { name: 'catalog', url: catalog.graphqlUrl },
      { name: 'inventory', url: inventory.graphqlUrl },
      { name: 'reviews', url: reviews.graphqlUrl },
    ]);
    expect((await graphql(gateway, '{ product(id: "p2") { name stock reviews } }')).body).toEqual({
      data: { product: { name: 'Milk Jug', stock: 0, reviews: ['Great p2'] } },
    });
    const ready = await fetch(`${gateway.url}/ready`);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { catalog: 'ok', inventory: 'ok', reviews: 'ok' } });
    expect(logs.matching(/^supergraph updated$/).at(-1)).toMatchObject({
      subgraphs: ['catalog', 'inventory', 'reviews'],
      added: ['reviews'],
      removed: [],
    });
  });
});
