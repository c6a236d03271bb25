/**
 * SQL for the orders database, through the connection proxy. Every multi-row change is one proxy call
 * (a transaction whose guards use expectRowCount), so no change is half applied.
 */
import { AppError } from '../../lib/errors.js';
import type { Db, SqlParam } from '../kit/index.js';
import type { OrderStatus } from './orderStatus.js';

export interface OrderRecord {
  id: string;
  customerId: string;
  status: OrderStatus;
  totalCents: number;
  currency: string;
  createdAt: string;
  updatedAt: string;
}

export interface OrderItemRecord {
  orderId: string;
  lineNo: number;
  productId: string;
  quantity: number;
  unitPriceCents: number;
  currency: string;
}

export type PlacementState = 'RESERVING' | 'PLACED' | 'ABANDONED';

export interface PlacementRecord {
  id: string;
  state: PlacementState;
  fingerprint: string;
}

/** Timestamps leave the database as ISO text, whatever the driver behind the proxy does with timestamptz. */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const ORDER_COLUMNS = `id, customer_id AS "customerId", status, total_cents::text AS "totalCents", currency,
  ${iso('created_at')} AS "createdAt", ${iso('updated_at')} AS "updatedAt"`;

const ITEM_COLUMNS = `order_id AS "orderId", line_no AS "lineNo", product_id AS "productId", quantity,
  unit_price_cents::text AS "unitPriceCents", currency`;

type Raw<T> = { [K in keyof T]: unknown };

function toOrder(row: Raw<OrderRecord>): OrderRecord {
  return {
    id: String(row.id),
    customerId: String(row.customerId),
    status: row.status as OrderStatus,
    totalCents: Number(row.totalCents),
    currency: String(row.currency),
    createdAt: String(row.createdAt),
    updatedAt: String(row.updatedAt),
  };
}

function toItem(row: Raw<OrderItemRecord>): OrderItemRecord {
  return {
    orderId: String(row.orderId),
    lineNo: Number(row.lineNo),
    productId: String(row.productId),
    quantity: Number(row.quantity),
    unitPriceCents: Number(row.unitPriceCents),
    currency: String(row.currency),
  };
}

/** $1, $2, ... for a list of values starting at `from`. */
function placeholders(count: number, from = 1): string {
  return Array.from({ length: count }, (_, i) => `$${from + i}`).join(', ');
}

export function isGuardFailure(err: unknown): boolean {
  return err instanceof AppError && err.code === 'PRECONDITION_FAILED';
}

/**
 * Claims the idempotency key with a new RESERVING order, or returns the order that already holds it.
 * `null` means the holder disappeared between the two statements (its placement just failed): try again.
 */
export async function claimPlacement(
  db: Db,
  order: { id: string; customerId: string; idempotencyKey: string; fingerprint: string },
): Promise<(PlacementRecord & { created: boolean }) | null> {
  const inserted = await db.query(
    `INSERT INTO orders (id, customer_id, idempotency_key, request_fingerprint, state)
     VALUES ($1, $2, $3, $4, 'RESERVING')
     ON CONFLICT (customer_id, idempotency_key) DO NOTHING
     RETURNING id`,
    [order.id, order.customerId, order.idempotencyKey, order.fingerprint],
  );
  if (inserted.rowCount === 1) return { id: order.id, state: 'RESERVING', fingerprint: order.fingerprint, created: true };
  const existing = await db.read<{ id: string; state: PlacementState; fingerprint: string }>(
    `SELECT id, state, request_fingerprint AS fingerprint FROM orders WHERE customer_id = $1 AND idempotency_key = $2`,
    [order.customerId, order.idempotencyKey],
  );
  const row = existing.rows[0];
  return row ? { id: row.id, state: row.state, fingerprint: row.fingerprint, created: false } : null;
}

/** A line of an order being placed, priced by the reservation. */
export type PlacedLine = Omit<OrderItemRecord, 'orderId' | 'lineNo'>;

/**
 * Moves a RESERVING order to PLACED with its items and total, in one transaction. Throws
 * PRECONDITION_FAILED when the order is no longer RESERVING (placed by a concurrent attempt, or gone).
 */
export async function completePlacement(
  db: Db,
  orderId: string,
  lines: PlacedLine[],
  totalCents: number,
  currency: string,
): Promise<OrderRecord> {
  const itemParams: SqlParam[] = [];
  const values = lines.map((line, index) => {
    const base = itemParams.length + 1;
    itemParams.push(orderId, index + 1, line.productId, line.quantity, line.unitPriceCents, line.currency);
    return `(${placeholders(6, base)})`;
  });
  const [placed] = await db.transaction([
    {
      sql: `UPDATE orders SET state = 'PLACED', status = 'PENDING', total_cents = $2, currency = $3,
              updated_at = date_trunc('milliseconds', now())
            WHERE id = $1 AND state = 'RESERVING'
            RETURNING ${ORDER_COLUMNS}`,
      params: [orderId, totalCents, currency],
      expectRowCount: 1,
    },
    {
      sql: `INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price_cents, currency)
            VALUES ${values.join(', ')}`,
      params: itemParams,
      expectRowCount: lines.length,
    },
  ]);
  return toOrder(placed.rows[0] as Raw<OrderRecord>);
}

/** Frees the idempotency key of a placement that failed for good (nothing is reserved for it). */
export async function deletePlacement(db: Db, orderId: string): Promise<void> {
  await db.query(`DELETE FROM orders WHERE id = $1 AND state = 'RESERVING'`, [orderId]);
}

