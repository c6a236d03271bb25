// The floor of the one-connection table: not a gateway but the least a gateway can do on its core,
// a node:http server that forwards each POST, unread, to one subgraph through an undici keep-alive
// pool and pipes the answer back. What it adds over calling the subgraph directly is the hop itself
// (the extra process, the loopback round trip, the wake-ups on another core).
// Reads TARGET_URL (the subgraph's /graphql), TARGET_BODY (the body to send it) and PORT; prints
// `ready <url>` once it serves.
import { createServer } from 'node:http';
import { Pool } from 'undici';

const target = new URL(process.env.TARGET_URL);
const body = process.env.TARGET_BODY;
const pool = new Pool(target.origin, { connections: 8, pipelining: 1 });
const server = createServer((req, res) => {
  req.resume();
  req.on('end', async () => {
    try {
      const answer = await pool.request({ path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await answer.body.text();
      res.writeHead(answer.statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    } catch (err) {
      res.writeHead(502).end(String(err));
    }
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`ready http://127.0.0.1:${server.address().port}/graphql\n`);
});
process.on('SIGTERM', () => process.exit(0));
