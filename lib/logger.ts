/**
 * JSON logging: one pino logger per service and one log line per HTTP request, with the request id
 * that travels between services in `x-request-id` and the trace id of `traceparent`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { pino, type Logger } from 'pino';
import { pathOf } from './matchedRoute.js';
import { requestTraceId, type TracedRequest } from './tracing.js';

export type { Logger };

export function createLogger(service: string, level: string = 'info', destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime, redact: REDACTED_FIELDS }, destination);
}

/**
 * Fields no log line may show, wherever a caller puts them (a logged request's headers, an error's
 * config): credentials, tokens, signatures and statement parameters. The request line itself never
 * carries them; this is the net below it.
 */
export const REDACTED_FIELDS = {
  paths: [
    'authorization',
    'headers.authorization',
    'headers.cookie',
    'headers["x-api-key"]',
    '*.headers.authorization',
    '*.headers.cookie',
    '*.headers["x-api-key"]',
    'params',
    '*.params',
    'password',
    '*.password',
    'credential',
    'databaseUrl',
  ],
  censor: '[redacted]',
};

export const REQUEST_ID_HEADER = 'x-request-id';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Takes the caller's request id when it is well formed, otherwise makes one. */
export function requestIdOf(req: { headers: IncomingHttpHeaders }): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by requestLogging(): the id of this request across services. */
    requestId: string;
  }
}

/**
 * Assigns a request its id (the caller's, when well formed), echoes it in `x-request-id`, and logs
 * one line when the response ends (health checks at debug). For plain node:http handlers;
 * requestLogging() is the same as express middleware. Returns the id.
 */
export function logRequest(logger: Logger, req: IncomingMessage & { requestId?: string } & TracedRequest, res: ServerResponse): string {
  const started = process.hrtime.bigint();
  const requestId = requestIdOf(req);
  req.requestId = requestId;
  res.setHeader(REQUEST_ID_HEADER, requestId);
  // Read now: routers rewrite req.url as they go (express's originalUrl is this one).
  const path = pathOf(req.url);
  res.on('finish', () => {
    const health = path === '/health' || path === '/ready';
    // Nothing is built for a line the level would drop (a benchmark's LOG_LEVEL=warn, say).
    if (!logger.isLevelEnabled(health ? 'debug' : 'info')) return;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const line = {
      reqId: requestId,
      method: req.method,
      path,
      status: res.statusCode,
      ms: Math.round(ms * 10) / 10,
      traceId: requestTraceId(req),
    };
    if (health) logger.debug(line, 'request');
    else logger.info(line, 'request');
  });
  return requestId;
}

/** Express middleware: logRequest() for every request of an app. */
export function requestLogging(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    logRequest(logger, req, res);
    next();
  };
}
