/**
 * The gateway service: Apollo Federation (@apollo/gateway) inside Apollo Server 5 on express 5.
 * POST /graphql runs operations across the subgraphs; GET /graphql from a browser serves the IDE;
 * /health and /ready report on the process and on every subgraph.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloGateway } from '@apollo/gateway';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import { AppError } from '../lib/errors.js';
import { errorHandler, healthRoutes, jsonBody, listen, notFoundHandler, toAppError } from '../lib/httpServer.js';
import { Lifecycle } from '../lib/lifecycle.js';
import { createLogger, requestLogging, type Logger } from '../lib/logger.js';
import { composeSupergraphConfig, formatProblem } from './compose.js';
import type { GatewayConfig } from './config.js';
import { contextBuilder, type GatewayContext } from './context.js';
import type { GatewayFeature } from './features/feature.js';
import { useGraphiQL } from './features/useGraphiQL.js';
import { useIdentity } from './features/useIdentity.js';
import { createSubgraphResilience } from './resilience/subgraphResilience.js';
import { SubgraphDataSource } from './subgraphDataSource.js';
import { createSubgraphHttp, type Fetcher } from './subgraphHttp.js';

export interface StartGatewayOptions {
  logger?: Logger;
  /** A supergraph SDL to serve; skips SUPERGRAPH_PATH and SUPERGRAPH_CONFIG. */
  supergraphSdl?: string;
  /** Replaces the keep-alive fetcher used for subgraph calls (tests, benchmarks). */
  fetcher?: Fetcher;
}

export interface RunningGateway {
  /** Base URL, e.g. http://127.0.0.1:4000 */
  url: string;
  port: number;
  /** e.g. http://127.0.0.1:4000/graphql */
  graphqlUrl: string;
  /** Each subgraph with the routing URL actually used (after SUBGRAPH_URLS). */
  subgraphs: { name: string; url: string }[];
  close(): Promise<void>;
}

export const GRAPHQL_PATH = '/graphql';

export async function startGateway(config: GatewayConfig, options: StartGatewayOptions = {}): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger('gateway', config.logLevel);
  const lifecycle = new Lifecycle(logger);
  try {
    const supergraphSdl = options.supergraphSdl ?? (await loadSupergraph(config, logger));
    // Timeouts, retries, circuit breakers and deduplication of subgraph calls (gateway/resilience).
    const resilience = createSubgraphResilience(config.subgraphResilience, { logger });
    const subgraphHttp = createSubgraphHttp({ timeoutMs: resilience.longestTimeoutMs });
    lifecycle.add('subgraph connections', () => subgraphHttp.close());
    const fetcher = options.fetcher ?? subgraphHttp.fetcher;

    // Filled by buildService, which the gateway calls once per subgraph of the supergraph.
    const routes = new Map<string, string>();
    const gateway = new ApolloGateway({
      supergraphSdl,
      logger,
      buildService: ({ name, url }) => {
        const target = config.subgraphUrls[name] ?? url;
        if (!target) throw new Error(`Subgraph "${name}" has no routing URL; give one in SUBGRAPH_URLS`);
        routes.set(name, target);
        return new SubgraphDataSource({ name, url: target, fetcher, policy: resilience.policyFor(name), logger });
      },
    });

    const identity = useIdentity();
    const features: GatewayFeature[] = [identity, useGraphiQL({ endpoint: GRAPHQL_PATH, title: 'GraphQL IDE' })];
    const server = new ApolloServer<GatewayContext>({
      gateway,
      logger,
      introspection: config.introspection,
      includeStacktraceInErrorResponses: !config.production,
      // The IDE is served by useGraphiQL (offline); Apollo's own landing page loads from a CDN.
      plugins: [ApolloServerPluginLandingPageDisabled(), ...features.flatMap((f) => f.plugins ?? [])],
    });
    await server.start();
    lifecycle.add('apollo server', () => server.stop());
    for (const feature of features) {
      if (feature.close) lifecycle.add(feature.name, feature.close);
    }

    const unknown = Object.keys(config.subgraphUrls).filter((name) => !routes.has(name));
    if (unknown.length) {
      throw new Error(
        `SUBGRAPH_URLS names subgraphs the supergraph does not have: ${unknown.join(', ')} ` +
          `(it has: ${[...routes.keys()].join(', ')})`,
      );
    }

    const unknownTimeouts = resilience.unknownNames(routes.keys());
    if (unknownTimeouts.length) {
      logger.warn({ subgraphs: unknownTimeouts }, 'SUBGRAPH_TIMEOUTS names subgraphs the supergraph does not have');
    }

    const buildContext = contextBuilder({ identity: identity.context });
    const app = express();
    app.disable('x-powered-by');
    app.use(requestLogging(logger));
    app.use(
      healthRoutes(
        Object.fromEntries(
          [...routes].map(([name, url]) => [name, resilience.readinessCheck(name, () => subgraphHttp.checkHealth(url))]),
        ),
      ),
    );
    app.use(
      GRAPHQL_PATH,
      ...features.flatMap((f) => f.middleware ?? []),
      jsonBody(config.bodyLimit),
      requireJsonBody,
      expressMiddleware(server, { context: async ({ req }) => buildContext(req) }),
    );
    app.use(GRAPHQL_PATH, graphqlErrorHandler(logger));
    app.use(notFoundHandler());
    app.use(errorHandler(logger));

    const http = await listen(app, config.port, config.host);
    lifecycle.add('http server', () => http.close());
    const subgraphs = [...routes].map(([name, url]) => ({ name, url }));
    logger.info({ url: `${http.url}${GRAPHQL_PATH}`, subgraphs }, 'gateway listening');
    return {
      url: http.url,
      port: http.port,
      graphqlUrl: `${http.url}${GRAPHQL_PATH}`,
      subgraphs,
      close: () => lifecycle.close(),
    };
  } catch (err) {
    await lifecycle.close();
    throw err;
  }
}

