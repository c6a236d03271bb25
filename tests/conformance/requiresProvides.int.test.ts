/**
 * Conformance: @requires (a plain field, a field with arguments, a nested selection, a selection with
 * inline fragments on a union, and a requiring field with arguments of its own) and @provides.
 */
import { federationLink, startFederation, type Federation } from './harness.js';

interface CatalogProduct {
  id: string;
  name: string;
  weightGrams: number;
  dimensions: { width: number; height: number; depth: number };
  packaging: { __typename: 'Box'; volumeCm3: number } | { __typename: 'Envelope'; format: string };
}

describe('@requires', () => {
  const products: CatalogProduct[] = [
    {
      id: 'p1',
      name: 'Kettle',
      weightGrams: 1500,
      dimensions: { width: 20, height: 25, depth: 18 },
      packaging: { __typename: 'Box', volumeCm3: 9000 },
    },
    {
      id: 'p2',
      name: 'Poster',
      weightGrams: 250,
      dimensions: { width: 70, height: 5, depth: 5 },
      packaging: { __typename: 'Envelope', format: 'A2' },
    },
  ];
  // Value types both subgraphs define identically.
  const sharedTypes = `
    enum WeightUnit { GRAM KILOGRAM }
    type Dimensions @shareable { width: Int! height: Int! depth: Int! }
    type Box @shareable { volumeCm3: Int! }
    type Envelope @shareable { format: String! }
    union Packaging = Box | Envelope`;
  let federation: Federation;

  beforeAll(async () => {
    federation = await startFederation({
      subgraphs: {
        catalog: {
          typeDefs: `${federationLink('@key', '@shareable')}
            ${sharedTypes}
            type Product @key(fields: "id") {
              id: ID!
              name: String!
              weight(unit: WeightUnit! = GRAM): Float!
              dimensions: Dimensions!
              packaging: Packaging!
            }
            type Query { products: [Product!]! }`,
          resolvers: {
            Query: { products: () => products },
            Product: {
              __resolveReference: (ref: { id: string }) => products.find((p) => p.id === ref.id) ?? null,
              weight: (p: CatalogProduct, args: { unit: 'GRAM' | 'KILOGRAM' }) =>
                args.unit === 'KILOGRAM' ? p.weightGrams / 1000 : p.weightGrams,
            },
          },
        },
        shipping: {
          typeDefs: `${federationLink('@key', '@shareable', '@external', '@requires')}
            ${sharedTypes}
            type Product @key(fields: "id") {
              id: ID!
              weight(unit: WeightUnit! = GRAM): Float! @external
              dimensions: Dimensions! @external
              packaging: Packaging! @external
              "2 per started kilogram; express doubles it."
              shippingCost(express: Boolean! = false): Int! @requires(fields: "weight(unit: KILOGRAM)")
              "Lockers take parcels up to 40 x 40 x 60."
              fitsInLocker: Boolean! @requires(fields: "dimensions { width height depth }")
              "Boxes cost by volume, envelopes by format. The representation carries exactly the selection: __typename only when asked for."
              packagingFee: Int! @requires(fields: "packaging { __typename ... on Box { volumeCm3 } ... on Envelope { format } }")
            }
            type Query { shippingZones: [String!]! }`,
          resolvers: {
            Query: { shippingZones: () => ['EU'] },
            Product: {
              shippingCost: (p: { weight: number }, args: { express: boolean }) =>
                Math.ceil(p.weight) * 2 * (args.express ? 2 : 1),
              fitsInLocker: (p: { dimensions: { width: number; height: number; depth: number } }) => {
                const [a, b, c] = [p.dimensions.width, p.dimensions.height, p.dimensions.depth].sort((x, y) => x - y);
                return a <= 40 && b <= 40 && c <= 60;
              },
              packagingFee: (p: { packaging: { __typename: string; volumeCm3?: number; format?: string } }) =>
                p.packaging.__typename === 'Box' ? Math.ceil((p.packaging.volumeCm3 ?? 0) / 5000) : p.packaging.format === 'A2' ? 3 : 1,
            },
          },
        },
      },
    });
  });
  afterAll(() => federation?.close());

  it('fetches the required field with its arguments first and sends it in the representation', async () => {
    federation.clearOperations();
    expect(await federation.query('{ products { name shippingCost } }')).toEqual({
      data: {
        products: [
          { name: 'Kettle', shippingCost: 4 },
          { name: 'Poster', shippingCost: 2 },
        ],
      },
    });
    expect(federation.operations.shipping[0].variables).toEqual({
      representations: [
        { __typename: 'Product', id: 'p1', weight: 1.5 },
        { __typename: 'Product', id: 'p2', weight: 0.25 },
      ],
    });
  });

  it('passes the arguments of the requiring field through', async () => {
    expect(await federation.query('{ products { express: shippingCost(express: true) standard: shippingCost } }')).toEqual({
      data: {
        products: [
          { express: 8, standard: 4 },
          { express: 4, standard: 2 },
        ],
      },
    });
  });

  it('keeps the client\'s aliased selection of the required field with other arguments apart', async () => {
    expect(await federation.query('{ products { grams: weight shippingCost kilos: weight(unit: KILOGRAM) } }')).toEqual({
      data: {
        products: [
          { grams: 1500, shippingCost: 4, kilos: 1.5 },
          { grams: 250, shippingCost: 2, kilos: 0.25 },
        ],
      },
    });
  });

  // @apollo/gateway 2.14.4 bug: when the client selects the required field without an alias and with
  // other arguments than the @requires (here `weight`, i.e. unit GRAM), the planner fetches only one
  // `weight` from catalog, the first one in the query: asked before shippingCost, the representation
  // carries grams and shippingCost is computed from 1500 "kilograms" (3000 instead of 4).
  it('computes the requiring field from the required arguments when the client selects the field with others first', async () => {
    expect(await federation.query('{ products { weight shippingCost } }')).toEqual({
      data: {
        products: [
          { weight: 1500, shippingCost: 4 },
          { weight: 250, shippingCost: 2 },
        ],
      },
    });
  });

  // The same @apollo/gateway bug the other way round: asked after shippingCost, the client's own
  // `weight` (grams) is answered with the requirement's kilograms (1.5 instead of 1500).
  it('answers the client\'s selection of the required field with its own arguments when asked after the requiring field', async () => {
    expect(await federation.query('{ products { shippingCost weight } }')).toEqual({
      data: {
        products: [
          { shippingCost: 4, weight: 1500 },
          { shippingCost: 2, weight: 250 },
        ],
      },
    });
  });

  // The same family of @apollo/gateway bugs as apollographql/federation#3036: a client alias named
  // like the required field (`weight: name`) ends up in the representation in its place, so shipping
  // receives weight "Kettle" and fails (data: null instead of the costs).
  it('keeps a client alias named like the required field apart from the requirement', async () => {
    expect(await federation.query('{ products { weight: name shippingCost } }')).toEqual({
      data: {
        products: [
          { weight: 'Kettle', shippingCost: 4 },
          { weight: 'Poster', shippingCost: 2 },
        ],
      },
    });
  });

  it('requires a nested selection', async () => {
    federation.clearOperations();
    expect(await federation.query('{ products { name fitsInLocker } }')).toEqual({
      data: {
        products: [
          { name: 'Kettle', fitsInLocker: true },
          { name: 'Poster', fitsInLocker: false },
        ],
      },
    });
    expect(federation.operations.shipping[0].variables).toEqual({
      representations: [
        { __typename: 'Product', id: 'p1', dimensions: { width: 20, height: 25, depth: 18 } },
        { __typename: 'Product', id: 'p2', dimensions: { width: 70, height: 5, depth: 5 } },
      ],
    });
  });

  it('requires a selection with inline fragments on a union', async () => {
    federation.clearOperations();
    expect(await federation.query('{ products { name packagingFee } }')).toEqual({
      data: {
        products: [
          { name: 'Kettle', packagingFee: 2 },
          { name: 'Poster', packagingFee: 3 },
        ],
      },
    });
    expect(federation.operations.shipping[0].variables).toEqual({
      representations: [
        { __typename: 'Product', id: 'p1', packaging: { __typename: 'Box', volumeCm3: 9000 } },
        { __typename: 'Product', id: 'p2', packaging: { __typename: 'Envelope', format: 'A2' } },
      ],
    });
  });

  it('combines several requirements of one entity in one fetch', async () => {
    federation.clearOperations();
    expect(await federation.query('{ products { shippingCost fitsInLocker packagingFee } }')).toEqual({
      data: {
        products: [
          { shippingCost: 4, fitsInLocker: true, packagingFee: 2 },
          { shippingCost: 2, fitsInLocker: false, packagingFee: 3 },
        ],
      },
    });
    expect(federation.operations.shipping).toHaveLength(1);
  });
});

