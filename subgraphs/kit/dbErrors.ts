/**
 * The errors of the connection proxy as a service hands them on: a database outage as a passing one,
 * and a failed statement of a batch (answered inside a 200) as the error it stands for.
 */
import type { BatchItemResult, QueryResult } from '../../lib/dbProtocol.js';
import { AppError, appErrorFromBody, ErrorCodes, isErrorCode } from '../../lib/errors.js';

/** An AppError with the HTTP status the proxy answered it with (the retry logic reads it). */
export type ProxyError = AppError & { httpStatus?: number };

const DB_UNAVAILABLE_MESSAGE = 'The database is unavailable right now; retry shortly';

/**
 * The proxy's DB_UNAVAILABLE says what it knows of the outage: the server's address in a refused
 * connection ("connect ECONNREFUSED <host>:<port>"), PostgreSQL's own message and SQLSTATE ("the
 * database system is not yet accepting connections", 57P03). This service hands the error on to its
 * callers (GraphQL, REST) as a passing outage, so only that goes on: the code, a fixed message,
 * `retryable` and the Retry-After. The proxy's error stays as the cause, for this service's logs.
 * (With its SQLSTATE kept, the masking of database errors also told the same outage as an
 * INTERNAL_SERVER_ERROR whenever PostgreSQL itself, not the proxy, refused.)
 */
export function asOutage(err: unknown): unknown {
  if (!(err instanceof AppError) || err.code !== 'DB_UNAVAILABLE') return err;
  const outage = new AppError('DB_UNAVAILABLE', DB_UNAVAILABLE_MESSAGE, {
    details: { retryable: true },
    retryAfterSeconds: err.retryAfterSeconds ?? 1,
    cause: err,
  });
  return Object.assign(outage, { httpStatus: (err as ProxyError).httpStatus });
}

/**
 * A failed statement of a /v1/batch answer as the error the proxy would have answered had it been
 * sent alone: its own code and status (a statement cut off by a database outage is DB_UNAVAILABLE,
 * handed on as asOutage does, not a bug of the service).
 */
export function batchItemError(body: Extract<BatchItemResult, { ok: false }>['error']): ProxyError {
  const status = isErrorCode(body.code) ? ErrorCodes[body.code] : 500;
  const error = Object.assign(appErrorFromBody(status, { error: body }, 'a statement in a batch failed'), { httpStatus: status });
  return asOutage(error) as ProxyError;
}

/** A batch's results when every statement succeeded; otherwise the first failure (batchItemError). */
export function batchResultsOrThrow(results: BatchItemResult[]): QueryResult[] {
  return results.map((result) => {
    if (!result.ok) throw batchItemError(result.error);
    const { ok: _ok, ...answer } = result;
    return answer;
  });
}
