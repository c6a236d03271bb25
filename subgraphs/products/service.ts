/** The products subgraph: the catalog, its entity keys (id and sku), and the internal stock and change-feed API. */
import {
  defineSubgraphService,
  loadTypeDefs,
  startSubgraph,
  type StartSubgraphOptions,
  type SubgraphDefinition,
} from '../kit/index.js';
import { loadProductsConfig, type ProductsConfig } from './config.js';
import { productsInternalRoutes } from './internalRoutes.js';
import { productsMigrations } from './migrations.js';
import { createProductLoaders, productsResolvers, type ProductLoaders } from './resolvers.js';
import { productsRestRoutes } from './restRoutes.js';

export const productsSubgraph: SubgraphDefinition<ProductLoaders, ProductsConfig> = {
  name: 'products',
  typeDefs: loadTypeDefs(new URL('./schema.graphql', import.meta.url)),
  resolvers: productsResolvers,
  migrations: productsMigrations,
  createLoaders: (db) => createProductLoaders(db),
  routes: (router, deps) => {
    productsInternalRoutes(router, deps);
    productsRestRoutes(router, deps);
  },
};

export function startProducts(config: ProductsConfig, options?: StartSubgraphOptions) {
  return startSubgraph(productsSubgraph, config, options);
}

/** How the platform launcher (npm start) finds and runs this subgraph. */
export const subgraph = defineSubgraphService({
  name: 'products',
  loadConfig: loadProductsConfig,
  start: startProducts,
});
