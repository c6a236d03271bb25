/**
 * Reads of concurrent requests sharing proxy calls (coalescedReads.ts), through a real connection
 * proxy: the proxy's own counters say how many requests of which kind it served, and every read
 * must still get its own answer. The passing failures a batch can meet are answered by a plain HTTP
 * server standing in for the proxy (a pool that stays full cannot be arranged on demand).
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '../../lib/errors.js';
import { usingRealPostgres } from '../../tests/support/testDatabase.js';
import { startTestDbProxy, type TestDbProxy } from '../../tests/support/testDbProxy.js';
import { failure } from '../../tests/support/failure.js';
import { createDbClient, type DbClient } from './dbClient.js';

let proxy: TestDbProxy;
const clients: DbClient[] = [];

beforeAll(async () => {
  proxy = await startTestDbProxy(['kit']);
  const setup = client();
  await setup.query('CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)');
  await setup.query("INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 100) AS i");
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await proxy?.close();
});

function client(options: Partial<Parameters<typeof createDbClient>[0]> = {}): DbClient {
  const created = createDbClient({ proxyUrl: proxy.url, credential: proxy.credentials.kit, ...options });
  clients.push(created);
  return created;
}

const BY_ID = 'SELECT id, name FROM items WHERE id = $1';
const served = () => proxy.stats().byService.kit;

describe('reads started together', () => {
  beforeEach(() => proxy.resetStats());

  it('go to the proxy as unordered batches of at most maxBatch, each read getting its own row', async () => {
    const db = client({ readBatching: { maxBatch: 16 } });
    const ids = Array.from({ length: 40 }, (_, i) => i + 1);
    const answers = await Promise.all(ids.map((id) => db.read<{ id: number; name: string }>(BY_ID, [id])));
    expect(answers.map((a) => a.rows)).toEqual(ids.map((id) => [{ id, name: `item ${id}` }]));
    expect(answers.every((a) => a.rowCount === 1 && a.fields.map((f) => f.name).join() === 'id,name')).toBe(true);
    // 40 reads: batches of 16, 16 and 8.
    expect(served()).toMatchObject({ requests: 3, batch: 3, query: 0, statements: 40 });
  });

  it('go alone when alone, as before', async () => {
    const db = client();
    await db.read(BY_ID, [7]);
    await db.read(BY_ID, [8]);
    expect(served()).toMatchObject({ requests: 2, query: 2, batch: 0 });
  });

  it('share a batch only with the same statement text, so no batch waits for a read of another kind', async () => {
    const db = client();
    await Promise.all([db.read(BY_ID, [1]), db.read(BY_ID, [2]), db.read('SELECT count(*)::int AS n FROM items'), db.read(BY_ID, [3])]);
    expect(served()).toMatchObject({ requests: 2, batch: 1, query: 1, statements: 4 });
  });

  it('fail one by one: a read that fails does not fail the others in its batch, with the error it gets alone', async () => {
    const db = client();
    const alone = await failure<AppError>(db.read(BY_ID, ['not a number']));
    proxy.resetStats();
    const reads = [db.read(BY_ID, [1]), db.read(BY_ID, ['not a number']), db.read(BY_ID, [3])];
    const [first, broken, third] = await Promise.allSettled(reads);
    expect(first).toMatchObject({ status: 'fulfilled', value: { rows: [{ id: 1, name: 'item 1' }] } });
    expect(third).toMatchObject({ status: 'fulfilled', value: { rows: [{ id: 3, name: 'item 3' }] } });
    expect(broken.status).toBe('rejected');
    const err = (broken as PromiseRejectedResult).reason as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect({ code: err.code, message: err.message }).toEqual({ code: alone.code, message: alone.message });
    expect(err.details).toMatchObject({ sqlstate: '22P02', statementIndex: 1 });
    expect(served()).toMatchObject({ requests: 1, batch: 1 });
  });

  it('each go alone with readBatching off (DB_READ_BATCH_MAX=1)', async () => {
    const db = client({ readBatching: false });
    await Promise.all([1, 2, 3].map((id) => db.read(BY_ID, [id])));
    expect(served()).toMatchObject({ requests: 3, query: 3, batch: 0 });
  });

  it('are not writes: queries started together still go one by one', async () => {
    const db = client();
    await Promise.all([1, 2, 3].map((id) => db.query(BY_ID, [id])));
    expect(served()).toMatchObject({ requests: 3, query: 3, batch: 0 });
  });
});

describe('an unordered batch at the proxy', () => {
  const post = async (body: unknown, headers: Record<string, string> = {}, target: TestDbProxy = proxy) => {
    const response = await fetch(`${target.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${target.credentials.kit}`, ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { results: { ok: boolean; rows?: unknown[]; error?: { code: string } }[] } };
  };

  it('keeps each result at its statement index, and each statement within the row limit on its own', async () => {
    const limited = await startTestDbProxy(['kit'], { DB_MAX_ROWS: '60' });
    try {
      const setup = createDbClient({ proxyUrl: limited.url, credential: limited.credentials.kit, readBatching: false });
      await setup.query('CREATE TABLE items AS SELECT i AS id FROM generate_series(1, 100) AS i');
      await setup.close();
      const batch = (ordered: boolean) =>
        fetch(`${limited.url}/v1/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${limited.credentials.kit}` },
          body: JSON.stringify({
            ordered,
            statements: [
              { sql: 'SELECT id FROM items WHERE id <= 40' },
              { sql: 'SELECT id FROM items WHERE id > 60' },
              { sql: 'SELECT id FROM items WHERE id = 50' },
            ],
          }),
        }).then((r) => r.json() as Promise<{ results: { ok: boolean; rowCount?: number; error?: { code: string } }[] }>);
      // Ordered, the three share one response's 60 rows; unordered, each is as if sent alone.
      expect((await batch(true)).results.map((r) => (r.ok ? r.rowCount : r.error?.code))).toEqual([40, 'RESULT_TOO_LARGE', 1]);
      expect((await batch(false)).results.map((r) => (r.ok ? r.rowCount : r.error?.code))).toEqual([40, 40, 1]);
    } finally {
      await limited.close();
    }
  });

  // PGlite is one session, so there the statements take turns on it.
  (usingRealPostgres() ? it : it.skip)(
    'runs its statements at once on several connections, DB_PIPELINE_DEPTH to each, an ordered one on one (PostgreSQL)',
    async () => {
      const shallow = await startTestDbProxy(['kit'], { DB_PIPELINE_DEPTH: '2' });
      try {
        const statements = Array.from({ length: 4 }, () => ({ sql: 'SELECT pg_backend_pid() AS pid, pg_sleep(0.1)' }));
        const sessions = async (ordered: boolean) => {
          const answer = await post({ statements, ordered }, {}, shallow);
          expect(answer.status).toBe(200);
          return new Set(answer.body.results.map((r) => (r.rows as { pid: number }[])[0].pid)).size;
        };
        expect(await sessions(true)).toBe(1);
        expect(await sessions(false)).toBe(2);
      } finally {
        await shallow.close();
      }
    },
  );

  it('refuses an ordered flag that is not a boolean', async () => {
    const answer = await post({ statements: [{ sql: 'SELECT 1' }], ordered: 'no' });
    expect(answer.status).toBe(400);
  });
});

describe('a batch that meets passing trouble', () => {
  let server: Server;
  let batchAnswer: { status: number; body: unknown };
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { params?: unknown[] };
        seen.push(req.url!);
        const answer = req.url === '/v1/batch' ? batchAnswer : { status: 200, body: { rows: [{ id: body.params?.[0] }], rowCount: 1, fields: [] } };
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const standIn = () => client({ proxyUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });

  beforeEach(() => {
    seen.length = 0;
  });

  it('sends a read whose pool was full again, alone, and hands a lasting error to its caller', async () => {
    batchAnswer = {
      status: 200,
      body: {
        results: [
          { ok: true, rows: [{ id: 1 }], rowCount: 1, fields: [] },
          { ok: false, error: { code: 'POOL_EXHAUSTED', message: 'pool full' } },
          { ok: false, error: { code: 'FORBIDDEN', message: 'not yours' } },
        ],
      },
    };
    const db = standIn();
    const [one, two, three] = await Promise.allSettled([db.read(BY_ID, [1]), db.read(BY_ID, [2]), db.read(BY_ID, [3])]);
    expect(one).toMatchObject({ status: 'fulfilled', value: { rows: [{ id: 1 }] } });
    expect(two).toMatchObject({ status: 'fulfilled', value: { rows: [{ id: 2 }] } });
    expect(three.status).toBe('rejected');
    expect(((three as PromiseRejectedResult).reason as AppError).code).toBe('FORBIDDEN');
    expect(seen).toEqual(['/v1/batch', '/v1/query']);
  });

  it('fails every read of a batch answered with another number of results, rather than leave one waiting', async () => {
    batchAnswer = { status: 200, body: { results: [{ ok: true, rows: [{ id: 1 }], rowCount: 1, fields: [] }] } };
    const db = standIn();
    const errors = await Promise.all([failure<AppError>(db.read(BY_ID, [1])), failure<AppError>(db.read(BY_ID, [2]))]);
    expect(errors.map((e) => e.code)).toEqual(['DOWNSTREAM_SERVICE_ERROR', 'DOWNSTREAM_SERVICE_ERROR']);
    expect(errors[0].message).toBe('db-proxy answered a batch of 2 reads with 1 results');
  });

  it('sends every read again alone when the whole batch met a 503, and fails them all on a lasting error', async () => {
    const db = standIn();
    batchAnswer = { status: 503, body: { error: { code: 'SERVICE_UNAVAILABLE', message: 'restarting' } } };
    const answers = await Promise.all([db.read(BY_ID, [1]), db.read(BY_ID, [2])]);
    expect(answers.map((a) => a.rows)).toEqual([[{ id: 1 }], [{ id: 2 }]]);
    expect(seen.sort()).toEqual(['/v1/batch', '/v1/query', '/v1/query']);

    seen.length = 0;
    batchAnswer = { status: 401, body: { error: { code: 'UNAUTHENTICATED', message: 'bad credential' } } };
    const errors = await Promise.all([failure<AppError>(db.read(BY_ID, [1])), failure<AppError>(db.read(BY_ID, [2]))]);
    expect(errors.map((e) => e.code)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);
    expect(seen).toEqual(['/v1/batch']);
  });
});
