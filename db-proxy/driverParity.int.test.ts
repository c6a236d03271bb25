/**
 * Both drivers answer the same query with the same JSON. Every case is checked against the expected
 * JSON on PGlite, and when TEST_DATABASE_URL is set also on PostgreSQL, so the two agree through
 * the same literal expectations.
 */
import { createTestDatabase, testSecret, usingRealPostgres, type TestDatabase } from '../tests/support/testDatabase.js';
import { loadDbProxyConfig } from './config.js';
import { startDbProxy, type RunningDbProxy } from './server.js';

const credential = testSecret();
const targets: { name: string; proxy: RunningDbProxy; databases?: TestDatabase }[] = [];

const baseEnv = {
  DB_PROXY_PORT: '0',
  DB_PROXY_HOST: '127.0.0.1',
  DB_PROXY_CREDENTIALS: `parity=${credential}`,
  LOG_LEVEL: 'silent',
};

beforeAll(async () => {
  const starting: Promise<void>[] = [
    startDbProxy(loadDbProxyConfig({ ...baseEnv, PGLITE_DATA_DIR: 'memory://' })).then((proxy) => {
      targets.push({ name: 'pglite', proxy });
    }),
  ];
  if (usingRealPostgres()) {
    const databases = createTestDatabase(['parity']);
    starting.push(
      startDbProxy(loadDbProxyConfig({ ...baseEnv, ...databases.env })).then((proxy) => {
        targets.push({ name: 'postgres', proxy, databases });
      }),
    );
  }
  await Promise.all(starting);
  for (const { proxy } of targets) {
    const setup = await send(proxy, '/v1/batch', {
      statements: [
        { sql: "CREATE TYPE mood AS ENUM ('happy', 'sad')" },
        { sql: 'CREATE TABLE things (id int8 PRIMARY KEY, name text UNIQUE, price numeric(10, 2), at timestamptz)' },
      ],
    });
    expect(setup.body.results.map((r: { ok: boolean }) => r.ok)).toEqual([true, true]);
  }
}, 60_000);

afterAll(async () => {
  for (const { proxy, databases } of targets) {
    await proxy.close();
    await databases?.dispose();
  }
});

