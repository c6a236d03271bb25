/**
 * Conformance: the same entity reached at several places of one response. The gateway sends each
 * distinct representation once per fetch, and the answer for it fills every place it appears, with
 * errors reported at each of those paths, exactly as if every place had been fetched on its own.
 */
import { federationLink, startFederation, type Federation } from './harness.js';

describe('an entity that appears several times', () => {
  const users = [
    { id: 'u1', name: 'Ada' },
    { id: 'u2', name: 'Grace' },
    { id: 'u3', name: 'Broken' },
  ];
  const posts = [
    { id: 'p1', title: 'First', authorId: 'u1' },
    { id: 'p2', title: 'Second', authorId: 'u2' },
    { id: 'p3', title: 'Third', authorId: 'u1' },
    { id: 'p4', title: 'Fourth', authorId: 'u3' },
    { id: 'p5', title: 'Fifth', authorId: 'u3' },
  ];
  let federation: Federation;

  beforeAll(async () => {
    federation = await startFederation({
      subgraphs: {
        accounts: {
          typeDefs: `${federationLink('@key')}
            type User @key(fields: "id") { id: ID! name: String! }
            type Query { me: User }`,
          resolvers: {
            Query: { me: () => null },
            User: {
              __resolveReference: (ref: { id: string }) => users.find((u) => u.id === ref.id) ?? null,
              name: (user: { id: string; name: string }) => {
                if (user.id === 'u3') throw new Error('name unavailable');
                return user.name;
              },
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
            Post: { author: (post: (typeof posts)[number]) => ({ id: post.authorId }) },
          },
        },
      },
    });
  });
  afterAll(() => federation?.close());

  it('is fetched once and answers every place it appears', async () => {
    federation.clearOperations();
    expect(await federation.query('{ posts(ids: ["p1", "p2", "p3"]) { title author { id name } } }')).toEqual({
      data: {
        posts: [
          { title: 'First', author: { id: 'u1', name: 'Ada' } },
          { title: 'Second', author: { id: 'u2', name: 'Grace' } },
          { title: 'Third', author: { id: 'u1', name: 'Ada' } },
        ],
      },
    });
    expect(federation.operations.accounts.map((op) => op.variables)).toEqual([
      {
        representations: [
          { __typename: 'User', id: 'u1' },
          { __typename: 'User', id: 'u2' },
        ],
      },
    ]);
  });

  it('reports an error of a repeated entity at each of its paths', async () => {
    federation.clearOperations();
    expect(await federation.query('{ posts(ids: ["p1", "p4", "p5"]) { title author { name } } }')).toEqual({
      data: {
        posts: [
          { title: 'First', author: { name: 'Ada' } },
          { title: 'Fourth', author: null },
          { title: 'Fifth', author: null },
        ],
      },
      errors: [
        {
          message: 'name unavailable',
          path: ['posts', 1, 'author', 'name'],
          extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'accounts' },
        },
        {
          message: 'name unavailable',
          path: ['posts', 2, 'author', 'name'],
          extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'accounts' },
        },
      ],
    });
    expect(federation.operations.accounts.map((op) => op.variables)).toEqual([
      {
        representations: [
          { __typename: 'User', id: 'u1' },
          { __typename: 'User', id: 'u3' },
        ],
      },
    ]);
  });

  it('keeps the response apart from the data it was merged from when one entity is selected twice', async () => {
    expect(
      await federation.query('{ a: posts(ids: ["p1"]) { author { name } } b: posts(ids: ["p3"]) { author { id who: name } } }'),
    ).toEqual({
      data: { a: [{ author: { name: 'Ada' } }], b: [{ author: { id: 'u1', who: 'Ada' } }] },
    });
  });
});
