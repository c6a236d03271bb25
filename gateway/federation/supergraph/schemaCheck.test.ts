import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeSubgraphs, loadSupergraphConfig, type SubgraphSource } from './compose.js';
import {
  InvalidSupergraphError,
  apiSchemaOfSupergraph,
  checkSubgraphSchema,
  exitCodeOf,
  formatSchemaCheckReport,
  type SchemaCheckReport,
} from './schemaCheck.js';

const LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable", "@inaccessible"])';

const CATALOG = `${LINK}
type Product @key(fields: "id") {
  id: ID!
  name: String!
  description: String!
  price(currency: String): Int!
  status: ProductStatus!
  internalNote: String @inaccessible
}
enum ProductStatus { ACTIVE RETIRED }
type Query {
  product(id: ID!): Product
  products(category: String): [Product!]!
}
`;
const REVIEWS = `${LINK}
type Product @key(fields: "id") {
  id: ID!
  rating: Float
}
type Query { topRated: [Product!]! }
`;

const source = (name: string, sdl: string): SubgraphSource => ({
  name,
  sdl,
  routingUrl: `http://${name}/graphql`,
  sourceName: `${name}.graphql`,
});
const SUBGRAPHS = [source('catalog', CATALOG), source('reviews', REVIEWS)];
const CURRENT = composeSubgraphs(SUBGRAPHS).supergraphSdl;

/** Checks `catalog` with its SDL edited by `edit`. */
function checkCatalog(edit: (sdl: string) => string): SchemaCheckReport {
  const sdl = edit(CATALOG);
  expect(sdl).not.toBe(CATALOG);
  return checkSubgraphSchema({
    subgraph: 'catalog',
    proposed: { sdl, sourceName: 'changed/catalog.graphql' },
    subgraphs: SUBGRAPHS,
    federationVersion: '=2.9.0',
    currentSupergraphSdl: CURRENT,
    currentSupergraphName: 'supergraph.graphql',
  });
}

const types = (changes: { type: string }[]) => changes.map((c) => c.type);

