/**
 * The gateway's configuration: the only reader of process.env for this service. Every problem is
 * reported at once and the result is frozen.
 */
import os from 'node:os';
import { z } from 'zod';
import { ConfigError, env, parseEnv } from '../lib/config.js';
import type { OperationLimitsOptions } from './features/operationLimits/useOperationLimits.js';
// --- authentication ---
import { authenticationConfig, authenticationEnv, type AuthenticationConfig } from './features/authentication/authenticationConfig.js';
// --- end of authentication ---
import type { SubgraphResilienceConfig } from './federation/subgraphCalls/subgraphResilience.js';
// --- rate limit ---
import type { RateLimitConfig } from './features/rateLimit/limits.js';
import { rateLimitConfig, rateLimitEnv } from './features/rateLimit/rateLimitConfig.js';
import type { TrustProxySetting } from './features/rateLimit/trustProxy.js';
// --- end of rate limit ---
// --- REST routes, docs and header rules ---
import { restRoutesSchema, type RestRoute } from './features/restRoutes/useRestRoutes.js';
import { HeaderRulesError, loadHeaderRulesFile, type HeaderRules } from './features/headerRules/headerRules.js';
// --- end of REST routes, docs and header rules ---
import { isHttpUrl } from './federation/supergraph/urls.js';
// --- WebSocket API ---
import { websocketApiConfig, websocketApiEnv, type WebSocketApiConfig } from './features/websocketApi/websocketApiConfig.js';
// --- end of WebSocket API ---

