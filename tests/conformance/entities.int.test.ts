/**
 * Conformance: entities with several keys, compound keys, and null keys. Each scenario's subgraphs
 * are its own; every assertion is the exact response.
 */
import { federationLink, startFederation, type Federation } from './harness.js';

describe('an entity with several keys (@key(fields: "id") and @key(fields: "sku"))', () => {
  // catalog knows both keys; inventory knows products only by sku, reviews only by id, so a query
  // that starts in one of them has to go through catalog to switch keys.
  const products = [
    { id: 'p1', sku: 'SKU-1', name: 'Kettle' },
    { id: 'p2', sku: 'SKU-2', name: 'Teapot' },
  ];
  const stock: Record<string, number> = { 'SKU-1': 3, 'SKU-2': 0 };
  const ratings: Record<string, number> = { p1: 4.5, p2: 3 };
  let federation: Federation;

  beforeAll(async () => {
    federation = await startFederation({
      subgraphs: {
        catalog: {
          typeDefs: `${federationLink('@key')}
            type Product @key(fields: "id") @key(fields: "sku") { id: ID! sku: String! name: String! }
            type Query { products: [Product!]! }`,
          resolvers: {
            Query: { products: () => products },
            Product: {
              __resolveReference: (ref: { id?: string; sku?: string }) =>
                products.find((p) => (ref.id !== undefined ? p.id === ref.id : p.sku === ref.sku)) ?? null,
            },
          },
        },
        inventory: {
          typeDefs: `${federationLink('@key')}
            type Product @key(fields: "sku") { sku: String! stock: Int! }
            type Query { soldOut: [Product!]! }`,
          resolvers: {
            Query: { soldOut: () => Object.keys(stock).filter((sku) => stock[sku] === 0).map((sku) => ({ sku })) },
            Product: { stock: (p: { sku: string }) => stock[p.sku] },
          },
        },
        reviews: {
          typeDefs: `${federationLink('@key')}
            type Product @key(fields: "id") { id: ID! rating: Float! }
            type Query { topRated: [Product!]! }`,
          resolvers: {
            Query: { topRated: () => [{ id: 'p1' }] },
            Product: { rating: (p: { id: string }) => ratings[p.id] },
          },
        },
      },
    });
  });
  afterAll(() => federation?.close());

  it('joins fields of all three subgraphs, each by the key it knows', async () => {
    expect(await federation.query('{ products { id sku name stock rating } }')).toEqual({
      data: {
        products: [
          { id: 'p1', sku: 'SKU-1', name: 'Kettle', stock: 3, rating: 4.5 },
          { id: 'p2', sku: 'SKU-2', name: 'Teapot', stock: 0, rating: 3 },
        ],
      },
    });
  });

  it('starts from the sku-only subgraph and reaches the id-only one through catalog', async () => {
    federation.clearOperations();
    expect(await federation.query('{ soldOut { sku name rating } }')).toEqual({
      data: { soldOut: [{ sku: 'SKU-2', name: 'Teapot', rating: 3 }] },
    });
    // catalog was asked by sku (the only key inventory can give), reviews by id.
    expect(federation.operations.catalog[0].variables).toEqual({
      representations: [{ __typename: 'Product', sku: 'SKU-2' }],
    });
    expect(federation.operations.reviews[0].variables).toEqual({
      representations: [{ __typename: 'Product', id: 'p2' }],
    });
  });

  it('starts from the id-only subgraph and reaches the sku-only one through catalog', async () => {
    expect(await federation.query('{ topRated { id rating stock } }')).toEqual({
      data: { topRated: [{ id: 'p1', rating: 4.5, stock: 3 }] },
    });
  });

  it('answers aliased key fields', async () => {
    expect(await federation.query('{ topRated { productId: id code: sku stock } }')).toEqual({
      data: { topRated: [{ productId: 'p1', code: 'SKU-1', stock: 3 }] },
    });
  });

  // @apollo/gateway 2.14.4 bug (apollographql/federation#3036, open): a client alias named like the
  // key the planner needs for the entity fetch (`sku: name`, inventory joins by sku) is merged with
  // that key: catalog is asked for `sku` only, and the client's `sku` comes back as "SKU-1" instead
  // of the name "Kettle".
  it('answers a client alias that takes the name of the key field the planner needs', async () => {
    expect(await federation.query('{ products { sku: name stock } }')).toEqual({
      data: {
        products: [
          { sku: 'Kettle', stock: 3 },
          { sku: 'Teapot', stock: 0 },
        ],
      },
    });
  });

  it('answers a client alias named like a key the planner does not need here', async () => {
    expect(await federation.query('{ products { id: name stock } }')).toEqual({
      data: {
        products: [
          { id: 'Kettle', stock: 3 },
          { id: 'Teapot', stock: 0 },
        ],
      },
    });
  });
});

