/**
 * The platform's own services for the benchmark (connection proxy, products, orders, search, on a
 * fresh embedded database, or on PostgreSQL with DATABASE_URL), as one process the benchmark pins to
 * the load core; the gateway measured runs apart. Places one order for the benchmark's customer, then
 * prints one JSON line with the subgraph URLs and serves until killed. Secrets come from the
 * environment (JWT_SECRET, IDENTITY_SIGNING_SECRET), shared with the gateway under test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startPlatform } from '../../platform/startPlatform.js';
import { bearer } from '../../gateway/testing/testTokens.js';
import { BENCH_CUSTOMER } from '../queries.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-platform-'));
const platform = await startPlatform({
  env: {
    ...process.env,
    LOG_LEVEL: 'warn',
    GATEWAY_PORT: '0',
    GATEWAY_HOST: '127.0.0.1',
    DB_PROXY_PORT: '0',
    DB_PROXY_HOST: '127.0.0.1',
    PRODUCTS_PORT: '0',
    ORDERS_PORT: '0',
    SEARCH_PORT: '0',
    PGLITE_DATA_DIR: path.join(dir, 'data'),
    RATE_LIMIT: 'false',
    RESPONSE_CACHE: 'false',
    SUPERGRAPH_WATCH: 'false',
  },
  watchSupergraph: false,
});
const order = await fetch(`${platform.gateway.url}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...bearer(BENCH_CUSTOMER, [], process.env.JWT_SECRET) },
  body: JSON.stringify({
    query: 'mutation { placeOrder(input: { idempotencyKey: "bench-1", items: [{ productId: "prod_0001", quantity: 1 }, { productId: "prod_0002", quantity: 2 }] }) { id } }',
  }),
});
const placed = (await order.json()) as { errors?: unknown };
if (placed.errors) throw new Error(`could not place the benchmark's order: ${JSON.stringify(placed.errors)}`);

process.stdout.write(`${JSON.stringify({ subgraphs: Object.fromEntries([...platform.subgraphs].map(([name, s]) => [name, s.graphqlUrl])) })}\n`);
const stop = () => {
  void platform
    .close()
    .then(() => rm(dir, { recursive: true, force: true }))
    .finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
