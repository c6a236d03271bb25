/**
 * The load-generating client of the proxy benchmark, one process per target and run, pinned to its
 * own core: `node --import tsx bench/proxy/client.ts '<ClientSpec as JSON>'`. Both targets run in
 * this same kind of process, so neither gets a lighter client:
 *
 * - `pg`: `pg.Pool` straight to PostgreSQL, the way a service would use pg on its own;
 * - `proxy`: the subgraph kit's proxy client (`createDbClient().read`) over HTTP to db-proxy.
 *
 * It sends the same single-row statement (a product by primary key, ids in the same order for both)
 * first one after another (latency, each timed with hrtime), then from `concurrency` loops at once
 * (throughput). Each phase has a warm-up that is thrown away. It prints one JSON line per measured
 * window's start and end (the runner samples the proxy's CPU time there) and one with the result.
 */
import pg from 'pg';
import { createDbClient, type Db } from '../../subgraphs/kit/dbClient.js';
import { PRODUCT_COLUMNS } from '../../subgraphs/products/productStore.js';
import { quantile } from './samples.js';

export interface ClientSpec {
  target: 'pg' | 'proxy';
  /** pg: the benchmark database itself. */
  databaseUrl: string;
  /** proxy: where db-proxy listens, and the products credential. */
  proxyUrl: string;
  credential: string;
  /** pg.Pool size; the same as the proxy's DB_POOL_MAX. */
  poolMax: number;
  concurrency: number;
  warmupSeconds: number;
  latencySeconds: number;
  throughputSeconds: number;
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
  /** Client CPU time per statement, microseconds. */
  clientCpuUs: number;
}

export interface ThroughputFigures {
  statements: number;
  opsPerSecond: number;
  /** Microseconds, per statement under load. */
  p50: number;
  p99: number;
  clientCpuUs: number;
}

export interface ClientResult {
  event: 'result';
  target: ClientSpec['target'];
  latency: LatencyFigures;
  throughput: ThroughputFigures;
  /** Statements that failed or returned another row than asked for; any is a failed run. */
  errors: number;
  firstError?: string;
}

export const SINGLE_ROW_SQL = `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = $1`;

type Lookup = (id: string) => Promise<boolean>;

function lookupFor(spec: ClientSpec): { lookup: Lookup; close(): Promise<void> } {
  if (spec.target === 'pg') {
    const pool = new pg.Pool({ connectionString: spec.databaseUrl, max: spec.poolMax });
    return {
      lookup: async (id) => {
        const { rows } = await pool.query(SINGLE_ROW_SQL, [id]);
        return rows.length === 1 && rows[0].id === id;
      },
      close: () => pool.end(),
    };
  }
  const client = createDbClient({ proxyUrl: spec.proxyUrl, credential: spec.credential });
  const db: Db = client;
  return {
    lookup: async (id) => {
      const { rows } = await db.read<{ id: string }>(SINGLE_ROW_SQL, [id]);
      return rows.length === 1 && rows[0].id === id;
    },
    close: () => client.close(),
  };
}

function event(fields: object): void {
  process.stdout.write(`${JSON.stringify(fields)}\n`);
}

const cpuMicros = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return used.user + used.system;
};

async function main(spec: ClientSpec): Promise<ClientResult> {
  const { lookup, close } = lookupFor(spec);
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const nextId = () => `prod_${String((next++ % spec.productCount) + 1).padStart(4, '0')}`;
  const one = async (): Promise<void> => {
    try {
      if (!(await lookup(nextId()))) {
        errors++;
        firstError ??= 'a lookup returned another row than the one asked for';
      }
    } catch (err) {
      errors++;
      firstError ??= (err as Error).message;
    }
  };

  // Latency: one statement at a time.
  const sequential = async (seconds: number, samples?: number[]) => {
    const until = performance.now() + seconds * 1000;
    while (performance.now() < until) {
      const started = process.hrtime.bigint();
      await one();
      samples?.push(Number(process.hrtime.bigint() - started) / 1000);
    }
  };
  await sequential(spec.warmupSeconds);
  const latencySamples: number[] = [];
  event({ event: 'measure', phase: 'latency', state: 'start' });
  let cpu = process.cpuUsage();
  await sequential(spec.latencySeconds, latencySamples);
  const latencyCpu = cpuMicros(cpu);
  event({ event: 'measure', phase: 'latency', state: 'end', statements: latencySamples.length });
  latencySamples.sort((a, b) => a - b);

  // Throughput: `concurrency` closed loops.
  const concurrent = async (seconds: number, samples?: number[]) => {
    const until = performance.now() + seconds * 1000;
    const loop = async () => {
      while (performance.now() < until) {
        const started = process.hrtime.bigint();
        await one();
        samples?.push(Number(process.hrtime.bigint() - started) / 1000);
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: spec.concurrency }, loop));
    return (performance.now() - started) / 1000;
  };
  await concurrent(spec.warmupSeconds);
  const loadSamples: number[] = [];
  event({ event: 'measure', phase: 'throughput', state: 'start' });
  cpu = process.cpuUsage();
  const elapsed = await concurrent(spec.throughputSeconds, loadSamples);
  const loadCpu = cpuMicros(cpu);
  event({ event: 'measure', phase: 'throughput', state: 'end', statements: loadSamples.length });
  loadSamples.sort((a, b) => a - b);

  await close();
  return {
    event: 'result',
    target: spec.target,
    latency: {
      statements: latencySamples.length,
      p50: quantile(latencySamples, 0.5),
      p90: quantile(latencySamples, 0.9),
      p99: quantile(latencySamples, 0.99),
      mean: latencySamples.reduce((a, b) => a + b, 0) / (latencySamples.length || 1),
      clientCpuUs: latencyCpu / (latencySamples.length || 1),
    },
    throughput: {
      statements: loadSamples.length,
      opsPerSecond: loadSamples.length / elapsed,
      p50: quantile(loadSamples, 0.5),
      p99: quantile(loadSamples, 0.99),
      clientCpuUs: loadCpu / (loadSamples.length || 1),
    },
    errors,
    ...(firstError ? { firstError } : {}),
  };
}

const spec = JSON.parse(process.argv[2] ?? '{}') as ClientSpec;
event(await main(spec));