async function send(proxy: RunningDbProxy, path: string, body: unknown) {
  const response = await fetch(`${proxy.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** Runs the request on every driver; each must give exactly `expected`. */
async function expectOnEveryDriver(path: string, body: unknown, expected: { status: number; body: unknown }) {
  expect(targets.map((t) => t.name).sort()).toEqual(usingRealPostgres() ? ['pglite', 'postgres'] : ['pglite']);
  for (const { name, proxy } of targets) {
    const answer = await send(proxy, path, body);
    expect({ driver: name, ...answer }).toEqual({ driver: name, ...expected });
  }
}

const rowsOnly = (rows: unknown[], rowCount = rows.length) => ({ rows, rowCount });

describe('the same JSON from PGlite and PostgreSQL', () => {
  it('numbers: int2/int4/float as numbers, int8 and numeric as strings, NaN spelled out', async () => {
    await expectOnEveryDriver(
      '/v1/query',
      {
        sql: `SELECT 1::int2 AS i2, 2::int4 AS i4, 9007199254740993::int8 AS i8, 12.50::numeric AS n,
                     1.5::float4 AS f4, 0.1::float8 AS f8, 'NaN'::float8 AS nan, 'Infinity'::float8 AS inf`,
      },
      {
        status: 200,
        body: {
          ...rowsOnly([{ i2: 1, i4: 2, i8: '9007199254740993', n: '12.50', f4: 1.5, f8: 0.1, nan: 'NaN', inf: 'Infinity' }]),
          fields: [
            { name: 'i2', dataTypeID: 21 },
            { name: 'i4', dataTypeID: 23 },
            { name: 'i8', dataTypeID: 20 },
            { name: 'n', dataTypeID: 1700 },
            { name: 'f4', dataTypeID: 700 },
            { name: 'f8', dataTypeID: 701 },
            { name: 'nan', dataTypeID: 701 },
            { name: 'inf', dataTypeID: 701 },
          ],
        },
      },
    );
  });

  it('booleans, null and text', async () => {
    await expectOnEveryDriver(
      '/v1/query',
      { sql: "SELECT true AS t, false AS f, NULL::text AS nothing, 'héllo ☃' AS text, ''::text AS empty" },
      {
        status: 200,
        body: {
          ...rowsOnly([{ t: true, f: false, nothing: null, text: 'héllo ☃', empty: '' }]),
          fields: [
            { name: 't', dataTypeID: 16 },
            { name: 'f', dataTypeID: 16 },
            { name: 'nothing', dataTypeID: 25 },
            { name: 'text', dataTypeID: 25 },
            { name: 'empty', dataTypeID: 25 },
          ],
        },
      },
    );
  });

  it('dates and times as ISO-8601: timestamptz in UTC with full precision', async () => {
    await expectOnEveryDriver(
      '/v1/query',
      {
        sql: `SELECT '2024-01-02 03:04:05.123456+02'::timestamptz AS tz, '2024-01-02 03:04:05.5'::timestamp AS ts,
                     '2024-02-29'::date AS d, '12:34:56'::time AS tm, '1 day 02:03:04'::interval AS iv,
                     'infinity'::timestamptz AS inf, $1::timestamptz AS given, $1::timestamptz::date AS given_date`,
        params: ['2024-06-30T23:59:59.999Z'],
      },
      {
        status: 200,
        body: {
          ...rowsOnly([
            {
              tz: '2024-01-02T01:04:05.123456Z',
              ts: '2024-01-02T03:04:05.5',
              d: '2024-02-29',
              tm: '12:34:56',
              iv: '1 day 02:03:04',
              inf: 'infinity',
              given: '2024-06-30T23:59:59.999Z',
              given_date: '2024-06-30',
            },
          ]),
          fields: [
            { name: 'tz', dataTypeID: 1184 },
            { name: 'ts', dataTypeID: 1114 },
            { name: 'd', dataTypeID: 1082 },
            { name: 'tm', dataTypeID: 1083 },
            { name: 'iv', dataTypeID: 1186 },
            { name: 'inf', dataTypeID: 1184 },
            { name: 'given', dataTypeID: 1184 },
            { name: 'given_date', dataTypeID: 1082 },
          ],
        },
      },
    );
  });

  it('json and jsonb parsed, objects as parameters', async () => {
    await expectOnEveryDriver(
      '/v1/query',
      {
        sql: `SELECT '{"a": [1, 2, {"b": null}]}'::jsonb AS jb, '[1, "x"]'::json AS j, $1::jsonb AS given, $2::jsonb AS text_json`,
        params: [{ k: 'v', n: [1, 2.5], deep: { ok: true } }, '"just a string"'],
      },
      {
        status: 200,
        body: {
          ...rowsOnly([
            {
              jb: { a: [1, 2, { b: null }] },
              j: [1, 'x'],
              given: { k: 'v', n: [1, 2.5], deep: { ok: true } },
              text_json: 'just a string',
            },
          ]),
          fields: [
            { name: 'jb', dataTypeID: 3802 },
            { name: 'j', dataTypeID: 114 },
            { name: 'given', dataTypeID: 3802 },
            { name: 'text_json', dataTypeID: 3802 },
          ],
        },
      },
    );
  });

  it('arrays, in and out', async () => {
    await expectOnEveryDriver(
      '/v1/query',
      {
        sql: `SELECT ARRAY[1, 2, NULL]::int4[] AS ints, ARRAY['a', 'b c', 'q"u', 'NULL']::text[] AS texts,
                     ARRAY[[1, 2], [3, 4]] AS nested, ARRAY[]::int[] AS empty,
                     ARRAY['2024-01-02 03:04:05+00'::timestamptz] AS times, ARRAY[9007199254740993]::int8[] AS bigs,
                     $1::int[] AS given_ints, $2::text[] AS given_texts, ARRAY['happy']::mood[] AS moods`,
        params: [
          [1, 2, 3],
          ['x', null, 'y,z', 'back\\slash'],
        ],
      },
      {
        status: 200,
        body: expect.objectContaining(
          rowsOnly([
            {
              ints: [1, 2, null],
              texts: ['a', 'b c', 'q"u', 'NULL'],
              nested: [
                [1, 2],
                [3, 4],
              ],
              empty: [],
              times: ['2024-01-02T03:04:05Z'],
              bigs: ['9007199254740993'],
              given_ints: [1, 2, 3],
              given_texts: ['x', null, 'y,z', 'back\\slash'],
              moods: '{happy}', // arrays of user-defined types come back as PostgreSQL prints them
            },
          ]),
        ),
      },
    );
  });

  it('other parameter types: numbers, booleans, numeric and uuid text, bytea', async () => {
    await expectOnEveryDriver(
      '/v1/query',
      {
        sql: 'SELECT $1::int AS a, $2::float8 AS b, $3::bool AS c, $4::numeric AS d, $5::uuid AS e, $6::bytea AS f, $7::mood AS g',
        params: [42, 0.25, true, '12345678901234567890.123', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '\\x00ff', 'sad'],
      },
      {
        status: 200,
        body: expect.objectContaining(
          rowsOnly([
            {
              a: 42,
              b: 0.25,
              c: true,
              d: '12345678901234567890.123',
              e: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
              f: '\\x00ff',
              g: 'sad',
            },
          ]),
        ),
      },
    );
  });

  it('row counts of writes, and a repeated column name keeps the last value', async () => {
    await expectOnEveryDriver(
      '/v1/transaction',
      {
        statements: [
          {
            sql: 'INSERT INTO things (id, name, price, at) VALUES (1, $1, $2, $3), (2, $4, $5, $3) RETURNING id, price, at',
            params: ['one', 9.99, '2024-01-02T03:04:05Z', 'two', '0.5'],
          },
          { sql: 'UPDATE things SET price = price * 2' },
          { sql: 'DELETE FROM things WHERE id = 2' },
          { sql: 'SELECT 1 AS a, 2 AS a' },
          { sql: 'CREATE INDEX things_at ON things (at)' },
          { sql: 'DROP TABLE things' },
        ],
      },
      {
        status: 200,
        body: {
          results: [
            {
              ...rowsOnly([
                { id: '1', price: '9.99', at: '2024-01-02T03:04:05Z' },
                { id: '2', price: '0.50', at: '2024-01-02T03:04:05Z' },
              ]),
              fields: [
                { name: 'id', dataTypeID: 20 },
                { name: 'price', dataTypeID: 1700 },
                { name: 'at', dataTypeID: 1184 },
              ],
            },
            { rows: [], rowCount: 2, fields: [] },
            { rows: [], rowCount: 1, fields: [] },
            {
              rows: [{ a: 2 }],
              rowCount: 1,
              fields: [
                { name: 'a', dataTypeID: 23 },
                { name: 'a', dataTypeID: 23 },
              ],
            },
            { rows: [], rowCount: 0, fields: [] },
            { rows: [], rowCount: 0, fields: [] },
          ],
        },
      },
    );
  });

  it('errors: same code, message and details', async () => {
    await expectOnEveryDriver(
      '/v1/batch',
      {
        statements: [
          { sql: 'CREATE TABLE uniq (k text PRIMARY KEY)' },
          { sql: "INSERT INTO uniq VALUES ('a'), ('a')" },
          { sql: 'SELECT 1 / 0' },
          { sql: 'SELECT $1::int', params: ['not a number'] },
        ],
      },
      {
        status: 200,
        body: {
          results: [
            { ok: true, rows: [], rowCount: 0, fields: [] },
            {
              ok: false,
              error: {
                code: 'CONFLICT',
                message: 'duplicate key value violates unique constraint "uniq_pkey"',
                details: {
                  sqlstate: '23505',
                  statementIndex: 1,
                  detail: 'Key (k)=(a) already exists.',
                  constraint: 'uniq_pkey',
                  table: 'uniq',
                  schema: 'public',
                },
              },
            },
            {
              ok: false,
              error: { code: 'BAD_REQUEST', message: 'division by zero', details: { sqlstate: '22012', statementIndex: 2 } },
            },
            {
              ok: false,
              error: {
                code: 'BAD_REQUEST',
                message: 'invalid input syntax for type integer: "not a number"',
                details: { sqlstate: '22P02', statementIndex: 3 },
              },
            },
          ],
        },
      },
    );
  });
});
