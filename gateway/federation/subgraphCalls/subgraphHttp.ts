/**
 * The gateway's HTTP connections to its subgraphs: one keep-alive undici Agent shared by every
 * subgraph call and readiness check, and the transport the data sources call: one exchange read in
 * full (lib/httpExchange.ts), which does far less per call than WHATWG fetch or undici's request().
 * The transport is a plain function, so another can take its place.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { Agent, type Dispatcher } from 'undici';
import { exchange } from '../../../lib/httpExchange.js';

/** Fetch-like headers, as @apollo/gateway's data-source types have them. */
type FetcherHeaders = Awaited<ReturnType<RemoteGraphQLDataSource['fetcher']>>['headers'];

/** A subgraph's answer, read in full. */
export interface SubgraphReply {
  status: number;
  headers: ReplyHeaders;
  text: string;
}

/** POSTs a body to a subgraph's routing URL; fails on no answer within `timeoutMs` (name TimeoutError). */
export type SubgraphTransport = (url: string, request: { headers: Record<string, string>; body: string; timeoutMs: number }) => Promise<SubgraphReply>;

export interface SubgraphHttpOptions {
  /** Longest wait for a subgraph's response headers, and then between body chunks. @default 10000 */
  timeoutMs?: number;
  /** Open connections per subgraph origin. @default 128 */
  connectionsPerOrigin?: number;
  /** How long an idle connection is kept for reuse. @default 30000 */
  keepAliveTimeoutMs?: number;
}

export interface SubgraphHttp {
  post: SubgraphTransport;
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

  const post: SubgraphTransport = async (url, request) => {
    const { origin, path } = targetOf(url);
    const reply = await exchange(agent, { origin, path, method: 'POST', headers: request.headers, body: request.body, timeoutMs: request.timeoutMs });
    return { status: reply.status, headers: new ReplyHeaders(reply.headers), text: reply.text };
  };

  return {
    post,
    dispatcher: agent,
    async checkHealth(routingUrl, checkTimeoutMs = Math.min(timeoutMs, 2_000)) {
      const { origin, path } = targetOf(healthUrlOf(routingUrl));
      let status: number;
      try {
        ({ status } = await exchange(agent, { origin, path, method: 'GET', headers: {}, timeoutMs: checkTimeoutMs }));
      } catch (err) {
        throw new Error(`unreachable (${networkReason(err)})`);
      }
      if (status !== 200) throw new Error(`GET ${path} answered HTTP ${status}`);
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

/**
 * A subgraph reply's headers, read like Fetch's Headers (what header rules and Apollo's data-source
 * types read), over the plain object undici parsed: no copy, no validation per header.
 */
export class ReplyHeaders implements FetcherHeaders {
  constructor(private readonly raw: IncomingHttpHeaders) {}

  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }

  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }

  append(): void {
    throw new Error('subgraph reply headers are read-only');
  }

  set(): void {
    throw new Error('subgraph reply headers are read-only');
  }

  delete(): void {
    throw new Error('subgraph reply headers are read-only');
  }

  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.raw)) {
      const value = this.get(name);
      if (value !== null) yield [name, value];
    }
  }

  keys(): IterableIterator<string> {
    return Object.keys(this.raw)[Symbol.iterator]();
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}
