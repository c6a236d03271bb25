/**
 * The platform as docker-compose runs it, each service its own OS process (the built image layout,
 * compose's command and environment; tests/support/serviceProcesses.ts), on the real PostgreSQL with
 * databases named for the run and dropped at the end. Ours (gateway-1) is pinned to the gateway core,
 * the other services to the load core, every thread of each (`taskset -a`).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { composeEnvironments, freePort, prepareImage, ServiceProcesses } from '../../tests/support/serviceProcesses.js';
import { composeSecrets, dropDatabases } from '../../tests/support/testDatabase.js';
import { BENCH_SECRETS } from './gateways.js';

/** In the order compose starts them. */
const SERVICES = ['db-proxy', 'products', 'orders', 'search', 'gateway-1'] as const;

export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A running platform as a benchmark sees it: the gateway's URL, each process to read, how to stop. */
export interface MeasuredPlatform {
  /** The gateway's /graphql. */
  url: string;
  /** Each service's pid by name, read when asked (a restarted process has a new one). */
  pids(): Record<string, number | undefined>;
  stop(): Promise<void>;
}

export async function startPlatformProcesses(cores: { gateway: string; load: string }): Promise<MeasuredPlatform> {
  const dbPrefix = `bench_${randomBytes(4).toString('hex')}_`;
  const image = await prepareImage('bench-load-');
  const ports = new Map<string, number>();
  for (const name of SERVICES) ports.set(name, await freePort());
  const specs = composeEnvironments({
    ports,
    variables: {
      LOG_LEVEL: 'warn',
      // The gateway's secrets are the benchmark's, so its tokens are accepted.
      ...composeSecrets(BENCH_SECRETS),
      DB_NAME_PREFIX: dbPrefix,
    },
    external: { 'postgres:5432': new URL(BENCH_DATABASE_URL).host },
    overrides: {
      // No Redis: one gateway, order events within the orders process.
      orders: { REDIS_URL: undefined },
      'gateway-1': { REDIS_URL: undefined, RATE_LIMIT: 'false', RESPONSE_CACHE: 'false' },
    },
  });
  const services = new ServiceProcesses(specs, image.dir);
  const stop = async () => {
    await services.stopAll('SIGTERM');
    await dropDatabases(BENCH_DATABASE_URL, dbPrefix).catch(() => {});
    image.dispose();
  };
  try {
    for (const name of SERVICES) {
      const service = services.get(name);
      service.start();
      pin(service.pid, name === 'gateway-1' ? cores.gateway : cores.load);
      await service.healthy(120_000);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `${services.url('gateway-1')}/graphql`,
    pids: () => Object.fromEntries(SERVICES.map((name) => [name === 'gateway-1' ? 'gateway' : name, services.get(name).pid])),
    stop,
  };
}

function pin(pid: number | undefined, cores: string): void {
  if (!pid || !cores) return;
  spawnSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' });
}
