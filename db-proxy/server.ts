/**
 * The connection proxy: an HTTP service that holds the pooled connections and runs parameterized
 * statements, batches and transactions for the services, each on its own database only. The wire
 * protocol is lib/dbProtocol.ts.
 */
import type { RequestListener } from 'node:http';
import express from 'express';
import { Draining, errorHandler, healthRoutes, listen, notFoundHandler } from '../lib/httpServer.js';
import { Lifecycle } from '../lib/lifecycle.js';
import { createLogger, requestLogging, type Logger } from '../lib/logger.js';
import { createCredentialCheck, type CredentialCheck } from './auth.js';
import { credentialProblem, databaseNameProblem, loadDbProxyConfig, type DbProxyConfig } from './config.js';
import type { DatabaseDriver, ServiceDatabase } from './drivers/driver.js';
import { createPgDriver } from './drivers/pgDriver.js';
import { createPgliteDriver, openPgliteEarly } from './drivers/pgliteDriver.js';
import { StatementExecutor, type ExecutionLimits } from './executor.js';
import { RequestStats, type DbProxyStats } from './stats.js';
import { createV1Handler } from './v1Handler.js';
import { createDbProxyMetrics, type DbProxyMetrics } from './metrics.js';
import { httpMetrics, METRICS_PATH } from '../lib/metrics.js';
import { createTracing, serverSpans, type Tracing } from '../lib/tracing.js';

export type { DbProxyStats, ServiceStats } from './stats.js';

export interface StartDbProxyOptions {
  /** @default a pino logger named db-proxy at config.logLevel */
  logger?: Logger;
  /** The proxy's tracing (tests: one with an in-memory exporter). @default from OTEL_EXPORTER_OTLP_ENDPOINT, else off */
  tracing?: Tracing;
}

export interface RunningDbProxy {
  /** Base URL, e.g. http://127.0.0.1:4010 */
  url: string;
  port: number;
  driver: 'postgres' | 'pglite';
  /** Service name -> its database (PostgreSQL database name, or PGlite directory name). */
  databases: Record<string, string>;
  /**
   * Gives one more service its own database and accepts its credential from now on, without a
   * restart (a subgraph added while the platform runs): opens its PGlite directory, or creates its
   * PostgreSQL database when missing. The same service and credential again is a no-op; a name or
   * credential DB_PROXY_CREDENTIALS would refuse is refused here too.
   */
  addService(service: string, credential: string): Promise<void>;
  /** Stops taking requests, then closes every database. */
  close(): Promise<void>;
  /** Requests per service and endpoint since start (or the last resetStats()). */
  stats(): DbProxyStats;
  resetStats(): void;
}

/** Databases a launcher began opening before its proxy starts (openDatabasesEarly). */
export interface EarlyDatabases {
  /** Where they are opening (PGLITE_DATA_DIR); undefined when none are. */
  dataDir?: string;
  /** Closes those no proxy took. */
  close(): Promise<void>;
}

/**
 * For a launcher that starts the proxy later in this process (platform/startPlatform.ts): starts
 * opening the embedded databases of `services` now, as the proxy `env` configures would, for
 * startDbProxy() to take. Opens none on PostgreSQL, or when `env` does not configure a proxy yet
 * (startDbProxy's own configuration then reports why).
 */
export function openDatabasesEarly(env: Record<string, string | undefined>, services: readonly string[]): EarlyDatabases {
  const none: EarlyDatabases = { close: async () => {} };
  let config: DbProxyConfig;
  try {
    config = loadDbProxyConfig(env);
  } catch {
    return none;
  }
  if (config.databaseUrl || config.pgliteDataDir.startsWith('memory://') || !services.length) return none;
  return { dataDir: config.pgliteDataDir, close: openPgliteEarly(config.pgliteDataDir, services) };
}

