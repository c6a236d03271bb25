import { mergeItems } from './stockReservations.js';

describe('mergeItems', () => {
  it('sums duplicate products and sorts by id so row locks are always taken in the same order', () => {
    expect(
      mergeItems([
        { productId: 'prod_b', quantity: 1 },
        { productId: 'prod_a', quantity: 2 },
        { productId: 'prod_b', quantity: 3 },
      ]),
    ).toEqual([
      { productId: 'prod_a', quantity: 2 },
      { productId: 'prod_b', quantity: 4 },
    ]);
  });
});
