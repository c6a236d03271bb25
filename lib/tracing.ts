/**
 * OpenTelemetry tracing, one provider per service (`npm start` runs all five in one process, so a
 * global provider could name only one of them). A service with tracing off has no Tracing at all:
 * every call site checks `tracing` first, so no span, context or header work happens on its hot path.
 * W3C `traceparent` is read from and written to every hop with the one propagator here.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { NextFunction, Request, Response } from 'express';
import { matchedRoute, pathOf } from './matchedRoute.js';

export { SpanKind, type Context, type Span };

export interface TracingOptions {
  /** The service's `service.name` (gateway, products, orders, search, db-proxy). */
  service: string;
  /** OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT); spans go to `<endpoint>/v1/traces`. */
  otlpEndpoint?: string;
  /** An exporter of the caller's (tests: an in-memory one); spans are handed to it one by one. */
  exporter?: SpanExporter;
}

export interface Tracing {
  readonly service: string;
  readonly tracer: Tracer;
  /** Starts a span, a child of `parent` (default: the active context). */
  startSpan(name: string, attributes?: Attributes, parent?: Context, kind?: SpanKind): Span;
  /** Runs `fn` in a span that ends when it settles, marked as an error when it throws. */
  inSpan<T>(name: string, attributes: Attributes | undefined, fn: (span: Span) => Promise<T>, parent?: Context): Promise<T>;
  /** The caller's trace context from `traceparent`/`tracestate`, or an empty one. */
  extract(headers: IncomingHttpHeaders): Context;
  /** Writes `traceparent` (and `tracestate`) of `ctx` (default: the active context) into `headers`. */
  inject(headers: Record<string, string>, ctx?: Context): void;
  /** Flushes and stops the provider. */
  shutdown(): Promise<void>;
}

/** Undefined when tracing is off (no endpoint, no exporter). */
export function createTracing(options: TracingOptions): Tracing | undefined {
  const exporter = options.exporter ?? (options.otlpEndpoint ? otlpExporter(options.otlpEndpoint) : undefined);
  if (!exporter) return undefined;
  enableContextManager();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.service }),
    // A test's exporter sees each span as it ends; production batches them off the request path.
    spanProcessors: [options.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('federated-api-platform');
  const startSpan: Tracing['startSpan'] = (name, attributes, parent, kind = SpanKind.INTERNAL) =>
    tracer.startSpan(name, { kind, attributes }, parent ?? context.active());
  return {
    service: options.service,
    tracer,
    startSpan,
    async inSpan(name, attributes, fn, parent) {
      const span = startSpan(name, attributes, parent);
      try {
        return await context.with(trace.setSpan(parent ?? context.active(), span), () => fn(span));
      } catch (err) {
        markError(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
    extract: (headers) => propagator.extract(ROOT_CONTEXT, headers, headerGetter),
    inject(headers, ctx = context.active()) {
      propagator.inject(ctx, headers, {
        set: (carrier, key, value) => {
          carrier[key] = value;
        },
      });
    },
    shutdown: () => provider.shutdown(),
  };
}

export function markError(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

export const TRACEPARENT_HEADER = 'traceparent';
const TRACEPARENT_PATTERN = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The trace id in a caller's `traceparent`, for the log line of a service that does not trace itself. */
export function traceIdOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers[TRACEPARENT_HEADER];
  return typeof value === 'string' ? TRACEPARENT_PATTERN.exec(value)?.[1] : undefined;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by serverSpans(): the context of this request's server span, parent of the spans it starts. */
    traceContext?: Context;
  }
}

/**
 * A SERVER span for a request, a child of the caller's `traceparent`, ended when the response ends;
 * returns the context to run the rest of the request in (`req.traceContext` holds it too). The span
 * is named by the route the request matched (lib/matchedRoute.ts), never by the raw path of a
 * matched route (ids stay out of names). For plain node:http handlers; serverSpans() is the express
 * middleware.
 */
export function startServerSpan(tracing: Tracing, req: TracedRequest, res: ServerResponse): Context {
  const parent = tracing.extract(req.headers);
  const method = req.method ?? 'GET';
  const span = tracing.startSpan(method, { 'http.request.method': method }, parent, SpanKind.SERVER);
  const active = trace.setSpan(parent, span);
  req.traceContext = active;
  const path = pathOf(req.url);
  res.on('finish', () => {
    span.updateName(`${method} ${matchedRoute(req) ?? path}`);
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  return active;
}

/**
 * Express middleware: startServerSpan() for every request, its context active for the rest of the
 * request (also in body-parser's callbacks, whose events are bound to it).
 */
export function serverSpans(tracing: Tracing) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const active = startServerSpan(tracing, req, res);
    context.bind(active, req);
    context.with(active, next);
  };
}

/** A request that may carry its server span's context (set by startServerSpan()). */
export type TracedRequest = IncomingMessage & { traceContext?: Context };

/** The trace id a request's log line carries: its own span's, else the caller's. */
export function requestTraceId(req: TracedRequest): string | undefined {
  if (req.traceContext) return trace.getSpanContext(req.traceContext)?.traceId;
  return traceIdOf(req.headers);
}

const propagator = new W3CTraceContextPropagator();

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/**
 * The OTLP exporter, loaded only when tracing is on: merely importing it slowed every gateway request
 * by about 2 ms at one connection in the benchmark (npm run bench, small query), tracing on or off.
 */
function otlpExporter(endpoint: string): SpanExporter {
  const url = `${endpoint.replace(/\/$/, '')}/v1/traces`;
  const loading = import('@opentelemetry/exporter-trace-otlp-http').then(({ OTLPTraceExporter }) => new OTLPTraceExporter({ url }));
  return {
    export(spans, done) {
      loading.then(
        (exporter) => exporter.export(spans, done),
        (error: Error) => done({ code: ExportResultCode.FAILED, error }),
      );
    },
    shutdown: () => loading.then((exporter) => exporter.shutdown()),
    forceFlush: () => loading.then((exporter) => exporter.forceFlush()),
  };
}

// The active span travels in AsyncLocalStorage. That store is process-wide by nature, but it holds
// only the current context, never a service's name or provider, so the services of one process share it.
let contextManagerEnabled = false;
function enableContextManager(): void {
  if (contextManagerEnabled) return;
  contextManagerEnabled = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}
