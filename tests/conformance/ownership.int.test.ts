/**
 * Conformance: who resolves a field. @shareable value types and fields resolved by two subgraphs,
 * @override (plain and progressive with a label), and @inaccessible.
 */
import { federationLink, startFederation, type Federation } from './harness.js';

describe('@shareable', () => {
  // Money is a value type both subgraphs define and return; Product.name is resolved by catalog and
  // by search (which keeps a copy in its index), so a search needs no call to catalog.
  const products = [
    { id: 'p1', name: 'Kettle', price: { amountCents: 2999, currency: 'EUR' } },
    { id: 'p2', name: 'Teapot', price: { amountCents: 1500, currency: 'EUR' } },
  ];
  let federation: Federation;

  beforeAll(async () => {
    federation = await startFederation({
      subgraphs: {
        catalog: {
          typeDefs: `${federationLink('@key', '@shareable')}
            type Money @shareable { amountCents: Int! currency: String! }
            type Product @key(fields: "id") { id: ID! name: String! @shareable price: Money! }
            type Query { products: [Product!]! storeName: String! @shareable }`,
          resolvers: {
            Query: { products: () => products, storeName: () => 'Kitchen Store' },
            Product: { __resolveReference: (ref: { id: string }) => products.find((p) => p.id === ref.id) ?? null },
          },
        },
        search: {
          typeDefs: `${federationLink('@key', '@shareable')}
            type Money @shareable { amountCents: Int! currency: String! }
            type Product @key(fields: "id") { id: ID! name: String! @shareable }
            type SearchResult { product: Product! minPrice: Money! }
            type Query { search(text: String!): [SearchResult!]! storeName: String! @shareable }`,
          resolvers: {
            Query: {
              search: (_: unknown, args: { text: string }) =>
                products
                  .filter((p) => p.name.toLowerCase().includes(args.text.toLowerCase()))
                  .map((p) => ({ product: { id: p.id, name: p.name }, minPrice: { amountCents: 1000, currency: 'EUR' } })),
              storeName: () => 'Kitchen Store',
            },
          },
        },
      },
    });
  });
  afterAll(() => federation?.close());

  it('returns a value type from both subgraphs in one response', async () => {
    expect(await federation.query('{ products { price { amountCents currency } } search(text: "kettle") { minPrice { amountCents currency } } }')).toEqual({
      data: {
        products: [{ price: { amountCents: 2999, currency: 'EUR' } }, { price: { amountCents: 1500, currency: 'EUR' } }],
        search: [{ minPrice: { amountCents: 1000, currency: 'EUR' } }],
      },
    });
  });

  it('resolves a shareable field in the subgraph the query is already in', async () => {
    federation.clearOperations();
    expect(await federation.query('{ search(text: "t") { product { id name } } }')).toEqual({
      data: { search: [{ product: { id: 'p1', name: 'Kettle' } }, { product: { id: 'p2', name: 'Teapot' } }] },
    });
    expect(federation.operations.catalog).toEqual([]);
    expect(federation.operations.search).toHaveLength(1);
  });

  it('goes to the other subgraph for the fields only it has', async () => {
    expect(await federation.query('{ search(text: "teapot") { product { name price { amountCents } } } }')).toEqual({
      data: { search: [{ product: { name: 'Teapot', price: { amountCents: 1500 } } }] },
    });
  });

  it('answers a shareable root field from one subgraph', async () => {
    federation.clearOperations();
    expect(await federation.query('{ storeName }')).toEqual({ data: { storeName: 'Kitchen Store' } });
    expect(federation.operations.catalog.length + federation.operations.search.length).toBe(1);
  });
});

