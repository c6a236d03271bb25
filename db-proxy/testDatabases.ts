/**
 * Databases for the proxy's own integration tests: uniquely prefixed databases on the PostgreSQL at
 * TEST_DATABASE_URL (dropped by dispose), otherwise a temporary PGlite data directory (removed).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface ProxyTestDatabases {
  /** DATABASE_URL + DB_NAME_PREFIX, or PGLITE_DATA_DIR. */
  env: Record<string, string>;
  /** The server the databases live on, for tests that administer it; undefined on PGlite. */
  adminUrl?: string;
  dispose(): Promise<void>;
}

export const testDatabaseUrl = (): string | undefined => process.env.TEST_DATABASE_URL || undefined;

export function createProxyTestDatabases(): ProxyTestDatabases {
  const url = testDatabaseUrl();
  if (url) {
    const prefix = `t${randomBytes(5).toString('hex')}_`;
    return {
      env: { DATABASE_URL: url, DB_NAME_PREFIX: prefix },
      adminUrl: url,
      dispose: () => dropDatabases(url, prefix),
    };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'db-proxy-test-'));
  return {
    env: { PGLITE_DATA_DIR: dataDir },
    dispose: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

async function dropDatabases(url: string, prefix: string): Promise<void> {
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
export function randomCredential(): string {
  return randomBytes(18).toString('base64url');
}
