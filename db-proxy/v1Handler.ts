/**
 * The proxy's /v1 endpoints on plain node:http. Every statement a service runs passes through here,
 * so this path does without express's per-request machinery (router, prototype swaps, ETag hashing),
 * which cost more CPU than the database round trip itself (bench/proxy/README.md). It keeps what the
 * express app did, in the same order: request id and one log line per request, the credential
 * checked before the body is read, body limit, the same 4xx answers, and the one error body shape.
 * Bodies are read by lib/jsonBody.ts, which hands the ones it does not take (compressed, another
 * charset, `application/*+json`) to express.json() as before.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import {
  DB_PROXY_HEADERS,
  batchRequestSchema,
  queryRequestSchema,
  transactionRequestSchema,
  type BatchResponse,
  type TransactionResponse,
} from '../lib/dbProtocol.js';
import { AppError } from '../lib/errors.js';
import { sendAppError, sendJson, toAppError } from '../lib/httpServer.js';
import { createJsonBodyReader } from '../lib/jsonBody.js';
import { isRequestId, REQUEST_ID_HEADER, requestIdOf, type Logger } from '../lib/logger.js';
import type { CredentialCheck } from './auth.js';
import { StatementPreparer, type StatementExecutor } from './executor.js';
import { ENDPOINTS, type Endpoint, type RequestStats } from './stats.js';
import type { DbProxyMetrics } from './metrics.js';
import { boundedMethod, statusClass } from '../lib/metrics.js';
import { markError, SpanKind, traceIdOf, type Span, type Tracing } from '../lib/tracing.js';
import { context, trace } from '@opentelemetry/api';

export interface V1HandlerOptions {
  serviceOf: CredentialCheck;
  /** Grows when a service is added while the proxy runs. */
  executors: ReadonlyMap<string, StatementExecutor>;
  stats: RequestStats;
  logger: Logger;
  /** Largest accepted body, in express/bytes notation ('2mb'). */
  bodyLimit: string;
  maxStatements: number;
  /** Statement latency and errors by caller, and the HTTP histogram for /v1. */
  metrics?: DbProxyMetrics;
  /** When set, every request is a SERVER span, a child of the caller's `traceparent`. */
  tracing?: Tracing;
}

export interface V1Handler {
  /** Whether the request is under /v1 (matched like express's app.use('/v1'): case-insensitive). */
  matches(req: IncomingMessage): boolean;
  handle(req: IncomingMessage, res: ServerResponse): void;
}

type Run = (service: string, executor: StatementExecutor, body: unknown, accepted: (count: number) => void) => Promise<unknown>;