export interface GatewayConfig {
  port: number;
  host: string;
  /** Gateway processes sharing the port (node:cluster); `auto` in GATEWAY_WORKERS means one per core. @default 1 */
  workers: number;
  /**
   * How far V8 lets the heap grow past what the last full collection kept, in percent (V8's
   * --heap-growing-percent); 0 leaves it to V8, which lets a busy gateway's heap grow to about four
   * times its live data. Lower keeps resident memory down at some CPU cost. @default 50
   */
  heapGrowthPercent: number;
  /**
   * On SIGTERM, how long the gateway keeps serving with /ready answering 503 before it stops
   * accepting, so load balancers take it out first. @default 5000 when NODE_ENV=production, else 0
   */
  shutdownDelayMs: number;
  /** A supergraph SDL composed ahead of time (`npm run compose`); wins over `supergraphConfig`. */
  supergraphPath?: string;
  /** A rover-format supergraph.yaml composed at start when `supergraphPath` is not set. */
  supergraphConfig: string;
  /** Routing URLs that replace the supergraph's, by subgraph name. */
  subgraphUrls: Readonly<Record<string, string>>;
  /**
   * Hot reload: watch the supergraph file (or the yaml and the schema files it lists) and swap to
   * the new supergraph without a restart. @default true, false when NODE_ENV=production
   */
  supergraphWatch: boolean;
  /** Also re-read the watched files every this many ms (file systems without change events); 0 = off. @default 0 */
  supergraphPollMs: number;
  /** Before a hot swap, check that every subgraph of the new supergraph answers `{ __typename }`. @default false */
  supergraphHealthCheck: boolean;
  /** Largest accepted request body, in `bytes` notation (e.g. 1mb, 512kb). */
  bodyLimit: string;
  // --- Subgraph resilience (gateway/federation/subgraphCalls): timeouts, retries, circuit breaker, deduplication ---
  subgraphResilience: Readonly<SubgraphResilienceConfig>;
  // --- end of subgraph resilience ---
  /**
   * Who runs query plans: `gateway`, the gateway's own executor (federation/execution), or
   * `apollo`, @apollo/gateway's. @default 'gateway'
   */
  queryPlanExecutor: 'gateway' | 'apollo';
  /** Operations whose query plans (and compiled form) are kept, per supergraph. @default 1000 */
  queryPlanCacheSize: number;
  /** Estimated heap the kept plans may take, per supergraph (QUERY_PLAN_CACHE_MB). */
  queryPlanCacheBytes: number;
  /** Estimated heap of the parsed and validated documents Apollo Server keeps (DOCUMENT_CACHE_MB). */
  documentCacheBytes: number;
  /** Entity fetches of one plan level to the same subgraph go as one request (gateway executor). @default true */
  subgraphBatching: boolean;
  /** Hostile-operation limits (features/useOperationLimits). */
  operationLimits: Readonly<OperationLimitsOptions>;
  // --- authentication (gateway/auth, features/useAuthentication) ---
  authentication: Readonly<AuthenticationConfig>;
  // --- end of authentication ---
  // --- rate limit (gateway/features/rateLimit) ---
  /** Token buckets per API key plan / user / client IP and daily quotas per API key. */
  rateLimit: Readonly<RateLimitConfig>;
  /** express `trust proxy`: which hops may name the client in X-Forwarded-For. @default false */
  trustProxy: TrustProxySetting;
  /** Redis for state shared by every replica (rate limits, caches); absent: in-memory. @default undefined */
  redisUrl?: string;
  // --- end of rate limit ---
  // --- caching (features/useResponseCache, features/usePersistedQueries) ---
  /** Response cache for queries, kept as the subgraphs' @cacheControl hints allow. @default true */
  responseCache: boolean;
  /** Most entries the in-memory cache stores keep (without REDIS_URL). @default 10000 */
  responseCacheMaxEntries: number;
  /** Most characters of cached answers the in-memory cache keeps (RESPONSE_CACHE_MAX_MB). @default 64 MiB */
  responseCacheMaxBytes: number;
  /** Seconds to keep a response no hint covers; 0 caches only what hints allow. @default 0 */
  responseCacheDefaultMaxAge: number;
  /** Automatic persisted queries (register a query by its sha256 hash). @default true */
  apq: boolean;
  /** A persisted query manifest in Apollo's format; its operations run by id. @default undefined */
  persistedDocuments?: string;
  /** `safelist`: only the manifest's operations run; `allow`: any query too. @default 'allow' */
  persistedDocumentsMode: 'safelist' | 'allow';
  // --- end of caching ---
  // --- REST routes, docs and header rules (gateway/features/restRoutes, docs, headerRules) ---
  /** REST routes straight to the owning services, by gateway path prefix under /api. */
  restRoutes: readonly RestRoute[];
  /** Longest wait for a REST service's answer. @default 10000 */
  restTimeoutMs: number;
  /** Serve the documentation at /docs. @default true */
  docs: boolean;
  /** Header rules from HEADER_RULES_FILE, validated at start; absent: none. @default undefined */
  headerRules?: HeaderRules;
  // --- end of REST routes, docs and header rules ---
  // --- hostile input: CORS, batching, introspection, masking ---
  /** Origins allowed cross-origin (`*` for any); empty: same origin only. @default [] */
  corsOrigins: readonly string[];
  /** @default false */
  corsCredentials: boolean;
  /** Accept JSON arrays of operations (HTTP batching), at most `maxBatch` long. @default false */
  batching: boolean;
  /** @default 10 */
  maxBatch: number;
  // --- end of hostile input ---
  // --- WebSocket API (gateway/features/websocketApi): /ws, the push API at /@connections, its limits ---
  websocketApi: Readonly<WebSocketApiConfig>;
  // --- end of WebSocket API ---
  // --- GraphQL subscriptions (gateway/features/subscriptions): graphql-ws on the /graphql upgrade ---
  /** Serve subscriptions over graphql-ws on /graphql. @default true */
  subscriptions: boolean;
  /** Subscriptions one WebSocket connection may hold at once. @default 25 */
  subscriptionsMaxPerConnection: number;
  // --- end of GraphQL subscriptions ---
  /** @default true, false when NODE_ENV=production */
  introspection: boolean;
  /**
   * @apollo/gateway reports usage to Apollo and probes cloud metadata endpoints unless told not to;
   * this platform makes no outside calls. @default false
   */
  apolloTelemetry: boolean;
  production: boolean;
  logLevel: string;
  /** OTLP/HTTP collector for traces (OTEL_EXPORTER_OTLP_ENDPOINT); tracing is off without one. */
  otlpEndpoint?: string;
  /** Distinct GraphQL operation names labelled as they are in metrics; later ones count as `other`. @default 100 */
  metricsMaxOperations: number;
}

const BYTES_PATTERN = /^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/i;

/**
 * `products=http://products:4001/graphql,orders=http://orders:4002/graphql` -> a record by name.
 * Problems are reported per entry so a typo in one does not hide the others.
 */
