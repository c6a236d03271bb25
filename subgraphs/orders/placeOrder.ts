/**
 * Placing an order is a saga across two services that never oversells and is idempotent:
 *   1. claim the idempotency key with a RESERVING order row (or find the order that holds it);
 *   2. reserve the stock at products with reservation id = order id (idempotent there too), which
 *      also answers the unit prices;
 *   3. in one transaction, add the items and move the row RESERVING -> PLACED.
 * A failure between the steps leaves a RESERVING row that a retry with the same key finishes; a
 * placement nobody finishes is abandoned and released by the background sweep.
 */
import { randomUUID } from 'node:crypto';
import { AppError, graphQLErrorFor, userInputError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { Db } from '../kit/index.js';
import type { ProductsInternalClient, Reservation } from '../products/internalApi.js';
import type { OrderEvents } from './orderEvents.js';
import type { OrderRequest } from './orderInput.js';
import {
  claimPlacement,
  completePlacement,
  deletePlacement,
  isGuardFailure,
  ordersByIds,
  type OrderRecord,
  type PlacedLine,
} from './orderStore.js';

export interface OrderServices {
  /** The orders database, bound to the current request. */
  db: Db;
  products: ProductsInternalClient;
  logger: Logger;
  requestId?: string;
  /** Told about every order placed or moved, after it is committed. */
  events?: OrderEvents;
}

/** GraphQL's Int is 32-bit, so no Money amount may exceed it. */
export const MAX_AMOUNT_CENTS = 2_147_483_647;

/** Claiming a key can lose to a concurrent attempt that fails and frees it; that many fresh starts at most. */
const MAX_CLAIMS = 3;

export function newOrderId(): string {
  return `ord_${randomUUID()}`;
}

export async function placeOrder(services: OrderServices, customerId: string, request: OrderRequest): Promise<OrderRecord> {
  const { db } = services;
  for (let claimNo = 1; claimNo <= MAX_CLAIMS; claimNo++) {
    const claim = await claimPlacement(db, {
      id: newOrderId(),
      customerId,
      idempotencyKey: request.idempotencyKey,
      fingerprint: request.fingerprint,
    });
    if (!claim) continue;
    if (claim.fingerprint !== request.fingerprint) {
      throw userInputError('idempotencyKey was already used for a different order', { field: 'idempotencyKey' });
    }
    if (claim.state === 'PLACED') {
      const [existing] = await ordersByIds(db, [claim.id]);
      if (existing) return existing;
      continue;
    }
    if (claim.state === 'ABANDONED') {
      throw graphQLErrorFor(
        'CONFLICT',
        'An earlier attempt with this idempotencyKey never finished and is being cleaned up; retry in a few seconds',
        { field: 'idempotencyKey' },
      );
    }
    const placed = await reserveAndPlace(services, claim.id, request);
    if (placed) return placed;
  }
  throw graphQLErrorFor('CONFLICT', 'Concurrent attempts with the same idempotencyKey got in each other\'s way; retry', {
    field: 'idempotencyKey',
  });
}

/** Steps 2 and 3 for a RESERVING order. Null when the order was taken away meanwhile (start again). */
async function reserveAndPlace(services: OrderServices, orderId: string, request: OrderRequest): Promise<OrderRecord | null> {
  const { db, products, logger, requestId } = services;
  let reservation: Reservation;
  try {
    reservation = await reserve(services, orderId, request);
  } catch (err) {
    const rejection = reservationRejection(err);
    if (!rejection) {
      logger.warn({ err, orderId, reqId: requestId }, 'stock reservation failed; the order stays RESERVING for a retry');
      throw downstreamError();
    }
    // Nothing was reserved: free the key so the customer can fix the order and send it again.
    await deletePlacement(db, orderId);
    throw rejection;
  }

  if (reservation.status === 'released') {
    // This order id's stock was already given back (an earlier refusal whose clean-up was cut short):
    // it can never be placed, so free the key and start again with a new id.
    await deletePlacement(db, orderId);
    return null;
  }

  const lines = pricedLines(request, reservation);
  const currencies = [...new Set(lines.map((line) => line.currency))];
  if (currencies.length > 1) {
    await undoReservation(services, orderId);
    throw userInputError(`An order cannot mix currencies (${currencies.join(', ')}); place one order per currency`, {
      field: 'items',
      currencies,
    });
  }
  const totalCents = lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
  if (totalCents > MAX_AMOUNT_CENTS) {
    await undoReservation(services, orderId);
    throw userInputError(`The order total (${totalCents} cents) is larger than one order may be; split the order`, {
      field: 'items',
    });
  }

  try {
    const placed = await completePlacement(db, orderId, lines, totalCents, currencies[0]);
    services.events?.publish({ kind: 'placed', order: placed });
    return placed;
  } catch (err) {
    if (!isGuardFailure(err)) throw err;
    // A concurrent attempt with the same key placed it first: that is the order.
    const [placed] = await ordersByIds(db, [orderId]);
    if (placed) return placed;
    // The row was freed (a concurrent attempt was refused, or the sweep abandoned it): our reservation
    // belongs to no order, so give it back before starting again.
    await products.release(orderId, requestId).catch((releaseErr: unknown) => {
      logger.error({ err: releaseErr, orderId, reqId: requestId }, 'could not release the stock of a placement that lost its row');
    });
    return null;
  }
}

/**
 * Products answers PRECONDITION_FAILED while a concurrent attempt for the same order id holds the
 * reservation uncommitted; that clears in moments, so wait briefly and ask again.
 */
async function reserve(services: OrderServices, orderId: string, request: OrderRequest): Promise<Reservation> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await services.products.reserve(orderId, request.items, services.requestId);
    } catch (err) {
      const busy = err instanceof AppError && err.code === 'PRECONDITION_FAILED';
      if (!busy || attempt >= 3) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

/** The documented refusals of a reservation (nothing was reserved), as the error the customer sees. */
function reservationRejection(err: unknown) {
  if (!(err instanceof AppError)) return null;
  const productId = typeof err.details?.productId === 'string' ? err.details.productId : undefined;
  if (err.code === 'CONFLICT' && err.details?.reason === 'INSUFFICIENT_STOCK' && productId) {
    return userInputError(`Not enough stock for ${productId}`, { field: 'items', productId, reason: 'INSUFFICIENT_STOCK' });
  }
  if (err.code === 'NOT_FOUND' && productId) {
    return userInputError(`Unknown product ${productId}`, { field: 'items', productId });
  }
  if (err.code === 'BAD_USER_INPUT') return userInputError(err.message, err.details);
  return null;
}

/** Pairs each requested line with the unit price products reserved it at. */
function pricedLines(request: OrderRequest, reservation: Reservation): PlacedLine[] {
  const reserved = new Map((Array.isArray(reservation?.items) ? reservation.items : []).map((item) => [item.productId, item]));
  return request.items.map((item) => {
    const match = reserved.get(item.productId);
    const cents = match?.unitPrice?.amountCents;
    const currency = match?.unitPrice?.currency;
    if (
      !match ||
      match.quantity !== item.quantity ||
      !Number.isSafeInteger(cents) ||
      (cents as number) < 0 ||
      typeof currency !== 'string'
    ) {
      throw graphQLErrorFor('DOWNSTREAM_SERVICE_ERROR', 'The products service answered a reservation that does not match the order', {
        service: 'products',
        productId: item.productId,
      });
    }
    return { productId: item.productId, quantity: item.quantity, unitPriceCents: cents as number, currency };
  });
}

/** Gives the stock back and frees the key; if products cannot be reached the row stays RESERVING for a retry. */
async function undoReservation(services: OrderServices, orderId: string): Promise<void> {
  try {
    await services.products.release(orderId, services.requestId);
  } catch (err) {
    services.logger.warn({ err, orderId, reqId: services.requestId }, 'releasing a refused order failed');
    throw downstreamError();
  }
  await deletePlacement(services.db, orderId);
}

function downstreamError() {
  return graphQLErrorFor(
    'DOWNSTREAM_SERVICE_ERROR',
    'The products service could not be reached to reserve stock; retry with the same idempotencyKey',
    { service: 'products' },
  );
}
