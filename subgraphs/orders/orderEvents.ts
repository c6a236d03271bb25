/**
 * "An order changed": published after the change is committed (placeOrder, cancelOrder,
 * updateOrderStatus), carrying the order as it now is. Live updates are built on it: pushes to the
 * customer's WebSocket connections (once per change, from the replica that made it: onLocal) and
 * GraphQL subscriptions (on whichever replica the subscriber is connected to: onAny).
 */
import type { Logger } from '../../lib/logger.js';
import { createEventBus, type EventBus } from '../kit/index.js';
import type { OrderRecord } from './orderStore.js';

export interface OrderChange {
  /** 'placed': a new order; 'status': its status moved. */
  kind: 'placed' | 'status';
  order: OrderRecord;
}

export type OrderEvents = EventBus<OrderChange>;

export const ORDER_EVENTS_CHANNEL = 'orders:changes';

export function createOrderEvents(options: { redisUrl?: string; logger: Logger }): OrderEvents {
  return createEventBus<OrderChange>({ channel: ORDER_EVENTS_CHANNEL, redisUrl: options.redisUrl, logger: options.logger });
}
