/**
 * The subgraph kit's one entry point: a subgraph is a definition (schema, resolvers, migrations,
 * services, loaders, internal routes, background work) and startSubgraph() wires the rest the same way for
 * every service: @apollo/subgraph on express 5, the proxy client, migrations, the identity the gateway
 * signed (requests to /graphql without a valid gateway signature get 401),
 * per-request DataLoaders, JSON logs, /health and /ready, error masking and ordered teardown. A schema
 * with a Subscription type is also served over graphql-ws on the /graphql upgrade (subscriptions.ts).
 */
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { Kind, parse, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { documentCache } from '../../lib/documentCache.js';
import { AppError, isErrorCode } from '../../lib/errors.js';
import { Draining, errorHandler, healthRoutes, jsonBody, listen, notFoundHandler } from '../../lib/httpServer.js';
import type { Identity } from '../../lib/identity.js';
import { verifyIdentityHeaders } from '../../lib/signedIdentity.js';
import { Lifecycle } from '../../lib/lifecycle.js';
import { createLogger, requestIdOf, requestLogging, type Logger } from '../../lib/logger.js';
import type { SubgraphBaseConfig } from './config.js';
import { DEFAULT_READ_BATCHING, type ReadBatchingOptions } from './coalescedReads.js';
import { createDbClient, type Db, type DbClient } from './dbClient.js';
import { migrate, type Migration } from './migrate.js';
import { attachSubgraphSubscriptions, hasSubscriptions, type SubgraphSubscriptions } from './subscriptions.js';
import type { Dispatcher } from 'undici';
import { createServiceMetrics, httpMetrics, METRICS_PATH } from '../../lib/metrics.js';
import { createTracing, markError, serverSpans, type Tracing } from '../../lib/tracing.js';
import { context, trace } from '@opentelemetry/api';

export interface SubgraphContext<Loaders = unknown, Services = unknown> {
  requestId: string;
  identity: Identity;
  /** This service's database, through the proxy, tagged with the request id. */
  db: Db;
  /** DataLoaders created for this request only. */
  loaders: Loaders;
  /** The running instance's services (the definition's `services`), shared by all requests. */
  services: Services;
  logger: Logger;
}

/** What a subgraph's own modules get at start-up. */
export interface SubgraphDeps<Config extends SubgraphBaseConfig = SubgraphBaseConfig, Services = unknown> {
  config: Config;
  db: DbClient;
  logger: Logger;
  lifecycle: Lifecycle;
  /** This service's tracing, for its clients of other services; undefined when tracing is off. */
  tracing?: Tracing;
  /** What the definition's `services` built for this instance; undefined without it. */
  services: Services;
}

export interface SubgraphDefinition<
  Loaders,
  Config extends SubgraphBaseConfig = SubgraphBaseConfig,
  Services extends object | undefined = undefined,
> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<SubgraphContext<Loaders, Services>>;
  migrations?: Migration[];
  /**
   * Clients and other state of one running instance (e.g. another service's API client), built once
   * when the database is reachable and migrated, before routes, loaders and background work, which
   * get them as `deps.services` (resolvers as `ctx.services`). Every value in it that has a `close()`
   * is closed after the HTTP server and the background work have stopped.
   */
  services?: (deps: Omit<SubgraphDeps<Config>, 'services'>) => Services | Promise<Services>;
  createLoaders?: (db: Db, deps: SubgraphDeps<Config, Services>) => Loaders;
  /** Extra HTTP routes (internal REST between services), mounted before /graphql with JSON bodies parsed. */
  routes?: (router: Router, deps: SubgraphDeps<Config, Services>) => void;
  /** Work that runs beside the server (e.g. index sync); returns how to stop it. */
  background?: (deps: SubgraphDeps<Config, Services>) => Promise<() => Promise<void> | void>;
  /** Extra readiness checks besides the database. */
  readiness?: (deps: SubgraphDeps<Config, Services>) => Record<string, () => Promise<void>>;
}

