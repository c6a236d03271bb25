/**
 * The one way the gateway calls a subgraph. It forwards the request id and the caller's identity,
 * tags every failure with the subgraph's name (`extensions.serviceName`) and a stable code, and
 * retries a query once when a reused keep-alive connection turns out to be closed. Mutations are
 * never retried: the subgraph may have applied one even when its answer was lost.
 */
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError, Kind } from 'graphql';
import type { ErrorCode } from '../lib/errors.js';
import { identityToHeaders } from '../lib/identity.js';
import { REQUEST_ID_HEADER, type Logger } from '../lib/logger.js';
import type { GatewayContext } from './context.js';
import { networkReason, type Fetcher, type FetcherResponse } from './subgraphHttp.js';

export interface SubgraphDataSourceOptions {
  /** The subgraph's name in the supergraph. */
  name: string;
  url: string;
  fetcher: Fetcher;
  /** Used in the timeout message; the fetcher enforces it. */
  timeoutMs: number;
  logger?: Logger;
}

type ProcessOptions = GraphQLDataSourceProcessOptions<GatewayContext>;
type ProcessResult = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

const TIMEOUT_REASONS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'TIMEOUT']);
// The connection died under a request that was already written: safe to repeat only for reads.
const STALE_CONNECTION_REASONS = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  readonly name: string;
  private readonly timeoutMs: number;
  private readonly logger?: Logger;

  constructor(options: SubgraphDataSourceOptions) {
    super({ url: options.url, fetcher: options.fetcher });
    this.name = options.name;
    this.timeoutMs = options.timeoutMs;
    this.logger = options.logger;
  }

  override async process(options: ProcessOptions): Promise<ProcessResult> {
    try {
      return await super.process(options);
    } catch (err) {
      const reason = reasonOf(err);
      const retry = reason !== undefined && STALE_CONNECTION_REASONS.has(reason) && !isMutation(options);
      if (!retry) {
        this.logFailure(err, options);
        throw err;
      }
    }
    try {
      return await super.process(options);
    } catch (err) {
      this.logFailure(err, options);
      throw err;
    }
  }

  override willSendRequest({ request, context }: ProcessOptions): void {
    const headers = request.http!.headers;
    if (context?.requestId) headers.set(REQUEST_ID_HEADER, context.requestId);
    if (context?.identity) {
      for (const [name, value] of Object.entries(identityToHeaders(context.identity))) headers.set(name, value);
    }
  }

  /** A non-2xx answer: keep the subgraph's own GraphQL error when it sent one, and say which subgraph. */
  override async errorFromResponse(response: FetcherResponse): Promise<GraphQLError> {
    let body: unknown;
    try {
      body = await this.parseBody(response);
    } catch {
      body = undefined;
    }
    const first = firstGraphQLError(body);
    const fallback: ErrorCode =
      response.status === 401 ? 'UNAUTHENTICATED' : response.status === 403 ? 'FORBIDDEN' : 'DOWNSTREAM_SERVICE_ERROR';
    return new GraphQLError(first?.message ?? `Subgraph "${this.name}" answered HTTP ${response.status}`, {
      extensions: { code: first?.code ?? fallback, serviceName: this.name, httpStatus: response.status },
    });
  }

  /** Every failure of a call passes here: turn it into a GraphQL error naming this subgraph. */
  override didEncounterError(error: Error): never {
    if (error instanceof GraphQLError && error.extensions.serviceName === this.name) throw error;
    const reason = networkReason(error);
    const fail = (message: string, code: ErrorCode, why: string) =>
      new GraphQLError(message, { originalError: error, extensions: { code, serviceName: this.name, reason: why } });
    if (TIMEOUT_REASONS.has(reason)) {
      throw fail(`Subgraph "${this.name}" did not answer within ${this.timeoutMs} ms`, 'GATEWAY_TIMEOUT', reason);
    }
    if (isNetworkReason(reason)) {
      throw fail(`Subgraph "${this.name}" is unreachable`, 'DOWNSTREAM_SERVICE_ERROR', reason);
    }
    // Not a network failure: the subgraph answered 2xx with something that is not a GraphQL JSON response.
    throw fail(`Subgraph "${this.name}" sent an invalid response`, 'DOWNSTREAM_SERVICE_ERROR', 'INVALID_RESPONSE');
  }

  private logFailure(err: unknown, options: ProcessOptions): void {
    const e = err as GraphQLError;
    this.logger?.warn(
      {
        reqId: options.context?.requestId,
        subgraph: this.name,
        code: e.extensions?.code,
        reason: e.extensions?.reason,
        err: e.originalError ?? e,
      },
      'subgraph call failed',
    );
  }
}

/** errno codes (ECONNREFUSED, EAI_AGAIN) and undici's (UND_ERR_SOCKET); not Node's internal ERR_* bugs. */
function isNetworkReason(reason: string): boolean {
  return reason.startsWith('UND_ERR_') || (/^E[A-Z_]+$/.test(reason) && !reason.startsWith('ERR_'));
}

function reasonOf(err: unknown): string | undefined {
  const reason = (err as GraphQLError)?.extensions?.reason;
  return typeof reason === 'string' ? reason : undefined;
}

function isMutation(options: ProcessOptions): boolean {
  const document = 'document' in options ? options.document : undefined;
  if (document) {
    return document.definitions.some(
      (definition) => definition.kind === Kind.OPERATION_DEFINITION && definition.operation !== 'query',
    );
  }
  // Without a parsed document, treat anything that is not plainly a query as a mutation.
  return !/^\s*(query\b|\{)/.test(options.request.query ?? '');
}

function firstGraphQLError(body: unknown): { message: string; code?: string } | undefined {
  const errors = (body as { errors?: unknown })?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const first = errors[0] as { message?: unknown; extensions?: { code?: unknown } };
  if (typeof first?.message !== 'string') return undefined;
  return { message: first.message, code: typeof first.extensions?.code === 'string' ? first.extensions.code : undefined };
}
