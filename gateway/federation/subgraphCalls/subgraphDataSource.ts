/**
 * The one way the gateway calls a subgraph. It forwards the request id and the caller's identity
 * (signed, lib/signedIdentity.ts),
 * gives every call a timeout, retries reads on transient failures (mutations are never retried: the
 * subgraph may have applied one even when its answer was lost), fails fast while the subgraph's
 * circuit is open, lets identical concurrent reads share one call, and turns every failure into a
 * GraphQL error naming the subgraph (`extensions.serviceName`) with a stable code:
 *
 * - DOWNSTREAM_SERVICE_ERROR: unreachable, a 5xx without a GraphQL error of its own, an invalid answer
 * - GATEWAY_TIMEOUT: no complete answer within the subgraph's timeout
 * - SERVICE_UNAVAILABLE (reason CIRCUIT_OPEN): not called, its circuit is open after repeated failures
 *
 * @apollo/gateway puts such an error in the response and nulls only the fields that depended on the
 * failed fetch, so the other subgraphs' data still comes back, with HTTP 200.
 *
 * It implements `process` itself rather than extending RemoteGraphQLDataSource's, which has no place
 * for a per-call timeout or for sharing one answer among several callers.
 */
import { randomUUID } from 'node:crypto';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError, Kind, parse, type DocumentNode } from 'graphql';
import type { ErrorCode } from '../../../lib/errors.js';
import { anonymousIdentity } from '../../../lib/identity.js';
import { PER_CALL_IDENTITY_HEADERS, signIdentityHeaders } from '../../../lib/signedIdentity.js';
import { REQUEST_ID_HEADER, type Logger } from '../../../lib/logger.js';
import type { GatewayContext } from '../../context.js';
import type { Histogram } from 'prom-client';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { markError, SpanKind, TRACEPARENT_HEADER, type Span, type Tracing } from '../../../lib/tracing.js';
import type { GatewayMetrics } from '../../metrics.js';
import type { GatewayRequestContext } from '../gatewayInterface.js';
import type { SubgraphHeaderRules } from '../../features/headerRules/headerRules.js';
import { realClock, withRetries, type RetryOptions } from './retry.js';
import type { SubgraphPolicy } from './subgraphResilience.js';
import {
  isNetworkReason,
  isTimeoutReason,
  isTransientReason,
  networkReason,
  type SubgraphReply,
  type SubgraphTransport,
} from './subgraphHttp.js';

export interface SubgraphDataSourceOptions {
  /** The subgraph's name in the supergraph. */
  name: string;
  url: string;
  /** How a call goes out (subgraphHttp.ts). */
  transport: SubgraphTransport;
  /** The time one call may take, when no `policy` is given. @default 10000 */
  timeoutMs?: number;
  /**
   * Timeout, retries, circuit breaker and deduplication for this subgraph (from
   * createSubgraphResilience). Without one: one attempt, no breaker, no sharing.
   */
  policy?: SubgraphPolicy;
  logger?: Logger;
  /** Header rules for this subgraph (HEADER_RULES_FILE); the data source's own headers go over them. */
  headerRules?: SubgraphHeaderRules;
  /**
   * Key of the identity headers the subgraphs verify (IDENTITY_SIGNING_SECRET); every call carries
   * the caller's identity signed with it, an anonymous caller's too. Without one, no identity is sent.
   */
  identitySigningSecret?: string;
  /** Times every call (gateway_subgraph_fetch_duration_seconds) and counts failures by code. */
  metrics?: Pick<GatewayMetrics, 'subgraphFetches' | 'subgraphFetchErrors'>;
  /** When set, every call is a CLIENT span under its request's span and carries `traceparent`. */
  tracing?: Tracing;
}

type ProcessOptions = GraphQLDataSourceProcessOptions<GatewayContext>;
/** The client's request as Apollo Server hands it to the gateway. */
type IncomingRequestContext = Extract<ProcessOptions, { incomingRequestContext: unknown }>['incomingRequestContext'];
type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

/** A call the open circuit kept from going out. */
class CircuitOpenError extends Error {
  constructor() {
    super('circuit open');
  }
}

/** Signed identity headers by request context, shared by the data sources of all subgraphs. */
const signedPerRequest = new WeakMap<GatewayContext, { headers: Record<string, string>; at: number; secret: string }>();
const SIGNATURE_REUSE_MS = 1_000;

