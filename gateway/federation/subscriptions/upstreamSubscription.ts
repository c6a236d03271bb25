/**
 * A subscription's primary fetch, opened at the subgraph that owns its root field: one graphql-ws
 * connection per client subscription to the subgraph's routing URL (ws:// for http://), carrying the
 * request id and the caller's signed identity in the upgrade request, which is what the subgraph
 * checks. Each event arrives as the subgraph's GraphQL response; the stream ends when the subgraph
 * completes it, and fails with an error naming the subgraph when the connection or the subgraph
 * fails. Ending the stream (`return()`) completes the upstream operation and closes its socket.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createPushIterator } from '../../../lib/pushIterator.js';
import type { Logger } from '../../../lib/logger.js';
import type { SubgraphResponse } from '../execution/executePlan.js';

export interface UpstreamSubscriptionOptions {
  serviceName: string;
  /** The subgraph's HTTP routing URL, e.g. http://127.0.0.1:4002/graphql. */
  url: string;
  /** Request id and signed identity, sent with the upgrade request. */
  headers: Record<string, string>;
  query: string;
  variables: Record<string, unknown>;
  operationName?: string;
  /** How long the subgraph may take to accept the connection. @default 10000 */
  connectTimeoutMs?: number;
  logger?: Logger;
}

/** The WebSocket URL of a subgraph's HTTP routing URL. */
export function webSocketUrlOf(httpUrl: string): string {
  const url = new URL(httpUrl);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  return url.toString();
}

export function openUpstreamSubscription(options: UpstreamSubscriptionOptions): AsyncGenerator<SubgraphResponse, undefined, unknown> {
  const { serviceName, headers } = options;
  let unsubscribe: (() => void) | undefined;
  let ended = false;
  const stream = createPushIterator<SubgraphResponse>({
    onClose: () => {
      ended = true;
      unsubscribe?.();
      void client.dispose();
    },
    overflowError: () => failure(serviceName, 'the client reads events slower than they arrive', 'SLOW_CONSUMER'),
  });

  // graphql-ws takes a WebSocket class; this one sends the signed identity with the upgrade.
  class SignedWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers, handshakeTimeout: options.connectTimeoutMs ?? 10_000 });
    }
  }
  let upgradeRefusal: string | undefined;
  const client = createClient({
    url: webSocketUrlOf(options.url),
    webSocketImpl: SignedWebSocket,
    lazy: true,
    // One connection per subscription: it goes when the subscription ends.
    lazyCloseTimeout: 0,
    retryAttempts: 0,
    shouldRetry: () => false,
    connectionAckWaitTimeout: options.connectTimeoutMs ?? 10_000,
    on: {
      error: (err) => {
        // ws reports a refused upgrade as "Unexpected server response: 401"; keep it for the message.
        if (err instanceof Error) upgradeRefusal = err.message;
      },
    },
  });

  unsubscribe = client.subscribe<Record<string, unknown>>(
    { query: options.query, variables: options.variables, operationName: options.operationName },
    {
      next: (result) => stream.push(result as SubgraphResponse),
      complete: () => stream.end(),
      error: (err) => {
        if (ended) return;
        const error = upstreamError(serviceName, err, upgradeRefusal);
        options.logger?.warn({ subgraph: serviceName, err: error.message }, 'upstream subscription failed');
        stream.fail(error);
      },
    },
  );
  return stream.iterator;
}

/** What graphql-ws hands the sink's `error`: GraphQL errors from the subgraph, a close event, or an Error. */
function upstreamError(serviceName: string, err: unknown, upgradeRefusal: string | undefined): GraphQLError {
  if (Array.isArray(err) && err.length > 0 && typeof (err[0] as GraphQLFormattedError).message === 'string') {
    const first = err[0] as GraphQLFormattedError;
    return new GraphQLError(first.message, {
      extensions: { ...first.extensions, code: first.extensions?.code ?? 'DOWNSTREAM_SERVICE_ERROR', serviceName },
    });
  }
  const close = err as { code?: unknown; reason?: unknown };
  if (typeof close?.code === 'number') {
    const why = upgradeRefusal ?? (close.reason ? `closed with ${close.code} ${String(close.reason)}` : `closed with ${close.code}`);
    return failure(serviceName, why, close.code === 1001 ? 'SUBGRAPH_SHUTTING_DOWN' : 'CONNECTION_CLOSED');
  }
  return failure(serviceName, err instanceof Error ? err.message : 'unknown failure', 'CONNECTION_FAILED');
}

function failure(serviceName: string, why: string, reason: string): GraphQLError {
  return new GraphQLError(`Subgraph "${serviceName}" ended the subscription: ${why}`, {
    extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName, reason },
  });
}