export interface StartSubgraphOptions {
  logger?: Logger;
  /** Replaces the proxy client's HTTP pool (tests). */
  dbDispatcher?: Dispatcher;
  /** How long to wait for the proxy to come up before giving up. @default 30000 */
  proxyWaitMs?: number;
  /** This service's tracing (tests: one with an in-memory exporter). @default from OTEL_EXPORTER_OTLP_ENDPOINT, else off */
  tracing?: Tracing;
}

export interface RunningSubgraph<Config extends SubgraphBaseConfig = SubgraphBaseConfig, Services = unknown> {
  name: string;
  url: string;
  port: number;
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4001/graphql */
  graphqlUrl: string;
  deps: SubgraphDeps<Config, Services>;
  /** Its graphql-ws endpoint, when the schema has a Subscription type. */
  subscriptions?: SubgraphSubscriptions;
  close(): Promise<void>;
}

export async function startSubgraph<
  Loaders,
  Config extends SubgraphBaseConfig,
  Services extends object | undefined = undefined,
>(
  definition: SubgraphDefinition<Loaders, Config, Services>,
  config: Config,
  options: StartSubgraphOptions = {},
): Promise<RunningSubgraph<Config, Services>> {
  const logger = options.logger ?? createLogger(definition.name, config.logLevel);
  const lifecycle = new Lifecycle(logger);
  const tracing = options.tracing ?? createTracing({ service: definition.name, otlpEndpoint: config.otlpEndpoint });
  if (tracing && !options.tracing) lifecycle.add('tracing', () => tracing.shutdown());
  const metrics = createServiceMetrics(definition.name);
  const db = createDbClient({
    proxyUrl: config.dbProxyUrl,
    credential: config.dbCredential,
    dispatcher: options.dbDispatcher,
    tracing,
    readBatching: readBatchingOf(config.dbReadBatchMax ?? DEFAULT_READ_BATCHING.maxBatch),
  });
  lifecycle.add('db client', () => db.close());

  try {
    await waitForDatabase(db, options.proxyWaitMs ?? 30_000, logger);
    if (definition.migrations?.length) await migrate(db, definition.migrations, logger);

    const base = { config, db, logger, lifecycle, tracing };
    const services = (definition.services ? await definition.services(base) : undefined) as Services;
    // Registered before the servers and background work, so it is closed after them.
    for (const [name, value] of Object.entries(services ?? {})) {
      if (typeof (value as { close?: unknown })?.close === 'function') {
        lifecycle.add(`service ${name}`, () => (value as { close(): Promise<void> | void }).close());
      }
    }
    const deps: SubgraphDeps<Config, Services> = { ...base, services };

    // The resolver map is typed by our context; @apollo/subgraph types it as unknown.
    const schema = buildSubgraphSchema({
      typeDefs: definition.typeDefs,
      resolvers: definition.resolvers as GraphQLResolverMap<unknown>,
    });
    const contextFor = (identity: Identity, requestId: string): SubgraphContext<Loaders, Services> => {
      const requestDb = db.forRequest(requestId);
      return {
        requestId,
        identity,
        db: requestDb,
        loaders: (definition.createLoaders?.(requestDb, deps) ?? undefined) as Loaders,
        services,
        logger,
      };
    };
    const server = new ApolloServer<SubgraphContext<Loaders, Services>>({
      // Our SIGTERM handler drains and tears down in order; Apollo's own would stop and kill the process first.
      stopOnTerminationSignals: false,
      schema,
      introspection: true,
      includeStacktraceInErrorResponses: !config.production,
      // Bounded by the heap documents take, not Apollo's default estimate of 30 MiB of JSON (lib/documentCache.ts).
      documentStore: documentCache(config.documentCacheBytes ?? 16 * 2 ** 20),
      formatError: (formatted, error) => maskError(formatted, error, logger),
      // Inline traces only feed Apollo's hosted studio, which this platform does not use.
      plugins: [
        ApolloServerPluginInlineTraceDisabled(),
        logErrorsPlugin(logger),
        ...(tracing ? [operationSpansPlugin(tracing)] : []),
      ],
    });
    await server.start();
    lifecycle.add('apollo server', () => server.stop());

    const app = express();
    app.disable('x-powered-by');
    app.use(requestLogging(logger));
    if (tracing) app.use(serverSpans(tracing));
    app.use(httpMetrics(metrics));
    app.get(METRICS_PATH, metrics.handler);
    const draining = new Draining();
    app.use(
      healthRoutes(
        {
          database: async () => {
            await db.read('SELECT 1');
          },
          ...definition.readiness?.(deps),
        },
        draining,
      ),
    );
    // Public REST (the gateway's /api routes) takes the caller's identity from the gateway like /graphql.
    app.use('/api', requireGatewaySignature(config, logger, 'rest'));
    if (definition.routes) {
      const router = express.Router();
      router.use(jsonBody('1mb'));
      definition.routes(router, deps);
      app.use(router);
    }
    app.use(
      '/graphql',
      jsonBody('1mb'),
      requireGatewaySignature(config, logger, 'graphql'),
      expressMiddleware(server, {
        context: async ({ req }) => contextFor(req.identity ?? { scopes: [] }, req.requestId ?? requestIdOf(req)),
      }),
    );
    app.use(notFoundHandler());
    app.use(errorHandler(logger));

    if (definition.background) {
      const stop = await definition.background(deps);
      lifecycle.add('background work', stop);
    }
    const http = await listen(app, config.port, config.host, undefined, draining);
    lifecycle.add('http server', () => http.close());
    // Registered after the HTTP server, so closed before it: open sockets would hold its close.
    const subscriptions = hasSubscriptions(schema)
      ? attachSubgraphSubscriptions({
          server: http.server,
          schema,
          config,
          logger,
          context: contextFor,
          createLoaders: (context) => definition.createLoaders?.(context.db, deps) as Loaders,
          formatError: (formatted, error) => maskError(formatted, error, logger),
        })
      : undefined;
    if (subscriptions) lifecycle.add('subscriptions', () => subscriptions.close());
    logger.info({ url: `${http.url}/graphql`, subscriptions: Boolean(subscriptions) }, `${definition.name} subgraph listening`);

    return {
      name: definition.name,
      url: http.url,
      port: http.port,
      graphqlUrl: `${http.url}/graphql`,
      deps,
      subscriptions,
      close: () => lifecycle.close(),
    };
  } catch (err) {
    await lifecycle.close();
    throw err;
  }
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The identity the gateway signed for this request (subgraph kit). */
    identity?: Identity;
  }
}

