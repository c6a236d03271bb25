/** GraphQL resolvers of the products subgraph. */
import { randomBytes } from 'node:crypto';
import type DataLoader from 'dataloader';
import { graphQLErrorFor, userInputError } from '../../lib/errors.js';
import {
  DateTimeScalar,
  keyedLoader,
  money,
  requireScope,
  type Db,
  type SubgraphContext,
} from '../kit/index.js';
import { ID_MAX_LENGTH, productsPage } from './catalogQueries.js';
import {
  validateCreateInput,
  validateUpdateInput,
  type CreateProductInput,
  type UpdateProductInput,
} from './productInput.js';
import {
  DuplicateSkuError,
  findProductsByIds,
  findProductsBySkus,
  insertProduct,
  updateProduct,
  type Product,
} from './productStore.js';

export interface ProductLoaders {
  productById: DataLoader<string, Product | null>;
  productBySku: DataLoader<string, Product | null>;
}

/** Per request: every id (or sku) asked for in one tick becomes one `= ANY($1)` query. */
export function createProductLoaders(db: Db): ProductLoaders {
  return {
    productById: keyedLoader((ids: readonly string[]) => findProductsByIds(db, ids), (p) => p.id),
    productBySku: keyedLoader((skus: readonly string[]) => findProductsBySkus(db, skus), (p) => p.sku),
  };
}

type Context = SubgraphContext<ProductLoaders>;

export const WRITE_SCOPE = 'products:write';

export const productsResolvers = {
  DateTime: DateTimeScalar,

  Query: {
    product: async (_: unknown, args: { id?: string | null; sku?: string | null }, ctx: Context) => {
      const hasId = args.id != null;
      const hasSku = args.sku != null;
      if (hasId === hasSku) {
        throw userInputError('product needs exactly one of the arguments "id" or "sku"', { arguments: ['id', 'sku'] });
      }
      if (hasId) return args.id!.length > ID_MAX_LENGTH ? null : ctx.loaders.productById.load(args.id!);
      return args.sku!.length > ID_MAX_LENGTH ? null : ctx.loaders.productBySku.load(args.sku!);
    },

    products: async (
      _: unknown,
      args: { first?: number | null; after?: string | null; category?: string | null },
      ctx: Context,
    ) => {
      const page = await productsPage(ctx.db, args);
      for (const product of page.nodes) ctx.loaders.productById.prime(product.id, product);
      return page;
    },
  },

  Mutation: {
    createProduct: async (_: unknown, args: { input: CreateProductInput }, ctx: Context) => {
      requireScope(ctx.identity, WRITE_SCOPE);
      const fields = validateCreateInput(args.input);
      try {
        return await insertProduct(ctx.db, { id: newProductId(), ...fields });
      } catch (err) {
        if (err instanceof DuplicateSkuError) throw graphQLErrorFor('CONFLICT', err.message, { sku: err.sku });
        throw err;
      }
    },

    updateProduct: async (_: unknown, args: { id: string; input: UpdateProductInput }, ctx: Context) => {
      requireScope(ctx.identity, WRITE_SCOPE);
      const changes = validateUpdateInput(args.input);
      const updated = args.id.length > ID_MAX_LENGTH ? null : await updateProduct(ctx.db, args.id, changes);
      if (!updated) throw graphQLErrorFor('NOT_FOUND', `No product with id "${args.id}"`, { id: args.id });
      return updated;
    },
  },

  Product: {
    __resolveReference: (reference: { id?: string; sku?: string }, ctx: Context) => {
      if (reference.id != null) return ctx.loaders.productById.load(String(reference.id));
      if (reference.sku != null) return ctx.loaders.productBySku.load(String(reference.sku));
      return null;
    },
    price: (product: Product) => money(product.priceCents, product.currency),
  },
};

/** Random, so ids do not reveal how many products exist; the seeded catalog uses prod_0001..prod_1200. */
function newProductId(): string {
  return `prod_${randomBytes(8).toString('hex')}`;
}
