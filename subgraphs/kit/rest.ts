/**
 * Public REST endpoints of a subgraph (the routes the gateway proxies under /api): the same identity
 * the GraphQL endpoint trusts, query and body validation with a 400 naming every problem, and the
 * errors the shared business logic throws (GraphQLErrors with a registry code) answered in the
 * registry's JSON body shape instead of being masked as 500s.
 */
import type { NextFunction, Request, Response } from 'express';
import { GraphQLError } from 'graphql';
import type { z } from 'zod';
import { AppError, isErrorCode } from '../../lib/errors.js';
import type { Identity } from '../../lib/identity.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The caller's identity as the kit verified it (the gateway's signed identity headers). */
    identity?: Identity;
  }
}

/**
 * Who is calling, as the kit's identity verification put it on the request (the same identity the
 * GraphQL context gets); anonymous when nothing verified is there, never taken from raw headers.
 */
export function requestIdentity(req: Request): Identity {
  return req.identity ?? { scopes: [] };
}

/** Validates a query string or JSON body; the 400 names every field that is wrong. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'path'): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || where}: ${issue.message}`);
  throw new AppError('BAD_USER_INPUT', `Invalid request ${where}: ${problems.join('; ')}`, { details: { problems } });
}

/** An intended GraphQLError (one with a registry code) as the AppError it was made from; anything else unchanged. */
export function fromGraphQLError(err: unknown): unknown {
  if (!(err instanceof GraphQLError)) return err;
  const code = err.extensions?.code;
  if (!isErrorCode(code) || code === 'INTERNAL_SERVER_ERROR') return err;
  const details = err.extensions.details;
  return new AppError(code, err.message, {
    details: typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : undefined,
    cause: err,
  });
}

/**
 * Error middleware for REST routers: lets the service's error handler answer shared-logic errors in the
 * REST shape. A database error a route did not expect (the proxy's 400, with `sqlstate`) becomes a
 * plain error, so the handler logs it and answers a generic 500, as the GraphQL endpoint's masking does:
 * no SQL reaches the client.
 */
export function restErrors() {
  return (err: unknown, _req: Request, _res: Response, next: NextFunction): void => {
    const fromDatabase = err instanceof AppError && (err.details?.sqlstate !== undefined || err.code === 'BAD_REQUEST');
    next(fromDatabase ? new Error('unexpected database error', { cause: err }) : fromGraphQLError(err));
  };
}
