/**
 * Prometheus metrics (prom-client) every service shares: one registry per running service (never
 * prom-client's global one, so the five services of `npm start` and the gateways of a test do not
 * share counts), GET /metrics in the text format, and the HTTP request histogram. A service adds its
 * own metrics to `registry`. Labels stay bounded: routes come from the router, never from the raw
 * path, and client-chosen names go through boundedLabel().
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { matchedRoute } from './matchedRoute.js';

export const METRICS_PATH = '/metrics';

/** Seconds; from 1 ms (a cached answer) to 10 s (the longest timeout). */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface ServiceMetrics {
  readonly registry: Registry;
  /** http_server_request_duration_seconds{method, route, status}. */
  readonly httpRequests: Histogram<'method' | 'route' | 'status'>;
  /** GET /metrics. */
  readonly handler: RequestHandler;
}

export interface ServiceMetricsOptions {
  /** Process metrics (CPU, memory, event loop lag, GC) with the `process_`/`nodejs_` prefixes. @default true */
  processMetrics?: boolean;
}

export function createServiceMetrics(service: string, options: ServiceMetricsOptions = {}): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const httpRequests = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'HTTP requests served, by method, route (the matched route, not the raw path) and status class',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const handler: RequestHandler = async (_req, res) => {
    res.setHeader('Content-Type', registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.end(await registry.metrics());
  };
  return { registry, httpRequests, handler };
}

/**
 * Times every request into `http_server_request_duration_seconds`. The route is the one the request
 * matched (lib/matchedRoute.ts: `/api/products/:id`, a mount path), or `unmatched` for 404s, so ids
 * never become labels. For plain node:http handlers; httpMetrics() is the same as express middleware.
 */
export function httpRequestTimer(metrics: ServiceMetrics): (req: IncomingMessage, res: ServerResponse) => void {
  const series = seriesOf(metrics.httpRequests);
  return (req, res) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      series(boundedMethod(req.method ?? 'GET'), routeLabel(req, res), statusClass(res.statusCode)).observe(seconds);
    });
  };
}

/** Express middleware: httpRequestTimer() for every request of an app. */
export function httpMetrics(metrics: ServiceMetrics) {
  const time = httpRequestTimer(metrics);
  return (req: Request, res: Response, next: NextFunction): void => {
    time(req, res);
    next();
  };
}

/**
 * A histogram's child per label values, looked up by one string instead of prom-client hashing a
 * labels object on every observation. The values must be bounded (they are the keys kept here).
 */
export function seriesOf<L extends string>(histogram: Histogram<L>): (...values: string[]) => Histogram.Internal<L> {
  const children = new Map<string, Histogram.Internal<L>>();
  return (...values) => {
    const key = values.join('\u0000');
    let child = children.get(key);
    if (!child) {
      child = histogram.labels(...values);
      children.set(key, child);
    }
    return child;
  };
}

function routeLabel(req: IncomingMessage, res: ServerResponse): string {
  return matchedRoute(req) ?? (res.statusCode === 404 ? 'unmatched' : 'other');
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

export function boundedMethod(method: string): string {
  return METHODS.has(method) ? method : 'OTHER';
}

export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

/**
 * A label from a client-chosen name (a GraphQL operation name): the first `max` distinct well-formed
 * names are kept as they are, later ones become `other`, malformed ones `invalid`, none `anonymous`.
 */
export function boundedLabel(max = 100): (name: string | null | undefined) => string {
  const seen = new Set<string>();
  return (name) => {
    if (!name) return 'anonymous';
    if (seen.has(name)) return name;
    if (!OPERATION_NAME.test(name)) return 'invalid';
    if (seen.size >= max) return 'other';
    seen.add(name);
    return name;
  };
}

const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;