describe('checkSubgraphSchema', () => {
  it('passes an unchanged subgraph with no changes at all', () => {
    const report = checkSubgraphSchema({
      subgraph: 'catalog',
      proposed: { sdl: CATALOG, sourceName: 'catalog.graphql' },
      subgraphs: SUBGRAPHS,
      currentSupergraphSdl: CURRENT,
    });
    expect(report).toMatchObject({
      status: 'passed',
      subgraph: 'catalog',
      newSubgraph: false,
      composedWith: ['catalog', 'reviews'],
      compositionErrors: [],
      breakingChanges: [],
      dangerousChanges: [],
      safeChanges: [],
    });
    expect(exitCodeOf(report)).toBe(0);
  });

  it('calls a removed field breaking and names it', () => {
    const report = checkCatalog((sdl) => sdl.replace('  description: String!\n', ''));
    expect(report.status).toBe('failed');
    expect(report.breakingChanges).toEqual([{ type: 'FIELD_REMOVED', description: 'Product.description was removed.' }]);
    expect(exitCodeOf(report)).toBe(1);
  });

  it('calls an added field safe', () => {
    const report = checkCatalog((sdl) => sdl.replace('  name: String!\n', '  name: String!\n  weightGrams: Int\n'));
    expect(report.status).toBe('passed');
    expect(report.breakingChanges).toEqual([]);
    expect(report.dangerousChanges).toEqual([]);
    expect(report.safeChanges).toEqual([{ type: 'FIELD_ADDED', description: 'Product.weightGrams was added.' }]);
    expect(exitCodeOf(report)).toBe(0);
  });

  it('calls a new required argument breaking, and a new optional one dangerous', () => {
    const required = checkCatalog((sdl) => sdl.replace('products(category: String)', 'products(category: String, first: Int!)'));
    expect(required.breakingChanges).toEqual([
      { type: 'REQUIRED_ARG_ADDED', description: 'A required arg first on Query.products was added.' },
    ]);
    const optional = checkCatalog((sdl) => sdl.replace('products(category: String)', 'products(category: String, first: Int)'));
    expect(optional.status).toBe('passed');
    expect(types(optional.dangerousChanges)).toEqual(['OPTIONAL_ARG_ADDED']);
  });

  it('calls a nullable argument made non-null breaking', () => {
    const report = checkCatalog((sdl) => sdl.replace('price(currency: String)', 'price(currency: String!)'));
    expect(report.breakingChanges).toEqual([
      { type: 'ARG_CHANGED_KIND', description: 'Product.price arg currency has changed type from String to String!.' },
    ]);
  });

  it('calls a changed field type breaking', () => {
    const report = checkCatalog((sdl) => sdl.replace('  name: String!\n', '  name: Int!\n'));
    expect(report.breakingChanges).toEqual([
      { type: 'FIELD_CHANGED_KIND', description: 'Product.name changed type from String! to Int!.' },
    ]);
  });

  it('calls a new enum value dangerous and a removed one breaking', () => {
    const added = checkCatalog((sdl) => sdl.replace('{ ACTIVE RETIRED }', '{ ACTIVE RETIRED DRAFT }'));
    expect(added.status).toBe('passed');
    expect(added.dangerousChanges).toEqual([
      { type: 'VALUE_ADDED_TO_ENUM', description: 'DRAFT was added to enum type ProductStatus.' },
    ]);
    const removed = checkCatalog((sdl) => sdl.replace('{ ACTIVE RETIRED }', '{ ACTIVE }'));
    expect(types(removed.breakingChanges)).toEqual(['VALUE_REMOVED_FROM_ENUM']);
  });

  it('compares API schemas: an @inaccessible field clients never saw can go', () => {
    const report = checkCatalog((sdl) => sdl.replace('  internalNote: String @inaccessible\n', ''));
    expect(report).toMatchObject({ status: 'passed', breakingChanges: [], dangerousChanges: [], safeChanges: [] });
  });

  it('reports a composition error with the subgraphs it comes from, and no diff', () => {
    // reviews already owns Product.rating as a non-shareable Float.
    const report = checkCatalog((sdl) => sdl.replace('  name: String!\n', '  name: String!\n  rating: Int\n'));
    expect(report.status).toBe('failed');
    expect(report.compositionErrors).toEqual(
      expect.arrayContaining([expect.objectContaining({ subgraphs: ['catalog', 'reviews'], code: 'FIELD_TYPE_MISMATCH' })]),
    );
    expect(report.breakingChanges).toEqual([]);
    expect(exitCodeOf(report)).toBe(1);
  });

  it('reports a syntax error in the changed schema with the subgraph and where', () => {
    const report = checkCatalog((sdl) => sdl.replace('type Query {', 'type Query'));
    expect(report.compositionErrors).toEqual([
      expect.objectContaining({
        subgraphs: ['catalog'],
        code: 'INVALID_GRAPHQL',
        locations: [expect.stringMatching(/^changed\/catalog\.graphql:\d+:\d+$/)],
      }),
    ]);
  });

  it('checks a subgraph the config does not list yet', () => {
    const report = checkSubgraphSchema({
      subgraph: 'shipping',
      proposed: {
        sdl: `${LINK}\ntype Product @key(fields: "id") {\n  id: ID!\n  shippingDays: Int!\n}\ntype Query { carriers: [String!]! }`,
        sourceName: 'shipping.graphql',
      },
      subgraphs: SUBGRAPHS,
      currentSupergraphSdl: CURRENT,
    });
    expect(report).toMatchObject({ status: 'passed', newSubgraph: true, composedWith: ['catalog', 'reviews', 'shipping'] });
    expect(report.safeChanges).toEqual([
      { type: 'FIELD_ADDED', description: 'Product.shippingDays was added.' },
      { type: 'FIELD_ADDED', description: 'Query.carriers was added.' },
    ]);
  });

  it('refuses a current supergraph that is not one', () => {
    expect(() =>
      checkSubgraphSchema({
        subgraph: 'catalog',
        proposed: { sdl: CATALOG, sourceName: 'catalog.graphql' },
        subgraphs: SUBGRAPHS,
        currentSupergraphSdl: 'type Query { a: Int }',
        currentSupergraphName: 'old.graphql',
      }),
    ).toThrow(InvalidSupergraphError);
    expect(() => apiSchemaOfSupergraph('type Query {', 'old.graphql')).toThrow(/^old\.graphql is not a valid supergraph:/);
  });
});