export async function startDbProxy(config: DbProxyConfig, options: StartDbProxyOptions = {}): Promise<RunningDbProxy> {
  const logger = options.logger ?? createLogger('db-proxy', config.logLevel);
  const lifecycle = new Lifecycle(logger);
  const tracing = options.tracing ?? createTracing({ service: 'db-proxy', otlpEndpoint: config.otlpEndpoint });
  if (tracing && !options.tracing) lifecycle.add('tracing', () => tracing.shutdown());
  const metrics = createDbProxyMetrics();
  const services = Object.keys(config.credentials);
  const driver: DatabaseDriver = config.databaseUrl
    ? createPgDriver({
        databaseUrl: config.databaseUrl,
        dbNamePrefix: config.dbNamePrefix,
        poolMax: config.poolMax,
        poolWaitMs: config.poolWaitMs,
        statementTimeoutMs: config.statementTimeoutMs,
        preparedStatements: config.preparedStatements,
        logger,
      })
    : createPgliteDriver({ dataDir: config.pgliteDataDir, poolWaitMs: config.poolWaitMs, logger });

  // What the app serves, by service; addService() extends it while the proxy runs.
  const credentials: Record<string, string> = { ...config.credentials };
  const serviceOf = createCredentialCheck(config.credentials);
  const executors = new Map<string, StatementExecutor>();
  const readiness: Record<string, () => Promise<void>> = {};
  const databaseNames: Record<string, string> = {};
  const opened: ServiceDatabase[] = [];
  const limits: ExecutionLimits = {
    maxRows: config.maxRows,
    maxResultBytes: config.maxResultBytes,
    statementTimeoutMs: config.statementTimeoutMs,
  };
  const register = (db: ServiceDatabase) => {
    opened.push(db);
    executors.set(db.service, new StatementExecutor(db, limits, tracing, config.pipelineDepth));
    metrics.watchPool(db.service, db.pool);
    readiness[db.service] = () => db.ping();
    databaseNames[db.service] = db.databaseName;
  };
  // Registered before the HTTP server, so the databases close after it stopped taking requests.
  lifecycle.add('databases', async () => {
    for (const db of [...opened].reverse()) {
      await db.close().catch((err: unknown) => logger.error({ err, database: db.databaseName }, 'closing a database failed'));
    }
  });
  let closed = false;
  const adding = new Map<string, Promise<void>>();

  try {
    // Opening is slow on PGlite (seconds for a new database), so all open at once.
    const outcomes = await Promise.allSettled(services.map((service) => driver.open(service)));
    for (const outcome of outcomes) if (outcome.status === 'fulfilled') register(outcome.value);
    const failed = outcomes.flatMap((outcome, k) =>
      outcome.status === 'rejected' ? [`${services[k]}: ${(outcome.reason as Error)?.message ?? outcome.reason}`] : [],
    );
    if (failed.length) throw new Error(`db-proxy could not open its databases:\n  - ${failed.join('\n  - ')}`);

    const stats = new RequestStats(services);
    const draining = new Draining();
    const listener = createRequestListener(config, { serviceOf, executors, readiness }, stats, logger, draining, { metrics, tracing });
    // A statement in flight when the proxy shuts down may run its whole timeout: the drain waits that long.
    const server = await listen(listener, config.port, config.host, config.statementTimeoutMs + 1_000, draining);
    lifecycle.add('http server', () => server.close());
    logger.info({ url: server.url, driver: driver.kind, databases: databaseNames }, 'db-proxy listening');

    const addService = async (service: string, credential: string): Promise<void> => {
      if (closed) throw new Error(`db-proxy is closed; cannot add the service "${service}"`);
      if (Object.prototype.hasOwnProperty.call(credentials, service)) {
        if (credentials[service] !== credential) {
          throw new Error(`db-proxy already has the service "${service}" with another credential`);
        }
        return adding.get(service);
      }
      const problem = credentialProblem(service, credential, credentials) ?? databaseNameProblem(config.dbNamePrefix, service);
      if (problem) throw new Error(`db-proxy cannot add the service: ${problem}`);
      credentials[service] = credential;
      const opening = (async () => {
        try {
          const db = await driver.open(service);
          if (closed) {
            await db.close();
            throw new Error(`db-proxy closed while opening the database of "${service}"`);
          }
          register(db);
          serviceOf.add(service, credential);
          logger.info({ service, database: db.databaseName }, 'service added');
        } catch (err) {
          delete credentials[service];
          throw err;
        } finally {
          adding.delete(service);
        }
      })();
      adding.set(service, opening);
      return opening;
    };

    return {
      url: server.url,
      port: server.port,
      driver: driver.kind,
      databases: databaseNames,
      addService,
      async close() {
        closed = true;
        await Promise.allSettled(adding.values());
        await lifecycle.close();
      },
      stats: () => stats.snapshot(),
      resetStats: () => stats.reset(),
    };
  } catch (err) {
    await lifecycle.close();
    throw err;
  }
}

/** The services the app serves; the collections grow when a service is added. */
interface ServedServices {
  serviceOf: CredentialCheck;
  executors: ReadonlyMap<string, StatementExecutor>;
  /** Read at each /ready, so added services are checked too. */
  readiness: Record<string, () => Promise<void>>;
}

/** /v1 on its own handler (v1Handler.ts); express serves the rest: /health, /ready, 404s. */
function createRequestListener(
  config: DbProxyConfig,
  served: ServedServices,
  stats: RequestStats,
  logger: Logger,
  draining: Draining,
  observability: { metrics: DbProxyMetrics; tracing?: Tracing },
): RequestListener {
  const { metrics, tracing } = observability;
  const v1 = createV1Handler({
    serviceOf: served.serviceOf,
    executors: served.executors,
    stats,
    logger,
    bodyLimit: config.bodyLimit,
    maxStatements: config.maxStatements,
    metrics,
    tracing,
  });
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLogging(logger));
  if (tracing) app.use(serverSpans(tracing));
  app.use(httpMetrics(metrics));
  app.get(METRICS_PATH, metrics.handler);
  app.use(healthRoutes(served.readiness, draining));
  app.use(notFoundHandler());
  app.use(errorHandler(logger));
  return (req, res) => (v1.matches(req) ? v1.handle(req, res) : app(req, res));
}
