/**
 * The gateway service: Apollo Federation (@apollo/gateway) inside Apollo Server 5 on express 5.
 * POST /graphql runs operations across the subgraphs; GET /graphql from a browser serves the IDE;
 * /health and /ready report on the process and on every subgraph.
 */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import express from 'express';
import { Draining, errorHandler, healthRoutes, listen, notFoundHandler } from '../lib/httpServer.js';
import { Lifecycle } from '../lib/lifecycle.js';
import { createLogger, type Logger } from '../lib/logger.js';
import type { GatewayConfig } from './config.js';
import { contextBuilder, type GatewayContext } from './context.js';
import type { GatewayFeature } from './features/feature.js';
import { attachUpgrades } from './frontDoor/upgrades.js';
import { createGatewayMetrics, METRICS_PATH } from './metrics.js';
import { createTracing, type Tracing } from '../lib/tracing.js';
import { API_PATH, createFrontDoor, GRAPHQL_PATH } from './frontDoor/frontDoor.js';
import { createGraphQLHttpHandler } from './frontDoor/graphqlHttp.js';
import { useObservability } from './features/observability/useObservability.js';
import { useWebSocketApi } from './features/websocketApi/useWebSocketApi.js';
import { useGraphiQL } from './features/graphiql/useGraphiQL.js';
import { useCors } from './features/cors/useCors.js';
import { useAuthentication } from './features/authentication/useAuthentication.js';
import { maskErrorForProduction } from './features/errorMasking/errorMasking.js';
import { ApolloGateway } from './federation/apolloGateway.js';
import { withPlanExecutor } from './federation/execution/planExecutor.js';
import { withResponseKeyGuard } from './federation/planning/responseKeyGuard.js';
import { documentCache } from '../lib/documentCache.js';
import { useOperationLimits } from './features/operationLimits/useOperationLimits.js';
import { useAuthorization } from './features/authorization/useAuthorization.js';
import { useSubscriptions } from './features/subscriptions/useSubscriptions.js';
import { createFederatedSubscriptions } from './federation/subscriptions/federatedSubscriptions.js';
import { useRateLimit } from './features/rateLimit/useRateLimit.js';
import { clientAddressResolver } from './features/rateLimit/trustProxy.js';
import { usePersistedQueries } from './features/persistedQueries/usePersistedQueries.js';
import { useResponseCache } from './features/responseCache/useResponseCache.js';
import { createStore, STORE_NAMESPACES } from './store/index.js';
import { createSharedRedis } from './redis.js';
import { createSubgraphResilience } from './federation/subgraphCalls/subgraphResilience.js';
import { SubgraphDataSource } from './federation/subgraphCalls/subgraphDataSource.js';
// --- REST routes, docs and header rules ---
import { signIdentityHeaders } from '../lib/signedIdentity.js';
import { useDocs } from './features/docs/useDocs.js';
import { useRestRoutes } from './features/restRoutes/useRestRoutes.js';
import { NO_HEADER_RULES, subgraphHeaderRules } from './features/headerRules/headerRules.js';
import { buildOpenApiDocument } from './features/restRoutes/openapi.js';
// --- end of REST routes, docs and header rules ---
import { createSubgraphHttp } from './federation/subgraphCalls/subgraphHttp.js';
import {
  apolloGatewayLogger,
  loadSupergraphSource,
  type SubgraphRoute,
  type SupergraphReloadResult,
} from './federation/supergraph/supergraphSource.js';

export interface StartGatewayOptions {
  logger?: Logger;
  /** A supergraph SDL to serve; skips SUPERGRAPH_PATH and SUPERGRAPH_CONFIG. */
  supergraphSdl?: string;
  /** This gateway's tracing (tests: one with an in-memory exporter). @default from OTEL_EXPORTER_OTLP_ENDPOINT, else off */
  tracing?: Tracing;
}

export interface RunningGateway {
  /** Base URL, e.g. http://127.0.0.1:4000 */
  url: string;
  port: number;
  /** e.g. http://127.0.0.1:4000/graphql */
  graphqlUrl: string;
  /** Each subgraph of the supergraph being served, with the routing URL actually used (after SUBGRAPH_URLS). */
  readonly subgraphs: readonly SubgraphRoute[];
  /** Identifies the supergraph being served; changes with every hot reload. */
  supergraphHash(): string;
  /** Reads (or composes) the supergraph now, as a file change would, and swaps to it when it changed and is valid. */
  reloadSupergraph(): Promise<SupergraphReloadResult>;
  /** Stops at once: no new connections, requests in flight finish, then everything closes. */
  close(): Promise<void>;
  /**
   * What SIGTERM runs: /ready answers 503 and responses close their connections for
   * GATEWAY_SHUTDOWN_DELAY_MS while the gateway still serves (load balancers take it out), then close().
   */
  shutdown(): Promise<void>;
}

