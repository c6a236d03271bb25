/**
 * The authorization plugin inside the real pipeline it is built for (Apollo Server 5 + @apollo/gateway
 * over real HTTP, two real subgraphs): the gateway plans the filtered operation, so a removed field
 * never reaches a subgraph, and the response has nulls and UNAUTHORIZED errors in their places. The
 * caller's identity is the edge here, taken from a test header; the platform suite
 * (tests/integration/authorization.int.test.ts) runs the same through real authentication.
 */
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { Identity } from '../../../lib/identity.js';
import { listen, type RunningServer } from '../../../lib/httpServer.js';
import { withEnforcedSecurityFeatures } from './authorization.js';
import { composeSubgraphs } from '../../federation/supergraph/compose.js';
import type { GatewayContext } from '../../context.js';
import { startTestSubgraph, type TestSubgraph } from '../../testing/testSubgraphs.js';
import { useAuthorization } from './useAuthorization.js';

const LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@authenticated", "@requiresScopes"])';

const products = new Map([
  ['p1', { id: 'p1', name: 'Lamp', cost: 700 }],
  ['p2', { id: 'p2', name: 'Desk', cost: 9000 }],
]);

const SHOP = {
  name: 'shop',
  sdl: `${LINK}
type Product @key(fields: "id") {
  id: ID!
  name: String!
  cost: Int @requiresScopes(scopes: [["staff"], ["finance", "audit"]])
}
interface Media { id: ID! title: String! }
type Book implements Media { id: ID! title: String! isbn: String @authenticated }
type Film implements Media { id: ID! title: String! }
type Account { id: ID! }
type Query {
  products: [Product!]!
  media: [Media!]!
  publicNote: String
  me: String @authenticated
  account: Account! @authenticated
}
type Mutation {
  rename(id: ID!, name: String!): Product! @requiresScopes(scopes: [["staff"]])
}
`,
  resolvers: {
    Query: {
      products: () => [...products.values()],
      media: () => [
        { __typename: 'Book', id: 'b1', title: 'Dune', isbn: '978-0441013593' },
        { __typename: 'Film', id: 'f1', title: 'Alien' },
      ],
      publicNote: () => 'open to all',
      me: () => 'someone',
      account: () => ({ id: 'acc1' }),
    },
    Mutation: {
      rename: (_: unknown, { id, name }: { id: string; name: string }) => {
        const product = { ...products.get(id)!, name };
        products.set(id, product);
        return product;
      },
    },
    Media: { __resolveType: (media: { __typename: string }) => media.__typename },
    Product: { __resolveReference: (ref: { id: string }) => products.get(ref.id) ?? null },
  },
};

const REVIEWS = {
  name: 'reviews',
  sdl: `${LINK}
type Product @key(fields: "id") {
  id: ID!
  reviews: [Review!] @authenticated
}
type Review { body: String! }
type Query { reviewCount: Int! }
`,
  resolvers: {
    Query: { reviewCount: () => 2 },
    Product: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      reviews: () => [{ body: 'Bright' }],
    },
  },
};

let shop: TestSubgraph;
let reviews: TestSubgraph;
let server: ApolloServer<GatewayContext>;
let http: RunningServer;

beforeAll(async () => {
  [shop, reviews] = await Promise.all([startTestSubgraph(SHOP), startTestSubgraph(REVIEWS)]);
  const { supergraphSdl } = composeSubgraphs([
    { name: 'shop', routingUrl: shop.graphqlUrl, sdl: SHOP.sdl, sourceName: 'shop.graphql' },
    { name: 'reviews', routingUrl: reviews.graphqlUrl, sdl: REVIEWS.sdl, sourceName: 'reviews.graphql' },
  ]);
  server = new ApolloServer<GatewayContext>({
    // As gateway/supergraphSource.ts hands it over: @apollo/gateway refuses security features it does not enforce.
    gateway: new ApolloGateway({ supergraphSdl: withEnforcedSecurityFeatures(supergraphSdl) }),
    plugins: [...(useAuthorization().plugins ?? [])],
  });
  await server.start();
  const app = express();
  app.use(
    '/graphql',
    express.json(),
    expressMiddleware(server, {
      context: async ({ req }) => ({ requestId: 'test', identity: identityFrom(req.headers['x-test-identity']) }),
    }),
  );
  http = await listen(app, 0, '127.0.0.1');
});

afterAll(async () => {
  await http?.close();
  await server?.stop();
  await Promise.all([shop?.close(), reviews?.close()]);
});

/** "alice staff audit" = subject alice with scopes staff and audit; "-" = no subject. */
function identityFrom(header: unknown): Identity {
  if (typeof header !== 'string') return { scopes: [] };
  const [subject, ...scopes] = header.split(' ');
  return { ...(subject !== '-' ? { subject } : {}), scopes };
}

