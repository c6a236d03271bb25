/**
 * The search subgraph: a full-text index of the catalog in its own database, kept fresh by following the
 * products change feed, and rebuildable on demand.
 */
import { loadTypeDefs, startSubgraph, type StartSubgraphOptions, type SubgraphDefinition } from '../kit/index.js';
import { createProductsInternalClient } from '../products/internalApi.js';
import type { SearchConfig } from './config.js';
import { createIndexSync, startSyncLoop } from './indexSync.js';
import { searchInternalRoutes } from './internalRoutes.js';
import { searchMigrations } from './migrations.js';
import { searchResolvers } from './resolvers.js';

export const searchSubgraph: SubgraphDefinition<undefined, SearchConfig> = {
  name: 'search',
  typeDefs: loadTypeDefs(new URL('./schema.graphql', import.meta.url)),
  resolvers: searchResolvers,
  migrations: searchMigrations,
  routes: searchInternalRoutes,
  // Started without waiting for products: search answers from the index it has while products is away.
  background: async ({ config, db, logger }) => {
    const feed = createProductsInternalClient({ baseUrl: config.productsUrl, token: config.internalToken });
    const stopLoop = startSyncLoop(createIndexSync(db, feed), { intervalMs: config.syncIntervalMs, logger });
    return async () => {
      await stopLoop();
      await feed.close();
    };
  },
};

export function startSearch(config: SearchConfig, options?: StartSubgraphOptions) {
  return startSubgraph(searchSubgraph, config, options);
}
