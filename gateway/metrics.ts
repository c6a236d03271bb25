/**
 * The gateway's Prometheus metrics, on the registry every service gets from lib/metrics.ts (one per
 * gateway, so two gateways in one process do not share counts). A feature that measures something
 * gets its metric from here. Operation names are client-chosen: they pass through a bounded label.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { boundedLabel, createServiceMetrics, LATENCY_BUCKETS, METRICS_PATH, type ServiceMetrics } from '../lib/metrics.js';

export { METRICS_PATH };

export interface GatewayMetrics extends ServiceMetrics {
  /** WebSocket API connections open on this gateway process. */
  readonly websocketConnections: Gauge;
  /** gateway_graphql_request_duration_seconds{operation, outcome}. */
  readonly graphqlRequests: Histogram<'operation' | 'outcome'>;
  /** gateway_subgraph_fetch_duration_seconds{subgraph, outcome}. */
  readonly subgraphFetches: Histogram<'subgraph' | 'outcome'>;
  /** gateway_subgraph_fetch_errors_total{subgraph, code}. */
  readonly subgraphFetchErrors: Counter<'subgraph' | 'code'>;
  /** gateway_query_plan_cache_total{result: hit | miss}. */
  readonly queryPlanCache: Counter<'result'>;
  /** gateway_response_cache_total{result: hit | miss}. */
  readonly responseCache: Counter<'result'>;
  /** gateway_rate_limit_rejections_total. */
  readonly rateLimitRejections: Counter;
  /** The label of a client's operation name (at most GATEWAY_METRICS_MAX_OPERATIONS distinct names). */
  readonly operationLabel: (name: string | null | undefined) => string;
}

export interface GatewayMetricsOptions {
  /** Distinct operation names labelled as they are; later ones count as `other`. @default 100 */
  maxOperationNames?: number;
}

export function createGatewayMetrics(options: GatewayMetricsOptions = {}): GatewayMetrics {
  const base = createServiceMetrics('gateway');
  const registers = [base.registry];
  return {
    ...base,
    websocketConnections: new Gauge({
      name: 'gateway_websocket_connections',
      help: 'WebSocket API connections open on this gateway process',
      registers,
    }),
    graphqlRequests: new Histogram({
      name: 'gateway_graphql_request_duration_seconds',
      help: 'GraphQL operations over HTTP, by operation name (bounded) and outcome (success, error)',
      labelNames: ['operation', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    subgraphFetches: new Histogram({
      name: 'gateway_subgraph_fetch_duration_seconds',
      help: 'Calls to subgraphs, retries included, by subgraph and outcome (success, error)',
      labelNames: ['subgraph', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    subgraphFetchErrors: new Counter({
      name: 'gateway_subgraph_fetch_errors_total',
      help: 'Failed calls to subgraphs, by subgraph and error code',
      labelNames: ['subgraph', 'code'],
      registers,
    }),
    queryPlanCache: new Counter({
      name: 'gateway_query_plan_cache_total',
      help: 'Query plan cache look-ups, by result (hit, miss)',
      labelNames: ['result'],
      registers,
    }),
    responseCache: new Counter({
      name: 'gateway_response_cache_total',
      help: 'Response cache look-ups of cacheable operations, by result (hit, miss)',
      labelNames: ['result'],
      registers,
    }),
    rateLimitRejections: new Counter({
      name: 'gateway_rate_limit_rejections_total',
      help: 'Requests refused with 429 RATE_LIMITED',
      registers,
    }),
    operationLabel: boundedLabel(options.maxOperationNames ?? 100),
  };
}
