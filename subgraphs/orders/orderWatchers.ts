/**
 * Live order updates over the gateway's WebSocket API: the routes the gateway's WS_ROUTES send to
 * (watchOrders, unwatchOrders, $disconnect, under /websocket/ and signed by the gateway like /api),
 * the table of watching connections, and the push of every order change (placed, status moved) to
 * its customer's connections only, through the push API at each connection's callback URL.
 */
import type { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { money, requireSubject, type Db, type SubgraphDeps } from '../kit/index.js';
import { requireGatewaySignature } from '../kit/createSubgraph.js';
import { CALLBACK_URL_PATTERN, type ConnectionsClient } from '../kit/connectionsClient.js';
import { parseRequest, requestIdentity, restErrors } from '../kit/rest.js';
import type { OrdersConfig } from './config.js';
import type { OrderChange, OrderEvents } from './orderEvents.js';
import type { OrderRecord } from './orderStore.js';
import type { OrdersServices } from './resolvers.js';

export const WEBSOCKET_ROUTES_PATH = '/websocket';

/** The part of the gateway's event the routes read. */
const eventSchema = z.object({
  requestContext: z.object({
    connectionId: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be a connection id'),
    callbackUrl: z.string().regex(CALLBACK_URL_PATTERN, 'must be a push API callback URL (.../@connections/<id>)'),
  }),
});

export function orderWatchRoutes(router: Router, deps: SubgraphDeps<OrdersConfig, OrdersServices>): void {
  router.use(WEBSOCKET_ROUTES_PATH, requireGatewaySignature(deps.config, deps.logger, 'rest'));

  router.post(`${WEBSOCKET_ROUTES_PATH}/watchOrders`, async (req, res) => {
    const customerId = requireSubject(requestIdentity(req));
    const { requestContext } = parseRequest(eventSchema, req.body, 'body');
    if (!requestContext.callbackUrl.endsWith(`/@connections/${requestContext.connectionId}`)) {
      throw new AppError('BAD_USER_INPUT', "requestContext.callbackUrl is not this connection's own", { details: { field: 'requestContext.callbackUrl' } });
    }
    await deps.db.forRequest(req.requestId).query(
      `INSERT INTO websocket_watchers (connection_id, customer_id, callback_url) VALUES ($1, $2, $3)
       ON CONFLICT (connection_id) DO UPDATE SET customer_id = EXCLUDED.customer_id, callback_url = EXCLUDED.callback_url`,
      [requestContext.connectionId, customerId, requestContext.callbackUrl],
    );
    res.json({ type: 'watching', watching: 'orders', customerId });
  });

  router.post(`${WEBSOCKET_ROUTES_PATH}/unwatchOrders`, async (req, res) => {
    requireSubject(requestIdentity(req));
    const { requestContext } = parseRequest(eventSchema, req.body, 'body');
    await forget(deps.db.forRequest(req.requestId), requestContext.connectionId);
    res.json({ type: 'unwatched', watching: 'orders' });
  });

  // $disconnect: nothing goes back to a closed connection.
  router.post(`${WEBSOCKET_ROUTES_PATH}/disconnect`, async (req, res) => {
    const { requestContext } = parseRequest(eventSchema, req.body, 'body');
    await forget(deps.db.forRequest(req.requestId), requestContext.connectionId);
    res.status(204).end();
  });

  router.use(WEBSOCKET_ROUTES_PATH, restErrors());
}

async function forget(db: Db, connectionId: string): Promise<void> {
  await db.query('DELETE FROM websocket_watchers WHERE connection_id = $1', [connectionId]);
}

/** The message a watching connection gets for one change. */
export function orderChangeMessage(change: OrderChange) {
  const { order } = change;
  return { type: 'order', event: change.kind, order: orderView(order) };
}

function orderView(order: OrderRecord) {
  return {
    id: order.id,
    customerId: order.customerId,
    status: order.status,
    total: money(order.totalCents, order.currency),
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}

/**
 * Pushes each change made on this replica (onLocal: once per change, whichever replica the watcher's
 * gateway is) to the connections watching that customer; returns how to stop.
 */
export function startOrderPushes(options: { db: Db; events: OrderEvents; connections: ConnectionsClient; logger: Logger }): () => Promise<void> {
  const { db, connections, logger } = options;
  const inFlight = new Set<Promise<void>>();
  const push = async (change: OrderChange) => {
    const watchers = await db.read<{ connection_id: string; callback_url: string }>(
      'SELECT connection_id, callback_url FROM websocket_watchers WHERE customer_id = $1',
      [change.order.customerId],
    );
    const message = orderChangeMessage(change);
    await Promise.all(
      watchers.rows.map(async (watcher) => {
        try {
          if ((await connections.send(watcher.callback_url, message)) === 'gone') await forget(db, watcher.connection_id);
        } catch (err) {
          logger.warn({ err: (err as Error).message, connectionId: watcher.connection_id }, 'order push failed');
        }
      }),
    );
  };
  const unsubscribe = options.events.onLocal((change) => {
    const task = push(change).catch((err: unknown) => logger.warn({ err, orderId: change.order.id }, 'order pushes failed'));
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  });
  return async () => {
    unsubscribe();
    await Promise.all(inFlight);
  };
}
