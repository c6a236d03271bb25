/**
 * What the proxy client hands on when the database is out: against a real HTTP server answering as
 * the connection proxy does while PostgreSQL refuses connections or is still starting (the fault
 * suite, tests/integration/faults.int.test.ts, sees the same through the real proxy and server).
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '../../lib/errors.js';
import { createDbClient, type DbClient } from './dbClient.js';
import { failure as expectFailure } from '../../tests/support/failure.js';

let server: Server;
let client: DbClient;
let answer: { status: number; body: unknown };

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(answer.status, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify(answer.body));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  client = createDbClient({ proxyUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, credential: 'kit-test-credential' });
});

afterAll(async () => {
  await client.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const failure = (promise: Promise<unknown>) => expectFailure<AppError>(promise);

/** The outage as the service hands it on; its own logs keep what the proxy said (the cause). */
function expectOutage(err: AppError, proxyMessage: string): void {
  expect(err).toBeInstanceOf(AppError);
  expect({ code: err.code, status: err.status, message: err.message, details: err.details, retryAfter: err.retryAfterSeconds }).toEqual({
    code: 'DB_UNAVAILABLE',
    status: 503,
    message: 'The database is unavailable right now; retry shortly',
    details: { retryable: true },
    retryAfter: 1,
  });
  expect((err.cause as AppError).message).toBe(proxyMessage);
}

describe('the proxy client when the database is out', () => {
  const outages = [
    { message: 'Cannot connect to database orders: connect ECONNREFUSED 10.1.2.3:5432', details: { retryable: true } },
    {
      message: 'Cannot connect to database products: the database system is not yet accepting connections',
      details: { retryable: true, sqlstate: '57P03' },
    },
  ];
  for (const outage of outages) {
    it(`hands on DB_UNAVAILABLE without the proxy's account of it (${outage.message.slice(0, 40)}...)`, async () => {
      answer = { status: 503, body: { error: { code: 'DB_UNAVAILABLE', ...outage } } };
      const calls = [
        () => client.read('SELECT 1'),
        () => client.query('SELECT 1'),
        () => client.batch([{ sql: 'SELECT 1' }]),
        () => client.batchSettled([{ sql: 'SELECT 1' }]),
        () => client.transaction([{ sql: 'SELECT 1' }]),
      ];
      for (const call of calls) expectOutage(await failure(call()), outage.message);
    });
  }

  it('hands on other proxy errors as they are (a conflict keeps its sqlstate for the caller to decide)', async () => {
    answer = { status: 409, body: { error: { code: 'CONFLICT', message: 'duplicate key value', details: { sqlstate: '23505' } } } };
    const err = await failure(client.query('INSERT INTO t VALUES (1)'));
    expect({ code: err.code, message: err.message, details: err.details }).toEqual({
      code: 'CONFLICT',
      message: 'duplicate key value',
      details: { sqlstate: '23505' },
    });
  });

  it('tells a statement of a batch cut off by the outage as the outage, not as a bug', async () => {
    // What the proxy answers when PostgreSQL stops between the statements of a batch: 200, and the
    // statement it lost with PostgreSQL's own account of it.
    const lost = { code: 'DB_UNAVAILABLE', message: 'terminating connection due to administrator command', details: { sqlstate: '57P01', retryable: true } };
    const results = [{ ok: true, rows: [{ id: 1 }], rowCount: 1, fields: [] }, { ok: false, error: lost }];
    answer = { status: 200, body: { results } };
    expectOutage(await failure(client.batch([{ sql: 'SELECT 1 AS id' }, { sql: 'SELECT count(*) FROM t' }])), lost.message);
    // batchSettled hands every statement's outcome over as the proxy answered it.
    expect(await client.batchSettled([{ sql: 'SELECT 1 AS id' }, { sql: 'SELECT count(*) FROM t' }])).toEqual(results);
  });

  it("hands on another failed statement of a batch with its own code, and the results when all succeeded", async () => {
    const busy = { code: 'POOL_EXHAUSTED', message: 'All 10 connections to database products stayed busy for 2000 ms', details: { retryable: true } };
    answer = { status: 200, body: { results: [{ ok: false, error: busy }] } };
    const err = await failure(client.batch([{ sql: 'SELECT 1' }]));
    expect({ code: err.code, status: err.status, message: err.message }).toEqual({ code: 'POOL_EXHAUSTED', status: 503, message: busy.message });

    answer = {
      status: 200,
      body: { results: [{ ok: true, rows: [{ id: 1 }], rowCount: 1, fields: [] }, { ok: true, rows: [], rowCount: 0, fields: [] }] },
    };
    expect(await client.batch([{ sql: 'SELECT 1 AS id' }, { sql: 'SELECT 1 WHERE false' }])).toEqual([
      { rows: [{ id: 1 }], rowCount: 1, fields: [] },
      { rows: [], rowCount: 0, fields: [] },
    ]);
  });
});