describe('@override', () => {
  // billing took Product.price over from catalog; catalog still has its old resolver (answering a
  // stale value that must never be seen). Product.tax is being moved progressively with labels.
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
            type Product @key(fields: "id") {
              id: ID!
              name: String!
              price: Int!
              taxAll: Int!
              taxNone: Int!
              taxBeta: Int!
            }
            type Query { products: [Product!]! }`,
          resolvers: {
            Query: { products: () => products },
            Product: {
              __resolveReference: (ref: { id: string }) => products.find((p) => p.id === ref.id) ?? null,
              price: () => -1,
              taxAll: () => -1,
              taxNone: () => -1,
              taxBeta: () => -1,
            },
          },
        },
        billing: {
          typeDefs: `${federationLink('@key', '@override')}
            type Product @key(fields: "id") {
              id: ID!
              price: Int! @override(from: "catalog")
              taxAll: Int! @override(from: "catalog", label: "percent(100)")
              taxNone: Int! @override(from: "catalog", label: "percent(0)")
              taxBeta: Int! @override(from: "catalog", label: "billing-beta")
            }
            type Query { invoiceCount: Int! }`,
          resolvers: {
            Query: { invoiceCount: () => 0 },
            Product: {
              price: (p: { id: string }) => (p.id === 'p1' ? 2999 : 1500),
              taxAll: () => 19,
              taxNone: () => 19,
              taxBeta: () => 19,
            },
          },
        },
      },
    });
  });
  afterAll(() => federation?.close());

  it('resolves an overridden field only in the overriding subgraph', async () => {
    federation.clearOperations();
    expect(await federation.query('{ products { name price } }')).toEqual({
      data: {
        products: [
          { name: 'Kettle', price: 2999 },
          { name: 'Teapot', price: 1500 },
        ],
      },
    });
    expect(federation.operations.catalog.map((op) => op.query)).toEqual(['{products{__typename id name}}']);
  });

  it('keeps a field overridden at percent(0) in the original subgraph', async () => {
    expect(await federation.query('{ products { taxNone } }')).toEqual({
      data: { products: [{ taxNone: -1 }, { taxNone: -1 }] },
    });
  });

  it('keeps a field overridden under a custom label nobody switched on in the original subgraph', async () => {
    expect(await federation.query('{ products { taxBeta } }')).toEqual({
      data: { products: [{ taxBeta: -1 }, { taxBeta: -1 }] },
    });
  });

  // @apollo/gateway 2.14.4 does not implement progressive override: it plans every label as off
  // (its QueryPlanner is never given overrideConditions), so even percent(100) - which means "every
  // request" - keeps the field in the original subgraph. Progressive override is an Apollo Router
  // feature; composition accepts the label, the Node gateway ignores it.
  it.failing('moves a field overridden at percent(100) to the overriding subgraph', async () => {
    expect(await federation.query('{ products { taxAll } }')).toEqual({
      data: { products: [{ taxAll: 19 }, { taxAll: 19 }] },
    });
  });
});

describe('@inaccessible', () => {
  // legacyCode is a key the warehouse subgraph joins by, kept out of the public API; the audit
  // root field and the ARCHIVED enum value are internal too.
  const products = [
    { id: 'p1', name: 'Kettle', legacyCode: 'K-001', status: 'ACTIVE' },
    { id: 'p2', name: 'Teapot', legacyCode: 'T-002', status: 'ACTIVE' },
  ];
  const bins: Record<string, string> = { 'K-001': 'A-12', 'T-002': 'B-03' };
  let federation: Federation;

  beforeAll(async () => {
    federation = await startFederation({
      subgraphs: {
        catalog: {
          typeDefs: `${federationLink('@key', '@inaccessible')}
            enum ProductStatus { ACTIVE ARCHIVED @inaccessible }
            type Product @key(fields: "id") @key(fields: "legacyCode") {
              id: ID!
              name: String!
              legacyCode: String! @inaccessible
              status: ProductStatus!
            }
            type Audit @inaccessible { entries: Int! }
            type Query {
              products(status: ProductStatus): [Product!]!
              audit: Audit @inaccessible
            }`,
          resolvers: {
            Query: {
              products: (_: unknown, args: { status?: string }) =>
                products.filter((p) => args.status === undefined || p.status === args.status),
              audit: () => ({ entries: 3 }),
            },
            Product: {
              __resolveReference: (ref: { id?: string; legacyCode?: string }) =>
                products.find((p) => (ref.id !== undefined ? p.id === ref.id : p.legacyCode === ref.legacyCode)) ?? null,
            },
          },
        },
        warehouse: {
          typeDefs: `${federationLink('@key', '@inaccessible')}
            type Product @key(fields: "legacyCode") { legacyCode: String! @inaccessible bin: String! }
            type Query { binCount: Int! }`,
          resolvers: {
            Query: { binCount: () => Object.keys(bins).length },
            Product: { bin: (p: { legacyCode: string }) => bins[p.legacyCode] },
          },
        },
      },
    });
  });
  afterAll(() => federation?.close());

  it('hides inaccessible fields, types and enum values from introspection', async () => {
    expect(
      await federation.query(`{
        product: __type(name: "Product") { fields { name } }
        status: __type(name: "ProductStatus") { enumValues { name } }
        audit: __type(name: "Audit") { name }
        query: __type(name: "Query") { fields { name } }
      }`),
    ).toEqual({
      data: {
        product: { fields: [{ name: 'id' }, { name: 'name' }, { name: 'status' }, { name: 'bin' }] },
        status: { enumValues: [{ name: 'ACTIVE' }] },
        audit: null,
        query: { fields: [{ name: 'products' }, { name: 'binCount' }] },
      },
    });
  });

  it('refuses a query for an inaccessible field', async () => {
    expect(await federation.request('{ products { name legacyCode } }')).toEqual({
      status: 400,
      body: {
        errors: [
          {
            message: 'Cannot query field "legacyCode" on type "Product".',
            locations: [{ line: 1, column: 19 }],
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          },
        ],
      },
    });
  });

  it('refuses an inaccessible root field and an inaccessible enum value', async () => {
    const audit = await federation.request('{ audit { entries } }');
    expect(audit.status).toBe(400);
    expect(audit.body.errors?.map((e) => e.message)).toEqual(['Cannot query field "audit" on type "Query".']);
    const archived = await federation.request('{ products(status: ARCHIVED) { name } }');
    expect(archived.status).toBe(400);
    expect(archived.body.errors?.map((e) => e.message)).toEqual([
      'Value "ARCHIVED" does not exist in "ProductStatus" enum. Did you mean the enum value "ACTIVE"?',
    ]);
  });

  it('still joins by an inaccessible key internally', async () => {
    federation.clearOperations();
    expect(await federation.query('{ products { name bin } }')).toEqual({
      data: {
        products: [
          { name: 'Kettle', bin: 'A-12' },
          { name: 'Teapot', bin: 'B-03' },
        ],
      },
    });
    expect(federation.operations.warehouse[0].variables).toEqual({
      representations: [
        { __typename: 'Product', legacyCode: 'K-001' },
        { __typename: 'Product', legacyCode: 'T-002' },
      ],
    });
  });
});
