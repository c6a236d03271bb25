/**
 * The gateway's caching features over real HTTP in front of one small subgraph with @cacheControl
 * hints: automatic persisted queries, the persisted-documents manifest in allow and safelist modes,
 * and, with a real Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379; skipped with a message when
 * none answers), a response cache and APQ shared by two gateway replicas. Also a Redis that is away:
 * the gateway still answers, from the subgraph.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createLogger } from '../../../lib/logger.js';
import { composeSubgraphs } from '../../federation/supergraph/compose.js';
import { loadGatewayConfig } from '../../config.js';
import { startGateway, type RunningGateway } from '../../server.js';
import { startTestSubgraph, type TestSubgraph } from '../../testing/testSubgraphs.js';
import { redisAnswers, TEST_REDIS_URL } from '../../../tests/support/redis.js';

const logger = createLogger('gateway', 'silent');
const REDIS_URL = TEST_REDIS_URL;

const LIBRARY_SDL = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
enum CacheControlScope { PUBLIC PRIVATE }
type Book @key(fields: "id") @cacheControl(maxAge: 60) {
  id: ID!
  title: String!
}
type Query {
  book(id: ID!): Book
  "Not hinted: never cached."
  clock: String!
  "The caller's own reading list."
  shelf: [Book!]! @cacheControl(maxAge: 60, scope: PRIVATE)
  "Always fails."
  broken: Book
}
type Mutation {
  renameBook(id: ID!, title: String!): Book!
}
`;

let library: TestSubgraph;
let supergraphSdl: string;
let dir: string;
const titles = new Map([
  ['b1', 'Dune'],
  ['b2', 'Emma'],
]);

beforeAll(async () => {
  library = await startTestSubgraph({
    name: 'library',
    sdl: LIBRARY_SDL,
    resolvers: {
      Query: {
        book: (_: unknown, { id }: { id: string }) => (titles.has(id) ? { id, title: titles.get(id) } : null),
        clock: () => new Date().toISOString(),
        shelf: () => [{ id: 'b1', title: titles.get('b1') }],
        broken: () => {
          throw new Error('the shelf collapsed');
        },
      },
      Mutation: {
        renameBook: (_: unknown, { id, title }: { id: string; title: string }) => {
          titles.set(id, title);
          return { id, title };
        },
      },
    },
  });
  supergraphSdl = composeSubgraphs([
    { name: 'library', routingUrl: library.graphqlUrl, sdl: LIBRARY_SDL, sourceName: 'library.graphql' },
  ]).supergraphSdl;
  dir = await mkdtemp(path.join(os.tmpdir(), 'gateway-caching-'));
});

afterAll(async () => {
  await library?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function startTestGateway(env: Record<string, string> = {}): Promise<RunningGateway> {
  return startGateway(
    loadGatewayConfig({ GATEWAY_PORT: '0', GATEWAY_HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env }),
    { logger, supergraphSdl },
  );
}

interface Answer {
  status: number;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  headers: Headers;
}

async function post(gateway: RunningGateway, body: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(gateway.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'], headers: response.headers };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

async function writeManifest(operations: { id: string; name: string; body: string }[]): Promise<string> {
  const file = path.join(dir, `manifest-${randomUUID()}.json`);
  await writeFile(
    file,
    JSON.stringify({
      format: 'apollo-persisted-query-manifest',
      version: 1,
      operations: operations.map((op) => ({ ...op, type: 'query' })),
    }),
  );
  return file;
}

describe('automatic persisted queries', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('answers an unknown hash with PERSISTED_QUERY_NOT_FOUND, then runs it by hash once registered', async () => {
    const query = `query Title { book(id: "b1") { title } } # ${randomUUID()}`;
    const hash = sha256(query);
    const unknown = await post(gateway, { extensions: persisted(hash) });
    expect(unknown.status).toBe(200);
    expect(unknown.body.errors?.[0].extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');

    const registered = await post(gateway, { query, extensions: persisted(hash) });
    expect(registered.body).toEqual({ data: { book: { title: 'Dune' } } });

    const byHash = await post(gateway, { extensions: persisted(hash) });
    expect(byHash.body).toEqual({ data: { book: { title: 'Dune' } } });
  });

  it('refuses a hash that does not match the query', async () => {
    const answer = await post(gateway, { query: '{ clock }', extensions: persisted(sha256('{ other }')) });
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0].message).toMatch(/sha does not match/);
  });

  it('refuses an unknown documentId without a manifest', async () => {
    const answer = await post(gateway, { documentId: 'nope' });
    expect(answer.status).toBe(400);
  });
});

describe('persisted documents', () => {
  const TITLE = 'query BookTitle($id: ID!) { book(id: $id) { title } }';
  let manifest: string;
  beforeAll(async () => {
    manifest = await writeManifest([{ id: 'book-title', name: 'BookTitle', body: TITLE }]);
  });

  describe('safelist mode', () => {
    let gateway: RunningGateway;
    beforeAll(async () => {
      gateway = await startTestGateway({ PERSISTED_DOCUMENTS: manifest, PERSISTED_DOCUMENTS_MODE: 'safelist' });
    });
    afterAll(async () => {
      await gateway?.close();
    });

    it('runs a registered operation by documentId, by its hash, and as its exact text', async () => {
      const expected = { data: { book: { title: titles.get('b2') } } };
      expect((await post(gateway, { documentId: 'book-title', variables: { id: 'b2' } })).body).toEqual(expected);
      expect((await post(gateway, { documentId: `sha256:${sha256(TITLE)}`, variables: { id: 'b2' } })).body).toEqual(expected);
      expect((await post(gateway, { extensions: persisted(sha256(TITLE)), variables: { id: 'b2' } })).body).toEqual(expected);
      const reformatted = 'query BookTitle($id: ID!) {\n  book(id: $id) {\n    title\n  }\n}\n';
      expect((await post(gateway, { query: reformatted, variables: { id: 'b2' } })).body).toEqual(expected);
    });

    it('refuses any other query with 403 PERSISTED_QUERY_NOT_ALLOWED, before it reaches a subgraph', async () => {
      const before = library.requests.length;
      const answer = await post(gateway, { query: '{ clock }' });
      expect(answer.status).toBe(403);
      expect(answer.body.errors?.[0].extensions?.code).toBe('PERSISTED_QUERY_NOT_ALLOWED');
      expect(answer.body.errors?.[0].message).toMatch(/not in the persisted documents manifest/);
      expect(library.requests.length).toBe(before);
    });

    it('registers nothing through APQ', async () => {
      const query = '{ clock }';
      const register = await post(gateway, { query, extensions: persisted(sha256(query)) });
      expect(register.status).toBe(403);
      const byHash = await post(gateway, { extensions: persisted(sha256(query)) });
      expect(byHash.body.errors?.[0].extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    });

    it('names an unknown documentId', async () => {
      const answer = await post(gateway, { documentId: 'missing-op' });
      expect(answer.status).toBe(404);
      expect(answer.body.errors?.[0]).toMatchObject({
        message: 'No persisted document has the id "missing-op"',
        extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' },
      });
    });
  });

  describe('allow mode', () => {
    it('runs manifest operations by id and any other query too', async () => {
      const gateway = await startTestGateway({ PERSISTED_DOCUMENTS: manifest });
      try {
        const byId = await post(gateway, { documentId: 'book-title', variables: { id: 'b1' } });
        expect(byId.body.data.book.title).toBe(titles.get('b1'));
        const other = await post(gateway, { query: '{ clock }' });
        expect(other.status).toBe(200);
        expect(typeof other.body.data.clock).toBe('string');
      } finally {
        await gateway.close();
      }
    });
  });

  it('refuses to start on a file that is not a manifest, naming the problem', async () => {
    const file = path.join(dir, 'not-a-manifest.json');
    await writeFile(file, JSON.stringify({ format: 'something-else', operations: [] }));
    await expect(startTestGateway({ PERSISTED_DOCUMENTS: file })).rejects.toThrow(/not an Apollo persisted query manifest.*format/);
  });
});

describe('response cache in memory', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('never caches what no hint covers', async () => {
    const first = await post(gateway, { query: '{ clock }' });
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect((await post(gateway, { query: '{ clock }' })).headers.get('x-cache')).toBe('MISS');
  });

  it('does not store PRIVATE data for an anonymous caller, and still says it is private', async () => {
    const first = await post(gateway, { query: '{ shelf { id } }' });
    expect(first.body.errors).toBeUndefined();
    expect(first.headers.get('cache-control')).toBe('max-age=60, private');
    expect(first.headers.get('x-cache')).toBe('MISS');
    const before = library.requests.length;
    expect((await post(gateway, { query: '{ shelf { id } }' })).headers.get('x-cache')).toBe('MISS');
    expect(library.requests.length).toBe(before + 1);
  });

  it('never stores an answer with errors', async () => {
    const query = '{ broken { id } book(id: "b1") { id } }';
    const first = await post(gateway, { query });
    expect(first.body.errors?.length).toBe(1);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect((await post(gateway, { query })).headers.get('x-cache')).toBe('MISS');
  });

  it('serves a hit with the Age since it was stored', async () => {
    const query = '{ book(id: "b2") { id title } }';
    expect((await post(gateway, { query })).headers.get('x-cache')).toBe('MISS');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const hit = await post(gateway, { query });
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.headers.get('cache-control')).toBe('max-age=60, public');
    expect(Number(hit.headers.get('age'))).toBeGreaterThanOrEqual(1);
  });

  it('is left out with RESPONSE_CACHE=false', async () => {
    const plain = await startTestGateway({ RESPONSE_CACHE: 'false' });
    try {
      const answer = await post(plain, { query: '{ book(id: "b1") { title } }' });
      expect(answer.headers.get('x-cache')).toBeNull();
      // The hint still reaches the client.
      expect(answer.headers.get('cache-control')).toBe('max-age=60, public');
    } finally {
      await plain.close();
    }
  });
});


async function waitForRedis(gateway: RunningGateway): Promise<void> {
  // The shared connection comes up in the background; /ready does not wait for it.
  const deadline = Date.now() + 3_000;
  const query = `{ book(id: "b1") { id } } # probe ${randomUUID()}`;
  while (Date.now() < deadline) {
    await post(gateway, { query });
    if ((await post(gateway, { query })).headers.get('x-cache') === 'HIT') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the gateway did not start using Redis');
}

describe('two replicas sharing Redis', () => {
  let available = false;
  let a: RunningGateway | undefined;
  let b: RunningGateway | undefined;

  beforeAll(async () => {
    available = await redisAnswers(REDIS_URL);
    if (!available) {
      console.warn(`Shared-Redis caching tests skipped: no Redis answers at ${REDIS_URL} (set TEST_REDIS_URL to run them)`);
      return;
    }
    // Keys of another run (or an older supergraph) do not matter: every key includes the supergraph's hash.
    [a, b] = await Promise.all([startTestGateway({ REDIS_URL }), startTestGateway({ REDIS_URL })]);
    await Promise.all([waitForRedis(a), waitForRedis(b)]);
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('serves from one replica what the other cached, and a mutation through one drops it for both', async () => {
    if (!available) return;
    const query = `{ book(id: "b1") { id title } } # ${randomUUID()}`;
    expect((await post(a!, { query })).headers.get('x-cache')).toBe('MISS');
    const hit = await post(b!, { query });
    expect(hit.headers.get('x-cache')).toBe('HIT');

    const title = `Dune ${randomUUID().slice(0, 8)}`;
    const renamed = await post(a!, { query: 'mutation ($t: String!) { renameBook(id: "b1", title: $t) { id title } }', variables: { t: title } });
    expect(renamed.body.errors).toBeUndefined();
    const after = await post(b!, { query });
    expect(after.headers.get('x-cache')).toBe('MISS');
    expect(after.body.data.book.title).toBe(title);
  });

  it('knows on one replica a query registered through the other (APQ)', async () => {
    if (!available) return;
    const query = `{ book(id: "b2") { title } } # ${randomUUID()}`;
    await post(a!, { query, extensions: persisted(sha256(query)) });
    const byHash = await post(b!, { extensions: persisted(sha256(query)) });
    expect(byHash.body.data.book.title).toBe(titles.get('b2'));
  });
});

describe('Redis away', () => {
  it('keeps answering from the subgraph, every time a miss', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const gateway = await startTestGateway({ REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMIT: 'false' });
    try {
      for (let i = 0; i < 2; i++) {
        const answer = await post(gateway, { query: '{ book(id: "b2") { title } }' });
        expect(answer.status).toBe(200);
        expect(answer.body.data.book.title).toBe(titles.get('b2'));
        expect(answer.headers.get('x-cache')).toBe('MISS');
      }
    } finally {
      await gateway.close();
    }
  });
});
