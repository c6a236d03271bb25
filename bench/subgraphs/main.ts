/**
 * Starts the four benchmark subgraphs in this process (the benchmark pins it to its own core) and a
 * control port: GET /stats (requests per subgraph since the last reset), POST /reset. Prints one JSON
 * line with the URLs, then serves until killed.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBenchData } from './data.js';
import { BENCH_SUBGRAPH_NAMES, benchSubgraphSchema } from './schemas.js';
import { startBenchSubgraph } from './server.js';

const data = createBenchData();
const servers = await Promise.all(BENCH_SUBGRAPH_NAMES.map((name) => startBenchSubgraph(name, benchSubgraphSchema(name, data))));

const control = createServer((req, res) => {
  if (req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(Object.fromEntries(servers.map((s) => [s.name, s.stats()]))));
  } else if (req.url === '/reset' && req.method === 'POST') {
    for (const server of servers) server.reset();
    res.writeHead(204).end();
  } else {
    res.writeHead(404).end();
  }
});
await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
process.stdout.write(`${JSON.stringify({ control: controlUrl, subgraphs: Object.fromEntries(servers.map((s) => [s.name, s.url])) })}\n`);
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
