/**
 * REST straight to the owning service, bypassing the federation layer: each route of REST_ROUTES
 * (`products=/api/products`) sends everything under its gateway path to the service's own REST API
 * at /api/<service>/..., on the service's base URL (its routing URL in the current supergraph, or
 * SUBGRAPH_URLS, minus /graphql). Mounted after the front door, so authentication and throttling
 * have run; the call carries the request id and the caller's identity headers (the same ones
 * subgraph calls carry), header rules apply both ways, and a service that is down or slow answers
 * 502 DOWNSTREAM_SERVICE_ERROR or 504 GATEWAY_TIMEOUT in the registry's body shape.
 */
import { pipeline } from 'node:stream/promises';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { AppError } from '../../../lib/errors.js';
import type { Identity } from '../../../lib/identity.js';
import { REQUEST_ID_HEADER, type Logger } from '../../../lib/logger.js';
import { NO_HEADER_RULES, type HeaderRules } from '../headerRules/headerRules.js';
import type { OpenApiDocument } from './openapi.js';
import { isTimeoutReason, networkReason } from '../../federation/subgraphCalls/subgraphHttp.js';
import type { GatewayFeature } from '../feature.js';

/** One REST route: everything under `path` on the gateway goes to `service`. */
export interface RestRoute {
  service: string;
  /** The gateway path prefix, under /api (so the front door runs), e.g. /api/products. */
  path: string;
}

export interface RestRoutesOptions {
  routes: readonly RestRoute[];
  /** The routing URL of a service right now (changes with hot reload); undefined when it has none. */
  routingUrlOf: (service: string) => string | undefined;
  /** The keep-alive pool subgraph calls use. */
  dispatcher: Dispatcher;
  /** Longest wait for the service's response headers and between body chunks. @default 10000 */
  timeoutMs?: number;
  /** Largest request body forwarded, in `bytes` notation. @default '1mb' */
  bodyLimit?: string;
  /**
   * The identity headers for a call, built by the same function subgraph calls use, so both paths
   * carry the same (signed) identity.
   */
  identityHeaders: (identity: Identity, requestId: string) => Record<string, string>;
  headerRules?: HeaderRules;
  /** Served at GET /api/openapi.json when given. */
  openApiDocument?: OpenApiDocument;
  logger: Logger;
}

/** Client headers a REST call forwards without any rule. */
const FORWARDED_REQUEST_HEADERS = [
  'accept',
  'accept-language',
  'content-type',
  'idempotency-key',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'user-agent',
];
/** Service headers a REST answer passes back without any rule. */
const FORWARDED_RESPONSE_HEADERS = [
  'cache-control',
  'content-language',
  'content-type',
  'etag',
  'expires',
  'last-modified',
  'location',
  'retry-after',
  'vary',
];

export const OPENAPI_PATH = '/api/openapi.json';

export const DEFAULT_REST_ROUTES = 'products=/api/products,search=/api/search,orders=/api/orders';

/** http://products:4001/graphql -> http://products:4001 (a path prefix before /graphql is kept). */
export function serviceBaseUrlOf(routingUrl: string): string {
  const url = new URL(routingUrl);
  return `${url.origin}${url.pathname.replace(/\/graphql\/?$/, '').replace(/\/$/, '')}`;
}

