/**
 * What every GraphQL request through the gateway carries: built once per request, in one place, from
 * the contributions of the features (gateway/features/<feature>/useX.ts). Subgraph calls read it to forward the
 * request id and the caller's identity.
 */
import type { Context } from '@opentelemetry/api';
import type { Identity } from '../lib/identity.js';
import type { FrontDoorRequest } from './features/feature.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by the front door's identity feature, for every API path (/graphql and /api/...). */
    identity?: Identity;
  }
}

export interface GatewayContext {
  /** The request id logged by every service this request reaches (x-request-id). */
  requestId: string;
  identity: Identity;
  /** The request's server span, parent of its parse, validate, plan and subgraph fetch spans; only when tracing. */
  traceContext?: Context;
}

/** The parts of the context features provide; the request id and span come from the front door. */
export interface ContextContributors {
  identity: (req: FrontDoorRequest) => Pick<GatewayContext, 'identity'>;
}

export function contextBuilder(contributors: ContextContributors): (req: FrontDoorRequest) => GatewayContext {
  return (req) => {
    const context: GatewayContext = { requestId: req.requestId, ...contributors.identity(req) };
    if (req.traceContext) context.traceContext = req.traceContext;
    return context;
  };
}
