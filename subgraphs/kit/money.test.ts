import { formatMoney, isKnownCurrency, money } from './money.js';

describe('money', () => {
  it('formats integer cents with the currency minor unit', () => {
    expect(formatMoney(123456, 'USD')).toBe('$1,234.56');
    expect(formatMoney(500, 'JPY')).toBe('¥500');
    expect(money(5, 'EUR')).toEqual({ amountCents: 5, currency: 'EUR', formatted: '€0.05' });
  });

  it('knows ISO currency codes', () => {
    expect(isKnownCurrency('USD')).toBe(true);
    expect(isKnownCurrency('usd')).toBe(false);
    expect(isKnownCurrency('XYZ')).toBe(false);
  });
});
