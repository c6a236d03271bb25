/**
 * Validation of what clients send to placeOrder, and the canonical form of an order request: the same
 * product listed twice becomes one line, and the fingerprint lets a reused idempotency key be compared
 * with the request it was first used for.
 */
import { userInputError } from '../../lib/errors.js';

export const ORDER_LIMITS = {
  maxItems: 50,
  maxQuantity: 1_000,
  maxIdempotencyKeyLength: 128,
  maxProductIdLength: 128,
} as const;

export interface OrderItemInput {
  productId: string;
  quantity: number;
}

export interface PlaceOrderInput {
  items: OrderItemInput[];
  idempotencyKey: string;
}

export interface OrderRequest {
  /** One line per product, in the order the client first listed them. */
  items: OrderItemInput[];
  idempotencyKey: string;
  /** Equal for requests that ask for the same things, whatever the order of their lines. */
  fingerprint: string;
}

/** Checks the input and returns its canonical form; throws BAD_USER_INPUT naming the first problem. */
export function parsePlaceOrderInput(input: PlaceOrderInput): OrderRequest {
  const key = input.idempotencyKey;
  if (key.length < 1 || key.length > ORDER_LIMITS.maxIdempotencyKeyLength) {
    throw userInputError(
      `idempotencyKey must be 1 to ${ORDER_LIMITS.maxIdempotencyKeyLength} characters long (got ${key.length})`,
      { field: 'idempotencyKey' },
    );
  }
  if (input.items.length === 0) {
    throw userInputError('items must contain at least one item', { field: 'items' });
  }
  if (input.items.length > ORDER_LIMITS.maxItems) {
    throw userInputError(`items: an order can have at most ${ORDER_LIMITS.maxItems} items (got ${input.items.length})`, {
      field: 'items',
    });
  }

  const lines = new Map<string, number>();
  input.items.forEach((item, index) => {
    const field = `items[${index}]`;
    if (item.productId.length < 1 || item.productId.length > ORDER_LIMITS.maxProductIdLength) {
      throw userInputError(`${field}.productId must be 1 to ${ORDER_LIMITS.maxProductIdLength} characters long`, {
        field: `${field}.productId`,
      });
    }
    if (!Number.isInteger(item.quantity) || item.quantity < 1) {
      throw userInputError(`${field}.quantity must be at least 1 (got ${item.quantity})`, { field: `${field}.quantity` });
    }
    const quantity = (lines.get(item.productId) ?? 0) + item.quantity;
    if (quantity > ORDER_LIMITS.maxQuantity) {
      throw userInputError(
        `${field}.quantity: at most ${ORDER_LIMITS.maxQuantity} of one product per order (${item.productId})`,
        { field: `${field}.quantity`, productId: item.productId },
      );
    }
    lines.set(item.productId, quantity);
  });

  const items = [...lines].map(([productId, quantity]) => ({ productId, quantity }));
  const sorted = [...items].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
  return { items, idempotencyKey: key, fingerprint: JSON.stringify(sorted.map((i) => [i.productId, i.quantity])) };
}
