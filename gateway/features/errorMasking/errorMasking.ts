/**
 * In production, errors reach clients only when they were meant for them: a code from our registry
 * or GraphQL's own request errors. Anything else (a bug, a library's internal message) becomes a
 * generic INTERNAL_SERVER_ERROR, so no stack traces, SQL or internal addresses leak.
 */
import type { GraphQLFormattedError } from 'graphql';
import { isErrorCode } from '../../../lib/errors.js';

/** Apollo Server's and the gateway's own codes for errors in the client's request. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

export function maskErrorForProduction(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  const intended = typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR' && (isErrorCode(code) || REQUEST_ERROR_CODES.has(code));
  if (intended) {
    // Keep what the client needs; drop anything a library attached (stacktrace, exception details).
    const { stacktrace: _stack, exception: _exception, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  return {
    message: 'Internal server error',
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: {
      code: 'INTERNAL_SERVER_ERROR',
      ...(typeof formatted.extensions?.serviceName === 'string' ? { serviceName: formatted.extensions.serviceName } : {}),
    },
  };
}
