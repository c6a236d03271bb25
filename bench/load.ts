/**
 * `npm run bench:load`: the whole platform under sustained mixed traffic: a catalog page, a search
 * whose hits products resolves, a customer's orders, and placeOrder with a fresh idempotency key
 * each time, cycled by every connection. The load is a closed loop at `--connections`, which is the
 * highest rate the platform sustains on this machine; every answer must be HTTP 200 without GraphQL
 * errors. Then, with `--soak-minutes`, the same mix for that long with the resident memory of each
 * process read every few seconds: flat means the last minute's mean at most 10 % above the second's.
 *
 * Processes: the platform's services (proxy, products, orders, search, embedded PGlite) in one
 * process, as `npm start` runs them, and our built gateway in another; pinned like `npm run bench`.
 * With `--processes`, as docker-compose runs them instead: each service its own process on the real
 * PostgreSQL (BENCH_DATABASE_URL), the memory of each read apart.
 * Throttling and the response cache are off (RATE_LIMIT=false RESPONSE_CACHE=false): one customer at
 * full speed would otherwise be throttled, and a cached answer is not the platform working.
 *
 *   npm run bench:load -- --seconds 60 --connections 16 --soak-minutes 10
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { bearer } from '../gateway/testing/testTokens.js';
import { BENCH_SECRETS, REPO_ROOT, buildOurs, startPlatformWithOurs } from './lib/gateways.js';
import { BENCH_DATABASE_URL, startPlatformProcesses, type MeasuredPlatform } from './lib/platformProcesses.js';
import { postgresAnswers } from '../tests/support/testDatabase.js';
import { throughput, type ThroughputResult } from './lib/load.js';
import { cpuModel, memoryOf, pinning } from './lib/processes.js';
import { formatTable } from './lib/table.js';
import { BENCH_CUSTOMER } from './queries.js';

const options = new Command()
  .name('bench:load')
  .option('--seconds <n>', 'length of the sustained run', '60')
  .option('--connections <n>', 'concurrent connections (closed loop)', '16')
  .option('--warmup <seconds>', 'load before the measured run, discarded', '10')
  .option('--soak-minutes <n>', 'then a soak of this many minutes (0: none)', '0')
  .option('--sample-seconds <n>', 'how often memory is read during the soak', '5')
  .option('--processes', 'each service its own process, as docker-compose runs them, on the real PostgreSQL (BENCH_DATABASE_URL)')
  .option('--new-document-per-order', 'inline each placeOrder\'s idempotency key in the query text: a new document per order')
  .parse()
  .opts<Record<string, string>>();
const seconds = Number(options.seconds);
const connections = Number(options.connections);
const soakMinutes = Number(options.soakMinutes);
const newDocumentPerOrder = Boolean(options.newDocumentPerOrder);
const asProcesses = Boolean(options.processes);
const log = (message: string) => process.stderr.write(`[load] ${message}\n`);

const customer = bearer(BENCH_CUSTOMER, [], BENCH_SECRETS.JWT_SECRET);
const admin = bearer('bench-admin', ['products:write', 'orders:admin'], BENCH_SECRETS.JWT_SECRET);
const gql = (query: string, variables?: Record<string, unknown>) => JSON.stringify(variables ? { query, variables } : { query });

async function post(url: string, body: string, headers: Record<string, string>): Promise<any> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const answer = (await response.json()) as { errors?: unknown; data?: any };
  if (response.status !== 200 || answer.errors) throw new Error(`set-up call failed (HTTP ${response.status}): ${JSON.stringify(answer).slice(0, 300)}`);
  return answer.data;
}

const cores = pinning();
async function startMeasuredPlatform(): Promise<MeasuredPlatform> {
  if (asProcesses) {
    if (!(await postgresAnswers(BENCH_DATABASE_URL))) throw new Error(`--processes needs PostgreSQL at ${BENCH_DATABASE_URL} (BENCH_DATABASE_URL)`);
    log('starting each service as its own process (builds the image layout; first start seeds the catalog)');
    return startPlatformProcesses(cores);
  }
  log('building our gateway (npm run build)');
  buildOurs();
  log('starting the platform services (first start seeds the catalog)');
  const running = await startPlatformWithOurs(cores);
  return { url: running.gateway.url, pids: () => ({ gateway: running.gateway.pid, services: running.services.child.pid }), stop: running.stop };
}
const platform = await startMeasuredPlatform();
const names = Object.keys(platform.pids());
const lines: string[] = [];
const out = (text = '') => {
  process.stdout.write(`${text}\n`);
  lines.push(text);
};
try {
  // A product with stock for every order the run can place, so "not enough stock" never answers.
  const created = await post(
    platform.url,
    gql('mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }', {
      input: { sku: 'LOAD-0001', name: 'Load lamp', description: 'Ordered by the load benchmark', category: 'Testing', priceCents: 1999, stock: 10_000_000 },
    }),
    admin,
  );
  const productId = created.createProduct.id as string;
  const mix = [
    { body: gql('{ products(first: 10) { totalCount nodes { sku name price { formatted } stock } } }') },
    { body: gql('{ search(query: "lamp", first: 5) { totalCount hits { score highlight product { name stock } } } }') },
    { body: gql('{ myOrders(first: 5) { totalCount nodes { status total { formatted } items { quantity product { name } } } } }'), headers: customer },
    {
      // One document, as clients send it; [<id>] in the variables becomes a fresh id per request, so
      // every placeOrder is a new order. With --new-document-per-order the key is in the query text,
      // so every order is also a document the gateway and the orders subgraph have not seen.
      body: newDocumentPerOrder
        ? gql(`mutation Place { placeOrder(input: { idempotencyKey: "load-[<id>]", items: [{ productId: "${productId}", quantity: 1 }] }) { id status } }`)
        : JSON.stringify({
            query: 'mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }',
            variables: { input: { idempotencyKey: 'load-[<id>]', items: [{ productId, quantity: 1 }] } },
          }),
      headers: customer,
    },
  ];
  for (const entry of mix) await post(platform.url, entry.body.replace('[<id>]', 'check'), entry.headers ?? {});

  log(`warming up (${options.warmup} s)`);
  await throughput({ url: platform.url, body: mix[0].body, mix, connections, durationSeconds: Number(options.warmup) }, cores.load);
  log(`sustained mixed load: ${seconds} s at ${connections} connections`);
  const sustained = await throughput({ url: platform.url, body: mix[0].body, mix, connections, durationSeconds: seconds }, cores.load);
  const failed = (r: ThroughputResult) => r.errors + r.non2xx + r.mismatches;
  const memory = () => Object.fromEntries(Object.entries(platform.pids()).map(([name, pid]) => [name, memoryOf(pid)]));
  const afterRun = memory();

  out('# Load: the whole platform under mixed traffic');
  out();
  out(
    asProcesses
      ? `Machine: ${cpuModel()}. Each service its own process as docker-compose runs it, on PostgreSQL: the gateway (built) on core ${cores.gateway}; db-proxy, products, orders, search and autocannon on core ${cores.load} (PostgreSQL not pinned).`
      : `Machine: ${cpuModel()}. Gateway (built) on core ${cores.gateway}; the platform's services (one process, embedded PGlite) and autocannon on core ${cores.load}.`,
  );
  out(
    `Mix, cycled by each of ${connections} connections (closed loop): a catalog page, a search, the customer's orders, placeOrder (a new order each time` +
      `${newDocumentPerOrder ? ', and a new document: the idempotency key inlined in the query text' : ''}).`,
  );
  out('RATE_LIMIT=false RESPONSE_CACHE=false, LOG_LEVEL=warn.');
  out();
  out(
    formatTable([sustained], [
      { title: 'run', value: () => `${seconds} s sustained` },
      { title: 'requests', align: 'right', value: (r) => String(r.requests) },
      { title: 'req/s', align: 'right', value: (r) => r.rps.toFixed(0) },
      { title: 'orders placed/s', align: 'right', value: (r) => (r.rps / mix.length).toFixed(0) },
      { title: 'p50 ms', align: 'right', value: (r) => String(r.p50) },
      { title: 'p99 ms', align: 'right', value: (r) => String(r.p99) },
      { title: 'failed', align: 'right', value: (r) => String(failed(r)) },
      ...names.map((name) => ({
        title: `${name} RSS / peak MB`,
        align: 'right' as const,
        value: () => `${afterRun[name]?.rssMb.toFixed(0)} / ${afterRun[name]?.peakMb.toFixed(0)}`,
      })),
    ]),
  );

  if (soakMinutes > 0) {
    log(`soak: ${soakMinutes} min`);
    const samples: { minute: number; rss: Record<string, number> }[] = [];
    const started = Date.now();
    const sampler = setInterval(() => {
      const now = memory();
      if (names.every((name) => now[name])) {
        samples.push({ minute: Math.floor((Date.now() - started) / 60_000) + 1, rss: Object.fromEntries(names.map((name) => [name, now[name]!.rssMb])) });
      }
    }, Number(options.sampleSeconds) * 1000);
    const soak = await throughput({ url: platform.url, body: mix[0].body, mix, connections, durationSeconds: soakMinutes * 60 }, cores.load);
    clearInterval(sampler);
    const perMinute = [...new Set(samples.map((s) => s.minute))].filter((m) => m <= soakMinutes).map((minute) => {
      const inMinute = samples.filter((s) => s.minute === minute);
      const mean = (name: string) => inMinute.reduce((sum, s) => sum + s.rss[name], 0) / inMinute.length;
      return { minute, rss: Object.fromEntries(names.map((name) => [name, mean(name)])) };
    });
    out();
    out(`## Soak: ${soakMinutes} min, ${soak.requests} requests (${soak.rps.toFixed(0)} req/s), p99 ${soak.p99} ms, ${failed(soak)} failed`);
    out();
    out(
      formatTable(perMinute, [
        { title: 'minute', align: 'right', value: (m) => String(m.minute) },
        ...names.map((name) => ({ title: `${name} RSS MB (mean)`, align: 'right' as const, value: (m: (typeof perMinute)[number]) => m.rss[name].toFixed(0) })),
      ]),
    );
    if (perMinute.length >= 3) {
      const second = perMinute[1];
      const last = perMinute[perMinute.length - 1];
      const growth = (name: string) => ((last.rss[name] - second.rss[name]) / second.rss[name]) * 100;
      const flat = names.every((name) => growth(name) <= 10);
      out();
      out(
        `Last minute against the second: ${names.map((name) => `${name} ${growth(name).toFixed(1)} %`).join(', ')} ` +
          `(flat means at most 10 % for every process: ${flat ? 'met' : 'NOT met'}).`,
      );
    }
  }
} finally {
  await platform.stop();
}
await mkdir(path.join(REPO_ROOT, 'bench', 'results'), { recursive: true });
const resultFile = `load${asProcesses ? '-processes' : ''}${newDocumentPerOrder ? '-unique-documents' : ''}.md`;
await writeFile(path.join(REPO_ROOT, 'bench', 'results', resultFile), `${lines.join('\n')}\n`);