/**
 * Only the gateway may call /graphql and /api: its signature over the identity headers must match
 * and be recent. Without one, a caller could claim any identity, so it gets 401 and no data. The one
 * exception is `{ _service { sdl } }` alone: the schema, not data, which composition tools
 * (`npm run compose` with subgraph_url, rover) read from the subgraph itself.
 */
export function requireGatewaySignature(config: SubgraphBaseConfig, logger: Logger, shape: 'graphql' | 'rest') {
  return (req: Request, res: Response, next: NextFunction): void => {
    const verified = verifyIdentityHeaders(req.headers, {
      secret: config.identitySigningSecret,
      requestId: req.requestId ?? requestIdOf(req),
      maxAgeMs: config.identityMaxAgeMs,
    });
    if (verified.ok) {
      req.identity = verified.identity;
      next();
      return;
    }
    if (shape === 'graphql' && asksOnlyForSdl(req)) {
      req.identity = { scopes: [] };
      next();
      return;
    }
    logger.warn({ reqId: req.requestId, reason: verified.reason }, 'request refused: not signed by the gateway');
    const message = `Unauthenticated: ${verified.reason}; call this API through the gateway`;
    res
      .status(401)
      .json(shape === 'graphql' ? { errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] } : new AppError('UNAUTHENTICATED', message).toBody());
  };
}

