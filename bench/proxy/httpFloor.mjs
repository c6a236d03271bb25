// The floor under any HTTP proxy: a node:http server that answers the proxy's query endpoint with
// one canned product row (the id asked for), and its batch endpoint with one such row per statement,
// never touching a database. The proxy benchmark sends it
// the same calls through the same kit client, to show what the HTTP round trip alone costs.
// Plain JavaScript, so no TypeScript loader runs in the measured process. Prints its URL when ready.
import { createServer } from 'node:http';

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

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const answer = ({ params }) => ({ rows: [{ id: params[0], ...row }], rowCount: 1, fields });
    const text = JSON.stringify(body.statements ? { results: body.statements.map((s) => ({ ok: true, ...answer(s) })) } : answer(body));
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ msg: 'http floor listening', url: `http://127.0.0.1:${server.address().port}` })}\n`));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
