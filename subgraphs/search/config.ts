/** The search service's configuration: the shared subgraph variables plus where products is and how often to poll it. */
import { z } from 'zod';
import { env, parseEnv } from '../../lib/config.js';
import { subgraphEnvSchema, toBaseConfig, type SubgraphBaseConfig } from '../kit/index.js';

export interface SearchConfig extends SubgraphBaseConfig {
  /** Base URL of the products service, whose /internal/products/changes feed the index follows. */
  productsUrl: string;
  /** Pause between two polls of the change feed. */
  syncIntervalMs: number;
}

export function loadSearchConfig(source: Record<string, string | undefined> = process.env): Readonly<SearchConfig> {
  const values = parseEnv(
    'search',
    subgraphEnvSchema('search', 4003, {
      PRODUCTS_URL: z.string().url().default('http://127.0.0.1:4001'),
      SEARCH_SYNC_INTERVAL_MS: env.positiveInt(500),
    }),
    source,
  ) as Record<string, unknown>;
  return Object.freeze({
    ...toBaseConfig('search', values),
    productsUrl: values.PRODUCTS_URL as string,
    syncIntervalMs: values.SEARCH_SYNC_INTERVAL_MS as number,
  });
}