export function useRestRoutes(options: RestRoutesOptions): GatewayFeature {
  const rules = options.headerRules ?? NO_HEADER_RULES;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const router = express.Router();
  const rawBody = express.raw({ type: () => true, limit: options.bodyLimit ?? '1mb' });
  const { openApiDocument } = options;
  if (openApiDocument) router.get(OPENAPI_PATH, (_req, res) => void res.json(openApiDocument));

  for (const route of options.routes) {
    const target = { route: route.path };
    router.use(route.path, rawBody, async (req: Request, res: Response, next: NextFunction) => {
      const routingUrl = options.routingUrlOf(route.service);
      if (!routingUrl) {
        next(new AppError('DOWNSTREAM_SERVICE_ERROR', `Service "${route.service}" has no routing URL`, { details: { service: route.service } }));
        return;
      }
      const base = new URL(serviceBaseUrlOf(routingUrl));
      // /api/catalog/p1?x=1 on the gateway -> /api/products/p1?x=1 on the products service.
      const rest = req.originalUrl.slice(route.path.length);
      const path = `${base.pathname === '/' ? '' : base.pathname}/api/${route.service}${rest}`;

      const forwarded: Record<string, string> = {};
      for (const name of FORWARDED_REQUEST_HEADERS) {
        const value = req.headers[name];
        if (typeof value === 'string') forwarded[name] = value;
      }
      const headers = {
        ...rules.apply(target, 'request', (name) => single(req.headers[name]), forwarded),
        [REQUEST_ID_HEADER]: req.requestId,
        ...options.identityHeaders(req.identity ?? { scopes: [] }, req.requestId),
      };
      const body = Buffer.isBuffer(req.body) && req.body.length ? req.body : undefined;

      let response: Dispatcher.ResponseData;
      try {
        response = await options.dispatcher.request({
          origin: base.origin,
          path,
          method: req.method as Dispatcher.HttpMethod,
          headers,
          body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
      } catch (err) {
        next(downstreamError(route.service, err, timeoutMs, options.logger, req.requestId));
        return;
      }

      const passed: Record<string, string> = {};
      for (const name of FORWARDED_RESPONSE_HEADERS) {
        const value = single(response.headers[name]);
        if (value !== undefined) passed[name] = value;
      }
      const picked = rules.apply(target, 'response', (name) => single(response.headers[name]), passed);
      res.status(response.statusCode);
      for (const [name, value] of Object.entries(picked)) res.setHeader(name, value);
      try {
        await pipeline(response.body, res);
      } catch (err) {
        // Headers are out: the client sees a cut-off body; the log says why.
        options.logger.warn({ err, reqId: req.requestId, service: route.service }, 'REST response from the service was cut off');
        res.destroy();
      }
    });
  }

  return { name: 'rest routes', routes: router };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function downstreamError(service: string, err: unknown, timeoutMs: number, logger: Logger, requestId: string): AppError {
  const reason = networkReason(err);
  logger.warn({ reqId: requestId, service, reason }, 'REST call to the service failed');
  if (isTimeoutReason(reason)) {
    return new AppError('GATEWAY_TIMEOUT', `Service "${service}" did not answer within ${timeoutMs} ms`, {
      details: { service, reason: 'TIMEOUT' },
    });
  }
  return new AppError('DOWNSTREAM_SERVICE_ERROR', `Service "${service}" is unreachable`, { details: { service, reason } });
}

/**
 * REST_ROUTES: `products=/api/products,orders=/api/orders` -> routes. Paths must be under /api so
 * the front door (authentication, throttling) runs for them; each entry is checked on its own.
 */
export const restRoutesSchema = z
  .string()
  .default(DEFAULT_REST_ROUTES)
  .transform((raw, ctx) => {
    const routes: RestRoute[] = [];
    for (const entry of raw.split(',').map((part) => part.trim()).filter(Boolean)) {
      const match = /^([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(\S+)$/.exec(entry);
      if (!match) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not of the form service=/api/path` });
        continue;
      }
      const [, service, path] = match;
      if (!/^\/api(\/[A-Za-z0-9._~-]+)+$/.test(path) || path === OPENAPI_PATH) {
        ctx.addIssue({ code: 'custom', message: `${service}: "${path}" must be a path under /api, such as /api/${service}` });
        continue;
      }
      const clash = routes.find((r) => r.path === path || r.path.startsWith(`${path}/`) || path.startsWith(`${r.path}/`));
      if (clash) ctx.addIssue({ code: 'custom', message: `${service}: "${path}" overlaps ${clash.service}'s "${clash.path}"` });
      routes.push({ service, path });
    }
    return routes;
  });
