/**
 * What the proxy needs from a database, whatever runs it: a bounded set of connections per service
 * database, each running one parameterized statement at a time and handing back PostgreSQL's raw
 * text (decoding is shared, in pgValues.ts, so both drivers answer alike).
 */
import type { FieldInfo } from '../../lib/dbProtocol.js';

export interface RowLimits {
  /** Rows still allowed in the response. */
  maxRows: number;
  /** Bytes of row data still allowed in the response. */
  maxBytes: number;
}

export interface RawResult {
  /** The command tag's verb: SELECT, INSERT, CREATE, ... */
  command: string;
  /** Rows affected (INSERT/UPDATE/DELETE/MERGE) or returned (anything else). */
  rowCount: number;
  fields: FieldInfo[];
  /** Raw text values in field order; only the rows within the limits. */
  rows: (string | null)[][];
  /** Bytes of row data in `rows` (UTF-8 length of the non-null values). */
  bytes: number;
  /** Set when the result went past a limit. */
  exceeded?: 'rows' | 'bytes';
}

export interface QueryOptions {
  /**
   * The statement is one that repeats (SELECT, INSERT, UPDATE, DELETE, ...): the driver may keep it
   * prepared on the connection, so the server parses and plans it once per connection.
   */
  prepare?: boolean;
}

export interface DbConnection {
  query(sql: string, params: readonly (string | null)[], limits: RowLimits, options?: QueryOptions): Promise<RawResult>;
  /** The connection's state is unknown (a failed ROLLBACK): close it instead of reusing it. */
  discard(reason: unknown): void;
}

/**
 * A statement kept prepared on the connection no longer fits it (its tables changed shape, or it was
 * deallocated): it did not run. The connection is discarded when released; run the statement (or the
 * transaction it was part of, which the server aborted) again without preparing.
 */
export class StalePreparedStatementError extends Error {
  constructor(readonly reason: unknown) {
    super(`a prepared statement went stale: ${(reason as Error)?.message ?? String(reason)}`);
    this.name = 'StalePreparedStatementError';
  }
}

/** A database's connection pool as metrics read it (db-proxy/metrics.ts). */
export interface PoolState {
  /** Connections it may hold at most. */
  readonly size: number;
  readonly inUse: number;
  /** Requests waiting for a connection. */
  readonly queued: number;
}

export interface ServiceDatabase {
  readonly service: string;
  /** The PostgreSQL database name, or the PGlite directory. */
  readonly databaseName: string;
  readonly pool: PoolState;
  /**
   * Runs `fn` with a connection of its own, waiting at most the pool wait for one (then 503
   * POOL_EXHAUSTED). A connection that broke on the way is discarded, not returned to the pool.
   */
  withConnection<T>(fn: (connection: DbConnection) => Promise<T>): Promise<T>;
  /** SELECT 1, for readiness. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseDriver {
  readonly kind: 'postgres' | 'pglite';
  /** Opens (and on PostgreSQL, creates if missing) the database of one service. */
  open(service: string): Promise<ServiceDatabase>;
}

const DATA_CHANGING_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY']);

/** Collects raw rows up to the limits, counting (not keeping) the rest. */
export class RowCollector {
  readonly rows: (string | null)[][] = [];
  /** Every row the statement returned, kept or not. */
  seen = 0;
  exceeded?: 'rows' | 'bytes';
  private bytes = 0;

  constructor(private readonly limits: RowLimits) {}

  add(row: (string | null)[]): void {
    this.seen++;
    if (this.exceeded) return;
    if (this.rows.length >= this.limits.maxRows) {
      this.exceeded = 'rows';
      return;
    }
    let size = 0;
    for (const value of row) if (value !== null) size += Buffer.byteLength(value);
    if (this.bytes + size > this.limits.maxBytes) {
      this.exceeded = 'bytes';
      return;
    }
    this.bytes += size;
    this.rows.push(row);
  }

  result(command: string | null | undefined, affectedRows: number | null | undefined, fields: FieldInfo[]): RawResult {
    const verb = (command ?? '').toUpperCase();
    return {
      command: verb,
      rowCount: DATA_CHANGING_COMMANDS.has(verb) ? (affectedRows ?? 0) : this.seen,
      fields,
      rows: this.rows,
      bytes: this.bytes,
      ...(this.exceeded ? { exceeded: this.exceeded } : {}),
    };
  }
}

/** Session settings both drivers start every connection with, so dates print alike. */
export const SESSION_SETTINGS = { TimeZone: 'UTC', DateStyle: 'ISO, MDY', IntervalStyle: 'postgres' } as const;
