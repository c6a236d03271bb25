/**
 * Real PostgreSQL through `pg`: one database per service (DB_NAME_PREFIX + service, created at first
 * start), one pg Pool per database, so a service's connections can only ever reach its own database.
 * Statements go over the extended protocol, where the server itself refuses several statements in one.
 */
import pg from 'pg';
import { AppError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { ConnectionGate } from '../connectionGate.js';
import { breaksConnection, sqlstateOf } from '../pgErrors.js';
import {
  RowCollector,
  SESSION_SETTINGS,
  StalePreparedStatementError,
  type DatabaseDriver,
  type DbConnection,
  type RawResult,
  type RowLimits,
  type ServiceDatabase,
} from './driver.js';

export interface PgDriverOptions {
  /** Any database on the server; used to create the service databases. */
  databaseUrl: string;
  dbNamePrefix: string;
  poolMax: number;
  poolWaitMs: number;
  statementTimeoutMs: number;
  logger: Logger;
  /** How long opening one connection may take. @default 5000 */
  connectTimeoutMs?: number;
  /** Statements kept prepared per connection (0: none). @default 100 */
  preparedStatements?: number;
}

/** Every value stays PostgreSQL text; pgValues.ts decodes it the same way for both drivers. */
const RAW_TEXT_TYPES: pg.CustomTypesConfig = {
  getTypeParser: (() => (value: string) => value) as unknown as pg.CustomTypesConfig['getTypeParser'],
};

const SESSION_OPTIONS = Object.entries(SESSION_SETTINGS)
  .map(([name, value]) => `-c ${name}=${value.replace(/ /g, '')}`)
  .join(' ');

/**
 * A prepared statement the server will not run any more: the result type of a table it reads changed
 * (0A000 "cached plan must not change result type"), or it is gone (26000). Nothing ran.
 */
function isStalePlan(err: unknown): boolean {
  const sqlstate = sqlstateOf(err);
  if (sqlstate === '26000') return true;
  return sqlstate === '0A000' && /cached plan must not change result type/.test((err as Error).message ?? '');
}

/** Statement texts remembered as seen once, per database; a text is prepared when it comes again. */
const SEEN_LIMIT = 10_000;

/** DATABASE_URL with its database replaced. */
export function urlForDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export function createPgDriver(options: PgDriverOptions): DatabaseDriver {
  const { logger } = options;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const preparedPerConnection = options.preparedStatements ?? 100;
  let roleChecked = false;

  async function ensureDatabase(name: string): Promise<void> {
    const admin = new pg.Client({ connectionString: options.databaseUrl, connectionTimeoutMillis: connectTimeoutMs });
    try {
      await admin.connect();
    } catch (err) {
      throw new Error(`Cannot connect to PostgreSQL at DATABASE_URL: ${(err as Error).message}`, { cause: err });
    }
    try {
      if (!roleChecked) {
        roleChecked = true;
        const { rows } = await admin.query<{ rolsuper: boolean }>(
          'SELECT rolsuper FROM pg_roles WHERE rolname = current_user',
        );
        if (rows[0]?.rolsuper) {
          logger.warn(
            'connected to PostgreSQL as a superuser: a service could reach other databases through server-side ' +
              'files or extensions; run the proxy as a role with CREATEDB only',
          );
        }
      }
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (rowCount) return;
      try {
        // The name is checked against [a-z0-9_] in config.ts; quoting keeps it exactly as given.
        await admin.query(`CREATE DATABASE "${name}"`);
        logger.info({ database: name }, 'created database');
      } catch (err) {
        // Another proxy starting at the same moment created it first.
        const sqlstate = sqlstateOf(err);
        if (sqlstate !== '42P04' && sqlstate !== '23505') throw err;
      }
    } finally {
      await admin.end().catch(() => {});
    }
  }

  return {
    kind: 'postgres',
    async open(service: string): Promise<ServiceDatabase> {
      const databaseName = options.dbNamePrefix + service;
      await ensureDatabase(databaseName);
      const pool = new pg.Pool({
        connectionString: urlForDatabase(options.databaseUrl, databaseName),
        max: options.poolMax,
        idleTimeoutMillis: 30_000,
        connectionTimeoutMillis: connectTimeoutMs,
        statement_timeout: options.statementTimeoutMs,
        keepAlive: true,
        application_name: `db-proxy/${service}`,
        options: SESSION_OPTIONS,
        types: RAW_TEXT_TYPES,
        // Statements given to a connection together go out together (the executor's unordered
        // batches); one at a time, nothing changes.
        pipeline: true,
      } as pg.PoolConfig);
      // An idle connection the server closed (restart, pg_terminate_backend) is dropped by the pool;
      // without a listener that 'error' event would end the process.
      pool.on('error', (err) => logger.warn({ err, database: databaseName }, 'idle database connection lost'));
      const gate = new ConnectionGate(options.poolMax, options.poolWaitMs, `database ${databaseName}`);
      // A server that stops answering (network split) must not hold a connection forever; the
      // statement timeout fires first whenever the server is still there.
      const readTimeoutMs = options.statementTimeoutMs + 5_000;

      // Statements that repeat are prepared once per connection (named), so the server skips parsing
      // and planning them again: for a one-row lookup that is most of the server's work. A text is
      // prepared the second time it is seen, so one-off statements never take a connection's slots.
      const seenOnce = new Set<string>();
      const preparedOn = new WeakMap<pg.PoolClient, Map<string, string>>();
      let named = 0;
      const statementName = (client: pg.PoolClient, sql: string): string | undefined => {
        let names = preparedOn.get(client);
        const known = names?.get(sql);
        if (known !== undefined) return known;
        if ((names?.size ?? 0) >= preparedPerConnection) return undefined;
        if (!seenOnce.has(sql)) {
          if (seenOnce.size >= SEEN_LIMIT) seenOnce.clear();
          seenOnce.add(sql);
          return undefined;
        }
        if (!names) preparedOn.set(client, (names = new Map()));
        const name = `db_proxy_${++named}`;
        names.set(sql, name);
        return name;
      };

      async function withConnection<T>(fn: (connection: DbConnection) => Promise<T>): Promise<T> {
        const release = await gate.acquire();
        let client: pg.PoolClient;
        try {
          client = await pool.connect();
        } catch (err) {
          release();
          throw new AppError('DB_UNAVAILABLE', `Cannot connect to database ${databaseName}: ${(err as Error).message}`, {
            details: { retryable: true, ...(sqlstateOf(err) ? { sqlstate: sqlstateOf(err) } : {}) },
            retryAfterSeconds: 1,
            cause: err,
          });
        }
        let discardReason: unknown;
        let stale = false;
        // While checked out, the pool does not listen for the client's errors; an unheard 'error'
        // (the server ending the session mid-request) would end the process.
        const onClientError = (err: Error) => {
          discardReason ??= err;
        };
        client.on('error', onClientError);
        const connection: DbConnection = {
          async query(sql, params, limits, queryOptions) {
            const name = queryOptions?.prepare && !stale && preparedPerConnection > 0 ? statementName(client, sql) : undefined;
            try {
              return await runQuery(client, sql, params, limits, readTimeoutMs, name);
            } catch (err) {
              if (name !== undefined && isStalePlan(err)) {
                // The connection's prepared statements are not to be trusted any more: none are used
                // for the rest of this checkout, and the connection is replaced when released.
                stale = true;
                discardReason ??= err;
                throw new StalePreparedStatementError(err);
              }
              if (breaksConnection(err)) discardReason ??= err;
              throw err;
            }
          },
          discard(reason) {
            discardReason ??= reason ?? new Error('discarded');
          },
        };
        try {
          return await fn(connection);
        } finally {
          if (stale) {
            logger.info({ reason: (discardReason as Error)?.message, database: databaseName }, 'replacing a connection whose prepared statements went stale');
          } else if (discardReason !== undefined) {
            logger.warn({ err: discardReason, database: databaseName }, 'discarding a broken database connection');
          }
          client.off('error', onClientError);
          client.release(discardReason !== undefined);
          release();
        }
      }

      return {
        service,
        databaseName,
        pool: gate,
        withConnection,
        async ping() {
          await withConnection((c) => c.query('SELECT 1', [], { maxRows: 1, maxBytes: 64 }));
        },
        async close() {
          gate.close(`database ${databaseName} is closing`);
          await pool.end();
        },
      };
    },
  };
}

/**
 * Runs one statement as a pg Query whose rows arrive one by one, so only those within the limits
 * are kept and an oversized result costs no more memory than the limits allow. (pg's own
 * query_timeout is not used: it replaces the query's callback, which silences a submitted query's
 * 'error' event, so the read timeout is kept here.)
 */
function runQuery(
  client: pg.PoolClient,
  sql: string,
  params: readonly (string | null)[],
  limits: RowLimits,
  readTimeoutMs: number,
  name: string | undefined,
): Promise<RawResult> {
  return new Promise<RawResult>((resolve, reject) => {
    const collector = new RowCollector(limits);
    const timer = setTimeout(
      () => reject(new Error(`the database did not answer within ${readTimeoutMs} ms`)),
      readTimeoutMs,
    );
    const query = new pg.Query({
      ...(name === undefined ? {} : { name }),
      text: sql,
      values: params as (string | null)[],
      rowMode: 'array',
      queryMode: 'extended',
    } as pg.QueryConfig);
    query.on('row', (row) => collector.add(row as unknown as (string | null)[]));
    query.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    query.on('end', (result) => {
      clearTimeout(timer);
      const fields = result.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID }));
      resolve(collector.result(result.command, result.rowCount, fields));
    });
    client.query(query);
  });
}
