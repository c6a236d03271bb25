/**
 * Status changes: the customer's cancel and the admin's moves share one conditional UPDATE, so two
 * concurrent changes of the same order cannot both win, and a cancelled order's stock is given back once.
 */
import { graphQLErrorFor, userInputError } from '../../lib/errors.js';
import { allowedSources, canMove, type OrderStatus } from './orderStatus.js';
import { markStockReleased, moveOrderStatus, ordersByIds, type OrderRecord } from './orderStore.js';
import type { OrderServices } from './placeOrder.js';

/** A racing change can make the first guard miss although the move is allowed from the new status. */
const MAX_ATTEMPTS = 3;

export interface StatusChange {
  orderId: string;
  to: OrderStatus;
  /** Set for customers: only their own orders may change, and others' look like they do not exist. */
  customerId?: string;
}

export async function changeOrderStatus(services: OrderServices, change: StatusChange): Promise<OrderRecord> {
  const from = allowedSources(change.to);
  for (let attempt = 1; ; attempt++) {
    const moved = from.length
      ? await moveOrderStatus(services.db, { id: change.orderId, to: change.to, from, customerId: change.customerId })
      : null;
    if (moved) {
      services.events?.publish({ kind: 'status', order: moved });
      if (change.to === 'CANCELLED') await releaseStock(services, moved.id);
      return moved;
    }
    const [current] = await ordersByIds(services.db, [change.orderId]);
    if (!current || (change.customerId !== undefined && current.customerId !== change.customerId)) {
      throw graphQLErrorFor('NOT_FOUND', `Order ${change.orderId} not found`, { id: change.orderId });
    }
    if (canMove(current.status, change.to) && attempt < MAX_ATTEMPTS) continue;
    if (change.customerId !== undefined && change.to === 'CANCELLED') {
      throw userInputError(`Only PENDING or PAID orders can be cancelled; this order is ${current.status}`, {
        status: current.status,
      });
    }
    throw userInputError(`cannot move an order from ${current.status} to ${change.to}`, {
      from: current.status,
      to: change.to,
    });
  }
}

/**
 * Gives a cancelled order's stock back. Products releases idempotently, so a failure here only delays
 * it: the order keeps stock_released = false and the background sweep tries again.
 */
export async function releaseStock(services: OrderServices, orderId: string): Promise<boolean> {
  try {
    await services.products.release(orderId, services.requestId);
  } catch (err) {
    services.logger.warn({ err, orderId, reqId: services.requestId }, 'stock release failed; the sweep will retry');
    return false;
  }
  try {
    await markStockReleased(services.db, orderId);
  } catch (err) {
    // The stock is back; the sweep will release again (a no-op at products) and set the flag.
    services.logger.warn({ err, orderId, reqId: services.requestId }, 'could not record the stock release');
  }
  return true;
}
