/** Authorization checks for resolvers, on the identity the gateway forwarded. */
import { graphQLErrorFor } from '../../lib/errors.js';
import type { Identity } from '../../lib/identity.js';

/** Returns the subject or throws UNAUTHENTICATED. */
export function requireSubject(identity: Identity): string {
  if (!identity.subject) throw graphQLErrorFor('UNAUTHENTICATED', 'You must be signed in to do this');
  return identity.subject;
}

export function hasScope(identity: Identity, scope: string): boolean {
  return identity.scopes.includes(scope);
}

/** Throws UNAUTHENTICATED for anonymous callers and FORBIDDEN when the scope is missing. */
export function requireScope(identity: Identity, scope: string): string {
  const subject = requireSubject(identity);
  if (!hasScope(identity, scope)) {
    throw graphQLErrorFor('FORBIDDEN', `This needs the scope ${scope}`, { requiredScope: scope });
  }
  return subject;
}
