/**
 * Conformance: interfaces and unions across subgraphs (inline and named fragments, __typename), an
 * entity interface extended through @interfaceObject, and __typename at every level.
 */
import { federationLink, startFederation, type Federation } from './harness.js';

describe('interfaces and unions across subgraphs', () => {
  // search returns references to entities owned elsewhere: Product (catalog) and Article (blog),
  // as a union and through the Node interface; their fields come from their owners.
  const products = [
    { id: 'p1', name: 'Tea Kettle', priceCents: 2999 },
    { id: 'p2', name: 'Teapot', priceCents: 1500 },
  ];
  const articles = [{ id: 'a1', title: 'How to brew tea', words: 800 }];
  let federation: Federation;

  beforeAll(async () => {
    federation = await startFederation({
      subgraphs: {
        catalog: {
          typeDefs: `${federationLink('@key')}
            interface Node { id: ID! }
            type Product implements Node @key(fields: "id") { id: ID! name: String! priceCents: Int! }
            type Query { products: [Product!]! }`,
          resolvers: {
            Query: { products: () => products },
            Product: { __resolveReference: (ref: { id: string }) => products.find((p) => p.id === ref.id) ?? null },
          },
        },
        blog: {
          typeDefs: `${federationLink('@key')}
            interface Node { id: ID! }
            type Article implements Node @key(fields: "id") { id: ID! title: String! words: Int! }
            type Query { articles: [Article!]! }`,
          resolvers: {
            Query: { articles: () => articles },
            Article: { __resolveReference: (ref: { id: string }) => articles.find((a) => a.id === ref.id) ?? null },
          },
        },
        search: {
          typeDefs: `${federationLink('@key')}
            interface Node { id: ID! }
            type Product implements Node @key(fields: "id") { id: ID! }
            type Article implements Node @key(fields: "id") { id: ID! }
            union SearchResult = Product | Article
            type Query { search(text: String!): [SearchResult!]! node(id: ID!): Node }`,
          resolvers: {
            Query: {
              search: (_: unknown, args: { text: string }) => [
                ...articles
                  .filter((a) => a.title.toLowerCase().includes(args.text))
                  .map((a) => ({ __typename: 'Article', id: a.id })),
                ...products
                  .filter((p) => p.name.toLowerCase().includes(args.text))
                  .map((p) => ({ __typename: 'Product', id: p.id })),
              ],
              node: (_: unknown, args: { id: string }) =>
                args.id.startsWith('p') ? { __typename: 'Product', id: args.id } : { __typename: 'Article', id: args.id },
            },
            SearchResult: { __resolveType: (value: { __typename: string }) => value.__typename },
            Node: { __resolveType: (value: { __typename: string }) => value.__typename },
          },
        },
      },
    });
  });
  afterAll(() => federation?.close());

  it('resolves union members with inline fragments, each from its owner', async () => {
    expect(
      await federation.query(`{
        search(text: "tea") { __typename ... on Product { id name priceCents } ... on Article { id title } }
      }`),
    ).toEqual({
      data: {
        search: [
          { __typename: 'Article', id: 'a1', title: 'How to brew tea' },
          { __typename: 'Product', id: 'p1', name: 'Tea Kettle', priceCents: 2999 },
          { __typename: 'Product', id: 'p2', name: 'Teapot', priceCents: 1500 },
        ],
      },
    });
  });

  it('answers only __typename of union members without any entity fetch', async () => {
    federation.clearOperations();
    expect(await federation.query('{ search(text: "teapot") { __typename } }')).toEqual({
      data: { search: [{ __typename: 'Product' }] },
    });
    expect(federation.operations.catalog).toEqual([]);
    expect(federation.operations.blog).toEqual([]);
  });

  it('selects through an interface with named and inline fragments', async () => {
    const query = `
      query ($a: ID!, $p: ID!) {
        article: node(id: $a) { ...NodeFields ... on Article { words } }
        product: node(id: $p) { ...NodeFields }
      }
      fragment NodeFields on Node { __typename id ... on Product { name } ... on Article { title } }`;
    expect(await federation.query(query, { a: 'a1', p: 'p2' })).toEqual({
      data: {
        article: { __typename: 'Article', id: 'a1', title: 'How to brew tea', words: 800 },
        product: { __typename: 'Product', id: 'p2', name: 'Teapot' },
      },
    });
  });

  it('only fetches from the owner of the member type that is actually returned', async () => {
    federation.clearOperations();
    expect(await federation.query('{ node(id: "p1") { ... on Product { name } ... on Article { title } } }')).toEqual({
      data: { node: { name: 'Tea Kettle' } },
    });
    expect(federation.operations.blog).toEqual([]);
    expect(federation.operations.catalog).toHaveLength(1);
  });
});

