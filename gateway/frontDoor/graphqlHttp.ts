/**
 * GraphQL over HTTP at /graphql, on plain node:http: the features' onGraphQLRequest hooks (the IDE
 * page for a browser), the JSON body within BODY_LIMIT, the onGraphQLParams hooks (persisted
 * documents), the checks that name what is wrong with a request Apollo Server would answer vaguely
 * (no body, not JSON, no query, batches, a malformed APQ extension), then Apollo Server's
 * executeHTTPGraphQLRequest, written back as it answered. Failures
 * before GraphQL execution are answered in the GraphQL response shape clients expect on this path
 * (`{"errors": [{"message", "extensions": {"code"}}]}`) with the registry's status.
 */
import type { ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type HTTPGraphQLResponse } from '@apollo/server';
import { AppError } from '../../lib/errors.js';
import { sendJson, toAppError } from '../../lib/httpServer.js';
import { createJsonBodyReader } from '../../lib/jsonBody.js';
import type { Logger } from '../../lib/logger.js';
import { pathOf } from '../../lib/matchedRoute.js';
import type { GatewayContext } from '../context.js';
import { HANDLED, type FrontDoorHook, type FrontDoorRequest, type GatewayFeature } from '../features/feature.js';
import { runHooks } from './hooks.js';

export interface GraphQLHttpOptions {
  server: ApolloServer<GatewayContext>;
  /** The request's GatewayContext (context.ts). */
  context: (req: FrontDoorRequest) => GatewayContext;
  /** The features' onGraphQLRequest hooks, in feature order. */
  hooks: readonly FrontDoorHook[];
  /** The features' onGraphQLParams hooks, in feature order. */
  paramsHooks: readonly NonNullable<GatewayFeature['onGraphQLParams']>[];
  /** Largest accepted body (BODY_LIMIT, '1mb' notation). */
  bodyLimit: string;
  /** Whether a JSON array of operations is accepted (GRAPHQL_BATCHING), and how long one may be. */
  batching: boolean;
  maxBatch: number;
  logger: Logger;
}

export type GraphQLHttpHandler = (req: FrontDoorRequest, res: ServerResponse) => Promise<void>;

export function createGraphQLHttpHandler(options: GraphQLHttpOptions): GraphQLHttpHandler {
  const { server, context, hooks, paramsHooks, logger } = options;
  const readBody = createJsonBodyReader(options.bodyLimit);
  return async (req, res) => {
    try {
      if (hooks.length && (await runHooks(hooks, req, res)) === HANDLED) return;
      const method = (req.method ?? 'GET').toUpperCase();
      const body = await readBody(req, res);
      const url = req.url ?? '';
      const query = url.indexOf('?');
      const search = query < 0 ? '' : url.slice(query);
      for (const hook of paramsHooks) hook({ method, body, search }, req);
      if (method === 'POST') checkPostBody(req.headers['content-type'], body, options);
      checkPersistedQueryExtensions(method === 'POST' ? (Array.isArray(body) ? body : [body]) : [extensionsOf(search)]);
      const headers = new HeaderMap();
      const incoming = req.headers;
      for (const name in incoming) {
        const value = incoming[name];
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const response = await server.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method, headers, search, body },
        context: () => Promise.resolve(context(req)),
      });
      await writeResponse(res, response);
    } catch (err) {
      sendGraphQLError(res, err, logger, req);
    }
  };
}

async function writeResponse(res: ServerResponse, response: HTTPGraphQLResponse): Promise<void> {
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    // Encoded once: measuring the text's length and then writing it would read a large answer twice.
    const body = Buffer.from(response.body.string);
    res.setHeader('Content-Length', body.length);
    res.end(body);
    return;
  }
  // Incremental delivery (multipart): each part as Apollo Server yields it.
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

const EXAMPLE_BODY = '{"query": "{ __typename }"}';

/**
 * POSTs Apollo Server cannot read, answered with a message naming the problem: a body that is not
 * JSON is left unread (undefined); an empty one reads as nothing or {}; batches only when enabled.
 */
function checkPostBody(type: string | undefined, body: unknown, options: Pick<GraphQLHttpOptions, 'batching' | 'maxBatch'>): void {
  if (type && !/^application\/(.+\+)?json\b/i.test(type)) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Content-Type "${type}" is not supported: send application/json`);
  }
  if (body === undefined || (isPlainObject(body) && Object.keys(body).length === 0)) {
    throw new AppError('BAD_REQUEST', `Request body is empty: send JSON such as ${EXAMPLE_BODY} with Content-Type application/json`);
  }
  if (isPlainObject(body) && body.query === undefined && body.extensions === undefined) {
    throw new AppError('BAD_REQUEST', 'Missing query: the JSON body needs a "query" string');
  }
  if (!Array.isArray(body)) return;
  if (!options.batching) throw new AppError('BAD_REQUEST', 'Operation batching is not enabled: send one operation per request');
  if (body.length === 0 || body.length > options.maxBatch) {
    throw new AppError('BAD_REQUEST', `A batch holds 1 to ${options.maxBatch} operations; this one has ${body.length}`);
  }
}

/**
 * `extensions.persistedQuery` in the shape APQ defines (version 1, a sha256Hash string), checked before
 * Apollo Server, which answers another version with a code-less error (INTERNAL_SERVER_ERROR) and
 * fails on a hash that is not a string.
 */
function checkPersistedQueryExtensions(operations: readonly unknown[]): void {
  for (const operation of operations) {
    const persistedQuery = isPlainObject(operation) && isPlainObject(operation.extensions) ? operation.extensions.persistedQuery : undefined;
    if (persistedQuery === undefined || persistedQuery === null) continue;
    if (!isPlainObject(persistedQuery) || persistedQuery.version !== 1 || typeof persistedQuery.sha256Hash !== 'string') {
      throw new AppError('BAD_REQUEST', 'extensions.persistedQuery must be {"version": 1, "sha256Hash": "<sha256 of the query, hex>"}');
    }
  }
}

/** A GET's `extensions` parameter, as JSON; what does not parse is left for Apollo Server to name. */
function extensionsOf(search: string): { extensions: unknown } {
  if (!search.includes('extensions')) return { extensions: undefined };
  const value = new URLSearchParams(search).get('extensions');
  if (value === null) return { extensions: undefined };
  try {
    return { extensions: JSON.parse(value) };
  } catch {
    return { extensions: undefined };
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A failure before GraphQL execution, in the GraphQL response shape, with the registry's status. */
export function sendGraphQLError(res: ServerResponse, err: unknown, logger: Logger, req: FrontDoorRequest): void {
  const appError = toAppError(err);
  if (appError.status >= 500 && !(err instanceof AppError)) {
    logger.error({ err, reqId: req.requestId, path: pathOf(req.url) }, 'unhandled error');
  }
  if (res.headersSent) {
    res.end();
    return;
  }
  const extensions: Record<string, unknown> = { code: appError.code };
  if (appError.details) extensions.details = appError.details;
  if (appError.retryAfterSeconds !== undefined) {
    extensions.retryAfterSeconds = appError.retryAfterSeconds;
    res.setHeader('Retry-After', String(appError.retryAfterSeconds));
  }
  sendJson(res, appError.status, { errors: [{ message: appError.message, extensions }] });
}
