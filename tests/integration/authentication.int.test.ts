/**
 * Authentication through the whole platform over real HTTP: HS256 tokens from the shared secret,
 * RS256 and ES256 tokens against a JWKS served by a small local server (with key rotation), API
 * keys, every way a credential is refused (401, the reason, WWW-Authenticate), the identity the
 * subgraphs receive, and subgraphs refusing calls the gateway did not sign.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { newApiKey } from '../../gateway/features/authentication/apiKeys.js';
import { testToken } from '../../gateway/testing/testTokens.js';
import { signedIdentityHeaders } from '../../subgraphs/kit/testing.js';
import { runTokenCommand } from '../../scripts/token.js';
import { as, startTestPlatform, TEST_IDENTITY_SIGNING_SECRET, TEST_JWT_SECRET, type TestPlatform } from '../support/platform.js';

const ISSUER = 'federated-api-platform';
const AUDIENCE = 'federated-api';

/** A JWKS endpoint whose keys a test can change (rotation), counting the fetches. */
interface JwksServer {
  url: string;
  keys: JWK[];
  fetches: number;
  close(): Promise<void>;
}

async function startJwksServer(): Promise<JwksServer> {
  const state = { keys: [] as JWK[], fetches: 0 };
  const server: Server = createServer((_req, res) => {
    state.fetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get keys() {
      return state.keys;
    },
    set keys(keys) {
      state.keys = keys;
    },
    get fetches() {
      return state.fetches;
    },
    set fetches(n) {
      state.fetches = n;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(alg: 'RS256' | 'ES256', kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function sign(key: SigningKey, claims: Record<string, unknown> = {}, options: { kid?: string } = {}): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: key.alg, kid: options.kid ?? key.kid })
    .setSubject('idp-user-1')
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(key.privateKey);
}

let platform: TestPlatform;
let jwks: JwksServer;
let rsa: SigningKey;
let ec: SigningKey;
const apiKey = newApiKey('reporting', 'partner', ['products:write']);
let productId: string;

beforeAll(async () => {
  jwks = await startJwksServer();
  [rsa, ec] = await Promise.all([signingKey('RS256', 'rsa-1'), signingKey('ES256', 'ec-1')]);
  jwks.keys = [rsa.jwk, ec.jwk];
  platform = await startTestPlatform({
    JWT_JWKS_URL: jwks.url,
    JWT_ALGORITHMS: 'HS256,RS256,ES256',
    JWT_JWKS_COOLDOWN_MS: '0',
    JWT_CLOCK_TOLERANCE_SECONDS: '5',
    API_KEYS: apiKey.entry,
    // This suite sends many requests quickly; throttling has its own suites.
    RATE_LIMIT: 'false',
  });
  const { body } = await platform.graphql('{ products(first: 1) { nodes { id } } }');
  productId = body.data.products.nodes[0].id;
}, 120_000);

afterAll(async () => {
  await platform?.close();
  await jwks?.close();
});

let orderCounter = 0;
/** Places an order with these credentials; the orders subgraph records the customer it was told. */
async function customerSeenBySubgraph(headers: Record<string, string>): Promise<string> {
  const { status, body } = await platform.graphql(
    'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { customerId } }',
    { input: { items: [{ productId, quantity: 1 }], idempotencyKey: `auth-${process.pid}-${++orderCounter}` } },
    headers,
  );
  expect({ status, errors: body.errors }).toEqual({ status: 200, errors: undefined });
  return body.data.placeOrder.customerId;
}

async function post(headers: Record<string, string>, query = '{ products(first: 1) { totalCount } }') {
  const response = await fetch(`${platform.gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

describe('bearer tokens', () => {
  it('accepts an HS256 token and hands its subject to the subgraph', async () => {
    expect(await customerSeenBySubgraph(as('alice'))).toBe('alice');
  });

  it('lets a caller without credentials in as anonymous, who may read the catalog but has no orders', async () => {
    expect((await post({})).status).toBe(200);
    const { body } = await post({}, '{ myOrders { totalCount } }');
    // Refused by the gateway's authorization or by the orders subgraph, whichever comes first.
    expect(body.errors[0].extensions.code).toMatch(/^(UNAUTHENTICATED|UNAUTHORIZED)$/);
  });

  it('passes the scopes of `scope` and of `scp` to the subgraphs', async () => {
    const create = (n: string) =>
      `mutation { createProduct(input: { sku: "AUTH-${process.pid}-${n}", name: "Auth ${n}", description: "d", category: "Testing", priceCents: 100, stock: 1 }) { id } }`;
    expect((await post(as('editor', 'products:write'), create('scope'))).body.errors).toBeUndefined();
    const scp = testToken({ sub: 'editor', scp: ['products:write'] }, TEST_JWT_SECRET);
    expect((await post(bearer(scp), create('scp'))).body.errors).toBeUndefined();
    const without = await post(as('editor'), create('none'));
    expect(without.body.errors[0].extensions.code).toMatch(/^(FORBIDDEN|UNAUTHORIZED)$/);
  });

  it('accepts RS256 and ES256 tokens whose keys the JWKS publishes', async () => {
    expect(await customerSeenBySubgraph(bearer(await sign(rsa, {}, {})))).toBe('idp-user-1');
    const es = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: ec.kid })
      .setSubject('idp-user-2')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(ec.privateKey);
    expect(await customerSeenBySubgraph(bearer(es))).toBe('idp-user-2');
  });

  it('fetches the JWKS again when a token names a key it has not seen (rotation)', async () => {
    const rotated = await signingKey('RS256', 'rsa-2');
    const token = await sign(rotated);
    expect((await post(bearer(token))).status).toBe(401);
    const before = jwks.fetches;
    jwks.keys = [rsa.jwk, ec.jwk, rotated.jwk];
    const accepted = await post(bearer(token));
    expect(accepted.status).toBe(200);
    expect(jwks.fetches).toBeGreaterThan(before);
  });

  const refusals: [string, () => Promise<string>, RegExp][] = [
    [
      'alg none',
      async () =>
        `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(
          JSON.stringify({ sub: 'mallory', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 }),
        ).toString('base64url')}.`,
      /algorithm is not accepted/,
    ],
    ['an HS256 token signed with another secret', async () => testToken({ sub: 'mallory' }, 'some-other-secret-0123456789'), /signature is invalid/],
    ['an RS256 token signed by a key the JWKS does not have', async () => sign(await signingKey('RS256', 'rsa-1')), /signature is invalid/],
    ['an RS256 token naming an unknown key', async () => sign(rsa, {}, { kid: 'nobody' }), /No published signing key/],
    [
      'an expired token',
      async () => testToken({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 60 }, TEST_JWT_SECRET),
      /expired/,
    ],
    ['a token without exp', async () => testToken({ sub: 'alice', exp: undefined }, TEST_JWT_SECRET), /no "exp" claim/],
    ['a token without sub', async () => testToken({}, TEST_JWT_SECRET), /no "sub" claim/],
    ['another issuer', async () => testToken({ sub: 'alice', iss: 'https://evil.example' }, TEST_JWT_SECRET), /issuer/],
    ['another audience', async () => testToken({ sub: 'alice', aud: 'another-api' }, TEST_JWT_SECRET), /audience/],
    ['a malformed token', async () => 'not.a.token', /malformed/],
    ['garbage', async () => 'x', /malformed/],
  ];

  it.each(refusals)('refuses %s with 401, the reason and a WWW-Authenticate challenge', async (_name, token, reason) => {
    const { status, headers, body } = await post(bearer(await token()));
    expect(status).toBe(401);
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([{ message: expect.stringMatching(reason), extensions: { code: 'UNAUTHENTICATED' } }]);
    expect(headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", error_description=".+"$/);
  });

  it('refuses an Authorization header that is not a bearer token', async () => {
    const { status, body } = await post({ authorization: 'Basic YWxpY2U6c2VjcmV0' });
    expect(status).toBe(401);
    expect(body.errors[0].message).toBe('The Authorization header must be "Bearer <token>"');
  });
});

describe('API keys', () => {
  it('authenticates a machine client with its key, scopes and usage plan', async () => {
    expect(await customerSeenBySubgraph({ 'x-api-key': apiKey.key })).toBe('apikey:reporting');
  });

  it('refuses an unknown or altered key with 401', async () => {
    for (const key of [`${apiKey.key}x`, 'reporting.guess', 'nobody.secret', '']) {
      const { status, headers, body } = await post({ 'x-api-key': key });
      expect({ key, status, code: body.errors?.[0].extensions.code }).toEqual({ key, status: 401, code: 'UNAUTHENTICATED' });
      expect(headers.get('www-authenticate')).toMatch(/^ApiKey /);
    }
  });

  it('takes the user from the token and the plan from the key when both are sent', async () => {
    expect(await customerSeenBySubgraph({ ...as('dora'), 'x-api-key': apiKey.key })).toBe('dora');
  });
});

describe('subgraphs called directly', () => {
  const query = JSON.stringify({ query: '{ products(first: 1) { totalCount } }' });
  const call = (headers: Record<string, string>) =>
    fetch(platform.products.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: query }).then(
      async (r) => ({ status: r.status, body: (await r.json()) as any }),
    );

  it('refuses a call without the gateway signature, whatever identity headers it claims', async () => {
    const { status, body } = await call({ 'x-identity-subject': 'mallory', 'x-identity-scopes': 'products:write', 'x-user-id': 'mallory' });
    expect(status).toBe(401);
    expect(body.data).toBeUndefined();
    expect(body.errors[0]).toEqual({ message: expect.stringMatching(/no identity signature/), extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('refuses a forged signature and an altered identity', async () => {
    expect((await call(signedIdentityHeaders({ subject: 'mallory' }, 'not-the-gateway-secret'))).status).toBe(401);
    const genuine = signedIdentityHeaders({ subject: 'alice' }, TEST_IDENTITY_SIGNING_SECRET);
    const altered = await call({ ...genuine, 'x-identity-subject': 'mallory' });
    expect(altered.status).toBe(401);
    expect(altered.body.errors[0].message).toMatch(/signature is invalid/);
    // The signature is bound to the request id too.
    expect((await call({ ...genuine, 'x-request-id': 'another-request' })).status).toBe(401);
  });

  it('refuses a replayed signature older than the window', async () => {
    const old = signedIdentityHeaders({ subject: 'alice' }, TEST_IDENTITY_SIGNING_SECRET, { now: Date.now() - 61_000 });
    const { status, body } = await call(old);
    expect(status).toBe(401);
    expect(body.errors[0].message).toMatch(/outside the 60 s window/);
  });

  it('answers a call the gateway signed', async () => {
    const { status, body } = await call(signedIdentityHeaders({ subject: 'alice' }, TEST_IDENTITY_SIGNING_SECRET));
    expect(status).toBe(200);
    expect(body.data.products.totalCount).toBeGreaterThan(0);
  });

  it('still shows its schema to composition tools ({ _service { sdl } })', async () => {
    const response = await fetch(platform.products.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).data._service.sdl).toContain('type Product');
  });
});

describe('npm run token', () => {
  it('prints a token the gateway accepts, for the subject and scopes asked', async () => {
    let out = '';
    const code = await runTokenCommand(['--sub', 'erin', '--scope', 'orders:write', 'products:write', '--ttl', '10m'], {
      env: platform.env,
      out: (text) => (out += text),
      err: () => {},
    });
    expect(code).toBe(0);
    expect(await customerSeenBySubgraph(bearer(out.trim()))).toBe('erin');
  });

  it('works as a command', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/token.ts', '--sub', 'frank'], {
      env: { PATH: process.env.PATH, JWT_SECRET: TEST_JWT_SECRET },
      timeout: 30_000,
    });
    expect(await customerSeenBySubgraph(bearer(stdout.trim()))).toBe('frank');
  }, 40_000);
});
