/**
 * Who the caller is, for every API path (/graphql and /api/...): a bearer token (verified with
 * gateway/auth/jwt.ts) and/or an API key (gateway/auth/apiKeys.ts) become `req.identity` and the
 * context's `identity`. No credential: anonymous (authorization decides what anonymous callers may
 * do). A credential that does not verify: 401 UNAUTHENTICATED saying why, with a WWW-Authenticate
 * challenge. A token and a key together: the token names the user, the key adds its usage plan
 * (as with API Gateway's API key plus authorizer).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { AppError } from '../../../lib/errors.js';
import { anonymousIdentity, type Identity } from '../../../lib/identity.js';
import type { Logger } from '../../../lib/logger.js';
import { API_KEY_HEADER, createApiKeyVerifier, type ApiKeyEntry } from './apiKeys.js';
import { createJwtVerifier, TokenRejected, type JwtOptions } from './jwt.js';
import type { FrontDoorHook, FrontDoorRequest, GatewayFeature } from '../feature.js';

export interface AuthenticationOptions {
  jwt: JwtOptions;
  /** Accepted API keys (hashes only). @default [] */
  apiKeys?: readonly ApiKeyEntry[];
  logger?: Logger;
}

export interface AuthenticationFeature extends GatewayFeature<{ identity: Identity }> {
  readonly context: (req: FrontDoorRequest) => { identity: Identity };
  /** The identity the headers prove; throws a 401/503 AppError naming what is wrong. */
  readonly identify: (headers: IncomingHttpHeaders, log?: { requestId?: string }) => Promise<Identity>;
}

const BEARER = /^Bearer[ ]+([^\s]+)\s*$/i;

export function useAuthentication(options: AuthenticationOptions): AuthenticationFeature {
  const jwt = createJwtVerifier(options.jwt);
  const apiKeys = createApiKeyVerifier(options.apiKeys ?? []);

  /**
   * The identity a request's headers prove (the Authorization bearer token and/or the API key), for
   * any entry point: the HTTP front door and WebSocket handshakes. Throws an AppError (401 with the
   * WWW-Authenticate challenge in `details.challenge`, or 503 when token keys cannot be fetched).
   */
  const identify = async (
    headers: IncomingHttpHeaders,
    log: { requestId?: string } = {},
  ): Promise<Identity> => {
    const authorization = headers.authorization;
    const key = headers[API_KEY_HEADER];
    let identity: Identity = anonymousIdentity();

    if (typeof key === 'string' || Array.isArray(key)) {
      const fromKey = typeof key === 'string' ? apiKeys.verify(key.trim()) : undefined;
      if (!fromKey) {
        throw unauthenticated(
          `The API key in ${API_KEY_HEADER} is not valid`,
          'ApiKey error="invalid_key", error_description="The API key is not valid"',
        );
      }
      identity = fromKey;
    }

    if (authorization !== undefined) {
      const token = BEARER.exec(authorization)?.[1];
      if (!token) throw bearerChallenge('The Authorization header must be "Bearer <token>"');
      try {
        const user = await jwt.verify(token);
        identity = { ...user, ...(identity.apiKey ? { apiKey: identity.apiKey } : {}) };
      } catch (err) {
        if (err instanceof TokenRejected && err.status === 503) {
          options.logger?.warn({ reqId: log.requestId, err: err.message }, 'token keys unavailable');
          throw new AppError('SERVICE_UNAVAILABLE', err.message, { retryAfterSeconds: 5 });
        }
        throw bearerChallenge(err instanceof TokenRejected ? err.message : 'The token is not valid');
      }
    }
    return identity;
  };

  const authenticate: FrontDoorHook = async (req, res) => {
    try {
      req.identity = await identify(req.headers, { requestId: req.requestId });
    } catch (err) {
      const challengeHeader = err instanceof AppError ? err.details?.challenge : undefined;
      if (typeof challengeHeader === 'string') {
        res.setHeader('WWW-Authenticate', challengeHeader);
        throw new AppError('UNAUTHENTICATED', (err as AppError).message);
      }
      throw err;
    }
  };

  return {
    name: 'authentication',
    onRequest: authenticate,
    identify,
    context: (req) => ({ identity: req.identity ?? anonymousIdentity() }),
  };
}

/** A 401 carrying the WWW-Authenticate challenge the HTTP front door sends with it. */
function unauthenticated(message: string, challenge: string): AppError {
  return new AppError('UNAUTHENTICATED', message, { details: { challenge } });
}

function bearerChallenge(message: string): AppError {
  return unauthenticated(message, `Bearer error="invalid_token", error_description="${message.replace(/["\\]/g, "'")}"`);
}
