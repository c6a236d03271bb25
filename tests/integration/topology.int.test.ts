/**
 * The production topology without containers: every service of docker-compose.yml as its own OS
 * process, started with the command and environment the compose file gives its container (built
 * dist/ laid out as in the image; container names mapped to 127.0.0.1, ports to free local ones), on
 * the real PostgreSQL (databases named uniquely for the run, dropped afterwards) and the real Redis.
 * Two gateway replicas share Redis: one rate limit across both, a rolling restart of both behind a
 * load balancer that checks /ready drops no request, and killing one leaves the other serving.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parse } from 'yaml';
import { bearer } from '../../gateway/testing/testTokens.js';
import { redisAnswers, TEST_REDIS_URL } from '../support/redis.js';
import { testSecret } from '../support/testDatabase.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** In the order compose starts them (each waits for the previous ones to be healthy). */
const SERVICES = ['db-proxy', 'products', 'orders', 'search', 'gateway-1', 'gateway-2'] as const;
type ServiceName = (typeof SERVICES)[number];
/** The anonymous bucket both replicas must share: this many requests in all, then 429. */
const ANONYMOUS_BURST = 6;

interface ComposeService {
  command: string[];
  environment: Record<string, string>;
  expose: string[];
}

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function freePort(): Promise<number> {
  const server = createNetServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `${NAME:-default}` as docker-compose fills it from .env: `variables` play the part of .env. */
const interpolate = (value: string, variables: Record<string, string>) =>
  String(value).replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_m, name: string, fallback = '') => variables[name] ?? fallback);

const [pgUp, redisUp] = await Promise.all([postgresAnswers(), redisAnswers()]);
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
    INTERNAL_SERVICE_TOKEN: testSecret(),
    IDENTITY_SIGNING_SECRET: testSecret(),
    JWT_SECRET: testSecret(),
    PRODUCTS_DB_CREDENTIAL: testSecret(),
    ORDERS_DB_CREDENTIAL: testSecret(),
    SEARCH_DB_CREDENTIAL: testSecret(),
    DB_NAME_PREFIX: dbPrefix,
    RATE_LIMIT_KEY_PREFIX: `test:${dbPrefix}ratelimit`,
    // Anonymous callers (the rate-limit check) get a small bucket that refills slowly; the load runs as a user.
    RATE_LIMIT_ANONYMOUS: `rate:1/h,burst:${ANONYMOUS_BURST}`,
    RATE_LIMIT_USER: 'rate:100000/s,burst:100000',
  };
  const pgAddress = new URL(DATABASE_URL);
  let dir = '';
  const ports = new Map<ServiceName, number>();
  const envs = new Map<ServiceName, Record<string, string>>();
  const commands = new Map<ServiceName, string[]>();
  const processes = new Map<ServiceName, { child: ChildProcess; output: () => string }>();
  const urlOf = (name: ServiceName) => `http://127.0.0.1:${ports.get(name)}`;
  const token = bearer('topology-user', [], variables.JWT_SECRET);

  function start(name: ServiceName): void {
    const [command, ...args] = commands.get(name)!;
    const child = spawn(command === 'node' ? process.execPath : command, args, {
      cwd: dir,
      // Only what the container gets (plus PATH): nothing from the test's own environment leaks in.
      env: { PATH: process.env.PATH, ...envs.get(name) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    processes.set(name, { child, output: () => output });
  }

  /** Waits as compose's `condition: service_healthy` does: /ready answers 200. */
  async function healthy(name: ServiceName, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const { child, output } = processes.get(name)!;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output()}`);
      const ok = await fetch(`${urlOf(name)}/ready`).then((r) => r.ok, () => false);
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${name} did not become ready:\n${output()}`);
  }

  async function stop(name: ServiceName, signal: NodeJS.Signals): Promise<number | null> {
    const { child } = processes.get(name)!;
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = once(child, 'exit');
    child.kill(signal);
    const [code] = (await exited) as [number | null];
    return code;
  }

  const graphql = (base: string, query: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query }),
    });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'topology-'));
    // Laid out as the image: dist/, production node_modules, package.json, the supergraph, the schemas.
    const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), path.join(dir, 'dist')], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed:\n${build.stderr}`);
    copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    copyFileSync(path.join(ROOT, 'supergraph.graphql'), path.join(dir, 'supergraph.graphql'));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    symlinkSync(path.join(ROOT, 'subgraphs'), path.join(dir, 'subgraphs'));

    const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, ComposeService>;
    };
    for (const name of SERVICES) ports.set(name, await freePort());
    // Container address -> local address: each service's own name and port, Redis and PostgreSQL.
    const hosts: [RegExp, string][] = SERVICES.map((name) => [
      new RegExp(`//${name}:${compose.services[name].expose[0]}\\b`, 'g'),
      `//127.0.0.1:${ports.get(name)}`,
    ]);
    hosts.push([/redis:\/\/redis:6379/g, TEST_REDIS_URL]);
    hosts.push([/@postgres:5432\//g, `@${pgAddress.host}/`]);
    for (const name of SERVICES) {
      const service = compose.services[name];
      const env: Record<string, string> = {};
      for (const [key, raw] of Object.entries(service.environment)) {
        let value = interpolate(raw, variables);
        for (const [pattern, local] of hosts) value = value.replace(pattern, local);
        // The port the container listens on, here the free one picked for it.
        env[key] = /_PORT$/.test(key) && value === service.expose[0] ? String(ports.get(name)) : value;
      }
      envs.set(name, env);
      commands.set(name, service.command);
    }
    for (const name of SERVICES) {
      start(name);
      await healthy(name);
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all(SERVICES.filter((name) => processes.has(name)).map((name) => stop(name, 'SIGTERM')));
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [dbPrefix]);
      for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    } finally {
      await client.end();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
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
