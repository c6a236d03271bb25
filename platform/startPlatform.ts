/**
 * Runs the whole platform in one process, wired over real HTTP: the connection proxy first, then
 * every subgraph supergraph.yaml lists that has a folder here (platform/subgraphRegistry.ts), each
 * after the subgraphs it depends on (products before orders and search), then the gateway. `npm start`
 * uses it with the default ports; tests use it with port 0 everywhere.
 *
 * With hot reload on (SUPERGRAPH_WATCH, on outside production) it also watches supergraph.yaml: a
 * subgraph added there (`npm run subgraph:new`) is started in this process, its database opened at the
 * running proxy, and the gateway, which watches the same file, re-composes and serves its fields.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../lib/logger.js';
import type { Tracing } from '../lib/tracing.js';
import path from 'node:path';
import { ConfigError } from '../lib/config.js';
import { loadDbProxyConfig, type DbProxyConfig } from '../db-proxy/config.js';
import { openDatabasesEarly, startDbProxy, type RunningDbProxy } from '../db-proxy/server.js';
import { loadGatewayConfig, type GatewayConfig } from '../gateway/config.js';
import type { RunningGateway } from '../gateway/server.js';
import { envPrefix, type RunningSubgraph, type SubgraphBaseConfig, type SubgraphService } from '../subgraphs/kit/index.js';
import {
  hasLocalSubgraph,
  listSupergraphSubgraphs,
  loadSubgraphService,
  startOrder,
  type ListedSubgraph,
} from './subgraphRegistry.js';

export type Env = Record<string, string | undefined>;

export interface StartPlatformOptions {
  /** The environment every service's config is read from. @default process.env */
  env?: Env;
  /** Reports each step, for a launcher that shows what it is doing. */
  onStep?: (message: string) => void;
  /**
   * Start subgraphs added to supergraph.yaml while the platform runs.
   * @default the gateway's hot reload setting (SUPERGRAPH_WATCH: on unless NODE_ENV=production)
   */
  watchSupergraph?: boolean;
  /**
   * Each service's tracing, by service name (gateway, db-proxy, products, ...), e.g. tests' in-memory
   * exporters. @default each service's own from OTEL_EXPORTER_OTLP_ENDPOINT, else off
   */
  tracing?: (service: string) => Tracing | undefined;
  /** Each service's logger, by service name. @default each service's own pino logger on stdout */
  logger?: (service: string) => Logger;
}

export interface RunningPlatform {
  dbProxy: RunningDbProxy;
  /** Every subgraph running in this process, by name, including those added while it runs. */
  subgraphs: ReadonlyMap<string, RunningSubgraph>;
  /** The platform's own subgraphs; reading one that supergraph.yaml does not list throws. */
  products: RunningSubgraph;
  orders: RunningSubgraph;
  search: RunningSubgraph;
  gateway: RunningGateway;
  /** The environment the services were started with (ports and URLs filled in). */
  env: Env;
  /** The supergraph config the subgraphs were taken from (the gateway's SUPERGRAPH_CONFIG). */
  supergraphConfig: string;
  /**
   * Starts the subgraphs supergraph.yaml lists now that are not running yet (what the watcher does on
   * a change) and returns their names. A subgraph that fails to start is reported through onStep.
   */
  startNewSubgraphs(): Promise<string[]>;
  /** Stops the proxy and starts it again on the same port and data (restart tests). */
  restartDbProxy(): Promise<void>;
  close(): Promise<void>;
}

export interface PlatformConfigs {
  subgraphs: Map<string, Readonly<SubgraphBaseConfig>>;
  dbProxy: Readonly<DbProxyConfig>;
  gateway: Readonly<GatewayConfig>;
}

/** Loads every service's configuration up front, so all problems are reported together. */
export function loadPlatformConfigs(env: Env, services: readonly SubgraphService[]): PlatformConfigs {
  const problems: string[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (err) {
      if (err instanceof ConfigError) {
        problems.push(err.message);
        return undefined;
      }
      throw err;
    }
  };
  const subgraphs = new Map<string, Readonly<SubgraphBaseConfig>>();
  for (const service of services) {
    const config = attempt(() => service.loadConfig(env));
    if (config) subgraphs.set(service.name, config);
  }
  // Unless given, the proxy accepts exactly the credentials the subgraphs were configured with.
  const credentials =
    env.DB_PROXY_CREDENTIALS ??
    (subgraphs.size === services.length
      ? services.map((s) => `${s.name}=${subgraphs.get(s.name)!.dbCredential}`).join(',')
      : undefined);
  const dbProxy = attempt(() => loadDbProxyConfig({ ...env, DB_PROXY_CREDENTIALS: credentials }));
  if (dbProxy && env.DB_PROXY_CREDENTIALS !== undefined) {
    const missing = services.filter((s) => !(s.name in dbProxy.credentials)).map((s) => s.name);
    if (missing.length) problems.push(`DB_PROXY_CREDENTIALS has no entry for the subgraph(s) ${missing.join(', ')}`);
  }
  const gateway = attempt(() => loadGatewayConfig(env));
  if (problems.length) throw new Error(problems.join('\n'));
  return { subgraphs, dbProxy: dbProxy!, gateway: gateway! };
}

