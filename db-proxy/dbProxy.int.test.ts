/**
 * The connection proxy over real HTTP on a real database: PGlite (a template copy in a temp dir) by
 * default, the PostgreSQL at TEST_DATABASE_URL when set (uniquely prefixed databases, dropped after).
 */
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { createTestDatabase, testSecret } from '../tests/support/testDatabase.js';
import { loadDbProxyConfig } from './config.js';
import { startDbProxy, type RunningDbProxy } from './server.js';

const database = createTestDatabase(['products', 'orders']);
const onPostgres = database.driver === 'postgres';
const itOnPostgres = onPostgres ? it : it.skip;
const secrets = { products: testSecret(), orders: testSecret() };
const logLines: Record<string, unknown>[] = [];

function proxyEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...database.env,
    DB_PROXY_PORT: '0',
    DB_PROXY_HOST: '127.0.0.1',
    DB_PROXY_CREDENTIALS: `products=${secrets.products},orders=${secrets.orders}`,
    LOG_LEVEL: 'silent',
    DB_POOL_WAIT_MS: '300',
    DB_STATEMENT_TIMEOUT_MS: '500',
    DB_MAX_ROWS: '100',
    DB_MAX_RESULT_BYTES: '20000',
    DB_MAX_STATEMENTS: '10',
    DB_PROXY_BODY_LIMIT: '16kb',
    ...extra,
  };
}

const captureLogger = () =>
  pino(
    { level: 'info', base: { service: 'db-proxy' } },
    new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
        done();
      },
    }),
  );

let proxy: RunningDbProxy;