export function createV1Handler(options: V1HandlerOptions): V1Handler {
  const { serviceOf, executors, stats, logger, maxStatements, metrics, tracing } = options;
  const readBody = createJsonBodyReader(options.bodyLimit);
  const preparer = new StatementPreparer();
  const prepareStatement = preparer.prepare.bind(preparer);

  const routes: Record<Endpoint, Run> = {
    query: async (_service, executor, body, accepted) => {
      const statement = prepareStatement(parseBody(body, queryRequestSchema), 0, false);
      accepted(1);
      return executor.query(statement);
    },
    batch: async (_service, executor, body, accepted) => {
      checkStatementCount(body, maxStatements);
      const request = parseBody(body, batchRequestSchema);
      const statements = request.statements.map((s, index) => prepareStatement(s, index, true));
      accepted(statements.length);
      const response: BatchResponse = { results: await executor.batch(statements, { ordered: request.ordered }) };
      return response;
    },
    transaction: async (_service, executor, body, accepted) => {
      checkStatementCount(body, maxStatements);
      const request = parseBody(body, transactionRequestSchema);
      const statements = request.statements.map((s, index) => prepareStatement(s, index, true));
      accepted(statements.length);
      const response: TransactionResponse = {
        results: await executor.transaction(statements, { isolation: request.isolation, readOnly: request.readOnly }),
      };
      return response;
    },
  };

  async function serve(req: IncomingMessage, res: ServerResponse, path: string, log: LogFields): Promise<void> {
    let service: string;
    try {
      service = serviceOf(req.headers.authorization);
    } catch (err) {
      stats.unauthenticated();
      res.setHeader('WWW-Authenticate', 'Bearer realm="db-proxy"');
      throw err;
    }
    log.caller = service;
    // Counted as express counted it: by the exact path under /v1, routed case-insensitively.
    const sub = path.slice(3) || '/';
    const counted = req.method === 'POST' ? ENDPOINTS.find((e) => sub === `/${e}`) : undefined;
    stats.request(service, counted);
    const body = await readBody(req, res);
    const route = req.method === 'POST' ? routeOf(sub) : undefined;
    log.endpoint = route;
    if (!route) throw new AppError('NOT_FOUND', `No route for ${req.method} ${path}`);
    const result = await routes[route](service, executors.get(service)!, body, (count) => {
      log.statements = count;
      stats.statements(service, count);
    });
    sendJson(res, 200, result);
  }

  return {
    matches(req) {
      const url = req.url ?? '';
      return (
        url.length >= 3 &&
        url.charCodeAt(0) === 47 /* / */ &&
        (url.charCodeAt(1) | 32) === 118 /* v */ &&
        url.charCodeAt(2) === 49 /* 1 */ &&
        (url.length === 3 || url[3] === '/' || url[3] === '?')
      );
    },
    handle(req, res) {
      const started = process.hrtime.bigint();
      const requestId = requestIdOf(req);
      res.setHeader(REQUEST_ID_HEADER, requestId);
      const url = req.url ?? '/';
      const query = url.indexOf('?');
      const path = query < 0 ? url : url.slice(0, query);
      const log: LogFields = {};
      let span: Span | undefined;
      res.on('finish', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        if (metrics) observe(metrics, req.method ?? 'GET', res.statusCode, log, ms / 1e3);
        if (span) {
          span.updateName(`${req.method} ${log.endpoint ? `/v1/${log.endpoint}` : '/v1'}`);
          span.setAttribute('http.response.status_code', res.statusCode);
          if (log.caller) span.setAttribute('db.proxy.caller', log.caller);
          span.end();
        }
        // The same line as lib/logger.ts requestLogging() writes for every other route.
        logger.info(
          {
            reqId: requestId,
            method: req.method,
            path,
            status: res.statusCode,
            ms: Math.round(ms * 10) / 10,
            caller: log.caller,
            statements: log.statements,
            // The reads of several requests in one unordered batch (the kit client's coalescedReads.ts).
            coalescedRequestIds: coalescedRequestIdsOf(req.headers[DB_PROXY_HEADERS.coalescedRequestIds]),
            traceId: span ? span.spanContext().traceId : traceIdOf(req.headers),
          },
          'request',
        );
      });
      const fail = (err: unknown) => {
        log.errorCode = toAppError(err).code;
        if (span) markError(span, err);
        sendAppError(res, err, logger, { requestId, path });
      };
      if (!tracing) {
        serve(req, res, path, log).catch(fail);
        return;
      }
      const parent = tracing.extract(req.headers);
      span = tracing.startSpan(`${req.method} /v1`, { 'http.request.method': req.method }, parent, SpanKind.SERVER);
      context.with(trace.setSpan(parent, span), () => serve(req, res, path, log).catch(fail));
    },
  };

}

/** The well-formed ids of a coalesced batch's header (at most 100), for the log line; none: undefined. */
function coalescedRequestIdsOf(header: string | string[] | undefined): string[] | undefined {
  if (typeof header !== 'string') return undefined;
  const ids = header.split(',', 100).filter(isRequestId);
  return ids.length ? ids : undefined;
}

interface LogFields {
  caller?: string;
  statements?: number;
  endpoint?: Endpoint;
  /** The AppError code of a failed request. */
  errorCode?: string;
}

/** A finished /v1 request into the HTTP histogram and, once the caller is known, the statement metrics. */
function observe(metrics: DbProxyMetrics, method: string, status: number, log: LogFields, seconds: number): void {
  const route = log.endpoint ? `/v1/${log.endpoint}` : '/v1';
  metrics.httpRequests.observe({ method: boundedMethod(method), route, status: statusClass(status) }, seconds);
  if (!log.caller || !log.endpoint) return;
  const outcome = status < 400 ? 'success' : 'error';
  metrics.statements.observe({ caller: log.caller, endpoint: log.endpoint, outcome }, seconds);
  if (outcome === 'error') metrics.statementErrors.inc({ caller: log.caller, endpoint: log.endpoint, code: log.errorCode ?? 'UNKNOWN' });
}

/** The endpoint a path under /v1 routes to: case-insensitive, one trailing slash allowed (express's defaults). */
function routeOf(sub: string): Endpoint | undefined {
  const lower = sub.toLowerCase();
  const bare = lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
  return ENDPOINTS.find((e) => bare === `/${e}`);
}

function parseBody<S extends z.ZodType>(body: unknown, schema: S): z.output<S> {
  if (body === undefined) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send a JSON body with Content-Type: application/json');
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 20).map((issue) => ({
    path: issue.path.join('.'),
    message: issue.message,
  }));
  const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  throw new AppError('BAD_REQUEST', `Invalid request body: ${summary}`, { details: { issues } });
}

/** Checked before the body is validated in full, so an oversized list costs little. */
function checkStatementCount(body: unknown, maxStatements: number): void {
  const statements = (body as { statements?: unknown } | undefined)?.statements;
  if (Array.isArray(statements) && statements.length > maxStatements) {
    throw new AppError(
      'PAYLOAD_TOO_LARGE',
      `The request has ${statements.length} statements; at most ${maxStatements} are allowed per request (DB_MAX_STATEMENTS)`,
      { details: { statementCount: statements.length, maxStatements } },
    );
  }
}