/** The subgraph statuses worth another attempt: a proxy in front of it, or the subgraph itself, says "try again". */
const TRANSIENT_STATUSES = new Set([502, 503, 504]);
const NO_RETRY: RetryOptions = { retries: 0, baseDelayMs: 0, budgetMs: 0 };

export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  readonly name: string;
  readonly url: string;
  private readonly transport: SubgraphTransport;
  private readonly timeoutMs: number;
  private readonly policy?: SubgraphPolicy;
  private readonly logger?: Logger;
  private readonly headerRules?: SubgraphHeaderRules;
  private readonly identitySigningSecret?: string;
  private readonly tracing?: Tracing;
  private readonly fetchTimer?: { success: Histogram.Internal<never>; error: Histogram.Internal<never> };
  private readonly fetchErrors?: GatewayMetrics['subgraphFetchErrors'];

  constructor(options: SubgraphDataSourceOptions) {
    this.name = options.name;
    this.url = options.url;
    this.transport = options.transport;
    this.policy = options.policy;
    this.timeoutMs = options.policy?.timeoutMs ?? options.timeoutMs ?? 10_000;
    this.logger = options.logger;
    this.headerRules = options.headerRules;
    this.identitySigningSecret = options.identitySigningSecret;
    this.tracing = options.tracing;
    if (options.metrics) {
      // Children bound once: no label look-up per call.
      const fetches = options.metrics.subgraphFetches;
      this.fetchTimer = {
        success: fetches.labels({ subgraph: this.name, outcome: 'success' }),
        error: fetches.labels({ subgraph: this.name, outcome: 'error' }),
      };
      this.fetchErrors = options.metrics.subgraphFetchErrors;
    }
  }

  /** @apollo/gateway's entry: its health checks and the plans the gateway's own executor leaves to it. */
  async process(options: ProcessOptions): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    if (!request.query) throw new Error('Missing query');
    const incoming = 'incomingRequestContext' in options ? options.incomingRequestContext : undefined;
    const body = JSON.stringify({
      query: request.query,
      variables: request.variables,
      operationName: request.operationName,
      extensions: request.extensions,
    });
    const isRead = isQuery(request.query, 'document' in options ? options.document : undefined);
    return this.call(body, isRead, incoming, request.http?.headers);
  }

  /**
   * The gateway's executor's entry (executePlan.ts): a request body it wrote itself, and whether the
   * operation only reads (so it may be retried and shared).
   */
  send(body: string, call: { isRead: boolean; incoming?: GatewayRequestContext }): Promise<GatewayGraphQLResponse> {
    // Apollo Server builds every request's context with the gateway's context function (context.ts).
    return this.call(body, call.isRead, call.incoming as IncomingRequestContext | undefined, undefined);
  }

  private call(
    body: string,
    isRead: boolean,
    incoming: IncomingRequestContext | undefined,
    extraHeaders: Iterable<[string, string]> | undefined,
  ): Promise<GatewayGraphQLResponse> {
    if (!this.fetchTimer && !this.tracing) return this.callUnobserved(body, isRead, incoming, extraHeaders);
    const started = process.hrtime.bigint();
    const span = this.tracing?.startSpan(
      `subgraph ${this.name}`,
      { 'graphql.subgraph.name': this.name, 'graphql.operation.read_only': isRead },
      incoming?.context?.traceContext,
      SpanKind.CLIENT,
    );
    return this.callUnobserved(body, isRead, incoming, extraHeaders, span).then(
      (response) => {
        this.fetchTimer?.success.observe(Number(process.hrtime.bigint() - started) / 1e9);
        span?.end();
        return response;
      },
      (err: unknown) => {
        this.fetchTimer?.error.observe(Number(process.hrtime.bigint() - started) / 1e9);
        const code = err instanceof GraphQLError ? err.extensions.code : undefined;
        this.fetchErrors?.inc({ subgraph: this.name, code: typeof code === 'string' ? code : 'UNKNOWN' });
        if (span) {
          markError(span, err);
          span.end();
        }
        throw err;
      },
    );
  }

  private async callUnobserved(
    body: string,
    isRead: boolean,
    incoming: IncomingRequestContext | undefined,
    extraHeaders: Iterable<[string, string]> | undefined,
    span?: Span,
  ): Promise<GatewayGraphQLResponse> {
    const context = incoming?.context;
    const headers = { ...this.headerRules?.request(incoming), ...this.headersFor(extraHeaders, context) };
    if (span) this.tracing!.inject(headers, trace.setSpan(context?.traceContext ?? ROOT_CONTEXT, span));
    const inflight = this.policy?.inflight;

    let reply: SubgraphReply;
    try {
      const call = () => this.callWithRetries(body, headers, isRead, context?.requestId);
      reply =
        isRead && inflight
          ? ((await inflight.run(this.sharingKey(headers, body), call, noteSharing as (value: unknown, callers: number) => void)) as SubgraphReply)
          : await call();
    } catch (err) {
      throw this.failed(this.errorFromFailure(err), context?.requestId, err);
    } finally {
      // A read that arrives after this write must not get the answer of a read that started before it.
      if (!isRead) inflight?.forgetAll();
    }
    const response = this.responseFrom(reply, context?.requestId);
    if (incoming) restrictCachePolicy(incoming.overallCachePolicy, reply.headers.get('cache-control'));
    this.headerRules?.response(reply.headers, incoming);
    return response;
  }

  private headersFor(incoming: Iterable<[string, string]> | undefined, context: GatewayContext | undefined) {
    const headers: Record<string, string> = {};
    // e.g. apollo-federation-include-trace, set by the gateway when it traces the operation.
    if (incoming) for (const [name, value] of incoming) headers[name.toLowerCase()] = value;
    headers['content-type'] = 'application/json';
    // Calls outside a client request (Apollo's health check) get a request id of their own to sign.
    const requestId = context?.requestId ?? randomUUID();
    headers[REQUEST_ID_HEADER] = requestId;
    if (this.identitySigningSecret) Object.assign(headers, this.signedIdentity(context, requestId));
    return headers;
  }

  /**
   * The signed identity headers of a request, made once and reused by its other subgraph calls for a
   * second (a signature stays valid for IDENTITY_MAX_AGE_MS, a minute by default).
   */
  private signedIdentity(context: GatewayContext | undefined, requestId: string): Record<string, string> {
    const now = Date.now();
    const cached = context ? signedPerRequest.get(context) : undefined;
    if (cached && cached.secret === this.identitySigningSecret && now - cached.at < SIGNATURE_REUSE_MS) return cached.headers;
    const identity = context?.identity ?? anonymousIdentity();
    const headers = signIdentityHeaders(identity, { secret: this.identitySigningSecret!, requestId, now });
    if (context) signedPerRequest.set(context, { headers, at: now, secret: this.identitySigningSecret! });
    return headers;
  }

  /**
   * Who may share a call: same subgraph URL, same body (query, variables, operation name) and every
   * header sent but the request id and the signature's timestamp and MAC, which differ on every call;
   * the signed identity itself (subject, scopes, API key) is always part of it.
   */
  private sharingKey(headers: Record<string, string>, body: string): string {
    let key = this.url;
    for (const name of Object.keys(headers).sort()) {
      if (name !== REQUEST_ID_HEADER && name !== TRACEPARENT_HEADER && !PER_CALL_IDENTITY_HEADERS.includes(name)) key += `\n${name}: ${headers[name]}`;
    }
    return `${key}\n\n${body}`;
  }

  private callWithRetries(
    body: string,
    headers: Record<string, string>,
    isRead: boolean,
    requestId: string | undefined,
  ): Promise<SubgraphReply> {
    const breaker = this.policy?.breaker;
    return withRetries(
      () => this.callOnce(body, headers),
      {
        shouldRetry: (outcome) => isRead && isTransient(outcome) && breaker?.state !== 'open',
        onRetry: (outcome, attempt, delayMs) => {
          this.logger?.debug(
            { reqId: requestId, subgraph: this.name, attempt, delayMs, failure: describeOutcome(outcome) },
            'subgraph call retried',
          );
        },
      },
      this.policy?.retry ?? NO_RETRY,
      this.policy?.clock ?? realClock,
    );
  }

  /** One HTTP exchange, body read in full, within the timeout; the breaker learns how it went. */
  private async callOnce(body: string, headers: Record<string, string>): Promise<SubgraphReply> {
    const breaker = this.policy?.breaker;
    if (breaker && !breaker.tryAcquire()) throw new CircuitOpenError();
    try {
      const reply = await this.transport(this.url, { headers, body, timeoutMs: this.timeoutMs });
      // 4xx means the subgraph is up and answering; only 5xx says something is wrong with it.
      if (reply.status >= 500) breaker?.recordFailure();
      else breaker?.recordSuccess();
      return reply;
    } catch (err) {
      breaker?.recordFailure();
      throw err;
    }
  }

  /** A failure without an answer (no connection, timeout, open circuit) as a GraphQL error. */
  private errorFromFailure(err: unknown): GraphQLError {
    if (err instanceof CircuitOpenError) {
      return new GraphQLError(`Subgraph "${this.name}" is unavailable: calls to it are paused after repeated failures`, {
        extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: this.name, reason: 'CIRCUIT_OPEN' },
      });
    }
    const reason = networkReason(err);
    const fail = (message: string, code: ErrorCode, why: string) =>
      new GraphQLError(message, {
        originalError: err instanceof Error ? err : undefined,
        extensions: { code, serviceName: this.name, reason: why },
      });
    if (isTimeoutReason(reason)) {
      return fail(`Subgraph "${this.name}" did not answer within ${this.timeoutMs} ms`, 'GATEWAY_TIMEOUT', 'TIMEOUT');
    }
    if (isNetworkReason(reason)) return fail(`Subgraph "${this.name}" is unreachable`, 'DOWNSTREAM_SERVICE_ERROR', reason);
    return fail(`Subgraph "${this.name}" could not be called`, 'DOWNSTREAM_SERVICE_ERROR', reason);
  }

  /** The GraphQL response in a reply, or an error naming this subgraph when there is none. */
  private responseFrom(reply: SubgraphReply, requestId: string | undefined): GatewayGraphQLResponse {
    const body = bodyOf(reply);
    if (reply.status < 200 || reply.status >= 300) {
      // Keep the subgraph's own GraphQL error when it sent one.
      const first = firstGraphQLError(body);
      const fallback: ErrorCode =
        reply.status === 401 ? 'UNAUTHENTICATED' : reply.status === 403 ? 'FORBIDDEN' : 'DOWNSTREAM_SERVICE_ERROR';
      const error = new GraphQLError(first?.message ?? `Subgraph "${this.name}" answered HTTP ${reply.status}`, {
        extensions: { code: first?.code ?? fallback, serviceName: this.name, httpStatus: reply.status },
      });
      throw this.failed(error, requestId);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      const error = new GraphQLError(`Subgraph "${this.name}" sent an invalid response`, {
        extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: this.name, reason: 'INVALID_RESPONSE' },
      });
      throw this.failed(error, requestId);
    }
    return { ...(body as GatewayGraphQLResponse), http: { headers: reply.headers, status: reply.status } } as GatewayGraphQLResponse;
  }

  private failed(error: GraphQLError, requestId: string | undefined, cause?: unknown): GraphQLError {
    const fields = {
      reqId: requestId,
      subgraph: this.name,
      code: error.extensions.code,
      reason: error.extensions.reason,
      httpStatus: error.extensions.httpStatus,
      err: cause,
    };
    // While the circuit is open every call fails the same way; the breaker logs the opening once.
    if (error.extensions.reason === 'CIRCUIT_OPEN') this.logger?.debug(fields, 'subgraph call refused: circuit open');
    else this.logger?.warn(fields, 'subgraph call failed');
    return error;
  }
}

