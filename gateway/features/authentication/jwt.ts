/**
 * Bearer-token verification with jose: HS* tokens against the shared secret (development, or a
 * deployment that mints its own tokens), asymmetric ones (RS256, ES256, ...) against the keys of a
 * JWKS URL, which jose caches and fetches again when a token names a `kid` it has not seen (key
 * rotation). Issuer, audience, expiry (required), clock tolerance and the algorithm allow-list are
 * checked on every token; `alg: none` is never on the list.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Identity } from '../../../lib/identity.js';
import { isValidScope, isValidSubject } from '../../../lib/signedIdentity.js';

export const SYMMETRIC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
export const JWT_ALGORITHMS: readonly string[] = [...SYMMETRIC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS];

export interface JwtOptions {
  /** Shared secret for HS* tokens; without one, HS* tokens are refused. */
  secret?: string;
  /** Where the signing keys of asymmetric tokens (RS256, ES256, ...) are published; without one, those are refused. */
  jwksUrl?: string;
  /** Required `iss`. */
  issuer: string;
  /** Required `aud` (one of the token's audiences). */
  audience: string;
  /** Accepted `alg` values. */
  algorithms: readonly string[];
  /** Leeway for `exp` and `nbf`, in seconds. @default 30 */
  clockToleranceSeconds?: number;
  /** After a JWKS fetch, no new one for this long even for an unknown `kid`, in ms. @default 30000 */
  jwksCooldownMs?: number;
  /** Keys are fetched again after this long, in ms. @default 600000 */
  jwksCacheMaxAgeMs?: number;
  /** Longest wait for the JWKS URL, in ms. @default 5000 */
  jwksTimeoutMs?: number;
}

/** Why a token was refused: `status` 401 for a bad token, 503 when the keys could not be fetched. */
export class TokenRejected extends Error {
  constructor(
    message: string,
    readonly status: 401 | 503 = 401,
  ) {
    super(message);
    this.name = 'TokenRejected';
  }
}

export interface JwtVerifier {
  /** The identity a valid token carries; throws TokenRejected saying why a token is not accepted. */
  verify(token: string): Promise<Identity>;
}

export function createJwtVerifier(options: JwtOptions): JwtVerifier {
  const secretKey = options.secret ? new TextEncoder().encode(options.secret) : undefined;
  const jwks = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl), {
        cooldownDuration: options.jwksCooldownMs ?? 30_000,
        cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
        timeoutDuration: options.jwksTimeoutMs ?? 5_000,
      })
    : undefined;
  const algorithms = [...options.algorithms];
  const keyFor: JWTVerifyGetKey = async (header, token) => {
    if (header.alg?.startsWith('HS')) {
      if (!secretKey) throw new TokenRejected('HS* tokens are not accepted here (no shared secret is configured)');
      return secretKey;
    }
    if (!jwks) throw new TokenRejected(`${header.alg} tokens are not accepted here (no JWKS URL is configured)`);
    return jwks(header, token);
  };

  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keyFor, {
          algorithms,
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance: options.clockToleranceSeconds ?? 30,
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (err) {
        throw rejection(err, algorithms);
      }
      return identityOf(payload);
    },
  };
}

/** Subject from `sub`; scopes from `scope` (space-separated, OAuth 2) or `scp` (an array, or a string). */
export function identityOf(payload: JWTPayload): Identity {
  const subject = payload.sub;
  if (typeof subject !== 'string' || !isValidSubject(subject)) {
    throw new TokenRejected('The token\'s "sub" claim is not a valid subject (1-128 of A-Z a-z 0-9 @ . _ : | -)');
  }
  const raw = payload.scope ?? payload.scp;
  const listed = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(' ') : [];
  const scopes = [...new Set(listed.filter((s): s is string => typeof s === 'string' && isValidScope(s)))];
  return { subject, scopes };
}

function rejection(err: unknown, algorithms: readonly string[]): TokenRejected {
  if (err instanceof TokenRejected) return err;
  if (err instanceof errors.JWTExpired) {
    const exp = typeof err.payload.exp === 'number' ? ` at ${new Date(err.payload.exp * 1000).toISOString()}` : '';
    return new TokenRejected(`The token expired${exp}`);
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return new TokenRejected(`The token has no "${err.claim}" claim`);
    switch (err.claim) {
      case 'iss':
        return new TokenRejected('The token\'s issuer ("iss") is not the one this gateway accepts');
      case 'aud':
        return new TokenRejected('The token\'s audience ("aud") is not this API');
      case 'nbf':
        return new TokenRejected('The token is not valid yet ("nbf" is in the future)');
      case 'iat':
        return new TokenRejected('The token\'s "iat" claim is invalid');
      default:
        return new TokenRejected(`The token's "${err.claim}" claim is invalid`);
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return new TokenRejected(`The token's algorithm is not accepted (accepted: ${algorithms.join(', ')})`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return new TokenRejected('The token\'s signature is invalid');
  if (err instanceof errors.JWKSNoMatchingKey) return new TokenRejected('No published signing key matches the token ("kid")');
  if (err instanceof errors.JWKSMultipleMatchingKeys) {
    return new TokenRejected('Several published signing keys match the token; it needs a "kid"');
  }
  if (err instanceof errors.JWKSTimeout) return new TokenRejected('The signing keys could not be fetched in time', 503);
  if (err instanceof errors.JWKSInvalid) return new TokenRejected('The published signing keys (JWKS) are invalid', 503);
  if (err instanceof errors.JOSENotSupported) return new TokenRejected(`The token is not supported: ${err.message}`);
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid || err instanceof errors.JWKInvalid) {
    return new TokenRejected(`The token is malformed: ${err.message}`);
  }
  if (err instanceof errors.JOSEError) return new TokenRejected(`The token is not valid: ${err.message}`);
  // Anything else comes from fetching the JWKS (network, HTTP status).
  return new TokenRejected('The signing keys could not be fetched', 503);
}