function asksOnlyForSdl(req: Request): boolean {
  const body = req.body as { query?: unknown } | undefined;
  const query = typeof body?.query === 'string' ? body.query : typeof req.query.query === 'string' ? req.query.query : undefined;
  if (!query || query.length > 1_000) return false;
  try {
    const document = parse(query);
    return document.definitions.every(
      (definition) =>
        definition.kind === Kind.OPERATION_DEFINITION &&
        definition.operation === 'query' &&
        definition.selectionSet.selections.every(
          (selection) =>
            selection.kind === Kind.FIELD &&
            (selection.name.value === '__typename' ||
              (selection.name.value === '_service' && selection.alias === undefined && !selection.arguments?.length)),
        ),
    );
  } catch {
    return false;
  }
}

/** The proxy may start after us (containers): wait for it with a bounded, logged back-off. */
async function waitForDatabase(db: DbClient, maxWaitMs: number, logger: Logger): Promise<void> {
  const deadline = Date.now() + maxWaitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await db.read('SELECT 1');
      return;
    } catch (err) {
      const transient = err instanceof AppError && err.status >= 500;
      if (!transient || Date.now() > deadline) throw err;
      if (attempt === 1 || attempt % 10 === 0) logger.warn({ err: (err as Error).message }, 'waiting for the database proxy');
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 100 * attempt)));
    }
  }
}

/**
 * Intended errors (a GraphQLError with a code, or an AppError) reach the client as they are; anything
 * else, including database errors a resolver did not expect, becomes a generic INTERNAL_SERVER_ERROR
 * so no SQL or stack leaks.
 */
function maskError(formatted: GraphQLFormattedError, error: unknown, logger: Logger): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof AppError) {
    const fromDatabase = original.details?.sqlstate !== undefined || original.code === 'BAD_REQUEST';
    if (!fromDatabase) {
      return {
        message: original.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: original.code, ...(original.details ? { details: original.details } : {}) },
      };
    }
  } else {
    const code = formatted.extensions?.code;
    if (isErrorCode(code) || (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR')) return formatted;
  }
  logger.error({ err: original, path: formatted.path }, 'unexpected resolver error');
  return {
    message: 'Internal server error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

function logErrorsPlugin(logger: Logger): ApolloServerPlugin<SubgraphContext<unknown>> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const err of errors) {
            const code = err.extensions?.code;
            if (code === 'INTERNAL_SERVER_ERROR' || code === undefined) {
              logger.warn({ reqId: contextValue.requestId, err: err.message, path: err.path }, 'graphql error');
            }
          }
        },
      };
    },
  };
}

/**
 * A span per GraphQL operation (named by its type and name) and one per resolver of a root field, under
 * the request's server span; the database calls the resolvers make are spans of the same trace.
 */
function operationSpansPlugin(tracing: Tracing): ApolloServerPlugin<SubgraphContext<unknown>> {
  return {
    async requestDidStart() {
      return {
        async executionDidStart({ operation, operationName }) {
          const span = tracing.startSpan(`${operation.operation} ${operationName ?? 'anonymous'}`, {
            'graphql.operation.type': operation.operation,
            'graphql.operation.name': operationName ?? '',
          });
          const parent = trace.setSpan(context.active(), span);
          return {
            willResolveField({ info }) {
              // Root fields only: a span per nested field would cost more than the field itself.
              if (info.path.prev !== undefined) return undefined;
              const field = tracing.startSpan(`resolve ${info.parentType.name}.${info.fieldName}`, undefined, parent);
              return (err) => {
                if (err) markError(field, err);
                field.end();
              };
            },
            async executionDidEnd(err) {
              if (err) markError(span, err);
              span.end();
            },
          };
        },
      };
    },
  };
}

/** DB_READ_BATCH_MAX: 1 sends every read alone. */
function readBatchingOf(maxBatch: number): ReadBatchingOptions | false {
  return maxBatch > 1 ? { maxBatch } : false;
}
