/** The products database, one versioned step at a time; released versions are never edited. */
import type { Migration } from '../kit/index.js';
import { catalogInsertStatements, catalogWeightStatements } from './seedCatalog.js';

export const productsMigrations: Migration[] = [
  {
    version: 1,
    name: 'products',
    statements: [
      {
        sql: `CREATE TABLE products (
          id text PRIMARY KEY,
          sku text NOT NULL UNIQUE,
          name text NOT NULL,
          description text NOT NULL,
          category text NOT NULL,
          price_cents integer NOT NULL CHECK (price_cents >= 0),
          currency char(3) NOT NULL,
          stock integer NOT NULL CHECK (stock >= 0),
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now()
        )`,
      },
      // Category pages in id order, and the change feed in (updated_at, id) order.
      { sql: 'CREATE INDEX products_category_id_idx ON products (category, id)' },
      { sql: 'CREATE INDEX products_updated_at_id_idx ON products (updated_at, id)' },
    ],
  },
  {
    version: 2,
    name: 'stock reservations',
    statements: [
      {
        sql: `CREATE TABLE stock_reservations (
          id text PRIMARY KEY,
          status text NOT NULL DEFAULT 'reserved' CHECK (status IN ('reserved', 'released')),
          created_at timestamptz NOT NULL DEFAULT now(),
          released_at timestamptz
        )`,
      },
      {
        sql: `CREATE TABLE stock_reservation_items (
          reservation_id text NOT NULL REFERENCES stock_reservations (id),
          product_id text NOT NULL REFERENCES products (id),
          quantity integer NOT NULL CHECK (quantity > 0),
          unit_price_cents integer NOT NULL,
          currency char(3) NOT NULL,
          PRIMARY KEY (reservation_id, product_id)
        )`,
      },
    ],
  },
  {
    version: 3,
    name: 'demo catalog',
    statements: () => catalogInsertStatements(),
  },
  {
    version: 4,
    name: 'product weights',
    statements: () => [
      // Products created before weights existed (and by an older instance during a rolling upgrade)
      // get 500 g, the same default as CreateProductInput.weightGrams; updated_at is left alone.
      {
        sql: `ALTER TABLE products ADD COLUMN weight_grams integer NOT NULL DEFAULT 500
          CHECK (weight_grams BETWEEN 1 AND 1000000)`,
      },
      ...catalogWeightStatements(),
    ],
  },
];
