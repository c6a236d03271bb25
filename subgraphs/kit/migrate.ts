/**
 * Versioned schema migrations, applied through the proxy when a service starts. Each migration runs
 * in one transaction that first claims its version row; a second runner (a restart, or another
 * replica starting at the same time) finds the row taken and skips it, so running twice is safe.
 */
import { AppError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { Db, Statement } from './dbClient.js';

export interface Migration {
  /** Increasing integer; never reuse or reorder a released version. */
  version: number;
  name: string;
  /** Statements, or a function producing them (e.g. seed data generated in code). */
  statements: Statement[] | (() => Statement[]);
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

export async function migrate(db: Db, migrations: Migration[], logger?: Logger): Promise<number[]> {
  const versions = migrations.map((m) => m.version);
  if (new Set(versions).size !== versions.length) throw new Error('migrations: duplicate version numbers');

  try {
    await db.query(CREATE_TABLE);
  } catch (err) {
    // Two replicas creating the table at once can race on the catalog; the table exists either way.
    if (!(err instanceof AppError && err.code === 'CONFLICT')) throw err;
  }
  const applied = new Set(
    (await db.read<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)),
  );
  const done: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    const statements = typeof migration.statements === 'function' ? migration.statements() : migration.statements;
    try {
      await db.transaction([
        {
          sql: 'INSERT INTO schema_migrations (version, name) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING',
          params: [migration.version, migration.name],
          expectRowCount: 1,
        },
        ...statements,
      ]);
      done.push(migration.version);
      logger?.info({ version: migration.version, migration: migration.name }, 'migration applied');
    } catch (err) {
      if (err instanceof AppError && err.code === 'PRECONDITION_FAILED' && err.details?.statementIndex === 0) {
        continue; // applied by another runner meanwhile
      }
      throw err;
    }
  }
  return done;
}
