/**
 * Service credentials: `Authorization: Bearer <credential>` names the service, and with it the only
 * database the request can reach. Credentials are compared as SHA-256 digests with timingSafeEqual,
 * always against every service, so neither the length nor the position of a match shows in timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../lib/errors.js';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Returns the service an Authorization header belongs to, or throws UNAUTHENTICATED. */
export type CredentialCheck = ((authorization: string | undefined) => string) & {
  /** Accepts one more service's credential from now on (a service added while the proxy runs). */
  add(service: string, secret: string): void;
};

export function createCredentialCheck(credentials: Readonly<Record<string, string>>): CredentialCheck {
  const known = Object.entries(credentials).map(([service, secret]) => ({ service, digest: digest(secret) }));
  const check = (authorization: string | undefined): string => {
    if (!authorization) {
      throw new AppError('UNAUTHENTICATED', 'Missing credential: send Authorization: Bearer <service credential>');
    }
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (!match) {
      throw new AppError('UNAUTHENTICATED', 'The Authorization header must be "Bearer <service credential>"');
    }
    const given = digest(match[1]);
    let service: string | undefined;
    for (const entry of known) {
      if (timingSafeEqual(given, entry.digest) && service === undefined) service = entry.service;
    }
    if (service === undefined) {
      throw new AppError('UNAUTHENTICATED', 'Unknown credential: it belongs to no service of this proxy');
    }
    return service;
  };
  return Object.assign(check, {
    add(service: string, secret: string) {
      known.push({ service, digest: digest(secret) });
    },
  });
}
