/**
 * PostgreSQL errors (from pg or PGlite, both carry the same fields) -> the registry's AppError, with
 * the SQLSTATE in details.sqlstate and Postgres's own message, detail and constraint.
 */
import { AppError, type ErrorCode } from '../lib/errors.js';

/** The fields both drivers' error objects share with PostgreSQL's ErrorResponse. */
export interface PostgresErrorFields {
  message?: string;
  code?: string;
  severity?: string;
  detail?: string;
  hint?: string;
  constraint?: string;
  table?: string;
  column?: string;
  schema?: string;
  dataType?: string;
  position?: string;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

export function sqlstateOf(err: unknown): string | undefined {
  const code = (err as PostgresErrorFields | undefined)?.code;
  return typeof code === 'string' && SQLSTATE.test(code) ? code : undefined;
}

/**
 * True when the connection the error came from cannot be trusted any more: the server ended the
 * session, the socket broke, or the error is not a PostgreSQL statement error at all.
 */
export function breaksConnection(err: unknown): boolean {
  if (err instanceof AppError) return false;
  const sqlstate = sqlstateOf(err);
  if (!sqlstate) return true;
  const severity = (err as PostgresErrorFields).severity;
  return sqlstate.startsWith('08') || sqlstate.startsWith('57P') || severity === 'FATAL' || severity === 'PANIC';
}

function codeFor(sqlstate: string): { code: ErrorCode; retryable?: boolean } {
  if (sqlstate === '40001' || sqlstate === '40P01') return { code: 'CONFLICT', retryable: true };
  if (sqlstate === '55P03') return { code: 'CONFLICT', retryable: true }; // lock_not_available (NOWAIT)
  if (sqlstate.startsWith('23') || sqlstate.startsWith('40')) return { code: 'CONFLICT' };
  if (sqlstate === '57014') return { code: 'STATEMENT_TIMEOUT' };
  if (sqlstate.startsWith('08') || sqlstate.startsWith('57P') || sqlstate.startsWith('53') || sqlstate === '3D000') {
    return { code: 'DB_UNAVAILABLE', retryable: true };
  }
  if (sqlstate.startsWith('58') || sqlstate.startsWith('XX')) return { code: 'INTERNAL_SERVER_ERROR' };
  return { code: 'BAD_REQUEST' };
}

export interface ErrorContext {
  service: string;
  /** Position of the statement in a batch or transaction. */
  statementIndex?: number;
  /** Milliseconds of statement_timeout, named in the timeout message. */
  statementTimeoutMs?: number;
}

/** Any error from running a statement -> AppError. AppErrors pass through (with statementIndex added). */
export function toAppError(err: unknown, context: ErrorContext): AppError {
  const index = context.statementIndex === undefined ? {} : { statementIndex: context.statementIndex };
  if (err instanceof AppError) {
    if (context.statementIndex === undefined || err.details?.statementIndex !== undefined) return err;
    return new AppError(err.code, err.message, {
      details: { ...err.details, ...index },
      retryAfterSeconds: err.retryAfterSeconds,
      cause: err,
    });
  }
  const sqlstate = sqlstateOf(err);
  const fields = (err ?? {}) as PostgresErrorFields;
  if (!sqlstate) {
    const reason = err instanceof Error ? err.message : String(err);
    return new AppError('DB_UNAVAILABLE', `The database of ${context.service} is unavailable: ${reason}`, {
      details: { ...index, retryable: true },
      retryAfterSeconds: 1,
      cause: err,
    });
  }
  const { code, retryable } = codeFor(sqlstate);
  const details: Record<string, unknown> = { sqlstate, ...index };
  for (const key of ['detail', 'hint', 'constraint', 'table', 'column', 'schema', 'dataType', 'position'] as const) {
    if (typeof fields[key] === 'string' && fields[key] !== '') details[key] = fields[key];
  }
  if (retryable) details.retryable = true;
  let message = fields.message || `PostgreSQL error ${sqlstate}`;
  if (code === 'STATEMENT_TIMEOUT' && context.statementTimeoutMs !== undefined) {
    message = `${message} (statement timeout is ${context.statementTimeoutMs} ms, DB_STATEMENT_TIMEOUT_MS)`;
  }
  return new AppError(code, message, {
    details,
    retryAfterSeconds: code === 'DB_UNAVAILABLE' ? 1 : undefined,
    cause: err,
  });
}