describe('@interfaceObject', () => {
  // media owns the Media entity interface and its implementations; reviews adds a field to every
  // Media without knowing the implementations, and can start a query from Media itself.
  const media = [
    { __typename: 'Book', id: 'm1', title: 'Dune', author: 'Frank Herbert' },
    { __typename: 'Movie', id: 'm2', title: 'Alien', director: 'Ridley Scott' },
  ];
  const ratings: Record<string, number> = { m1: 4.8, m2: 4.5 };
  let federation: Federation;

  beforeAll(async () => {
    federation = await startFederation({
      subgraphs: {
        media: {
          typeDefs: `${federationLink('@key')}
            interface Media @key(fields: "id") { id: ID! title: String! }
            type Book implements Media @key(fields: "id") { id: ID! title: String! author: String! }
            type Movie implements Media @key(fields: "id") { id: ID! title: String! director: String! }
            type Query { media: [Media!]! }`,
          resolvers: {
            Query: { media: () => media },
            Media: {
              __resolveReference: (ref: { id: string }) => media.find((m) => m.id === ref.id) ?? null,
              __resolveType: (value: { __typename: string }) => value.__typename,
            },
            Book: { __resolveReference: (ref: { id: string }) => media.find((m) => m.id === ref.id) ?? null },
            Movie: { __resolveReference: (ref: { id: string }) => media.find((m) => m.id === ref.id) ?? null },
          },
        },
        reviews: {
          typeDefs: `${federationLink('@key', '@interfaceObject')}
            type Media @key(fields: "id") @interfaceObject { id: ID! rating: Float! }
            type Query { topRated: [Media!]! }`,
          resolvers: {
            Query: { topRated: () => [{ id: 'm2' }, { id: 'm1' }] },
            Media: {
              __resolveReference: (ref: { id: string }) => (ref.id in ratings ? { id: ref.id } : null),
              rating: (m: { id: string }) => ratings[m.id],
            },
          },
        },
      },
    });
  });
  afterAll(() => federation?.close());

  it('adds the interface object\'s field to every implementation', async () => {
    expect(
      await federation.query('{ media { __typename title rating ... on Book { author } ... on Movie { director } } }'),
    ).toEqual({
      data: {
        media: [
          { __typename: 'Book', title: 'Dune', rating: 4.8, author: 'Frank Herbert' },
          { __typename: 'Movie', title: 'Alien', rating: 4.5, director: 'Ridley Scott' },
        ],
      },
    });
  });

  it('starts from the interface object and finds the concrete type in the owning subgraph', async () => {
    expect(
      await federation.query('{ topRated { __typename id rating title ... on Movie { director } ... on Book { author } } }'),
    ).toEqual({
      data: {
        topRated: [
          { __typename: 'Movie', id: 'm2', rating: 4.5, title: 'Alien', director: 'Ridley Scott' },
          { __typename: 'Book', id: 'm1', rating: 4.8, title: 'Dune', author: 'Frank Herbert' },
        ],
      },
    });
  });

  it('answers __typename of an interface object with the concrete type', async () => {
    expect(await federation.query('{ topRated { __typename } }')).toEqual({
      data: { topRated: [{ __typename: 'Movie' }, { __typename: 'Book' }] },
    });
  });
});

describe('__typename everywhere', () => {
  const users = [{ id: 'u1', name: 'Ada' }];
  let federation: Federation;

  beforeAll(async () => {
    federation = await startFederation({
      subgraphs: {
        accounts: {
          typeDefs: `${federationLink('@key')}
            type User @key(fields: "id") { id: ID! name: String! }
            type Query { me: User }
            type Mutation { rename(name: String!): User! }`,
          resolvers: {
            Query: { me: () => users[0] },
            Mutation: { rename: (_: unknown, args: { name: string }) => ({ ...users[0], name: args.name }) },
            User: { __resolveReference: (ref: { id: string }) => users.find((u) => u.id === ref.id) ?? null },
          },
        },
        posts: {
          typeDefs: `${federationLink('@key')}
            type User @key(fields: "id") { id: ID! posts: [Post!]! }
            type Post { title: String! author: User! }
            type Query { latest: Post! }`,
          resolvers: {
            Query: { latest: () => ({ title: 'Hello', authorId: 'u1' }) },
            User: { posts: (u: { id: string }) => (u.id === 'u1' ? [{ title: 'Hello', authorId: 'u1' }] : []) },
            Post: { author: (p: { authorId: string }) => ({ id: p.authorId }) },
          },
        },
      },
    });
  });
  afterAll(() => federation?.close());

  it('answers the root __typename of a query without calling any subgraph', async () => {
    federation.clearOperations();
    expect(await federation.query('{ __typename }')).toEqual({ data: { __typename: 'Query' } });
    expect(await federation.query('query Named { t: __typename }')).toEqual({ data: { t: 'Query' } });
    expect(federation.operations).toEqual({ accounts: [], posts: [] });
  });

  it('answers the root __typename of a mutation', async () => {
    expect(await federation.query('mutation { __typename }')).toEqual({ data: { __typename: 'Mutation' } });
  });

  it('answers __typename next to fields at every level, across subgraphs', async () => {
    expect(
      await federation.query(`{
        __typename
        me { __typename name posts { __typename title author { __typename id name } } }
        latest { __typename author { __typename name } }
      }`),
    ).toEqual({
      data: {
        __typename: 'Query',
        me: {
          __typename: 'User',
          name: 'Ada',
          posts: [{ __typename: 'Post', title: 'Hello', author: { __typename: 'User', id: 'u1', name: 'Ada' } }],
        },
        latest: { __typename: 'Post', author: { __typename: 'User', name: 'Ada' } },
      },
    });
  });

  it('answers an aliased __typename of an entity from another subgraph without fetching it', async () => {
    federation.clearOperations();
    expect(await federation.query('{ latest { author { kind: __typename } } }')).toEqual({
      data: { latest: { author: { kind: 'User' } } },
    });
    expect(federation.operations.accounts).toEqual([]);
  });
});
