/**
 * The response key guard in front of a real ApolloGateway, over real HTTP, on the queries the
 * conformance suite shows @apollo/gateway answering wrongly (tests/conformance/README.md).
 */
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { GraphQLError } from 'graphql';
import { federationLink, startFederation, type Federation, type GraphQLResponse } from '../../../tests/conformance/harness.js';
import { withResponseKeyGuard } from './responseKeyGuard.js';

// catalog owns products (keys id and sku) and their weight in a unit; inventory joins by sku and
// computes a cost from the weight in kilograms (@requires with an argument).
const products = [
  { id: 'p1', sku: 'SKU-1', name: 'Kettle', grams: 1500 },
  { id: 'p2', sku: 'SKU-2', name: 'Teapot', grams: 250 },
  { id: 'p3', sku: 'SKU-3', name: 'Unweighed', grams: null },
];
const UNIT = 'enum Unit { GRAM KILOGRAM }';

let federation: Federation;
let server: ApolloServer;
let url: string;

beforeAll(async () => {
  federation = await startFederation({
    subgraphs: {
      catalog: {
        typeDefs: `${federationLink('@key')} ${UNIT}
          type Product @key(fields: "id") @key(fields: "sku") { id: ID! sku: String! name: String! weight(unit: Unit! = GRAM): Float! }
          type Query { products: [Product!]! product(id: ID!): Product }`,
        resolvers: {
          Query: {
            products: () => products.slice(0, 2),
            product: (_: unknown, args: { id: string }) => products.find((p) => p.id === args.id) ?? null,
          },
          Product: {
            __resolveReference: (ref: { id?: string; sku?: string }) =>
              products.find((p) => p.id === ref.id || p.sku === ref.sku) ?? null,
            weight: (p: (typeof products)[number], args: { unit: string }) => {
              if (p.grams === null) throw new GraphQLError('Not weighed yet', { extensions: { code: 'NOT_WEIGHED' } });
              return args.unit === 'KILOGRAM' ? p.grams / 1000 : p.grams;
            },
          },
        },
      },
      inventory: {
        typeDefs: `${federationLink('@key', '@external', '@requires')} ${UNIT}
          type Product @key(fields: "sku") {
            sku: String!
            weight(unit: Unit! = GRAM): Float! @external
            stock: Int!
            cost: Int! @requires(fields: "weight(unit: KILOGRAM)")
          }
          type Query { stockCount: Int! }`,
        resolvers: {
          Query: { stockCount: () => 2 },
          Product: {
            stock: (p: { sku: string }) => (p.sku === 'SKU-1' ? 3 : 0),
            cost: (p: { weight: number }) => Math.ceil(p.weight) * 2,
          },
        },
      },
    },
  });
  server = new ApolloServer({
    gateway: withResponseKeyGuard(new ApolloGateway({ supergraphSdl: federation.supergraphSdl })),
    includeStacktraceInErrorResponses: false,
  });
  ({ url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } }));
});

afterAll(async () => {
  await server?.stop();
  await federation?.close();
});

async function query(source: string): Promise<GraphQLResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: source }),
  });
  return (await response.json()) as GraphQLResponse;
}

describe('with the response key guard', () => {
  it('answers an alias named like the key of an entity fetch (apollographql/federation#3036)', async () => {
    expect(await query('{ products { sku: name stock } }')).toEqual({
      data: { products: [{ sku: 'Kettle', stock: 3 }, { sku: 'Teapot', stock: 0 }] },
    });
  });

  it('answers an alias named like a required field, and computes the requiring field from the real one', async () => {
    expect(await query('{ products { weight: name cost } }')).toEqual({
      data: { products: [{ weight: 'Kettle', cost: 4 }, { weight: 'Teapot', cost: 2 }] },
    });
  });

  it('keeps the client\'s own arguments of a required field apart from the requirement\'s, in either order', async () => {
    expect(await query('{ products { weight cost } }')).toEqual({
      data: { products: [{ weight: 1500, cost: 4 }, { weight: 250, cost: 2 }] },
    });
    expect(await query('{ products { cost weight } }')).toEqual({
      data: { products: [{ cost: 4, weight: 1500 }, { cost: 2, weight: 250 }] },
    });
  });

  it('works through named fragments and keeps response key order', async () => {
    const body = await query('{ products { ...F } } fragment F on Product { sku: name id: sku stock cost weight }');
    expect(body).toEqual({
      data: {
        products: [
          { sku: 'Kettle', id: 'SKU-1', stock: 3, cost: 4, weight: 1500 },
          { sku: 'Teapot', id: 'SKU-2', stock: 0, cost: 2, weight: 250 },
        ],
      },
    });
    expect(Object.keys((body.data?.products as object[])[0])).toEqual(['sku', 'id', 'stock', 'cost', 'weight']);
  });

  it('gives errors under a guarded field the client\'s path', async () => {
    expect(await query('{ product(id: "p3") { name weight } }')).toEqual({
      data: { product: null },
      errors: [
        {
          message: 'Not weighed yet',
          path: ['product', 'weight'],
          extensions: { code: 'NOT_WEIGHED', serviceName: 'catalog' },
        },
      ],
    });
  });

  it('leaves ordinary queries as they are', async () => {
    expect(await query('{ products { id name stock kilos: weight(unit: KILOGRAM) } }')).toEqual({
      data: {
        products: [
          { id: 'p1', name: 'Kettle', stock: 3, kilos: 1.5 },
          { id: 'p2', name: 'Teapot', stock: 0, kilos: 0.25 },
        ],
      },
    });
  });
});