describe('@provides', () => {
  // reviews stores each author's username when the review is written and provides it, so a list of
  // reviews with usernames needs no call to accounts.
  const users = [
    { id: 'u1', username: 'ada', email: 'ada@example.com' },
    { id: 'u2', username: 'grace', email: 'grace@example.com' },
  ];
  const reviews = [
    { id: 'r1', body: 'Great kettle', author: { id: 'u1', username: 'ada' } },
    { id: 'r2', body: 'Too loud', author: { id: 'u2', username: 'grace' } },
  ];
  let federation: Federation;

  beforeAll(async () => {
    federation = await startFederation({
      subgraphs: {
        accounts: {
          typeDefs: `${federationLink('@key', '@shareable')}
            type User @key(fields: "id") { id: ID! username: String! @shareable email: String! }
            type Query { users: [User!]! }`,
          resolvers: {
            Query: { users: () => users },
            User: { __resolveReference: (ref: { id: string }) => users.find((u) => u.id === ref.id) ?? null },
          },
        },
        reviews: {
          typeDefs: `${federationLink('@key', '@external', '@provides')}
            type User @key(fields: "id") { id: ID! username: String! @external }
            type Review { id: ID! body: String! author: User! @provides(fields: "username") }
            type Query { reviews: [Review!]! }`,
          resolvers: { Query: { reviews: () => reviews } },
        },
      },
    });
  });
  afterAll(() => federation?.close());

  it('takes a provided field from the providing subgraph without an entity fetch', async () => {
    federation.clearOperations();
    expect(await federation.query('{ reviews { body author { username } } }')).toEqual({
      data: {
        reviews: [
          { body: 'Great kettle', author: { username: 'ada' } },
          { body: 'Too loud', author: { username: 'grace' } },
        ],
      },
    });
    expect(federation.operations.accounts).toEqual([]);
  });

  it('fetches the fields that are not provided from the owner', async () => {
    federation.clearOperations();
    expect(await federation.query('{ reviews { author { username email } } }')).toEqual({
      data: {
        reviews: [
          { author: { username: 'ada', email: 'ada@example.com' } },
          { author: { username: 'grace', email: 'grace@example.com' } },
        ],
      },
    });
    expect(federation.operations.accounts).toHaveLength(1);
  });
});