export { API_PATH, GRAPHQL_PATH };

export async function startGateway(config: GatewayConfig, options: StartGatewayOptions = {}): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger('gateway', config.logLevel);
  const lifecycle = new Lifecycle(logger);
  // Undefined when off: then no span, context or traceparent work is done anywhere on the request path.
  const tracing = options.tracing ?? createTracing({ service: 'gateway', otlpEndpoint: config.otlpEndpoint });
  if (tracing && !options.tracing) lifecycle.add('tracing', () => tracing.shutdown());
  const metrics = createGatewayMetrics({ maxOperationNames: config.metricsMaxOperations });
  try {
    // The supergraph and its hot reload (gateway/federation/supergraph).
    const supergraph = await loadSupergraphSource(config, { logger, supergraphSdl: options.supergraphSdl });
    lifecycle.add('supergraph watch', () => supergraph.close());
    // Timeouts, retries, circuit breakers and deduplication of subgraph calls (gateway/federation/subgraphCalls).
    const resilience = createSubgraphResilience(config.subgraphResilience, { logger });
    const subgraphHttp = createSubgraphHttp({ timeoutMs: resilience.longestTimeoutMs });
    lifecycle.add('subgraph connections', () => subgraphHttp.close());
    // One Redis connection (REDIS_URL) for the features that share state across replicas.
    const redis = config.redisUrl ? createSharedRedis(config.redisUrl, logger) : undefined;
    if (redis) lifecycle.add('redis', () => redis.close());

    // buildService is called for each subgraph of the first supergraph and for new or moved ones after a swap.
    // @apollo/gateway reads this switch from the environment only, when it is constructed.
    if (!config.apolloTelemetry) process.env.APOLLO_TELEMETRY_DISABLED = 'true';
    // The data source of each subgraph, for the gateway's executor (the latest one built per name).
    const dataSources = new Map<string, SubgraphDataSource>();
    const apolloGateway = new ApolloGateway({
      supergraphSdl: supergraph.hook,
      logger: apolloGatewayLogger(logger),
      buildService: ({ name, url }) => {
        const target = supergraph.routingUrlOf(name, url);
        const dataSource = new SubgraphDataSource({
          name,
          url: target,
          transport: subgraphHttp.post,
          policy: resilience.policyFor(name),
          logger,
          identitySigningSecret: config.authentication.identitySigningSecret,
          headerRules: subgraphHeaderRules(config.headerRules ?? NO_HEADER_RULES, name),
          metrics,
          tracing,
        });
        dataSources.set(name, dataSource);
        return dataSource;
      },
    });
    // @apollo/gateway plans; the gateway's own executor runs the plans (federation/execution).
    const gateway =
      config.queryPlanExecutor === 'gateway'
        ? withPlanExecutor(apolloGateway, {
            planningFor: (sdl) => supergraph.planningFor(sdl),
            subgraph: (name) => dataSources.get(name),
            planCacheSize: config.queryPlanCacheSize,
            planCacheBytes: config.queryPlanCacheBytes,
            batching: config.subgraphBatching,
            onPlanCache: (hit) => metrics.queryPlanCache.inc({ result: hit ? 'hit' : 'miss' }),
            tracing,
          })
        : apolloGateway;

    const { authentication: auth } = config;
    const identity = useAuthentication({
      jwt: {
        secret: auth.jwtSecret,
        jwksUrl: auth.jwtJwksUrl,
        issuer: auth.jwtIssuer,
        audience: auth.jwtAudience,
        algorithms: auth.jwtAlgorithms,
        clockToleranceSeconds: auth.jwtClockToleranceSeconds,
        jwksCooldownMs: auth.jwtJwksCooldownMs,
      },
      apiKeys: auth.apiKeys,
      logger,
    });
    // Persisted queries (APQ on the store, a manifest of persisted documents) and the response cache.
    const persistedQueries = usePersistedQueries({
      apq: config.apq,
      store: createStore({ redis, namespace: STORE_NAMESPACES.persistedQueries, logger }),
      manifestPath: config.persistedDocuments,
      mode: config.persistedDocumentsMode,
    });
    const responseCache = config.responseCache
      ? useResponseCache({
          store: createStore({
            redis,
            namespace: STORE_NAMESPACES.responseCache,
            maxEntries: config.responseCacheMaxEntries,
            maxBytes: config.responseCacheMaxBytes,
            logger,
          }),
          defaultMaxAge: config.responseCacheDefaultMaxAge,
          onLookup: (hit) => metrics.responseCache.inc({ result: hit ? 'hit' : 'miss' }),
          logger,
        })
      : undefined;
    // The routing URL in the supergraph served now (after SUBGRAPH_URLS), so REST and WebSocket routes follow hot reloads.
    const routingUrlOf = (service: string) =>
      supergraph.current().subgraphs.find((s) => s.name === service)?.url ?? config.subgraphUrls[service];
    // Known once the server listens (port 0 picks one).
    let listeningUrl = '';
    const websocketApi = config.websocketApi.enabled
      ? useWebSocketApi({
          config: config.websocketApi,
          identify: identity.identify,
          routingUrlOf,
          dispatcher: subgraphHttp.dispatcher,
          identityHeaders: (caller, requestId) =>
            signIdentityHeaders(caller, { secret: config.authentication.identitySigningSecret, requestId }),
          callbackBaseUrl: () => config.websocketApi.callbackBaseUrl ?? listeningUrl,
          redis,
          metrics,
          logger,
        })
      : undefined;
    const operationLimits = useOperationLimits(config.operationLimits);
    const authorization = useAuthorization({ logger });
    // GraphQL subscriptions over graphql-ws on the /graphql upgrade (features/subscriptions, federation/subscriptions).
    const subscriptions = config.subscriptions
      ? useSubscriptions({
          path: GRAPHQL_PATH,
          identify: identity.identify,
          federation: createFederatedSubscriptions({
            gateway: apolloGateway,
            planningFor: (sdl) => supergraph.planningFor(sdl),
            subgraph: (name) => dataSources.get(name),
            identitySigningSecret: config.authentication.identitySigningSecret,
            batching: config.subgraphBatching,
            planCacheSize: config.queryPlanCacheSize,
            planCacheBytes: config.queryPlanCacheBytes,
            connectTimeoutMs: resilience.longestTimeoutMs,
            logger,
          }),
          limits: operationLimits,
          authorization,
          maxPerConnection: config.subscriptionsMaxPerConnection,
          production: config.production,
          logger,
        })
      : undefined;
    const features: GatewayFeature[] = [
      useObservability({ metrics, tracing }),
      useCors({ origins: config.corsOrigins, credentials: config.corsCredentials, maxAgeSeconds: 600 }),
      identity,
      // After authentication: limits are counted per API key, user or client address.
      ...(config.rateLimit.enabled
        ? [
            useRateLimit(config.rateLimit, {
              logger,
              redis,
              onRejected: () => metrics.rateLimitRejections.inc(),
              // Whom X-Forwarded-For may name (GATEWAY_TRUST_PROXY), as express's `trust proxy` reads it.
              clientAddress: clientAddressResolver(config.trustProxy),
            }),
          ]
        : []),
      operationLimits,
      // Before the response cache: a filtered operation gets its own queryHash, so its own cache entry.
      authorization,
      persistedQueries,
      ...(responseCache ? [responseCache] : []),
      useGraphiQL({ endpoint: GRAPHQL_PATH, title: 'GraphQL IDE' }),
      // --- REST routes, docs and header rules ---
      ...(config.restRoutes.length
        ? [
            useRestRoutes({
              routes: config.restRoutes,
              // The routing URL in the supergraph served now (after SUBGRAPH_URLS), so REST follows hot reloads.
              routingUrlOf: (service) =>
                supergraph.current().subgraphs.find((s) => s.name === service)?.url ?? config.subgraphUrls[service],
              dispatcher: subgraphHttp.dispatcher,
              timeoutMs: config.restTimeoutMs,
              bodyLimit: config.bodyLimit,
              // The same signed identity subgraph calls carry (SubgraphDataSource).
              identityHeaders: (caller, requestId) =>
                signIdentityHeaders(caller, { secret: config.authentication.identitySigningSecret, requestId }),
              headerRules: config.headerRules,
              openApiDocument: buildOpenApiDocument(config.restRoutes),
              logger,
            }),
          ]
        : []),
      ...(config.docs
        ? [
            useDocs({
              supergraph: () => supergraph.current(),
              openApiDocument: config.restRoutes.length ? buildOpenApiDocument(config.restRoutes) : undefined,
              logger,
            }),
          ]
        : []),
      // --- end of REST routes, docs and header rules ---
      ...(websocketApi ? [websocketApi] : []),
      ...(subscriptions ? [subscriptions] : []),
    ];
    const server = new ApolloServer<GatewayContext>({
      // Our SIGTERM handler drains and tears down in order; Apollo's own would stop and kill the process first.
      stopOnTerminationSignals: false,
      // The guard keeps client aliases from colliding with fields the planner adds (see responseKeyGuard.ts).
      gateway: withResponseKeyGuard(gateway),
      logger,
      introspection: config.introspection,
      includeStacktraceInErrorResponses: !config.production,
      allowBatchedHttpRequests: config.batching,
      persistedQueries: persistedQueries.persistedQueries,
      // Bounded by the heap documents take, not Apollo's default estimate of 30 MiB of JSON (documentCache.ts).
      documentStore: documentCache(config.documentCacheBytes),
      ...(config.production ? { formatError: maskErrorForProduction } : {}),
      // The IDE is served by useGraphiQL (offline); Apollo's own landing page loads from a CDN.
      plugins: [ApolloServerPluginLandingPageDisabled(), ...features.flatMap((f) => f.plugins ?? [])],
    });
    await server.start();
    lifecycle.add('apollo server', () => server.stop());
    for (const feature of features) {
      if (feature.close) lifecycle.add(feature.name, feature.close);
    }

    const unknownTimeouts = resilience.unknownNames(supergraph.current().subgraphs.map((s) => s.name));
    if (unknownTimeouts.length) {
      logger.warn({ subgraphs: unknownTimeouts }, 'SUBGRAPH_TIMEOUTS names subgraphs the supergraph does not have');
    }

    // Everything but /graphql: the features' routes (REST, docs, the push API), /metrics, /health and
    // /ready, and 404s. The front door has already logged, timed and traced the request and run the
    // onRequest hooks on /api paths.
    const app = express();
    app.disable('x-powered-by');
    // No automatic ETag: no client revalidates these answers, and hashing them costs CPU.
    app.set('etag', false);
    // Whom X-Forwarded-* may come from (GATEWAY_TRUST_PROXY), for express's req.protocol and req.ip
    // (the docs pages' own URL behind a TLS-terminating load balancer).
    app.set('trust proxy', config.trustProxy);
    app.get(METRICS_PATH, metrics.handler);
    const draining = new Draining();
    app.use(
      healthRoutes(() =>
        Object.fromEntries(
          supergraph
            .current()
            .subgraphs.map(({ name, url }) => [name, resilience.readinessCheck(name, () => subgraphHttp.checkHealth(url))]),
        ),
        draining,
      ),
    );
    for (const feature of features) if (feature.routes) app.use(feature.routes);
    app.use(notFoundHandler());
    app.use(errorHandler(logger));

    const frontDoor = createFrontDoor({
      logger,
      metrics,
      tracing,
      hooks: features.flatMap((f) => (f.onRequest ? [f.onRequest] : [])),
      graphql: createGraphQLHttpHandler({
        server,
        context: contextBuilder({ identity: identity.context }),
        hooks: features.flatMap((f) => (f.onGraphQLRequest ? [f.onGraphQLRequest] : [])),
        paramsHooks: features.flatMap((f) => (f.onGraphQLParams ? [f.onGraphQLParams] : [])),
        bodyLimit: config.bodyLimit,
        batching: config.batching,
        maxBatch: config.maxBatch,
        logger,
      }),
      app,
    });

    const http = await listen(frontDoor, config.port, config.host, undefined, draining);
    lifecycle.add('http server', () => http.close());
    listeningUrl = http.url;
    // Upgraded sockets keep the HTTP server from closing: the WebSocket API closes them first.
    if (websocketApi) lifecycle.add('websocket connections', () => websocketApi.closeConnections());
    attachUpgrades(http.server, features.flatMap((f) => f.upgrades ?? []), logger);
    logger.info({ url: `${http.url}${GRAPHQL_PATH}`, subgraphs: supergraph.current().subgraphs }, 'gateway listening');
    return {
      url: http.url,
      port: http.port,
      graphqlUrl: `${http.url}${GRAPHQL_PATH}`,
      get subgraphs() {
        return supergraph.current().subgraphs;
      },
      supergraphHash: () => supergraph.current().hash,
      reloadSupergraph: () => supergraph.reload(),
      close: () => lifecycle.close(),
      async shutdown() {
        draining.begin();
        if (config.shutdownDelayMs > 0) {
          logger.info({ delayMs: config.shutdownDelayMs }, 'draining: /ready answers 503 before the gateway stops accepting');
          await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
        }
        await lifecycle.close();
      },
    };
  } catch (err) {
    await lifecycle.close();
    throw err;
  }
}
