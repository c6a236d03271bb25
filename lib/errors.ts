/**
 * One error registry for every service: a stable code, its HTTP status, and one JSON body shape
 * (`{ error: { code, message, details? } }`) for REST and proxy answers. GraphQL errors carry the
 * same code in `extensions.code`.
 */
import { GraphQLError } from 'graphql';

export const ErrorCodes = {
  BAD_REQUEST: 400,
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  /**
   * A field the caller may not select (`@authenticated`, `@requiresScopes`): the gateway answers it null with
   * this code while the rest of the operation is answered, so the response itself stays 200.
   */
  UNAUTHORIZED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PRECONDITION_FAILED: 409,
  /** A WebSocket connection that is closed or never existed (the push API at /@connections). */
  GONE: 410,
  PAYLOAD_TOO_LARGE: 413,
  /** An operation over the gateway's depth, alias, root-field, token or cost limits. */
  QUERY_TOO_COMPLEX: 400,
  /** A query text outside the persisted documents manifest, in safelist mode. */
  PERSISTED_QUERY_NOT_ALLOWED: 403,
  /** A `documentId` the persisted documents manifest does not have. */
  PERSISTED_QUERY_NOT_IN_LIST: 404,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RESULT_TOO_LARGE: 422,
  RATE_LIMITED: 429,
  INTERNAL_SERVER_ERROR: 500,
  DOWNSTREAM_SERVICE_ERROR: 502,
  DB_UNAVAILABLE: 503,
  POOL_EXHAUSTED: 503,
  SERVICE_UNAVAILABLE: 503,
  GATEWAY_TIMEOUT: 504,
  STATEMENT_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

/** An intended error: safe to show to the caller as it is. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: Record<string, unknown>;
  /** Seconds a client should wait before retrying (sent as Retry-After). */
  readonly retryAfterSeconds?: number;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ErrorCodes[code];
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ErrorCodes, value);
}

/** Reads an error body sent by another of our services back into an AppError. */
export function appErrorFromBody(status: number, body: unknown, fallbackMessage: string): AppError {
  const err = (body as Partial<ErrorBody> | undefined)?.error;
  if (err && isErrorCode(err.code) && typeof err.message === 'string') {
    return new AppError(err.code, err.message, { details: err.details });
  }
  const code: ErrorCode = status >= 500 ? 'DOWNSTREAM_SERVICE_ERROR' : 'BAD_REQUEST';
  return new AppError(code, fallbackMessage, { details: { status } });
}

/**
 * Turns an intended error into a GraphQLError with `extensions.code`; anything else is left for masking.
 * No HTTP status rides along: a resolver error is part of a 200 answer whose other fields still count
 * (a subgraph answering 400 would make the gateway drop that fetch's data).
 */
export function toGraphQLError(err: AppError): GraphQLError {
  return new GraphQLError(err.message, {
    extensions: { code: err.code, ...(err.details ? { details: err.details } : {}) },
  });
}

/** Shorthand for resolvers: throw userInput('quantity must be positive'). */
export function userInputError(message: string, details?: Record<string, unknown>): GraphQLError {
  return toGraphQLError(new AppError('BAD_USER_INPUT', message, { details }));
}

export function graphQLErrorFor(code: ErrorCode, message: string, details?: Record<string, unknown>): GraphQLError {
  return toGraphQLError(new AppError(code, message, { details }));
}
