/**
 * Who the caller is. For now the caller's own identity headers (lib/identity.ts) are taken as they
 * are and forwarded to the subgraphs; a later issue replaces the source with verified tokens without
 * changing the context field.
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
    context: (req) => ({ identity: identityFromHeaders(req.headers) }),
  };
}
