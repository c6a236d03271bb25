/**
 * The four benchmark subgraphs: accounts (users), products (the catalog), inventory (stock and a
 * shipping estimate that @requires price and weight) and reviews (joins users and products both
 * ways). Entities cross the subgraphs back and forth, so the heavy query's plan has several levels of
 * entity fetches. Also a monolithic schema over the same data, the reference every gateway's answer
 * is checked against.
 */
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { buildSchema, parse, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { shippingEstimate, type BenchData, type BenchProduct, type BenchReview, type BenchUser } from './data.js';

const LINK = (imports: string) =>
  `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: [${imports}])`;

export const BENCH_SUBGRAPH_NAMES = ['accounts', 'products', 'inventory', 'reviews'] as const;
export type BenchSubgraphName = (typeof BENCH_SUBGRAPH_NAMES)[number];

export const BENCH_SDL: Record<BenchSubgraphName, string> = {
  accounts: `${LINK('"@key", "@shareable"')}
    type Query { me: User users: [User!]! user(id: ID!): User }
    type User @key(fields: "id") { id: ID! name: String! username: String! @shareable birthday: Int! }`,
  products: `${LINK('"@key"')}
    type Query { topProducts(first: Int = 5): [Product!]! product(upc: String!): Product }
    type Product @key(fields: "upc") { upc: String! name: String! price: Int! weight: Int! }`,
  inventory: `${LINK('"@key", "@external", "@requires"')}
    type Product @key(fields: "upc") {
      upc: String!
      price: Int! @external
      weight: Int! @external
      inStock: Boolean!
      shippingEstimate: Int! @requires(fields: "price weight")
    }`,
  reviews: `${LINK('"@key", "@external", "@provides"')}
    type Review @key(fields: "id") { id: ID! body: String! author: User! @provides(fields: "username") product: Product! }
    type User @key(fields: "id") { id: ID! username: String! @external reviews: [Review!]! }
    type Product @key(fields: "upc") { upc: String! reviews: [Review!]! }`,
};

type Ref = Record<string, unknown>;

export function benchResolvers(data: BenchData): Record<BenchSubgraphName, GraphQLResolverMap<unknown>> {
  const user = (id: unknown) => data.usersById.get(String(id)) ?? null;
  const product = (upc: unknown) => data.productsByUpc.get(String(upc)) ?? null;
  return {
    accounts: {
      Query: { me: () => data.users[0], users: () => data.users, user: (_: unknown, { id }: Ref) => user(id) },
      User: { __resolveReference: (ref: Ref) => user(ref.id) },
    },
    products: {
      Query: {
        topProducts: (_: unknown, { first }: Ref) => data.products.slice(0, Number(first ?? 5)),
        product: (_: unknown, { upc }: Ref) => product(upc),
      },
      Product: { __resolveReference: (ref: Ref) => product(ref.upc) },
    },
    inventory: {
      Product: {
        // Price and weight arrive in the representation (@requires); stock is this subgraph's own.
        __resolveReference: (ref: Ref) => ({ ...ref, inStock: product(ref.upc)?.inStock ?? false }),
        shippingEstimate: (ref: Ref) => shippingEstimate({ price: Number(ref.price), weight: Number(ref.weight) }),
      },
    },
    reviews: {
      Review: {
        __resolveReference: (ref: Ref) => data.reviewsById.get(String(ref.id)) ?? null,
        author: (review: BenchReview) => ({ __typename: 'User', id: review.authorId, username: user(review.authorId)?.username }),
        product: (review: BenchReview) => ({ __typename: 'Product', upc: review.productUpc }),
      },
      User: {
        __resolveReference: (ref: Ref) => ({ id: ref.id, username: user(ref.id)?.username }),
        reviews: (ref: Ref) => data.reviewsByAuthor.get(String(ref.id)) ?? [],
      },
      Product: {
        __resolveReference: (ref: Ref) => ({ upc: ref.upc }),
        reviews: (ref: Ref) => data.reviewsByProduct.get(String(ref.upc)) ?? [],
      },
    },
  };
}

export function benchSubgraphSchema(name: BenchSubgraphName, data: BenchData): GraphQLSchema {
  return buildSubgraphSchema({ typeDefs: parse(BENCH_SDL[name]), resolvers: benchResolvers(data)[name] });
}

/**
 * The same graph as one plain schema with direct resolvers: what a correct gateway must answer,
 * computed without federation.
 */
export function referenceSchema(data: BenchData): GraphQLSchema {
  const schema = buildSchema(`
    type Query { me: User users: [User!]! user(id: ID!): User topProducts(first: Int = 5): [Product!]! product(upc: String!): Product }
    type User { id: ID! name: String! username: String! birthday: Int! reviews: [Review!]! }
    type Product { upc: String! name: String! price: Int! weight: Int! inStock: Boolean! shippingEstimate: Int! reviews: [Review!]! }
    type Review { id: ID! body: String! author: User! product: Product! }
  `);
  const resolve = (type: string, field: string, fn: GraphQLFieldResolver<unknown, unknown>) => {
    const object = schema.getType(type) as unknown as { getFields(): Record<string, { resolve?: unknown }> };
    object.getFields()[field].resolve = fn;
  };
  resolve('Query', 'me', () => data.users[0]);
  resolve('Query', 'users', () => data.users);
  resolve('Query', 'user', (_s, args) => data.usersById.get(String(args.id)) ?? null);
  resolve('Query', 'topProducts', (_s, args) => data.products.slice(0, Number(args.first ?? 5)));
  resolve('Query', 'product', (_s, args) => data.productsByUpc.get(String(args.upc)) ?? null);
  resolve('User', 'reviews', (u) => data.reviewsByAuthor.get((u as BenchUser).id) ?? []);
  resolve('Product', 'reviews', (p) => data.reviewsByProduct.get((p as BenchProduct).upc) ?? []);
  resolve('Product', 'shippingEstimate', (p) => shippingEstimate(p as BenchProduct));
  resolve('Review', 'author', (r) => data.usersById.get((r as BenchReview).authorId));
  resolve('Review', 'product', (r) => data.productsByUpc.get((r as BenchReview).productUpc));
  return schema;
}
