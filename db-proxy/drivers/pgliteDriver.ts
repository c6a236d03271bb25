/**
 * Embedded PostgreSQL (PGlite, WASM): one instance per service database, persisted under
 * `<dataDir>/<service>`, each in a worker thread of its own (pgliteWorker.mjs). PGlite has a single
 * session, so it is a pool of one connection with the same bounded wait as PostgreSQL's pools; a
 * transaction holds it until it ends.
 *
 * Why threads: PGlite runs PostgreSQL synchronously in WASM. In the proxy's own thread, opening three
 * databases took over a second of CPU during which nothing else could run, and a long statement held
 * the gateway and the subgraphs of `npm start` too. In workers the databases open in parallel with
 * the rest of start-up, and a statement holds only its own database.
 *
 * Known limit: PGlite does not fire statement_timeout, so a long statement holds its database until
 * it finishes.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FieldInfo } from '../../lib/dbProtocol.js';
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

/**
 * PostgreSQL settings each database starts with. PostgreSQL's default shared_buffers (128MB) made
 * every start allocate and initialise 128 MB of WASM memory per database; a service database here
 * is a few MB, and the OS page cache holds the rest.
 */
const PGLITE_START_PARAMS: readonly string[] = ['-c', 'shared_buffers=16MB'];

const WORKER = new URL('./pgliteWorker.mjs', import.meta.url);

/** What the worker posts back: the result of one request, or its open / failed state. */
type WorkerMessage =
  | { type: 'open' }
  | { type: 'failed'; error: SerializedError }
  | { id: number; ok: WorkerResult | true }
  | { id: number; error: SerializedError };

interface WorkerResult {
  command?: string;
  affectedRows?: number;
  fields: FieldInfo[];
  rows: (string | null)[][];
}

/** An error's own fields (PostgreSQL's code, severity, detail, ...), name, message and stack. */
type SerializedError = Record<string, string | number | boolean | null> & { message: string; name?: string; stack?: string };

/** Rebuilds the worker's error with the fields pgErrors.ts reads (code, severity, detail, ...). */
function toError(serialized: SerializedError): Error {
  const { message, name, stack, ...fields } = serialized;
  const err = Object.assign(new Error(message), fields);
  if (name) err.name = name;
  if (stack) err.stack = stack;
  return err;
}

/** One database's thread, with requests matched to answers by id. */
class PgliteThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (value: WorkerResult | true) => void; reject: (err: Error) => void }>();
  private nextId = 1;
  private exited?: Error;
  readonly opened: Promise<void>;

  constructor(location: string, private readonly service: string) {
    // No execArgv: the worker is plain JavaScript and needs none of the parent's loaders.
    this.worker = new Worker(WORKER, {
      workerData: { location, startParams: PGLITE_START_PARAMS, sessionSettings: SESSION_SETTINGS },
      execArgv: [],
    });
    this.opened = new Promise<void>((resolveOpen, rejectOpen) => {
      this.worker.on('message', (message: WorkerMessage) => {
        if ('type' in message) {
          if (message.type === 'open') resolveOpen();
          else rejectOpen(toError(message.error));
          this.idle();
          return;
        }
        const waiter = this.pending.get(message.id);
        if (!waiter) return;
        this.pending.delete(message.id);
        if ('error' in message) waiter.reject(toError(message.error));
        else waiter.resolve(message.ok);
        this.idle();
      });
      const fail = (err: Error) => {
        this.exited ??= err;
        rejectOpen(err);
        for (const waiter of this.pending.values()) waiter.reject(err);
        this.pending.clear();
      };
      this.worker.on('error', (err) => fail(new Error(`the PGlite thread of ${service} failed: ${err.message}`)));
      this.worker.on('exit', (code) => fail(new Error(`the PGlite thread of ${service} exited (code ${code})`)));
    });
  }

  /** Keeps the process alive only while the thread has work: an idle database must not hold it open. */
  private idle(): void {
    if (this.pending.size === 0) this.worker.unref();
  }

  private request(message: Record<string, unknown>): Promise<WorkerResult | true> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolveRequest, rejectRequest) => {
      this.pending.set(id, { resolve: resolveRequest, reject: rejectRequest });
      this.worker.ref();
      this.worker.postMessage({ ...message, id });
    });
  }

  async query(sql: string, params: readonly (string | null)[]): Promise<WorkerResult> {
    return (await this.request({ type: 'query', sql, params })) as WorkerResult;
  }

  /** Closes the database, then the thread; a thread that does not answer within 10 s is terminated. */
  async close(): Promise<void> {
    if (this.exited) return;
    const exit = new Promise<void>((resolveExit) => this.worker.once('exit', () => resolveExit()));
    const timer = setTimeout(() => void this.worker.terminate(), 10_000);
    try {
      await this.request({ type: 'close' });
    } catch (err) {
      if (!this.exited) throw err;
    }
    await exit;
    clearTimeout(timer);
  }

  /** Stops the thread at once (a database that failed to open). */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  get label(): string {
    return `database ${this.service}`;
  }
}

