/**
 * The load-generating client of the proxy benchmark, one process per run, pinned to its own core:
 * `node --import tsx bench/proxy/client.ts '<ClientSpec as JSON>'`. It drives both targets, so
 * neither gets a lighter client, and interleaves them, so both see the same background load (the
 * machine is shared; ratios measured side by side are what counts):
 *
 * - `pg`: `pg.Pool` straight to PostgreSQL, the way a service would use pg on its own;
 * - `proxy`: the subgraph kit's proxy client (`createDbClient().read`) over HTTP to db-proxy;
 * - `http` (when given): the same kit client to a server answering a canned row (floorServer.mjs), the
 *   cost of the HTTP round trip alone;
 * - `tcp` (when given): one JSON line each way over raw sockets to that process, the same canned row:
 *   the least a round trip to any proxy process costs.
 *
 * Both send the same single-row statement (a product by primary key, ids in the same order).
 * Latency: one statement at a time, pg and proxy taking turns, each timed with hrtime. Throughput:
 * `concurrency` closed loops on one target at a time, in alternating windows of `windowSeconds`.
 * Warm-ups are thrown away. It prints a JSON line at each throughput window's start and end (the
 * runner samples the proxy's CPU time there) and one with the result.
 */
import { connect, type Socket } from 'node:net';
import pg from 'pg';
import { createDbClient } from '../../subgraphs/kit/dbClient.js';
import { PRODUCT_COLUMNS } from '../../subgraphs/products/productStore.js';
import { quantile } from './samples.js';

export type Target = 'pg' | 'proxy' | 'http' | 'tcp';

export interface ClientSpec {
  /** pg: the benchmark database itself. */
  databaseUrl: string;
  /** proxy: where db-proxy listens, and the products credential. */
  proxyUrl: string;
  credential: string;
  /** http and tcp: where floorServer.mjs listens; without them those targets are left out. */
  httpFloorUrl?: string;
  tcpFloorPort?: number;
  /** pg.Pool size; the same as the proxy's DB_POOL_MAX. */
  poolMax: number;
  concurrency: number;
  warmupSeconds: number;
  /** Per target. */
  latencySeconds: number;
  /** Per target, in windows of windowSeconds. */
  throughputSeconds: number;
  windowSeconds: number;
  /** Products prod_0001..prod_<productCount> exist. */
  productCount: number;
}

export interface LatencyFigures {
  statements: number;
  /** Microseconds. */
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

export interface ThroughputFigures {
  statements: number;
  opsPerSecond: number;
  /** Microseconds, per statement under load. */
  p50: number;
  p99: number;
  /** Client CPU time per statement, microseconds. */
  clientCpuUs: number;
}

export interface WindowEvent {
  event: 'window';
  target: Target;
  state: 'start' | 'end';
  statements?: number;
}

export interface ClientResult {
  event: 'result';
  figures: Partial<Record<Target, { latency: LatencyFigures; throughput: ThroughputFigures }>>;
  /** Statements that failed or returned another row than asked for; any is a failed run. */
  errors: number;
  firstError?: string;
}

export const SINGLE_ROW_SQL = `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = $1`;

interface Driver {
  lookup(id: string): Promise<boolean>;
  close(): Promise<void>;
}

function driverFor(target: Target, spec: ClientSpec): Driver {
  if (target === 'tcp') return tcpDriver(spec.tcpFloorPort!, spec.poolMax);
  if (target === 'pg') {
    const pool = new pg.Pool({ connectionString: spec.databaseUrl, max: spec.poolMax });
    return {
      lookup: async (id) => {
        const { rows } = await pool.query(SINGLE_ROW_SQL, [id]);
        return rows.length === 1 && rows[0].id === id;
      },
      close: () => pool.end(),
    };
  }
  const db = createDbClient({ proxyUrl: target === 'http' ? spec.httpFloorUrl! : spec.proxyUrl, credential: spec.credential });
  return {
    lookup: async (id) => {
      const { rows } = await db.read<{ id: string }>(SINGLE_ROW_SQL, [id]);
      return rows.length === 1 && rows[0].id === id;
    },
    close: () => db.close(),
  };
}

/**
 * `sockets` connections (as many as the pools of the other targets hold), used in turn; on each the
 * answers come in the order of the requests, so each waits in a queue for its line.
 */
function tcpDriver(port: number, sockets: number): Driver {
  const connections = Array.from({ length: sockets }, () => {
    const socket: Socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    const waiting: ((line: string) => void)[] = [];
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let end: number;
      while ((end = pending.indexOf('\n')) !== -1) {
        waiting.shift()!(pending.slice(0, end));
        pending = pending.slice(end + 1);
      }
    });
    return { socket, waiting };
  });
  let next = 0;
  return {
    lookup: (id) => {
      const { socket, waiting } = connections[next++ % connections.length];
      return new Promise<boolean>((resolve, reject) => {
        waiting.push((line) => {
          try {
            const { rows } = JSON.parse(line) as { rows: { id: string }[] };
            resolve(rows.length === 1 && rows[0].id === id);
          } catch (err) {
            reject(err);
          }
        });
        socket.write(`${JSON.stringify({ sql: SINGLE_ROW_SQL, params: [id] })}\n`);
      });
    },
    close: async () => {
      for (const { socket } of connections) socket.destroy();
    },
  };
}

