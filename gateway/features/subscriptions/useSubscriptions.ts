/**
 * GraphQL subscriptions on /graphql over the graphql-ws protocol (`graphql-transport-ws`): the
 * WebSocket upgrade of the GraphQL endpoint, with the front door's rules applied to it. The caller
 * is identified once per connection (a bearer token or API key in the upgrade's headers or `?token=`,
 * or `authorization` / `apiKey` in connection_init's payload, which browsers need); subscriptions
 * need a signed-in caller. Every subscribe message is parsed, validated against the API schema
 * served now, held to the operation limits and the `@authenticated` / `@requiresScopes` rules,
 * then planned and run across the subgraphs (federation/subscriptions). Queries and mutations are
 * refused on the socket: they belong to POST /graphql, with its caching, throttling and answers.
 *
 * Refusals name the problem: before the upgrade as an HTTP answer with a JSON body (a bad credential
 * 401, no graphql-transport-ws subprotocol 400), on the connection as close code 4401, per
 * subscription as the protocol's `error` message with `extensions.code`.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  GraphQLError,
  getOperationAST,
  parse,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLFormattedError,
} from 'graphql';
import { GRAPHQL_TRANSPORT_WS_PROTOCOL } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { AppError } from '../../../lib/errors.js';
import type { Identity } from '../../../lib/identity.js';
import { requestIdOf, type Logger } from '../../../lib/logger.js';
import { maskErrorForProduction } from '../errorMasking/errorMasking.js';
import type { FederatedSubscriptions, PreparedSubscription } from '../../federation/subscriptions/federatedSubscriptions.js';
import { handshakeCredentials, refuseUpgrade } from '../../frontDoor/upgrades.js';
import type { AuthenticationFeature } from '../authentication/useAuthentication.js';
import type { AuthorizationFeature } from '../authorization/useAuthorization.js';
import type { OperationLimitsFeature } from '../operationLimits/useOperationLimits.js';
import type { GatewayFeature } from '../feature.js';

export interface SubscriptionsOptions {
  /** The GraphQL endpoint whose upgrades this feature answers. @default /graphql */
  path?: string;
  identify: AuthenticationFeature['identify'];
  federation: FederatedSubscriptions;
  limits: Pick<OperationLimitsFeature, 'check'>;
  authorization: Pick<AuthorizationFeature, 'check'>;
  /** Subscriptions one connection may hold at once. @default 25 */
  maxPerConnection?: number;
  /** How long a new connection may take to send connection_init. @default 3000 */
  connectionInitWaitMs?: number;
  /** Production masks unexpected errors as on POST /graphql. @default false */
  production?: boolean;
  logger: Logger;
}

/** The close code for a connection whose caller is not (or not validly) signed in. */
export const CLOSE_UNAUTHENTICATED = 4401;

/** What graphql-ws's execution args carry to `subscribe` for one subscription. */
interface SubscriptionContext {
  prepared: PreparedSubscription;
  identity: Identity;
  requestId: string;
}

interface Connection {
  requestId: string;
  /** From the upgrade's headers or ?token=; connection_init's payload may supply it instead. */
  identity?: Identity;
}

const SIGN_IN_HINT = '(Authorization header, "authorization" in connection_init, or ?token=)';