describe('a compound key with a nested selection (@key(fields: "org { id } number"))', () => {
  const orgs = [
    { id: 'o1', name: 'Acme' },
    { id: 'o2', name: 'Globex' },
  ];
  // Ticket numbers repeat across organisations: only the pair identifies a ticket.
  const tickets = [
    { org: { id: 'o1' }, number: 1, title: 'Printer on fire' },
    { org: { id: 'o2' }, number: 1, title: 'Password reset' },
    { org: { id: 'o1' }, number: 2, title: 'New laptop' },
  ];
  const priorities: Record<string, string> = { 'o1#1': 'URGENT', 'o2#1': 'LOW', 'o1#2': 'NORMAL' };
  let federation: Federation;

  beforeAll(async () => {
    federation = await startFederation({
      subgraphs: {
        helpdesk: {
          typeDefs: `${federationLink('@key')}
            type Org @key(fields: "id") { id: ID! name: String! }
            type Ticket @key(fields: "org { id } number") { org: Org! number: Int! title: String! }
            type Query { tickets: [Ticket!]! }`,
          resolvers: {
            Query: { tickets: () => tickets },
            Org: { name: (org: { id: string }) => orgs.find((o) => o.id === org.id)?.name },
            Ticket: {
              __resolveReference: (ref: { org: { id: string }; number: number }) =>
                tickets.find((t) => t.org.id === ref.org.id && t.number === ref.number) ?? null,
            },
          },
        },
        sla: {
          typeDefs: `${federationLink('@key')}
            type Org @key(fields: "id", resolvable: false) { id: ID! }
            type Ticket @key(fields: "org { id } number") { org: Org! number: Int! priority: String! }
            type Query { urgent: [Ticket!]! }`,
          resolvers: {
            Query: {
              urgent: () =>
                Object.entries(priorities)
                  .filter(([, p]) => p === 'URGENT')
                  .map(([key]) => ({ org: { id: key.split('#')[0] }, number: Number(key.split('#')[1]) })),
            },
            Ticket: {
              priority: (t: { org: { id: string }; number: number }) => priorities[`${t.org.id}#${t.number}`],
            },
          },
        },
      },
    });
  });
  afterAll(() => federation?.close());

  it('sends the whole compound key in each representation and joins by it', async () => {
    federation.clearOperations();
    expect(await federation.query('{ tickets { number title priority org { id name } } }')).toEqual({
      data: {
        tickets: [
          { number: 1, title: 'Printer on fire', priority: 'URGENT', org: { id: 'o1', name: 'Acme' } },
          { number: 1, title: 'Password reset', priority: 'LOW', org: { id: 'o2', name: 'Globex' } },
          { number: 2, title: 'New laptop', priority: 'NORMAL', org: { id: 'o1', name: 'Acme' } },
        ],
      },
    });
    expect(federation.operations.sla[0].variables).toEqual({
      representations: [
        { __typename: 'Ticket', org: { id: 'o1' }, number: 1 },
        { __typename: 'Ticket', org: { id: 'o2' }, number: 1 },
        { __typename: 'Ticket', org: { id: 'o1' }, number: 2 },
      ],
    });
  });

  it('resolves a compound-key entity that another subgraph started from', async () => {
    expect(await federation.query('{ urgent { number priority title org { name } } }')).toEqual({
      data: { urgent: [{ number: 1, priority: 'URGENT', title: 'Printer on fire', org: { name: 'Acme' } }] },
    });
  });
});

