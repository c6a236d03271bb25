/** The orders database. Released migrations are never edited; add a new version instead. */
import type { Migration } from '../kit/index.js';

export const ordersMigrations: Migration[] = [
  {
    version: 1,
    name: 'orders and order_items',
    statements: [
      {
        // `state` tracks the placement saga (RESERVING -> PLACED, or ABANDONED when a placement never
        // finished); only PLACED orders are visible. `status` is the business status customers see.
        // created_at is kept to the millisecond so the keyset cursor (which carries it as ISO text) is exact.
        sql: `CREATE TABLE orders (
          id text PRIMARY KEY,
          customer_id text NOT NULL,
          status text NOT NULL DEFAULT 'PENDING'
            CHECK (status IN ('PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED')),
          idempotency_key text NOT NULL,
          request_fingerprint text NOT NULL,
          total_cents bigint NOT NULL DEFAULT 0 CHECK (total_cents >= 0),
          currency text,
          state text NOT NULL CHECK (state IN ('RESERVING', 'PLACED', 'ABANDONED')),
          stock_released boolean NOT NULL DEFAULT false,
          created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
          updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
          UNIQUE (customer_id, idempotency_key)
        )`,
      },
      { sql: 'CREATE INDEX orders_customer_created ON orders (customer_id, created_at DESC, id DESC)' },
      {
        // What the background sweep looks for: cancelled orders whose stock is not back yet, and
        // placements that never finished.
        sql: `CREATE INDEX orders_needing_release ON orders (updated_at)
          WHERE (status = 'CANCELLED' AND NOT stock_released) OR state <> 'PLACED'`,
      },
      {
        sql: `CREATE TABLE order_items (
          order_id text NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
          line_no integer NOT NULL CHECK (line_no > 0),
          product_id text NOT NULL,
          quantity integer NOT NULL CHECK (quantity > 0),
          unit_price_cents bigint NOT NULL CHECK (unit_price_cents >= 0),
          currency text NOT NULL,
          PRIMARY KEY (order_id, line_no)
        )`,
      },
    ],
  },
  {
    version: 2,
    name: 'websocket_watchers',
    statements: [
      {
        // Live order updates: WebSocket API connections (through the gateway) that asked to watch
        // their customer's orders. A row goes on $disconnect, or when a push to it answers 410 Gone.
        sql: `CREATE TABLE websocket_watchers (
          connection_id text PRIMARY KEY,
          customer_id text NOT NULL,
          callback_url text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        )`,
      },
      { sql: 'CREATE INDEX websocket_watchers_customer ON websocket_watchers (customer_id)' },
    ],
  },
];
