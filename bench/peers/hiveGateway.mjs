// Hive Gateway (@graphql-hive/gateway's runtime on node:http), as a peer in the benchmark. With
// ROUTER_RUNTIME=true it plans with @graphql-hive/router-runtime (the Rust query planner). Reads
// SUPERGRAPH_PATH and PORT; prints `ready <url>` once it serves. Lives in bench/peers with its own
// dependencies, which the project itself never loads.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';

const gateway = createGatewayRuntime({
  supergraph: readFileSync(process.env.SUPERGRAPH_PATH, 'utf8'),
  logging: 'error',
  ...(process.env.ROUTER_RUNTIME === 'true' ? { unifiedGraphHandler } : {}),
});
const server = createServer(gateway);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`ready http://127.0.0.1:${server.address().port}/graphql\n`);
});
process.on('SIGTERM', () => process.exit(0));
