/** The products table: every SQL statement the catalog side of the service runs. */
import { AppError } from '../../lib/errors.js';
import { type Db, type SqlParam, type Statement } from '../kit/index.js';
import type { FeedProduct } from './internalApi.js';

/**
 * A catalog product: the fields the change feed sends (internalApi.ts), its shipping weight (which
 * the feed leaves out: search does not index it) and when it was created.
 */
export interface Product extends FeedProduct {
  weightGrams: number;
  createdAt: string;
}

interface ProductRow {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  price_cents: number;
  currency: string;
  stock: number;
  weight_grams: number;
  created_at: string | Date;
  updated_at: string | Date;
}

export const PRODUCT_COLUMNS =
  'id, sku, name, description, category, price_cents, currency, stock, weight_grams, created_at, updated_at';

export function productFromRow(row: ProductRow): Product {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    category: row.category,
    priceCents: Number(row.price_cents),
    currency: row.currency.trim(),
    stock: Number(row.stock),
    weightGrams: Number(row.weight_grams),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** One round trip for any number of ids (the entity and product loaders batch through here). */
export async function findProductsByIds(db: Db, ids: readonly string[]): Promise<Product[]> {
  const result = await db.read<ProductRow>(`SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = ANY($1::text[])`, [
    [...ids],
  ]);
  return result.rows.map(productFromRow);
}

export async function findProductsBySkus(db: Db, skus: readonly string[]): Promise<Product[]> {
  const result = await db.read<ProductRow>(`SELECT ${PRODUCT_COLUMNS} FROM products WHERE sku = ANY($1::text[])`, [
    [...skus],
  ]);
  return result.rows.map(productFromRow);
}

export interface ProductPage {
  products: Product[];
  hasNextPage: boolean;
  totalCount: number;
}

/**
 * A keyset page in id order plus the filter's total count, both in one proxy round trip. One more row
 * than asked for tells whether another page follows.
 */
export async function listProducts(
  db: Db,
  options: { first: number; afterId?: string; category?: string },
): Promise<ProductPage> {
  const filter: string[] = [];
  const params: SqlParam[] = [];
  if (options.category !== undefined) {
    params.push(options.category);
    filter.push(`category = $${params.length}`);
  }
  const countStatement: Statement = {
    sql: `SELECT count(*)::int AS total FROM products${filter.length ? ` WHERE ${filter.join(' AND ')}` : ''}`,
    params: [...params],
  };
  if (options.afterId !== undefined) {
    params.push(options.afterId);
    filter.push(`id > $${params.length}`);
  }
  params.push(options.first + 1);
  const pageStatement: Statement = {
    sql:
      `SELECT ${PRODUCT_COLUMNS} FROM products` +
      `${filter.length ? ` WHERE ${filter.join(' AND ')}` : ''} ORDER BY id LIMIT $${params.length}`,
    params,
  };

  const [page, count] = await db.batch([pageStatement, countStatement]);
  const rows = page.rows as unknown as ProductRow[];
  return {
    products: rows.slice(0, options.first).map(productFromRow),
    hasNextPage: rows.length > options.first,
    totalCount: Number((count.rows[0] as { total: number }).total),
  };
}

/** A product to insert; the database stamps created_at and updated_at. */
export type NewProduct = Omit<Product, 'createdAt' | 'updatedAt'>;

export class DuplicateSkuError extends Error {
  constructor(readonly sku: string) {
    super(`A product with sku "${sku}" already exists`);
    this.name = 'DuplicateSkuError';
  }
}

export async function insertProduct(db: Db, product: NewProduct): Promise<Product> {
  try {
    const result = await db.query<ProductRow>(
      `INSERT INTO products (id, sku, name, description, category, price_cents, currency, stock, weight_grams)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${PRODUCT_COLUMNS}`,
      [
        product.id,
        product.sku,
        product.name,
        product.description,
        product.category,
        product.priceCents,
        product.currency,
        product.stock,
        product.weightGrams,
      ],
    );
    return productFromRow(result.rows[0]);
  } catch (err) {
    if (isUniqueViolation(err) && !String((err as AppError).details?.constraint ?? '').includes('pkey')) {
      throw new DuplicateSkuError(product.sku);
    }
    throw err;
  }
}

export type ProductChanges = Partial<
  Pick<Product, 'name' | 'description' | 'category' | 'priceCents' | 'currency' | 'stock' | 'weightGrams'>
>;

const CHANGE_COLUMNS: Record<keyof ProductChanges, string> = {
  name: 'name',
  description: 'description',
  category: 'category',
  priceCents: 'price_cents',
  currency: 'currency',
  stock: 'stock',
  weightGrams: 'weight_grams',
};

/** Applies the given fields and bumps updated_at; null when there is no such product. */
export async function updateProduct(db: Db, id: string, changes: ProductChanges): Promise<Product | null> {
  const params: SqlParam[] = [id];
  const sets: string[] = [];
  for (const [field, column] of Object.entries(CHANGE_COLUMNS) as [keyof ProductChanges, string][]) {
    const value = changes[field];
    if (value === undefined) continue;
    params.push(value);
    sets.push(`${column} = $${params.length}`);
  }
  sets.push('updated_at = now()');
  const result = await db.query<ProductRow>(
    `UPDATE products SET ${sets.join(', ')} WHERE id = $1 RETURNING ${PRODUCT_COLUMNS}`,
    params,
  );
  return result.rows[0] ? productFromRow(result.rows[0]) : null;
}

export function isUniqueViolation(err: unknown): boolean {
  return err instanceof AppError && err.details?.sqlstate === '23505';
}

/** The exact timestamp as text: a JS Date would drop microseconds and break the keyset. */
const EXACT_UPDATED_AT = `to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Products changed after (since, afterId), in (updated_at, id) order; from the beginning without `since`. */
export async function listProductChanges(
  db: Db,
  options: { since?: string; afterId?: string; limit: number },
): Promise<FeedProduct[]> {
  const params: SqlParam[] = [];
  let where = '';
  if (options.since !== undefined) {
    params.push(options.since, options.afterId ?? '');
    where = 'WHERE (updated_at, id) > ($1::timestamptz, $2::text)';
  }
  params.push(options.limit);
  const result = await db.read<ProductRow & { updated_at_exact: string }>(
    `SELECT ${PRODUCT_COLUMNS}, ${EXACT_UPDATED_AT} AS updated_at_exact
     FROM products ${where} ORDER BY updated_at, id LIMIT $${params.length}`,
    params,
  );
  return result.rows.map((row) => {
    const { createdAt: _createdAt, weightGrams: _weightGrams, ...product } = productFromRow(row);
    return { ...product, updatedAt: row.updated_at_exact };
  });
}
