/**
 * The PGlite driver runs each database in a worker thread of its own: a long statement holds neither
 * the proxy's thread nor another database, PostgreSQL's error fields survive the thread boundary, and
 * closed databases leave no thread behind.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../lib/logger.js';
import { seedDataDir } from '../../tests/support/pgliteTemplate.js';
import type { ServiceDatabase } from './driver.js';
import { createPgliteDriver, earlyDatabases, openPgliteEarly } from './pgliteDriver.js';

const LIMITS = { maxRows: 100, maxBytes: 1_000_000 };
let dataDir: string;
let alpha: ServiceDatabase;
let beta: ServiceDatabase;

const query = (db: ServiceDatabase, sql: string, params: (string | null)[] = []) =>
  db.withConnection((connection) => connection.query(sql, params, LIMITS));

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pglite-driver-test-'));
  seedDataDir(dataDir, ['alpha', 'beta']);
  const driver = createPgliteDriver({ dataDir, poolWaitMs: 5_000, logger: createLogger('test', 'silent') });
  [alpha, beta] = await Promise.all([driver.open('alpha'), driver.open('beta')]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([alpha?.close(), beta?.close()]);
  rmSync(dataDir, { recursive: true, force: true });
});

it('runs a long statement without holding the caller or another database', async () => {
  const order: string[] = [];
  const sleeping = query(alpha, 'SELECT pg_sleep(2)').then(() => order.push('alpha slept'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  order.push('timer fired');
  await query(beta, 'SELECT 1');
  order.push('beta answered');
  await sleeping;
  expect(order).toEqual(['timer fired', 'beta answered', 'alpha slept']);
});

it('answers rows as PostgreSQL text, within the limits', async () => {
  const result = await query(alpha, "SELECT n, 'x' || n AS label, NULL::int AS nothing FROM generate_series(1, 3) n");
  expect(result).toMatchObject({
    command: 'SELECT',
    rowCount: 3,
    fields: [
      { name: 'n', dataTypeID: 23 },
      { name: 'label', dataTypeID: 25 },
      { name: 'nothing', dataTypeID: 23 },
    ],
    rows: [
      ['1', 'x1', null],
      ['2', 'x2', null],
      ['3', 'x3', null],
    ],
  });
  const limited = await alpha.withConnection((c) => c.query('SELECT generate_series(1, 5)', [], { maxRows: 2, maxBytes: 1_000 }));
  expect(limited).toMatchObject({ rowCount: 5, rows: [['1'], ['2']], exceeded: 'rows' });
});

it("keeps PostgreSQL's error fields across the thread", async () => {
  await query(beta, 'CREATE TABLE things (id int PRIMARY KEY)');
  await query(beta, 'INSERT INTO things VALUES ($1)', ['1']);
  await expect(query(beta, 'INSERT INTO things VALUES ($1)', ['1'])).rejects.toMatchObject({
    code: '23505',
    severity: 'ERROR',
    constraint: 'things_pkey',
    table: 'things',
    detail: 'Key (id)=(1) already exists.',
    message: expect.stringContaining('duplicate key'),
  });
  // The session is still usable afterwards.
  expect((await query(beta, 'SELECT count(*) FROM things')).rows).toEqual([['1']]);
});

it('starts each database with small shared buffers', async () => {
  expect((await query(alpha, "SELECT current_setting('shared_buffers')")).rows).toEqual([['16MB']]);
});

it('refuses statements once a database is closed', async () => {
  const driver = createPgliteDriver({ dataDir, poolWaitMs: 5_000, logger: createLogger('test', 'silent') });
  seedDataDir(dataDir, ['gamma']);
  const gamma = await driver.open('gamma');
  await gamma.close();
  await expect(query(gamma, 'SELECT 1')).rejects.toMatchObject({ code: 'DB_UNAVAILABLE' });
});

describe('databases opened early (openPgliteEarly, as the platform does before its proxy starts)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pglite-early-test-'));
    seedDataDir(dir, ['gamma', 'delta']);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are taken by the driver that opens them, and those left are closed cleanly by the function returned', async () => {
    const closeLeft = openPgliteEarly(dir, ['gamma', 'delta']);
    expect(earlyDatabases()).toEqual([join(dir, 'gamma'), join(dir, 'delta')]);
    const driver = createPgliteDriver({ dataDir: dir, poolWaitMs: 5_000, logger: createLogger('test', 'silent') });
    const gamma = await driver.open('gamma');
    try {
      expect(earlyDatabases()).toEqual([join(dir, 'delta')]);
      expect((await query(gamma, "SELECT 'early' AS opened")).rows).toEqual([['early']]);
      await closeLeft();
      expect(earlyDatabases()).toEqual([]);
      // Closed, not left open: the driver opens it again and it answers.
      const delta = await driver.open('delta');
      expect((await query(delta, 'SELECT 2')).rows).toEqual([['2']]);
      await delta.close();
    } finally {
      await gamma.close();
    }
  }, 60_000);

  it('leaves a directory it cannot make to the driver, which reports it', async () => {
    const file = join(dir, 'not-a-directory');
    writeFileSync(file, '');
    const closeLeft = openPgliteEarly(file, ['zeta']);
    expect(earlyDatabases()).toEqual([]);
    await closeLeft();
    const driver = createPgliteDriver({ dataDir: file, poolWaitMs: 5_000, logger: createLogger('test', 'silent') });
    await expect(driver.open('zeta')).rejects.toThrow(/ENOTDIR|EEXIST/);
  });

  it('does nothing for in-memory databases', async () => {
    const closeLeft = openPgliteEarly('memory://', ['epsilon']);
    expect(earlyDatabases()).toEqual([]);
    await closeLeft();
  });
});
