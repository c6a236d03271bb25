/**
 * The production topology without containers: every service of docker-compose.yml as its own OS
 * process, started with the command and environment the compose file gives its container (built
 * dist/ laid out as in the image; container names mapped to 127.0.0.1, ports to free local ones), on
 * the real PostgreSQL (databases named uniquely for the run, dropped afterwards) and the real Redis.
 * Two gateway replicas share Redis: one rate limit across both, a rolling restart of both behind a
 * load balancer that checks /ready drops no request, and killing one leaves the other serving.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { bearer } from '../../gateway/testing/testTokens.js';
import { redisAnswers, TEST_REDIS_URL } from '../support/redis.js';
import { composeEnvironments, freePort, prepareImage, ServiceProcesses, type Image } from '../support/serviceProcesses.js';
import { composeSecrets, dropDatabases, postgresAnswers } from '../support/testDatabase.js';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** In the order compose starts them (each waits for the previous ones to be healthy). */
const SERVICES = ['db-proxy', 'products', 'orders', 'search', 'gateway-1', 'gateway-2'] as const;
type ServiceName = (typeof SERVICES)[number];
/** The anonymous bucket both replicas must share: this many requests in all, then 429. */
const ANONYMOUS_BURST = 6;

const [pgUp, redisUp] = await Promise.all([postgresAnswers(DATABASE_URL), redisAnswers()]);
const available = pgUp && redisUp;
if (!available) {
  console.log(
    `skipped: the topology test needs PostgreSQL at ${DATABASE_URL} (${pgUp ? 'answers' : 'does not answer'}) ` +
      `and Redis at ${TEST_REDIS_URL} (${redisUp ? 'answers' : 'does not answer'})`,
  );
}
const describeTopology = available ? describe : describe.skip;

describeTopology('the docker-compose topology as OS processes', () => {
  const dbPrefix = `t${randomBytes(4).toString('hex')}_`;
  const variables: Record<string, string> = {
    LOG_LEVEL: 'warn',
    ...composeSecrets(),
    DB_NAME_PREFIX: dbPrefix,
    RATE_LIMIT_KEY_PREFIX: `test:${dbPrefix}ratelimit`,
    // Anonymous callers (the rate-limit check) get a small bucket that refills slowly; the load runs as a user.
    RATE_LIMIT_ANONYMOUS: `rate:1/h,burst:${ANONYMOUS_BURST}`,
    RATE_LIMIT_USER: 'rate:100000/s,burst:100000',
  };
  let image: Image | undefined;
  let services: ServiceProcesses | undefined;
  const urlOf = (name: ServiceName) => services!.url(name);
  const token = bearer('topology-user', [], variables.JWT_SECRET);
  const start = (name: ServiceName) => services!.get(name).start();
  const healthy = (name: ServiceName) => services!.get(name).healthy();
  const stop = (name: ServiceName, signal: NodeJS.Signals) => services!.get(name).stop(signal);

  const graphql = (base: string, query: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query }),
    });

  beforeAll(async () => {
    image = await prepareImage('topology-');
    const ports = new Map<string, number>();
    for (const name of SERVICES) ports.set(name, await freePort());
    const specs = composeEnvironments({
      ports,
      variables,
      // Container address -> local address: Redis and PostgreSQL (each service's own are mapped by name).
      external: { 'redis:6379': new URL(TEST_REDIS_URL).host, 'postgres:5432': new URL(DATABASE_URL).host },
    });
    services = new ServiceProcesses(specs, image.dir);
    await services.startInOrder(SERVICES);
  }, 180_000);

  afterAll(async () => {
    await services?.stopAll('SIGTERM');
    await dropDatabases(DATABASE_URL, dbPrefix);
    image?.dispose();
  }, 60_000);

  it('serves the same graph through both replicas, on the real PostgreSQL', async () => {
    const query = '{ products(first: 2) { totalCount nodes { id name price { formatted } } } search(query: "cup") { totalCount } }';
    const answers = [];
    for (const name of ['gateway-1', 'gateway-2'] as const) {
      const response = await graphql(urlOf(name), query, token);
      expect(response.status).toBe(200);
      answers.push(await response.json());
    }
    expect(answers[0].errors).toBeUndefined();
    expect(answers[0].data.products.totalCount).toBeGreaterThan(0);
    expect(answers[1]).toEqual(answers[0]);
    // The data lives in this run's databases on the real server.
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1', [dbPrefix]);
    await client.end();
    expect(rows.map((r) => r.datname)).toEqual(['orders', 'products', 'search'].map((s) => `${dbPrefix}${s}`));
  });

  it('counts requests to both replicas against one rate limit (Redis)', async () => {
    const statuses: number[] = [];
    // Alternating replicas: separate in-memory buckets would let twice the burst through.
    for (let i = 0; i < ANONYMOUS_BURST * 2; i++) {
      const response = await graphql(urlOf(i % 2 === 0 ? 'gateway-1' : 'gateway-2'), '{ __typename }');
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    expect(statuses).toEqual([...Array(ANONYMOUS_BURST).fill(200), ...Array(ANONYMOUS_BURST).fill(429)]);
  });

  it('restarts both replicas one after the other under steady load behind a load balancer, failing no request', async () => {
    const balancer = await startLoadBalancer(['gateway-1', 'gateway-2'].map((name) => urlOf(name as ServiceName)));
    const failures: string[] = [];
    let succeeded = 0;
    let running = true;
    const query = '{ products(first: 3) { totalCount nodes { id name } } }';
    const worker = async () => {
      while (running) {
        try {
          const response = await graphql(balancer.url, query, token);
          const body = (await response.json()) as { data?: unknown; errors?: unknown };
          if (response.status === 200 && body.data && !body.errors) succeeded++;
          else failures.push(`${response.status} ${JSON.stringify(body).slice(0, 200)}`);
        } catch (err) {
          failures.push(String((err as Error).cause ?? err));
        }
      }
    };
    const load = Array.from({ length: 6 }, worker);
    try {
      for (const name of ['gateway-1', 'gateway-2'] as const) {
        const before = succeeded;
        // SIGTERM: /ready answers 503 while the replica still serves; the balancer takes it out, then it closes.
        expect(await stop(name, 'SIGTERM')).toBe(0);
        expect(succeeded).toBeGreaterThan(before);
        start(name);
        await healthy(name);
        await balancer.waitUntilInRotation(urlOf(name));
      }
      const servedBefore = balancer.served();
      const before = succeeded;
      while (succeeded < before + 50) await new Promise((resolve) => setTimeout(resolve, 20));
      // Both restarted replicas take their share again.
      const served = balancer.served();
      for (const name of ['gateway-1', 'gateway-2'] as const) {
        expect((served[urlOf(name)] ?? 0) - (servedBefore[urlOf(name)] ?? 0)).toBeGreaterThan(0);
      }
    } finally {
      running = false;
      await Promise.all(load);
      await balancer.close();
    }
    expect(failures).toEqual([]);
    expect(succeeded).toBeGreaterThan(100);
  }, 120_000);

  it('keeps serving through the other replica when one is killed', async () => {
    expect(await stop('gateway-2', 'SIGKILL')).toBeNull();
    for (let i = 0; i < 10; i++) {
      const response = await graphql(urlOf('gateway-1'), '{ products(first: 1) { totalCount } }', token);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { data: { products: { totalCount: number } } }).data.products.totalCount).toBeGreaterThan(0);
    }
    await expect(fetch(`${urlOf('gateway-2')}/health`)).rejects.toThrow();
  });
});

