/**
 * GraphQL subscriptions of a subgraph whose schema has a Subscription type: the graphql-ws protocol
 * on the /graphql upgrade, for the gateway only. The upgrade request must carry the gateway's signed
 * identity (as HTTP /graphql requires); without it the answer is a plain 401 before any WebSocket
 * exists. Each operation gets the context HTTP requests get, and every event is resolved with fresh
 * DataLoaders (withFreshLoadersPerEvent), so an event never reads what an earlier one cached.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, type GraphQLFieldResolver, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Identity } from '../../lib/identity.js';
import { requestIdOf, type Logger } from '../../lib/logger.js';
import { verifyIdentityHeaders } from '../../lib/signedIdentity.js';
import type { SubgraphBaseConfig } from './config.js';

export interface SubgraphSubscriptionsOptions<Context extends { loaders: unknown }> {
  server: HttpServer;
  schema: GraphQLSchema;
  /** @default /graphql */
  path?: string;
  config: SubgraphBaseConfig;
  logger: Logger;
  /** The context of one operation, built like an HTTP request's. */
  context(identity: Identity, requestId: string): Context;
  /** Fresh loaders for one event of an operation. */
  createLoaders(context: Context): Context['loaders'];
  /** Error masking as on HTTP: intended errors as they are, anything else generic. */
  formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError;
}

export interface SubgraphSubscriptions {
  /** Operations running now on all connections (tests watch it fall when the gateway closes upstream). */
  active(): number;
  close(): Promise<void>;
}

/** Whether a schema has anything to subscribe to. */
export function hasSubscriptions(schema: GraphQLSchema): boolean {
  return Object.keys(schema.getSubscriptionType()?.getFields() ?? {}).length > 0;
}

export function attachSubgraphSubscriptions<Context extends { loaders: unknown }>(
  options: SubgraphSubscriptionsOptions<Context>,
): SubgraphSubscriptions {
  const path = options.path ?? '/graphql';
  const { logger, config } = options;
  const identities = new WeakMap<IncomingMessage, { identity: Identity; requestId: string }>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  let active = 0;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err) => logger.debug({ err: err.message }, 'subscription socket error'));
    if ((req.url ?? '/').split('?')[0] !== path) {
      refuse(socket, 404, `No WebSocket endpoint at ${(req.url ?? '/').split('?')[0]}`, 'NOT_FOUND');
      return;
    }
    const requestId = requestIdOf(req);
    const verified = verifyIdentityHeaders(req.headers, {
      secret: config.identitySigningSecret,
      requestId,
      maxAgeMs: config.identityMaxAgeMs,
    });
    if (!verified.ok) {
      logger.warn({ reqId: requestId, reason: verified.reason }, 'subscription refused: not signed by the gateway');
      refuse(socket, 401, `Unauthenticated: ${verified.reason}; call this API through the gateway`, 'UNAUTHENTICATED');
      return;
    }
    identities.set(req, { identity: verified.identity, requestId });
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  options.server.on('upgrade', onUpgrade);

  const schema = withFreshLoadersPerEvent(options.schema, (context) => options.createLoaders(context as Context));
  const server = useServer(
    {
      schema,
      context: ({ extra }) => {
        const known = identities.get(extra.request);
        // Every socket passed the signature check above; this is only the type's other case.
        if (!known) throw new GraphQLError('Unauthenticated', { extensions: { code: 'UNAUTHENTICATED' } });
        return options.context(known.identity, known.requestId);
      },
      onOperation: () => {
        active++;
      },
      onComplete: () => {
        active = Math.max(0, active - 1);
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors?.length
          ? { ...result, errors: result.errors.map((error) => options.formatError(error.toJSON(), error)) }
          : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => options.formatError(error.toJSON(), error)),
    },
    wss,
  );

  return {
    active: () => active,
    async close() {
      options.server.off('upgrade', onUpgrade);
      // Closes every socket with 1001 (the gateway tells its clients the subgraph went away), then the server.
      await server.dispose();
    },
  };
}

/**
 * Wraps every Subscription field's `subscribe` so each event it yields is resolved with new loaders
 * on the operation's context (graphql-js resolves events one after the other with that one context).
 */
export function withFreshLoadersPerEvent(schema: GraphQLSchema, createLoaders: (context: { loaders: unknown }) => unknown): GraphQLSchema {
  for (const field of Object.values(schema.getSubscriptionType()?.getFields() ?? {})) {
    const subscribe = field.subscribe as GraphQLFieldResolver<unknown, { loaders: unknown }> | undefined;
    if (!subscribe || (subscribe as { freshLoaders?: boolean }).freshLoaders) continue;
    const wrapped: GraphQLFieldResolver<unknown, { loaders: unknown }> = async (source, args, context, info) => {
      const events = (await subscribe(source, args, context, info)) as AsyncIterable<unknown> | GraphQLError;
      if (!events || typeof (events as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function') return events;
      const inner = (events as AsyncIterable<unknown>)[Symbol.asyncIterator]();
      return {
        async next() {
          const result = await inner.next();
          if (!result.done) context.loaders = createLoaders(context);
          return result;
        },
        return: () => inner.return?.() ?? Promise.resolve({ value: undefined, done: true }),
        throw: (error: unknown) => inner.throw?.(error) ?? Promise.reject(error),
        [Symbol.asyncIterator]() {
          return this;
        },
      };
    };
    (wrapped as { freshLoaders?: boolean }).freshLoaders = true;
    field.subscribe = wrapped;
  }
  return schema;
}

function refuse(socket: Duplex, status: 401 | 404, message: string, code: string): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  socket.end(
    [
      `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Not Found'}`,
      'Connection: close',
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
}
