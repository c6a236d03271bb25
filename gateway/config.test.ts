import os from 'node:os';
import { ConfigError } from '../lib/config.js';
import { loadGatewayConfig } from './config.js';

describe('loadGatewayConfig', () => {
  it('reads the executor, the plan and document cache sizes and the number of workers', () => {
    const config = loadGatewayConfig({
      QUERY_PLAN_EXECUTOR: 'apollo',
      QUERY_PLAN_CACHE_SIZE: '50',
      QUERY_PLAN_CACHE_MB: '4',
      DOCUMENT_CACHE_MB: '2',
      GATEWAY_WORKERS: '3',
    });
    expect([config.queryPlanExecutor, config.queryPlanCacheSize, config.queryPlanCacheBytes, config.documentCacheBytes, config.workers]).toEqual([
      'apollo',
      50,
      4 * 2 ** 20,
      2 * 2 ** 20,
      3,
    ]);
    expect(() => loadGatewayConfig({ DOCUMENT_CACHE_MB: '0' })).toThrow(/DOCUMENT_CACHE_MB/);
    expect(loadGatewayConfig({ GATEWAY_WORKERS: 'auto' }).workers).toBe(os.availableParallelism());
    expect(() => loadGatewayConfig({ QUERY_PLAN_EXECUTOR: 'fast', GATEWAY_WORKERS: '0' })).toThrow(
      /GATEWAY_WORKERS: must be a whole number from 1 to 256, or auto[\s\S]*QUERY_PLAN_EXECUTOR: [^\n]*"gateway"\|"apollo"/,
    );
  });

  it('has working defaults', () => {
    expect(loadGatewayConfig({})).toEqual({
      port: 4000,
      host: '0.0.0.0',
      workers: 1,
      heapGrowthPercent: 40,
      shutdownDelayMs: 0,
      supergraphPath: undefined,
      supergraphConfig: 'supergraph.yaml',
      subgraphUrls: {},
      supergraphWatch: true,
      supergraphPollMs: 0,
      supergraphHealthCheck: false,
      bodyLimit: '1mb',
      subgraphResilience: {
        timeoutMs: 10_000,
        timeouts: {},
        retries: 2,
        retryBaseMs: 50,
        retryBudgetMs: 1_000,
        breakerFailureThreshold: 5,
        breakerCooldownMs: 5_000,
        dedup: true,
      },
      queryPlanExecutor: 'gateway',
      queryPlanCacheSize: 1000,
      queryPlanCacheBytes: 16 * 2 ** 20,
      documentCacheBytes: 16 * 2 ** 20,
      subgraphBatching: true,
      operationLimits: { maxDepth: 15, maxAliases: 30, maxRootFields: 20, maxTokens: 5_000, maxCost: 25_000, defaultListSize: 10 },
      // --- authentication ---
      authentication: {
        jwtSecret: 'dev-only-jwt-secret-change-me',
        jwtJwksUrl: undefined,
        jwtIssuer: 'federated-api-platform',
        jwtAudience: 'federated-api',
        jwtAlgorithms: ['HS256'],
        jwtClockToleranceSeconds: 30,
        jwtJwksCooldownMs: 30_000,
        apiKeys: [],
        identitySigningSecret: 'dev-only-identity-signing-secret-change-me',
      },
      // --- end of authentication ---
      // --- rate limit ---
      rateLimit: {
        enabled: true,
        plans: {},
        user: { ratePerSecond: 20, burst: 40, rateText: '20/s' },
        anonymous: { ratePerSecond: 10, burst: 20, rateText: '10/s' },
        keyPrefix: 'gateway:ratelimit',
      },
      trustProxy: false,
      redisUrl: undefined,
      // --- end of rate limit ---
      // --- caching ---
      responseCache: true,
      responseCacheMaxEntries: 10_000,
      responseCacheMaxBytes: 64 * 2 ** 20,
      responseCacheDefaultMaxAge: 0,
      apq: true,
      persistedDocuments: undefined,
      persistedDocumentsMode: 'allow',
      // --- end of caching ---
      // --- REST routes, docs and header rules ---
      restRoutes: [
        { service: 'products', path: '/api/products' },
        { service: 'search', path: '/api/search' },
        { service: 'orders', path: '/api/orders' },
      ],
      restTimeoutMs: 10_000,
      docs: true,
      headerRules: undefined,
      // --- end of REST routes, docs and header rules ---
      corsOrigins: [],
      corsCredentials: false,
      batching: false,
      maxBatch: 10,
      otlpEndpoint: undefined,
      metricsMaxOperations: 100,
      websocketApi: {
        enabled: true,
        routes: {
          $disconnect: { service: 'orders', path: '/websocket/disconnect' },
          watchOrders: { service: 'orders', path: '/websocket/watchOrders' },
          unwatchOrders: { service: 'orders', path: '/websocket/unwatchOrders' },
        },
        callbackBaseUrl: undefined,
        maxMessageBytes: 131072,
        idleTimeoutMs: 600_000,
        maxConnectionAgeMs: 7_200_000,
        connectsPerSecond: 500,
        messagesPerSecond: 100,
        integrationTimeoutMs: 10_000,
        serviceToken: 'dev-only-internal-secret-change-me',
        signatureMaxAgeMs: 30_000,
      },
      subscriptions: true,
      subscriptionsMaxPerConnection: 25,
      introspection: true,
      apolloTelemetry: false,
      production: false,
      logLevel: 'info',
    });
  });

  it('reads SUBGRAPH_URLS into a record by subgraph name', () => {
    const config = loadGatewayConfig({
      SUBGRAPH_URLS: ' products=http://products:4001/graphql , orders=https://orders.internal/graphql,',
    });
    expect(config.subgraphUrls).toEqual({
      products: 'http://products:4001/graphql',
      orders: 'https://orders.internal/graphql',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the OTLP endpoint and refuses one that is not an http(s) URL', () => {
    expect(loadGatewayConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).otlpEndpoint).toBe('http://collector:4318');
    expect(() => loadGatewayConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318', GATEWAY_METRICS_MAX_OPERATIONS: '0' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:\/\/ or https:\/\/ URL[\s\S]*GATEWAY_METRICS_MAX_OPERATIONS/,
    );
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      loadGatewayConfig({
        GATEWAY_PORT: '70000',
        SUBGRAPH_URLS: 'products,orders=ftp://x,search=http://s/graphql,search=http://t/graphql',
        GATEWAY_BODY_LIMIT: 'lots',
        INTROSPECTION: 'maybe',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^GATEWAY_PORT: /),
        'SUBGRAPH_URLS: "products" is not of the form name=url',
        'SUBGRAPH_URLS: orders: "ftp://x" is not an http(s) URL',
        'SUBGRAPH_URLS: search is listed twice',
        'GATEWAY_BODY_LIMIT: must be a size such as 1mb, 512kb or 1048576',
        expect.stringMatching(/^INTROSPECTION: /),
      ]),
    );
  });

  // --- caching ---
  it('reads the caching settings, and refuses a safelist without a manifest', () => {
    expect(
      loadGatewayConfig({
        RESPONSE_CACHE: 'false',
        RESPONSE_CACHE_MAX_ENTRIES: '50',
        RESPONSE_CACHE_MAX_MB: '2',
        RESPONSE_CACHE_DEFAULT_MAX_AGE: '5',
        APQ: 'false',
        PERSISTED_DOCUMENTS: 'ops.json',
        PERSISTED_DOCUMENTS_MODE: 'safelist',
      }),
    ).toMatchObject({
      responseCache: false,
      responseCacheMaxEntries: 50,
      responseCacheMaxBytes: 2 * 2 ** 20,
      responseCacheDefaultMaxAge: 5,
      apq: false,
      persistedDocuments: 'ops.json',
      persistedDocumentsMode: 'safelist',
    });
    expect(() => loadGatewayConfig({ PERSISTED_DOCUMENTS_MODE: 'safelist' })).toThrow(/PERSISTED_DOCUMENTS_MODE: safelist needs PERSISTED_DOCUMENTS/);
    expect(() => loadGatewayConfig({ PERSISTED_DOCUMENTS_MODE: 'strict', RESPONSE_CACHE_DEFAULT_MAX_AGE: '-1' })).toThrow(
      /PERSISTED_DOCUMENTS_MODE[\s\S]*RESPONSE_CACHE_DEFAULT_MAX_AGE|RESPONSE_CACHE_DEFAULT_MAX_AGE[\s\S]*PERSISTED_DOCUMENTS_MODE/,
    );
  });
  // --- end of caching ---

  it('turns production on from NODE_ENV', () => {
    expect(
      loadGatewayConfig({
        NODE_ENV: 'production',
        INTROSPECTION: 'false',
        IDENTITY_SIGNING_SECRET: 'a-real-production-secret',
        INTERNAL_SERVICE_TOKEN: 'a-real-internal-service-token',
      }),
    ).toMatchObject({
      production: true,
      introspection: false,
    });
  });
});
