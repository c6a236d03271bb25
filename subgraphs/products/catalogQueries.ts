/**
 * Reading the catalog, shared by the GraphQL resolvers and the REST routes so both validate and page
 * the same way.
 */
import { userInputError } from '../../lib/errors.js';
import { decodeCursor, encodeCursor, money, type Db, type Money } from '../kit/index.js';
import { listProducts, type Product } from './productStore.js';

export const PAGE_SIZE_MAX = 100;
export const PAGE_SIZE_DEFAULT = 20;
export const ID_MAX_LENGTH = 128;

export interface ProductsPageArgs {
  first?: number | null;
  after?: string | null;
  category?: string | null;
}

export interface ProductsPage {
  edges: { cursor: string; node: Product }[];
  nodes: Product[];
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** One page of products in id order; throws BAD_USER_INPUT for a bad `first` or cursor. */
export async function productsPage(db: Db, args: ProductsPageArgs): Promise<ProductsPage> {
  const first = args.first ?? PAGE_SIZE_DEFAULT;
  if (!Number.isInteger(first) || first < 1 || first > PAGE_SIZE_MAX) {
    throw userInputError(`"first" must be between 1 and ${PAGE_SIZE_MAX}`, { argument: 'first' });
  }
  const afterId = args.after != null ? String(decodeCursor(args.after, ['string'])[0]) : undefined;
  const page = await listProducts(db, { first, afterId, category: args.category ?? undefined });
  const edges = page.products.map((node) => ({ cursor: encodeCursor([node.id]), node }));
  return {
    edges,
    nodes: page.products,
    totalCount: page.totalCount,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.length ? edges[edges.length - 1].cursor : null },
  };
}

/** A product as REST clients get it: the GraphQL Product's fields, price as Money. */
export interface ProductView {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  price: Money;
  stock: number;
  createdAt: string;
  updatedAt: string;
}

export function productView(product: Product): ProductView {
  return {
    id: product.id,
    sku: product.sku,
    name: product.name,
    description: product.description,
    category: product.category,
    price: money(product.priceCents, product.currency),
    stock: product.stock,
    createdAt: product.createdAt,
    updatedAt: product.updatedAt,
  };
}
