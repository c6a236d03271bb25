/**
 * Runs all five services in one process, wired to each other over real HTTP: the connection proxy
 * first, then products, then orders and search (they call products), then the gateway. `npm start`
 * uses it with the default ports; tests use it with port 0 everywhere.
 */
import { ConfigError } from '../lib/config.js';
import { loadDbProxyConfig } from '../db-proxy/config.js';
import { startDbProxy, type RunningDbProxy } from '../db-proxy/server.js';
import { loadGatewayConfig } from '../gateway/config.js';
import { startGateway, type RunningGateway } from '../gateway/server.js';
import type { RunningSubgraph } from '../subgraphs/kit/index.js';
import { loadOrdersConfig } from '../subgraphs/orders/config.js';
import { startOrders } from '../subgraphs/orders/service.js';
import { loadProductsConfig } from '../subgraphs/products/config.js';
import { startProducts } from '../subgraphs/products/service.js';
import { loadSearchConfig } from '../subgraphs/search/config.js';
import { startSearch } from '../subgraphs/search/service.js';

export type Env = Record<string, string | undefined>;

export interface StartPlatformOptions {
  /** The environment every service's config is read from. @default process.env */
  env?: Env;
  /** Reports each step, for a launcher that shows what it is doing. */
  onStep?: (message: string) => void;
}

export interface RunningPlatform {
  dbProxy: RunningDbProxy;
  products: RunningSubgraph;
  orders: RunningSubgraph;
  search: RunningSubgraph;
  gateway: RunningGateway;
  /** The environment the services were started with (ports and URLs filled in). */
  env: Env;
  /** Stops the proxy and starts it again on the same port and data (restart tests). */
  restartDbProxy(): Promise<void>;
  close(): Promise<void>;
}

export const SUBGRAPH_NAMES = ['products', 'orders', 'search'] as const;

/** Loads every service's configuration up front, so all problems are reported together. */
export function loadPlatformConfigs(env: Env) {
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
  const products = attempt(() => loadProductsConfig(env));
  const orders = attempt(() => loadOrdersConfig(env));
  const search = attempt(() => loadSearchConfig(env));
  // Unless given, the proxy accepts exactly the credentials the subgraphs were configured with.
  const credentials =
    env.DB_PROXY_CREDENTIALS ??
    (products && orders && search
      ? `products=${products.dbCredential},orders=${orders.dbCredential},search=${search.dbCredential}`
      : undefined);
  const dbProxy = attempt(() => loadDbProxyConfig({ ...env, DB_PROXY_CREDENTIALS: credentials }));
  const gateway = attempt(() => loadGatewayConfig(env));
  if (problems.length) throw new Error(problems.join('\n'));
  return { products: products!, orders: orders!, search: search!, dbProxy: dbProxy!, gateway: gateway! };
}

export async function startPlatform(options: StartPlatformOptions = {}): Promise<RunningPlatform> {
  const env: Env = { ...(options.env ?? process.env) };
  const step = options.onStep ?? (() => {});
  const configs = loadPlatformConfigs(env);
  const started: { close(): Promise<void> }[] = [];
  const closeAll = async () => {
    for (const service of started.reverse()) await service.close();
  };

  try {
    step(
      configs.dbProxy.databaseUrl
        ? 'starting the connection proxy on PostgreSQL'
        : `starting the connection proxy on embedded PGlite (data in ${configs.dbProxy.pgliteDataDir})`,
    );
    let dbProxy = await startDbProxy(configs.dbProxy);
    const proxyHandle = { close: () => dbProxy.close() };
    started.push(proxyHandle);
    env.DB_PROXY_URL = dbProxy.url;

    step('starting products (migrations and seed catalog on first start)');
    const products = await startProducts(loadProductsConfig(env));
    started.push(products);
    env.PRODUCTS_URL = products.url;

    step('starting orders and search');
    const [orders, search] = await Promise.all([
      startOrders(loadOrdersConfig(env)).then((s) => (started.push(s), s)),
      startSearch(loadSearchConfig(env)).then((s) => (started.push(s), s)),
    ]);

    env.SUBGRAPH_URLS = `products=${products.graphqlUrl},orders=${orders.graphqlUrl},search=${search.graphqlUrl}`;
    step('starting the gateway');
    const gateway = await startGateway(loadGatewayConfig(env));
    started.push(gateway);

    return {
      get dbProxy() {
        return dbProxy;
      },
      products,
      orders,
      search,
      gateway,
      env,
      async restartDbProxy() {
        await dbProxy.close();
        dbProxy = await startDbProxy({ ...configs.dbProxy, port: dbProxy.port });
      },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