export function useSubscriptions(options: SubscriptionsOptions): GatewayFeature {
  const path = options.path ?? '/graphql';
  const maxPerConnection = options.maxPerConnection ?? 25;
  const { logger, federation } = options;
  const connections = new WeakMap<IncomingMessage, Connection>();
  const identities = new WeakMap<WebSocket, Identity>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });

  const handle = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!protocols.includes(GRAPHQL_TRANSPORT_WS_PROTOCOL)) {
      refuseUpgrade(
        socket,
        new AppError('BAD_REQUEST', `Subscriptions on ${path} use the graphql-ws protocol: ask for the "${GRAPHQL_TRANSPORT_WS_PROTOCOL}" subprotocol`),
      );
      return;
    }
    const requestId = requestIdOf(req);
    const credentials = handshakeCredentials(req);
    const upgrade = (identity?: Identity) => {
      connections.set(req, { requestId, identity });
      wss.handleUpgrade(req, socket, head, (ws) => {
        refuseServerMessages(ws);
        wss.emit('connection', ws, req);
      });
    };
    if (!credentials) {
      upgrade();
      return;
    }
    options.identify(credentials, { requestId }).then(upgrade, (err: unknown) => {
      const error = err instanceof AppError ? err : new AppError('UNAUTHENTICATED', 'The credential is not valid');
      const challenge = error.details?.challenge;
      logger.info({ reqId: requestId, err: error.message }, 'subscription connection refused');
      refuseUpgrade(
        socket,
        new AppError(error.code, error.message, { retryAfterSeconds: error.retryAfterSeconds }),
        typeof challenge === 'string' ? { 'WWW-Authenticate': challenge } : {},
      );
    });
  };

  /**
   * graphql-ws throws on a well-formed message of a type only servers send (connection_ack, next,
   * error) and closes with 4500 Internal server error, logging to the console; the protocol's answer
   * to a message the server does not expect is 4400, so such messages are closed on before it sees them.
   */
  const refuseServerMessages = (ws: WebSocket) => {
    const emit = ws.emit.bind(ws);
    ws.emit = ((event: string | symbol, ...args: unknown[]) => {
      if (event === 'message') {
        const type = serverMessageType(args[0]);
        if (type) {
          ws.close(4400, `Invalid message received: "${type}" is sent by servers, not clients`);
          return true;
        }
      }
      return emit(event, ...args);
    }) as typeof ws.emit;
  };

  const refuse = (code: string, message: string, extensions: Record<string, unknown> = {}) => [
    new GraphQLError(message, { extensions: { code, ...extensions } }),
  ];

  const server = useServer<Record<string, unknown> | undefined>(
    {
      connectionInitWaitTimeout: options.connectionInitWaitMs ?? 3_000,
      async onConnect(ctx) {
        const { socket, request } = ctx.extra;
        const connection = connections.get(request);
        let identity = connection?.identity;
        const fromPayload = payloadCredentials(ctx.connectionParams);
        if (fromPayload) {
          try {
            identity = await options.identify(fromPayload, { requestId: connection?.requestId });
          } catch (err) {
            const message = err instanceof AppError ? err.message : 'The credential is not valid';
            socket.close(CLOSE_UNAUTHENTICATED, closeReason(`Unauthorized: ${message}`));
            return false;
          }
        }
        if (!identity?.subject) {
          socket.close(CLOSE_UNAUTHENTICATED, closeReason(`Unauthorized: subscriptions need a signed-in caller ${SIGN_IN_HINT}`));
          return false;
        }
        identities.set(socket, identity);
        logger.debug({ reqId: connection?.requestId, subject: identity.subject }, 'subscription connection opened');
        return true;
      },

      onSubscribe(ctx, id, payload): ExecutionArgs | readonly GraphQLError[] {
        const identity = identities.get(ctx.extra.socket);
        const requestId = connections.get(ctx.extra.request)?.requestId ?? requestIdOf(ctx.extra.request);
        if (!identity) return refuse('UNAUTHENTICATED', 'The connection is not signed in');
        // graphql-ws lists the subscription being set up too.
        if (Object.keys(ctx.subscriptions).length > maxPerConnection) {
          return refuse('BAD_REQUEST', `A connection holds at most ${maxPerConnection} subscriptions; complete one first`, {
            limit: 'subscriptionsPerConnection',
            max: maxPerConnection,
          });
        }
        const schema = federation.schema();
        if (!schema) return refuse('SERVICE_UNAVAILABLE', 'The gateway has no schema loaded yet');
        const source = payload.query;
        if (typeof source !== 'string' || source.trim() === '') return refuse('BAD_REQUEST', 'The subscribe payload needs a "query" string');
        const operationName = payload.operationName ?? undefined;
        const variables = payload.variables ?? undefined;
        let document: DocumentNode;
        try {
          document = parse(source, { maxTokens: 100_000 });
        } catch (err) {
          return refuse('GRAPHQL_PARSE_FAILED', (err as Error).message);
        }
        const invalid = validate(schema, document);
        if (invalid.length) {
          return invalid.map((error) => new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
        }
        const operation = getOperationAST(document, operationName);
        if (!operation) {
          return refuse('BAD_REQUEST', operationName ? `Unknown operation named "${operationName}"` : 'Must provide an operation (several are defined: name one in operationName)');
        }
        if (operation.operation !== 'subscription') {
          return refuse('BAD_REQUEST', `Only subscriptions run over the WebSocket at ${path}; send a ${operation.operation} as POST ${path}`);
        }
        const tooComplex = options.limits.check({
          source,
          queryHash: createHash('sha256').update(source).digest('hex'),
          document,
          operation,
          schema,
          variables,
        });
        if (tooComplex) return [tooComplex];
        const unauthorized = options.authorization.check(schema, document, operation, identity, variables);
        if (unauthorized.length) return unauthorized;
        let prepared: PreparedSubscription;
        try {
          prepared = federation.prepare(schema, document, source, operationName);
        } catch (err) {
          logger.warn({ reqId: requestId, err }, 'subscription could not be planned');
          return refuse('BAD_REQUEST', `The subscription could not be planned: ${(err as Error).message}`);
        }
        const badVariables = federation.variableErrors(prepared, variables);
        if (badVariables.length) {
          return badVariables.map((error) => new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT' } }));
        }
        logger.info({ reqId: requestId, subject: identity.subject, subscription: id, operationName }, 'subscription started');
        const contextValue: SubscriptionContext = { prepared, identity, requestId };
        return { schema, document, operationName, variableValues: variables, contextValue };
      },

      subscribe(args) {
        const { prepared, identity, requestId } = args.contextValue as SubscriptionContext;
        try {
          return federation.subscribe(prepared, args.variableValues ?? undefined, { identity, requestId });
        } catch (err) {
          return { errors: [err instanceof GraphQLError ? err : new GraphQLError((err as Error).message)] };
        }
      },

      // Never reached: onSubscribe refuses queries and mutations.
      execute: () => ({ errors: [new GraphQLError(`Only subscriptions run over the WebSocket at ${path}`)] }),

      onNext(_ctx, _id, _payload, _args, result) {
        if (!result.errors?.length) return undefined;
        return { ...result, errors: result.errors.map(formatError) };
      },

      onError(_ctx, id, _payload, errors) {
        logger.debug({ subscription: id, errors: errors.map((e) => e.message) }, 'subscription refused or failed');
        return errors.map(formatError);
      },

      onComplete(ctx, id) {
        logger.info({ reqId: connections.get(ctx.extra.request)?.requestId, subscription: id }, 'subscription ended');
      },
    },
    wss,
  );

  /** The subgraphs' errors as POST /graphql shows them (masked in production); plain Errors as internal. */
  function formatError(error: unknown): GraphQLFormattedError {
    const formatted: GraphQLFormattedError =
      error instanceof GraphQLError
        ? error.toJSON()
        : { message: error instanceof Error ? error.message : 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    return options.production ? maskErrorForProduction(formatted) : formatted;
  }

  return {
    name: 'subscriptions',
    upgrades: [{ path, handle }],
    // Closes every client socket (1001), which completes their upstream subscriptions.
    close: () => server.dispose(),
  };
}

/** A credential in connection_init's payload: `authorization` ("Bearer …"), `token`, or `apiKey` / `x-api-key`. */
function payloadCredentials(payload: Readonly<Record<string, unknown>> | undefined): IncomingHttpHeaders | undefined {
  if (!payload) return undefined;
  const text = (name: string) => (typeof payload[name] === 'string' ? (payload[name] as string) : undefined);
  const authorization = text('authorization') ?? text('Authorization') ?? (text('token') ? `Bearer ${text('token')}` : undefined);
  const apiKey = text('apiKey') ?? text('x-api-key');
  if (authorization === undefined && apiKey === undefined) return undefined;
  return { ...(authorization !== undefined ? { authorization } : {}), ...(apiKey !== undefined ? { 'x-api-key': apiKey } : {}) };
}

/** A WebSocket close reason holds at most 123 bytes. */
function closeReason(text: string): string {
  let reason = text;
  while (Buffer.byteLength(reason) > 123) reason = `${reason.slice(0, reason.length - 2)}…`;
  return reason;
}

const SERVER_MESSAGE_TYPES = new Set(['connection_ack', 'next', 'error']);

function serverMessageType(data: unknown): string | undefined {
  try {
    const message = JSON.parse(String(data)) as { type?: unknown };
    return typeof message?.type === 'string' && SERVER_MESSAGE_TYPES.has(message.type) ? message.type : undefined;
  } catch {
    return undefined; // graphql-ws answers malformed messages with 4400 itself
  }
}