/** Threads started by openPgliteEarly(), by database directory, until a driver's open() takes them. */
const earlyThreads = new Map<string, PgliteThread>();

/**
 * Starts opening the databases of `services` under `dataDir` now, for a driver created later in this
 * process to take: opening PGlite databases is the slowest step of the platform's start, and it runs
 * in threads of its own while the starting thread loads the services' modules. Returns a function
 * that closes those no driver took by then. Directories only: an in-memory database is not shared.
 */
export function openPgliteEarly(dataDir: string, services: readonly string[]): () => Promise<void> {
  if (dataDir.startsWith('memory://')) return async () => {};
  const started: string[] = [];
  for (const service of services) {
    const location = resolve(dataDir, service);
    if (earlyThreads.has(location)) continue;
    try {
      mkdirSync(location, { recursive: true });
    } catch {
      continue; // the driver's open() meets it again and reports it
    }
    const thread = new PgliteThread(location, service);
    // A failure is reported by the open() that takes the thread, or dropped with it.
    thread.opened.catch(() => {});
    earlyThreads.set(location, thread);
    started.push(location);
  }
  return async () => {
    const left = started.flatMap((location) => takeEarlyThread(location) ?? []);
    await Promise.all(left.map((thread) => thread.opened.then(() => thread.close(), () => thread.terminate())));
  };
}

/** The databases (directories) openPgliteEarly() started that no driver has taken yet. */
export function earlyDatabases(): string[] {
  return [...earlyThreads.keys()];
}

/** The thread openPgliteEarly() started for `location`, if any, now the caller's. */
function takeEarlyThread(location: string): PgliteThread | undefined {
  const thread = earlyThreads.get(location);
  earlyThreads.delete(location);
  return thread;
}

export function createPgliteDriver(options: PgliteDriverOptions): DatabaseDriver {
  const inMemory = options.dataDir.startsWith('memory://');

  return {
    kind: 'pglite',
    async open(service: string): Promise<ServiceDatabase> {
      const location = inMemory ? 'memory://' : resolve(options.dataDir, service);
      if (!inMemory) mkdirSync(location, { recursive: true });
      const thread = (!inMemory && takeEarlyThread(location)) || new PgliteThread(location, service);
      try {
        await thread.opened;
      } catch (err) {
        await thread.terminate().catch(() => {});
        throw err;
      }
      const gate = new ConnectionGate(1, options.poolWaitMs, thread.label);

      async function runQuery(sql: string, params: readonly (string | null)[], limits: RowLimits): Promise<RawResult> {
        const result = await thread.query(sql, params);
        const collector = new RowCollector(limits);
        for (const row of result.rows) collector.add(row);
        return collector.result(result.command, result.affectedRows, result.fields);
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
            await thread.query('ROLLBACK', []).catch(() => {});
          }
          release();
        }
      }

      return {
        service,
        databaseName: service,
        pool: gate,
        withConnection,
        async ping() {
          await withConnection((c) => c.query('SELECT 1', [], { maxRows: 1, maxBytes: 64 }));
        },
        async close() {
          // Let a statement in progress finish before the instance goes away.
          const release = await gate.acquire(10_000).catch(() => undefined);
          gate.close(`database ${service} is closing`);
          try {
            await thread.close();
          } finally {
            release?.();
          }
        },
      };
    },
  };
}
