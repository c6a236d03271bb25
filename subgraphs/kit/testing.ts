/**
 * For tests that call a subgraph directly, as the gateway does: identity headers signed with the
 * secret the subgraph was started with, plus the request id the signature is bound to.
 */
import { randomUUID } from 'node:crypto';
import type { Identity } from '../../lib/identity.js';
import { REQUEST_ID_HEADER } from '../../lib/logger.js';
import { signIdentityHeaders } from '../../lib/signedIdentity.js';

export function signedIdentityHeaders(
  identity: Partial<Identity>,
  secret: string,
  options: { requestId?: string; now?: number } = {},
): Record<string, string> {
  const requestId = options.requestId ?? randomUUID();
  return {
    [REQUEST_ID_HEADER]: requestId,
    ...signIdentityHeaders({ scopes: [], ...identity }, { secret, requestId, now: options.now }),
  };
}
