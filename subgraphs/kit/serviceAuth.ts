/**
 * Calls between services (orders -> products, search -> products) go to /internal routes that only
 * holders of the internal service token may use.
 */
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Dispatcher } from 'undici';
import { AppError } from '../../lib/errors.js';
import type { Tracing } from '../../lib/tracing.js';
import { createJsonHttpClient, type JsonHttpClient } from '../../lib/jsonHttpClient.js';

export function requireServiceToken(token: string) {
  const expected = Buffer.from(token);
  return (req: Request, _res: Response, next: NextFunction): void => {
    const header = req.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      next(new AppError('UNAUTHENTICATED', 'This route is for platform services only: missing or wrong service token'));
      return;
    }
    next();
  };
}

export function createServiceClient(options: {
  baseUrl: string;
  target: string;
  token: string;
  timeoutMs?: number;
  dispatcher?: Dispatcher;
  tracing?: Tracing;
}): JsonHttpClient {
  return createJsonHttpClient({
    baseUrl: options.baseUrl,
    target: options.target,
    headers: { authorization: `Bearer ${options.token}` },
    timeoutMs: options.timeoutMs ?? 5_000,
    dispatcher: options.dispatcher,
    tracing: options.tracing,
  });
}
