/**
 * Running the gateway on several cores: with GATEWAY_WORKERS above 1 the process becomes a small
 * supervisor (node:cluster) that forks that many gateway workers sharing one listening port, waits
 * until all serve, replaces a worker that dies, and on SIGTERM/SIGINT asks each to drain and close.
 * Each worker is a whole gateway (its own plan cache, subgraph connections and supergraph watch);
 * state that must be shared between them (rate limits, caches) goes to Redis, as between replicas.
 */
import cluster, { type Worker } from 'node:cluster';
import v8 from 'node:v8';
import { closeOnSignals } from '../lib/lifecycle.js';
import type { Logger } from '../lib/logger.js';
import type { RunningGateway } from './server.js';

export interface GatewayProcessesOptions {
  workers: number;
  /** V8's --heap-growing-percent for each process that runs a gateway; 0 leaves V8's own. */
  heapGrowthPercent: number;
  logger: Logger;
  /** Starts one gateway in this process. */
  start(): Promise<RunningGateway>;
  /** Called once when every worker serves (or the single gateway does), with its base URL. */
  onReady?(info: { url: string; graphqlUrl: string; subgraphs: readonly string[] }): void;
}

interface ReadyMessage {
  type: 'gateway-ready';
  url: string;
  graphqlUrl: string;
  subgraphs: string[];
}

const isReady = (message: unknown): message is ReadyMessage =>
  typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'gateway-ready';

/** A worker that dies sooner than this after starting counts as a crash loop: it is not restarted. */
const MIN_LIFETIME_MS = 5_000;

export async function runGatewayProcesses(options: GatewayProcessesOptions): Promise<void> {
  const { logger } = options;
  if (options.workers <= 1 || cluster.isWorker) {
    // Read at every full collection, so setting it now, before the heap has grown, is early enough.
    if (options.heapGrowthPercent > 0) v8.setFlagsFromString(`--heap-growing-percent=${options.heapGrowthPercent}`);
    const gateway = await options.start();
    closeOnSignals(gateway.shutdown, logger);
    const info = { url: gateway.url, graphqlUrl: gateway.graphqlUrl, subgraphs: gateway.subgraphs.map((s) => s.name) };
    if (cluster.isWorker) process.send?.({ type: 'gateway-ready', ...info } satisfies ReadyMessage);
    else options.onReady?.(info);
    return;
  }

  let stopping = false;
  const startedAt = new Map<Worker, number>();
  const fork = (): Worker => {
    const worker = cluster.fork();
    startedAt.set(worker, Date.now());
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker) ?? 0);
    startedAt.delete(worker);
    if (stopping) return;
    if (lived < MIN_LIFETIME_MS) {
      logger.error({ pid: worker.process.pid, code, signal }, 'gateway worker exited right after starting; not restarting it');
      if (startedAt.size === 0) process.exit(1);
      return;
    }
    logger.warn({ pid: worker.process.pid, code, signal }, 'gateway worker exited; starting another');
    fork();
  });

  const stopAll = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  const first = await new Promise<ReadyMessage>((resolve, reject) => {
    const ready: ReadyMessage[] = [];
    for (let i = 0; i < options.workers; i++) {
      const worker = fork();
      worker.on('message', (message: unknown) => {
        if (!isReady(message)) return;
        ready.push(message);
        if (ready.length === options.workers) resolve(ready[0]);
      });
      worker.once('exit', (code) => {
        if (ready.length < options.workers) reject(new Error(`a gateway worker exited with code ${code} before it served`));
      });
    }
  }).catch((err: unknown) => {
    stopAll();
    throw err;
  });
  logger.info({ workers: options.workers, url: first.url }, 'gateway workers serving');
  options.onReady?.(first);

  closeOnSignals(async () => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    // Each worker drains and closes on its own SIGTERM (closeOnSignals in the worker).
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', () => resolve());
            worker.process.kill('SIGTERM');
          }),
      ),
    );
  }, logger);
}
