/**
 * A small JSON-over-HTTP client for calls between our own services (subgraph -> db-proxy, orders ->
 * products): one keep-alive undici Pool per origin, with a timeout, the request id, and retries for
 * calls the caller marks as safe to repeat. Each call is one exchange (lib/httpExchange.ts). Failures become AppErrors with the registry's codes.
 */
import { Pool, type Dispatcher } from 'undici';
import { AppError, appErrorFromBody } from './errors.js';
import { exchange, type HttpReply } from './httpExchange.js';
import { REQUEST_ID_HEADER } from './logger.js';
import { markError, SpanKind, type Tracing } from './tracing.js';
import { context, trace } from '@opentelemetry/api';

export interface JsonHttpClientOptions {
  /** Origin and optional path prefix, e.g. http://127.0.0.1:4010 */
  baseUrl: string;
  /** Name of the service called, used in error messages. */
  target: string;
  /** Headers sent with every call (credentials). */
  headers?: Record<string, string>;
  /** @default 10000 */
  timeoutMs?: number;
  /** Attempts for calls marked `retry: true` (network errors, 502/503/504 answers). @default 3 */
  maxAttempts?: number;
  /** @default 32 */
  connections?: number;
  /** Replaces the keep-alive pool, e.g. to count or fail calls in tests. */
  dispatcher?: Dispatcher;
  /** When set, every call is a CLIENT span (retries included) under the active one and carries `traceparent`. */
  tracing?: Tracing;
}

export interface CallOptions {
  requestId?: string;
  /** Only for calls that change nothing or are idempotent. @default false */
  retry?: boolean;
  timeoutMs?: number;
  headers?: Record<string, string>;
}

export interface JsonHttpClient {
  post<T>(path: string, body: unknown, options?: CallOptions): Promise<T>;
  get<T>(path: string, options?: CallOptions): Promise<T>;
  close(): Promise<void>;
}

const RETRYABLE_STATUS = new Set([502, 503, 504]);
const RETRYABLE_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

export function createJsonHttpClient(options: JsonHttpClientOptions): JsonHttpClient {
  const base = new URL(options.baseUrl);
  const prefix = base.pathname.replace(/\/$/, '');
  const ownsDispatcher = !options.dispatcher;
  const dispatcher =
    options.dispatcher ??
    new Pool(base.origin, { connections: options.connections ?? 32, keepAliveTimeout: 30_000, pipelining: 1 });
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxAttempts = options.maxAttempts ?? 3;

  async function once<T>(method: 'GET' | 'POST', path: string, body: unknown, call: CallOptions, trace?: Record<string, string>): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers, ...call.headers, ...trace };
    if (call.requestId) headers[REQUEST_ID_HEADER] = call.requestId;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const timeout = call.timeoutMs ?? timeoutMs;
    let reply: HttpReply;
    try {
      reply = await exchange(dispatcher, { origin: base.origin, path: prefix + path, method, headers, body: payload, timeoutMs: timeout });
    } catch (err) {
      throw networkError(options.target, err, timeout);
    }
    const { text, status } = reply;
    let parsed: unknown;
    try {
      parsed = text.length ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (status >= 400) {
      const error = appErrorFromBody(status, parsed, `${options.target} answered HTTP ${status}`);
      (error as AppError & { httpStatus?: number }).httpStatus = status;
      throw error;
    }
    if (parsed === undefined && text.length) {
      throw new AppError('DOWNSTREAM_SERVICE_ERROR', `${options.target} answered with a body that is not JSON`);
    }
    return parsed as T;
  }

  async function call<T>(method: 'GET' | 'POST', path: string, body: unknown, call: CallOptions = {}, traceHeaders?: Record<string, string>): Promise<T> {
    const attempts = call.retry ? maxAttempts : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await once<T>(method, path, body, call, traceHeaders);
      } catch (err) {
        if (attempt >= attempts || !isTransient(err)) throw err;
        // Exponential backoff with full jitter, so retrying callers do not stampede a recovering service.
        const delay = Math.random() * Math.min(1_000, 50 * 2 ** attempt);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  const tracing = options.tracing;
  async function traced<T>(method: 'GET' | 'POST', path: string, body: unknown, opts: CallOptions | undefined): Promise<T> {
    const span = tracing!.startSpan(
      `${options.target} ${method} ${path}`,
      { 'http.request.method': method, 'server.address': base.hostname, 'peer.service': options.target },
      undefined,
      SpanKind.CLIENT,
    );
    const headers: Record<string, string> = {};
    tracing!.inject(headers, trace.setSpan(context.active(), span));
    try {
      return await call<T>(method, path, body, opts, headers);
    } catch (err) {
      markError(span, err);
      throw err;
    } finally {
      span.end();
    }
  }

  return {
    post: tracing ? (path, body, opts) => traced('POST', path, body, opts) : (path, body, opts) => call('POST', path, body, opts),
    get: tracing ? (path, opts) => traced('GET', path, undefined, opts) : (path, opts) => call('GET', path, undefined, opts),
    async close() {
      if (ownsDispatcher) await dispatcher.close();
    },
  };
}

function isTransient(err: unknown): boolean {
  if (!(err instanceof AppError)) return false;
  const status = (err as AppError & { httpStatus?: number }).httpStatus;
  if (status !== undefined) return RETRYABLE_STATUS.has(status);
  return err.details?.transient === true;
}

function networkError(target: string, err: unknown, timeoutMs: number): AppError {
  const e = err as { code?: string; name?: string; message?: string };
  if (e?.name === 'TimeoutError' || e?.code === 'UND_ERR_HEADERS_TIMEOUT' || e?.code === 'UND_ERR_BODY_TIMEOUT') {
    return new AppError('GATEWAY_TIMEOUT', `${target} did not answer within ${timeoutMs} ms`, {
      details: { target, transient: false },
      cause: err,
    });
  }
  // The message reaches clients: the network error's code, never its text (it names the address and port).
  return new AppError('DOWNSTREAM_SERVICE_ERROR', `${target} is unreachable`, {
    details: { target, transient: RETRYABLE_NETWORK.has(e?.code ?? '') || e?.code === undefined, ...(e?.code ? { reason: e.code } : {}) },
    cause: err,
  });
}
