/**
 * Development tokens: HS256, signed with the gateway's JWT_SECRET and carrying its issuer and
 * audience, so the gateway accepts them as it would a token from an identity provider
 * (`npm run token`, the start banner, tests).
 */
import { SignJWT } from 'jose';
import { isValidScope, isValidSubject } from '../../../lib/signedIdentity.js';

export interface DevTokenOptions {
  secret: string;
  issuer: string;
  audience: string;
  subject: string;
  scopes?: readonly string[];
  /** Lifetime in seconds. @default 3600 */
  ttlSeconds?: number;
}

export async function mintDevToken(options: DevTokenOptions): Promise<string> {
  if (!isValidSubject(options.subject)) throw new Error(`"${options.subject}" is not a valid subject (1-128 of A-Z a-z 0-9 @ . _ : | -)`);
  const bad = options.scopes?.find((s) => !isValidScope(s));
  if (bad !== undefined) throw new Error(`"${bad}" is not a valid scope`);
  const ttl = options.ttlSeconds ?? 3600;
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error('the lifetime must be a positive number of seconds');
  const jwt = new SignJWT(options.scopes?.length ? { scope: options.scopes.join(' ') } : {})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.subject)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttl);
  return jwt.sign(new TextEncoder().encode(options.secret));
}

/** `30m`, `1h`, `2d`, `90s` or plain seconds -> seconds. */
export function parseTtl(text: string): number {
  const match = /^(\d+)\s*(s|m|h|d)?$/.exec(text.trim());
  if (!match || Number(match[1]) <= 0) throw new Error(`"${text}" is not a lifetime such as 90s, 30m, 1h or 2d`);
  const factor = { s: 1, m: 60, h: 3600, d: 86_400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * factor;
}

/**
 * What `npm start` prints about signing in: a ready token for a demo customer and the command for
 * others. Nothing to mint without a shared secret (production with JWKS only).
 */
export async function devTokenHelp(
  auth: { jwtSecret?: string; jwtIssuer: string; jwtAudience: string },
  gatewayUrl: string,
): Promise<string[]> {
  const more = '  Tokens for anyone:  npm run token -- --sub bob --scope orders:admin products:write [--ttl 8h]';
  if (!auth.jwtSecret) return ['  Signing in: send a bearer token from your identity provider (JWT_JWKS_URL).', more];
  const token = await mintDevToken({
    secret: auth.jwtSecret,
    issuer: auth.jwtIssuer,
    audience: auth.jwtAudience,
    subject: 'alice',
    scopes: ['orders:write', 'products:write'],
    ttlSeconds: 8 * 3600,
  });
  return [
    '  Acting as a customer (alice, scopes orders:write products:write, valid 8h):',
    `    curl -s ${gatewayUrl}/graphql -H 'content-type: application/json' \\`,
    `      -H 'authorization: Bearer ${token}' \\`,
    `      -d '{"query":"{ myOrders { totalCount } }"}'`,
    `  In the IDE: Headers tab -> {"Authorization": "Bearer <token>"}`,
    more,
  ];
}
