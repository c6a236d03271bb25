/**
 * The connection-proxy benchmark: the same single-row statement sent by a client process through
 * `pg.Pool` straight to PostgreSQL, and through the subgraph kit's proxy client -> HTTP -> db-proxy
 * (its own process, `db-proxy/main.ts`) -> pg pool -> PostgreSQL. One client process per run drives
 * both, interleaved (statement by statement for latency, in alternating windows for throughput), so
 * both meet the same background load; ratios are taken within each run, then their median over
 * `runs` runs. A third check counts, at the proxy, the statements a 100-reference `_entities` call
 * to the products subgraph costs.
 *
 * Needs a real PostgreSQL (default 127.0.0.1:5432, user postgres); it creates a uniquely named
 * database for the run and drops it afterwards. Without one the result says it was skipped and why.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { signIdentityHeaders } from '../../lib/signedIdentity.js';
import { urlForDatabase } from '../../db-proxy/drivers/pgDriver.js';
import { cpuModel, pinning, startProcess, stopChild, type Started } from '../lib/processes.js';
import type { ClientResult, ClientSpec, Target, WindowEvent } from './client.js';
import { median } from './samples.js';
import { freePort } from '../../tests/support/serviceProcesses.js';

export interface ProxyBenchmarkOptions {
  /** Any database on the server; the run creates its own next to it. @default PROXY_BENCH_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres */
  databaseUrl?: string;
  /** @default 3 */
  runs?: number;
  /** Thrown away before each measured phase. @default 2 */
  warmupSeconds?: number;
  /** One client, statements one after another. @default 5 */
  latencySeconds?: number;
  /** `concurrency` clients at once, per target, in alternating windows of `windowSeconds`. @default 5 */
  throughputSeconds?: number;
  /** @default 1 */
  windowSeconds?: number;
  /**
   * Also measure the floors under any proxy: the HTTP round trip alone (the kit client to a server
   * answering a canned row) and a raw TCP round trip to that server. @default true
   */
  floors?: boolean;
  /** @default 32 */
  concurrency?: number;
  /** pg.Pool size of the direct client and DB_POOL_MAX of the proxy. @default 10 */
  poolMax?: number;
  /** References in the batching check's `_entities` call. @default 100 */
  references?: number;
  /** LOG_LEVEL of the proxy process (it logs one line per request at info). @default 'info' */
  proxyLogLevel?: string;
  /**
   * Run db-proxy and the products subgraph built to plain JavaScript (`npm run build` into a
   * temporary directory), as their containers do; false runs the sources through tsx. @default true
   */
  build?: boolean;
  /** Progress lines. @default written to stderr */
  log?: (line: string) => void;
  /** Stops the run (children stopped, database dropped). */
  signal?: AbortSignal;
}

export interface TargetFigures {
  /** Microseconds, one client. */
  latencyP50Us: number;
  latencyP99Us: number;
  /** Statements per second with `concurrency` clients. */
  opsPerSecond: number;
  /** CPU time per statement under load, microseconds: the client process, and the proxy process (proxy only). */
  clientCpuUs: number;
  proxyCpuUs?: number;
}

export interface Ratios {
  /** proxy / pg: lower is better. */
  latencyP50: number;
  latencyP99: number;
  /** proxy / pg: higher is better. */
  throughput: number;
}

export interface BatchCheck {
  references: number;
  /** Entities the call answered with (not null). */
  resolved: number;
  /** Requests and statements the proxy logged for the products service during the call. */
  proxyRequests: number;
  statements: number;
}

export interface ProxyBenchmarkFigures {
  skipped: false;
  machine: string;
  postgres: string;
  /** Cores the processes ran on ('' when not pinned). */
  cores: { client: string; proxy: string; pinned: boolean };
  settings: Required<
    Pick<
      ProxyBenchmarkOptions,
      | 'runs'
      | 'warmupSeconds'
      | 'latencySeconds'
      | 'throughputSeconds'
      | 'windowSeconds'
      | 'concurrency'
      | 'poolMax'
      | 'proxyLogLevel'
      | 'build'
      | 'floors'
    >
  >;
  statement: string;
  /** Medians over the runs. */
  pg: TargetFigures;
  proxy: TargetFigures;
  /** The kit client to a server answering a canned row: the HTTP round trip alone, no database. */
  http?: TargetFigures;
  /** Medians of the per-run ratios. */
  ratios: Ratios;
  /** http / pg: what the HTTP round trip alone costs next to pg's whole statement. */
  httpRatios?: Ratios;
  /** One JSON line each way over a raw socket to that server: the least any proxy process adds. */
  tcp?: TargetFigures;
  /** tcp / pg; a proxy without HTTP would still pay pg's statement plus this round trip. */
  tcpRatios?: Ratios;
  runs: {
    pg: TargetFigures;
    proxy: TargetFigures;
    http?: TargetFigures;
    tcp?: TargetFigures;
    ratios: Ratios;
    httpRatios?: Ratios;
    tcpRatios?: Ratios;
  }[];
  batch: BatchCheck;
  targets: { latency: boolean; throughput: boolean; batch: boolean };
}

