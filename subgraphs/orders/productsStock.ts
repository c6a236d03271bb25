/**
 * The products service's internal stock API, as orders uses it. Both calls are idempotent by
 * reservation id (= order id), so they are safe to retry on transient failures.
 */
import type { Dispatcher } from 'undici';
import { createServiceClient } from '../kit/index.js';
import type { OrderItemInput } from './orderInput.js';

export interface ReservedItem {
  productId: string;
  quantity: number;
  unitPrice: { amountCents: number; currency: string };
}

export interface Reservation {
  reservationId: string;
  /** 'released' when a repeat finds the reservation already given back: it holds no stock any more. */
  status?: 'reserved' | 'released';
  items: ReservedItem[];
}

export interface ProductsStock {
  /** Takes the stock for all items at once, or nothing; answers with the unit prices of that moment. */
  reserve(reservationId: string, items: OrderItemInput[], requestId?: string): Promise<Reservation>;
  /** Gives a reservation's stock back; `released` is false when it was already given back (or never existed). */
  release(reservationId: string, requestId?: string): Promise<{ released: boolean }>;
  close(): Promise<void>;
}

export function createProductsStock(options: {
  baseUrl: string;
  token: string;
  timeoutMs?: number;
  dispatcher?: Dispatcher;
}): ProductsStock {
  const client = createServiceClient({
    baseUrl: options.baseUrl,
    target: 'products',
    token: options.token,
    timeoutMs: options.timeoutMs,
    dispatcher: options.dispatcher,
  });
  return {
    reserve: (reservationId, items, requestId) =>
      client.post<Reservation>('/internal/stock/reserve', { reservationId, items }, { requestId, retry: true }),
    release: (reservationId, requestId) =>
      client.post<{ released: boolean }>('/internal/stock/release', { reservationId }, { requestId, retry: true }),
    close: () => client.close(),
  };
}