function isTransient(outcome: PromiseSettledResult<SubgraphReply>): boolean {
  if (outcome.status === 'fulfilled') return TRANSIENT_STATUSES.has(outcome.value.status);
  return !(outcome.reason instanceof CircuitOpenError) && isTransientReason(networkReason(outcome.reason));
}

function describeOutcome(outcome: PromiseSettledResult<SubgraphReply>): string {
  return outcome.status === 'fulfilled' ? `HTTP ${outcome.value.status}` : networkReason(outcome.reason);
}

/** Replies several callers share (in-flight deduplication), and the body parsed once for them. */
const sharedReplies = new WeakMap<SubgraphReply, { callers: number; taken: number; parsed?: { body: unknown } }>();

function noteSharing(reply: SubgraphReply, callers: number): void {
  if (callers > 1) sharedReplies.set(reply, { callers, taken: 0 });
}

/**
 * A caller's own copy of a reply's body: the executor merges later answers into what it gets, so
 * callers that share a reply must not share its objects. The body is parsed once; every caller
 * but the last gets a copy of it, which costs about a quarter of parsing the text again (no
 * strings are made), and the last gets the parsed original.
 */
function bodyOf(reply: SubgraphReply): unknown {
  const shared = sharedReplies.get(reply);
  if (!shared) return parseJsonBody(reply);
  shared.parsed ??= { body: parseJsonBody(reply) };
  shared.taken++;
  return shared.taken >= shared.callers ? shared.parsed.body : copyJson(shared.parsed.body);
}

