/**
 * Where a test's databases live: a private copy of the PGlite template by default, or uniquely
 * prefixed databases on the real PostgreSQL at TEST_DATABASE_URL (dropped again afterwards).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { seedDataDir } from './pgliteTemplate.js';

export interface TestDatabase {
  /** Environment for the connection proxy: PGLITE_DATA_DIR, or DATABASE_URL + DB_NAME_PREFIX. */
  env: Record<string, string>;
  driver: 'pglite' | 'postgres';
  /** The PostgreSQL server the databases live on, for tests that administer it; undefined on PGlite. */
  adminUrl?: string;
  /** Drops the databases (PostgreSQL) or removes the data directory (PGlite). */
  dispose(): Promise<void>;
}

export const usingRealPostgres = (): boolean => Boolean(process.env.TEST_DATABASE_URL);

/** `databases`: the services whose PGlite databases start as template copies (others initialise fresh). */
export function createTestDatabase(databases: string[] = ['products', 'orders', 'search']): TestDatabase {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const prefix = `t${randomBytes(4).toString('hex')}_`;
    return {
      driver: 'postgres',
      env: { DATABASE_URL: url, DB_NAME_PREFIX: prefix },
      adminUrl: url,
      dispose: () => dropDatabases(url, prefix),
    };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'platform-test-'));
  seedDataDir(dataDir, databases);
  return {
    driver: 'pglite',
    env: { PGLITE_DATA_DIR: dataDir },
    dispose: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** Whether a PostgreSQL server answers at `url` (within 2 s). */
export async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Drops every database on the server at `url` whose name starts with `prefix`. */
export async function dropDatabases(url: string, prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [prefix],
    );
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS "${datname.replace(/"/g, '""')}" WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}

/** A random credential for a test run, never a well-known one. */
export function testSecret(): string {
  return randomBytes(18).toString('base64url');
}

/** The secrets docker-compose.yml reads from .env, each a fresh random one (`given` replaces some). */
export function composeSecrets(given: Record<string, string> = {}): Record<string, string> {
  return {
    INTERNAL_SERVICE_TOKEN: testSecret(),
    IDENTITY_SIGNING_SECRET: testSecret(),
    JWT_SECRET: testSecret(),
    PRODUCTS_DB_CREDENTIAL: testSecret(),
    ORDERS_DB_CREDENTIAL: testSecret(),
    SEARCH_DB_CREDENTIAL: testSecret(),
    ...given,
  };
}
