/**
 * Who the caller is, for every API path (/graphql and /api/...): a bearer token (verified with
 * gateway/auth/jwt.ts) and/or an API key (gateway/auth/apiKeys.ts) become `req.identity` and the
 * context's `identity`. No credential: anonymous (authorization decides what anonymous callers may
 * do). A credential that does not verify: 401 UNAUTHENTICATED saying why, with a WWW-Authenticate
 * challenge. A token and a key together: the token names the user, the key adds its usage plan
 * (as with API Gateway's API key plus authorizer).
 */
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../../lib/errors.js';
import { anonymousIdentity, type Identity } from '../../../lib/identity.js';
import type { Logger } from '../../../lib/logger.js';
import { API_KEY_HEADER, createApiKeyVerifier, type ApiKeyEntry } from './apiKeys.js';
import { createJwtVerifier, TokenRejected, type JwtOptions } from './jwt.js';
import type { GatewayFeature } from '../feature.js';

export interface AuthenticationOptions {
  jwt: JwtOptions;
  /** Accepted API keys (hashes only). @default [] */
  apiKeys?: readonly ApiKeyEntry[];
  logger?: Logger;
}

export interface AuthenticationFeature extends GatewayFeature<{ identity: Identity }> {
  readonly context: (req: Request) => { identity: Identity };
}

const BEARER = /^Bearer[ ]+([^\s]+)\s*$/i;

export function useAuthentication(options: AuthenticationOptions): AuthenticationFeature {
  const jwt = createJwtVerifier(options.jwt);
  const apiKeys = createApiKeyVerifier(options.apiKeys ?? []);

  const authenticate = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const authorization = req.headers.authorization;
    const key = req.headers[API_KEY_HEADER];
    let identity: Identity = anonymousIdentity();

    if (typeof key === 'string' || Array.isArray(key)) {
      const fromKey = typeof key === 'string' ? apiKeys.verify(key.trim()) : undefined;
      if (!fromKey) {
        res.setHeader('WWW-Authenticate', 'ApiKey error="invalid_key", error_description="The API key is not valid"');
        throw new AppError('UNAUTHENTICATED', `The API key in ${API_KEY_HEADER} is not valid`);
      }
      identity = fromKey;
    }

    if (authorization !== undefined) {
      const token = BEARER.exec(authorization)?.[1];
      if (!token) {
        throw challenge(res, 'The Authorization header must be "Bearer <token>"');
      }
      try {
        const user = await jwt.verify(token);
        identity = { ...user, ...(identity.apiKey ? { apiKey: identity.apiKey } : {}) };
      } catch (err) {
        if (err instanceof TokenRejected && err.status === 503) {
          options.logger?.warn({ reqId: req.requestId, err: err.message }, 'token keys unavailable');
          throw new AppError('SERVICE_UNAVAILABLE', err.message, { retryAfterSeconds: 5 });
        }
        throw challenge(res, err instanceof TokenRejected ? err.message : 'The token is not valid');
      }
    }

    req.identity = identity;
    next();
  };

  return {
    name: 'authentication',
    frontDoor: [authenticate],
    context: (req) => ({ identity: req.identity ?? anonymousIdentity() }),
  };
}

function challenge(res: Response, message: string): AppError {
  res.setHeader('WWW-Authenticate', `Bearer error="invalid_token", error_description="${message.replace(/["\\]/g, "'")}"`);
  return new AppError('UNAUTHENTICATED', message);
}
