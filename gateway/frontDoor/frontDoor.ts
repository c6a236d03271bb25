/**
 * The gateway's front door: every HTTP request arrives here, on plain node:http. It gives each
 * request its id, log line, metrics and server span, runs the features' onRequest hooks (CORS,
 * authentication, throttling) on the API paths, then hands /graphql to the GraphQL handler
 * (graphqlHttp.ts) and everything else to the express app (REST routes, docs, the push API, /health,
 * /metrics, 404s). The GraphQL path does without express: its router, prototype swaps and response
 * helpers cost more CPU per request than the rest of a small cached query (bench/README.md).
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { context } from '@opentelemetry/api';
import { sendAppError } from '../../lib/httpServer.js';
import { logRequest, type Logger } from '../../lib/logger.js';
import { pathOf, setMatchedRoute } from '../../lib/matchedRoute.js';
import { httpRequestTimer, type ServiceMetrics } from '../../lib/metrics.js';
import { startServerSpan, type Tracing } from '../../lib/tracing.js';
import { HANDLED, type FrontDoorHook, type FrontDoorRequest } from '../features/feature.js';
import { sendGraphQLError, type GraphQLHttpHandler } from './graphqlHttp.js';
import { runHooks } from './hooks.js';

export const GRAPHQL_PATH = '/graphql';
/** REST routes to the owning services live under this prefix. */
export const API_PATH = '/api';

export interface FrontDoorOptions {
  logger: Logger;
  metrics: ServiceMetrics;
  /** Server spans; without it, no span or context work per request. */
  tracing?: Tracing;
  /** The features' onRequest hooks, in feature order, run on /graphql and under /api. */
  hooks: readonly FrontDoorHook[];
  graphql: GraphQLHttpHandler;
  /** Every other request (after the hooks, under /api). */
  app: RequestListener;
}

export function createFrontDoor(options: FrontDoorOptions): RequestListener {
  const { logger, tracing, hooks, graphql, app } = options;
  const timeRequest = httpRequestTimer(options.metrics);

  const refuse = (req: FrontDoorRequest, res: ServerResponse, isGraphQL: boolean) => (err: unknown) => {
    if (isGraphQL) sendGraphQLError(res, err, logger, req);
    else sendAppError(res, err, logger, { requestId: req.requestId, path: pathOf(req.url) });
  };

  const route = (req: FrontDoorRequest, res: ServerResponse): void => {
    const path = pathOf(req.url);
    const isGraphQL = isUnder(path, GRAPHQL_PATH);
    if (!isGraphQL && !isUnder(path, API_PATH)) {
      app(req, res);
      return;
    }
    if (isGraphQL) setMatchedRoute(req, GRAPHQL_PATH);
    runHooks(hooks, req, res)
      .then((outcome) => {
        if (outcome === HANDLED) return;
        if (isGraphQL) return graphql(req, res);
        app(req, res);
      })
      .catch(refuse(req, res, isGraphQL));
  };

  return (incoming: IncomingMessage, res: ServerResponse) => {
    const req = incoming as FrontDoorRequest;
    logRequest(logger, req, res);
    timeRequest(req, res);
    if (!tracing) {
      route(req, res);
      return;
    }
    const active = startServerSpan(tracing, req, res);
    // The request's events (its body) run in its span's context too.
    context.bind(active, req);
    context.with(active, () => route(req, res));
  };
}

/** `prefix` itself or a path below it, case-insensitively, as express mounts middleware. */
function isUnder(path: string, prefix: string): boolean {
  if (path.length < prefix.length) return false;
  if (path.length > prefix.length && path.charCodeAt(prefix.length) !== 47 /* / */) return false;
  return path.length === prefix.length ? path.toLowerCase() === prefix : path.slice(0, prefix.length).toLowerCase() === prefix;
}
