/** GraphQL resolvers of the orders subgraph. */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type DataLoader from 'dataloader';
import { userInputError } from '../../lib/errors.js';
import type { Identity } from '../../lib/identity.js';
import {
  DateTimeScalar,
  decodeCursor,
  encodeCursor,
  eventStream,
  hasScope,
  money,
  requireScope,
  requireSubject,
  type SubgraphContext,
} from '../kit/index.js';
import type { ProductsInternalClient } from '../products/internalApi.js';
import { changeOrderStatus } from './changeOrderStatus.js';
import type { OrderChange, OrderEvents } from './orderEvents.js';
import { parsePlaceOrderInput, type PlaceOrderInput } from './orderInput.js';
import type { OrderStatus } from './orderStatus.js';
import { customerOrders, type OrderItemRecord, type OrderRecord } from './orderStore.js';
import { placeOrder, type OrderServices } from './placeOrder.js';
import { parseDestinationCountry, shippingEstimateCents } from './shippingEstimate.js';

export const ADMIN_SCOPE = 'orders:admin';
const MAX_PAGE_SIZE = 100;

/** What each request gets: batched loaders. */
export interface OrdersLoaders {
  /** Placed orders by id, whoever owns them; callers check visibility. */
  orderById: DataLoader<string, OrderRecord | null>;
  /** All items of many orders in one statement. */
  itemsByOrderId: DataLoader<string, OrderItemRecord[]>;
}

/** What a running orders instance shares between requests and the release sweep. */
export interface OrdersServices {
  /** The products stock API the saga reserves and releases through. */
  products: ProductsInternalClient;
  /** Order changes, across replicas through Redis when REDIS_URL is set (live updates). */
  events: OrderEvents;
}

export type OrdersContext = SubgraphContext<OrdersLoaders, OrdersServices>;

/** A Product as the gateway sends it for shippingEstimate: its key plus the @requires fields. */
interface ProductRepresentation {
  id: string;
  weightGrams?: number;
  price?: { amountCents?: number; currency?: string };
}

function services(ctx: OrdersContext): OrderServices {
  return { db: ctx.db, products: ctx.services.products, logger: ctx.logger, requestId: ctx.requestId, events: ctx.services.events };
}

/** The owner sees their order, admins see every order; to anyone else it does not exist. */
export function visibleTo(identity: Identity, order: OrderRecord | null): OrderRecord | null {
  if (!order) return null;
  if (identity.subject !== undefined && order.customerId === identity.subject) return order;
  return hasScope(identity, ADMIN_SCOPE) && identity.subject !== undefined ? order : null;
}

function orderCursor(order: OrderRecord): string {
  return encodeCursor([order.createdAt, order.id]);
}

function parseAfter(after: string | null | undefined): { createdAt: string; id: string } | undefined {
  if (after === null || after === undefined) return undefined;
  const [createdAt, id] = decodeCursor(after, ['string', 'string']) as [string, string];
  if (Number.isNaN(Date.parse(createdAt))) {
    throw userInputError('The cursor "after" is not a cursor this API produced', { argument: 'after' });
  }
  return { createdAt, id };
}

export const ordersResolvers: GraphQLResolverMap<OrdersContext> = {
  DateTime: DateTimeScalar,

  Query: {
    async order(_parent, args: { id: string }, ctx: OrdersContext) {
      if (args.id.length > 200) return null;
      return visibleTo(ctx.identity, await ctx.loaders.orderById.load(args.id));
    },

    async myOrders(
      _parent,
      args: { first?: number | null; after?: string | null; status?: OrderStatus | null },
      ctx: OrdersContext,
    ) {
      const customerId = requireSubject(ctx.identity);
      const first = args.first ?? 20;
      if (first < 1 || first > MAX_PAGE_SIZE) {
        throw userInputError(`first must be between 1 and ${MAX_PAGE_SIZE} (got ${first})`, { argument: 'first' });
      }
      const status = args.status ?? undefined;
      const { orders: rows, totalCount } = await customerOrders(ctx.db, {
        customerId,
        status,
        after: parseAfter(args.after),
        limit: first + 1,
      });
      const page = rows.slice(0, first);
      for (const order of page) ctx.loaders.orderById.prime(order.id, order);
      return {
        edges: page.map((order) => ({ cursor: orderCursor(order), node: order })),
        nodes: page,
        pageInfo: {
          hasNextPage: rows.length > first,
          endCursor: page.length ? orderCursor(page[page.length - 1]) : null,
        },
        totalCount,
      };
    },
  },

  Mutation: {
    async placeOrder(_parent, args: { input: PlaceOrderInput }, ctx: OrdersContext) {
      const customerId = requireSubject(ctx.identity);
      const request = parsePlaceOrderInput(args.input);
      return placeOrder(services(ctx), customerId, request);
    },

    async cancelOrder(_parent, args: { id: string }, ctx: OrdersContext) {
      const customerId = requireSubject(ctx.identity);
      return changeOrderStatus(services(ctx), { orderId: args.id, to: 'CANCELLED', customerId });
    },

    async updateOrderStatus(_parent, args: { id: string; status: OrderStatus }, ctx: OrdersContext) {
      requireScope(ctx.identity, ADMIN_SCOPE);
      return changeOrderStatus(services(ctx), { orderId: args.id, to: args.status });
    },
  },

  Subscription: {
    orderUpdated: {
      // Events from every replica (onAny), filtered by the same rule as reads: owners, or orders:admin.
      subscribe(_parent: unknown, args: { id?: string | null }, ctx: OrdersContext) {
        requireSubject(ctx.identity);
        const only = args.id ?? undefined;
        return eventStream(
          (listener: (change: OrderChange) => void) => ctx.services.events.onAny(listener),
          (change) =>
            (only === undefined || change.order.id === only) && visibleTo(ctx.identity, change.order) ? change : undefined,
        );
      },
      resolve: (change: OrderChange) => change.order,
    },
  },

  Order: {
    async __resolveReference(reference: { id: string }, ctx: OrdersContext) {
      return visibleTo(ctx.identity, await ctx.loaders.orderById.load(reference.id));
    },
    items: (order: OrderRecord, _args, ctx: OrdersContext) => ctx.loaders.itemsByOrderId.load(order.id),
    total: (order: OrderRecord) => money(order.totalCents, order.currency),
  },

  Product: {
    // Every field but shippingEstimate belongs to products; the representation is all orders needs.
    __resolveReference: (reference: ProductRepresentation) => reference,
    shippingEstimate(product: ProductRepresentation, args: { destinationCountry?: string | null }) {
      const destinationCountry = parseDestinationCountry(args.destinationCountry);
      const { weightGrams, price } = product;
      if (typeof weightGrams !== 'number' || typeof price?.amountCents !== 'number' || typeof price.currency !== 'string') {
        // Only a caller that bypasses the gateway's query plan can get here.
        throw userInputError('shippingEstimate needs the product\'s weightGrams and price in the representation', {
          field: 'shippingEstimate',
        });
      }
      const cents = shippingEstimateCents({ weightGrams, priceCents: price.amountCents, destinationCountry });
      return money(cents, price.currency);
    },
  },

  OrderItem: {
    product: (item: OrderItemRecord) => ({ __typename: 'Product', id: item.productId }),
    unitPrice: (item: OrderItemRecord) => money(item.unitPriceCents, item.currency),
    // Integer cents all the way; the total is bounded by MAX_AMOUNT_CENTS when the order is placed.
    lineTotal: (item: OrderItemRecord) => money(item.quantity * item.unitPriceCents, item.currency),
  },
};
