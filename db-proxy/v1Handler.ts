/**
 * The proxy's /v1 endpoints on plain node:http. Every statement a service runs passes through here,
 * so this path does without express's per-request machinery (router, prototype swaps, ETag hashing),
 * which cost more CPU than the database round trip itself (bench/proxy/README.md). It keeps what the
 * express app did, in the same order: request id and one log line per request, the credential
 * checked before the body is read, body limit, the same 4xx answers, and the one error body shape.
 * Bodies the fast reader does not take (compressed, another charset, `application/*+json`) go
 * through express.json() as before.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import {
  batchRequestSchema,
  queryRequestSchema,
  transactionRequestSchema,
  type BatchResponse,
  type TransactionResponse,
} from '../lib/dbProtocol.js';
import { AppError } from '../lib/errors.js';
import { jsonBody, toAppError } from '../lib/httpServer.js';
import { REQUEST_ID_HEADER, requestIdOf, type Logger } from '../lib/logger.js';
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
  const limit = byteSize(options.bodyLimit);
  const preparer = new StatementPreparer();
  const prepareStatement = preparer.prepare.bind(preparer);
  const slowBody = jsonBody(options.bodyLimit) as unknown as (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

  const routes: Record<Endpoint, Run> = {
    query: async (_service, executor, body, accepted) => {
      const statement = prepareStatement(parseBody(body, queryRequestSchema), 0, false);
      accepted(1);
      return executor.query(statement);
    },
    batch: async (_service, executor, body, accepted) => {
      checkStatementCount(body, maxStatements);
      const statements = parseBody(body, batchRequestSchema).statements.map((s, index) => prepareStatement(s, index, true));
      accepted(statements.length);
      const response: BatchResponse = { results: await executor.batch(statements) };
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

  const readBody = (req: IncomingMessage, res: ServerResponse): Promise<unknown> => {
    const headers = req.headers;
    // type-is's hasBody: no Transfer-Encoding and no Content-Length means no body at all.
    if (headers['transfer-encoding'] === undefined && Number.isNaN(Number(headers['content-length']))) {
      return Promise.resolve(undefined);
    }
    const encoding = headers['content-encoding'];
    if ((encoding !== undefined && encoding.toLowerCase() !== 'identity') || !PLAIN_JSON.test(headers['content-type'] ?? '')) {
      return new Promise((resolve, reject) => {
        const carrier = req as IncomingMessage & { body?: unknown };
        slowBody(req, res, (err) => (err ? reject(err) : resolve(carrier.body)));
      });
    }
    return readJson(req, limit);
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
            traceId: span ? span.spanContext().traceId : traceIdOf(req.headers),
          },
          'request',
        );
      });
      const fail = (err: unknown) => {
        log.errorCode = toAppError(err).code;
        if (span) markError(span, err);
        sendError(res, err, requestId, path);
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

  /** The same answer as lib/httpServer.ts errorHandler() gives. */
  function sendError(res: ServerResponse, err: unknown, requestId: string, path: string): void {
    const appError = toAppError(err);
    if (appError.status >= 500 && !(err instanceof AppError)) {
      logger.error({ err, reqId: requestId, path }, 'unhandled error');
    }
    if (appError.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(appError.retryAfterSeconds));
    if (res.headersSent) {
      res.end();
      return;
    }
    sendJson(res, appError.status, appError.toBody());
  }
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

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
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

// ---------------------------------------------------------------- the body

/** What the fast reader takes: JSON in UTF-8 (the charset JSON defaults to). */
const PLAIN_JSON = /^application\/json[ \t]*(?:;[ \t]*charset[ \t]*=[ \t]*(?:utf-8|"utf-8")[ \t]*)?$/i;

const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** '2mb' -> bytes, as the `bytes` package (express.json's limit) reads it. */
export function byteSize(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = /^((?:\d+)?\.?\d+)\s*(b|kb|mb|gb)?$/i.exec(value.trim());
  if (!match) throw new Error(`not a byte size: ${value}`);
  return Math.floor(Number(match[1]) * BYTE_UNITS[(match[2] ?? 'b').toLowerCase()]);
}

/** Errors shaped like body-parser's, so toAppError() answers them alike (413, 400). */
const bodyError = (type: string, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { type, ...extra });

/**
 * Reads a UTF-8 JSON body within `limit` bytes, parsed the way express.json({ strict: true }) does:
 * an empty body is `{}`, anything but an object or array is malformed. As body-parser does, the
 * rest of a refused body is read off before the answer, so the connection stays usable.
 */
function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    let failure: Error | undefined =
      declared !== undefined && declared > limit
        ? bodyError('entity.too.large', 'request entity too large', { limit, length: declared })
        : undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      if (failure) return;
      received += chunk.length;
      if (received > limit) {
        failure = bodyError('entity.too.large', 'request entity too large', { limit, length: received });
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      if (failure) return reject(failure);
      const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      try {
        resolve(parseStrictJson(raw.toString('utf8')));
      } catch (err) {
        reject(bodyError('entity.parse.failed', (err as Error).message));
      }
    };
    const onError = (err: Error) => {
      cleanup();
      reject(bodyError('request.aborted', err.message));
    };
    const onAborted = () => {
      cleanup();
      reject(bodyError('request.aborted', 'request aborted'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

function parseStrictJson(text: string): unknown {
  // iconv-lite, which body-parser decodes with, drops a byte order mark.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.length === 0) return {};
  if (body[0] !== '{' && body[0] !== '[') {
    const first = /^[\x20\x09\x0a\x0d]*([^\x20\x09\x0a\x0d]|$)/.exec(body)?.[1] ?? '';
    if (first !== '{' && first !== '[') throw strictViolation(body, first);
  }
  return JSON.parse(body);
}

/** body-parser's message for JSON that is not an object or array: V8's, as if the offending part were malformed. */
function strictViolation(body: string, first: string): SyntaxError {
  const index = body.indexOf(first);
  const partial = index !== -1 ? body.substring(0, index) + '#'.repeat(body.length - index) : '';
  try {
    JSON.parse(partial);
    return new SyntaxError('strict violation');
  } catch (err) {
    return new SyntaxError((err as Error).message.replace(/#+/g, (marks) => body.substring(index, index + marks.length)));
  }
}
