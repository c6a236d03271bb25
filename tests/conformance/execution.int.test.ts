/**
 * Conformance: how operations run across subgraphs. @include/@skip with variables (also where they
 * decide about an entity fetch), mutations executed one after the other (each, with its selection,
 * seeing the effects of the previous one), and errors: a non-null field failing in one subgraph
 * nulls the nearest nullable parent in the response, which another subgraph produced.
 */
import { GraphQLError } from 'graphql';
import { federationLink, startFederation, type Federation } from './harness.js';

describe('@include and @skip with variables', () => {
  const products = [
    { id: 'p1', name: 'Kettle' },
    { id: 'p2', name: 'Teapot' },
  ];
  const stock: Record<string, number> = { p1: 3, p2: 0 };
  let federation: Federation;

  beforeAll(async () => {
    federation = await startFederation({
      subgraphs: {
        catalog: {
          typeDefs: `${federationLink('@key')}
            type Product @key(fields: "id") { id: ID! name: String! }
            type Query { products: [Product!]! }`,
          resolvers: { Query: { products: () => products } },
        },
        inventory: {
          typeDefs: `${federationLink('@key')}
            type Product @key(fields: "id") { id: ID! stock: Int! warehouse: Warehouse! }
            type Warehouse { city: String! }
            type Query { warehouses: [Warehouse!]! }`,
          resolvers: {
            Query: { warehouses: () => [{ city: 'Leeds' }] },
            Product: { stock: (p: { id: string }) => stock[p.id], warehouse: () => ({ city: 'Leeds' }) },
          },
        },
      },
    });
  });
  afterAll(() => federation?.close());

  const INCLUDE = 'query ($withStock: Boolean!) { products { name stock @include(if: $withStock) } }';

  it('includes an entity field from another subgraph when the variable is true', async () => {
    expect(await federation.query(INCLUDE, { withStock: true })).toEqual({
      data: {
        products: [
          { name: 'Kettle', stock: 3 },
          { name: 'Teapot', stock: 0 },
        ],
      },
    });
  });

  it('leaves it out, and does not fetch the entity at all, when the variable is false', async () => {
    federation.clearOperations();
    expect(await federation.query(INCLUDE, { withStock: false })).toEqual({
      data: { products: [{ name: 'Kettle' }, { name: 'Teapot' }] },
    });
    expect(federation.operations.inventory).toEqual([]);
  });

  it('skips an inline fragment of entity fields, with a variable default', async () => {
    const query = `query ($lite: Boolean = true) {
      products { id ... @skip(if: $lite) { stock warehouse { city } } }
    }`;
    expect(await federation.query(query)).toEqual({ data: { products: [{ id: 'p1' }, { id: 'p2' }] } });
    expect(await federation.query(query, { lite: false })).toEqual({
      data: {
        products: [
          { id: 'p1', stock: 3, warehouse: { city: 'Leeds' } },
          { id: 'p2', stock: 0, warehouse: { city: 'Leeds' } },
        ],
      },
    });
  });

  it('combines @skip and @include on one field (included only when include is true and skip false)', async () => {
    const query = 'query ($inc: Boolean!, $skip: Boolean!) { products { id stock @include(if: $inc) @skip(if: $skip) } }';
    const cases = [
      { inc: true, skip: false, stock: true },
      { inc: true, skip: true, stock: false },
      { inc: false, skip: false, stock: false },
    ];
    for (const { inc, skip, stock: shown } of cases) {
      expect(await federation.query(query, { inc, skip })).toEqual({
        data: { products: shown ? [{ id: 'p1', stock: 3 }, { id: 'p2', stock: 0 }] : [{ id: 'p1' }, { id: 'p2' }] },
      });
    }
  });

  it('drops a root field of a whole subgraph, and keeps a second selection of the same field that is included', async () => {
    federation.clearOperations();
    expect(
      await federation.query('query ($no: Boolean!) { warehouses @include(if: $no) { city } products { name } }', { no: false }),
    ).toEqual({ data: { products: [{ name: 'Kettle' }, { name: 'Teapot' }] } });
    expect(federation.operations.inventory).toEqual([]);
    expect(
      await federation.query('query ($s: Boolean!) { products { name @skip(if: $s) ... { name } } }', { s: true }),
    ).toEqual({ data: { products: [{ name: 'Kettle' }, { name: 'Teapot' }] } });
  });
});

