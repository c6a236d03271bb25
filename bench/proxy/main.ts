/**
 * `npm run bench:proxy`: the connection-proxy benchmark on its own, printing its table.
 *
 *   npm run bench:proxy -- --runs 3 --latency-seconds 5 --throughput-seconds 5 --concurrency 32
 *   npm run bench:proxy -- --json          # the figures as JSON instead of the table
 *   npm run bench:proxy -- --no-build      # db-proxy from source through tsx (no npm run build first)
 *   npm run bench:proxy -- --no-floors     # without the "HTTP alone" and "TCP alone" rows
 *
 * PROXY_BENCH_DATABASE_URL picks the PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { parseArgs } from 'node:util';
import { formatProxyBenchmark, runProxyBenchmark } from './proxyBenchmark.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    warmup: { type: 'string' },
    'latency-seconds': { type: 'string' },
    'throughput-seconds': { type: 'string' },
    'window-seconds': { type: 'string' },
    concurrency: { type: 'string' },
    'pool-max': { type: 'string' },
    'log-level': { type: 'string' },
    json: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    'no-floors': { type: 'boolean', default: false },
  },
});

const number = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) {
    process.stderr.write(`--${name} must be a positive number, not "${value}"\n`);
    process.exit(2);
  }
  return parsed;
};

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
process.once('SIGTERM', () => controller.abort());

const result = await runProxyBenchmark({
  runs: number('runs', values.runs),
  warmupSeconds: number('warmup', values.warmup),
  latencySeconds: number('latency-seconds', values['latency-seconds']),
  throughputSeconds: number('throughput-seconds', values['throughput-seconds']),
  windowSeconds: number('window-seconds', values['window-seconds']),
  concurrency: number('concurrency', values.concurrency),
  poolMax: number('pool-max', values['pool-max']),
  proxyLogLevel: values['log-level'],
  build: !values['no-build'],
  floors: !values['no-floors'],
  signal: controller.signal,
});
process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatProxyBenchmark(result));
