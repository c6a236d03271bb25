/**
 * The orders service's public REST API, reached through the gateway at the same paths:
 * POST /api/orders places an order through the same saga as the placeOrder mutation (placeOrder.ts),
 * idempotent on `idempotencyKey` (in the body or the Idempotency-Key header); GET /api/orders/:id
 * shows an order to its owner (or an orders:admin), as the `order` field does.
 */
import type { Request, Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import { money, requireSubject, type SubgraphDeps } from '../kit/index.js';
import { parseRequest, requestIdentity, restErrors } from '../kit/rest.js';
import type { OrdersConfig } from './config.js';
import { ORDER_LIMITS, parsePlaceOrderInput } from './orderInput.js';
import { itemsByOrderIds, ordersByIds, type OrderItemRecord, type OrderRecord } from './orderStore.js';
import { placeOrder, type OrderServices } from './placeOrder.js';
import { visibleTo, type OrdersServices } from './resolvers.js';

export const ORDERS_REST_PATH = '/api/orders';
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

type Deps = SubgraphDeps<OrdersConfig, OrdersServices>;

const placeOrderBodySchema = z
  .object({
    items: z
      .array(
        z
          .object({
            productId: z.string({ error: 'must be a string' }),
            quantity: z.number({ error: 'must be a number' }).int('must be a whole number'),
          })
          .strict(),
        { error: 'must be a list of { productId, quantity }' },
      )
      .max(ORDER_LIMITS.maxItems, `must list at most ${ORDER_LIMITS.maxItems} items`),
    idempotencyKey: z.string({ error: 'must be a string' }).optional(),
  })
  .strict();

const idSchema = z.object({ id: z.string().min(1).max(200, 'must be at most 200 characters') });

export function ordersRestRoutes(router: Router, deps: Deps): void {
  router.post(ORDERS_REST_PATH, async (req, res) => {
    const customerId = requireSubject(requestIdentity(req));
    const body = parseRequest(placeOrderBodySchema, req.body, 'body');
    const idempotencyKey = idempotencyKeyOf(req, body.idempotencyKey);
    const request = parsePlaceOrderInput({ items: body.items, idempotencyKey });
    const order = await placeOrder(servicesFor(req, deps), customerId, request);
    res.status(201).location(`${ORDERS_REST_PATH}/${encodeURIComponent(order.id)}`).json(await orderView(req, deps, order));
  });

  router.get(`${ORDERS_REST_PATH}/:id`, async (req, res) => {
    const identity = requestIdentity(req);
    requireSubject(identity);
    const { id } = parseRequest(idSchema, req.params, 'path');
    const [found] = await ordersByIds(deps.db.forRequest(req.requestId), [id]);
    const order = visibleTo(identity, found ?? null);
    // Someone else's order does not exist for this caller.
    if (!order) throw new AppError('NOT_FOUND', `No order with id "${id}"`, { details: { id } });
    res.json(await orderView(req, deps, order));
  });

  router.use(ORDERS_REST_PATH, restErrors());
}

/** The key from the body or the Idempotency-Key header; both given must agree, one is required. */
function idempotencyKeyOf(req: Request, fromBody: string | undefined): string {
  const header = req.headers[IDEMPOTENCY_KEY_HEADER];
  const fromHeader = typeof header === 'string' ? header : undefined;
  if (fromBody !== undefined && fromHeader !== undefined && fromBody !== fromHeader) {
    throw new AppError('BAD_USER_INPUT', 'The Idempotency-Key header and the body\'s idempotencyKey differ; send one, or the same', {
      details: { field: 'idempotencyKey' },
    });
  }
  const key = fromBody ?? fromHeader;
  if (key === undefined) {
    throw new AppError('BAD_USER_INPUT', 'An idempotencyKey is required: in the body or as the Idempotency-Key header', {
      details: { field: 'idempotencyKey' },
    });
  }
  return key;
}

function servicesFor(req: Request, deps: Deps): OrderServices {
  return {
    db: deps.db.forRequest(req.requestId),
    products: deps.services.products,
    logger: deps.logger,
    requestId: req.requestId,
    events: deps.services.events,
  };
}

/** An order as REST clients get it: the GraphQL Order's fields, products by id, amounts as Money. */
async function orderView(req: Request, deps: Deps, order: OrderRecord) {
  const items = await itemsByOrderIds(deps.db.forRequest(req.requestId), [order.id]);
  return {
    id: order.id,
    customerId: order.customerId,
    status: order.status,
    items: items.sort((a, b) => a.lineNo - b.lineNo).map(itemView),
    total: money(order.totalCents, order.currency),
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}

function itemView(item: OrderItemRecord) {
  return {
    productId: item.productId,
    quantity: item.quantity,
    unitPrice: money(item.unitPriceCents, item.currency),
    lineTotal: money(item.quantity * item.unitPriceCents, item.currency),
  };
}
