/** The orders service's configuration: the shared subgraph variables plus the products link and the sweep. */
import { z } from 'zod';
import { env, parseEnv } from '../../lib/config.js';
import { subgraphEnvSchema, toBaseConfig, type SubgraphBaseConfig } from '../kit/index.js';

export interface OrdersConfig extends SubgraphBaseConfig {
  /** Base URL of the products service, whose /internal/stock routes reserve and release stock. */
  productsUrl: string;
  /** How long a call to the products service may take. */
  productsTimeoutMs: number;
  /** How often the background sweep retries stock releases that failed. */
  releaseSweepIntervalMs: number;
  /**
   * After how long an order whose placement never finished (client gone, crash) is abandoned and its
   * reservation released. Longer than any client's retry window.
   */
  abandonReservingAfterMs: number;
  /** Redis for order change events across replicas (live updates); absent: this process only. @default undefined */
  redisUrl?: string;
}

export function loadOrdersConfig(source: Record<string, string | undefined> = process.env): Readonly<OrdersConfig> {
  const values = parseEnv(
    'orders',
    subgraphEnvSchema('orders', 4002, {
      PRODUCTS_URL: z.string().url().default('http://127.0.0.1:4001'),
      ORDERS_PRODUCTS_TIMEOUT_MS: env.positiveInt(5_000),
      ORDERS_RELEASE_SWEEP_INTERVAL_MS: env.positiveInt(5_000),
      ORDERS_ABANDON_RESERVING_AFTER_MS: env.positiveInt(15 * 60_000),
      REDIS_URL: z.string().url().optional(),
    }),
    source,
  ) as Record<string, unknown>;
  return Object.freeze({
    ...toBaseConfig('orders', values),
    productsUrl: values.PRODUCTS_URL as string,
    productsTimeoutMs: values.ORDERS_PRODUCTS_TIMEOUT_MS as number,
    releaseSweepIntervalMs: values.ORDERS_RELEASE_SWEEP_INTERVAL_MS as number,
    abandonReservingAfterMs: values.ORDERS_ABANDON_RESERVING_AFTER_MS as number,
    redisUrl: values.REDIS_URL as string | undefined,
  });
}
