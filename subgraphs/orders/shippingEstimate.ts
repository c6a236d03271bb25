/**
 * What shipping one unit of a product costs, in integer minor units (cents) of the product's own
 * currency; orders ship from the United States:
 *
 * - to the US: 4.99 plus 0.50 per started 100 g, free when the unit price is 50.00 or more;
 * - anywhere else: 14.99 plus 1.20 per started 100 g, never free.
 *
 * e.g. 1,250 g at 19.99 to the US: 499 + 13 x 50 = 1,149 (11.49); to DE: 1,499 + 13 x 120 = 3,059 (30.59).
 */
import { userInputError } from '../../lib/errors.js';

export const SHIPPING_RULE = {
  originCountry: 'US',
  domestic: { baseCents: 499, perStarted100gCents: 50, freeFromPriceCents: 5_000 },
  international: { baseCents: 1_499, perStarted100gCents: 120 },
} as const;

export interface ShippingEstimateInput {
  weightGrams: number;
  /** The unit price in minor units. */
  priceCents: number;
  /** ISO 3166-1 alpha-2, upper case (see parseDestinationCountry). */
  destinationCountry: string;
}

export function shippingEstimateCents({ weightGrams, priceCents, destinationCountry }: ShippingEstimateInput): number {
  const started100g = Math.ceil(weightGrams / 100);
  if (destinationCountry === SHIPPING_RULE.originCountry) {
    const { baseCents, perStarted100gCents, freeFromPriceCents } = SHIPPING_RULE.domestic;
    return priceCents >= freeFromPriceCents ? 0 : baseCents + started100g * perStarted100gCents;
  }
  const { baseCents, perStarted100gCents } = SHIPPING_RULE.international;
  return baseCents + started100g * perStarted100gCents;
}

const COUNTRY_PATTERN = /^[A-Za-z]{2}$/;

/** A two-letter country code in either case -> upper case; anything else is BAD_USER_INPUT naming the argument. */
export function parseDestinationCountry(value: string | null | undefined): string {
  const code = (value ?? SHIPPING_RULE.originCountry).trim();
  if (!COUNTRY_PATTERN.test(code)) {
    throw userInputError(`destinationCountry must be a two-letter ISO 3166-1 country code such as US or DE (got "${code.slice(0, 20)}")`, {
      argument: 'destinationCountry',
    });
  }
  return code.toUpperCase();
}
