/**
 * A route's backend integration: an HTTP POST to the owning service with the event (route key,
 * connection id, callback URL of the push API, the message body) and the caller's signed identity
 * headers, so the service's gateway-signature check applies as it does to its /api routes. What the
 * service answers decides what the client gets (see IntegrationAnswer).
 */
import type { Dispatcher } from 'undici';
import { AppError, appErrorFromBody } from '../../../lib/errors.js';
import type { Identity } from '../../../lib/identity.js';
import { REQUEST_ID_HEADER, type Logger } from '../../../lib/logger.js';
import { isTimeoutReason, networkReason } from '../../federation/subgraphCalls/subgraphHttp.js';
import { serviceBaseUrlOf } from '../restRoutes/useRestRoutes.js';
import type { WebSocketRouteIntegration } from './websocketApiConfig.js';

export type WebSocketEventType = 'CONNECT' | 'MESSAGE' | 'DISCONNECT';

/** The JSON body every integration receives. */
export interface IntegrationEvent {
  requestContext: {
    routeKey: string;
    eventType: WebSocketEventType;
    connectionId: string;
    requestId: string;
    connectedAt: string;
    /** POST here (signed) to send to this connection; GET describes it, DELETE closes it. */
    callbackUrl: string;
    sourceIp: string;
    identity: { subject?: string; scopes: string[]; apiKeyId?: string };
    /** DISCONNECT only: the close code and reason. */
    disconnectStatusCode?: number;
    disconnectReason?: string;
  };
  /** MESSAGE: the parsed JSON message, or the text as it came when it is not JSON. */
  body?: unknown;
  /** MESSAGE: set when the client sent a binary frame, whose bytes are then `body` in base64. */
  isBase64Encoded?: boolean;
}

/**
 * - `message`: a 2xx answer with a body: sent to the client as it is (text);
 * - `none`: 204 or an empty 2xx body: nothing is sent;
 * - `error`: anything else: an error message naming the problem (for $connect: the upgrade is refused).
 */
export type IntegrationAnswer = { kind: 'message'; text: string } | { kind: 'none' } | { kind: 'error'; error: AppError };

export interface IntegrationCaller {
  call(route: WebSocketRouteIntegration, event: IntegrationEvent, identity: Identity): Promise<IntegrationAnswer>;
}

export interface IntegrationCallerOptions {
  routingUrlOf: (service: string) => string | undefined;
  dispatcher: Dispatcher;
  identityHeaders: (identity: Identity, requestId: string) => Record<string, string>;
  timeoutMs: number;
  /** Answers longer than this cannot be sent to a client. */
  maxAnswerBytes: number;
  logger: Logger;
}

export const CONNECTION_ID_HEADER = 'x-connection-id';

export function createIntegrationCaller(options: IntegrationCallerOptions): IntegrationCaller {
  const { logger, timeoutMs } = options;
  return {
    async call(route, event, identity) {
      const { requestId, routeKey } = event.requestContext;
      const routingUrl = options.routingUrlOf(route.service);
      if (!routingUrl) {
        return error(new AppError('DOWNSTREAM_SERVICE_ERROR', `Route "${routeKey}": service "${route.service}" has no routing URL`, { details: { service: route.service } }));
      }
      const base = new URL(serviceBaseUrlOf(routingUrl));
      let response: Dispatcher.ResponseData;
      let text: string;
      try {
        response = await options.dispatcher.request({
          origin: base.origin,
          path: `${base.pathname === '/' ? '' : base.pathname}${route.path}`,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            [REQUEST_ID_HEADER]: requestId,
            [CONNECTION_ID_HEADER]: event.requestContext.connectionId,
            ...options.identityHeaders(identity, requestId),
          },
          body: JSON.stringify(event),
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        text = await response.body.text();
      } catch (err) {
        const reason = networkReason(err);
        logger.warn({ reqId: requestId, service: route.service, routeKey, reason }, 'websocket route integration failed');
        if (isTimeoutReason(reason)) {
          return error(new AppError('GATEWAY_TIMEOUT', `Route "${routeKey}": service "${route.service}" did not answer within ${timeoutMs} ms`, { details: { service: route.service } }));
        }
        return error(new AppError('DOWNSTREAM_SERVICE_ERROR', `Route "${routeKey}": service "${route.service}" is unreachable`, { details: { service: route.service, reason } }));
      }
      const status = response.statusCode;
      if (status >= 200 && status < 300) {
        if (status === 204 || text.length === 0) return { kind: 'none' };
        if (Buffer.byteLength(text) > options.maxAnswerBytes) {
          return error(new AppError('PAYLOAD_TOO_LARGE', `Route "${routeKey}": the answer is larger than the ${options.maxAnswerBytes}-byte message limit`));
        }
        return { kind: 'message', text };
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (status >= 500) {
        logger.warn({ reqId: requestId, service: route.service, routeKey, status }, 'websocket route integration answered an error');
        return error(new AppError('DOWNSTREAM_SERVICE_ERROR', `Route "${routeKey}": service "${route.service}" failed (HTTP ${status})`, { details: { service: route.service, status } }));
      }
      return error(appErrorFromBody(status, body, `Route "${routeKey}": service "${route.service}" refused (HTTP ${status})`));
    },
  };
}

function error(err: AppError): IntegrationAnswer {
  return { kind: 'error', error: err };
}
