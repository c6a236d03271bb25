import {
  catalogInsertStatements,
  catalogWeightStatements,
  generateCatalog,
  generateCatalogWeights,
  mulberry32,
  SEED_CATEGORIES,
  SEED_PRODUCT_COUNT,
} from './seedCatalog.js';

describe('demo catalog', () => {
  const catalog = generateCatalog();

  it('is the same on every call', () => {
    expect(generateCatalog()).toEqual(catalog);
    expect(mulberry32(7)()).toBe(mulberry32(7)());
  });

  it('has 1,200 products over ten categories with unique ids and skus', () => {
    expect(catalog).toHaveLength(SEED_PRODUCT_COUNT);
    expect(SEED_PRODUCT_COUNT).toBeGreaterThanOrEqual(1_000);
    expect(new Set(catalog.map((p) => p.id)).size).toBe(catalog.length);
    expect(new Set(catalog.map((p) => p.sku)).size).toBe(catalog.length);
    expect(new Set(catalog.map((p) => p.category))).toEqual(new Set(SEED_CATEGORIES));
    expect(SEED_CATEGORIES).toHaveLength(10);
    expect(catalog[0].id).toBe('prod_0001');
    expect(catalog[catalog.length - 1].id).toBe('prod_1200');
  });

  it('has plausible prices, stock and timestamps', () => {
    for (const p of catalog) {
      expect(Number.isInteger(p.priceCents) && p.priceCents > 0).toBe(true);
      expect(p.stock).toBeGreaterThanOrEqual(0);
      expect(p.stock).toBeLessThanOrEqual(500);
      expect(p.sku).toMatch(/^[A-Z]{3}-\d{4}$/);
      expect(p.name.split(' ').length).toBeGreaterThanOrEqual(3);
      expect(p.description.length).toBeGreaterThan(40);
    }
    const soldOut = catalog.filter((p) => p.stock === 0).length;
    expect(soldOut).toBeGreaterThan(0);
    expect(soldOut).toBeLessThan(catalog.length / 10);
    expect(catalog[0].createdAt).toBe('2025-01-01T00:37:00.000Z');
    expect(new Set(catalog.map((p) => p.createdAt)).size).toBe(catalog.length);
  });

  it('inserts in parameterized chunks of 200 rows', () => {
    const statements = catalogInsertStatements(catalog);
    expect(statements).toHaveLength(6);
    expect(statements[0].params).toHaveLength(200 * 9);
    expect(statements[0].sql).toContain('$1800::timestamptz');
    expect(statements[0].sql).not.toContain(catalog[0].name);
  });
});

describe('demo catalog weights', () => {
  const catalog = generateCatalog();
  const weights = generateCatalogWeights(catalog);

  it('gives every seeded product the same plausible weight on every call', () => {
    expect(generateCatalogWeights(catalog)).toEqual(weights);
    expect(weights.size).toBe(catalog.length);
    for (const product of catalog) {
      const grams = weights.get(product.id)!;
      expect(Number.isInteger(grams) && grams >= 10 && grams <= 8_000).toBe(true);
      expect(grams % 10).toBe(0);
    }
    const beauty = catalog.filter((p) => p.category === 'Beauty').map((p) => weights.get(p.id)!);
    expect(Math.max(...beauty)).toBeLessThanOrEqual(600);
  });

  it('sets them in one parameterized statement', () => {
    const [statement, ...rest] = catalogWeightStatements(weights);
    expect(rest).toEqual([]);
    expect(statement.params).toEqual([[...weights.keys()], [...weights.values()]]);
    expect(statement.sql).toContain('unnest($1::text[], $2::int[])');
  });
});