function emit(fields: object): void {
  process.stdout.write(`${JSON.stringify(fields)}\n`);
}

const elapsedUs = (started: bigint) => Number(process.hrtime.bigint() - started) / 1000;

async function main(spec: ClientSpec): Promise<ClientResult> {
  let errors = 0;
  let firstError: string | undefined;
  const chosen: Target[] = [
    'pg',
    'proxy',
    ...(spec.httpFloorUrl ? (['http'] as const) : []),
    ...(spec.tcpFloorPort ? (['tcp'] as const) : []),
  ];
  const targets = chosen.map((target) => {
    const driver = driverFor(target, spec);
    let next = 0;
    const nextId = () => `prod_${String((next++ % spec.productCount) + 1).padStart(4, '0')}`;
    const one = async (): Promise<void> => {
      try {
        if (!(await driver.lookup(nextId()))) {
          errors++;
          firstError ??= `${target}: a lookup returned another row than the one asked for`;
        }
      } catch (err) {
        errors++;
        firstError ??= `${target}: ${(err as Error).message}`;
      }
    };
    return { target, driver, one };
  });

  // Latency: one statement at a time, the targets taking turns (who goes first alternates too).
  const turns = async (seconds: number, samples?: number[][]) => {
    const until = performance.now() + seconds * 1000 * targets.length;
    for (let round = 0; performance.now() < until; round++) {
      for (let k = 0; k < targets.length; k++) {
        const at = (round + k) % targets.length;
        const started = process.hrtime.bigint();
        await targets[at].one();
        samples?.[at].push(elapsedUs(started));
      }
    }
  };
  await turns(spec.warmupSeconds);
  const latencySamples = targets.map((): number[] => []);
  await turns(spec.latencySeconds, latencySamples);

  // Throughput: `concurrency` closed loops on one target at a time, in alternating windows.
  const window = async (at: number, seconds: number, measured?: { samples: number[]; seconds: number; cpuUs: number }) => {
    const { target, one } = targets[at];
    if (measured) emit({ event: 'window', target, state: 'start' } satisfies WindowEvent);
    const cpu = process.cpuUsage();
    const started = performance.now();
    const until = started + seconds * 1000;
    let statements = 0;
    await Promise.all(
      Array.from({ length: spec.concurrency }, async () => {
        while (performance.now() < until) {
          const begun = process.hrtime.bigint();
          await one();
          statements++;
          measured?.samples.push(elapsedUs(begun));
        }
      }),
    );
    if (!measured) return;
    measured.seconds += (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    measured.cpuUs += used.user + used.system;
    emit({ event: 'window', target, state: 'end', statements } satisfies WindowEvent);
  };
  for (let at = 0; at < targets.length; at++) await window(at, spec.warmupSeconds);
  const load = targets.map(() => ({ samples: [] as number[], seconds: 0, cpuUs: 0 }));
  const windows = Math.max(1, Math.round(spec.throughputSeconds / spec.windowSeconds));
  for (let w = 0; w < windows; w++) {
    for (let k = 0; k < targets.length; k++) {
      const at = (w + k) % targets.length;
      await window(at, spec.throughputSeconds / windows, load[at]);
    }
  }

  for (const { driver } of targets) await driver.close();
  const figures = {} as ClientResult['figures'];
  targets.forEach(({ target }, at) => {
    const latency = latencySamples[at].sort((a, b) => a - b);
    const { samples, seconds, cpuUs } = load[at];
    samples.sort((a, b) => a - b);
    figures[target] = {
      latency: {
        statements: latency.length,
        p50: quantile(latency, 0.5),
        p90: quantile(latency, 0.9),
        p99: quantile(latency, 0.99),
        mean: latency.reduce((a, b) => a + b, 0) / (latency.length || 1),
      },
      throughput: {
        statements: samples.length,
        opsPerSecond: samples.length / seconds,
        p50: quantile(samples, 0.5),
        p99: quantile(samples, 0.99),
        clientCpuUs: cpuUs / (samples.length || 1),
      },
    };
  });
  return { event: 'result', figures, errors, ...(firstError ? { firstError } : {}) };
}

const spec = JSON.parse(process.argv[2] ?? '{}') as ClientSpec;
emit(await main(spec));
