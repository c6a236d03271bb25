/**
 * The WebSocket API through real gateways, real HTTP and real WebSockets: a small integration
 * service ("hooks", the only subgraph of a one-line supergraph) answers the routes and records what
 * reached it with the identity the gateway signed; the push API is called with signed requests.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { devSecret } from '../../../lib/config.js';
import { listen, type RunningServer } from '../../../lib/httpServer.js';
import { createLogger } from '../../../lib/logger.js';
import { verifyIdentityHeaders } from '../../../lib/signedIdentity.js';
import { signRequest } from '../../../lib/signedRequest.js';
import { loadGatewayConfig } from '../../config.js';
import { newApiKey } from '../authentication/apiKeys.js';
import { startGateway, type RunningGateway } from '../../server.js';
import { bearer, testToken } from '../../testing/testTokens.js';
import { openSocket, refusedHandshake, type TestSocket } from '../../testing/webSocketClient.js';
import { redisAnswers, TEST_REDIS_URL } from '../../../tests/support/redis.js';

const SERVICE_TOKEN = devSecret('internal');

interface Call {
  route: string;
  body: any;
  subject?: string;
  scopes: string[];
  signed: boolean;
}

let hooks: RunningServer;
const calls: Call[] = [];
let dir: string;

beforeAll(async () => {
  const app = express();
  app.use(express.json());
  app.post('/websocket/:route', (req, res) => {
    const verified = verifyIdentityHeaders(req.headers, {
      secret: devSecret('identity-signing'),
      requestId: String(req.headers['x-request-id']),
    });
    const identity = verified.ok ? verified.identity : { scopes: [] };
    const route = req.params.route;
    calls.push({ route, body: req.body, subject: identity.subject, scopes: identity.scopes, signed: verified.ok });
    switch (route) {
      case 'connect':
        if (identity.subject === 'blocked') res.status(403).json({ error: { code: 'FORBIDDEN', message: 'blocked may not connect' } });
        else res.status(200).json({ ignored: true });
        return;
      case 'echo':
        res.json({ type: 'echo', body: req.body.body, subject: identity.subject, context: req.body.requestContext });
        return;
      case 'default':
        res.json({ type: 'default', body: req.body.body, isBase64Encoded: req.body.isBase64Encoded ?? false });
        return;
      case 'refuse':
        res.status(409).json({ error: { code: 'CONFLICT', message: 'already watching' } });
        return;
      case 'crash':
        res.status(500).send('boom');
        return;
      default:
        res.status(204).end();
    }
  });
  hooks = await listen(app, 0, '127.0.0.1');
  dir = mkdtempSync(path.join(os.tmpdir(), 'ws-api-'));
  writeFileSync(
    path.join(dir, 'supergraph.yaml'),
    [
      'federation_version: =2.9.0',
      'subgraphs:',
      '  hooks:',
      `    routing_url: ${hooks.url}/graphql`,
      '    schema:',
      '      sdl: "type Query { hooksPing: String }"',
    ].join('\n'),
  );
});

afterAll(async () => {
  await hooks?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ROUTES = {
  $connect: { service: 'hooks', path: '/websocket/connect' },
  $disconnect: { service: 'hooks', path: '/websocket/disconnect' },
  $default: { service: 'hooks', path: '/websocket/default' },
  echo: { service: 'hooks', path: '/websocket/echo' },
  silent: { service: 'hooks', path: '/websocket/silent' },
  refuse: { service: 'hooks', path: '/websocket/refuse' },
  crash: { service: 'hooks', path: '/websocket/crash' },
};

async function gatewayWith(env: Record<string, string> = {}): Promise<RunningGateway> {
  const config = loadGatewayConfig({
    GATEWAY_PORT: '0',
    GATEWAY_HOST: '127.0.0.1',
    SUPERGRAPH_CONFIG: path.join(dir, 'supergraph.yaml'),
    SUPERGRAPH_WATCH: 'false',
    RATE_LIMIT: 'false',
    WS_ROUTES: JSON.stringify(ROUTES),
    ...env,
  });
  return startGateway(config, { logger: createLogger('gateway', 'silent') });
}

const wsUrl = (gateway: RunningGateway, query = '') => `${gateway.url.replace(/^http/, 'ws')}/ws${query}`;
const token = (subject: string, scopes: string[] = []) => testToken({ sub: subject, ...(scopes.length ? { scope: scopes.join(' ') } : {}) });

/** Waits until the integration service has recorded a call that matches. */
async function callTo(route: string, match: (call: Call) => boolean = () => true): Promise<Call> {
  for (;;) {
    const found = calls.find((c) => c.route === route && match(c));
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function push(gateway: RunningGateway, method: string, connectionId: string, body?: string, sign: Partial<Parameters<typeof signRequest>[0]> = {}) {
  const pathName = `/@connections/${connectionId}`;
  const headers = signRequest({ secret: SERVICE_TOKEN, method, path: pathName, body, ...sign });
  const response = await fetch(`${gateway.url}${pathName}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers };
}

async function connectionIdOf(socket: TestSocket): Promise<string> {
  socket.send({ action: 'echo' });
  const answer = await socket.nextJson();
  return answer.context.connectionId;
}

describe('the WebSocket API', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await gatewayWith();
  });
  afterAll(async () => {
    await gateway?.close();
  });

  describe('$connect', () => {
    test('without a credential the upgrade is refused with 401 and a JSON body naming the problem', async () => {
      const refused = await refusedHandshake(wsUrl(gateway));
      expect(refused.status).toBe(401);
      expect(refused.headers['content-type']).toMatch(/application\/json/);
      expect(refused.body.error).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringContaining('needs a credential') });
    });

    test('a bad token is refused with 401 naming why, in the header or the query', async () => {
      const inHeader = await refusedHandshake(wsUrl(gateway), { authorization: 'Bearer not-a-jwt' });
      expect(inHeader.status).toBe(401);
      expect(inHeader.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
      expect(inHeader.body.error.code).toBe('UNAUTHENTICATED');
      const inQuery = await refusedHandshake(wsUrl(gateway, `?token=${token('x', []).slice(0, -3)}abc`));
      expect(inQuery.status).toBe(401);
      expect(inQuery.body.error.message).toMatch(/signature|token/i);
    });

    test('an unknown API key is refused with 401', async () => {
      const refused = await refusedHandshake(wsUrl(gateway), { 'x-api-key': 'nope.nope' });
      expect(refused.status).toBe(401);
      expect(refused.body.error.message).toMatch(/API key/);
    });

    test('an API key alone is a credential: $connect gets the key as the signed identity', async () => {
      const apiKey = newApiKey('live-board', 'basic');
      const keyed = await gatewayWith({ API_KEYS: apiKey.entry });
      try {
        const socket = await openSocket(wsUrl(keyed), { 'x-api-key': apiKey.key });
        const connect = await callTo('connect', (c) => c.subject === 'apikey:live-board');
        expect(connect).toMatchObject({ signed: true });
        expect(connect.body.requestContext.identity).toMatchObject({ subject: 'apikey:live-board' });
        socket.ws.close();
        await socket.closed;
      } finally {
        await keyed.close();
      }
    });

    test('a $connect integration that refuses refuses the upgrade with its answer', async () => {
      const refused = await refusedHandshake(wsUrl(gateway, `?token=${token('blocked')}`));
      expect(refused.status).toBe(403);
      expect(refused.body.error).toEqual({ code: 'FORBIDDEN', message: 'blocked may not connect' });
    });

    test('a token in the query (browsers) or the Authorization header is accepted; $connect gets the signed identity', async () => {
      const viaQuery = await openSocket(wsUrl(gateway, `?token=${token('query-user', ['orders:read'])}`));
      const viaHeader = await openSocket(wsUrl(gateway), bearer('header-user'));
      const connect = await callTo('connect', (c) => c.subject === 'query-user');
      expect(connect).toMatchObject({ signed: true, scopes: ['orders:read'] });
      expect(connect.body.requestContext).toMatchObject({ routeKey: '$connect', eventType: 'CONNECT', identity: { subject: 'query-user' } });
      expect(connect.body.requestContext.callbackUrl).toBe(`${gateway.url}/@connections/${connect.body.requestContext.connectionId}`);
      expect(await callTo('connect', (c) => c.subject === 'header-user')).toMatchObject({ signed: true });
      viaQuery.ws.close();
      viaHeader.ws.close();
      await Promise.all([viaQuery.closed, viaHeader.closed]);
    });
  });

  describe('routes', () => {
    let socket: TestSocket;
    beforeAll(async () => {
      socket = await openSocket(wsUrl(gateway, `?token=${token('route-user')}`));
    });
    afterAll(async () => {
      socket.ws.close();
      await socket.closed;
    });

    test('a message is routed by its action; a 2xx JSON answer comes back as a message', async () => {
      socket.send({ action: 'echo', text: 'hi' });
      const answer = await socket.nextJson();
      expect(answer).toMatchObject({ type: 'echo', body: { action: 'echo', text: 'hi' }, subject: 'route-user' });
      expect(answer.context).toMatchObject({ routeKey: 'echo', eventType: 'MESSAGE', identity: { subject: 'route-user' } });
      expect(answer.context.requestId).toEqual(expect.any(String));
    });

    test('unmatched actions and non-JSON messages go to $default', async () => {
      socket.send({ action: 'nosuch', n: 1 });
      expect(await socket.nextJson()).toEqual({ type: 'default', body: { action: 'nosuch', n: 1 }, isBase64Encoded: false });
      socket.send('plain words, not JSON');
      expect(await socket.nextJson()).toEqual({ type: 'default', body: 'plain words, not JSON', isBase64Encoded: false });
      socket.send({ action: '$connect' });
      expect(await socket.nextJson()).toMatchObject({ type: 'default', body: { action: '$connect' } });
    });

    test('a 204 answer sends nothing', async () => {
      const before = calls.length;
      socket.send({ action: 'silent' });
      await callTo('silent', () => calls.length > before);
      socket.send({ action: 'echo', after: 'silent' });
      expect(await socket.nextJson()).toMatchObject({ type: 'echo', body: { after: 'silent' } });
    });

    test("a refusing route's error comes back as an error message; a failing service as DOWNSTREAM_SERVICE_ERROR", async () => {
      socket.send({ action: 'refuse' });
      expect(await socket.nextJson()).toMatchObject({ type: 'error', error: { code: 'CONFLICT', message: 'already watching' }, requestId: expect.any(String) });
      socket.send({ action: 'crash' });
      const crashed = await socket.nextJson();
      expect(crashed).toMatchObject({ type: 'error', error: { code: 'DOWNSTREAM_SERVICE_ERROR' } });
      expect(crashed.error.message).toMatch(/Route "crash": service "hooks" failed \(HTTP 500\)/);
    });
  });

  test('$disconnect is called when the client closes, with its code and reason', async () => {
    const socket = await openSocket(wsUrl(gateway, `?token=${token('leaver')}`));
    const connectionId = await connectionIdOf(socket);
    socket.ws.close(4001, 'bye now');
    const disconnect = await callTo('disconnect', (c) => c.body.requestContext.connectionId === connectionId);
    expect(disconnect).toMatchObject({ signed: true, subject: 'leaver' });
    expect(disconnect.body.requestContext).toMatchObject({ eventType: 'DISCONNECT', disconnectStatusCode: 4001, disconnectReason: 'bye now' });
  });

  describe('the push API', () => {
    let socket: TestSocket;
    let connectionId: string;
    beforeAll(async () => {
      socket = await openSocket(wsUrl(gateway, `?token=${token('pushed-user')}`));
      connectionId = await connectionIdOf(socket);
    });

    test('POST sends the body to the client as a message', async () => {
      const sent = await push(gateway, 'POST', connectionId, '{"type":"news","n":1}');
      expect(sent.status).toBe(204);
      expect(await socket.nextJson()).toEqual({ type: 'news', n: 1 });
    });

    test('GET describes the connection', async () => {
      const described = await push(gateway, 'GET', connectionId);
      expect(described.status).toBe(200);
      expect(described.body).toMatchObject({ connectionId, identity: { subject: 'pushed-user' }, sourceIp: expect.stringMatching(/127\.0\.0\.1/) });
      expect(Date.parse(described.body.connectedAt)).toBeLessThanOrEqual(Date.parse(described.body.lastActiveAt));
    });

    test('unsigned, wrongly signed, stale, replayed and other-path requests are refused with 401/403', async () => {
      const url = `${gateway.url}/@connections/${connectionId}`;
      const unsigned = await fetch(url, { method: 'POST', body: 'x' });
      expect(unsigned.status).toBe(401);
      expect((await unsigned.json()).error).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringContaining('not signed') });

      const wrongKey = await push(gateway, 'POST', connectionId, 'x', { secret: 'not-the-internal-token' });
      expect(wrongKey).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN', message: expect.stringContaining('does not match') } } });

      const stale = await push(gateway, 'POST', connectionId, 'x', { now: Date.now() - 120_000 });
      expect(stale).toMatchObject({ status: 403, body: { error: { message: expect.stringContaining('window') } } });

      const signedForOther = signRequest({ secret: SERVICE_TOKEN, method: 'POST', path: '/@connections/someone-else', body: 'x' });
      const otherPath = await fetch(url, { method: 'POST', headers: signedForOther, body: 'x' });
      expect(otherPath.status).toBe(403);

      const first = await push(gateway, 'POST', connectionId, '"once"');
      expect(first.status).toBe(204);
      expect(await socket.nextJson()).toBe('once');
      const replayed = await fetch(url, { method: 'POST', headers: first.headers, body: '"once"' });
      expect(replayed.status).toBe(403);
      expect((await replayed.json()).error.message).toMatch(/replayed/);
    });

    test('an empty POST is 400; another method is 405', async () => {
      expect((await push(gateway, 'POST', connectionId, '')).status).toBe(400);
      expect((await push(gateway, 'PUT', connectionId, 'x')).status).toBe(405);
    });

    test('DELETE closes the connection (1000); afterwards every call answers 410 Gone', async () => {
      expect((await push(gateway, 'DELETE', connectionId)).status).toBe(204);
      expect(await socket.closed).toEqual({ code: 1000, reason: 'Closed by the service' });
      await callTo('disconnect', (c) => c.body.requestContext.connectionId === connectionId);
      for (const [method, body] of [['GET'], ['POST', 'x'], ['DELETE']] as const) {
        const gone = await push(gateway, method, connectionId, body);
        expect(gone.status).toBe(410);
        expect(gone.body.error).toMatchObject({ code: 'GONE', message: expect.stringContaining(connectionId) });
      }
      expect((await push(gateway, 'GET', 'never-existed')).status).toBe(410);
    });
  });

  test('GET /metrics counts open connections (gateway_websocket_connections)', async () => {
    const count = async () => {
      const text = await (await fetch(`${gateway.url}/metrics`)).text();
      return Number(/^gateway_websocket_connections (\d+)$/m.exec(text)?.[1]);
    };
    const before = await count();
    const socket = await openSocket(wsUrl(gateway, `?token=${token('counted')}`));
    expect(await count()).toBe(before + 1);
    socket.ws.close();
    await socket.closed;
    await callTo('disconnect', (c) => c.subject === 'counted');
    expect(await count()).toBe(before);
  });

  test('other upgrade paths are still refused with 404', async () => {
    const refused = await refusedHandshake(`${gateway.url.replace(/^http/, 'ws')}/elsewhere`, bearer('x'));
    expect(refused.status).toBe(404);
  });
});

describe('limits', () => {
  test('a message over WS_MAX_MESSAGE_BYTES closes the connection with 1009', async () => {
    const gateway = await gatewayWith({ WS_MAX_MESSAGE_BYTES: '1024' });
    try {
      const socket = await openSocket(wsUrl(gateway, `?token=${token('big-talker')}`));
      socket.send('x'.repeat(2_000));
      expect((await socket.closed).code).toBe(1009);
    } finally {
      await gateway.close();
    }
  });

  test('a connection idle for WS_IDLE_TIMEOUT_MS is closed with 1001 naming the timeout, and $disconnect runs', async () => {
    const gateway = await gatewayWith({ WS_IDLE_TIMEOUT_MS: '300' });
    try {
      const socket = await openSocket(wsUrl(gateway, `?token=${token('idler')}`));
      expect(await socket.closed).toEqual({ code: 1001, reason: 'Idle timeout: no message for 300 ms' });
      await callTo('disconnect', (c) => c.subject === 'idler');
    } finally {
      await gateway.close();
    }
  });

  test('a connection is closed at WS_MAX_CONNECTION_AGE_MS however active it is', async () => {
    const gateway = await gatewayWith({ WS_MAX_CONNECTION_AGE_MS: '400' });
    try {
      const socket = await openSocket(wsUrl(gateway, `?token=${token('old-timer')}`));
      const closed = await socket.closed;
      expect(closed.code).toBe(1001);
      expect(closed.reason).toMatch(/maximum age/);
    } finally {
      await gateway.close();
    }
  });

  test('new connections over WS_CONNECTS_PER_SECOND are refused with 429 and Retry-After before the upgrade', async () => {
    const gateway = await gatewayWith({ WS_CONNECTS_PER_SECOND: '2' });
    try {
      const attempts = await Promise.allSettled(Array.from({ length: 8 }, () => openSocket(wsUrl(gateway, `?token=${token('crowd')}`))));
      const refused = attempts.flatMap((a) => (a.status === 'rejected' ? [(a.reason as { refused?: any }).refused] : []));
      expect(refused.length).toBeGreaterThan(0);
      for (const r of refused) {
        expect(r.status).toBe(429);
        expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(r.body.error).toMatchObject({ code: 'RATE_LIMITED', details: { limit: 'connectsPerSecond', max: 2 } });
      }
      for (const a of attempts) if (a.status === 'fulfilled') a.value.ws.close();
    } finally {
      await gateway.close();
    }
  });

  test('messages over WS_MESSAGES_PER_SECOND get an error naming the limit; if they go on, 1008', async () => {
    const gateway = await gatewayWith({ WS_MESSAGES_PER_SECOND: '1' });
    try {
      const socket = await openSocket(wsUrl(gateway, `?token=${token('chatty')}`));
      for (let i = 0; i < 30; i++) socket.send({ action: 'silent', i });
      const messages: any[] = [];
      const closing = socket.closed;
      for (;;) {
        const next = await Promise.race([socket.nextJson(), closing.then(() => undefined)]);
        if (next === undefined) break;
        messages.push(next);
      }
      expect(messages[0]).toMatchObject({ type: 'error', error: { code: 'RATE_LIMITED', details: { limit: 'messagesPerSecond', max: 1 } } });
      expect(messages[0].error.message).toMatch(/at most 1 messages per second/);
      expect(await closing).toEqual({ code: 1008, reason: 'Message rate limit exceeded repeatedly (1 per second)' });
    } finally {
      await gateway.close();
    }
  });

  test('without routes for an action or $default, a message gets an error listing the actions', async () => {
    const gateway = await gatewayWith({ WS_ROUTES: JSON.stringify({ echo: ROUTES.echo }) });
    try {
      const socket = await openSocket(wsUrl(gateway, `?token=${token('lost')}`));
      socket.send({ action: 'nosuch' });
      expect(await socket.nextJson()).toMatchObject({
        type: 'error',
        error: { code: 'BAD_REQUEST', message: 'No route for this message: send JSON with an "action" of "echo"' },
      });
      socket.ws.close();
      await socket.closed;
    } finally {
      await gateway.close();
    }
  });

  test('a gateway shutting down closes its connections with 1012 and runs each $disconnect', async () => {
    const gateway = await gatewayWith();
    const socket = await openSocket(wsUrl(gateway, `?token=${token('shut-out')}`));
    const connectionId = await connectionIdOf(socket);
    await gateway.close();
    expect((await socket.closed).code).toBe(1012);
    expect(calls.some((c) => c.route === 'disconnect' && c.body.requestContext.connectionId === connectionId)).toBe(true);
  });
});

describe('two gateway replicas sharing Redis', () => {
  let redisUp = false;
  let a: RunningGateway;
  let b: RunningGateway;
  beforeAll(async () => {
    redisUp = await redisAnswers();
    if (!redisUp) {
      console.warn(`WebSocket replica tests skipped: no Redis answers at ${TEST_REDIS_URL} (set TEST_REDIS_URL to run them)`);
      return;
    }
    a = await gatewayWith({ REDIS_URL: TEST_REDIS_URL });
    b = await gatewayWith({ REDIS_URL: TEST_REDIS_URL });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  /** A connection on replica A; the description reaches Redis right after the handshake. */
  async function connectedToA(subject: string) {
    const socket = await openSocket(wsUrl(a, `?token=${token(subject)}`));
    const connectionId = await connectionIdOf(socket);
    for (;;) {
      const described = await push(b, 'GET', connectionId);
      if (described.status === 200) return { socket, connectionId, described };
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  test('GET and POST on replica B reach a client connected to replica A', async () => {
    if (!redisUp) return;
    const { socket, connectionId, described } = await connectedToA('replica-user');
    expect(described.body).toMatchObject({ connectionId, identity: { subject: 'replica-user' } });
    expect((await push(b, 'POST', connectionId, '{"via":"b"}')).status).toBe(204);
    expect(await socket.nextJson()).toEqual({ via: 'b' });
    socket.ws.close();
    await socket.closed;
  });

  test('DELETE on replica B closes it on A; then B answers 410', async () => {
    if (!redisUp) return;
    const { socket, connectionId } = await connectedToA('replica-leaver');
    expect((await push(b, 'DELETE', connectionId)).status).toBe(204);
    expect((await socket.closed).code).toBe(1000);
    await callTo('disconnect', (c) => c.body.requestContext.connectionId === connectionId);
    for (;;) {
      const after = await push(b, 'GET', connectionId);
      if (after.status === 410) break;
      expect(after.status).toBe(200); // until A's removal reaches Redis
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await push(b, 'POST', connectionId, 'x')).status).toBe(410);
  });

  test('a signature used on one replica is refused as a replay on the other', async () => {
    if (!redisUp) return;
    const { socket, connectionId } = await connectedToA('replayed-across');
    const first = await push(a, 'POST', connectionId, '"one"');
    expect(first.status).toBe(204);
    const replayed = await fetch(`${b.url}/@connections/${connectionId}`, { method: 'POST', headers: first.headers, body: '"one"' });
    expect(replayed.status).toBe(403);
    socket.ws.close();
    await socket.closed;
  });
});

describe('WS_ROUTES validation', () => {
  test.each([
    ['not JSON', '{', /WS_ROUTES: is not JSON/],
    ['a bad route key', JSON.stringify({ 'bad key': ROUTES.echo }), /route keys are/],
    ['a path outside /websocket/', JSON.stringify({ echo: { service: 'hooks', path: '/api/echo' } }), /under \/websocket\//],
  ])('%s is refused naming the problem', (_what, value, message) => {
    expect(() => loadGatewayConfig({ WS_ROUTES: value })).toThrow(message);
  });

  test('the development service token is refused in production', () => {
    expect(() => loadGatewayConfig({ NODE_ENV: 'production', JWT_SECRET: 'a-real-secret-of-enough-length', IDENTITY_SIGNING_SECRET: 'another-real-secret-value' })).toThrow(
      /INTERNAL_SERVICE_TOKEN: must be set to a real secret in production/,
    );
  });
});
