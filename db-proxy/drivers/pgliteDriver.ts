/**
 * Embedded PostgreSQL (PGlite, WASM): one instance per service database, persisted under
 * `<dataDir>/<service>`. PGlite has a single session, so it is a pool of one connection with the
 * same bounded wait as PostgreSQL's pools; a transaction holds it until it ends.
 *
 * Known limit: PGlite runs statements synchronously on the proxy's own thread and does not fire
 * statement_timeout, so a long statement holds the whole proxy until it finishes.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import type { Logger } from '../../lib/logger.js';
import { ConnectionGate } from '../connectionGate.js';
import {
  RowCollector,
  SESSION_SETTINGS,
  type DatabaseDriver,
  type DbConnection,
  type RawResult,
  type RowLimits,
  type ServiceDatabase,
} from './driver.js';

export interface PgliteDriverOptions {
  /** Directory holding one sub-directory per service, or `memory://` for throw-away databases. */
  dataDir: string;
  poolWaitMs: number;
  logger: Logger;
}

type TextParser = (value: string) => string;
const keepText: TextParser = (value) => value;
/** Parameters arrive already as PostgreSQL text (pgValues.ts); PGlite must not convert them again. */
const passParamsThrough = new Proxy({} as Record<string, (value: unknown) => string>, {
  get: () => (value: unknown) => value as string,
});

/** A parser for every type PGlite knows (built-in and array types), each returning the raw text. */
function rawTextParsers(db: PGlite): Record<string, TextParser> {
  const oids = new Set([...Object.keys(pgliteTypes.parsers), ...Object.keys(db.parsers)]);
  return Object.fromEntries([...oids].map((oid) => [oid, keepText]));
}

export function createPgliteDriver(options: PgliteDriverOptions): DatabaseDriver {
  const inMemory = options.dataDir.startsWith('memory://');

  return {
    kind: 'pglite',
    async open(service: string): Promise<ServiceDatabase> {
      const location = inMemory ? 'memory://' : resolve(options.dataDir, service);
      if (!inMemory) mkdirSync(location, { recursive: true });
      const db = await PGlite.create(location);
      try {
        for (const [name, value] of Object.entries(SESSION_SETTINGS)) {
          await db.query(`SELECT set_config($1, $2, false)`, [name, value]);
        }
      } catch (err) {
        await db.close().catch(() => {});
        throw err;
      }
      let parsers = rawTextParsers(db);
      let parserCount = Object.keys(db.parsers).length;
      const gate = new ConnectionGate(1, options.poolWaitMs, `database ${service}`);

      async function runQuery(sql: string, params: readonly (string | null)[], limits: RowLimits): Promise<RawResult> {
        // PGlite answers within one turn of the event loop; yielding lets waiting requests and
        // their pool-wait timers run between the statements of a batch or transaction.
        await nextTurn();
        if (Object.keys(db.parsers).length !== parserCount) {
          parsers = rawTextParsers(db); // PGlite learned new array types
          parserCount = Object.keys(db.parsers).length;
        }
        const result = await db.query<(string | null)[]>(sql, params as (string | null)[], {
          rowMode: 'array',
          parsers,
          serializers: passParamsThrough,
        });
        const collector = new RowCollector(limits);
        for (const row of result.rows) collector.add(row);
        const fields = result.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID }));
        return collector.result(result.command, result.affectedRows, fields);
      }

      async function withConnection<T>(fn: (connection: DbConnection) => Promise<T>): Promise<T> {
        const release = await gate.acquire();
        let discardReason: unknown;
        const connection: DbConnection = {
          query: runQuery,
          discard(reason) {
            discardReason ??= reason ?? new Error('discarded');
          },
        };
        try {
          return await fn(connection);
        } finally {
          if (discardReason !== undefined) {
            // The only session cannot be replaced; make sure it is not left inside a transaction.
            options.logger.warn({ err: discardReason, database: service }, 'resetting the PGlite session');
            await db.query('ROLLBACK').catch(() => {});
          }
          release();
        }
      }

      return {
        service,
        databaseName: service,
        withConnection,
        async ping() {
          await withConnection((c) => c.query('SELECT 1', [], { maxRows: 1, maxBytes: 64 }));
        },
        async close() {
          // Let a statement in progress finish before the instance goes away.
          const release = await gate.acquire(10_000).catch(() => undefined);
          gate.close(`database ${service} is closing`);
          try {
            await db.close();
          } finally {
            release?.();
          }
        },
      };
    },
  };
}
