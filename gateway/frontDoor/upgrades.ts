/**
 * WebSocket endpoints share the gateway's HTTP server: one 'upgrade' listener routes each upgrade by
 * exact path to the feature that owns it (features' `upgrades`); refusals before the handshake are
 * plain HTTP answers with a JSON body, like the gateway's other errors.
 */
import { STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { UpgradeRoute } from '../features/feature.js';

/**
 * One 'upgrade' listener for the WebSocket endpoints the features own (exact path match); any other
 * path is refused with 404 before a WebSocket exists.
 */
export function attachUpgrades(server: HttpServer, routes: readonly UpgradeRoute[], logger: Logger): void {
  const byPath = new Map(routes.map((route) => [route.path, route]));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err) => logger.debug({ err: err.message }, 'upgrade socket error'));
    const path = (req.url ?? '/').split('?')[0];
    const route = byPath.get(path);
    if (!route) {
      refuseUpgrade(socket, new AppError('NOT_FOUND', `No WebSocket endpoint at ${path}`));
      return;
    }
    try {
      route.handle(req, socket, head);
    } catch (err) {
      logger.error({ err, path }, 'upgrade handler failed');
      refuseUpgrade(socket, new AppError('INTERNAL_SERVER_ERROR', 'Internal server error'));
    }
  });
}

/**
 * An HTTP answer on a socket that asked for an upgrade, in the body shape of the gateway's other
 * errors (`{"error": {"code", "message"}}`), with Retry-After when the error has one.
 */
export function refuseUpgrade(socket: Duplex, error: AppError, headers: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(error.toBody());
  const lines = [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(error.retryAfterSeconds !== undefined ? [`Retry-After: ${error.retryAfterSeconds}`] : []),
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * The bearer token a WebSocket handshake carries as `?token=`: browsers cannot set headers on a
 * WebSocket, so the query string is where they put it.
 */
export function queryToken(req: IncomingMessage): string | undefined {
  return new URL(req.url ?? '/', 'http://gateway').searchParams.get('token') || undefined;
}

/**
 * The credential of a WebSocket handshake, as the headers authentication reads: its Authorization and
 * x-api-key headers, with `?token=` as the bearer token when no Authorization header was sent (the
 * header wins). Undefined when the handshake carries no credential at all.
 */
export function handshakeCredentials(req: IncomingMessage): IncomingHttpHeaders | undefined {
  const token = queryToken(req);
  const authorization = req.headers.authorization ?? (token ? `Bearer ${token}` : undefined);
  const apiKey = req.headers['x-api-key'];
  if (authorization === undefined && apiKey === undefined) return undefined;
  return { ...(authorization !== undefined ? { authorization } : {}), ...(apiKey !== undefined ? { 'x-api-key': apiKey } : {}) };
}

