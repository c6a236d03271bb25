/** The products service's configuration: only the variables every subgraph shares (PRODUCTS_*, DB_PROXY_URL, ...). */
import { parseEnv } from '../../lib/config.js';
import { subgraphEnvSchema, toBaseConfig, type SubgraphBaseConfig } from '../kit/index.js';

export type ProductsConfig = SubgraphBaseConfig;

export function loadProductsConfig(source: Record<string, string | undefined> = process.env): Readonly<ProductsConfig> {
  const values = parseEnv('products', subgraphEnvSchema('products', 4001, {}), source) as Record<string, unknown>;
  return Object.freeze({ ...toBaseConfig('products', values) });
}
