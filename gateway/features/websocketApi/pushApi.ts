/**
 * The push API services use to reach a WebSocket client, as API Gateway's @connections API:
 * POST /@connections/{id} sends the body to the client as one text message, GET describes the
 * connection, DELETE closes it; a connection that is closed or never existed answers 410 GONE.
 * Only platform services may call it: each request is signed with the internal service token
 * (lib/signedRequest.ts); unsigned requests get 401, wrongly signed, stale or replayed ones 403.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { AppError } from '../../../lib/errors.js';
import { memoryReplayGuard, verifyRequest, type ReplayGuard } from '../../../lib/signedRequest.js';
import type { Logger } from '../../../lib/logger.js';
import type { SharedRedis } from '../../redis.js';
import type { ConnectionRegistry } from './connectionRegistry.js';

export const CONNECTIONS_PATH = '/@connections';

export interface PushApiOptions {
  registry: ConnectionRegistry;
  serviceToken: string;
  signatureMaxAgeMs: number;
  /** The largest message a client may get (WS_MAX_MESSAGE_BYTES). */
  maxMessageBytes: number;
  redis?: SharedRedis;
  logger: Logger;
}

export function pushApiRouter(options: PushApiOptions): Router {
  const router = express.Router();
  const replayGuard = options.redis ? sharedReplayGuard(options.redis, options.logger) : memoryReplayGuard();
  const rawBody = express.raw({ type: () => true, limit: options.maxMessageBytes });

  router.all(`${CONNECTIONS_PATH}/:connectionId`, rawBody, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const verified = await verifyRequest(req.headers, {
        secret: options.serviceToken,
        method: req.method,
        path: req.originalUrl,
        body,
        replayGuard,
        maxAgeMs: options.signatureMaxAgeMs,
      });
      if (!verified.ok) {
        options.logger.warn({ reqId: req.requestId, reason: verified.reason }, 'push API request refused');
        throw new AppError(
          verified.problem === 'missing' ? 'UNAUTHENTICATED' : 'FORBIDDEN',
          `The push API is for platform services only: ${verified.reason}`,
        );
      }
      const connectionId = String(req.params.connectionId);
      const gone = () => new AppError('GONE', `Connection ${connectionId} is gone: it closed or never existed`, { details: { connectionId } });
      switch (req.method) {
        case 'POST': {
          if (body.length === 0) throw new AppError('BAD_REQUEST', 'The message is empty: POST the data to send as the body');
          if (!(await options.registry.send(connectionId, body.toString('utf8')))) throw gone();
          res.status(204).end();
          return;
        }
        case 'GET': {
          const info = await options.registry.describe(connectionId);
          if (!info) throw gone();
          res.json(info);
          return;
        }
        case 'DELETE': {
          if (!(await options.registry.closeConnection(connectionId))) throw gone();
          res.status(204).end();
          return;
        }
        default:
          res.setHeader('Allow', 'POST, GET, DELETE');
          throw new AppError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${CONNECTIONS_PATH}/{id}: use POST, GET or DELETE`);
      }
    } catch (err) {
      next(err);
    }
  });
  return router;
}

/** Signatures seen by any replica (SET NX with the window as TTL); this replica's memory while Redis is away. */
function sharedReplayGuard(redis: SharedRedis, logger: Logger): ReplayGuard {
  const fallback = memoryReplayGuard();
  return {
    async firstUse(signature, ttlMs) {
      if (!redis.isReady()) return fallback.firstUse(signature, ttlMs);
      try {
        return (await redis.client.set(`gateway:ws:signature:${signature}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'push API replay check: redis failed, checking locally');
        return fallback.firstUse(signature, ttlMs);
      }
    },
  };
}
