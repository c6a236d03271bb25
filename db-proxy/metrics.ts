/**
 * The proxy's Prometheus metrics, on the registry every service gets from lib/metrics.ts: statement
 * latency and errors by calling service and endpoint, and each database's pool (size, in use,
 * waiting), read at scrape time. The `service` label is the caller the credential names, so bounded.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { createServiceMetrics, LATENCY_BUCKETS, type ServiceMetrics } from '../lib/metrics.js';
import type { PoolState } from './drivers/driver.js';

export interface DbProxyMetrics extends ServiceMetrics {
  /** db_proxy_statement_duration_seconds{caller, endpoint, outcome}: one /v1 request (a query, batch or transaction). */
  readonly statements: Histogram<'caller' | 'endpoint' | 'outcome'>;
  /** db_proxy_statement_errors_total{caller, endpoint, code}. */
  readonly statementErrors: Counter<'caller' | 'endpoint' | 'code'>;
  /** Adds a database's pool to the pool gauges. */
  watchPool(caller: string, pool: PoolState): void;
}

export function createDbProxyMetrics(): DbProxyMetrics {
  const base = createServiceMetrics('db-proxy');
  const registers = [base.registry];
  const pools = new Map<string, PoolState>();
  const poolGauge = (name: string, help: string, read: (pool: PoolState) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['caller'],
      registers,
      collect() {
        for (const [caller, pool] of pools) this.set({ caller }, read(pool));
      },
    });
  poolGauge('db_proxy_pool_size', 'Connections a service database may hold at most', (pool) => pool.size);
  poolGauge('db_proxy_pool_in_use', 'Connections checked out of a service database pool now', (pool) => pool.inUse);
  poolGauge('db_proxy_pool_waiting', 'Requests waiting for a connection of a service database now', (pool) => pool.queued);
  return {
    ...base,
    statements: new Histogram({
      name: 'db_proxy_statement_duration_seconds',
      help: 'Statement requests (/v1/query, /v1/batch, /v1/transaction) by calling service, endpoint and outcome',
      labelNames: ['caller', 'endpoint', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    statementErrors: new Counter({
      name: 'db_proxy_statement_errors_total',
      help: 'Failed statement requests by calling service, endpoint and error code',
      labelNames: ['caller', 'endpoint', 'code'],
      registers,
    }),
    watchPool: (caller, pool) => pools.set(caller, pool),
  };
}
