/** The orders subgraph: orders placed by customers, with stock reserved at the products service. */
import { defineSubgraphService, groupedLoader, keyedLoader, loadTypeDefs, startSubgraph } from '../kit/index.js';
import type { StartSubgraphOptions, SubgraphDefinition } from '../kit/index.js';
import { createProductsInternalClient } from '../products/internalApi.js';
import { loadOrdersConfig, type OrdersConfig } from './config.js';
import { ordersMigrations } from './migrations.js';
import { createOrderEvents } from './orderEvents.js';
import { itemsByOrderIds, ordersByIds } from './orderStore.js';
import { startReleaseSweep } from './releaseSweep.js';
import { ordersResolvers, type OrdersLoaders, type OrdersServices } from './resolvers.js';
import { ordersRestRoutes } from './restRoutes.js';
import { createConnectionsClient } from '../kit/connectionsClient.js';
import { orderWatchRoutes, startOrderPushes } from './orderWatchers.js';

export const ordersSubgraph: SubgraphDefinition<OrdersLoaders, OrdersConfig, OrdersServices> = {
  name: 'orders',
  typeDefs: loadTypeDefs(new URL('./schema.graphql', import.meta.url)),
  resolvers: ordersResolvers,
  migrations: ordersMigrations,
  services: ({ config, logger, tracing }) => ({
    products: createProductsInternalClient({
      baseUrl: config.productsUrl,
      token: config.internalToken,
      timeoutMs: config.productsTimeoutMs,
      tracing,
    }),
    events: createOrderEvents({ redisUrl: config.redisUrl, logger }),
  }),
  createLoaders: (db) => ({
    orderById: keyedLoader((ids) => ordersByIds(db, ids), (order) => order.id),
    itemsByOrderId: groupedLoader((ids) => itemsByOrderIds(db, ids), (item) => item.orderId),
  }),
  routes: (router, deps) => {
    ordersRestRoutes(router, deps);
    // Live updates: the gateway's WebSocket API routes (watchOrders, $disconnect).
    orderWatchRoutes(router, deps);
  },
  async background({ db, services, logger, config }) {
    const sweep = startReleaseSweep({
      db,
      products: services.products,
      logger,
      intervalMs: config.releaseSweepIntervalMs,
      abandonAfterMs: config.abandonReservingAfterMs,
    });
    // Each change made here goes to its customer's watching WebSocket connections (push API).
    const connections = createConnectionsClient({ token: config.internalToken });
    const stopPushes = startOrderPushes({ db, events: services.events, connections, logger });
    return async () => {
      await stopPushes();
      await connections.close();
      await sweep.stop();
    };
  },
};

export function startOrders(config: OrdersConfig, options?: StartSubgraphOptions) {
  return startSubgraph(ordersSubgraph, config, options);
}

/** How the platform launcher (npm start) finds and runs this subgraph. */
export const subgraph = defineSubgraphService({
  name: 'orders',
  loadConfig: loadOrdersConfig,
  start: startOrders,
  dependsOn: ['products'],
});