export async function startPlatform(options: StartPlatformOptions = {}): Promise<RunningPlatform> {
  const env: Env = { ...(options.env ?? process.env) };
  const step = options.onStep ?? (() => {});
  const supergraphConfig = supergraphConfigOf(env);

  const listed = await listSubgraphsOrThrow(supergraphConfig);
  for (const { name, routingUrl } of listed.filter((s) => !hasLocalSubgraph(s.name))) {
    step(`${name}: no subgraphs/${name}/ here, the gateway calls it at ${routingUrl ?? 'its SUBGRAPH_URLS entry'}`);
  }
  const local = listed.filter((s) => hasLocalSubgraph(s.name));
  // Opening the embedded databases is the slowest step (PGlite, in threads of its own): it starts
  // before this thread loads the subgraphs' and the gateway's modules, and the proxy takes them.
  const early = openDatabasesEarly(env, local.map((s) => s.name));
  if (early.dataDir) step(`opening the embedded databases (PGlite, data in ${early.dataDir})`);
  let services: SubgraphService[];
  let configs: PlatformConfigs;
  try {
    services = await Promise.all(local.map((s) => loadSubgraphService(s.name)));
    configs = loadPlatformConfigs(env, services);
  } catch (err) {
    await early.close();
    throw err;
  }

  const running = new Map<string, RunningSubgraph>();
  const credentials: Record<string, string> = { ...configs.dbProxy.credentials };
  const started: { close(): Promise<void> }[] = [];
  const closeAll = async () => {
    for (const service of started.reverse()) await service.close();
  };
  /** Starts one subgraph with the environment as it is now (proxy and dependency URLs filled in). */
  const startSubgraphService = async (service: SubgraphService, config = service.loadConfig(env)) => {
    const subgraph = await service.start(config, {
      tracing: options.tracing?.(service.name),
      logger: options.logger?.(service.name),
    });
    started.push(subgraph);
    running.set(service.name, subgraph);
    env[`${envPrefix(service.name)}_URL`] = subgraph.url;
    return subgraph;
  };

  let dbProxy: RunningDbProxy;
  let gateway: RunningGateway;
  const proxyOptions = { tracing: options.tracing?.('db-proxy'), logger: options.logger?.('db-proxy') };
  try {
    step(
      configs.dbProxy.databaseUrl
        ? 'starting the connection proxy on PostgreSQL'
        : early.dataDir
          ? 'starting the connection proxy on embedded PGlite'
          : `starting the connection proxy on embedded PGlite (data in ${configs.dbProxy.pgliteDataDir})`,
    );
    const proxyStarting = startDbProxy(configs.dbProxy, proxyOptions);
    // The gateway's modules (@apollo/gateway, composition, the query planner) are the largest part of
    // start-up's module loading: load them while the databases open in their own threads.
    const gatewayModule = import('../gateway/server.js');
    gatewayModule.catch(() => {}); // a failed import is reported where it is awaited
    dbProxy = await proxyStarting.finally(() => early.close());
    started.push({ close: () => dbProxy.close() });
    env.DB_PROXY_URL = dbProxy.url;

    for (const group of startOrder(services)) {
      step(`starting ${group.map((s) => s.name).join(', ')} (migrations run on first start)`);
      await Promise.all(group.map((service) => startSubgraphService(service)));
    }
    // Listed in supergraph.yaml's order, not in the order they finished starting.
    for (const { name } of services) {
      const subgraph = running.get(name)!;
      running.delete(name);
      running.set(name, subgraph);
    }

    env.SUBGRAPH_URLS = [...running].map(([name, subgraph]) => `${name}=${subgraph.graphqlUrl}`).join(',');
    step('starting the gateway');
    const { startGateway } = await gatewayModule;
    gateway = await startGateway(loadGatewayConfig(env), {
      tracing: options.tracing?.('gateway'),
      logger: options.logger?.('gateway'),
    });
    started.push(gateway);
  } catch (err) {
    await closeAll();
    throw err;
  }

  // --- subgraphs added while the platform runs ---
  let closing = false;
  const reportedRemoved = new Set<string>();
  const startListed = async (): Promise<string[]> => {
    if (closing) return [];
    let now: ListedSubgraph[];
    try {
      now = await listSupergraphSubgraphs(supergraphConfig);
    } catch (err) {
      step(`could not read ${supergraphConfig}: ${(err as Error).message}`);
      return [];
    }
    for (const name of running.keys()) {
      if (!now.some((s) => s.name === name) && !reportedRemoved.has(name)) {
        reportedRemoved.add(name);
        step(`${name} is no longer in ${supergraphConfig}; it keeps running until the platform restarts`);
      }
    }
    const added: string[] = [];
    for (const { name, routingUrl } of now.filter((s) => !running.has(s.name) && hasLocalSubgraph(s.name))) {
      if (closing) break;
      try {
        step(`${supergraphConfig} lists a new subgraph, ${name}: starting it`);
        const service = await loadSubgraphService(name);
        const config = service.loadConfig(env);
        await dbProxy.addService(name, config.dbCredential);
        credentials[name] = config.dbCredential;
        const subgraph = await startSubgraphService(service, config);
        added.push(name);
        step(`${name} is running at ${subgraph.graphqlUrl}`);
        const routedPort = routingUrl ? portOf(routingUrl) : undefined;
        if (routedPort !== undefined && routedPort !== subgraph.port) {
          step(
            `warning: ${supergraphConfig} routes ${name} to ${routingUrl} but it listens on port ${subgraph.port}; ` +
              `set ${envPrefix(name)}_PORT=${routedPort} or change its routing_url`,
          );
        }
      } catch (err) {
        step(`could not start the new subgraph ${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return added;
  };
  // One pass at a time; a change during a pass gets a pass of its own afterwards.
  let pass: Promise<string[]> = Promise.resolve([]);
  const startNewSubgraphs = () => (pass = pass.catch(() => []).then(startListed));

  const watchEnabled = options.watchSupergraph ?? configs.gateway.supergraphWatch;
  const watcher = watchEnabled ? watchFile(supergraphConfig, () => void startNewSubgraphs(), step) : undefined;
  if (watcher) step(`watching ${supergraphConfig}: subgraphs added to it start without a restart`);

  const required = (name: string): RunningSubgraph => {
    const subgraph = running.get(name);
    if (!subgraph) throw new Error(`the platform runs no ${name} subgraph (${supergraphConfig} does not list it)`);
    return subgraph;
  };

  return {
    get dbProxy() {
      return dbProxy;
    },
    subgraphs: running,
    get products() {
      return required('products');
    },
    get orders() {
      return required('orders');
    },
    get search() {
      return required('search');
    },
    gateway,
    env,
    supergraphConfig,
    startNewSubgraphs,
    async restartDbProxy() {
      await dbProxy.close();
      dbProxy = await startDbProxy({ ...configs.dbProxy, port: dbProxy.port, credentials: { ...credentials } }, proxyOptions);
    },
    async close() {
      closing = true;
      watcher?.close();
      await pass.catch(() => undefined);
      await closeAll();
    },
  };
}

/** The gateway's SUPERGRAPH_CONFIG; a bad gateway configuration is reported with the others later. */
function supergraphConfigOf(env: Env): string {
  try {
    return loadGatewayConfig(env).supergraphConfig;
  } catch {
    return 'supergraph.yaml';
  }
}

async function listSubgraphsOrThrow(configPath: string): Promise<ListedSubgraph[]> {
  try {
    return await listSupergraphSubgraphs(configPath);
  } catch (err) {
    throw new Error(`cannot read the subgraphs to run from ${configPath}: ${(err as Error).message}`);
  }
}

function portOf(url: string): number | undefined {
  try {
    const parsed = new URL(url);
    return Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  } catch {
    return undefined;
  }
}

/**
 * Calls `onChange` shortly after the file changes. Watches its directory, so a file that is replaced
 * (editors, atomic writes) is still followed.
 */
function watchFile(file: string, onChange: () => void, step: (message: string) => void): FSWatcher | undefined {
  const absolute = path.resolve(file);
  let timer: NodeJS.Timeout | undefined;
  try {
    const watcher = watch(path.dirname(absolute), { persistent: false }, (_event, name) => {
      if (name !== null && name !== path.basename(absolute)) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, 150);
    });
    watcher.on('error', (err) => step(`stopped watching ${file}: ${err.message}`));
    watcher.on('close', () => clearTimeout(timer));
    return watcher;
  } catch (err) {
    step(`cannot watch ${file} (${(err as Error).message}); restart the platform to run new subgraphs`);
    return undefined;
  }
}
