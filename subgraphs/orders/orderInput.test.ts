import { GraphQLError } from 'graphql';
import { ORDER_LIMITS, parsePlaceOrderInput } from './orderInput.js';
import { canMove } from './orderStatus.js';

function rejection(fn: () => unknown): { code: unknown; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GraphQLError);
    return { code: (err as GraphQLError).extensions.code, message: (err as GraphQLError).message };
  }
  throw new Error('expected a rejection');
}

describe('parsePlaceOrderInput', () => {
  it('merges lines of the same product and fingerprints regardless of line order', () => {
    const a = parsePlaceOrderInput({
      idempotencyKey: 'k',
      items: [
        { productId: 'p2', quantity: 1 },
        { productId: 'p1', quantity: 2 },
        { productId: 'p2', quantity: 3 },
      ],
    });
    expect(a.items).toEqual([
      { productId: 'p2', quantity: 4 },
      { productId: 'p1', quantity: 2 },
    ]);
    const b = parsePlaceOrderInput({
      idempotencyKey: 'k',
      items: [
        { productId: 'p1', quantity: 2 },
        { productId: 'p2', quantity: 4 },
      ],
    });
    expect(b.fingerprint).toBe(a.fingerprint);
    const c = parsePlaceOrderInput({ idempotencyKey: 'k', items: [{ productId: 'p1', quantity: 2 }] });
    expect(c.fingerprint).not.toBe(a.fingerprint);
  });

  it.each([
    [{ idempotencyKey: '', items: [{ productId: 'p', quantity: 1 }] }, /idempotencyKey must be 1 to 128/],
    [{ idempotencyKey: 'x'.repeat(129), items: [{ productId: 'p', quantity: 1 }] }, /idempotencyKey must be 1 to 128/],
    [{ idempotencyKey: 'k', items: [] }, /at least one item/],
    [
      { idempotencyKey: 'k', items: Array.from({ length: 51 }, (_, i) => ({ productId: `p${i}`, quantity: 1 })) },
      /at most 50 items/,
    ],
    [{ idempotencyKey: 'k', items: [{ productId: 'p', quantity: 0 }] }, /items\[0\]\.quantity must be at least 1/],
    [{ idempotencyKey: 'k', items: [{ productId: 'p', quantity: -3 }] }, /at least 1/],
    [{ idempotencyKey: 'k', items: [{ productId: '', quantity: 1 }] }, /items\[0\]\.productId/],
    [{ idempotencyKey: 'k', items: [{ productId: 'p', quantity: ORDER_LIMITS.maxQuantity + 1 }] }, /at most 1000/],
    [
      {
        idempotencyKey: 'k',
        items: [
          { productId: 'p', quantity: 600 },
          { productId: 'p', quantity: 600 },
        ],
      },
      /items\[1\]\.quantity: at most 1000 of one product/,
    ],
  ])('rejects bad input %#', (input, message) => {
    const { code, message: text } = rejection(() => parsePlaceOrderInput(input));
    expect(code).toBe('BAD_USER_INPUT');
    expect(text).toMatch(message);
  });
});

describe('order status transitions', () => {
  it('allows the forward path and cancelling before shipping only', () => {
    expect(canMove('PENDING', 'PAID')).toBe(true);
    expect(canMove('PAID', 'SHIPPED')).toBe(true);
    expect(canMove('SHIPPED', 'DELIVERED')).toBe(true);
    expect(canMove('PENDING', 'CANCELLED')).toBe(true);
    expect(canMove('PAID', 'CANCELLED')).toBe(true);
    expect(canMove('SHIPPED', 'CANCELLED')).toBe(false);
    expect(canMove('PENDING', 'SHIPPED')).toBe(false);
    expect(canMove('PAID', 'PENDING')).toBe(false);
    expect(canMove('CANCELLED', 'PAID')).toBe(false);
    expect(canMove('DELIVERED', 'DELIVERED')).toBe(false);
  });
});
