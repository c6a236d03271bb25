/**
 * The typed client every subgraph uses to reach its own database through the connection proxy.
 * Reads (`read`) are retried on transient failures; writes (`query`, `batch`, `transaction`) never are.
 */
import type {
  BatchResponse,
  IsolationLevel,
  QueryResult,
  SqlParam,
  Statement,
  TransactionResponse,
} from '../../lib/dbProtocol.js';
import { AppError } from '../../lib/errors.js';
import { createJsonHttpClient, type JsonHttpClient } from '../../lib/jsonHttpClient.js';
import type { Dispatcher } from 'undici';
import type { Tracing } from '../../lib/tracing.js';
import { asOutage, batchResultsOrThrow } from './dbErrors.js';
import { coalescedRequestIdsHeader, createReadCoalescer, DEFAULT_READ_BATCHING, type ReadBatchingOptions } from './coalescedReads.js';

export type { QueryResult, SqlParam, Statement };

export interface DbClientOptions {
  /** Base URL of the connection proxy, e.g. http://127.0.0.1:4010 */
  proxyUrl: string;
  /** This service's credential; it alone decides which database is reached. */
  credential: string;
  /** @default 10000 */
  timeoutMs?: number;
  dispatcher?: Dispatcher;
  /** The service's tracing: every statement call is a span of the request's trace and carries `traceparent`. */
  tracing?: Tracing;
  /**
   * Reads of concurrent requests share proxy calls (coalescedReads.ts); false sends every read
   * alone. Off when tracing, where each read is a span of its own request. @default DEFAULT_READ_BATCHING
   */
  readBatching?: ReadBatchingOptions | false;
}

export interface TransactionOptions {
  isolation?: IsolationLevel;
  readOnly?: boolean;
}

/** A DbClient bound to one request: every call carries that request's id. */
export interface Db {
  /** A read-only statement, retried on transient failures (proxy restarting, pool briefly full). */
  read<Row = Record<string, unknown>>(sql: string, params?: SqlParam[]): Promise<QueryResult<Row>>;
  /** Any single statement; never retried. */
  query<Row = Record<string, unknown>>(sql: string, params?: SqlParam[]): Promise<QueryResult<Row>>;
  /**
   * Several statements in one round trip, each committed on its own: their results when every one
   * succeeded, otherwise the first failure as the error it stands for (a statement lost to a
   * database outage is DB_UNAVAILABLE, as when sent alone). The statements before it have committed.
   */
  batch(statements: Statement[]): Promise<QueryResult[]>;
  /**
   * The same round trip, for a caller that can use part of it: each statement's outcome, failed
   * ones included (`ok: false` with the proxy's error body).
   */
  batchSettled(statements: Statement[]): Promise<BatchResponse['results']>;
  /** Several statements that commit together or not at all. */
  transaction(statements: Statement[], options?: TransactionOptions): Promise<QueryResult[]>;
}

export interface DbClient extends Db {
  forRequest(requestId: string | undefined): Db;
  close(): Promise<void>;
}

/**
 * PostgreSQL text cannot hold U+0000, so a value with one (a caller's search text, id or key) is
 * refused as the caller's mistake (BAD_USER_INPUT) before it reaches the database and fails there.
 */
function refuseNul<T>(value: T): T {
  const hasNul = (v: unknown): boolean =>
    typeof v === 'string' ? v.includes('\u0000') : Array.isArray(v) ? v.some(hasNul) : v !== null && typeof v === 'object' && Object.values(v).some(hasNul);
  if (hasNul(value)) throw new AppError('BAD_USER_INPUT', 'Text must not contain the NUL character (U+0000)');
  return value;
}

export function createDbClient(options: DbClientOptions): DbClient {
  const http: JsonHttpClient = createJsonHttpClient({
    baseUrl: options.proxyUrl,
    target: 'db-proxy',
    headers: { authorization: `Bearer ${options.credential}` },
    timeoutMs: options.timeoutMs ?? 10_000,
    dispatcher: options.dispatcher,
    tracing: options.tracing,
  });

  // Every call to the proxy hands a database outage on as a passing one (asOutage).
  const post = <T>(path: string, body: unknown, postOptions: Parameters<JsonHttpClient['post']>[2]) =>
    http.post<T>(path, body, postOptions).catch((err: unknown) => {
      throw asOutage(err);
    });

  const readAlone = <Row>(sql: string, params: SqlParam[], requestId: string | undefined) =>
    post<QueryResult<Row>>('/v1/query', { sql, params }, { requestId, retry: true });
  const batching = options.tracing ? false : (options.readBatching ?? DEFAULT_READ_BATCHING);
  const coalescer = batching
    ? createReadCoalescer(
        {
          single: readAlone,
          batch: (statements, requestIds) =>
            post<BatchResponse>('/v1/batch', { statements, ordered: false }, { headers: coalescedRequestIdsHeader(requestIds) }),
        },
        batching,
      )
    : undefined;

  const settled = async (statements: Statement[], requestId: string | undefined) =>
    (await post<BatchResponse>('/v1/batch', { statements: refuseNul(statements) }, { requestId })).results;

  const bound = (requestId: string | undefined): Db => ({
    read: async <Row>(sql: string, params: SqlParam[] = []) =>
      coalescer
        ? (coalescer.read(sql, refuseNul(params), requestId) as Promise<QueryResult<Row>>)
        : readAlone<Row>(sql, refuseNul(params), requestId),
    query: async <Row>(sql: string, params: SqlParam[] = []) =>
      post<QueryResult<Row>>('/v1/query', { sql, params: refuseNul(params) }, { requestId }),
    batch: async (statements) => batchResultsOrThrow(await settled(statements, requestId)),
    batchSettled: (statements) => settled(statements, requestId),
    transaction: async (statements, txOptions = {}) =>
      (await post<TransactionResponse>('/v1/transaction', { statements: refuseNul(statements), ...txOptions }, { requestId })).results,
  });

  return {
    ...bound(undefined),
    forRequest: bound,
    close: () => http.close(),
  };
}
