import { jest } from '@jest/globals';
import { ConfigError } from '../../../lib/config.js';
import { loadGatewayConfig } from '../../config.js';
import { createSubgraphResilience, DEFAULT_RESILIENCE } from './subgraphResilience.js';

describe('resilience configuration', () => {
  it('defaults to the documented values', () => {
    expect(loadGatewayConfig({}).subgraphResilience).toEqual(DEFAULT_RESILIENCE);
  });

  it('reads every variable', () => {
    const config = loadGatewayConfig({
      SUBGRAPH_TIMEOUT_MS: '3000',
      SUBGRAPH_TIMEOUTS: ' products=2000 , search = 500,',
      SUBGRAPH_RETRIES: '0',
      SUBGRAPH_RETRY_BASE_MS: '20',
      SUBGRAPH_RETRY_BUDGET_MS: '400',
      BREAKER_FAILURE_THRESHOLD: '3',
      BREAKER_COOLDOWN_MS: '250',
      SUBGRAPH_DEDUP: 'false',
    });
    expect(config.subgraphResilience).toEqual({
      timeoutMs: 3_000,
      timeouts: { products: 2_000, search: 500 },
      retries: 0,
      retryBaseMs: 20,
      retryBudgetMs: 400,
      breakerFailureThreshold: 3,
      breakerCooldownMs: 250,
      dedup: false,
    });
    expect(Object.isFrozen(config.subgraphResilience)).toBe(true);
    expect(Object.isFrozen(config.subgraphResilience.timeouts)).toBe(true);
  });

  it('reports every bad value at once', () => {
    let error: unknown;
    try {
      loadGatewayConfig({
        SUBGRAPH_TIMEOUTS: 'products,search=fast,orders=0,reviews=100,reviews=200',
        SUBGRAPH_RETRIES: '-1',
        BREAKER_FAILURE_THRESHOLD: '0',
        BREAKER_COOLDOWN_MS: 'soon',
        SUBGRAPH_DEDUP: 'maybe',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(
      expect.arrayContaining([
        'SUBGRAPH_TIMEOUTS: "products" is not of the form name=milliseconds (a positive whole number)',
        'SUBGRAPH_TIMEOUTS: "search=fast" is not of the form name=milliseconds (a positive whole number)',
        'SUBGRAPH_TIMEOUTS: "orders=0" is not of the form name=milliseconds (a positive whole number)',
        'SUBGRAPH_TIMEOUTS: reviews is listed twice',
        expect.stringMatching(/^SUBGRAPH_RETRIES: /),
        expect.stringMatching(/^BREAKER_FAILURE_THRESHOLD: /),
        expect.stringMatching(/^BREAKER_COOLDOWN_MS: /),
        expect.stringMatching(/^SUBGRAPH_DEDUP: /),
      ]),
    );
  });
});

describe('createSubgraphResilience', () => {
  const config = { ...DEFAULT_RESILIENCE, timeoutMs: 1_000, timeouts: { search: 300, products: 4_000 } };

  it('gives each subgraph its own timeout, or the default', () => {
    const resilience = createSubgraphResilience(config);
    expect(resilience.policyFor('search').timeoutMs).toBe(300);
    expect(resilience.policyFor('products').timeoutMs).toBe(4_000);
    expect(resilience.policyFor('orders').timeoutMs).toBe(1_000);
    expect(resilience.longestTimeoutMs).toBe(4_000);
  });

  it('keeps one breaker per subgraph name (a reload builds new data sources with the same breaker)', () => {
    const resilience = createSubgraphResilience(config);
    expect(resilience.policyFor('search').breaker).toBe(resilience.policyFor('search').breaker);
    expect(resilience.policyFor('search').breaker).not.toBe(resilience.policyFor('orders').breaker);
  });

  it('shares one set of in-flight calls when dedup is on, none when off', () => {
    const on = createSubgraphResilience(config);
    expect(on.policyFor('search').inflight).toBeDefined();
    expect(on.policyFor('search').inflight).toBe(on.policyFor('orders').inflight);
    expect(createSubgraphResilience({ ...config, dedup: false }).policyFor('search').inflight).toBeUndefined();
  });

  it('names timeouts for subgraphs that do not exist', () => {
    expect(createSubgraphResilience(config).unknownNames(['products', 'orders'])).toEqual(['search']);
  });

  it('reports "circuit open" for readiness without calling the subgraph while its circuit is open', async () => {
    const resilience = createSubgraphResilience({ ...config, breakerFailureThreshold: 1 });
    const healthCheck = jest.fn(async () => {});
    const check = resilience.readinessCheck('search', healthCheck);
    await expect(check()).resolves.toBeUndefined();
    expect(healthCheck).toHaveBeenCalledTimes(1);

    resilience.policyFor('search').breaker.recordFailure();
    await expect(check()).rejects.toThrow('circuit open');
    expect(healthCheck).toHaveBeenCalledTimes(1);
  });
});
