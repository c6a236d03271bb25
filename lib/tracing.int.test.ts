/**
 * Tracing with OTEL_EXPORTER_OTLP_ENDPOINT: spans reach an OTLP/HTTP collector (a local HTTP server
 * here) at <endpoint>/v1/traces under the service's own name; without an endpoint there is no tracing.
 */
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createTracing } from './tracing.js';

test('spans are exported to the OTLP endpoint under the service name', async () => {
  const received: { path?: string; body: string }[] = [];
  const collector = createServer((req, res) => {
    let body = '';
    req.setEncoding('latin1');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ path: req.url, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  collector.listen(0, '127.0.0.1');
  await once(collector, 'listening');
  try {
    const { port } = collector.address() as AddressInfo;
    const tracing = createTracing({ service: 'orders', otlpEndpoint: `http://127.0.0.1:${port}/` })!;
    tracing.startSpan('exported span').end();
    await tracing.shutdown();
    expect(received).toHaveLength(1);
    expect(received[0]!.path).toBe('/v1/traces');
    expect(received[0]!.body).toContain('exported span');
    expect(received[0]!.body).toContain('orders');
  } finally {
    collector.close();
  }
});

test('without an endpoint or exporter, tracing is off', () => {
  expect(createTracing({ service: 'orders' })).toBeUndefined();
});
