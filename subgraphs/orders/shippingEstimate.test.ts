import { GraphQLError } from 'graphql';
import { parseDestinationCountry, shippingEstimateCents, SHIPPING_RULE } from './shippingEstimate.js';

describe('shippingEstimateCents', () => {
  const us = (weightGrams: number, priceCents: number) =>
    shippingEstimateCents({ weightGrams, priceCents, destinationCountry: 'US' });
  const de = (weightGrams: number, priceCents: number) =>
    shippingEstimateCents({ weightGrams, priceCents, destinationCountry: 'DE' });

  it('charges the domestic base fee plus 50 cents per started 100 g', () => {
    expect(us(1, 1999)).toBe(549);
    expect(us(100, 1999)).toBe(549);
    expect(us(101, 1999)).toBe(599);
    expect(us(1250, 1999)).toBe(1149);
  });

  it('ships free within the US from a unit price of 50.00, and not one cent below', () => {
    expect(us(1250, 5000)).toBe(0);
    expect(us(1250, 4999)).toBe(1149);
  });

  it('charges international destinations 14.99 plus 1.20 per started 100 g, never free', () => {
    expect(de(1250, 1999)).toBe(3059);
    expect(de(1250, 500_000)).toBe(3059);
    expect(de(1_000_000, 100)).toBe(1499 + 10_000 * 120);
  });

  it('stays an integer for any integer weight', () => {
    for (const grams of [1, 99, 150, 999, 12_345]) expect(Number.isInteger(us(grams, 100))).toBe(true);
  });

  it('ships from the US', () => {
    expect(SHIPPING_RULE.originCountry).toBe('US');
  });
});

describe('parseDestinationCountry', () => {
  it('defaults to the origin and upper-cases two-letter codes', () => {
    expect(parseDestinationCountry(undefined)).toBe('US');
    expect(parseDestinationCountry(null)).toBe('US');
    expect(parseDestinationCountry('de')).toBe('DE');
    expect(parseDestinationCountry(' GB ')).toBe('GB');
  });

  it('refuses anything else with BAD_USER_INPUT naming the argument', () => {
    for (const bad of ['', 'USA', 'D1', 'ü', '12']) {
      let error: unknown;
      try {
        parseDestinationCountry(bad);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(GraphQLError);
      expect((error as GraphQLError).extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        details: { argument: 'destinationCountry' },
      });
    }
  });
});
