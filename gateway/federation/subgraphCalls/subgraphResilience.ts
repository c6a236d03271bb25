/**
 * What keeps one failing subgraph from taking the graph down with it, per subgraph: a timeout for
 * each call, retries of reads on transient failures, a circuit breaker that fails fast while the
 * subgraph is down and probes it back, and deduplication of identical concurrent reads.
 *
 * One instance lives as long as the gateway: breakers are kept by subgraph name, so a schema
 * reload that builds new data sources keeps what the old ones learned.
 */
import type { Logger } from '../../../lib/logger.js';
import { CircuitBreaker } from './circuitBreaker.js';
import { InflightCalls } from './inflight.js';
import { realClock, type RetryClock, type RetryOptions } from './retry.js';

export interface SubgraphResilienceConfig {
  /** Time one call to a subgraph may take, headers and body, unless `timeouts` names it. @default 10000 */
  timeoutMs: number;
  /** Timeouts by subgraph name, e.g. { products: 2000, search: 500 }. @default {} */
  timeouts: Readonly<Record<string, number>>;
  /** Further attempts of a read after a transient failure; mutations are never retried. @default 2 */
  retries: number;
  /** Backoff cap before the first retry, doubling with each retry (full jitter). @default 50 */
  retryBaseMs: number;
  /** No retry starts later than this after the first attempt of a call began. @default 1000 */
  retryBudgetMs: number;
  /** Consecutive failed calls to a subgraph that open its circuit. @default 5 */
  breakerFailureThreshold: number;
  /** How long an open circuit fails fast before it lets one probe through. @default 5000 */
  breakerCooldownMs: number;
  /** Share one call among identical concurrent reads (same subgraph, query, variables, identity). @default true */
  dedup: boolean;
}

export const DEFAULT_RESILIENCE: Readonly<SubgraphResilienceConfig> = Object.freeze({
  timeoutMs: 10_000,
  timeouts: Object.freeze({}),
  retries: 2,
  retryBaseMs: 50,
  retryBudgetMs: 1_000,
  breakerFailureThreshold: 5,
  breakerCooldownMs: 5_000,
  dedup: true,
});

/** Everything a data source needs to call one subgraph resiliently. */
export interface SubgraphPolicy {
  readonly name: string;
  readonly timeoutMs: number;
  readonly retry: RetryOptions;
  readonly breaker: CircuitBreaker;
  /** Shared by all subgraphs (keys name the subgraph), so a write through any of them can end sharing. */
  readonly inflight?: InflightCalls<unknown>;
  readonly clock: RetryClock;
}

export interface SubgraphResilience {
  readonly config: Readonly<SubgraphResilienceConfig>;
  /** The policy for a subgraph: always the same breaker for the same name. */
  policyFor(name: string): SubgraphPolicy;
  /** The longest timeout of any subgraph (the HTTP pool's own timeouts must not cut calls shorter). */
  readonly longestTimeoutMs: number;
  /** Names in `timeouts` that are not among `known`: most likely typos. */
  unknownNames(known: Iterable<string>): string[];
  /**
   * A readiness check for a subgraph: "circuit open" while its breaker is open (no request is sent
   * then), otherwise the given check.
   */
  readinessCheck(name: string, check: () => Promise<void>): () => Promise<void>;
}

export interface SubgraphResilienceOptions {
  logger?: Logger;
  /** Time and chance for retries and breakers (tests). */
  clock?: RetryClock;
}

export function createSubgraphResilience(
  config: Readonly<SubgraphResilienceConfig> = DEFAULT_RESILIENCE,
  options: SubgraphResilienceOptions = {},
): SubgraphResilience {
  const clock = options.clock ?? realClock;
  const logger = options.logger;
  const inflight = config.dedup ? new InflightCalls<unknown>() : undefined;
  const policies = new Map<string, SubgraphPolicy>();
  const retry: RetryOptions = {
    retries: config.retries,
    baseDelayMs: config.retryBaseMs,
    budgetMs: config.retryBudgetMs,
  };

  const policyFor = (name: string): SubgraphPolicy => {
    let policy = policies.get(name);
    if (!policy) {
      const breaker = new CircuitBreaker({
        failureThreshold: config.breakerFailureThreshold,
        cooldownMs: config.breakerCooldownMs,
        now: () => clock.now(),
        onStateChange: (state, previous) => {
          const fields = { subgraph: name, state, previous };
          if (state === 'open') {
            logger?.warn(
              { ...fields, cooldownMs: config.breakerCooldownMs },
              previous === 'half-open' ? 'subgraph circuit reopened: the probe failed' : 'subgraph circuit opened',
            );
          } else {
            logger?.info(fields, state === 'closed' ? 'subgraph circuit closed' : 'subgraph circuit half-open');
          }
        },
      });
      policy = { name, timeoutMs: config.timeouts[name] ?? config.timeoutMs, retry, breaker, inflight, clock };
      policies.set(name, policy);
    }
    return policy;
  };

  return {
    config,
    policyFor,
    longestTimeoutMs: Math.max(config.timeoutMs, ...Object.values(config.timeouts)),
    unknownNames(known) {
      const names = new Set(known);
      return Object.keys(config.timeouts).filter((name) => !names.has(name));
    },
    readinessCheck(name, check) {
      return async () => {
        if (policyFor(name).breaker.state === 'open') throw new Error('circuit open');
        await check();
      };
    },
  };
}
