/**
 * Throttling through real HTTP: a gateway over two small real subgraphs, callers identified by real
 * credentials (development JWTs, API keys) or by client address (X-Forwarded-For from a trusted
 * loopback proxy). Then two replicas sharing one limit through real Redis, and a replica whose
 * Redis goes away and comes back. The Redis part is skipped, saying so, when no Redis answers at
 * TEST_REDIS_URL (default redis://127.0.0.1:6379).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { createLogger } from '../../../lib/logger.js';
import { newApiKey } from '../authentication/apiKeys.js';
import { mintDevToken } from '../authentication/devToken.js';
import { loadGatewayConfig, type GatewayConfig } from '../../config.js';
import { startGateway, type RunningGateway } from '../../server.js';
import { captureLogs, type CapturedLogger } from '../../testing/logCapture.js';
import { startTestSupergraph, type TestSupergraph } from '../../testing/testSubgraphs.js';
import { redisAnswers, TEST_REDIS_URL } from '../../../tests/support/redis.js';

const logger = createLogger('gateway', 'silent');
const REDIS_URL = TEST_REDIS_URL;
const runId = `test:ratelimit:${process.pid}:${Date.now()}`;
const partnerKey = newApiKey('acme', 'tiny');
const strayKey = newApiKey('stray', 'ghost');

let supergraph: TestSupergraph;
let gateway: RunningGateway;
let config: Readonly<GatewayConfig>;

function gatewayEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    GATEWAY_PORT: '0',
    GATEWAY_HOST: '127.0.0.1',
    SUPERGRAPH_CONFIG: supergraph.configPath,
    SUPERGRAPH_WATCH: 'false',
    SUBGRAPH_URLS: Object.entries(supergraph.subgraphUrls)
      .map(([name, url]) => `${name}=${url}`)
      .join(','),
    LOG_LEVEL: 'silent',
    // 4 at once, then 2 per second in windows of 2 s.
    RATE_LIMIT_ANONYMOUS: 'rate:2/s,burst:4',
    // 3 at once, then 1 per second in windows of 3 s.
    RATE_LIMIT_USER: 'rate:1/s,burst:3',
    USAGE_PLANS: 'tiny=rate:10/s,burst:10,quota:3/day',
    API_KEYS: `${partnerKey.entry},${strayKey.entry}`,
    RATE_LIMIT_KEY_PREFIX: `${runId}:main`,
    // Each test is its own client address, named by the (trusted) loopback hop.
    GATEWAY_TRUST_PROXY: 'loopback',
    ...extra,
  };
}

beforeAll(async () => {
  supergraph = await startTestSupergraph();
  config = loadGatewayConfig(gatewayEnv());
  gateway = await startGateway(config, { logger });
});

afterAll(async () => {
  await gateway?.close();
  await supergraph?.close();
});

interface Answer {
  status: number;
  headers: Headers;
  body: {
    data?: unknown;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
    error?: { code: string; message: string; details?: Record<string, unknown> };
  };
}

async function post(baseUrl: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: '{ products { id } }' }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
}

async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
}

const fromAddress = (ip: string) => ({ 'x-forwarded-for': ip });

async function bearer(subject: string): Promise<Record<string, string>> {
  const { jwtSecret, jwtIssuer, jwtAudience } = config.authentication;
  const token = await mintDevToken({ secret: jwtSecret!, issuer: jwtIssuer, audience: jwtAudience, subject });
  return { authorization: `Bearer ${token}` };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('token bucket per client address (anonymous callers)', () => {
  it('lets a burst through with RateLimit headers, then answers 429 with Retry-After in the GraphQL shape', async () => {
    const ip = '203.0.113.1';
    const allowed: Answer[] = [];
    for (let i = 0; i < 4; i++) allowed.push(await post(gateway.url, fromAddress(ip)));
    expect(allowed.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(allowed[0].body.data).toEqual({ products: [{ id: 'p1' }, { id: 'p2' }] });
    expect(allowed.map((a) => a.headers.get('ratelimit-policy'))).toEqual(Array(4).fill('"anonymous";q=4;w=2'));
    expect(allowed.map((a) => /;r=(\d+);/.exec(a.headers.get('ratelimit') ?? '')?.[1])).toEqual(['3', '2', '1', '0']);

    const refused = await post(gateway.url, fromAddress(ip));
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    expect(refused.headers.get('ratelimit')).toBe(`"anonymous";r=0;t=${retryAfter}`);
    expect(refused.headers.get('ratelimit-policy')).toBe('"anonymous";q=4;w=2');
    expect(refused.body).toEqual({
      errors: [
        {
          message: `Rate limit exceeded for this client address: 4 requests at once, 2/s sustained; retry after ${retryAfter}s`,
          extensions: {
            code: 'RATE_LIMITED',
            retryAfterSeconds: retryAfter,
            details: { limit: 'rate', policy: 'anonymous', rate: '2/s', burst: 4, retryAfterSeconds: retryAfter },
          },
        },
      ],
    });
  });

  it('refuses REST paths in the registry body shape, with the same headers', async () => {
    const ip = '203.0.113.2';
    for (let i = 0; i < 4; i++) await get(`${gateway.url}/api/products`, fromAddress(ip));
    const refused = await get(`${gateway.url}/api/products`, fromAddress(ip));
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('ratelimit')).toBe(`"anonymous";r=0;t=${retryAfter}`);
    expect(refused.body).toEqual({
      error: {
        code: 'RATE_LIMITED',
        message: `Rate limit exceeded for this client address: 4 requests at once, 2/s sustained; retry after ${retryAfter}s`,
        details: { limit: 'rate', policy: 'anonymous', rate: '2/s', burst: 4, retryAfterSeconds: retryAfter },
      },
    });
  });

  it('refills: after waiting Retry-After seconds the caller is served again', async () => {
    const ip = '203.0.113.3';
    for (let i = 0; i < 4; i++) await post(gateway.url, fromAddress(ip));
    const refused = await post(gateway.url, fromAddress(ip));
    expect(refused.status).toBe(429);
    await sleep(Number(refused.headers.get('retry-after')) * 1000 + 100);
    const again = await post(gateway.url, fromAddress(ip));
    expect(again.status).toBe(200);
    expect(again.headers.get('ratelimit')).toMatch(/^"anonymous";r=3;t=[12]$/);
  });

  it('never throttles /health and /ready', async () => {
    const ip = '203.0.113.4';
    for (let i = 0; i < 5; i++) await post(gateway.url, fromAddress(ip));
    expect((await post(gateway.url, fromAddress(ip))).status).toBe(429);
    for (let i = 0; i < 10; i++) {
      const health = await get(`${gateway.url}/health`, fromAddress(ip));
      expect(health.status).toBe(200);
      expect(health.headers.get('ratelimit')).toBeNull();
    }
    expect((await get(`${gateway.url}/ready`, fromAddress(ip))).status).toBe(200);
  });
});

describe('per user and per address are counted apart', () => {
  it('limits a user wherever they call from, and not the address they share with others', async () => {
    const ip = '198.51.100.7';
    const alice = await bearer('alice-rl');
    const aliceAnswers: Answer[] = [];
    for (let i = 0; i < 4; i++) aliceAnswers.push(await post(gateway.url, { ...alice, ...fromAddress(ip) }));
    expect(aliceAnswers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(aliceAnswers[0].headers.get('ratelimit-policy')).toBe('"user";q=3;w=3');
    expect(aliceAnswers[3].body.errors?.[0].message).toMatch(/^Rate limit exceeded for this user: 3 requests at once, 1\/s sustained/);

    // Alice from another address: still alice's bucket.
    expect((await post(gateway.url, { ...alice, ...fromAddress('198.51.100.8') })).status).toBe(429);
    // Bob and an anonymous caller from alice's address: their own buckets.
    const bob = await post(gateway.url, { ...(await bearer('bob-rl')), ...fromAddress(ip) });
    expect(bob.status).toBe(200);
    expect(bob.headers.get('ratelimit')).toMatch(/^"user";r=2;t=[23]$/);
    const anonymous = await post(gateway.url, fromAddress(ip));
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers.get('ratelimit')).toMatch(/^"anonymous";r=3;t=\d$/);
  });
});

describe('usage plans for API keys', () => {
  it('counts a daily quota per key and refuses past it, naming the quota and when it resets', async () => {
    const key = { 'x-api-key': partnerKey.key };
    const answers: Answer[] = [];
    for (let i = 0; i < 3; i++) answers.push(await post(gateway.url, key));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers[0].headers.get('ratelimit-policy')).toBe('"tiny";q=10;w=1, "tiny-daily";q=3;w=86400');
    expect(answers.map((a) => /"tiny-daily";r=(\d+)/.exec(a.headers.get('ratelimit') ?? '')?.[1])).toEqual(['2', '1', '0']);

    const refused = await post(gateway.url, key);
    expect(refused.status).toBe(429);
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    const secondsLeft = Math.ceil((midnight.getTime() - Date.now()) / 1000);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Math.abs(retryAfter - secondsLeft)).toBeLessThanOrEqual(2);
    expect(refused.headers.get('ratelimit')).toMatch(new RegExp(`"tiny-daily";r=0;t=${retryAfter}$`));
    const error = refused.body.errors?.[0];
    expect(error?.message).toBe(
      `Daily quota of 3 requests for plan "tiny" is used up; it resets at ${midnight.toISOString()} (in ${retryAfter}s)`,
    );
    expect(error?.extensions).toEqual({
      code: 'RATE_LIMITED',
      retryAfterSeconds: retryAfter,
      details: { limit: 'quota', plan: 'tiny', quota: 3, resetsAt: midnight.toISOString(), retryAfterSeconds: retryAfter },
    });
    // The quota is the key's, not its address's: an anonymous caller from the same place is served.
    expect((await post(gateway.url)).status).toBe(200);
  });

  it('gives a key whose plan USAGE_PLANS does not define the per-user limits, counted per key', async () => {
    const answer = await post(gateway.url, { 'x-api-key': strayKey.key });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('ratelimit-policy')).toBe('"user";q=3;w=3');
    expect(answer.headers.get('ratelimit')).toMatch(/^"user";r=2;t=[23]$/);
  });
});

// --- Redis: limits shared by replicas, and local limits while Redis is away ---


const redisUp = await redisAnswers(REDIS_URL);
if (!redisUp) {
  console.warn(`Skipping the Redis rate-limit tests: no Redis answers at ${REDIS_URL} (set TEST_REDIS_URL or start one).`);
}

/** A TCP relay to Redis that the test can cut and restore, as a network outage would. */
async function startRelay(target: URL, port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const redisSocket = connect(Number(target.port || 6379), target.hostname);
    for (const s of [client, redisSocket]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(redisSocket).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

(redisUp ? describe : describe.skip)('with Redis (REDIS_URL)', () => {
  const prefix = `${runId}:shared`;
  let replicaA: RunningGateway;
  let replicaB: RunningGateway;
  let cleanup: Redis;

  beforeAll(async () => {
    cleanup = new Redis(REDIS_URL);
    const env = gatewayEnv({ REDIS_URL, RATE_LIMIT_KEY_PREFIX: prefix, RATE_LIMIT_ANONYMOUS: 'rate:1/s,burst:6' });
    [replicaA, replicaB] = await Promise.all([
      startGateway(loadGatewayConfig(env), { logger }),
      startGateway(loadGatewayConfig(env), { logger }),
    ]);
    // Start-up does not wait for Redis; until a replica's connection is up it counts locally.
    await waitForSharedCounting(replicaA, '192.0.2.1');
    await waitForSharedCounting(replicaB, '192.0.2.2');
  });

  /** Until a request through the replica leaves its counter in Redis. */
  async function waitForSharedCounting(replica: RunningGateway, ip: string, keyPrefix = prefix): Promise<void> {
    await waitFor(async () => {
      await post(replica.url, fromAddress(ip));
      return (await cleanup.exists(`${keyPrefix}:bucket:anonymous:${ip}`)) === 1;
    });
  }

  afterAll(async () => {
    await Promise.all([replicaA?.close(), replicaB?.close()]);
    const keys = await cleanup.keys(`${runId}:*`);
    if (keys.length) await cleanup.del(...keys);
    cleanup.disconnect();
  });

  it('two replicas share one limit: requests alternating between them are refused at the shared count', async () => {
    const ip = '192.0.2.10';
    const answers: Answer[] = [];
    for (let i = 0; i < 7; i++) answers.push(await post((i % 2 ? replicaB : replicaA).url, fromAddress(ip)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200, 429]);
    expect(answers.map((a) => /;r=(\d+);/.exec(a.headers.get('ratelimit') ?? '')?.[1])).toEqual(['5', '4', '3', '2', '1', '0', '0']);
    // The other replica refuses too: it reads the same counter.
    expect((await post(replicaB.url, fromAddress(ip))).status).toBe(429);
    expect(await cleanup.exists(`${prefix}:bucket:anonymous:${ip}`)).toBe(1);
  });

  it('keeps serving with local limits while Redis is away, logs it once, and logs when it is back', async () => {
    const relay = await startRelay(new URL(REDIS_URL));
    const logs: CapturedLogger = captureLogs('info');
    const replica = await startGateway(
      loadGatewayConfig(gatewayEnv({ REDIS_URL: `redis://127.0.0.1:${relay.port}`, RATE_LIMIT_KEY_PREFIX: prefix })),
      { logger: logs.logger },
    );
    let restored: { close(): Promise<void> } | undefined;
    try {
      await waitForSharedCounting(replica, '192.0.2.20');
      const before = logs.lines.length;
      const linesSinceOutage = (pattern: RegExp) => logs.lines.slice(before).filter((line) => pattern.test(line.msg));

      await relay.close();
      const whileDown: Answer[] = [];
      for (let i = 0; i < 6; i++) whileDown.push(await post(replica.url, fromAddress('192.0.2.21')));
      // Local limits: the burst of 4 passes, then this replica refuses on its own.
      expect(whileDown.map((a) => a.status)).toEqual([200, 200, 200, 200, 429, 429]);
      expect(linesSinceOutage(/^rate limits: redis unavailable/)).toHaveLength(1);
      expect(linesSinceOutage(/^rate limits: redis unavailable/)[0].level).toBe(40);

      restored = await startRelay(new URL(REDIS_URL), relay.port);
      await waitFor(async () => {
        await post(replica.url, fromAddress('192.0.2.22'));
        return linesSinceOutage(/^rate limits: redis is back/).length === 1;
      });
      expect(await cleanup.exists(`${prefix}:bucket:anonymous:192.0.2.22`)).toBe(1);
      expect(linesSinceOutage(/^rate limits: redis unavailable/)).toHaveLength(1);
    } finally {
      await replica.close();
      await restored?.close();
    }
  }, 20_000);
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(200);
  }
}
