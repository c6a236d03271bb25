/**
 * The shape of a front-door feature: each concern (CORS, identity, throttling, limits, caching, the
 * IDE) is one `useX(options)` file returning the pieces it needs, in the spirit of fastify hooks and
 * Apollo Server plugins. The gateway wires them in order (gateway/frontDoor runs the hooks); state
 * lives in the closure, never at module level.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from '@opentelemetry/api';
import type { Router } from 'express';
import type { Identity } from '../../lib/identity.js';
import type { GatewayContext } from '../context.js';

/** A request at the front door, with what the front door and the features before this one found out. */
export interface FrontDoorRequest extends IncomingMessage {
  /** The id of this request across services (x-request-id), set before any hook runs. */
  requestId: string;
  /** Set by the authentication feature, for every API path (/graphql and /api/...). */
  identity?: Identity;
  /** The request's server span, when tracing. */
  traceContext?: Context;
}

/** A GraphQL request's parameters as read from HTTP: a POST's JSON body, or a GET's query string. */
export interface GraphQLRequestParams {
  /** Upper case. */
  readonly method: string;
  /** The parsed JSON body (an operation, or an array of them); undefined when there is none. */
  readonly body: unknown;
  /** The query string, with its `?` (empty when there is none). */
  readonly search: string;
}

/** What a hook returns when it has answered the request itself (a CORS preflight, the IDE page). */
export const HANDLED = Symbol('handled');

/**
 * A front-door hook: runs on plain node:http (no express on the GraphQL path), may set response
 * headers, throws an AppError to refuse the request (answered in the path's error shape), or answers
 * it and returns HANDLED.
 */
export type FrontDoorHook = (req: FrontDoorRequest, res: ServerResponse) => void | typeof HANDLED | Promise<void | typeof HANDLED>;

export interface GatewayFeature<Contribution extends Partial<GatewayContext> = Partial<GatewayContext>> {
  readonly name: string;
  /**
   * Run, in feature order, on every API path (/graphql and /api/...) before anything path-specific.
   * CORS, authentication and throttling live here.
   */
  readonly onRequest?: FrontDoorHook;
  /** Run on /graphql after every onRequest, before the GraphQL server (the IDE answers a browser here). */
  readonly onGraphQLRequest?: FrontDoorHook;
  /**
   * Run on /graphql once the operation's parameters are read, before they are checked and handed to
   * Apollo Server: may rewrite them (a persisted document's id becomes its query) or throw an AppError.
   */
  readonly onGraphQLParams?: (params: GraphQLRequestParams, req: FrontDoorRequest) => void;
  /** Express routes of the feature's own (e.g. REST under /api, /docs), served after the onRequest hooks. */
  readonly routes?: Router;
  readonly plugins?: readonly ApolloServerPlugin<GatewayContext>[];
  /** This feature's fields of the per-request GatewayContext. */
  readonly context?: (req: FrontDoorRequest) => Contribution;
  /**
   * HTTP upgrades (WebSockets) this feature answers, by exact path: the gateway's one 'upgrade'
   * listener hands each to the feature owning its path and refuses the rest with 404.
   */
  readonly upgrades?: readonly UpgradeRoute[];
  readonly close?: () => Promise<void> | void;
}

export interface UpgradeRoute {
  /** e.g. /ws; the query string is not part of it. */
  readonly path: string;
  /** Owns the socket from here: completes the handshake or writes an HTTP refusal and destroys it. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}
