/**
 * Money is integer cents plus an ISO 4217 currency code; `formatted` is derived, never stored.
 * Shared by every subgraph that returns prices (Money is @shareable).
 */
export interface Money {
  amountCents: number;
  currency: string;
  formatted: string;
}

const formatters = new Map<string, Intl.NumberFormat>();

export function formatMoney(amountCents: number, currency: string): string {
  let formatter = formatters.get(currency);
  if (!formatter) {
    formatter = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    formatters.set(currency, formatter);
  }
  const digits = formatter.resolvedOptions().maximumFractionDigits ?? 2;
  // Integer arithmetic up to here; the division is for display only.
  return formatter.format(amountCents / 10 ** digits);
}

export function money(amountCents: number, currency: string): Money {
  return { amountCents, currency, formatted: formatMoney(amountCents, currency) };
}

export const CURRENCY_PATTERN = /^[A-Z]{3}$/;

export function isKnownCurrency(code: string): boolean {
  if (!CURRENCY_PATTERN.test(code)) return false;
  try {
    new Intl.NumberFormat('en-US', { style: 'currency', currency: code });
    return (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('currency').includes(code) ?? true;
  } catch {
    return false;
  }
}