/** A deep copy of parsed JSON (plain objects, arrays, primitives); strings are shared, being immutable. */
export function copyJson(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = copyJson(value[i]);
    return copy;
  }
  const copy: Record<string, unknown> = {};
  for (const key in value) {
    const item = copyJson((value as Record<string, unknown>)[key]);
    // JSON.parse makes "__proto__" an own property; assigning it would set the prototype instead.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    else copy[key] = item;
  }
  return copy;
}

/** The body as JSON when the subgraph says it is JSON and it parses; otherwise its text, or undefined. */
function parseJsonBody(reply: SubgraphReply): unknown {
  const type = reply.headers.get('content-type');
  if (!type || !/^application\/(graphql-response\+)?json/i.test(type)) return reply.text;
  try {
    return JSON.parse(reply.text);
  } catch {
    return undefined;
  }
}

function firstGraphQLError(body: unknown): { message: string; code?: string } | undefined {
  const errors = (body as { errors?: unknown })?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const first = errors[0] as { message?: unknown; extensions?: { code?: unknown } };
  if (typeof first?.message !== 'string') return undefined;
  return { message: first.message, code: typeof first.extensions?.code === 'string' ? first.extensions.code : undefined };
}

// The query planner writes subgraph operations as `{ ... }`, `query ...` or `mutation ...`; the few
// that start otherwise (a fragment first) are parsed once each and remembered.
const operationKinds = new Map<string, boolean>();
const OPERATION_KINDS_LIMIT = 10_000;