export const subgraphUrlsSchema = z
  .string()
  .default('')
  .transform((raw, ctx) => {
    const urls: Record<string, string> = {};
    for (const entry of raw.split(',').map((part) => part.trim()).filter(Boolean)) {
      const eq = entry.indexOf('=');
      const name = eq > 0 ? entry.slice(0, eq).trim() : '';
      const url = eq > 0 ? entry.slice(eq + 1).trim() : '';
      if (!name || !url) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not of the form name=url` });
        continue;
      }
      if (!isHttpUrl(url)) {
        ctx.addIssue({ code: 'custom', message: `${name}: "${url}" is not an http(s) URL` });
        continue;
      }
      if (name in urls) ctx.addIssue({ code: 'custom', message: `${name} is listed twice` });
      urls[name] = url;
    }
    return urls;
  });

// --- Subgraph resilience (gateway/federation/subgraphCalls) ---
/** `products=2000,search=500` -> milliseconds by subgraph name, each entry checked on its own. */
export const subgraphTimeoutsSchema = z
  .string()
  .default('')
  .transform((raw, ctx) => {
    const timeouts: Record<string, number> = {};
    for (const entry of raw.split(',').map((part) => part.trim()).filter(Boolean)) {
      const match = /^([^=\s]+)\s*=\s*(\d+)$/.exec(entry);
      if (!match || Number(match[2]) <= 0) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not of the form name=milliseconds (a positive whole number)` });
        continue;
      }
      if (match[1] in timeouts) ctx.addIssue({ code: 'custom', message: `${match[1]} is listed twice` });
      timeouts[match[1]] = Number(match[2]);
    }
    return timeouts;
  });

const subgraphResilienceEnv = {
  SUBGRAPH_TIMEOUTS: subgraphTimeoutsSchema,
  SUBGRAPH_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  SUBGRAPH_RETRY_BASE_MS: z.coerce.number().int().min(0).default(50),
  SUBGRAPH_RETRY_BUDGET_MS: z.coerce.number().int().min(0).default(1_000),
  BREAKER_FAILURE_THRESHOLD: env.positiveInt(5),
  BREAKER_COOLDOWN_MS: env.positiveInt(5_000),
  SUBGRAPH_DEDUP: env.bool(true),
};
// --- end of subgraph resilience ---

const gatewayEnvSchema = z.object({
  GATEWAY_PORT: env.port(4000),
  GATEWAY_HOST: env.host(),
  GATEWAY_WORKERS: z
    .string()
    .default('1')
    .refine((v) => v === 'auto' || (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 256), {
      message: 'must be a whole number from 1 to 256, or auto (one per core)',
    })
    .transform((v) => (v === 'auto' ? os.availableParallelism() : Number(v))),
  GATEWAY_HEAP_GROWTH_PERCENT: z.coerce.number().int().min(0).max(1000).default(40),
  // No default here: it follows NODE_ENV.
  GATEWAY_SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(600_000).optional(),
  SUPERGRAPH_PATH: z.string().min(1).optional(),
  SUPERGRAPH_CONFIG: z.string().min(1).default('supergraph.yaml'),
  SUBGRAPH_URLS: subgraphUrlsSchema,
  // No default here: it follows NODE_ENV.
  SUPERGRAPH_WATCH: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1' || v === 'yes')),
  SUPERGRAPH_POLL_MS: z.coerce.number().int().min(0).default(0),
  SUPERGRAPH_HEALTH_CHECK: env.bool(false),
  GATEWAY_BODY_LIMIT: z
    .string()
    .regex(BYTES_PATTERN, 'must be a size such as 1mb, 512kb or 1048576')
    .default('1mb'),
  SUBGRAPH_TIMEOUT_MS: env.positiveInt(10_000),
  ...subgraphResilienceEnv,
  QUERY_PLAN_EXECUTOR: z.enum(['gateway', 'apollo']).default('gateway'),
  QUERY_PLAN_CACHE_SIZE: env.positiveInt(1_000),
  QUERY_PLAN_CACHE_MB: env.positiveInt(16),
  DOCUMENT_CACHE_MB: env.positiveInt(16),
  SUBGRAPH_BATCHING: env.bool(true),
  GATEWAY_MAX_DEPTH: env.positiveInt(15),
  GATEWAY_MAX_ALIASES: z.coerce.number().int().min(0).default(30),
  GATEWAY_MAX_ROOT_FIELDS: env.positiveInt(20),
  GATEWAY_MAX_TOKENS: env.positiveInt(5_000),
  GATEWAY_MAX_COST: env.positiveInt(25_000),
  GATEWAY_DEFAULT_LIST_SIZE: env.positiveInt(10),
  // --- authentication ---
  ...authenticationEnv,
  // --- end of authentication ---
  // --- rate limit ---
  ...rateLimitEnv,
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
    .optional(),
  // --- end of rate limit ---
  // --- caching ---
  RESPONSE_CACHE: env.bool(true),
  RESPONSE_CACHE_MAX_ENTRIES: env.positiveInt(10_000),
  RESPONSE_CACHE_MAX_MB: env.positiveInt(64),
  RESPONSE_CACHE_DEFAULT_MAX_AGE: z.coerce.number().int().min(0).default(0),
  APQ: env.bool(true),
  PERSISTED_DOCUMENTS: z.string().min(1).optional(),
  PERSISTED_DOCUMENTS_MODE: z.enum(['safelist', 'allow']).default('allow'),
  // --- end of caching ---
  // --- REST routes, docs and header rules ---
  REST_ROUTES: restRoutesSchema,
  REST_TIMEOUT_MS: env.positiveInt(10_000),
  DOCS: env.bool(true),
  HEADER_RULES_FILE: z.string().min(1).optional(),
  // --- end of REST routes, docs and header rules ---
  // --- hostile input ---
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(
      z.array(
        z.string().refine((o) => o === '*' || /^https?:\/\/[^/\s]+$/.test(o), {
          message: 'each origin is * or scheme://host[:port] with no path, e.g. https://app.example.com',
        }),
      ),
    ),
  CORS_CREDENTIALS: env.bool(false),
  GATEWAY_BATCHING: env.bool(false),
  GATEWAY_MAX_BATCH: env.positiveInt(10),
  // No default: it follows NODE_ENV (off in production unless enabled).
  INTROSPECTION: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1' || v === 'yes')),
  // --- end of hostile input ---
  // --- WebSocket API ---
  ...websocketApiEnv,
  // --- end of WebSocket API ---
  // --- GraphQL subscriptions ---
  SUBSCRIPTIONS: env.bool(true),
  SUBSCRIPTIONS_MAX_PER_CONNECTION: env.positiveInt(25),
  // --- end of GraphQL subscriptions ---
  APOLLO_TELEMETRY: env.bool(false),
  NODE_ENV: z.string().default('development'),
  LOG_LEVEL: env.logLevel(),
  OTEL_EXPORTER_OTLP_ENDPOINT: env.otlpEndpoint(),
  GATEWAY_METRICS_MAX_OPERATIONS: env.positiveInt(100),
});

