/**
 * The shape of a front-door feature: each concern (identity, the IDE, and later auth, throttling,
 * caching) is one `useX(options)` file returning the pieces it needs. The gateway wires them in
 * order; state lives in the closure, never at module level.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Request, RequestHandler, Router } from 'express';
import type { GatewayContext } from '../context.js';

export interface GatewayFeature<Contribution extends Partial<GatewayContext> = Partial<GatewayContext>> {
  readonly name: string;
  /**
   * Express middleware of the front door: run, in feature order, on every API path (/graphql and
   * /api/...) before anything path-specific. Authentication and throttling live here.
   */
  readonly frontDoor?: readonly RequestHandler[];
  /** Express middleware run on /graphql before the GraphQL server, in order. */
  readonly middleware?: readonly RequestHandler[];
  /** Routes of the feature's own (e.g. REST under /api, /docs), mounted after the front door. */
  readonly routes?: Router;
  readonly plugins?: readonly ApolloServerPlugin<GatewayContext>[];
  /** This feature's fields of the per-request GatewayContext. */
  readonly context?: (req: Request) => Contribution;
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