/** SUPERGRAPH_PATH (composed ahead of time) wins; otherwise supergraph.yaml is composed now. */
async function loadSupergraph(config: GatewayConfig, logger: Logger): Promise<string> {
  if (config.supergraphPath) {
    try {
      const sdl = await readFile(config.supergraphPath, 'utf8');
      logger.info({ file: config.supergraphPath }, 'supergraph read');
      return sdl;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'ENOENT' ? 'not found' : e.message;
      throw new Error(
        `SUPERGRAPH_PATH ${path.resolve(config.supergraphPath)}: ${why} (compose one with npm run compose, ` +
          `or unset SUPERGRAPH_PATH to compose ${config.supergraphConfig} at start)`,
      );
    }
  }
  const composed = await composeSupergraphConfig(config.supergraphConfig);
  for (const hint of composed.hints) logger.warn({ hint: hint.code, subgraphs: hint.subgraphs }, formatProblem(hint));
  logger.info(
    { config: config.supergraphConfig, subgraphs: composed.subgraphs.map((s) => s.name) },
    'supergraph composed',
  );
  return composed.supergraphSdl;
}

/**
 * POSTs Apollo cannot read, answered with a message naming the problem: express.json() parses only
 * JSON, so a body still missing here was not JSON; an empty body parses to nothing or to {}.
 */
function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  if (req.method !== 'POST') {
    next();
    return;
  }
  const type = req.headers['content-type'];
  if (type && !/^application\/(.+\+)?json\b/i.test(type)) {
    next(new AppError('UNSUPPORTED_MEDIA_TYPE', `Content-Type "${type}" is not supported: send application/json`));
    return;
  }
  const body: unknown = req.body;
  if (body === undefined || (isPlainObject(body) && Object.keys(body).length === 0)) {
    next(new AppError('BAD_REQUEST', `Request body is empty: send JSON such as ${EXAMPLE_BODY} with Content-Type application/json`));
    return;
  }
  if (isPlainObject(body) && body.query === undefined && body.extensions === undefined) {
    next(new AppError('BAD_REQUEST', 'Missing query: the JSON body needs a "query" string'));
    return;
  }
  next();
}

const EXAMPLE_BODY = '{"query": "{ __typename }"}';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Errors before GraphQL execution on /graphql, in the GraphQL response shape clients expect there. */
function graphqlErrorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const appError = toAppError(err);
    if (appError.status >= 500 && !(err instanceof AppError)) {
      logger.error({ err, reqId: req.requestId, path: req.path }, 'unhandled error');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(appError.status).json({ errors: [{ message: appError.message, extensions: { code: appError.code } }] });
  };
}