/** The environment variables the gateway reads. */
export type GatewayEnvName = keyof z.input<typeof gatewayEnvSchema>;

/**
 * Values that replace the environment's, e.g. from command-line flags; `value: undefined` removes
 * the variable. `source` names where the value came from (`--port`), so messages point there.
 */
export type GatewayConfigOverrides = Partial<Record<GatewayEnvName, { value: string | undefined; source: string }>>;

/**
 * Reads the gateway's configuration from the environment, with `overrides` (command-line flags)
 * taking precedence; both go through the same validation.
 */
export function loadGatewayConfig(
  source: Record<string, string | undefined> = process.env,
  overrides: GatewayConfigOverrides = {},
): Readonly<GatewayConfig> {
  const merged = { ...source };
  for (const [name, override] of Object.entries(overrides)) {
    if (override) merged[name] = override.value;
  }
  let values: z.output<typeof gatewayEnvSchema>;
  try {
    values = parseEnv('gateway', gatewayEnvSchema, merged);
  } catch (err) {
    throw err instanceof ConfigError ? relabel(err, overrides) : err;
  }
  const production = values.NODE_ENV === 'production';
  // --- authentication ---
  const authProblems: string[] = [];
  const authentication = authenticationConfig(values, production, authProblems);
  // --- WebSocket API ---
  const websocketApi = websocketApiConfig(values, production, authProblems);
  // --- end of WebSocket API ---
  if (authProblems.length) throw new ConfigError('gateway', authProblems);
  // --- end of authentication ---
  // --- caching ---
  if (values.PERSISTED_DOCUMENTS_MODE === 'safelist' && !values.PERSISTED_DOCUMENTS) {
    throw new ConfigError('gateway', [
      'PERSISTED_DOCUMENTS_MODE: safelist needs PERSISTED_DOCUMENTS, the manifest of the operations allowed to run',
    ]);
  }
  // --- end of caching ---
  // --- REST routes, docs and header rules ---
  let headerRules: HeaderRules | undefined;
  try {
    headerRules = values.HEADER_RULES_FILE ? loadHeaderRulesFile(values.HEADER_RULES_FILE) : undefined;
  } catch (err) {
    if (err instanceof HeaderRulesError) throw new ConfigError('gateway', err.problems.map((p) => `HEADER_RULES_FILE (${err.source}): ${p}`));
    throw err;
  }
  // --- end of REST routes, docs and header rules ---
  return Object.freeze({
    port: values.GATEWAY_PORT,
    host: values.GATEWAY_HOST,
    workers: values.GATEWAY_WORKERS,
    heapGrowthPercent: values.GATEWAY_HEAP_GROWTH_PERCENT,
    shutdownDelayMs: values.GATEWAY_SHUTDOWN_DELAY_MS ?? (production ? 5_000 : 0),
    supergraphPath: values.SUPERGRAPH_PATH,
    supergraphConfig: values.SUPERGRAPH_CONFIG,
    subgraphUrls: Object.freeze({ ...values.SUBGRAPH_URLS }),
    supergraphWatch: values.SUPERGRAPH_WATCH ?? !production,
    supergraphPollMs: values.SUPERGRAPH_POLL_MS,
    supergraphHealthCheck: values.SUPERGRAPH_HEALTH_CHECK,
    bodyLimit: values.GATEWAY_BODY_LIMIT,
    // --- Subgraph resilience (gateway/federation/subgraphCalls) ---
    subgraphResilience: Object.freeze({
      timeoutMs: values.SUBGRAPH_TIMEOUT_MS,
      timeouts: Object.freeze({ ...values.SUBGRAPH_TIMEOUTS }),
      retries: values.SUBGRAPH_RETRIES,
      retryBaseMs: values.SUBGRAPH_RETRY_BASE_MS,
      retryBudgetMs: values.SUBGRAPH_RETRY_BUDGET_MS,
      breakerFailureThreshold: values.BREAKER_FAILURE_THRESHOLD,
      breakerCooldownMs: values.BREAKER_COOLDOWN_MS,
      dedup: values.SUBGRAPH_DEDUP,
    }),
    queryPlanExecutor: values.QUERY_PLAN_EXECUTOR,
    queryPlanCacheSize: values.QUERY_PLAN_CACHE_SIZE,
    queryPlanCacheBytes: values.QUERY_PLAN_CACHE_MB * 2 ** 20,
    documentCacheBytes: values.DOCUMENT_CACHE_MB * 2 ** 20,
    subgraphBatching: values.SUBGRAPH_BATCHING,
    operationLimits: Object.freeze({
      maxDepth: values.GATEWAY_MAX_DEPTH,
      maxAliases: values.GATEWAY_MAX_ALIASES,
      maxRootFields: values.GATEWAY_MAX_ROOT_FIELDS,
      maxTokens: values.GATEWAY_MAX_TOKENS,
      maxCost: values.GATEWAY_MAX_COST,
      defaultListSize: values.GATEWAY_DEFAULT_LIST_SIZE,
    }),
    // --- authentication ---
    authentication,
    // --- end of authentication ---
    // --- rate limit ---
    rateLimit: rateLimitConfig(values),
    trustProxy: values.GATEWAY_TRUST_PROXY,
    redisUrl: values.REDIS_URL,
    // --- end of rate limit ---
    // --- caching ---
    responseCache: values.RESPONSE_CACHE,
    responseCacheMaxEntries: values.RESPONSE_CACHE_MAX_ENTRIES,
    responseCacheMaxBytes: values.RESPONSE_CACHE_MAX_MB * 2 ** 20,
    responseCacheDefaultMaxAge: values.RESPONSE_CACHE_DEFAULT_MAX_AGE,
    apq: values.APQ,
    persistedDocuments: values.PERSISTED_DOCUMENTS,
    persistedDocumentsMode: values.PERSISTED_DOCUMENTS_MODE,
    // --- end of caching ---
    // --- REST routes, docs and header rules ---
    restRoutes: Object.freeze(values.REST_ROUTES.map((route) => Object.freeze(route))),
    restTimeoutMs: values.REST_TIMEOUT_MS,
    docs: values.DOCS,
    headerRules,
    // --- end of REST routes, docs and header rules ---
    corsOrigins: Object.freeze([...values.CORS_ORIGINS]),
    corsCredentials: values.CORS_CREDENTIALS,
    batching: values.GATEWAY_BATCHING,
    maxBatch: values.GATEWAY_MAX_BATCH,
    websocketApi,
    subscriptions: values.SUBSCRIPTIONS,
    subscriptionsMaxPerConnection: values.SUBSCRIPTIONS_MAX_PER_CONNECTION,
    introspection: values.INTROSPECTION ?? !production,
    apolloTelemetry: values.APOLLO_TELEMETRY,
    production,
    logLevel: values.LOG_LEVEL,
    otlpEndpoint: values.OTEL_EXPORTER_OTLP_ENDPOINT,
    metricsMaxOperations: values.GATEWAY_METRICS_MAX_OPERATIONS,
  });
}

/** `GATEWAY_PORT: ...` -> `--port: ...` for values that came from an override. */
function relabel(error: ConfigError, overrides: GatewayConfigOverrides): ConfigError {
  const problems = error.problems.map((problem) => {
    const name = problem.slice(0, problem.indexOf(':')) as GatewayEnvName;
    const override = overrides[name];
    return override ? `${override.source}${problem.slice(name.length)}` : problem;
  });
  return new ConfigError('gateway', problems);
}
