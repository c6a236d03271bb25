/** The orders subgraph: orders placed by customers, with stock reserved at the products service. */
import { groupedLoader, keyedLoader, loadTypeDefs, startSubgraph } from '../kit/index.js';
import type { StartSubgraphOptions, SubgraphDefinition, SubgraphDeps } from '../kit/index.js';
import { createProductsInternalClient, type ProductsInternalClient } from '../products/internalApi.js';
import type { OrdersConfig } from './config.js';
import { ordersMigrations } from './migrations.js';
import { itemsByOrderIds, ordersByIds } from './orderStore.js';
import { startReleaseSweep } from './releaseSweep.js';
import { ordersResolvers, type OrdersRequestScope } from './resolvers.js';

/**
 * One products client per running service (keyed by its deps, so in-process instances never share
 * one). It is created at start-up by `background`, so it closes after the HTTP server has drained.
 */
const productsClients = new WeakMap<SubgraphDeps<OrdersConfig>, ProductsInternalClient>();

function productsStockOf(deps: SubgraphDeps<OrdersConfig>): ProductsInternalClient {
  let client = productsClients.get(deps);
  if (!client) {
    client = createProductsInternalClient({
      baseUrl: deps.config.productsUrl,
      token: deps.config.internalToken,
      timeoutMs: deps.config.productsTimeoutMs,
    });
    productsClients.set(deps, client);
  }
  return client;
}

export const ordersSubgraph: SubgraphDefinition<OrdersRequestScope, OrdersConfig> = {
  name: 'orders',
  typeDefs: loadTypeDefs(new URL('./schema.graphql', import.meta.url)),
  resolvers: ordersResolvers,
  migrations: ordersMigrations,
  createLoaders: (db, deps) => ({
    orderById: keyedLoader((ids) => ordersByIds(db, ids), (order) => order.id),
    itemsByOrderId: groupedLoader((ids) => itemsByOrderIds(db, ids), (item) => item.orderId),
    products: productsStockOf(deps),
  }),
  async background(deps) {
    const products = productsStockOf(deps);
    const sweep = startReleaseSweep({
      db: deps.db,
      products,
      logger: deps.logger,
      intervalMs: deps.config.releaseSweepIntervalMs,
      abandonAfterMs: deps.config.abandonReservingAfterMs,
    });
    return async () => {
      await sweep.stop();
      await products.close();
      productsClients.delete(deps);
    };
  },
};

export function startOrders(config: OrdersConfig, options?: StartSubgraphOptions) {
  return startSubgraph(ordersSubgraph, config, options);
}
