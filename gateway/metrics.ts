/**
 * The gateway's Prometheus metrics (prom-client), served at GET /metrics in the text format. One
 * registry per gateway (never prom-client's global one), so two gateways in one process (tests,
 * workers) do not share counts. A feature that measures something gets its metric from here.
 */
import type { RequestHandler } from 'express';
import { Gauge, Registry } from 'prom-client';

export const METRICS_PATH = '/metrics';

export interface GatewayMetrics {
  readonly registry: Registry;
  /** WebSocket API connections open on this gateway process. */
  readonly websocketConnections: Gauge;
  /** GET /metrics. */
  readonly handler: RequestHandler;
}

export function createGatewayMetrics(): GatewayMetrics {
  const registry = new Registry();
  const websocketConnections = new Gauge({
    name: 'gateway_websocket_connections',
    help: 'WebSocket API connections open on this gateway process',
    registers: [registry],
  });
  const handler: RequestHandler = async (_req, res) => {
    res.setHeader('Content-Type', registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.end(await registry.metrics());
  };
  return { registry, websocketConnections, handler };
}
