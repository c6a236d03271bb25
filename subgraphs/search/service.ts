/**
 * The search subgraph: a full-text index of the catalog in its own database, kept fresh by following the
 * products change feed, and rebuildable on demand.
 */
import {
  defineSubgraphService,
  loadTypeDefs,
  startSubgraph,
  type StartSubgraphOptions,
  type SubgraphDefinition,
} from '../kit/index.js';
import { createProductsInternalClient, type ProductsInternalClient } from '../products/internalApi.js';
import { loadSearchConfig, type SearchConfig } from './config.js';
import { createIndexSync, startSyncLoop } from './indexSync.js';
import { searchInternalRoutes } from './internalRoutes.js';
import { searchMigrations } from './migrations.js';
import { searchResolvers } from './resolvers.js';
import { searchRestRoutes } from './restRoutes.js';

/** What a running search instance shares between the sync loop and the rebuild route. */
export interface SearchServices {
  /** The products change feed the index follows. */
  products: ProductsInternalClient;
}

export const searchSubgraph: SubgraphDefinition<undefined, SearchConfig, SearchServices> = {
  name: 'search',
  typeDefs: loadTypeDefs(new URL('./schema.graphql', import.meta.url)),
  resolvers: searchResolvers,
  migrations: searchMigrations,
  services: ({ config, tracing }) => ({
    products: createProductsInternalClient({ baseUrl: config.productsUrl, token: config.internalToken, tracing }),
  }),
  routes: (router, deps) => {
    searchInternalRoutes(router, deps);
    searchRestRoutes(router, deps);
  },
  // Started without waiting for products: search answers from the index it has while products is away.
  background: async ({ config, db, logger, services }) =>
    startSyncLoop(createIndexSync(db, services.products), { intervalMs: config.syncIntervalMs, logger }),
};

export function startSearch(config: SearchConfig, options?: StartSubgraphOptions) {
  return startSubgraph(searchSubgraph, config, options);
}

/** How the platform launcher (npm start) finds and runs this subgraph. */
export const subgraph = defineSubgraphService({
  name: 'search',
  loadConfig: loadSearchConfig,
  start: startSearch,
  dependsOn: ['products'],
});