export type ProxyBenchmarkResult = ProxyBenchmarkFigures | { skipped: true; reason: string };

/** The goals of the proxy benchmark. */
export const PROXY_TARGETS = { maxLatencyRatio: 1.25, minThroughputRatio: 0.8, statementsPer100Lookups: 1 } as const;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLIENT = fileURLToPath(new URL('./client.ts', import.meta.url));
const FLOOR_SERVER = fileURLToPath(new URL('./floorServer.mjs', import.meta.url));
const SERVICE = 'products';
const PRODUCT_COUNT = 1_200;

export async function runProxyBenchmark(options: ProxyBenchmarkOptions = {}): Promise<ProxyBenchmarkResult> {
  const settings = {
    runs: options.runs ?? 3,
    warmupSeconds: options.warmupSeconds ?? 2,
    latencySeconds: options.latencySeconds ?? 5,
    throughputSeconds: options.throughputSeconds ?? 5,
    windowSeconds: options.windowSeconds ?? 1,
    floors: options.floors ?? true,
    concurrency: options.concurrency ?? 32,
    poolMax: options.poolMax ?? 10,
    proxyLogLevel: options.proxyLogLevel ?? 'info',
    build: options.build ?? true,
  };
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const adminUrl = options.databaseUrl ?? process.env.PROXY_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

  const postgres = await probe(adminUrl);
  if (!postgres.ok) return { skipped: true, reason: postgres.reason };

  const prefix = `bench_proxy_${randomBytes(4).toString('hex')}_`;
  const databaseName = prefix + SERVICE;
  const credential = randomBytes(18).toString('base64url');
  const identitySecret = randomBytes(24).toString('base64url');
  const cores = pinning();
  const placement = { client: cores.load, proxy: cores.gateway, pinned: cores.pinned };
  const started: Started[] = [];
  let built: string | undefined;
  const aborted = () => {
    if (options.signal?.aborted) throw new Error('proxy benchmark stopped');
  };

  try {
    log(`proxy benchmark: database ${databaseName}, ${cores.pinned ? `db-proxy on core ${placement.proxy}, clients on core ${placement.client}` : 'not pinned'}`);
    if (settings.build) {
      log('proxy benchmark: building the services (npm run build)');
      built = buildServices();
    }
    const entry = (service: string) => (built ? [path.join(built, service, 'main.js')] : ['--import', 'tsx', `${service}/main.ts`]);
    // Its own port, so readiness does not depend on the log level (the listening line is info).
    const proxyPort = await freePort();
    const proxy = await startUntilHealthy(`http://127.0.0.1:${proxyPort}`, {
      args: entry('db-proxy'),
      cores: placement.proxy,
      env: {
        NODE_ENV: 'production',
        DB_PROXY_PORT: String(proxyPort),
        DB_PROXY_HOST: '127.0.0.1',
        DB_PROXY_CREDENTIALS: `${SERVICE}=${credential}`,
        DATABASE_URL: adminUrl,
        DB_NAME_PREFIX: prefix,
        DB_POOL_MAX: String(settings.poolMax),
        LOG_LEVEL: settings.proxyLogLevel,
      },
    });
    started.push(proxy);
    const proxyUrl = `http://127.0.0.1:${proxyPort}`;
    const proxyLog = followRequestLog(proxy);
    aborted();

    // The products subgraph creates and seeds its catalog through the proxy, then answers the batching check.
    log('proxy benchmark: products subgraph migrating its database through the proxy');
    const products = await startProcess({
      label: 'products subgraph',
      command: process.execPath,
      args: entry('subgraphs/products'),
      cwd: ROOT,
      cores: placement.client || undefined,
      ready: /products subgraph listening/,
      timeoutMs: 120_000,
      env: {
        NODE_ENV: 'production',
        PRODUCTS_PORT: '0',
        PRODUCTS_HOST: '127.0.0.1',
        PRODUCTS_DB_CREDENTIAL: credential,
        DB_PROXY_URL: proxyUrl,
        IDENTITY_SIGNING_SECRET: identitySecret,
        INTERNAL_SERVICE_TOKEN: randomBytes(18).toString('base64url'),
        LOG_LEVEL: 'info',
      },
    });
    started.push(products);
    const graphqlUrl = (JSON.parse(products.line) as { url: string }).url;
    const batch =
      settings.proxyLogLevel === 'info' || settings.proxyLogLevel === 'debug' || settings.proxyLogLevel === 'trace'
        ? await batchCheck(graphqlUrl, identitySecret, proxyUrl, credential, proxyLog, options.references ?? 100)
        : { references: options.references ?? 100, resolved: 0, proxyRequests: Number.NaN, statements: Number.NaN };
    await products.stop();
    started.splice(started.indexOf(products), 1);
    aborted();

    let httpFloorUrl: string | undefined;
    let tcpFloorPort: number | undefined;
    if (settings.floors) {
      // On the proxy's core, where a proxy would run.
      const floor = await startProcess({
        label: 'floors',
        command: process.execPath,
        args: [FLOOR_SERVER],
        cwd: ROOT,
        cores: placement.proxy || undefined,
        ready: /floors listening/,
      });
      started.push(floor);
      ({ url: httpFloorUrl, tcpPort: tcpFloorPort } = JSON.parse(floor.line) as { url: string; tcpPort: number });
    }
    const spec: ClientSpec = {
      databaseUrl: urlForDatabase(adminUrl, databaseName),
      proxyUrl,
      credential,
      httpFloorUrl,
      tcpFloorPort,
      poolMax: settings.poolMax,
      concurrency: settings.concurrency,
      warmupSeconds: settings.warmupSeconds,
      latencySeconds: settings.latencySeconds,
      throughputSeconds: settings.throughputSeconds,
      windowSeconds: settings.windowSeconds,
      productCount: PRODUCT_COUNT,
    };
    const runs: ProxyBenchmarkFigures['runs'] = [];
    for (let run = 1; run <= settings.runs; run++) {
      log(`proxy benchmark: run ${run}/${settings.runs} (pg pool direct, through the proxy${httpFloorUrl ? ', HTTP alone, TCP alone' : ''}: interleaved)`);
      const { pg: direct, proxy: proxied, http, tcp } = await runClient(spec, placement.client, proxy.child.pid, options.signal);
      runs.push({
        pg: direct!,
        proxy: proxied!,
        ratios: ratiosOf(direct!, proxied!),
        ...(http ? { http, httpRatios: ratiosOf(direct!, http) } : {}),
        ...(tcp ? { tcp, tcpRatios: ratiosOf(direct!, tcp) } : {}),
      });
    }

    const medianOf = (pick: (r: (typeof runs)[number]) => number | undefined) => median(runs.map((r) => pick(r) ?? Number.NaN));
    const targetMedian = (side: Target): TargetFigures => ({
      latencyP50Us: medianOf((r) => r[side]?.latencyP50Us),
      latencyP99Us: medianOf((r) => r[side]?.latencyP99Us),
      opsPerSecond: medianOf((r) => r[side]?.opsPerSecond),
      clientCpuUs: medianOf((r) => r[side]?.clientCpuUs),
      ...(side === 'proxy' ? { proxyCpuUs: medianOf((r) => r.proxy.proxyCpuUs) } : {}),
    });
    const ratioMedian = (pick: (r: (typeof runs)[number]) => Ratios | undefined): Ratios => ({
      latencyP50: medianOf((r) => pick(r)?.latencyP50),
      latencyP99: medianOf((r) => pick(r)?.latencyP99),
      throughput: medianOf((r) => pick(r)?.throughput),
    });
    const ratios = ratioMedian((r) => r.ratios);
    return {
      skipped: false,
      machine: cpuModel(),
      postgres: postgres.version,
      cores: placement,
      settings,
      statement: 'SELECT <11 columns> FROM products WHERE id = $1 (one row of the seeded catalog)',
      pg: targetMedian('pg'),
      proxy: targetMedian('proxy'),
      ...(httpFloorUrl ? { http: targetMedian('http'), httpRatios: ratioMedian((r) => r.httpRatios) } : {}),
      ...(tcpFloorPort ? { tcp: targetMedian('tcp'), tcpRatios: ratioMedian((r) => r.tcpRatios) } : {}),
      ratios,
      runs,
      batch,
      targets: {
        latency: ratios.latencyP50 <= PROXY_TARGETS.maxLatencyRatio,
        throughput: ratios.throughput >= PROXY_TARGETS.minThroughputRatio,
        batch: batch.resolved === batch.references && batch.statements === PROXY_TARGETS.statementsPer100Lookups,
      },
    };
  } finally {
    for (const child of started.reverse()) await child.stop().catch(() => {});
    if (built) rmSync(built, { recursive: true, force: true });
    await dropDatabase(adminUrl, databaseName).catch((err: Error) => log(`proxy benchmark: could not drop ${databaseName}: ${err.message}`));
  }
}