describe('null keys', () => {
  // posts references users; some posts have no author, one has a broken reference (its key resolves
  // to null), and users resolves some references to null (deleted accounts).
  const users = [
    { id: 'u1', name: 'Ada', email: 'ada@example.com' },
    { id: 'u2', name: 'Grace', email: null },
  ];
  const subscribers = new Set(['ada@example.com']);
  const posts = [
    { id: 'a', title: 'With author', authorId: 'u1' },
    { id: 'b', title: 'Anonymous', authorId: null },
    { id: 'c', title: 'Author deleted', authorId: 'u-gone' },
    { id: 'd', title: 'Broken reference', authorId: undefined, brokenReference: true },
    { id: 'e', title: 'Author without email', authorId: 'u2' },
  ];
  let federation: Federation;

  beforeAll(async () => {
    federation = await startFederation({
      subgraphs: {
        accounts: {
          typeDefs: `${federationLink('@key')}
            type User @key(fields: "id") @key(fields: "email") { id: ID! name: String! email: String }
            type Query { me: User }`,
          resolvers: {
            Query: { me: () => null },
            User: {
              __resolveReference: (ref: { id?: string; email?: string }) =>
                users.find((u) => (ref.id !== undefined ? u.id === ref.id : u.email === ref.email)) ?? null,
            },
          },
        },
        // Knows users only by their email, which some users do not have.
        newsletter: {
          typeDefs: `${federationLink('@key')}
            type User @key(fields: "email") { email: String subscribed: Boolean }
            type Query { subscriberCount: Int! }`,
          resolvers: {
            Query: { subscriberCount: () => subscribers.size },
            User: {
              __resolveReference: (ref: { email: string | null }) => ({ email: ref.email }),
              subscribed: (user: { email: string | null }) => (user.email === null ? null : subscribers.has(user.email)),
            },
          },
        },
        posts: {
          typeDefs: `${federationLink('@key')}
            type User @key(fields: "id", resolvable: false) { id: ID! }
            type Post { id: ID! title: String! author: User }
            type Query { posts(ids: [ID!]!): [Post!]! }`,
          resolvers: {
            Query: { posts: (_: unknown, args: { ids: string[] }) => posts.filter((p) => args.ids.includes(p.id)) },
            Post: {
              author: (post: (typeof posts)[number]) => {
                if (post.brokenReference) return { id: null };
                return post.authorId === null ? null : { id: post.authorId };
              },
            },
          },
        },
      },
    });
  });
  afterAll(() => federation?.close());

  it('a nullable reference that is null stays null, and nothing is fetched for it', async () => {
    federation.clearOperations();
    expect(await federation.query('{ posts(ids: ["a", "b"]) { title author { id name } } }')).toEqual({
      data: {
        posts: [
          { title: 'With author', author: { id: 'u1', name: 'Ada' } },
          { title: 'Anonymous', author: null },
        ],
      },
    });
    expect(federation.operations.accounts.map((op) => op.variables)).toEqual([
      { representations: [{ __typename: 'User', id: 'u1' }] },
    ]);
  });

  it('a reference the owning subgraph resolves to null makes the entity null, without an error', async () => {
    // The gateway notes the non-null field it could not complete (User.name) in extensions, not in errors.
    expect(await federation.query('{ posts(ids: ["c"]) { title author { id name } } }')).toEqual({
      data: { posts: [{ title: 'Author deleted', author: null }] },
      extensions: {
        valueCompletion: [
          {
            message: 'Cannot return null for non-nullable field User.name.',
            path: ['posts', 0, 'author', 'name'],
            extensions: { code: 'INVALID_GRAPHQL' },
          },
        ],
      },
    });
  });

  it('a nullable reference with only its key asked for needs no fetch and keeps its id', async () => {
    federation.clearOperations();
    expect(await federation.query('{ posts(ids: ["b", "c"]) { author { id } } }')).toEqual({
      data: { posts: [{ author: null }, { author: { id: 'u-gone' } }] },
    });
    expect(federation.operations.accounts).toEqual([]);
  });

  it('an entity whose key field resolves to null becomes a null parent with an error, the rest still answers', async () => {
    federation.clearOperations();
    expect(await federation.query('{ posts(ids: ["a", "d"]) { title author { name } } }')).toEqual({
      data: {
        posts: [
          { title: 'With author', author: { name: 'Ada' } },
          { title: 'Broken reference', author: null },
        ],
      },
      errors: [
        {
          message: 'Cannot return null for non-nullable field User.id.',
          path: ['posts', 1, 'author', 'id'],
          extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'posts' },
        },
      ],
    });
    // Only the valid reference went to accounts.
    expect(federation.operations.accounts.map((op) => op.variables)).toEqual([
      { representations: [{ __typename: 'User', id: 'u1' }] },
    ]);
  });

  it('an entity whose nullable key field is null is still joined through that key', async () => {
    federation.clearOperations();
    expect(await federation.query('{ posts(ids: ["a", "e"]) { author { name email subscribed } } }')).toEqual({
      data: {
        posts: [
          { author: { name: 'Ada', email: 'ada@example.com', subscribed: true } },
          { author: { name: 'Grace', email: null, subscribed: null } },
        ],
      },
    });
    expect(federation.operations.newsletter.map((op) => op.variables)).toEqual([
      {
        representations: [
          { __typename: 'User', email: 'ada@example.com' },
          { __typename: 'User', email: null },
        ],
      },
    ]);
  });
});
