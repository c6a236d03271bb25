/** Checks the product mutations' input; each problem is a BAD_USER_INPUT naming the field. */
import { userInputError } from '../../lib/errors.js';
import { isKnownCurrency } from '../kit/index.js';
import type { NewProduct, ProductChanges } from './productStore.js';

export const LIMITS = {
  skuLength: 64,
  nameLength: 200,
  descriptionLength: 5_000,
  categoryLength: 64,
  /** Fits the integer column with room to spare: 1 billion cents. */
  maxPriceCents: 1_000_000_000,
  maxStock: 10_000_000,
  /** Shipping weight: 1 g to 1 tonne (the column's check). */
  minWeightGrams: 1,
  maxWeightGrams: 1_000_000,
} as const;

/** The weight a product gets when CreateProductInput leaves it out (also the schema's default). */
export const DEFAULT_WEIGHT_GRAMS = 500;

const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface CreateProductInput {
  sku: string;
  name: string;
  description: string;
  category: string;
  priceCents: number;
  currency?: string | null;
  stock: number;
  weightGrams?: number | null;
}

export interface UpdateProductInput {
  name?: string | null;
  description?: string | null;
  category?: string | null;
  priceCents?: number | null;
  currency?: string | null;
  stock?: number | null;
  weightGrams?: number | null;
}

export function validateCreateInput(input: CreateProductInput): Omit<NewProduct, 'id'> {
  const sku = input.sku.trim();
  if (!sku) throw userInputError('sku must not be empty', { field: 'sku' });
  if (sku.length > LIMITS.skuLength) {
    throw userInputError(`sku must be at most ${LIMITS.skuLength} characters`, { field: 'sku' });
  }
  if (!SKU_PATTERN.test(sku)) {
    throw userInputError('sku may contain only letters, digits, ".", "_" and "-", starting with a letter or digit', {
      field: 'sku',
    });
  }
  return {
    sku,
    name: text('name', input.name, LIMITS.nameLength),
    description: text('description', input.description, LIMITS.descriptionLength, true),
    category: text('category', input.category, LIMITS.categoryLength),
    priceCents: priceCents(input.priceCents),
    currency: currency(input.currency ?? 'USD'),
    stock: stock(input.stock),
    weightGrams: weightGrams(input.weightGrams ?? DEFAULT_WEIGHT_GRAMS),
  };
}

/** Null and absent fields are left unchanged; an input that changes nothing is refused. */
export function validateUpdateInput(input: UpdateProductInput): ProductChanges {
  const changes: ProductChanges = {};
  if (input.name != null) changes.name = text('name', input.name, LIMITS.nameLength);
  if (input.description != null) {
    changes.description = text('description', input.description, LIMITS.descriptionLength, true);
  }
  if (input.category != null) changes.category = text('category', input.category, LIMITS.categoryLength);
  if (input.priceCents != null) changes.priceCents = priceCents(input.priceCents);
  if (input.currency != null) changes.currency = currency(input.currency);
  if (input.stock != null) changes.stock = stock(input.stock);
  if (input.weightGrams != null) changes.weightGrams = weightGrams(input.weightGrams);
  if (Object.keys(changes).length === 0) {
    throw userInputError('input must set at least one of name, description, category, priceCents, currency, stock, weightGrams', {
      field: 'input',
    });
  }
  return changes;
}

function text(field: string, value: string, maxLength: number, allowEmpty = false): string {
  const trimmed = value.trim();
  if (!allowEmpty && !trimmed) throw userInputError(`${field} must not be empty`, { field });
  if (trimmed.length > maxLength) throw userInputError(`${field} must be at most ${maxLength} characters`, { field });
  return trimmed;
}

function priceCents(value: number): number {
  if (value < 0 || value > LIMITS.maxPriceCents) {
    throw userInputError(`priceCents must be between 0 and ${LIMITS.maxPriceCents}`, { field: 'priceCents' });
  }
  return value;
}

function currency(value: string): string {
  if (!isKnownCurrency(value)) {
    throw userInputError(`currency "${value}" is not a known ISO 4217 code (e.g. USD, EUR)`, { field: 'currency' });
  }
  return value;
}

function stock(value: number): number {
  if (value < 0 || value > LIMITS.maxStock) {
    throw userInputError(`stock must be between 0 and ${LIMITS.maxStock}`, { field: 'stock' });
  }
  return value;
}

function weightGrams(value: number): number {
  if (value < LIMITS.minWeightGrams || value > LIMITS.maxWeightGrams) {
    throw userInputError(`weightGrams must be between ${LIMITS.minWeightGrams} and ${LIMITS.maxWeightGrams}`, {
      field: 'weightGrams',
    });
  }
  return value;
}
