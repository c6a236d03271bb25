/**
 * The contract of the products service's internal REST API, in one place: the paths, the wire types
 * the routes answer with, and the one typed client orders (stock) and search (change feed) call it
 * through. Every route needs the internal service token.
 */
import type { Tracing } from '../../lib/tracing.js';
import type { Dispatcher } from 'undici';
import { createServiceClient } from '../kit/index.js';

export const PRODUCTS_INTERNAL_PATHS = {
  reserve: '/internal/stock/reserve',
  release: '/internal/stock/release',
  changes: '/internal/products/changes',
} as const;

/** The largest page the change feed serves (its `limit`). */
export const CHANGES_MAX_LIMIT = 1_000;

export interface ReservationItemRequest {
  productId: string;
  quantity: number;
}

/** POST /internal/stock/reserve. Duplicate product ids are summed. */
export interface ReservationRequest {
  reservationId: string;
  items: ReservationItemRequest[];
}

export interface ReservedItem {
  productId: string;
  quantity: number;
  /** The unit price at the moment the stock was reserved. */
  unitPrice: { amountCents: number; currency: string };
}

export interface Reservation {
  reservationId: string;
  /**
   * 'released' once its stock was given back: a repeat of a released reservation answers this, and
   * then holds no stock any more.
   */
  status: 'reserved' | 'released';
  /** One line per product, in product id order. */
  items: ReservedItem[];
}

/** POST /internal/stock/release. */
export interface ReleaseRequest {
  reservationId: string;
}

export interface ReleaseResult {
  /** False when the reservation was already given back, or never existed. */
  released: boolean;
}

/** GET /internal/products/changes query: from the beginning without `since`. */
export interface ChangeFeedQuery {
  /** ISO timestamp; with afterId, the (updatedAt, id) after which the page starts. */
  since?: string;
  afterId?: string;
  /** 1..CHANGES_MAX_LIMIT. @default 100 */
  limit?: number;
}

/** A product as the change feed sends it; updatedAt keeps the database's full (microsecond) precision. */
export interface FeedProduct {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  priceCents: number;
  currency: string;
  stock: number;
  updatedAt: string;
}

export interface ChangeFeedPage {
  /** In (updatedAt, id) order. */
  products: FeedProduct[];
  /** Where the next page starts; null when this page was the last one. */
  next: { since: string; afterId: string } | null;
}

export interface ProductsInternalClient {
  /** Takes the stock for all items at once, or nothing; answers with the unit prices of that moment. */
  reserve(reservationId: string, items: ReservationItemRequest[], requestId?: string): Promise<Reservation>;
  /** Gives a reservation's stock back; `released` is false when it was already given back (or never existed). */
  release(reservationId: string, requestId?: string): Promise<ReleaseResult>;
  /** One page of products changed after (since, afterId). */
  changes(query?: ChangeFeedQuery, requestId?: string): Promise<ChangeFeedPage>;
  close(): Promise<void>;
}

export interface ProductsInternalClientOptions {
  /** Base URL of the products service, e.g. http://127.0.0.1:4001 */
  baseUrl: string;
  /** The internal service token. */
  token: string;
  /** @default 5000 */
  timeoutMs?: number;
  /** Replaces the keep-alive pool (tests). */
  dispatcher?: Dispatcher;
  /** The calling service's tracing: calls become spans of its trace and carry `traceparent`. */
  tracing?: Tracing;
}

/**
 * Every call is retried on transient failures: reserve and release are idempotent by reservation id,
 * and the change feed is a read.
 */
export function createProductsInternalClient(options: ProductsInternalClientOptions): ProductsInternalClient {
  const client = createServiceClient({ ...options, target: 'products' });
  return {
    reserve: (reservationId, items, requestId) =>
      client.post<Reservation>(
        PRODUCTS_INTERNAL_PATHS.reserve,
        { reservationId, items } satisfies ReservationRequest,
        { requestId, retry: true },
      ),
    release: (reservationId, requestId) =>
      client.post<ReleaseResult>(PRODUCTS_INTERNAL_PATHS.release, { reservationId } satisfies ReleaseRequest, {
        requestId,
        retry: true,
      }),
    changes(query = {}, requestId) {
      const params = new URLSearchParams();
      if (query.since !== undefined) params.set('since', query.since);
      if (query.afterId !== undefined) params.set('afterId', query.afterId);
      if (query.limit !== undefined) params.set('limit', String(query.limit));
      const search = params.size ? `?${params}` : '';
      return client.get<ChangeFeedPage>(`${PRODUCTS_INTERNAL_PATHS.changes}${search}`, { requestId, retry: true });
    },
    close: () => client.close(),
  };
}
