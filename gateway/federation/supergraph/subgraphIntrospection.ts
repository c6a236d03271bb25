/**
 * Reads a running subgraph's SDL the way rover does for `schema.subgraph_url`: one POST of
 * `{ _service { sdl } }`. Plain GraphQL introspection would lose the federation directives (@key,
 * @shareable, ...), which composition needs, so a server without `_service` is refused as not a
 * federation subgraph rather than introspected some other way.
 */

/** The query rover sends, so a subgraph that logs operation names shows the same one. */
export const SUBGRAPH_SDL_QUERY = 'query SubgraphIntrospectQuery { _service { sdl } }';

export interface SubgraphIntrospectionOptions {
  /** Extra request headers, e.g. an authorization token (rover's `introspection_headers`). */
  headers?: Record<string, string>;
  /** How long to wait for the whole answer. @default 10000 */
  timeoutMs?: number;
}

/** Why a subgraph's SDL could not be read; the message says what was tried and what came back. */
export class SubgraphIntrospectionError extends Error {
  readonly url: string;
  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super(`cannot introspect ${url}: ${reason}`, options);
    this.name = 'SubgraphIntrospectionError';
    this.url = url;
  }
}

/** The SDL a federation subgraph reports at `url` through `_service { sdl }`. */
export async function introspectSubgraphSdl(url: string, options: SubgraphIntrospectionOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const fail = (reason: string, cause?: unknown) => new SubgraphIntrospectionError(url, reason, { cause });

  let headers: Headers;
  try {
    headers = new Headers(options.headers);
  } catch (err) {
    throw fail(`invalid introspection header: ${(err as Error).message}`, err);
  }
  headers.set('content-type', 'application/json');
  if (!headers.has('accept')) headers.set('accept', 'application/graphql-response+json, application/json');

  let response: Response;
  let text: string;
  try {
    // One signal covers connecting, headers and body, so a server that stalls mid-answer also times out.
    const signal = AbortSignal.timeout(timeoutMs);
    response = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: SUBGRAPH_SDL_QUERY, operationName: 'SubgraphIntrospectQuery' }),
      signal,
      redirect: 'follow',
    });
    text = await response.text();
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') throw fail(`no answer within ${timeoutMs} ms`, err);
    throw fail(`not reachable (${describeNetworkError(err)}); is the subgraph running?`, err);
  }

  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    const type = response.headers.get('content-type') ?? 'no content-type';
    const status = response.ok ? '' : `HTTP ${response.status}, `;
    throw fail(`the answer is not JSON (${status}${type}); is this the subgraph's GraphQL endpoint?`, err);
  }

  const result = body as { data?: { _service?: { sdl?: unknown } | null } | null; errors?: { message?: unknown }[] };
  const sdl = result?.data?._service?.sdl;
  if (typeof sdl === 'string' && sdl.trim() !== '') return sdl;

  const messages = Array.isArray(result?.errors) ? result.errors.map((e) => String(e?.message ?? e)) : [];
  if (messages.some((m) => m.includes('_service'))) {
    throw fail(`not a federation subgraph: it has no _service field (${messages.join('; ')})`);
  }
  if (messages.length) throw fail(`the subgraph answered with errors: ${messages.join('; ')}`);
  if (!response.ok) throw fail(`HTTP ${response.status} ${response.statusText}`.trim());
  throw fail('not a federation subgraph: the answer has no data._service.sdl');
}

/** `connect ECONNREFUSED 127.0.0.1:4001` rather than undici's bare "fetch failed". */
function describeNetworkError(err: unknown): string {
  // Duck-typed rather than instanceof: the errors can come from another realm (e.g. a test VM).
  let e = err as NodeJS.ErrnoException & { errors?: Error[] };
  while (typeof e.cause === 'object' && e.cause !== null && 'message' in e.cause) e = e.cause as typeof e;
  // Connecting to localhost tries IPv6 and IPv4; Node reports both as one AggregateError.
  if (Array.isArray(e.errors) && e.errors.length) return e.errors.map((inner) => inner.message).join(', ');
  return e.message || e.code || String(err);
}
