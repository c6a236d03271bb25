/**
 * The WebSocket API's part of the gateway's configuration: its environment fields (merged into
 * gateway/config.ts's schema), the route table WS_ROUTES (JSON, validated here) and its limits,
 * modelled on API Gateway's WebSocket APIs (128 KB messages, 10 min idle, 2 h per connection).
 */
import { z } from 'zod';
import { devSecret, env, isDevSecret } from '../../../lib/config.js';

/** Where a route key's messages go: an HTTP POST to `path` on the service's base URL. */
export interface WebSocketRouteIntegration {
  /** A subgraph of the supergraph served; its routing URL (minus /graphql) is the base URL. */
  service: string;
  /** Under /websocket/, where the subgraph kit checks the gateway's identity signature. */
  path: string;
}

export type WebSocketRoutes = Readonly<Record<string, WebSocketRouteIntegration>>;

export interface WebSocketApiConfig {
  /** Serve the WebSocket API at /ws and the push API at /@connections. @default true */
  enabled: boolean;
  /** Route key -> integration (WS_ROUTES). @default the orders service's $disconnect, watchOrders, unwatchOrders */
  routes: WebSocketRoutes;
  /**
   * The gateway's base URL as the services reach it, for the callback URL of the push API
   * (WS_CALLBACK_BASE_URL). @default the URL the gateway listens on
   */
  callbackBaseUrl?: string;
  /** Largest message, in bytes, either way; a larger one from a client closes it with 1009. @default 131072 */
  maxMessageBytes: number;
  /** A connection with no message from its client for this long is closed (1001). @default 600000 */
  idleTimeoutMs: number;
  /** A connection is closed (1001) at this age, whatever it does. @default 7200000 */
  maxConnectionAgeMs: number;
  /** New connections per second (shared by the replicas with REDIS_URL); more get 429. @default 500 */
  connectsPerSecond: number;
  /** Messages per second from one connection; more get an error message, twice as many close it (1008). @default 100 */
  messagesPerSecond: number;
  /** Longest wait for a route's integration. @default 10000 */
  integrationTimeoutMs: number;
  /** Key of the push API's request signatures (INTERNAL_SERVICE_TOKEN, the services' too). */
  serviceToken: string;
  /** How old a push API signature may be. @default 30000 */
  signatureMaxAgeMs: number;
}

export const ROUTE_KEY_PATTERN = /^(\$connect|\$disconnect|\$default|[A-Za-z][A-Za-z0-9_.-]{0,63})$/;
export const WEBSOCKET_INTEGRATION_PREFIX = '/websocket/';

export const DEFAULT_WS_ROUTES = JSON.stringify({
  $disconnect: { service: 'orders', path: '/websocket/disconnect' },
  watchOrders: { service: 'orders', path: '/websocket/watchOrders' },
  unwatchOrders: { service: 'orders', path: '/websocket/unwatchOrders' },
});

const integrationSchema = z
  .object({
    service: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'must be a subgraph name'),
    path: z
      .string()
      .regex(/^\/websocket(\/[A-Za-z0-9._~$-]+)+$/, 'must be a path under /websocket/ (where services check the gateway signature)'),
  })
  .strict();

/** WS_ROUTES: `{"<route key>": {"service": "orders", "path": "/websocket/..."}, ...}`. */
export const wsRoutesSchema = z
  .string()
  .default(DEFAULT_WS_ROUTES)
  .transform((raw, ctx) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `is not JSON: ${(err as Error).message}` });
      return z.NEVER;
    }
    return parsed;
  })
  .pipe(
    z.record(z.string(), integrationSchema).superRefine((routes, ctx) => {
      for (const key of Object.keys(routes)) {
        if (!ROUTE_KEY_PATTERN.test(key)) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: 'route keys are $connect, $disconnect, $default or an action name (a letter, then letters, digits, _ . -)',
          });
        }
      }
    }),
  );

export const websocketApiEnv = {
  WS_API: env.bool(true),
  WS_ROUTES: wsRoutesSchema,
  WS_CALLBACK_BASE_URL: z
    .string()
    .regex(/^https?:\/\/[^/\s]+(\/[^\s]*)?$/, 'must be an http(s) URL, such as http://gateway:4000')
    .optional(),
  WS_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1_024).max(16 * 1024 * 1024).default(128 * 1024),
  WS_IDLE_TIMEOUT_MS: env.positiveInt(10 * 60_000),
  WS_MAX_CONNECTION_AGE_MS: env.positiveInt(2 * 60 * 60_000),
  WS_CONNECTS_PER_SECOND: env.positiveInt(500),
  WS_MESSAGES_PER_SECOND: env.positiveInt(100),
  WS_INTEGRATION_TIMEOUT_MS: env.positiveInt(10_000),
  WS_SIGNATURE_MAX_AGE_MS: env.positiveInt(30_000),
  INTERNAL_SERVICE_TOKEN: z.string().min(16, 'must be at least 16 characters').default(devSecret('internal')),
};

type WebSocketApiEnv = z.output<z.ZodObject<typeof websocketApiEnv>>;

/** Builds the section; `problems` gets what needs NODE_ENV (development secrets in production). */
export function websocketApiConfig(values: WebSocketApiEnv, production: boolean, problems: string[]): Readonly<WebSocketApiConfig> {
  if (production && isDevSecret(values.INTERNAL_SERVICE_TOKEN)) {
    problems.push('INTERNAL_SERVICE_TOKEN: must be set to a real secret in production (the same one the services have)');
  }
  return Object.freeze({
    enabled: values.WS_API,
    routes: Object.freeze(Object.fromEntries(Object.entries(values.WS_ROUTES).map(([key, route]) => [key, Object.freeze({ ...route })]))),
    callbackBaseUrl: values.WS_CALLBACK_BASE_URL?.replace(/\/$/, ''),
    maxMessageBytes: values.WS_MAX_MESSAGE_BYTES,
    idleTimeoutMs: values.WS_IDLE_TIMEOUT_MS,
    maxConnectionAgeMs: values.WS_MAX_CONNECTION_AGE_MS,
    connectsPerSecond: values.WS_CONNECTS_PER_SECOND,
    messagesPerSecond: values.WS_MESSAGES_PER_SECOND,
    integrationTimeoutMs: values.WS_INTEGRATION_TIMEOUT_MS,
    serviceToken: values.INTERNAL_SERVICE_TOKEN,
    signatureMaxAgeMs: values.WS_SIGNATURE_MAX_AGE_MS,
  });
}
