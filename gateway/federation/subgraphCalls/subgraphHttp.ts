/**
 * The gateway's HTTP connections to its subgraphs: one keep-alive undici Agent shared by every
 * subgraph call and readiness check, and a Fetcher (the function @apollo/gateway's data sources
 * call) built on `dispatcher.request`, which does far less per call than WHATWG fetch. The fetcher
 * is a plain function, so tests and benchmarks can put another one in its place.
 */
import { STATUS_CODES } from 'node:http';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { Agent, Headers, type Dispatcher } from 'undici';

export type Fetcher = RemoteGraphQLDataSource['fetcher'];
export type FetcherResponse = Awaited<ReturnType<Fetcher>>;

export interface SubgraphHttpOptions {
  /** Longest wait for a subgraph's response headers, and then between body chunks. @default 10000 */
  timeoutMs?: number;
  /** Open connections per subgraph origin. @default 128 */
  connectionsPerOrigin?: number;
  /** How long an idle connection is kept for reuse. @default 30000 */
  keepAliveTimeoutMs?: number;
}

export interface SubgraphHttp {
  fetcher: Fetcher;
  dispatcher: Dispatcher;
  /** GET <subgraph base>/health; resolves when it answers 200, otherwise rejects saying why. */
  checkHealth(routingUrl: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function createSubgraphHttp(options: SubgraphHttpOptions = {}): SubgraphHttp {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const agent = new Agent({
    connections: options.connectionsPerOrigin ?? 128,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: Math.min(timeoutMs, 10_000) },
  });
  // Data sources call the same few URLs over and over; parse each once.
  const targets = new Map<string, { origin: string; path: string }>();
  const targetOf = (url: string) => {
    let target = targets.get(url);
    if (!target) {
      const parsed = new URL(url);
      target = { origin: parsed.origin, path: parsed.pathname + parsed.search };
      targets.set(url, target);
    }
    return target;
  };

  const fetcher: Fetcher = async (url, init = {}) => {
    const { origin, path } = targetOf(url);
    const response = await agent.request({
      origin,
      path,
      method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: init.headers,
      body: init.body,
      signal: init.signal,
    });
    return toFetcherResponse(url, response);
  };

  return {
    fetcher,
    dispatcher: agent,
    async checkHealth(routingUrl, checkTimeoutMs = Math.min(timeoutMs, 2_000)) {
      const { origin, path } = targetOf(healthUrlOf(routingUrl));
      let response: Dispatcher.ResponseData;
      try {
        response = await agent.request({
          origin,
          path,
          method: 'GET',
          headersTimeout: checkTimeoutMs,
          bodyTimeout: checkTimeoutMs,
          signal: AbortSignal.timeout(checkTimeoutMs),
        });
      } catch (err) {
        throw new Error(`unreachable (${networkReason(err)})`);
      }
      await response.body.dump();
      if (response.statusCode !== 200) throw new Error(`GET ${path} answered HTTP ${response.statusCode}`);
    },
    close: () => agent.close(),
  };
}

/** http://products:4001/graphql -> http://products:4001/health (a path prefix before /graphql is kept). */
export function healthUrlOf(routingUrl: string): string {
  const url = new URL(routingUrl);
  url.pathname = `${url.pathname.replace(/\/graphql\/?$/, '').replace(/\/$/, '')}/health`;
  url.search = '';
  return url.toString();
}

/** A short, address-free reason for a failed connection: ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT, ... */
export function networkReason(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown; cause?: { code?: unknown } };
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  // A call aborted by its timeout (the only reason the gateway aborts one).
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'TIMEOUT';
  return 'UNKNOWN';
}

const TIMEOUT_REASONS = new Set(['TIMEOUT', 'ETIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Failures that say nothing about the request itself and may well pass on a second try: the
 * subgraph is restarting (refused), a kept-alive connection was closed under the request (reset,
 * socket), a name lookup hiccup, a timeout.
 */
const TRANSIENT_REASONS = new Set([
  ...TIMEOUT_REASONS,
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

export function isTimeoutReason(reason: string): boolean {
  return TIMEOUT_REASONS.has(reason);
}

export function isTransientReason(reason: string): boolean {
  return TRANSIENT_REASONS.has(reason);
}

/** errno codes (ECONNREFUSED, EAI_AGAIN) and undici's (UND_ERR_SOCKET); not Node's internal ERR_* bugs. */
export function isNetworkReason(reason: string): boolean {
  return reason.startsWith('UND_ERR_') || (/^E[A-Z_]+$/.test(reason) && !reason.startsWith('ERR_'));
}

function toFetcherResponse(url: string, response: Dispatcher.ResponseData): FetcherResponse {
  const headers = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.append(name, value);
  }
  const { statusCode, body } = response;
  return {
    url,
    status: statusCode,
    statusText: STATUS_CODES[statusCode] ?? '',
    ok: statusCode >= 200 && statusCode < 300,
    redirected: false,
    headers,
    get bodyUsed() {
      return body.bodyUsed;
    },
    text: () => body.text(),
    json: () => body.json(),
    arrayBuffer: () => body.arrayBuffer(),
    clone() {
      throw new Error('Subgraph responses are read once and cannot be cloned');
    },
  };
}
