/**
 * The WebSocket API at /ws, in the shape of API Gateway's WebSocket APIs: a connection is
 * authenticated at the handshake ($connect: a bearer token in the Authorization header or the
 * `token` query parameter, and/or an API key header), each message is routed by its `action` field
 * to the integration WS_ROUTES declares for it (unmatched or non-JSON messages to $default), and
 * $disconnect runs once however the connection ends. Services answer a route, and later reach the
 * client through the push API (/@connections/{id}, pushApi.ts). Limits: message size, idle time,
 * connection age, new connections per second, messages per second per connection.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import express from 'express';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Dispatcher } from 'undici';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { AppError } from '../../../lib/errors.js';
import type { Identity } from '../../../lib/identity.js';
import { REQUEST_ID_HEADER, type Logger } from '../../../lib/logger.js';
import type { SharedRedis } from '../../redis.js';
import { handshakeCredentials, refuseUpgrade } from '../../frontDoor/upgrades.js';
import type { GatewayFeature } from '../feature.js';
import type { GatewayMetrics } from '../../metrics.js';
import { createConnectionRegistry, type ConnectionInfo } from './connectionRegistry.js';
import { createIntegrationCaller, type IntegrationEvent, type WebSocketEventType } from './integration.js';
import { liveOrdersPageRouter } from './liveOrdersPage.js';
import { CONNECTIONS_PATH, pushApiRouter } from './pushApi.js';
import type { WebSocketApiConfig } from './websocketApiConfig.js';

export const WEBSOCKET_PATH = '/ws';

/** Close codes the gateway uses (RFC 6455 §7.4.1; 1009 is sent by `ws` itself for an oversized message). */
export const CLOSE_CODES = {
  /** DELETE on the push API, or the client's own normal close. */
  normal: 1000,
  /** Idle timeout or maximum connection age. */
  goingAway: 1001,
  /** Messages keep coming faster than the limit. */
  policyViolation: 1008,
  messageTooBig: 1009,
  /** The gateway is shutting down: reconnect (to another replica). */
  serviceRestart: 1012,
} as const;

export interface WebSocketApiOptions {
  config: Readonly<WebSocketApiConfig>;
  /** The identity the handshake's headers prove (useAuthentication's identify). */
  identify: (headers: IncomingHttpHeaders, log?: { requestId?: string }) => Promise<Identity>;
  routingUrlOf: (service: string) => string | undefined;
  dispatcher: Dispatcher;
  identityHeaders: (identity: Identity, requestId: string) => Record<string, string>;
  /** The gateway's base URL as services reach it (known once it listens). */
  callbackBaseUrl: () => string;
  redis?: SharedRedis;
  metrics?: GatewayMetrics;
  /** Serve the live orders page at /live/orders. @default true */
  liveOrdersPage?: boolean;
  logger: Logger;
}

export interface WebSocketApiFeature extends GatewayFeature {
  /** Closes every connection (1012, each one's $disconnect runs) and refuses new ones; before the HTTP server closes. */
  closeConnections(): Promise<void>;
}

/** How long a shutdown waits for clients to answer the close frame before it drops them. */
const SHUTDOWN_GRACE_MS = 2_000;

