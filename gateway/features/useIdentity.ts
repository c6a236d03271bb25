/**
 * Who the caller is. For now the caller's own identity headers (lib/identity.ts) are taken as they
 * are; the front door's authentication replaces the source with verified tokens and API keys
 * without changing `req.identity` or the context field.
 */
import type { Request } from 'express';
import { identityFromHeaders, type Identity } from '../../lib/identity.js';
import type { GatewayFeature } from './feature.js';

export interface IdentityFeature extends GatewayFeature<{ identity: Identity }> {
  readonly context: (req: Request) => { identity: Identity };
}

export function useIdentity(): IdentityFeature {
  return {
    name: 'identity',
    frontDoor: [
      (req, _res, next) => {
        req.identity = identityFromHeaders(req.headers);
        next();
      },
    ],
    context: (req) => ({ identity: req.identity ?? identityFromHeaders(req.headers) }),
  };
}
