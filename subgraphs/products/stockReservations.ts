/**
 * Stock reservations for orders. A reservation takes stock for all its items in one proxy transaction
 * or takes nothing; it is idempotent by reservation id, and so is its release. The stock guard is the
 * conditional UPDATE (`stock >= quantity`) with an expected row count, so concurrent reservations can
 * never take more than there is.
 */
import { AppError } from '../../lib/errors.js';
import { type Db, type Statement } from '../kit/index.js';
import type { ReleaseResult, Reservation, ReservationItemRequest, ReservedItem } from './internalApi.js';

/** Deadlocks and serialization failures: the transaction rolled back as a whole, so running it again is safe. */
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 3;

/** Sums duplicate product ids and sorts by id, so concurrent reservations lock rows in the same order. */
export function mergeItems(items: ReservationItemRequest[]): ReservationItemRequest[] {
  const totals = new Map<string, number>();
  for (const item of items) totals.set(item.productId, (totals.get(item.productId) ?? 0) + item.quantity);
  return [...totals.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([productId, quantity]) => ({ productId, quantity }));
}

export async function reserveStock(
  db: Db,
  reservationId: string,
  requested: ReservationItemRequest[],
): Promise<Reservation> {
  const items = mergeItems(requested);
  const statements: Statement[] = [
    // Claiming the reservation row first makes a repeat fail here, before any stock moves.
    {
      sql: 'INSERT INTO stock_reservations (id) VALUES ($1) ON CONFLICT (id) DO NOTHING',
      params: [reservationId],
      expectRowCount: 1,
    },
    ...items.map(
      (item): Statement => ({
        sql: 'UPDATE products SET stock = stock - $2, updated_at = now() WHERE id = $1 AND stock >= $2',
        params: [item.productId, item.quantity],
        expectRowCount: 1,
      }),
    ),
    // The unit price as it is at this moment, read from the rows this transaction just locked.
    {
      sql: `INSERT INTO stock_reservation_items (reservation_id, product_id, quantity, unit_price_cents, currency)
            SELECT $1, p.id, x.quantity, p.price_cents, p.currency
            FROM unnest($2::text[], $3::int[]) AS x (product_id, quantity)
            JOIN products p ON p.id = x.product_id
            RETURNING product_id, quantity, unit_price_cents, currency`,
      params: [reservationId, items.map((i) => i.productId), items.map((i) => i.quantity)],
      expectRowCount: items.length,
    },
  ];

  for (let attempt = 1; ; attempt++) {
    try {
      const results = await db.transaction(statements);
      const rows = results[results.length - 1].rows as unknown as ReservationItemRow[];
      return { reservationId, status: 'reserved', items: rows.map(reservedItemFromRow).sort(byProductId) };
    } catch (err) {
      const failedIndex = preconditionFailedAt(err);
      if (failedIndex === 0) {
        const stored = await findReservation(db, reservationId);
        if (stored) return stored;
        throw err; // claimed by a transaction that has not committed yet; the caller may retry
      }
      if (failedIndex !== undefined && failedIndex <= items.length) {
        throw await whyItemFailed(db, items[failedIndex - 1]);
      }
      if (attempt < MAX_ATTEMPTS && isRetryable(err)) continue;
      throw err;
    }
  }
}

/** Gives the stock back once; false when the reservation was already released or never existed. */
export async function releaseStock(db: Db, reservationId: string): Promise<ReleaseResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.transaction([
        {
          sql: `UPDATE stock_reservations SET status = 'released', released_at = now() WHERE id = $1 AND status = 'reserved'`,
          params: [reservationId],
          expectRowCount: 1,
        },
        {
          sql: `UPDATE products p SET stock = p.stock + i.quantity, updated_at = now()
                FROM stock_reservation_items i
                WHERE i.reservation_id = $1 AND p.id = i.product_id`,
          params: [reservationId],
        },
      ]);
      return { released: true };
    } catch (err) {
      if (preconditionFailedAt(err) === 0) return { released: false };
      if (attempt < MAX_ATTEMPTS && isRetryable(err)) continue;
      throw err;
    }
  }
}

export async function findReservation(db: Db, reservationId: string): Promise<Reservation | null> {
  const [header, items] = await db.batch([
    { sql: 'SELECT status FROM stock_reservations WHERE id = $1', params: [reservationId] },
    {
      sql: `SELECT product_id, quantity, unit_price_cents, currency FROM stock_reservation_items
            WHERE reservation_id = $1 ORDER BY product_id`,
      params: [reservationId],
    },
  ]);
  const status = (header.rows[0] as { status?: Reservation['status'] } | undefined)?.status;
  if (!status) return null;
  return {
    reservationId,
    status,
    items: (items.rows as unknown as ReservationItemRow[]).map(reservedItemFromRow),
  };
}

interface ReservationItemRow {
  product_id: string;
  quantity: number;
  unit_price_cents: number;
  currency: string;
}

function reservedItemFromRow(row: ReservationItemRow): ReservedItem {
  return {
    productId: row.product_id,
    quantity: Number(row.quantity),
    unitPrice: { amountCents: Number(row.unit_price_cents), currency: row.currency.trim() },
  };
}

function byProductId(a: ReservedItem, b: ReservedItem): number {
  return a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0;
}

/** Tells an unknown product (404) from too little stock (409), after the transaction rolled back. */
async function whyItemFailed(db: Db, item: ReservationItemRequest): Promise<AppError> {
  const result = await db.read<{ stock: number }>('SELECT stock FROM products WHERE id = $1', [item.productId]);
  if (result.rows.length === 0) {
    return new AppError('NOT_FOUND', `No product with id "${item.productId}"`, {
      details: { productId: item.productId },
    });
  }
  return new AppError('CONFLICT', `Not enough stock for product "${item.productId}"`, {
    details: {
      reason: 'INSUFFICIENT_STOCK',
      productId: item.productId,
      requested: item.quantity,
      available: Number(result.rows[0].stock),
    },
  });
}

function preconditionFailedAt(err: unknown): number | undefined {
  if (!(err instanceof AppError) || err.code !== 'PRECONDITION_FAILED') return undefined;
  const index = err.details?.statementIndex;
  return typeof index === 'number' ? index : undefined;
}

function isRetryable(err: unknown): boolean {
  return err instanceof AppError && RETRYABLE_SQLSTATES.has(String(err.details?.sqlstate));
}
