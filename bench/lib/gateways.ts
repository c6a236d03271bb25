/**
 * The gateways the benchmark measures, each started the way its users run it, as its own process on
 * the gateway core, in front of the same supergraph, all as plain JavaScript on node (ours built
 * with `npm run build`, as its container runs it). Ours runs with throttling and the response cache
 * off (RATE_LIMIT=false RESPONSE_CACHE=false), as every benchmark of it does, and without
 * per-request log lines (LOG_LEVEL=warn); everything else is its production default.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, type Started } from './processes.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PEERS_DIR = path.join(REPO_ROOT, 'bench', 'peers');

export interface GatewaySpec {
  id: string;
  label: string;
  /** Why it cannot run here, when it cannot. */
  unavailable?: string;
  start(supergraphPath: string, cores: string, extraEnv?: Record<string, string>): Promise<RunningBenchGateway>;
}

export interface RunningBenchGateway {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * Node flags ours runs with: those docker-compose.yml gives the gateway container (NODE_OPTIONS), or
 * BENCH_NODE_FLAGS to try others.
 */
export const OUR_NODE_FLAGS = ['--max-semi-space-size=8'];
const ourNodeFlags = () =>
  process.env.BENCH_NODE_FLAGS !== undefined ? process.env.BENCH_NODE_FLAGS.split(' ').filter(Boolean) : OUR_NODE_FLAGS;

/** Where `npm run build` puts our gateway. */
export const OUR_BUILD = path.join(REPO_ROOT, 'dist', 'gateway', 'cli.js');

/** Builds ours (npm run build), so the benchmark measures the current sources. */
export function buildOurs(): void {
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build.mjs')], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build failed');
}

async function started(process: Promise<Started>): Promise<RunningBenchGateway> {
  const running = await process;
  const url = /(http:\/\/\S+\/graphql)/.exec(running.line)?.[1];
  if (!url) throw new Error(`no URL in "${running.line}"`);
  return { url, pid: running.child.pid, stop: running.stop };
}

/** Secrets for ours in production mode, where the development ones are refused. */
export const BENCH_SECRETS = {
  JWT_SECRET: randomBytes(32).toString('hex'),
  IDENTITY_SIGNING_SECRET: randomBytes(32).toString('hex'),
  INTERNAL_SERVICE_TOKEN: randomBytes(32).toString('hex'),
};

export function ourGatewayEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    RATE_LIMIT: 'false',
    RESPONSE_CACHE: 'false',
    LOG_LEVEL: 'warn',
    GATEWAY_HOST: '127.0.0.1',
    ...BENCH_SECRETS,
    ...extra,
  };
}

export const OURS: GatewaySpec = {
  id: 'ours',
  label: 'ours',
  start: (supergraphPath, cores, extraEnv) =>
    started(
      startProcess({
        label: 'our gateway',
        command: process.execPath,
        args: [...ourNodeFlags(), OUR_BUILD, '--supergraph', supergraphPath, '--port', '0', '--no-watch'],
        env: ourGatewayEnv(extraEnv),
        cores,
        ready: /Gateway ready at/,
        cwd: REPO_ROOT,
      }),
    ),
};

/**
 * Ours with one setting changed (a lever turned off), or run from the TypeScript sources through tsx
 * as `npm run gateway` does: what `npm run bench -- --levers` compares.
 */
export function ourVariant(id: string, label: string, env: Record<string, string>, options: { tsx?: boolean } = {}): GatewaySpec {
  return {
    id,
    label,
    start: (supergraphPath, cores, extraEnv) =>
      started(
        startProcess({
          label,
          command: process.execPath,
          args: [
            ...ourNodeFlags(),
            ...(options.tsx ? ['--import', 'tsx', path.join(REPO_ROOT, 'gateway', 'cli.ts')] : [OUR_BUILD]),
            '--supergraph',
            supergraphPath,
            '--port',
            '0',
            '--no-watch',
          ],
          env: ourGatewayEnv({ ...env, ...extraEnv }),
          cores,
          ready: /Gateway ready at/,
          cwd: REPO_ROOT,
        }),
      ),
  };
}