// A new PGlite database takes seconds to initialise.
beforeAll(async () => {
  proxy = await startDbProxy(loadDbProxyConfig(proxyEnv()), { logger: captureLogger() });
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  await database.dispose();
});

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function post(
  path: string,
  body: unknown,
  options: { credential?: string | null; headers?: Record<string, string>; target?: RunningDbProxy } = {},
): Promise<Answer> {
  const credential = options.credential === undefined ? secrets.products : options.credential;
  const response = await fetch(`${(options.target ?? proxy).url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(credential === null ? {} : { authorization: `Bearer ${credential}` }),
      ...options.headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

const query = (sql: string, params: unknown[] = [], credential?: string) =>
  post('/v1/query', { sql, params }, { credential });

describe('health and readiness', () => {
  it('answers /health and reports every database ready', async () => {
    expect(await (await fetch(`${proxy.url}/health`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${proxy.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { products: 'ok', orders: 'ok' } });
  });
});

describe('query, batch and transaction', () => {
  beforeAll(async () => {
    const created = await query(
      'CREATE TABLE items (id int8 PRIMARY KEY, sku text UNIQUE NOT NULL, stock int NOT NULL CHECK (stock >= 0))',
    );
    expect(created.status).toBe(200);
  });

  it('runs one parameterized statement and returns rows, rowCount and fields', async () => {
    const inserted = await query('INSERT INTO items (id, sku, stock) VALUES ($1, $2, $3) RETURNING id, sku, stock', [
      1,
      "A-1'; DROP TABLE items; --",
      5,
    ]);
    expect(inserted.status).toBe(200);
    expect(inserted.body).toEqual({
      rows: [{ id: '1', sku: "A-1'; DROP TABLE items; --", stock: 5 }],
      rowCount: 1,
      fields: [
        { name: 'id', dataTypeID: 20 },
        { name: 'sku', dataTypeID: 25 },
        { name: 'stock', dataTypeID: 23 },
      ],
    });
    const updated = await query('UPDATE items SET stock = stock - $1 WHERE id = $2', [2, 1]);
    expect(updated.body).toEqual({ rows: [], rowCount: 1, fields: [] });
    expect((await query('SELECT stock FROM items WHERE id = $1', [1])).body.rows).toEqual([{ stock: 3 }]);
  });

  it('runs a batch in order, each statement committed on its own, with a result per statement', async () => {
    const answer = await post('/v1/batch', {
      statements: [
        { sql: 'INSERT INTO items (id, sku, stock) VALUES ($1, $2, 1)', params: [10, 'B-10'] },
        { sql: 'INSERT INTO items (id, sku, stock) VALUES ($1, $2, 1)', params: [11, 'B-10'] },
        { sql: 'SELECT sku FROM items WHERE id >= 10 ORDER BY id' },
      ],
    });
    expect(answer.status).toBe(200);
    const [first, second, third] = answer.body.results;
    expect(first).toMatchObject({ ok: true, rowCount: 1 });
    expect(second).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT', details: { sqlstate: '23505', statementIndex: 1, constraint: 'items_sku_key' } },
    });
    expect(third).toMatchObject({ ok: true, rows: [{ sku: 'B-10' }] });
  });

  it('commits a transaction as a whole', async () => {
    const answer = await post('/v1/transaction', {
      statements: [
        { sql: 'INSERT INTO items (id, sku, stock) VALUES (20, $1, 4)', params: ['T-20'] },
        { sql: 'UPDATE items SET stock = stock - $1 WHERE id = 20 AND stock >= $1', params: [3], expectRowCount: 1 },
        { sql: 'SELECT stock FROM items WHERE id = 20' },
      ],
      isolation: 'serializable',
    });
    expect(answer.status).toBe(200);
    expect(answer.body.results.map((r: any) => r.rowCount)).toEqual([1, 1, 1]);
    expect(answer.body.results[2].rows).toEqual([{ stock: 1 }]);
  });

  it('rolls the whole transaction back when a statement fails', async () => {
    const answer = await post('/v1/transaction', {
      statements: [
        { sql: 'INSERT INTO items (id, sku, stock) VALUES (30, $1, 1)', params: ['R-30'] },
        { sql: 'INSERT INTO items (id, sku, stock) VALUES (31, $1, 1)', params: ['R-30'] },
      ],
    });
    expect(answer.status).toBe(409);
    expect(answer.body.error).toMatchObject({
      code: 'CONFLICT',
      details: { sqlstate: '23505', statementIndex: 1 },
    });
    expect((await query('SELECT count(*) AS n FROM items WHERE id IN (30, 31)')).body.rows).toEqual([{ n: '0' }]);
  });

  it('rolls back when expectRowCount does not match, naming the statement', async () => {
    const answer = await post('/v1/transaction', {
      statements: [
        { sql: 'INSERT INTO items (id, sku, stock) VALUES (40, $1, 1)', params: ['E-40'] },
        { sql: 'UPDATE items SET stock = stock - 5 WHERE id = 40 AND stock >= 5', expectRowCount: 1 },
      ],
    });
    expect(answer.status).toBe(409);
    expect(answer.body.error).toEqual({
      code: 'PRECONDITION_FAILED',
      message: 'Statement 1 touched 0 rows but expectRowCount is 1; the transaction was rolled back',
      details: { statementIndex: 1, expectedRowCount: 1, rowCount: 0 },
    });
    expect((await query('SELECT count(*) AS n FROM items WHERE id = 40')).body.rows).toEqual([{ n: '0' }]);
  });

  it('honours expectRowCount on a single statement by undoing it', async () => {
    const answer = await post('/v1/query', { sql: 'DELETE FROM items WHERE stock >= 0', expectRowCount: 1 });
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('PRECONDITION_FAILED');
    expect(Number((await query('SELECT count(*) AS n FROM items')).body.rows[0].n)).toBeGreaterThan(1);
  });

  it('refuses writes in a read-only transaction', async () => {
    const answer = await post('/v1/transaction', {
      statements: [{ sql: 'DELETE FROM items' }],
      readOnly: true,
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toMatchObject({ sqlstate: '25006', statementIndex: 0 });
  });

  it('maps a unique violation to 409 and a syntax error to 400, with their SQLSTATE', async () => {
    const duplicate = await query('INSERT INTO items (id, sku, stock) VALUES (1, $1, 1)', ['X']);
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error).toMatchObject({
      code: 'CONFLICT',
      message: 'duplicate key value violates unique constraint "items_pkey"',
      details: { sqlstate: '23505', constraint: 'items_pkey', detail: 'Key (id)=(1) already exists.' },
    });
    const syntax = await query('SELEC 1');
    expect(syntax.status).toBe(400);
    expect(syntax.body.error).toMatchObject({ code: 'BAD_REQUEST', details: { sqlstate: '42601' } });
    const check = await query('UPDATE items SET stock = -1 WHERE id = 1');
    expect(check.status).toBe(409);
    expect(check.body.error.details).toMatchObject({ sqlstate: '23514', constraint: 'items_stock_check' });
  });
});

describe('each service reaches only its own database', () => {
  beforeAll(async () => {
    const made = await post(
      '/v1/batch',
      {
        statements: [
          { sql: 'CREATE TABLE orders_private (id int PRIMARY KEY, note text)' },
          { sql: "INSERT INTO orders_private VALUES (1, 'orders only')" },
        ],
      },
      { credential: secrets.orders },
    );
    expect(made.body.results.map((r: any) => r.ok)).toEqual([true, true]);
  });

  it('the owner reads its table; the products credential finds no such relation', async () => {
    expect((await query('SELECT note FROM orders_private', [], secrets.orders)).body.rows).toEqual([
      { note: 'orders only' },
    ]);
    const other = await query('SELECT note FROM orders_private');
    expect(other.status).toBe(400);
    expect(other.body.error).toMatchObject({ message: 'relation "orders_private" does not exist', details: { sqlstate: '42P01' } });
    const write = await query("INSERT INTO orders_private VALUES (2, 'from products')");
    expect(write.body.error.details.sqlstate).toBe('42P01');
  });

  it('offers no way to switch database', async () => {
    const attempts = [
      'SET search_path TO orders, public',
      '\\c orders',
      'SELECT * FROM orders.public.orders_private',
      `SELECT * FROM dblink('dbname=${proxy.databases.orders}', 'SELECT note FROM orders_private') AS t(note text)`,
      'CREATE EXTENSION IF NOT EXISTS dblink',
      'CREATE EXTENSION IF NOT EXISTS postgres_fdw',
      `ALTER DATABASE "${proxy.databases.orders}" RENAME TO taken`,
      `DROP DATABASE "${proxy.databases.orders}"`,
      "COPY orders_private FROM PROGRAM 'true'",
    ];
    for (const sql of attempts) {
      const answer = await query(sql);
      expect({ sql, status: answer.status }).toEqual({ sql, status: 400 });
    }
    const scoped = await post('/v1/transaction', {
      statements: [{ sql: 'SET LOCAL search_path TO orders, public' }, { sql: 'SELECT * FROM orders_private' }],
    });
    expect(scoped.status).toBe(400);
    expect(scoped.body.error.details).toMatchObject({ sqlstate: '42P01', statementIndex: 1 });
    // The orders data is untouched.
    expect((await query('SELECT count(*) AS n FROM orders_private', [], secrets.orders)).body.rows).toEqual([{ n: '1' }]);
  });

  itOnPostgres('connects each service to its own PostgreSQL database (real PostgreSQL only)', async () => {
    const products = (await query('SELECT current_database() AS db')).body.rows[0].db;
    const orders = (await query('SELECT current_database() AS db', [], secrets.orders)).body.rows[0].db;
    expect(products).toBe(proxy.databases.products);
    expect(orders).toBe(proxy.databases.orders);
    expect(products).not.toBe(orders);
  });
});

describe('refusals with a clear 4xx', () => {
  it.each([
    ['no Authorization header', null, /Missing credential/],
    ['an unknown credential', 'not-a-known-credential-at-all', /Unknown credential/],
    ['a credential in the wrong case', () => secrets.products.toUpperCase(), /Unknown credential/],
  ])('401 for %s', async (_name, credential, message) => {
    const given = typeof credential === 'function' ? credential() : credential;
    const answer = await post('/v1/query', { sql: 'SELECT 1' }, { credential: given });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(answer.body.error.code).toBe('UNAUTHENTICATED');
    expect(answer.body.error.message).toMatch(message);
  });

  it('401 for another scheme', async () => {
    const answer = await post('/v1/query', { sql: 'SELECT 1' }, { credential: null, headers: { authorization: `Basic ${secrets.products}` } });
    expect(answer.status).toBe(401);
    expect(answer.body.error.message).toMatch(/must be "Bearer <service credential>"/);
  });

  it('400 for malformed JSON, 415 for a body that is not JSON', async () => {
    const malformed = await post('/v1/query', '{"sql": "SELECT 1",');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toMatch(/^Malformed JSON body/);
    const text = await post('/v1/query', 'SELECT 1', { headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
  });

  it('400 naming the field for a body that does not fit the protocol', async () => {
    const missing = await post('/v1/query', { params: [1] });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/sql/);
    const extra = await post('/v1/query', { sql: 'SELECT 1', database: 'orders' });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toMatch(/database/);
    const empty = await post('/v1/batch', { statements: [] });
    expect(empty.body.error.message).toMatch(/statements must not be empty/);
  });

  it('400 for two statements in one entry, naming the entry', async () => {
    const single = await query('SELECT 1; SELECT 2');
    expect(single.status).toBe(400);
    expect(single.body.error.message).toMatch(/sql contains 2 statements; send one statement per entry/);
    const inBatch = await post('/v1/batch', {
      statements: [{ sql: 'SELECT 1' }, { sql: "SELECT ';'; DELETE FROM items" }],
    });
    expect(inBatch.status).toBe(400);
    expect(inBatch.body.error.details.statementIndex).toBe(1);
    // Nothing of a refused batch runs.
    expect(Number((await query('SELECT count(*) AS n FROM items')).body.rows[0].n)).toBeGreaterThan(0);
  });

  it('400 for a wrong parameter count', async () => {
    const answer = await query('SELECT $1::int + $2::int + $3::int', [1, 2]);
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toBe('statement uses $1..$3 but 2 parameters were given');
  });

  it('400, never 5xx, for hostile values', async () => {
    const cases: [string, unknown[]][] = [
      ['SELECT $1::text', ['nul \u0000 inside']],
      ['SELECT $1::int', [2 ** 40]],
      ['SELECT $1::int[]', [[1, [2, [3]]]]],
      ['SELECT $1::jsonb', ['{not json']],
      ['SELECT $1::date', ['2024-02-30']],
    ];
    for (const [sql, params] of cases) {
      const answer = await query(sql, params);
      expect({ sql, params, status: answer.status }).toEqual({ sql, params, status: 400 });
    }
    // JSON allows numbers no double can hold; 1e400 reads as Infinity.
    const huge = await post('/v1/query', '{"sql": "SELECT $1::int", "params": [1e400]}');
    expect(huge.status).toBe(400);
    const nulInSql = await query('SELECT 1 \u0000');
    expect(nulInSql.status).toBe(400);
    const lone = await query('SELECT $1::text AS v', ['\ud800']);
    expect(lone.status).toBe(200);
  });

  it('400 for transaction control sent as a statement', async () => {
    const answer = await query('BEGIN');
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/\/v1\/transaction/);
  });

  it('413 for a body over DB_PROXY_BODY_LIMIT and for too many statements', async () => {
    const big = await query('SELECT $1::text', ['x'.repeat(20_000)]);
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const many = await post('/v1/batch', { statements: Array.from({ length: 11 }, () => ({ sql: 'SELECT 1' })) });
    expect(many.status).toBe(413);
    expect(many.body.error.message).toMatch(/11 statements; at most 10 .*DB_MAX_STATEMENTS/);
  });

  it('422 naming the limit for too many rows or too many bytes', async () => {
    const rows = await query('SELECT g FROM generate_series(1, 101) AS g');
    expect(rows.status).toBe(422);
    expect(rows.body.error).toMatchObject({ code: 'RESULT_TOO_LARGE', details: { limit: 'DB_MAX_ROWS', rowCount: 101 } });
    expect(rows.body.error.message).toMatch(/101 rows.*at most 100 rows \(DB_MAX_ROWS\)/);
    expect((await query('SELECT g FROM generate_series(1, 100) AS g')).status).toBe(200);
    const bytes = await query("SELECT repeat('x', 25000) AS big");
    expect(bytes.status).toBe(422);
    expect(bytes.body.error.details.limit).toBe('DB_MAX_RESULT_BYTES');
  });

  it('undoes a write whose returned rows are over the limit', async () => {
    await query('CREATE TABLE bulk (n int)');
    const answer = await query('INSERT INTO bulk SELECT g FROM generate_series(1, 150) AS g RETURNING n');
    expect(answer.status).toBe(422);
    expect((await query('SELECT count(*) AS n FROM bulk')).body.rows).toEqual([{ n: '0' }]);
  });

  it('404 for an unknown path', async () => {
    const answer = await post('/v1/nothing', {});
    expect(answer.status).toBe(404);
  });
});

describe('pool and time limits', () => {
  it('503 POOL_EXHAUSTED with Retry-After when the connections stay busy past DB_POOL_WAIT_MS', async () => {
    // PGlite always has exactly one connection; on PostgreSQL a second proxy with one connection.
    const target = onPostgres
      ? await startDbProxy(loadDbProxyConfig(proxyEnv({ DB_POOL_MAX: '1', DB_POOL_WAIT_MS: '100' })))
      : proxy;
    try {
      const holding = post(
        '/v1/transaction',
        { statements: Array.from({ length: 4 }, () => ({ sql: 'SELECT pg_sleep(0.2)' })) },
        { target },
      );
      // Long enough for the transaction to hold the connection, well before it lets go (~800 ms).
      await new Promise((resolve) => setTimeout(resolve, 200));
      const waiting = await post('/v1/query', { sql: 'SELECT 1' }, { target });
      expect(waiting.status).toBe(503);
      expect(waiting.headers.get('retry-after')).toBe('1');
      expect(waiting.body.error).toMatchObject({ code: 'POOL_EXHAUSTED', details: { poolSize: 1, retryable: true } });
      expect((await holding).status).toBe(200);
      expect((await post('/v1/query', { sql: 'SELECT 1' }, { target })).status).toBe(200);
    } finally {
      if (target !== proxy) await target.close();
    }
  });

  itOnPostgres('504 STATEMENT_TIMEOUT past DB_STATEMENT_TIMEOUT_MS (PGlite does not fire statement_timeout)', async () => {
    const answer = await query('SELECT pg_sleep(2)');
    expect(answer.status).toBe(504);
    expect(answer.body.error).toMatchObject({ code: 'STATEMENT_TIMEOUT', details: { sqlstate: '57014' } });
    expect(answer.body.error.message).toMatch(/500 ms/);
    expect((await query('SELECT 1 AS one')).body.rows).toEqual([{ one: 1 }]);
  });
});

describe('connection loss and restarts', () => {
  itOnPostgres('re-establishes connections the server terminated, without a restart (real PostgreSQL only)', async () => {
    const admin = new pg.Client({ connectionString: database.adminUrl });
    await admin.connect();
    const terminate = () =>
      admin.query(
        'SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [proxy.databases.products],
      );
    try {
      // Idle connections killed: the next request gets a fresh one.
      expect((await query('SELECT 1 AS one')).status).toBe(200);
      expect((await terminate()).rowCount).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await query('SELECT 1 AS one')).body.rows).toEqual([{ one: 1 }]);

      // A connection killed mid-transaction: that request fails as 503, the connection is discarded.
      const inFlight = post('/v1/transaction', { statements: [{ sql: 'SELECT pg_sleep(0.4)' }] });
      await new Promise((resolve) => setTimeout(resolve, 150));
      await terminate();
      const failed = await inFlight;
      expect(failed.status).toBe(503);
      expect(failed.body.error).toMatchObject({ code: 'DB_UNAVAILABLE', details: { sqlstate: '57P01' } });
      for (let i = 0; i < 3; i++) expect((await query('SELECT 1 AS one')).status).toBe(200);
    } finally {
      await admin.end();
    }
  });

  it('keeps committed data across a restart on the same data', async () => {
    expect((await query("INSERT INTO items (id, sku, stock) VALUES (90, 'KEEP-90', 9)")).status).toBe(200);
    const config = loadDbProxyConfig(proxyEnv());
    await proxy.close();
    proxy = await startDbProxy(config, { logger: captureLogger() });
    expect((await query('SELECT sku, stock FROM items WHERE id = 90')).body.rows).toEqual([{ sku: 'KEEP-90', stock: 9 }]);
  });
});

describe('observability', () => {
  it('counts requests per service and endpoint, and resets', async () => {
    proxy.resetStats();
    await query('SELECT 1');
    await post('/v1/batch', { statements: [{ sql: 'SELECT 1' }, { sql: 'SELECT 2' }] });
    await post('/v1/transaction', { statements: [{ sql: 'SELECT 1' }] }, { credential: secrets.orders });
    await post('/v1/query', { sql: 'SELECT 1' }, { credential: 'wrong-credential-000000' });
    const stats = proxy.stats();
    expect(stats).toEqual({
      requests: 3,
      unauthenticated: 1,
      byService: {
        products: { requests: 2, query: 1, batch: 1, transaction: 0, statements: 3 },
        orders: { requests: 1, query: 0, batch: 0, transaction: 1, statements: 1 },
      },
    });
    proxy.resetStats();
    expect(proxy.stats().requests).toBe(0);
    expect(stats.requests).toBe(3); // a snapshot does not change afterwards
  });

  it('logs one JSON line per request with the calling service', async () => {
    logLines.length = 0;
    const answer = await post('/v1/query', { sql: 'SELECT 1' }, { credential: secrets.orders, headers: { 'x-request-id': 'log-check-1' } });
    expect(answer.headers.get('x-request-id')).toBe('log-check-1');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const lines = logLines.filter((line) => line.reqId === 'log-check-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'request', path: '/v1/query', status: 200, caller: 'orders', statements: 1 });
  });

  it("names the requests whose reads an unordered batch carries in its line (well-formed ids only)", async () => {
    logLines.length = 0;
    const answer = await post(
      '/v1/batch',
      { ordered: false, statements: [{ sql: 'SELECT 1' }, { sql: 'SELECT 2' }, { sql: 'SELECT 3' }] },
      { headers: { 'x-request-id': 'log-check-2', 'x-coalesced-request-ids': 'req-a,req b,req-c' } },
    );
    expect(answer.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const lines = logLines.filter((line) => line.reqId === 'log-check-2');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ path: '/v1/batch', statements: 3, coalescedRequestIds: ['req-a', 'req-c'] });
  });
});
