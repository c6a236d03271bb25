import { createServer } from 'node:net';
import { generateKeyPair, SignJWT } from 'jose';
import { createJwtVerifier, identityOf, TokenRejected } from './jwt.js';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('JWT verification', () => {
  it('reads scopes from `scope` (space-separated) or `scp` (array or string), dropping unusable ones', () => {
    expect(identityOf({ sub: 'a', scope: 'orders:write  products:write' })).toEqual({ subject: 'a', scopes: ['orders:write', 'products:write'] });
    expect(identityOf({ sub: 'a', scp: ['orders:write', 'bad scope', 7] })).toEqual({ subject: 'a', scopes: ['orders:write'] });
    expect(identityOf({ sub: 'a', scp: 'orders:write' })).toEqual({ subject: 'a', scopes: ['orders:write'] });
    expect(() => identityOf({ sub: 'has space' })).toThrow(/not a valid subject/);
  });

  it('answers 503, not 401, when the signing keys cannot be fetched', async () => {
    const verifier = createJwtVerifier({
      jwksUrl: `http://127.0.0.1:${await closedPort()}/jwks.json`,
      issuer: 'iss',
      audience: 'aud',
      algorithms: ['RS256'],
      jwksTimeoutMs: 2_000,
    });
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k' }).setSubject('a').setIssuer('iss').setAudience('aud').setExpirationTime('5m').sign(privateKey);
    const failure = await verifier.verify(token).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(TokenRejected);
    expect((failure as TokenRejected).status).toBe(503);
  });

  it('refuses an HS256 token when no shared secret is configured', async () => {
    const verifier = createJwtVerifier({ issuer: 'iss', audience: 'aud', algorithms: ['HS256'] });
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('a').setIssuer('iss').setAudience('aud').setExpirationTime('5m').sign(new TextEncoder().encode('0123456789abcdef0123456789abcdef'));
    await expect(verifier.verify(token)).rejects.toThrow(/no shared secret/);
  });
});