/** Placed orders by id (any owner); unknown ids and unfinished placements are left out. */
export async function ordersByIds(db: Db, ids: readonly string[]): Promise<OrderRecord[]> {
  if (ids.length === 0) return [];
  const result = await db.read<Raw<OrderRecord>>(
    `SELECT ${ORDER_COLUMNS} FROM orders WHERE id IN (${placeholders(ids.length)}) AND state = 'PLACED'`,
    [...ids],
  );
  return result.rows.map(toOrder);
}

/** The items of many orders in one statement, in line order. */
export async function itemsByOrderIds(db: Db, orderIds: readonly string[]): Promise<OrderItemRecord[]> {
  if (orderIds.length === 0) return [];
  const result = await db.read<Raw<OrderItemRecord>>(
    `SELECT ${ITEM_COLUMNS} FROM order_items WHERE order_id IN (${placeholders(orderIds.length)})
     ORDER BY order_id, line_no`,
    [...orderIds],
  );
  return result.rows.map(toItem);
}

export interface CustomerOrdersQuery {
  customerId: string;
  /** Rows to return; one more is read to know whether there is a next page. */
  limit: number;
  status?: OrderStatus;
  /** Keyset position: the (createdAt, id) of the last order of the previous page. */
  after?: { createdAt: string; id: string };
}

/**
 * One page of a customer's placed orders, newest first, by keyset (created_at DESC, id DESC), and how
 * many orders match in all: one statement, so a listing costs one proxy round trip before its items.
 */
export async function customerOrders(
  db: Db,
  query: CustomerOrdersQuery,
): Promise<{ orders: OrderRecord[]; totalCount: number }> {
  const params: SqlParam[] = [query.customerId];
  const matching = [`customer_id = $1`, `state = 'PLACED'`];
  if (query.status) {
    params.push(query.status);
    matching.push(`status = $${params.length}`);
  }
  const pageConditions = [...matching];
  if (query.after) {
    params.push(query.after.createdAt, query.after.id);
    pageConditions.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length})`);
  }
  params.push(query.limit);
  // The count row always comes back; the page joins onto it (no page rows -> one row of nulls).
  const result = await db.read<Raw<OrderRecord> & { total: unknown }>(
    `SELECT counted.total, page.* FROM
       (SELECT count(*)::int AS total FROM orders WHERE ${matching.join(' AND ')}) counted
       LEFT JOIN LATERAL (
         SELECT ${ORDER_COLUMNS} FROM orders WHERE ${pageConditions.join(' AND ')}
         ORDER BY created_at DESC, id DESC LIMIT $${params.length}
       ) page ON true
     ORDER BY page."createdAt" DESC, page.id DESC`,
    params,
  );
  return {
    orders: result.rows.filter((row) => row.id !== null).map(toOrder),
    totalCount: Number(result.rows[0]?.total ?? 0),
  };
}

/**
 * Moves an order to `to` if its status is one of `from` (and it belongs to `customerId`, when given),
 * in one conditional UPDATE: of two concurrent moves, exactly one wins. Returns the moved order, or
 * null when the guard did not match.
 */
export async function moveOrderStatus(
  db: Db,
  move: { id: string; to: OrderStatus; from: readonly OrderStatus[]; customerId?: string },
): Promise<OrderRecord | null> {
  const params: SqlParam[] = [move.id, move.to, ...move.from];
  let ownerCondition = '';
  if (move.customerId !== undefined) {
    params.push(move.customerId);
    ownerCondition = `AND customer_id = $${params.length}`;
  }
  try {
    const [result] = await db.transaction([
      {
        sql: `UPDATE orders SET status = $2, updated_at = date_trunc('milliseconds', now())
              WHERE id = $1 AND state = 'PLACED' AND status IN (${placeholders(move.from.length, 3)}) ${ownerCondition}
              RETURNING ${ORDER_COLUMNS}`,
        params,
        expectRowCount: 1,
      },
    ]);
    return toOrder(result.rows[0] as Raw<OrderRecord>);
  } catch (err) {
    if (isGuardFailure(err)) return null;
    throw err;
  }
}

export async function markStockReleased(db: Db, orderId: string): Promise<void> {
  await db.query(`UPDATE orders SET stock_released = true WHERE id = $1 AND status = 'CANCELLED'`, [orderId]);
}

/** Cancelled orders whose stock has not been given back yet (a release failed), oldest first. */
export async function cancelledAwaitingRelease(db: Db, limit: number): Promise<string[]> {
  const result = await db.read<{ id: string }>(
    `SELECT id FROM orders WHERE status = 'CANCELLED' AND NOT stock_released AND state = 'PLACED'
     ORDER BY updated_at LIMIT $1`,
    [limit],
  );
  return result.rows.map((r) => r.id);
}

/**
 * Marks placements that have been RESERVING for longer than `olderThanMs` as ABANDONED (so a late
 * attempt can no longer complete them) and returns every abandoned placement still holding its key.
 */
export async function abandonStalePlacements(db: Db, olderThanMs: number, limit: number): Promise<string[]> {
  await db.query(
    `UPDATE orders SET state = 'ABANDONED', updated_at = date_trunc('milliseconds', now())
     WHERE id IN (
       SELECT id FROM orders WHERE state = 'RESERVING' AND updated_at < now() - ($1::text || ' milliseconds')::interval
       ORDER BY updated_at LIMIT $2
     ) AND state = 'RESERVING'`,
    [String(olderThanMs), limit],
  );
  const result = await db.read<{ id: string }>(
    `SELECT id FROM orders WHERE state = 'ABANDONED' ORDER BY updated_at LIMIT $1`,
    [limit],
  );
  return result.rows.map((r) => r.id);
}

/** Removes an abandoned placement once its reservation is released, freeing its idempotency key. */
export async function deleteAbandoned(db: Db, orderId: string): Promise<void> {
  await db.query(`DELETE FROM orders WHERE id = $1 AND state = 'ABANDONED'`, [orderId]);
}
