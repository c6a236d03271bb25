/**
 * An unordered batch's independent statements share connections, DB_PIPELINE_DEPTH of them written
 * together on one and answered in turn, and each still succeeds, fails and counts on its own. On
 * both drivers; how many connections a batch takes is asked of PostgreSQL itself (pg_backend_pid),
 * so that case runs on the real server only.
 */
import { usingRealPostgres } from '../tests/support/testDatabase.js';
import { startTestDbProxy, type TestDbProxy } from '../tests/support/testDbProxy.js';

const onPostgres = usingRealPostgres() ? it : it.skip;

describe('unordered batches over shared connections', () => {
  let pipelined: TestDbProxy;
  let alone: TestDbProxy;

  beforeAll(async () => {
    pipelined = await startTestDbProxy(['products'], { DB_POOL_MAX: '10', DB_PIPELINE_DEPTH: '4' });
    alone = await startTestDbProxy(['products'], { DB_POOL_MAX: '10', DB_PIPELINE_DEPTH: '1' });
    await post(pipelined, '/v1/query', { sql: 'CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)' });
    await post(pipelined, '/v1/query', { sql: 'INSERT INTO counters VALUES (1, 0), (2, 0), (3, 0)' });
  }, 60_000);

  afterAll(async () => {
    await pipelined?.close();
    await alone?.close();
  });

  async function post(target: TestDbProxy, path: string, body: unknown) {
    const response = await fetch(`${target.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${target.credentials.products}` },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  }
  const unordered = (target: TestDbProxy, statements: unknown[]) => post(target, '/v1/batch', { statements, ordered: false });
  const lookups = (count: number) =>
    Array.from({ length: count }, (_, i) => ({ sql: 'SELECT pg_backend_pid() AS pid, $1::int AS n', params: [i] }));

  onPostgres('takes one connection per DB_PIPELINE_DEPTH statements, where each alone takes one of its own', async () => {
    const pidsOf = (answer: { body: { results: { rows: { pid: number }[] }[] } }) =>
      new Set(answer.body.results.map((result) => result.rows[0].pid));
    // Twice: the second time the statement is prepared, and its Parse goes once down each connection.
    for (let round = 0; round < 2; round++) {
      const answer = await unordered(pipelined, lookups(16));
      expect(answer.status).toBe(200);
      expect(answer.body.results.map((result: { ok: boolean; rows: { n: number }[] }) => [result.ok, result.rows[0].n])).toEqual(
        Array.from({ length: 16 }, (_, i) => [true, i]),
      );
      expect(pidsOf(answer).size).toBeLessThanOrEqual(4);
    }
    const spread = await unordered(alone, lookups(16));
    expect(spread.status).toBe(200);
    expect(pidsOf(spread).size).toBeGreaterThan(4);
  });

  it('keeps each statement on its own: a failure between others sharing its connection touches none of them', async () => {
    const statements = [
      { sql: 'SELECT $1::int AS n', params: [1] },
      { sql: 'SELECT 1 / $1::int AS n', params: [0] },
      { sql: 'SELECT $1::int AS n', params: [3] },
      { sql: 'SELECT * FROM no_such_table' },
      { sql: 'UPDATE counters SET n = n + 1 WHERE id = $1', params: [1] },
      { sql: 'SELECT $1::int AS n', params: [6] },
    ];
    const answer = await unordered(pipelined, statements);
    expect(answer.status).toBe(200);
    const [first, divided, third, missing, updated, sixth] = answer.body.results;
    expect([first, third, sixth].map((result) => result.rows)).toEqual([[{ n: 1 }], [{ n: 3 }], [{ n: 6 }]]);
    expect(divided).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', details: { sqlstate: '22012', statementIndex: 1 } } });
    expect(missing).toMatchObject({ ok: false, error: { details: { sqlstate: '42P01', statementIndex: 3 } } });
    expect(updated).toMatchObject({ ok: true, rowCount: 1 });
    expect((await post(pipelined, '/v1/query', { sql: 'SELECT n FROM counters WHERE id = 1' })).body.rows).toEqual([{ n: 1 }]);
  });

  it('runs a statement that must be undoable on a connection of its own, rolled back alone when its count is wrong', async () => {
    const answer = await unordered(pipelined, [
      { sql: 'SELECT $1::int AS n', params: [1] },
      { sql: 'UPDATE counters SET n = n + 10 WHERE id >= $1', params: [2], expectRowCount: 1 },
      { sql: 'UPDATE counters SET n = n + 100 WHERE id = $1 RETURNING n', params: [3] },
      { sql: 'SELECT $1::int AS n', params: [4] },
    ]);
    expect(answer.status).toBe(200);
    const [first, wrongCount, returning, fourth] = answer.body.results;
    expect([first.rows, fourth.rows]).toEqual([[{ n: 1 }], [{ n: 4 }]]);
    expect(wrongCount).toMatchObject({ ok: false, error: { code: 'PRECONDITION_FAILED', details: { statementIndex: 1, rowCount: 2 } } });
    expect(returning).toMatchObject({ ok: true, rows: [{ n: 100 }] });
    const counters = await post(pipelined, '/v1/query', { sql: 'SELECT id, n FROM counters ORDER BY id' });
    expect(counters.body.rows).toEqual([
      { id: 1, n: 1 },
      { id: 2, n: 0 },
      { id: 3, n: 100 },
    ]);
  });

  onPostgres('reads a table whose shape changed under statements prepared on the shared connections', async () => {
    await post(pipelined, '/v1/query', { sql: 'CREATE TABLE reshaped (a int)' });
    await post(pipelined, '/v1/query', { sql: 'INSERT INTO reshaped VALUES (1)' });
    const reads = Array.from({ length: 8 }, () => ({ sql: 'SELECT * FROM reshaped' }));
    for (let round = 0; round < 3; round++) {
      expect((await unordered(pipelined, reads)).body.results.every((result: { ok: boolean }) => result.ok)).toBe(true);
    }
    await post(pipelined, '/v1/query', { sql: 'ALTER TABLE reshaped ADD COLUMN b int DEFAULT 2' });
    const answer = await unordered(pipelined, reads);
    expect(answer.body.results).toEqual(Array.from({ length: 8 }, () => expect.objectContaining({ ok: true, rows: [{ a: 1, b: 2 }] })));
  });
});