describe('mutations', () => {
  // One counter, changed by mutations of two subgraphs; ledger also tells, when the gateway fetches
  // a Counter entity, what the counter was at that moment.
  let value = 0;
  const calls: string[] = [];
  let federation: Federation;

  beforeAll(async () => {
    const counter = () => ({ id: 'c' });
    federation = await startFederation({
      subgraphs: {
        ledger: {
          typeDefs: `${federationLink('@key')}
            type Counter @key(fields: "id") { id: ID! value: Int! }
            type Query { counter: Counter! }
            type Mutation { add(n: Int!): Counter! reset: Counter! }`,
          resolvers: {
            Query: { counter },
            Mutation: {
              add: (_: unknown, args: { n: number }) => {
                calls.push(`add ${args.n}`);
                value += args.n;
                return counter();
              },
              reset: () => {
                calls.push('reset');
                value = 0;
                return counter();
              },
            },
            Counter: {
              __resolveReference: () => counter(),
              value: () => {
                calls.push(`read ${value}`);
                return value;
              },
            },
          },
        },
        multiplier: {
          typeDefs: `${federationLink('@key')}
            type Counter @key(fields: "id") { id: ID! doubled: Int! }
            type Query { factor: Int! }
            type Mutation { double: Counter! }`,
          resolvers: {
            Query: { factor: () => 2 },
            Mutation: {
              double: () => {
                calls.push('double');
                value *= 2;
                return counter();
              },
            },
            Counter: { doubled: () => value * 2 },
          },
        },
      },
    });
  });
  afterAll(() => federation?.close());

  beforeEach(async () => {
    await federation.query('mutation { reset { id } }');
    calls.length = 0;
  });

  it('runs root mutation fields of different subgraphs in order', async () => {
    expect(await federation.query('mutation { a: add(n: 1) { id } b: double { id } c: add(n: 2) { id } d: double { id } }')).toEqual({
      data: { a: { id: 'c' }, b: { id: 'c' }, c: { id: 'c' }, d: { id: 'c' } },
    });
    expect(calls).toEqual(['add 1', 'double', 'add 2', 'double']);
    expect(value).toBe(8);
  });

  it('completes each mutation\'s selection, entity fetches included, before the next mutation runs', async () => {
    expect(
      await federation.query(`mutation {
        a: add(n: 1) { value doubled }
        b: double { value doubled }
        c: add(n: 3) { value doubled }
      }`),
    ).toEqual({
      data: {
        a: { value: 1, doubled: 2 },
        b: { value: 2, doubled: 4 },
        c: { value: 5, doubled: 10 },
      },
    });
  });

  it('runs consecutive mutations of one subgraph in order in one request', async () => {
    federation.clearOperations();
    expect(await federation.query('mutation { a: add(n: 2) { value } b: add(n: 5) { value } }')).toEqual({
      data: { a: { value: 2 }, b: { value: 7 } },
    });
    expect(calls).toEqual(['add 2', 'read 2', 'add 5', 'read 7']);
    expect(federation.operations.ledger).toHaveLength(1);
  });
});

describe('errors across subgraph boundaries', () => {
  // catalog lists products; inventory's Product.stock (non-null) fails for p2; reviews' rating is
  // nullable and fails for p1.
  const products = [
    { id: 'p1', name: 'Kettle' },
    { id: 'p2', name: 'Teapot' },
  ];
  let federation: Federation;

  beforeAll(async () => {
    federation = await startFederation({
      subgraphs: {
        catalog: {
          typeDefs: `${federationLink('@key')}
            type Product @key(fields: "id") { id: ID! name: String! }
            type Shelf { label: String! products: [Product!]! }
            type Query {
              products: [Product]
              strictProducts: [Product!]!
              featured: Product
              shelf: Shelf
              storeName: String!
            }`,
          resolvers: {
            Query: {
              products: () => products,
              strictProducts: () => products,
              featured: () => products[1],
              shelf: () => ({ label: 'Tea', products }),
              storeName: () => 'Kitchen Store',
            },
          },
        },
        inventory: {
          typeDefs: `${federationLink('@key')}
            type Product @key(fields: "id") { id: ID! stock: Int! }
            type Query { inventoryStatus: String! }`,
          resolvers: {
            Query: { inventoryStatus: () => 'ok' },
            Product: {
              stock: (p: { id: string }) => {
                if (p.id === 'p2') {
                  throw new GraphQLError('Stock of p2 is unknown', { extensions: { code: 'STOCK_UNKNOWN' } });
                }
                return 3;
              },
            },
          },
        },
        reviews: {
          typeDefs: `${federationLink('@key')}
            type Product @key(fields: "id") { id: ID! rating: Float }
            type Query { reviewCount: Int! }`,
          resolvers: {
            Query: { reviewCount: () => 0 },
            Product: {
              rating: (p: { id: string }) => {
                if (p.id === 'p1') throw new GraphQLError('Ratings are being recomputed', { extensions: { code: 'UNAVAILABLE' } });
                return 4;
              },
            },
          },
        },
      },
    });
  });
  afterAll(() => federation?.close());

  const stockError = (path: (string | number)[]) => ({
    message: 'Stock of p2 is unknown',
    path,
    extensions: { code: 'STOCK_UNKNOWN', serviceName: 'inventory' },
  });

  it('nulls a nullable list item when its non-null field fails in another subgraph', async () => {
    expect(await federation.query('{ products { name stock } }')).toEqual({
      data: { products: [{ name: 'Kettle', stock: 3 }, null] },
      errors: [stockError(['products', 1, 'stock'])],
    });
  });

  it('bubbles through non-null list items and a non-null list up to data', async () => {
    expect(await federation.query('{ strictProducts { name stock } }')).toEqual({
      data: null,
      errors: [stockError(['strictProducts', 1, 'stock'])],
    });
  });

  it('stops at the nearest nullable field and keeps the rest of the response', async () => {
    expect(await federation.query('{ storeName featured { name stock } shelf { label products { id stock } } }')).toEqual({
      data: { storeName: 'Kitchen Store', featured: null, shelf: null },
      errors: [stockError(['featured', 'stock']), stockError(['shelf', 'products', 1, 'stock'])],
    });
  });

  it('nulls only a failing nullable field, its siblings from other subgraphs stay', async () => {
    expect(await federation.query('{ products { name stock rating } }')).toEqual({
      data: { products: [{ name: 'Kettle', stock: 3, rating: null }, null] },
      errors: [
        stockError(['products', 1, 'stock']),
        {
          message: 'Ratings are being recomputed',
          path: ['products', 0, 'rating'],
          extensions: { code: 'UNAVAILABLE', serviceName: 'reviews' },
        },
      ],
    });
  });
});
