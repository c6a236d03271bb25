/**
 * Tokens for tests: HS256 JWTs signed with node:crypto, so building one stays synchronous (inline in
 * request headers); the gateway verifies them with jose like any other token. Defaults match a
 * gateway started without JWT_* settings (the development secret, issuer and audience).
 */
import { createHmac } from 'node:crypto';
import { devSecret } from '../../lib/config.js';
import { DEFAULT_JWT_AUDIENCE, DEFAULT_JWT_ISSUER } from '../features/authentication/authenticationConfig.js';

/** An HS256 JWT with the default issuer and audience and an hour's expiry, `claims` on top. */
export function testToken(claims: Record<string, unknown>, secret = devSecret('jwt')): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({
    iss: DEFAULT_JWT_ISSUER,
    aud: DEFAULT_JWT_AUDIENCE,
    iat: now,
    exp: now + 3600,
    ...claims,
  })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/** The Authorization header of `subject` with `scopes`. */
export function bearer(subject: string, scopes: readonly string[] = [], secret?: string): { authorization: string } {
  const claims = { sub: subject, ...(scopes.length ? { scope: scopes.join(' ') } : {}) };
  return { authorization: `Bearer ${testToken(claims, secret)}` };
}