export function useWebSocketApi(options: WebSocketApiOptions): WebSocketApiFeature {
  const { config, logger, metrics } = options;
  const routes = config.routes;
  const actionNames = Object.keys(routes).filter((key) => !key.startsWith('$'));
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxMessageBytes, clientTracking: false });
  const registry = createConnectionRegistry({ redis: options.redis, ttlMs: config.idleTimeoutMs + 60_000, logger });
  const integrations = createIntegrationCaller({
    routingUrlOf: options.routingUrlOf,
    dispatcher: options.dispatcher,
    identityHeaders: options.identityHeaders,
    timeoutMs: config.integrationTimeoutMs,
    maxAnswerBytes: config.maxMessageBytes,
    logger,
  });
  const connectLimiter = createConnectLimiter(config.connectsPerSecond, options.redis);
  const open = new Map<string, { socket: WebSocket; disconnected: Promise<void> }>();
  let closing = false;

  const handle = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    accept(req, socket, head).catch((err: unknown) => {
      logger.error({ err }, 'websocket handshake failed');
      refuseUpgrade(socket, new AppError('INTERNAL_SERVER_ERROR', 'Internal server error'));
    });
  };

  const accept = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const requestId = headerValue(req.headers[REQUEST_ID_HEADER]) ?? randomUUID();
    if (closing) {
      refuseUpgrade(socket, new AppError('SERVICE_UNAVAILABLE', 'The gateway is shutting down: connect again', { retryAfterSeconds: 1 }));
      return;
    }
    const limited = await connectLimiter();
    if (limited !== undefined) {
      refuseUpgrade(
        socket,
        new AppError('RATE_LIMITED', `Too many new connections: at most ${config.connectsPerSecond} per second; retry after ${limited} s`, {
          retryAfterSeconds: limited,
          details: { limit: 'connectsPerSecond', max: config.connectsPerSecond },
        }),
      );
      return;
    }

    // Browsers cannot set headers on a WebSocket, so the token may come as ?token=; the header wins.
    let identity: Identity;
    try {
      identity = await options.identify(handshakeCredentials(req) ?? {}, { requestId });
    } catch (err) {
      const appError = err instanceof AppError ? err : new AppError('UNAUTHENTICATED', 'The credential could not be verified');
      const challenge = appError.details?.challenge;
      refuseUpgrade(
        socket,
        new AppError(appError.code, appError.message, { retryAfterSeconds: appError.retryAfterSeconds }),
        typeof challenge === 'string' ? { 'WWW-Authenticate': challenge } : {},
      );
      return;
    }
    if (!identity.subject) {
      refuseUpgrade(
        socket,
        new AppError('UNAUTHENTICATED', 'A WebSocket connection needs a credential: a bearer token (Authorization header or ?token=) or an API key (x-api-key)'),
        { 'WWW-Authenticate': 'Bearer' },
      );
      return;
    }

    const connectionId = randomBytes(12).toString('base64url');
    const connectedAt = new Date();
    const sourceIp = req.socket.remoteAddress ?? 'unknown';
    const callbackUrl = `${options.callbackBaseUrl()}${CONNECTIONS_PATH}/${connectionId}`;
    const context = (routeKey: string, eventType: WebSocketEventType, eventRequestId: string): IntegrationEvent['requestContext'] => ({
      routeKey,
      eventType,
      connectionId,
      requestId: eventRequestId,
      connectedAt: connectedAt.toISOString(),
      callbackUrl,
      sourceIp,
      identity: identityView(identity),
    });

    const connectRoute = routes.$connect;
    if (connectRoute) {
      const answer = await integrations.call(connectRoute, { requestContext: context('$connect', 'CONNECT', requestId) }, identity);
      if (answer.kind === 'error') {
        refuseUpgrade(socket, answer.error);
        return;
      }
    }
    if (socket.destroyed || closing) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      connected(ws, { connectionId, connectedAt, identity, sourceIp, context });
    });
  };

  const connected = (
    ws: WebSocket,
    c: {
      connectionId: string;
      connectedAt: Date;
      identity: Identity;
      sourceIp: string;
      context: (routeKey: string, eventType: WebSocketEventType, requestId: string) => IntegrationEvent['requestContext'];
    },
  ): void => {
    const { connectionId } = c;
    let lastActiveAt = c.connectedAt;
    let windowStart = Date.now();
    let windowCount = 0;
    const info = (): ConnectionInfo => ({
      connectionId,
      connectedAt: c.connectedAt.toISOString(),
      lastActiveAt: lastActiveAt.toISOString(),
      identity: identityView(c.identity),
      sourceIp: c.sourceIp,
    });
    const send = (text: string) => {
      if (ws.readyState === ws.OPEN) ws.send(text);
    };
    const sendError = (error: AppError, requestId?: string) =>
      send(JSON.stringify({ type: 'error', error: error.toBody().error, ...(requestId ? { requestId } : {}) }));

    const idle = setTimeout(
      () => ws.close(CLOSE_CODES.goingAway, `Idle timeout: no message for ${duration(config.idleTimeoutMs)}`),
      config.idleTimeoutMs,
    );
    const maxAge = setTimeout(
      () => ws.close(CLOSE_CODES.goingAway, `Connection reached its maximum age of ${duration(config.maxConnectionAgeMs)}`),
      config.maxConnectionAgeMs,
    );
    let resolveDisconnected!: () => void;
    const disconnected = new Promise<void>((resolve) => (resolveDisconnected = resolve));
    open.set(connectionId, { socket: ws, disconnected });
    registry.add({ info, send, closeByService: () => ws.close(CLOSE_CODES.normal, 'Closed by the service') });
    metrics?.websocketConnections.inc();
    logger.info({ connectionId, subject: c.identity.subject }, 'websocket connected');

    ws.on('message', (data: RawData, isBinary: boolean) => {
      lastActiveAt = new Date();
      idle.refresh();
      registry.touched(connectionId);
      const requestId = randomUUID();
      // A fixed one-second window: over the limit each message gets an error; at twice the limit the connection goes.
      const now = Date.now();
      if (now - windowStart >= 1_000) {
        windowStart = now;
        windowCount = 0;
      }
      windowCount++;
      if (windowCount > 2 * config.messagesPerSecond) {
        ws.close(CLOSE_CODES.policyViolation, `Message rate limit exceeded repeatedly (${config.messagesPerSecond} per second)`);
        return;
      }
      if (windowCount > config.messagesPerSecond) {
        sendError(
          new AppError('RATE_LIMITED', `Message rate limit exceeded: at most ${config.messagesPerSecond} messages per second per connection; this message was dropped`, {
            details: { limit: 'messagesPerSecond', max: config.messagesPerSecond },
          }),
          requestId,
        );
        return;
      }
      const { routeKey, body, isBase64Encoded } = selectRoute(data, isBinary);
      // Own keys only: an action such as "__proto__" or "constructor" must not find Object.prototype's.
      const route = Object.hasOwn(routes, routeKey) ? routes[routeKey] : undefined;
      if (!route) {
        sendError(
          new AppError(
            'BAD_REQUEST',
            routeKey === '$default'
              ? `No route for this message: send JSON with an "action" of ${actionNames.length ? actionNames.map((a) => `"${a}"`).join(', ') : '(none configured)'}`
              : `No route for action "${routeKey}"`,
            { details: { actions: actionNames } },
          ),
          requestId,
        );
        return;
      }
      const event: IntegrationEvent = {
        requestContext: c.context(routeKey, 'MESSAGE', requestId),
        body,
        ...(isBase64Encoded ? { isBase64Encoded: true } : {}),
      };
      integrations.call(route, event, c.identity).then(
        (answer) => {
          if (answer.kind === 'message') send(answer.text);
          else if (answer.kind === 'error') sendError(answer.error, requestId);
        },
        (err: unknown) => {
          logger.error({ err, connectionId }, 'websocket route failed');
          sendError(new AppError('INTERNAL_SERVER_ERROR', 'Internal server error'), requestId);
        },
      );
    });

    /** Which route a message takes: its `action` when that names a route, else $default. */
    const selectRoute = (data: RawData, isBinary: boolean): { routeKey: string; body: unknown; isBase64Encoded?: boolean } => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary) return { routeKey: '$default', body: bytes.toString('base64'), isBase64Encoded: true };
      const text = bytes.toString('utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return { routeKey: '$default', body: text };
      }
      const action = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as { action?: unknown }).action : undefined;
      if (typeof action === 'string' && !action.startsWith('$') && Object.hasOwn(routes, action)) return { routeKey: action, body: parsed };
      return { routeKey: '$default', body: parsed };
    };

    ws.on('error', (err) => logger.debug({ err: err.message, connectionId }, 'websocket error'));
    ws.once('close', (code: number, reason: Buffer) => {
      clearTimeout(idle);
      clearTimeout(maxAge);
      registry.remove(connectionId);
      metrics?.websocketConnections.dec();
      logger.info({ connectionId, code, reason: reason.toString() }, 'websocket disconnected');
      const route = routes.$disconnect;
      const done = () => {
        open.delete(connectionId);
        resolveDisconnected();
      };
      if (!route) {
        done();
        return;
      }
      const event: IntegrationEvent = {
        requestContext: { ...c.context('$disconnect', 'DISCONNECT', randomUUID()), disconnectStatusCode: code, disconnectReason: reason.toString() },
      };
      integrations.call(route, event, c.identity).then(done, (err: unknown) => {
        logger.error({ err, connectionId }, '$disconnect integration failed');
        done();
      });
    });
  };

  const router = express.Router();
  router.use(
    pushApiRouter({
      registry,
      serviceToken: config.serviceToken,
      signatureMaxAgeMs: config.signatureMaxAgeMs,
      maxMessageBytes: config.maxMessageBytes,
      redis: options.redis,
      logger,
    }),
  );
  if (options.liveOrdersPage ?? true) router.use(liveOrdersPageRouter({ websocketPath: WEBSOCKET_PATH }));

  const closeConnections = async () => {
    closing = true;
    const pending = [...open.values()];
    for (const { socket } of pending) socket.close(CLOSE_CODES.serviceRestart, 'The gateway is shutting down: connect again');
    const grace = setTimeout(() => pending.forEach(({ socket }) => socket.terminate()), SHUTDOWN_GRACE_MS);
    grace.unref();
    await Promise.all(pending.map(({ disconnected }) => disconnected));
    clearTimeout(grace);
  };

  return {
    name: 'websocket api',
    upgrades: [{ path: WEBSOCKET_PATH, handle }],
    routes: router,
    closeConnections,
    async close() {
      await closeConnections();
      await registry.close();
      wss.close();
    },
  };
}

/** Seconds to wait when over the limit; undefined when the connection may go ahead. */
function createConnectLimiter(perSecond: number, redis: SharedRedis | undefined): () => Promise<number | undefined> {
  const memory = new RateLimiterMemory({ points: perSecond, duration: 1, keyPrefix: 'ws-connect' });
  const limiter: RateLimiterAbstract = redis
    ? new RateLimiterRedis({
        storeClient: redis.client,
        keyPrefix: 'gateway:ws:connects',
        points: perSecond,
        duration: 1,
        rejectIfRedisNotReady: true,
        inMemoryBlockOnConsumed: 0,
        insuranceLimiter: memory,
      })
    : memory;
  return async () => {
    try {
      await limiter.consume('all');
      return undefined;
    } catch (res) {
      if (res instanceof RateLimiterRes) return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
      return undefined; // the store failed and the insurance too: do not refuse for our own failure
    }
  };
}

function identityView(identity: Identity): ConnectionInfo['identity'] {
  return {
    ...(identity.subject ? { subject: identity.subject } : {}),
    scopes: identity.scopes,
    ...(identity.apiKey ? { apiKeyId: identity.apiKey.id } : {}),
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(value) ? value : undefined;
}

function duration(ms: number): string {
  return ms < 1_000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}