/** Whether a subgraph operation only reads; anything unclear counts as a write, so it is never repeated. */
export function isQuery(query: string, document?: DocumentNode): boolean {
  if (document) return operationsOf(document).every((operation) => operation === 'query');
  const start = /^\s*(\{|query\b|mutation\b|subscription\b)/.exec(query)?.[1];
  if (start) return start === '{' || start === 'query';
  let known = operationKinds.get(query);
  if (known === undefined) {
    try {
      known = operationsOf(parse(query)).every((operation) => operation === 'query');
    } catch {
      known = false;
    }
    if (operationKinds.size >= OPERATION_KINDS_LIMIT) operationKinds.clear();
    operationKinds.set(query, known);
  }
  return known;
}

function operationsOf(document: DocumentNode): string[] {
  return document.definitions.flatMap((definition) =>
    definition.kind === Kind.OPERATION_DEFINITION ? [definition.operation] : [],
  );
}

/** Honours a subgraph's Cache-Control in the operation's cache policy, as RemoteGraphQLDataSource does. */
function restrictCachePolicy(policy: unknown, cacheControl: string | null): void {
  if (!policy || typeof (policy as { restrict?: unknown }).restrict !== 'function') return;
  // No max-age from the subgraph: its part, and so the whole response, is not cacheable.
  const hint: { maxAge: number; scope?: 'PUBLIC' | 'PRIVATE' } = { maxAge: 0 };
  for (const part of (cacheControl ?? '').split(',')) {
    const [name, value] = part.trim().split(/\s*=\s*/, 2);
    const directive = name?.toLowerCase();
    if (directive === 'max-age' && value && /^\d+$/.test(value.replace(/^"|"$/g, ''))) {
      hint.maxAge = Number(value.replace(/^"|"$/g, ''));
    } else if (directive === 'private') hint.scope = 'PRIVATE';
    else if (directive === 'public') hint.scope = 'PUBLIC';
  }
  (policy as { restrict(hint: unknown): void }).restrict(hint);
}
