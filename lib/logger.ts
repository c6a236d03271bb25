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
  return pino(
    { level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime, redact: REDACTED_FIELDS },
    destination ?? standardOutput(),
  );
}

let stdout: pino.DestinationStream | undefined;

/** How long a log line may wait to be written with the ones after it. */
export const LOG_FLUSH_INTERVAL_MS = 50;

/**
 * The process's standard output, one for every logger in it (`npm start` runs five services in one
 * process, and two writers could interleave a long write), buffered: lines go out together, at 4 KiB
 * or every LOG_FLUSH_INTERVAL_MS, instead of one write() per line. A write to a pipe wakes its reader
 * (the container runtime, a terminal), and one per request took 14 % of the connection proxy's CPU
 * under load (bench/proxy/README.md). pino writes what is left when the process exits; a process
 * killed outright loses at most the last interval's lines.
 */
function standardOutput(): pino.DestinationStream {
  if (!stdout) {
    const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
    setInterval(() => destination.flush(), LOG_FLUSH_INTERVAL_MS).unref();
    stdout = destination;
  }
  return stdout;
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

/** Whether a caller's value is a request id we take as it is (and log: no spaces, commas or quotes). */
export function isRequestId(value: unknown): value is string {
  return typeof value === 'string' && REQUEST_ID_PATTERN.test(value);
}

/** Takes the caller's request id when it is well formed, otherwise makes one. */
export function requestIdOf(req: { headers: IncomingHttpHeaders }): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return isRequestId(given) ? given : randomUUID();
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