describe('formatSchemaCheckReport', () => {
  it('groups breaking, dangerous and safe changes and ends with the result', () => {
    const report = checkCatalog((sdl) =>
      sdl
        .replace('  description: String!\n', '  weightGrams: Int\n')
        .replace('{ ACTIVE RETIRED }', '{ ACTIVE RETIRED DRAFT }'),
    );
    expect(formatSchemaCheckReport(report)).toBe(
      [
        'Subgraph catalog: changed/catalog.graphql',
        'Composed with: reviews',
        'Compared with: supergraph.graphql',
        '',
        'Composition: ok',
        '',
        'Breaking changes (1):',
        '  FIELD_REMOVED  Product.description was removed.',
        '',
        'Dangerous changes (1):',
        '  VALUE_ADDED_TO_ENUM  DRAFT was added to enum type ProductStatus.',
        '',
        'Safe changes (1):',
        '  FIELD_ADDED  Product.weightGrams was added.',
        '',
        'FAILED: 1 breaking change for clients.',
      ].join('\n'),
    );
  });

  it('says plainly when nothing breaks', () => {
    const report = checkCatalog((sdl) => sdl.replace('  name: String!\n', '  name: String!\n  weightGrams: Int\n'));
    expect(formatSchemaCheckReport(report).split('\n').at(-1)).toBe('PASSED: no breaking changes (1 safe change).');
  });

  it('lists composition errors with their subgraphs', () => {
    const text = formatSchemaCheckReport(checkCatalog((sdl) => sdl.replace('  name: String!\n', '  name: String!\n  rating: Int\n')));
    expect(text).toMatch(/^Composition errors \(\d+\):\n {2}\[catalog, reviews\] FIELD_TYPE_MISMATCH: Type of field "Product\.rating"/m);
    expect(text.split('\n').at(-1)).toMatch(/^FAILED: catalog does not compose \(\d+ composition errors?\)\.$/);
  });
});

describe('checking our own subgraphs against the committed supergraph', () => {
  const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

  async function checkReal(subgraph: string, edit: (sdl: string) => string): Promise<SchemaCheckReport> {
    const file = path.join(repoRoot, 'subgraphs', subgraph, 'schema.graphql');
    const sdl = edit(await readFile(file, 'utf8'));
    const config = await loadSupergraphConfig(path.join(repoRoot, 'supergraph.yaml'), {
      schemaOverrides: { [subgraph]: { sdl, sourceName: `changed/${subgraph}.graphql` } },
    });
    return checkSubgraphSchema({
      subgraph,
      proposed: { sdl, sourceName: `changed/${subgraph}.graphql` },
      subgraphs: config.subgraphs,
      federationVersion: config.federationVersion,
      currentSupergraphSdl: await readFile(path.join(repoRoot, 'supergraph.graphql'), 'utf8'),
    });
  }

  it('finds Product.description removed from products', async () => {
    const report = await checkReal('products', (sdl) => {
      const edited = sdl.replace(/(type Product @key[^{]*\{[^}]*?)\n {2}description: String!/, '$1');
      expect(edited).not.toBe(sdl);
      return edited;
    });
    expect(report.status).toBe('failed');
    expect(report.breakingChanges).toEqual([{ type: 'FIELD_REMOVED', description: 'Product.description was removed.' }]);
  });

  it('finds an OrderStatus value removed from orders', async () => {
    const report = await checkReal('orders', (sdl) => sdl.replace('  DELIVERED\n', ''));
    expect(report.breakingChanges).toEqual([
      { type: 'VALUE_REMOVED_FROM_ENUM', description: 'DELIVERED was removed from enum type OrderStatus.' },
    ]);
  });

  it('names orders when its Money disagrees with the other subgraphs', async () => {
    const report = await checkReal('orders', (sdl) => sdl.replace('  amountCents: Int!\n', '  amountCents: Float!\n'));
    expect(report.status).toBe('failed');
    expect(report.compositionErrors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'FIELD_TYPE_MISMATCH', subgraphs: expect.arrayContaining(['orders', 'products']) }),
      ]),
    );
  });
});