/** `npm run build` into a directory of its own (not dist/, which other runs may be rebuilding). */
function buildServices(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'proxy-bench-build-'));
  const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), dir], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error('npm run build failed');
  }
  // The built modules find their packages here.
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Starts a node process (pinned when `cores` is set) and waits until `url`/health answers 200. */
async function startUntilHealthy(url: string, options: { args: string[]; cores: string; env: Record<string, string> }): Promise<Started> {
  const argv = [process.execPath, ...options.args];
  const child = options.cores
    ? spawn('taskset', ['-c', options.cores, ...argv], { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(argv[0], argv.slice(1), { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  // Keep reading stdout so a chatty process never blocks on a full pipe.
  child.stdout!.resume();
  let exited = false;
  child.once('exit', () => (exited = true));
  const stop = () => stopChild(child);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`db-proxy exited before it was ready:\n${stderr}`);
    try {
      const response = await fetch(`${url}/health`);
      await response.arrayBuffer();
      if (response.ok) return { child, line: '', stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`db-proxy not ready within 60 s:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function ratiosOf(direct: TargetFigures, proxied: TargetFigures): Ratios {
  return {
    latencyP50: proxied.latencyP50Us / direct.latencyP50Us,
    latencyP99: proxied.latencyP99Us / direct.latencyP99Us,
    throughput: proxied.opsPerSecond / direct.opsPerSecond,
  };
}

async function probe(adminUrl: string): Promise<{ ok: true; version: string } | { ok: false; reason: string }> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3_000 });
  const where = (() => {
    try {
      const url = new URL(adminUrl);
      return `${url.hostname}:${url.port || 5432}`;
    } catch {
      return 'the configured URL';
    }
  })();
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return { ok: true, version: `PostgreSQL ${rows[0].server_version} at ${where}` };
  } catch (err) {
    return { ok: false, reason: `PostgreSQL at ${where} is unreachable: ${(err as Error).message}` };
  } finally {
    await client.end().catch(() => {});
  }
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    // The name is made here from [a-z0-9_] only.
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

interface RequestLine {
  reqId?: string;
  path?: string;
  caller?: string;
  statements?: number;
  msg?: string;
}

/** The proxy's one log line per request, as they arrive on its stdout. */
function followRequestLog(proxy: Started) {
  const listeners = new Set<(line: RequestLine) => void>();
  createInterface({ input: proxy.child.stdout! }).on('line', (text) => {
    if (!text.includes('"msg":"request"')) return;
    let line: RequestLine;
    try {
      line = JSON.parse(text) as RequestLine;
    } catch {
      return;
    }
    for (const listener of listeners) listener(line);
  });
  return {
    /** Runs `fn`, then collects the request lines logged until a marker request's own line arrives. */
    async during<T>(fn: () => Promise<T>, marker: () => Promise<string>): Promise<{ value: T; lines: RequestLine[] }> {
      const lines: RequestLine[] = [];
      let markerId: string | undefined;
      let seen!: () => void;
      const markerSeen = new Promise<void>((resolve) => (seen = resolve));
      const listener = (line: RequestLine) => {
        if (markerId !== undefined && line.reqId === markerId) seen();
        else lines.push(line);
      };
      listeners.add(listener);
      try {
        const value = await fn();
        markerId = await marker();
        await Promise.race([markerSeen, new Promise((_, reject) => setTimeout(() => reject(new Error('the proxy did not log the marker request')), 10_000))]);
        return { value, lines };
      } finally {
        listeners.delete(listener);
      }
    },
  };
}

/** `_entities` with `references` products, counted at the proxy. */
async function batchCheck(
  graphqlUrl: string,
  identitySecret: string,
  proxyUrl: string,
  credential: string,
  proxyLog: ReturnType<typeof followRequestLog>,
  references: number,
): Promise<BatchCheck> {
  const representations = Array.from({ length: references }, (_, i) => ({
    __typename: 'Product',
    id: `prod_${String(((i * 7) % PRODUCT_COUNT) + 1).padStart(4, '0')}`,
  }));
  const requestId = `bench-entities-${randomBytes(4).toString('hex')}`;
  const call = async () => {
    const response = await fetch(graphqlUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-request-id': requestId,
        ...signIdentityHeaders({ scopes: [] }, { secret: identitySecret, requestId }),
      },
      body: JSON.stringify({
        query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id name price { formatted } } } }',
        variables: { r: representations },
      }),
    });
    const body = (await response.json()) as { data?: { _entities?: ({ id: string } | null)[] }; errors?: unknown[] };
    if (body.errors?.length) throw new Error(`_entities failed: ${JSON.stringify(body.errors).slice(0, 500)}`);
    return (body.data?._entities ?? []).filter((entity, k) => entity?.id === representations[k].id).length;
  };
  const marker = async () => {
    const markerId = `bench-marker-${randomBytes(4).toString('hex')}`;
    const response = await fetch(`${proxyUrl}/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}`, 'x-request-id': markerId },
      body: JSON.stringify({ sql: 'SELECT 1' }),
    });
    await response.arrayBuffer();
    return markerId;
  };
  const { value: resolved, lines } = await proxyLog.during(call, marker);
  const mine = lines.filter((line) => line.caller === SERVICE && line.path?.startsWith('/v1/'));
  return {
    references,
    resolved,
    proxyRequests: mine.length,
    statements: mine.reduce((sum, line) => sum + (line.statements ?? 0), 0),
  };
}

const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of a process, in microseconds (Linux /proc). */
function cpuTimeOf(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

async function runClient(
  spec: ClientSpec,
  cores: string,
  proxyPid: number | undefined,
  signal?: AbortSignal,
): Promise<Partial<Record<Target, TargetFigures>>> {
  const args = ['--import', 'tsx', CLIENT, JSON.stringify(spec)];
  const child = cores ? spawn('taskset', ['-c', cores, process.execPath, ...args], { cwd: ROOT }) : spawn(process.execPath, args, { cwd: ROOT });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const onAbort = () => child.kill('SIGTERM');
  signal?.addEventListener('abort', onAbort, { once: true });
  // The proxy's CPU time over the proxy's throughput windows only.
  let windowStart: number | undefined;
  let proxyCpu = 0;
  let proxyStatements = 0;
  try {
    const result = await new Promise<ClientResult>((resolve, reject) => {
      let result: ClientResult | undefined;
      createInterface({ input: child.stdout }).on('line', (text) => {
        let event: WindowEvent | ClientResult;
        try {
          event = JSON.parse(text);
        } catch {
          return;
        }
        if (event.event === 'window' && event.target === 'proxy') {
          const now = cpuTimeOf(proxyPid);
          if (event.state === 'start') windowStart = now;
          else if (now !== undefined && windowStart !== undefined) {
            proxyCpu += now - windowStart;
            proxyStatements += event.statements ?? 0;
          }
        } else if (event.event === 'result') result = event;
      });
      child.once('exit', (code) => {
        if (result) resolve(result);
        else reject(new Error(`the benchmark client exited with ${code} without a result:\n${stderr}`));
      });
    });
    if (result.errors > 0) throw new Error(`the benchmark client had ${result.errors} failed statements: ${result.firstError}`);
    const figures = (target: Target): TargetFigures | undefined => {
      const measured = result.figures[target];
      if (!measured) return undefined;
      return {
        latencyP50Us: measured.latency.p50,
        latencyP99Us: measured.latency.p99,
        opsPerSecond: measured.throughput.opsPerSecond,
        clientCpuUs: measured.throughput.clientCpuUs,
      };
    };
    return {
      pg: figures('pg'),
      proxy: { ...figures('proxy')!, proxyCpuUs: proxyStatements ? proxyCpu / proxyStatements : undefined },
      http: figures('http'),
      tcp: figures('tcp'),
    };
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

// ---------------------------------------------------------------- the table

const us = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? '-' : `${Math.round(value)} µs`);
const ops = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '-');
const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}x` : '-');

/** The benchmark's result as a printable table. */
export function formatProxyBenchmark(result: ProxyBenchmarkResult): string {
  if (result.skipped) return `Connection proxy benchmark skipped: ${result.reason}\n`;
  const { settings: s } = result;
  const row = (cells: string[]) => `${cells[0].padEnd(20)}${cells.slice(1).map((c) => c.padStart(16)).join('')}`;
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const lines = [
    `Connection proxy benchmark: ${result.statement}`,
    `${result.machine}; ${result.postgres}`,
    result.cores.pinned
      ? `client process on core ${result.cores.client}, db-proxy process on core ${result.cores.proxy}, PostgreSQL not pinned`
      : 'processes not pinned (no taskset or one core)',
    `${s.runs} runs, medians of per-run figures and ratios; per run and target ${s.latencySeconds} s at 1 client (statements taking turns with the other targets) ` +
      `and ${s.throughputSeconds} s at ${s.concurrency} clients (in ${s.windowSeconds} s windows alternating with the other targets), after ${s.warmupSeconds} s warm-ups (discarded); pool ${s.poolMax} connections both ways`,
    `db-proxy ${s.build ? 'built (npm run build), plain JavaScript' : 'from source through tsx'}, NODE_ENV=production, LOG_LEVEL=${s.proxyLogLevel}; both clients in one process (tsx), interleaved`,
    '',
    row(['', 'p50, 1 client', 'p99, 1 client', `ops/s, ${s.concurrency} cl.`, 'client CPU/op', 'proxy CPU/op']),
    row(['pg pool direct', us(result.pg.latencyP50Us), us(result.pg.latencyP99Us), ops(result.pg.opsPerSecond), us(result.pg.clientCpuUs), '']),
    row(['through the proxy', us(result.proxy.latencyP50Us), us(result.proxy.latencyP99Us), ops(result.proxy.opsPerSecond), us(result.proxy.clientCpuUs), us(result.proxy.proxyCpuUs)]),
    row(['proxy / pg', times(result.ratios.latencyP50), times(result.ratios.latencyP99), times(result.ratios.throughput), '', '']),
    row(['target', `<= ${PROXY_TARGETS.maxLatencyRatio}x`, '', `>= ${PROXY_TARGETS.minThroughputRatio}x`, '', '']),
    ...(result.http && result.httpRatios
      ? [
          row(['HTTP alone, no db', us(result.http.latencyP50Us), us(result.http.latencyP99Us), ops(result.http.opsPerSecond), us(result.http.clientCpuUs), '']),
          row(['HTTP alone / pg', times(result.httpRatios.latencyP50), times(result.httpRatios.latencyP99), times(result.httpRatios.throughput), '', '']),
        ]
      : []),
    ...(result.tcp && result.tcpRatios
      ? [
          row(['TCP alone, no HTTP', us(result.tcp.latencyP50Us), us(result.tcp.latencyP99Us), ops(result.tcp.opsPerSecond), us(result.tcp.clientCpuUs), '']),
          row(['TCP alone / pg', times(result.tcpRatios.latencyP50), times(result.tcpRatios.latencyP99), times(result.tcpRatios.throughput), '', '']),
        ]
      : []),
    '',
    `latency target (p50 <= ${PROXY_TARGETS.maxLatencyRatio}x): ${met(result.targets.latency)}; throughput target (>= ${PROXY_TARGETS.minThroughputRatio}x): ${met(result.targets.throughput)}`,
    `per run (p50 ratio, ops/s ratio): ${result.runs.map((r) => `${times(r.ratios.latencyP50)} ${times(r.ratios.throughput)}`).join(' | ')}`,
    ...(result.http
      ? ['"HTTP alone": the same kit client to a node:http server on the proxy\'s core answering a canned row (floorServer.mjs): the round trip any HTTP proxy adds']
      : []),
    ...(result.tcpRatios
      ? [
          `"TCP alone": one JSON line each way over a raw socket to that process, the same row, no HTTP: ` +
            `a proxy speaking JSON over raw sockets would still be at ${times(1 + result.tcpRatios.latencyP50)} pg's p50 or more here`,
        ]
      : []),
    Number.isNaN(result.batch.statements)
      ? `${result.batch.references} lookups -> not counted: the proxy logs its requests at LOG_LEVEL=info only`
      : `${result.batch.references} lookups -> ${result.batch.statements} statement${result.batch.statements === 1 ? '' : 's'} ` +
        `(${result.batch.proxyRequests} proxy request${result.batch.proxyRequests === 1 ? '' : 's'}, ${result.batch.resolved}/${result.batch.references} entities resolved; ` +
        `one _entities call to the products subgraph, counted in the proxy's request log): ${met(result.targets.batch)}`,
  ];
  return `${lines.join('\n')}\n`;
}
