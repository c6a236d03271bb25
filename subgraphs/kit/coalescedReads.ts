/**
 * Reads of concurrent requests sharing calls to the connection proxy: the reads a service starts in
 * one turn of the event loop with the same statement text (entity lookups by key, the hot reads of a
 * busy service) go together, up to `maxBatch` at a time, as one unordered /v1/batch, which the proxy
 * runs at once on its connections. A read with no company goes alone as /v1/query, as before. The
 * same idea as DataLoader within a request, across requests: a busy service sends a fraction of the
 * HTTP requests, which cost more CPU than the statements (figures in bench/proxy/README.md). Only
 * the same text goes together, so a batch waits for no slow read of another kind.
 *
 * A read in a batch fails or succeeds on its own. One that fails for a passing reason (the pool
 * full, the database restarting, the batch's call lost) goes again alone, with the retries every
 * read has.
 */
import type { BatchResponse, QueryResult, SqlParam } from '../../lib/dbProtocol.js';
import { DB_PROXY_HEADERS } from '../../lib/dbProtocol.js';
import { AppError } from '../../lib/errors.js';
import { batchItemError, type ProxyError } from './dbErrors.js';

export interface ReadBatchingOptions {
  /** Reads in one batch, at most (within the proxy's DB_MAX_STATEMENTS); more go as further batches. */
  maxBatch: number;
}

export const DEFAULT_READ_BATCHING: ReadBatchingOptions = { maxBatch: 16 };

/** The proxy calls the coalescer makes (the client's post, with its error mapping). */
export interface ReadCalls {
  /** One read alone, with the retries reads have. */
  single(sql: string, params: SqlParam[], requestId: string | undefined): Promise<QueryResult>;
  /** Several reads as one unordered batch, without retries. */
  batch(statements: { sql: string; params: SqlParam[] }[], requestIds: string[]): Promise<BatchResponse>;
}

interface WaitingRead {
  sql: string;
  params: SqlParam[];
  requestId: string | undefined;
  resolve(result: QueryResult): void;
  reject(err: unknown): void;
}

const TRANSIENT_STATUS = new Set([502, 503, 504]);

export function createReadCoalescer(calls: ReadCalls, options: ReadBatchingOptions = DEFAULT_READ_BATCHING) {
  /** Reads waiting for the end of this turn of the event loop, by statement text. */
  let waiting = new Map<string, WaitingRead[]>();
  let scheduled = false;

  const alone = (read: WaitingRead) => calls.single(read.sql, read.params, read.requestId).then(read.resolve, read.reject);

  const together = (reads: WaitingRead[]) =>
    calls
      .batch(
        reads.map(({ sql, params }) => ({ sql, params })),
        reads.flatMap((r) => (r.requestId ? [r.requestId] : [])),
      )
      .then(
        ({ results }) => {
          if (!Array.isArray(results) || results.length !== reads.length) {
            const error = new AppError('DOWNSTREAM_SERVICE_ERROR', `db-proxy answered a batch of ${reads.length} reads with ${Array.isArray(results) ? results.length : 'no'} results`);
            for (const read of reads) read.reject(error);
            return;
          }
          results.forEach((result, i) => {
            const read = reads[i];
            if (result.ok) {
              const { ok: _ok, ...answer } = result;
              read.resolve(answer);
              return;
            }
            const error = batchItemError(result.error);
            // Passing trouble (pool full, database restarting): once more alone, with retries.
            if (isTransient(error)) void alone(read);
            else read.reject(error);
          });
        },
        (err: unknown) => {
          if (isTransient(err)) for (const read of reads) void alone(read);
          else for (const read of reads) read.reject(err);
        },
      );

  const flush = () => {
    scheduled = false;
    const groups = waiting;
    waiting = new Map();
    for (const reads of groups.values()) {
      for (let start = 0; start < reads.length; start += options.maxBatch) {
        const group = reads.slice(start, start + options.maxBatch);
        void (group.length === 1 ? alone(group[0]) : together(group));
      }
    }
  };

  return {
    read(sql: string, params: SqlParam[], requestId: string | undefined): Promise<QueryResult> {
      return new Promise<QueryResult>((resolve, reject) => {
        const read = { sql, params, requestId, resolve, reject };
        const same = waiting.get(sql);
        if (same) same.push(read);
        else waiting.set(sql, [read]);
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}

/** The header carrying a batch's request ids (each already a well-formed id: no commas). */
export function coalescedRequestIdsHeader(requestIds: string[]): Record<string, string> {
  return requestIds.length ? { [DB_PROXY_HEADERS.coalescedRequestIds]: requestIds.slice(0, 100).join(',') } : {};
}

/**
 * Passing trouble: a 502/503/504 from the proxy, for the whole batch's call or for one of its reads
 * (batchItemError gives each the status it would have had alone), or the network.
 */
function isTransient(err: unknown): boolean {
  if (!(err instanceof AppError)) return false;
  const status = (err as ProxyError).httpStatus;
  if (status !== undefined) return TRANSIENT_STATUS.has(status);
  return err.details?.transient === true;
}
