/**
 * HTTP plumbing every service shares: listening on a port (0 picks a free one), closing with a drain,
 * the JSON error handler that turns anything thrown into the registry's body shape (for express and for
 * plain node:http handlers), and /health + /ready.
 */
import { once } from 'node:events';
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { AppError } from './errors.js';
import type { Logger } from './logger.js';

/**
 * Whether a service has begun to shut down. Once begun, /ready answers 503 (load balancers and
 * Kubernetes take the instance out) and every response says `Connection: close`, so keep-alive
 * clients open their next connection elsewhere; requests are still served.
 */
export class Draining {
  private begun = false;
  get active(): boolean {
    return this.begun;
  }
  begin(): void {
    this.begun = true;
  }
}

export interface RunningServer {
  server: Server;
  port: number;
  /** Base URL, e.g. http://127.0.0.1:4001 */
  url: string;
  /** Begins draining (see Draining), stops accepting, waits for requests in flight (at most drainMs), closes. */
  close(): Promise<void>;
}

/**
 * `app`: an express app, or any request listener (the proxy's own /v1 handler in front of one).
 * `draining`: the service's drain state, shared with its healthRoutes(); close() begins it.
 */
export async function listen(
  app: Express | RequestListener,
  port: number,
  host = '0.0.0.0',
  drainMs = 5_000,
  draining: Draining = new Draining(),
): Promise<RunningServer> {
  const handle = app as RequestListener;
  const server = createServer((req, res) => {
    if (draining.active) res.setHeader('Connection', 'close');
    handle(req, res);
  });
  server.listen(port, host);
  await once(server, 'listening');
  // Node's default keep-alive timeout (5 s) races with client pools that keep sockets for 4 s+; stay above them.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const actual = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  let closing: Promise<void> | undefined;
  return {
    server,
    port: actual,
    url: `http://${shownHost}:${actual}`,
    close() {
      draining.begin();
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), drainMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/** express.json() with our limits; its failures are turned into clear 4xx bodies by errorHandler(). */
export function jsonBody(limit: string | number = '1mb') {
  return express.json({ limit, strict: true, type: ['application/json', 'application/*+json'] });
}

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

/** Converts thrown errors into the one error body shape; unknown errors are logged and masked. */
export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    sendAppError(res, err, logger, { requestId: req.requestId, path: req.path });
  };
}

/**
 * A thrown error as the one error body shape (`{"error": {"code", "message"}}`) with its status and
 * Retry-After, for express (errorHandler) and plain node:http handlers alike; an error that is not
 * an AppError is logged and answered as a masked 500.
 */
export function sendAppError(res: ServerResponse, err: unknown, logger: Logger, request: { requestId?: string; path: string }): void {
  const appError = toAppError(err);
  if (appError.status >= 500 && !(err instanceof AppError)) {
    logger.error({ err, reqId: request.requestId, path: request.path }, 'unhandled error');
  }
  if (appError.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(appError.retryAfterSeconds));
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, appError.status, appError.toBody());
}

/** A JSON answer with its length, written at once (what express's res.json() does, without its ETag). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  // Encoded once: measuring the text's length and then writing it would read it twice.
  const bytes = Buffer.from(JSON.stringify(body));
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', bytes.length);
  res.end(bytes);
}

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as BodyParserError;
  switch (e?.type) {
    case 'entity.parse.failed':
      return new AppError('BAD_REQUEST', `Malformed JSON body: ${e.message}`);
    case 'entity.too.large':
      return new AppError('PAYLOAD_TOO_LARGE', `Request body is larger than the limit of ${e.limit} bytes`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', e.message);
    case 'request.aborted':
      return new AppError('BAD_REQUEST', 'Request was aborted by the client');
    default:
      if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
        return new AppError('BAD_REQUEST', e.message || 'Bad request');
      }
      return new AppError('INTERNAL_SERVER_ERROR', 'Internal server error');
  }
}

/** 404 for routes nobody owns, in the same body shape. */
export function notFoundHandler() {
  return (req: Request, res: Response): void => {
    res.status(404).json(new AppError('NOT_FOUND', `No route for ${req.method} ${req.path}`).toBody());
  };
}

export type ReadinessChecks = Record<string, () => Promise<void>>;

/**
 * /health answers while the process is up; /ready runs the service's own checks (database reachable,
 * dependencies up) and answers 503 with the failing ones, or 503 `draining` once the service shuts
 * down. `checks` may be a function, read at each /ready, for a service whose dependencies change
 * while it runs.
 */
export function healthRoutes(checks: ReadinessChecks | (() => ReadinessChecks) = {}, draining?: Draining) {
  const router = express.Router();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/ready', async (_req, res) => {
    if (draining?.active) {
      res.status(503).json({ status: 'draining', checks: {} });
      return;
    }
    const results: Record<string, string> = {};
    let ok = true;
    const current = typeof checks === 'function' ? checks() : checks;
    await Promise.all(
      Object.entries(current).map(async ([name, check]) => {
        try {
          await check();
          results[name] = 'ok';
        } catch (err) {
          ok = false;
          results[name] = err instanceof Error ? err.message : String(err);
        }
      }),
    );
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks: results });
  });
  return router;
}
