// The floors under any proxy, served by one process on the proxy's core, never touching a database:
// - HTTP: a node:http server that answers the proxy's query endpoint with one canned product row (the
//   id asked for), and its batch endpoint with one such row per statement. The benchmark sends it the
//   same calls through the same kit client: what the HTTP round trip alone costs.
// - TCP: a raw socket taking one JSON request per line and answering one JSON line with the same
//   canned row: the least any proxy process can add (a round trip to another process, no HTTP).
// Plain JavaScript, so no TypeScript loader runs in the measured process. Prints both addresses when ready.
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';

const row = {
  sku: 'SKU-0000',
  name: 'Benchmark product',
  description: 'A product row of the same shape and about the same size as the seeded catalog has.',
  category: 'Outdoors',
  price_cents: 12900,
  currency: 'EUR',
  stock: 42,
  weight_grams: 950,
  created_at: '2026-01-01T00:00:00.000000Z',
  updated_at: '2026-01-01T00:00:00.000000Z',
};
const fields = Object.keys({ id: '', ...row }).map((name) => ({ name, dataTypeID: 25 }));
const answer = ({ params }) => ({ rows: [{ id: params[0], ...row }], rowCount: 1, fields });

const http = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const text = JSON.stringify(body.statements ? { results: body.statements.map((s) => ({ ok: true, ...answer(s) })) } : answer(body));
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
});
http.keepAliveTimeout = 65_000;

const tcp = createTcpServer((socket) => {
  socket.setNoDelay(true);
  let pending = '';
  socket.on('data', (chunk) => {
    pending += chunk.toString('utf8');
    let end;
    let out = '';
    while ((end = pending.indexOf('\n')) !== -1) {
      out += `${JSON.stringify(answer(JSON.parse(pending.slice(0, end))))}\n`;
      pending = pending.slice(end + 1);
    }
    if (out) socket.write(out);
  });
  socket.on('error', () => {});
});

const listening = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
const [httpPort, tcpPort] = await Promise.all([listening(http), listening(tcp)]);
process.stdout.write(`${JSON.stringify({ msg: 'floors listening', url: `http://127.0.0.1:${httpPort}`, tcpPort })}\n`);
process.once('SIGTERM', () => {
  tcp.close();
  http.close(() => process.exit(0));
});