export const APOLLO: GatewaySpec = {
  id: 'apollo',
  label: '@apollo/gateway (baseline)',
  start: (supergraphPath, cores) =>
    started(
      startProcess({
        label: '@apollo/gateway',
        command: process.execPath,
        args: [path.join(REPO_ROOT, 'bench', 'gateways', 'apolloGateway.mjs')],
        env: { NODE_ENV: 'production', SUPERGRAPH_PATH: supergraphPath, PORT: '0' },
        cores,
        ready: /^ready /,
        cwd: REPO_ROOT,
      }),
    ),
};

/** The one-connection table's floor: a bare forwarder to one subgraph (bench/gateways/forwarder.mjs). */
export async function startForwarder(targetUrl: string, targetBody: string, cores: string): Promise<RunningBenchGateway> {
  return started(
    startProcess({
      label: 'forwarder',
      command: process.execPath,
      args: [path.join(REPO_ROOT, 'bench', 'gateways', 'forwarder.mjs')],
      env: { NODE_ENV: 'production', TARGET_URL: targetUrl, TARGET_BODY: targetBody, PORT: '0' },
      cores,
      ready: /^ready /,
      cwd: REPO_ROOT,
    }),
  );
}

const peersInstalled = () => existsSync(path.join(PEERS_DIR, 'node_modules', '@graphql-hive', 'gateway'));

function hive(routerRuntime: boolean): GatewaySpec {
  return {
    id: routerRuntime ? 'hive-rr' : 'hive',
    label: routerRuntime ? 'Hive Gateway + router-runtime' : 'Hive Gateway',
    get unavailable() {
      return peersInstalled() ? undefined : 'bench/peers is not installed (npm ci --prefix bench/peers)';
    },
    start: (supergraphPath, cores) =>
      started(
        startProcess({
          label: routerRuntime ? 'Hive Gateway (router-runtime)' : 'Hive Gateway',
          command: process.execPath,
          args: [path.join(PEERS_DIR, 'hiveGateway.mjs')],
          env: { NODE_ENV: 'production', SUPERGRAPH_PATH: supergraphPath, PORT: '0', ROUTER_RUNTIME: String(routerRuntime) },
          cores,
          ready: /^ready /,
          cwd: PEERS_DIR,
        }),
      ),
  };
}

export const HIVE = hive(false);
export const HIVE_ROUTER_RUNTIME = hive(true);
export const ALL_GATEWAYS: readonly GatewaySpec[] = [OURS, APOLLO, HIVE, HIVE_ROUTER_RUNTIME];

/**
 * The platform's own services (bench/platform/main.ts: proxy, products, orders, search on a fresh
 * embedded database) as one process on `cores`, and ours in front of them on `gatewayCores`.
 */
export async function startPlatformWithOurs(
  cores: { gateway: string; load: string },
): Promise<{ services: Started; gateway: RunningBenchGateway; stop(): Promise<void> }> {
  const services = await startProcess({
    label: 'platform services',
    command: process.execPath,
    args: ['--import', 'tsx', path.join(REPO_ROOT, 'bench', 'platform', 'main.ts')],
    env: { ...BENCH_SECRETS, NODE_ENV: 'development' },
    cores: cores.load,
    ready: /^\{"subgraphs"/,
    timeoutMs: 180_000,
    cwd: REPO_ROOT,
  });
  try {
    const { subgraphs } = JSON.parse(services.line) as { subgraphs: Record<string, string> };
    const urls = Object.entries(subgraphs).map(([name, url]) => `${name}=${url}`).join(',');
    const gateway = await OURS.start(path.join(REPO_ROOT, 'supergraph.graphql'), cores.gateway, { SUBGRAPH_URLS: urls });
    return {
      services,
      gateway,
      async stop() {
        await gateway.stop();
        await services.stop();
      },
    };
  } catch (err) {
    await services.stop();
    throw err;
  }
}

