/**
 * A service's client of the gateway's push API (/@connections/{id}): sends to, describes or closes a
 * WebSocket API connection at the callback URL the gateway gave with the route's event, each request
 * signed with the internal service token (lib/signedRequest.ts), so only platform services can.
 */
import { Agent, type Dispatcher } from 'undici';
import { AppError, appErrorFromBody } from '../../lib/errors.js';
import { signRequest } from '../../lib/signedRequest.js';
import { REQUEST_ID_HEADER } from '../../lib/logger.js';

export interface ConnectionsClientOptions {
  /** INTERNAL_SERVICE_TOKEN, the gateway's too. */
  token: string;
  /** @default 5000 */
  timeoutMs?: number;
  dispatcher?: Dispatcher;
}

/** `gone`: the connection closed or never existed (410): forget it. */
export type PushResult = 'sent' | 'gone';

export interface ConnectionsClient {
  /** Sends `data` (a string as it is, anything else as JSON) to the client as one text message. */
  send(callbackUrl: string, data: unknown, options?: { requestId?: string }): Promise<PushResult>;
  describe(callbackUrl: string, options?: { requestId?: string }): Promise<Record<string, unknown> | 'gone'>;
  disconnect(callbackUrl: string, options?: { requestId?: string }): Promise<PushResult>;
  close(): Promise<void>;
}

/** http(s)://host[:port][/prefix]/@connections/<id>: the shape of every callback URL the gateway gives. */
export const CALLBACK_URL_PATTERN = /^https?:\/\/[^/\s]+(\/[^\s?#]*)?\/@connections\/[A-Za-z0-9_-]{1,128}$/;

export function createConnectionsClient(options: ConnectionsClientOptions): ConnectionsClient {
  const ownsDispatcher = !options.dispatcher;
  const dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 30_000, connections: 16 });
  const timeoutMs = options.timeoutMs ?? 5_000;

  const call = async (method: 'POST' | 'GET' | 'DELETE', callbackUrl: string, body: string | undefined, requestId?: string) => {
    if (!CALLBACK_URL_PATTERN.test(callbackUrl)) {
      throw new AppError('BAD_REQUEST', `"${callbackUrl}" is not a push API callback URL (…/@connections/<id>)`);
    }
    const url = new URL(callbackUrl);
    const headers: Record<string, string> = {
      ...signRequest({ secret: options.token, method, path: url.pathname, body }),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(requestId ? { [REQUEST_ID_HEADER]: requestId } : {}),
    };
    let response: Dispatcher.ResponseData;
    let text: string;
    try {
      response = await dispatcher.request({
        origin: url.origin,
        path: url.pathname,
        method,
        headers,
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      text = await response.body.text();
    } catch (err) {
      throw new AppError('DOWNSTREAM_SERVICE_ERROR', `The push API at ${url.origin} is unreachable: ${(err as Error).message}`, { cause: err });
    }
    if (response.statusCode === 410) return { gone: true as const };
    if (response.statusCode >= 400) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      throw appErrorFromBody(response.statusCode, parsed, `The push API refused ${method} (HTTP ${response.statusCode})`);
    }
    return { gone: false as const, text };
  };

  return {
    async send(callbackUrl, data, { requestId } = {}) {
      const body = typeof data === 'string' ? data : JSON.stringify(data);
      return (await call('POST', callbackUrl, body, requestId)).gone ? 'gone' : 'sent';
    },
    async describe(callbackUrl, { requestId } = {}) {
      const result = await call('GET', callbackUrl, undefined, requestId);
      return result.gone ? 'gone' : (JSON.parse(result.text) as Record<string, unknown>);
    },
    async disconnect(callbackUrl, { requestId } = {}) {
      return (await call('DELETE', callbackUrl, undefined, requestId)).gone ? 'gone' : 'sent';
    },
    async close() {
      if (ownsDispatcher) await dispatcher.close();
    },
  };
}