async function graphql(query: string, identity?: string, variables?: Record<string, unknown>) {
  const response = await fetch(`${http.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(identity ? { 'x-test-identity': identity } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: any[] } };
}

const unauthorized = (path: (string | number)[], message: string) =>
  expect.objectContaining({ path, message, extensions: expect.objectContaining({ code: 'UNAUTHORIZED' }) });

function sent(subgraph: TestSubgraph, from: number): string[] {
  return subgraph.requests.slice(from).map((r) => r.query);
}

describe('authorization through the gateway', () => {
  it('answers the rest of the query and nulls the unauthorized field; the subgraph never sees it', async () => {
    const before = shop.requests.length;
    const { status, body } = await graphql('{ publicNote me }');
    expect(status).toBe(200);
    expect(body).toEqual({
      data: { publicNote: 'open to all', me: null },
      errors: [unauthorized(['me'], 'Field "Query.me" requires authentication')],
    });
    expect(sent(shop, before)).toHaveLength(1);
    expect(sent(shop, before)[0]).not.toMatch(/\bme\b/);

    const signedIn = await graphql('{ publicNote me }', 'alice');
    expect(signedIn.body).toEqual({ data: { publicNote: 'open to all', me: 'someone' } });
  });

  it('does not call a subgraph whose only fields were removed', async () => {
    const before = reviews.requests.length;
    const { body } = await graphql('{ products { id name reviews { body } } }');
    expect(body.data).toEqual({
      products: [
        { id: 'p1', name: 'Lamp', reviews: null },
        { id: 'p2', name: 'Desk', reviews: null },
      ],
    });
    expect(body.errors).toEqual([unauthorized(['products', '@', 'reviews'], 'Field "Product.reviews" requires authentication')]);
    expect(reviews.requests.length).toBe(before);

    const signedIn = await graphql('{ products { id reviews { body } } }', 'alice');
    expect(signedIn.body.data.products[0].reviews).toEqual([{ body: 'Bright' }]);
    expect(reviews.requests.length).toBe(before + 1);
  });

  it('nulls data when a non-null field is removed, without calling any subgraph', async () => {
    const before = shop.requests.length;
    const { status, body } = await graphql('{ publicNote account { id } }');
    expect(status).toBe(200);
    expect(body).toEqual({ data: null, errors: [unauthorized(['account'], 'Field "Query.account" requires authentication')] });
    expect(shop.requests.length).toBe(before);
  });

  it('removes a field under a type condition and nulls it on that type only, with no trace of the hidden __typename', async () => {
    const { body } = await graphql('{ media { title ... on Book { isbn } } }');
    expect(body).toEqual({
      data: { media: [{ title: 'Dune', isbn: null }, { title: 'Alien' }] },
      errors: [unauthorized(['media', '@', 'isbn'], 'Field "Book.isbn" requires authentication')],
    });
  });

  it('plans each kind of caller separately (OR of ANDs scopes): no plan is reused across them', async () => {
    const query = '{ products { id cost } }';
    const staff = await graphql(query, 'sam staff');
    expect(staff.body).toEqual({ data: { products: [{ id: 'p1', cost: 700 }, { id: 'p2', cost: 9000 }] } });
    const before = shop.requests.length;
    const partial = await graphql(query, 'fay finance');
    // Planned anew: the plan cached for the staff caller would still ask the subgraph for cost.
    expect(sent(shop, before)).toEqual([expect.not.stringContaining('cost')]);
    expect(partial.body.data.products).toEqual([{ id: 'p1', cost: null }, { id: 'p2', cost: null }]);
    expect(partial.body.errors).toEqual([
      unauthorized(['products', '@', 'cost'], 'Field "Product.cost" requires scope staff, or scopes finance and audit'),
    ]);
    const auditor = await graphql(query, 'fay finance audit');
    expect(auditor.body).toEqual(staff.body);
  });

  it('applies no mutation the caller may not make', async () => {
    const before = shop.requests.length;
    const refused = await graphql('mutation { rename(id: "p1", name: "Stolen") { name } }', 'mallory');
    expect(refused.status).toBe(200);
    expect(refused.body).toEqual({
      data: null,
      errors: [unauthorized(['rename'], 'Field "Mutation.rename" requires scope staff')],
    });
    expect(shop.requests.length).toBe(before);
    expect(products.get('p1')!.name).toBe('Lamp');

    const allowed = await graphql('mutation { rename(id: "p2", name: "Standing desk") { name } }', 'sam staff');
    expect(allowed.body).toEqual({ data: { rename: { name: 'Standing desk' } } });
  });

  it('leaves out fields @skip or @include leave out: no null, no error', async () => {
    const query = 'query ($withMe: Boolean!) { publicNote me @include(if: $withMe) }';
    const without = await graphql(query, undefined, { withMe: false });
    expect(without.body).toEqual({ data: { publicNote: 'open to all' } });
    const withMe = await graphql(query, undefined, { withMe: true });
    expect(withMe.body.errors).toEqual([unauthorized(['me'], 'Field "Query.me" requires authentication')]);
  });
});