/**
 * A minimal load balancer as HAProxy is configured in deploy/haproxy: round robin over the upstreams
 * whose /ready answered 200 (checked every 100 ms; one failure takes one out, two successes bring it
 * back), no retries, so any request a draining replica drops shows up as a failure.
 */
async function startLoadBalancer(upstreams: string[]) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const inRotation = new Set<string>(upstreams);
  const successes = new Map<string, number>();
  const served: Record<string, number> = {};
  let next = 0;
  let checking = true;
  const check = async () => {
    while (checking) {
      await Promise.all(
        upstreams.map(async (upstream) => {
          const ok = await fetch(`${upstream}/ready`, { signal: AbortSignal.timeout(1_000) }).then(
            async (r) => (await r.arrayBuffer(), r.ok),
            () => false,
          );
          const streak = ok ? (successes.get(upstream) ?? 0) + 1 : 0;
          successes.set(upstream, streak);
          if (!ok) inRotation.delete(upstream);
          else if (streak >= 2) inRotation.add(upstream);
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const checks = check();
  const server = http.createServer((req, res) => {
    const live = upstreams.filter((u) => inRotation.has(u));
    if (!live.length) {
      res.writeHead(503).end('no upstream in rotation');
      return;
    }
    const upstream = live[next++ % live.length];
    served[upstream] = (served[upstream] ?? 0) + 1;
    const target = new URL(req.url ?? '/', upstream);
    const forward = http.request(target, { method: req.method, headers: req.headers, agent }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
    });
    forward.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502).end(`upstream ${upstream}: ${err.message}`);
      else res.destroy(err);
    });
    req.pipe(forward);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    served: () => ({ ...served }),
    async waitUntilInRotation(upstream: string) {
      while (!inRotation.has(upstream)) await new Promise((resolve) => setTimeout(resolve, 50));
    },
    async close() {
      checking = false;
      await checks;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      agent.destroy();
    },
  };
}
