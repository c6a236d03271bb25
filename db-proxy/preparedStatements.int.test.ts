/**
 * On PostgreSQL the proxy keeps statements that repeat prepared on each connection. These cases run
 * on the real server only (PGlite has no pooled connections to prepare on; the suite reports itself
 * skipped there): statements are prepared from their second run, a table that changes shape under a
 * prepared statement is read correctly (the statement, batch entry or whole transaction runs again
 * unprepared), and services cannot deallocate the proxy's statements.
 */
import { usingRealPostgres } from '../tests/support/testDatabase.js';
import { startTestDbProxy, type TestDbProxy } from '../tests/support/testDbProxy.js';

const describeOnPostgres = usingRealPostgres() ? describe : describe.skip;

describeOnPostgres('prepared statements (real PostgreSQL)', () => {
  let proxy: TestDbProxy;
  let unprepared: TestDbProxy;

  beforeAll(async () => {
    // One connection, so every request sees the same connection's prepared statements.
    proxy = await startTestDbProxy(['products'], { DB_POOL_MAX: '1' });
    unprepared = await startTestDbProxy(['products'], { DB_POOL_MAX: '1', DB_PREPARED_STATEMENTS: '0' });
  }, 60_000);

  afterAll(async () => {
    await proxy?.close();
    await unprepared?.close();
  });

  async function post(path: string, body: unknown, target: TestDbProxy = proxy) {
    const response = await fetch(`${target.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${target.credentials.products}` },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  }
  const query = (sql: string, params: unknown[] = [], target?: TestDbProxy) => post('/v1/query', { sql, params }, target);
  const preparedTexts = async (target: TestDbProxy = proxy) =>
    (await query('SELECT statement FROM pg_prepared_statements ORDER BY statement', [], target)).body.rows.map(
      (row: { statement: string }) => row.statement,
    );

  it('prepares a statement the second time it runs, and only statements that repeat', async () => {
    const lookup = 'SELECT $1::int + 1 AS next';
    expect((await query(lookup, [1])).body.rows).toEqual([{ next: 2 }]);
    expect(await preparedTexts()).not.toContain(lookup);
    expect((await query(lookup, [2])).body.rows).toEqual([{ next: 3 }]);
    expect((await query(lookup, [3])).body.rows).toEqual([{ next: 4 }]);
    expect(await preparedTexts()).toContain(lookup);
    // DDL is never prepared, however often it comes.
    for (let i = 0; i < 3; i++) await query('CREATE TABLE IF NOT EXISTS noted (n int)');
    expect((await preparedTexts()).some((text: string) => text.startsWith('CREATE'))).toBe(false);
  });

  it('prepares nothing with DB_PREPARED_STATEMENTS=0', async () => {
    for (let i = 0; i < 3; i++) await query('SELECT $1::int AS n', [i], unprepared);
    expect(await preparedTexts(unprepared)).toEqual([]);
  });

  it('reads a table whose shape changed under a prepared statement: alone, in a batch and in a transaction', async () => {
    await query('CREATE TABLE shape (a int)');
    await query('INSERT INTO shape VALUES (1)');
    const readAll = 'SELECT * FROM shape';
    for (let i = 0; i < 3; i++) expect((await query(readAll)).body.rows).toEqual([{ a: 1 }]);

    await query('ALTER TABLE shape ADD COLUMN b int DEFAULT 2');
    const alone = await query(readAll);
    expect(alone.status).toBe(200);
    expect(alone.body.rows).toEqual([{ a: 1, b: 2 }]);

    for (let i = 0; i < 3; i++) await query(readAll);
    await query('ALTER TABLE shape ADD COLUMN c int DEFAULT 3');
    const batch = await post('/v1/batch', { statements: [{ sql: 'SELECT 1 AS one' }, { sql: readAll }] });
    expect(batch.body.results[1]).toMatchObject({ ok: true, rows: [{ a: 1, b: 2, c: 3 }] });

    for (let i = 0; i < 3; i++) await query(readAll);
    await query('ALTER TABLE shape ADD COLUMN d int DEFAULT 4');
    const transaction = await post('/v1/transaction', {
      statements: [{ sql: 'INSERT INTO shape (a) VALUES ($1)', params: [5] }, { sql: readAll }],
    });
    expect(transaction.status).toBe(200);
    // The insert ran once: the transaction was rolled back before it ran again.
    expect(transaction.body.results[1].rows).toEqual([
      { a: 1, b: 2, c: 3, d: 4 },
      { a: 5, b: 2, c: 3, d: 4 },
    ]);
    expect((await query('SELECT count(*)::int AS n FROM shape')).body.rows).toEqual([{ n: 2 }]);
  });

  it('refuses DEALLOCATE, which would remove the proxy\'s statements', async () => {
    const answer = await query('DEALLOCATE ALL');
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/DEALLOCATE/);
  });

  it('keeps errors as they were for prepared statements', async () => {
    const insert = 'INSERT INTO unique_keys (k) VALUES ($1)';
    await query('CREATE TABLE unique_keys (k text PRIMARY KEY)');
    expect((await query(insert, ['a'])).status).toBe(200);
    expect((await query(insert, ['b'])).status).toBe(200);
    const duplicate = await query(insert, ['a']);
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.details.sqlstate).toBe('23505');
    expect((await query(insert, ['c'])).status).toBe(200);
  });
});
