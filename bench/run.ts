/**
 * `npm run bench`: our gateway against plain @apollo/gateway (the baseline) and Hive Gateway (with and
 * without @graphql-hive/router-runtime), in one run, on the same subgraphs and queries. Each gateway
 * runs as one process pinned to the gateway core; the subgraphs and the load generator (autocannon)
 * share the other core(s). Every answer is checked against a reference computed without federation
 * before any load, and every response under load must be byte for byte that answer. Warm-up is
 * discarded; each figure is the median of the runs, which go round the gateways in turn so drift hits
 * them alike. Prints one table per scenario with each gateway's ratio to the baseline, then the
 * targets of the benchmark (start-up included) and whether they are met; writes the same as Markdown to
 * bench/results/latest.md.
 *
 *   npm run bench -- --duration 10 --runs 3 --warmup 5 --connections 32 --scenarios heavy,small --gateways ours,apollo
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { graphql } from 'graphql';
import { startBenchSubgraphs, writeBenchSupergraph, type RunningBenchSubgraphs } from './lib/benchSubgraphs.js';
import { formatProxyBenchmark, runProxyBenchmark } from './proxy/proxyBenchmark.js';
import { formatStartup, measureStartup } from './startup.js';
import { bearer } from '../gateway/testing/testTokens.js';
import {
  ALL_GATEWAYS,
  APOLLO,
  BENCH_SECRETS,
  OURS,
  PEERS_DIR,
  REPO_ROOT,
  buildOurs,
  ourVariant,
  startForwarder,
  startPlatformWithOurs,
  type GatewaySpec,
  type RunningBenchGateway,
} from './lib/gateways.js';
import { latency, median, throughput, type LatencyResult, type ThroughputResult } from './lib/load.js';
import { cpuModel, cpuSecondsOf, memoryOf, pinning, startProcess } from './lib/processes.js';
import { formatTable, type Column } from './lib/table.js';
import { BENCH_CUSTOMER, HEAVY_QUERY, PLATFORM_QUERY, SMALL_QUERY, SMALL_QUERY_SUBGRAPH_OPERATION } from './queries.js';
import { createBenchData } from './subgraphs/data.js';
import { referenceSchema } from './subgraphs/schemas.js';

const program = new Command()
  .name('bench')
  .option('--duration <seconds>', 'length of each measured run', '10')
  .option('--runs <n>', 'measured runs per gateway (the median is reported)', '3')
  .option('--warmup <seconds>', 'load before the measured runs, discarded', '5')
  .option('--connections <n>', 'concurrent connections of the load generator', '32')
  .option('--scenarios <list>', 'heavy,small,platform,proxy,startup', 'heavy,small,platform,proxy,startup')
  .option('--gateways <list>', 'ours,apollo,hive,hive-rr', ALL_GATEWAYS.map((g) => g.id).join(','))
  .option('--latency-seconds <seconds>', 'length of each one-connection latency probe', '5')
  .option('--levers', 'instead: ours with each lever turned off in turn, on the heavy query, at --connections and at 1')
  .parse();
const options = program.opts<Record<string, string>>();
const durationSeconds = Number(options.duration);
const runs = Number(options.runs);
const warmupSeconds = Number(options.warmup);
const connections = Number(options.connections);
/** The load generator's connections for the run under way (levers runs at several). */
let connectionsNow = connections;
const latencySeconds = Number(options.latencySeconds);
const scenarios = options.scenarios.split(',');
const wanted = options.gateways.split(',');

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

interface GatewayFigures {
  gateway: GatewaySpec;
  problem?: string;
  rps?: number;
  p50?: number;
  p99?: number;
  peakMb?: number;
  subgraphRequestsPerOp?: number;
  /** KB the gateway sent to the subgraphs per operation (queries, variables, representations). */
  subgraphKbPerOp?: number;
  /** Gateway CPU time per operation, in ms: steadier than RPS when the machine is not quiet. */
  cpuMsPerOp?: number;
  errors?: number;
}

interface Scenario {
  id: string;
  title: string;
  query: string;
  expected: string;
}

async function ensurePeers(): Promise<void> {
  if (existsSync(path.join(PEERS_DIR, 'node_modules', '@graphql-hive', 'gateway'))) return;
  if (!wanted.some((id) => id.startsWith('hive'))) return;
  log('installing the peer gateways once (npm ci --prefix bench/peers) ...');
  const result = spawnSync('npm', ['ci', '--prefix', PEERS_DIR, '--no-audit', '--no-fund', '--ignore-scripts'], { stdio: 'inherit' });
  if (result.status !== 0) log('could not install the peer gateways: they are left out of this run');
}

async function post(url: string, query: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return { status: response.status, text: await response.text() };
}

/** A JSON text as JSON.stringify writes it (what `reference` returns), or undefined when it is not JSON. */
function canonical(text: string): string | undefined {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** The answer without federation, in the key order of the query. */
async function reference(query: string): Promise<string> {
  const result = await graphql({ schema: referenceSchema(createBenchData()), source: query });
  if (result.errors) throw new Error(`the reference schema cannot answer: ${result.errors[0].message}`);
  return JSON.stringify({ data: result.data });
}

async function measure(
  scenario: Scenario,
  gateways: readonly GatewaySpec[],
  subgraphs: RunningBenchSubgraphs,
  supergraphPath: string,
  cores: { gateway: string; load: string },
): Promise<GatewayFigures[]> {
  const figures: GatewayFigures[] = [];
  const running = new Map<
    GatewaySpec,
    { gateway: RunningBenchGateway; body: string; samples: ThroughputResult[]; perOp: number[]; kbPerOp: number[]; cpuPerOp: number[] }
  >();
  try {
    for (const gateway of gateways) {
      if (gateway.unavailable) {
        figures.push({ gateway, problem: gateway.unavailable });
        continue;
      }
      log(`${scenario.id}: starting ${gateway.label}`);
      let instance: RunningBenchGateway;
      try {
        instance = await gateway.start(supergraphPath, cores.gateway);
      } catch (err) {
        figures.push({ gateway, problem: `did not start: ${(err as Error).message.split('\n')[0]}` });
        continue;
      }
      const answer = await post(instance.url, scenario.query);
      if (answer.status !== 200 || canonical(answer.text) !== scenario.expected) {
        figures.push({ gateway, problem: `wrong answer (HTTP ${answer.status}): ${answer.text.slice(0, 200)}` });
        await instance.stop();
        continue;
      }
      running.set(gateway, { gateway: instance, body: answer.text, samples: [], perOp: [], kbPerOp: [], cpuPerOp: [] });
    }
    const body = JSON.stringify({ query: scenario.query });
    for (const [spec, state] of running) {
      log(`${scenario.id}: warming up ${spec.label} (${warmupSeconds} s)`);
      await throughput({ url: state.gateway.url, body, connections: connectionsNow, durationSeconds: warmupSeconds }, cores.load);
    }
    for (let round = 1; round <= runs; round++) {
      for (const [spec, state] of running) {
        await subgraphs.reset();
        const cpuBefore = cpuSecondsOf(state.gateway.pid);
        const result = await throughput(
          { url: state.gateway.url, body, expectBody: state.body, connections: connectionsNow, durationSeconds },
          cores.load,
        );
        const cpuAfter = cpuSecondsOf(state.gateway.pid);
        const stats = await subgraphs.stats();
        const calls = Object.values(stats).reduce((sum, s) => sum + s.requests, 0);
        state.samples.push(result);
        state.perOp.push(result.requests ? calls / result.requests : NaN);
        const bytesIn = Object.values(stats).reduce((sum, s) => sum + s.bytesIn, 0);
        state.kbPerOp.push(result.requests ? bytesIn / 1024 / result.requests : NaN);
        state.cpuPerOp.push(cpuBefore !== undefined && cpuAfter !== undefined && result.requests ? ((cpuAfter - cpuBefore) * 1000) / result.requests : NaN);
        log(
          `${scenario.id}: run ${round}/${runs} ${spec.label}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms` +
            (result.errors + result.non2xx + result.mismatches ? `, ${result.errors} errors, ${result.non2xx} non-2xx, ${result.mismatches} wrong bodies` : ''),
        );
      }
    }
    for (const [spec, state] of running) {
      figures.push({
        gateway: spec,
        rps: median(state.samples.map((s) => s.rps)),
        p50: median(state.samples.map((s) => s.p50)),
        p99: median(state.samples.map((s) => s.p99)),
        peakMb: memoryOf(state.gateway.pid)?.peakMb,
        subgraphRequestsPerOp: median(state.perOp),
        subgraphKbPerOp: median(state.kbPerOp),
        cpuMsPerOp: median(state.cpuPerOp),
        errors: state.samples.reduce((sum, s) => sum + s.errors + s.non2xx + s.mismatches, 0),
      });
    }
  } finally {
    for (const state of running.values()) await state.gateway.stop();
  }
  return gateways.map((g) => figures.find((f) => f.gateway === g)!).filter(Boolean);
}

/** One row of the one-connection table: a target and its rounds. */
interface LatencyRow {
  label: string;
  gateway?: GatewaySpec;
  results: LatencyResult[];
  added: number[];
  problem?: string;
}

/**
 * The small query on one connection: the subgraph called directly, a bare forwarder, and each gateway.
 * Everything is started once and measured in turn, `runs` rounds of `latencySeconds` each, so drift
 * on a shared machine hits them alike; every answer must be the expected one. A row's p50 and p99
 * are the medians of its rounds; "added" is the median over rounds of its p50 minus the direct
 * call's p50 in the same round.
 */
async function oneConnectionLatency(
  gateways: readonly GatewaySpec[],
  subgraphs: RunningBenchSubgraphs,
  supergraphPath: string,
  cores: { gateway: string; load: string },
  expected: string,
): Promise<LatencyRow[]> {
  const direct = JSON.stringify({ query: SMALL_QUERY_SUBGRAPH_OPERATION });
  const directAnswer = await post(subgraphs.urls.products, SMALL_QUERY_SUBGRAPH_OPERATION);
  const directBody = directAnswer.text;
  if (directAnswer.status !== 200 || !directBody.startsWith('{"data"')) throw new Error(`the products subgraph answered HTTP ${directAnswer.status}: ${directBody.slice(0, 200)}`);
  const body = JSON.stringify({ query: SMALL_QUERY });
  const targets: { row: LatencyRow; url: string; body: string; expectBody: string; warmupSeconds: number }[] = [];
  const rows: LatencyRow[] = [];
  const stops: (() => Promise<void>)[] = [];
  const add = (label: string, url: string, targetBody: string, expectBody: string, warmup: number, gateway?: GatewaySpec) => {
    const row: LatencyRow = { label, gateway, results: [], added: [] };
    rows.push(row);
    targets.push({ row, url, body: targetBody, expectBody, warmupSeconds: warmup });
  };
  const fail = (gateway: GatewaySpec, problem: string) => rows.push({ label: gateway.label, gateway, results: [], added: [], problem });
  try {
    add('products subgraph, called directly', subgraphs.urls.products, direct, directBody, 1);
    // What any gateway process on the gateway core adds before doing anything: the floor under the target.
    const forwarder = await startForwarder(subgraphs.urls.products, direct, cores.gateway);
    stops.push(forwarder.stop);
    add('bare forwarder (the floor: node:http + undici, no GraphQL)', forwarder.url, direct, directBody, 1);
    for (const gateway of gateways) {
      if (gateway.unavailable) continue;
      try {
        const instance = await gateway.start(supergraphPath, cores.gateway);
        stops.push(instance.stop);
        // Checked as the throughput runs check: the same data as the reference, then these bytes every time.
        const answer = await post(instance.url, SMALL_QUERY);
        if (answer.status !== 200 || canonical(answer.text) !== expected) {
          fail(gateway, `wrong answer (HTTP ${answer.status}): ${answer.text.slice(0, 200)}`);
          continue;
        }
        add(gateway.label, instance.url, body, answer.text, 2, gateway);
      } catch (err) {
        fail(gateway, (err as Error).message.split('\n')[0]);
      }
    }
    for (const target of targets) {
      log(`small query, one connection: warming up ${target.row.label} (${target.warmupSeconds} s)`);
      await latency({ url: target.url, body: target.body, durationSeconds: target.warmupSeconds }, cores.load);
    }
    for (let round = 1; round <= runs; round++) {
      let directP50: number | undefined;
      for (const target of targets) {
        const result = await latency({ url: target.url, body: target.body, expectBody: target.expectBody, durationSeconds: latencySeconds }, cores.load);
        target.row.results.push(result);
        if (target === targets[0]) directP50 = result.p50;
        else if (directP50 !== undefined) target.row.added.push(result.p50 - directP50);
        log(`small query, one connection: run ${round}/${runs} ${target.row.label}: p50 ${result.p50.toFixed(3)} ms${result.errors ? `, ${result.errors} wrong answers` : ''}`);
      }
    }
  } finally {
    for (const stop of stops) await stop();
  }
  return rows;
}

/**
 * The platform's own query (products, search, orders through the connection proxy) through our
 * gateway; the platform's services run as one process on the load core, on a fresh embedded database.
 */
async function platformScenario(cores: { gateway: string; load: string }): Promise<GatewayFigures & { kb?: number }> {
  const figures: GatewayFigures & { kb?: number } = { gateway: OURS };
  log('platform: starting the platform services (first start seeds the catalog)');
  const platform = await startPlatformWithOurs(cores);
  const { gateway } = platform;
  try {
    const headers = bearer(BENCH_CUSTOMER, [], BENCH_SECRETS.JWT_SECRET);
    const body = JSON.stringify({ query: PLATFORM_QUERY });
    const first = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const text = await first.text();
    const answer = JSON.parse(text) as { errors?: unknown; data?: { myOrders?: { totalCount: number }; search?: { totalCount: number } } };
    if (first.status !== 200 || answer.errors || !answer.data?.myOrders?.totalCount || !answer.data.search?.totalCount) {
      return { ...figures, problem: `wrong answer (HTTP ${first.status}): ${text.slice(0, 200)}` };
    }
    figures.kb = Buffer.byteLength(text) / 1024;
    log(`platform: warming up (${warmupSeconds} s)`);
    await throughput({ url: gateway.url, body, headers, connections, durationSeconds: warmupSeconds }, cores.load);
    const samples: ThroughputResult[] = [];
    const cpu: number[] = [];
    for (let round = 1; round <= runs; round++) {
      const before = cpuSecondsOf(gateway.pid);
      const result = await throughput({ url: gateway.url, body, headers, expectBody: text, connections, durationSeconds }, cores.load);
      const after = cpuSecondsOf(gateway.pid);
      samples.push(result);
      cpu.push(before !== undefined && after !== undefined && result.requests ? ((after - before) * 1000) / result.requests : NaN);
      log(`platform: run ${round}/${runs}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms`);
    }
    return {
      ...figures,
      rps: median(samples.map((s) => s.rps)),
      p50: median(samples.map((s) => s.p50)),
      p99: median(samples.map((s) => s.p99)),
      cpuMsPerOp: median(cpu),
      peakMb: memoryOf(gateway.pid)?.peakMb,
      errors: samples.reduce((sum, s) => sum + s.errors + s.non2xx + s.mismatches, 0),
    };
  } finally {
    await platform.stop();
  }
}

const fmt = (value: number | undefined, digits = 0) => (value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits));

function scenarioTable(figures: GatewayFigures[]): string {
  const baseline = figures.find((f) => f.gateway.id === 'apollo' && f.rps);
  const columns: Column<GatewayFigures>[] = [
    { title: 'gateway', value: (f) => f.gateway.label },
    { title: 'RPS', align: 'right', value: (f) => fmt(f.rps) },
    { title: '× baseline', align: 'right', value: (f) => (baseline?.rps && f.rps ? `${(f.rps / baseline.rps).toFixed(2)}×` : '—') },
    { title: 'p50 ms', align: 'right', value: (f) => fmt(f.p50, 1) },
    { title: 'p99 ms', align: 'right', value: (f) => fmt(f.p99, 1) },
    { title: 'p99/p50', align: 'right', value: (f) => (f.p50 && f.p99 ? (f.p99 / Math.max(f.p50, 1)).toFixed(1) : '—') },
    { title: 'CPU ms/op', align: 'right', value: (f) => fmt(f.cpuMsPerOp, 2) },
    { title: 'peak RSS MB', align: 'right', value: (f) => fmt(f.peakMb) },
    { title: 'subgraph req/op', align: 'right', value: (f) => fmt(f.subgraphRequestsPerOp, 1) },
    { title: 'KB to subgraphs/op', align: 'right', value: (f) => fmt(f.subgraphKbPerOp, 1) },
    { title: 'errors', align: 'right', value: (f) => (f.problem ? f.problem : String(f.errors ?? 0)) },
  ];
  return formatTable(figures, columns);
}

/** Ours with each lever turned off in turn, against ours as shipped and the baseline, in one run. */
const LEVERS: readonly GatewaySpec[] = [
  OURS,
  ourVariant('no-batching', 'ours, SUBGRAPH_BATCHING=false', { SUBGRAPH_BATCHING: 'false' }),
  ourVariant('no-dedup', 'ours, SUBGRAPH_DEDUP=false', { SUBGRAPH_DEDUP: 'false' }),
  ourVariant('heap-growth-v8', 'ours, GATEWAY_HEAP_GROWTH_PERCENT=0', { GATEWAY_HEAP_GROWTH_PERCENT: '0' }),
  ourVariant('apollo-executor', 'ours, QUERY_PLAN_EXECUTOR=apollo', { QUERY_PLAN_EXECUTOR: 'apollo' }),
  ourVariant('tsx', 'ours from sources (tsx)', {}, { tsx: true }),
  APOLLO,
];

async function levers(): Promise<void> {
  log('building our gateway (npm run build)');
  buildOurs();
  const cores = pinning();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-'));
  const subgraphs = await startBenchSubgraphs(cores.load);
  const lines: string[] = [];
  try {
    const supergraphPath = path.join(dir, 'supergraph.graphql');
    await writeBenchSupergraph(subgraphs.urls, supergraphPath);
    const scenario = { id: 'heavy', title: 'Heavy query', query: HEAVY_QUERY, expected: await reference(HEAVY_QUERY) };
    lines.push('# Levers: ours with one of them turned off, heavy query', '', `Machine: ${cpuModel()}.`);
    for (const c of [connections, 1]) {
      connectionsNow = c;
      const figures = await measure(scenario, LEVERS, subgraphs, supergraphPath, cores);
      lines.push('', `## ${c} connection${c === 1 ? '' : 's'}`, '', scenarioTable(figures));
    }
  } finally {
    await subgraphs.stop();
    await rm(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  await mkdir(path.join(REPO_ROOT, 'bench', 'results'), { recursive: true });
  await writeFile(path.join(REPO_ROOT, 'bench', 'results', 'levers.md'), `${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  await ensurePeers();
  if (wanted.includes('ours')) {
    log('building our gateway (npm run build)');
    buildOurs();
  }
  const gateways = ALL_GATEWAYS.filter((g) => wanted.includes(g.id));
  const cores = pinning();
  const machine = cpuModel();
  log(`machine: ${machine}`);
  log(cores.pinned ? `gateway on core ${cores.gateway}; subgraphs and load generator on core(s) ${cores.load}` : 'no pinning (one core, or no taskset)');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-'));
  const subgraphs = await startBenchSubgraphs(cores.load);
  const report: string[] = [];
  const out = (text = '') => {
    process.stdout.write(`${text}\n`);
    report.push(text);
  };
  const targets: { target: string; figure: string; met: boolean | undefined }[] = [];
  try {
    const supergraphPath = path.join(dir, 'supergraph.graphql');
    await writeBenchSupergraph(subgraphs.urls, supergraphPath);
    const settings =
      `${durationSeconds} s runs × ${runs} (median), ${warmupSeconds} s warm-up, ${connections} connections; ` +
      `ours built (npm run build) with RATE_LIMIT=false RESPONSE_CACHE=false LOG_LEVEL=warn NODE_ENV=production; one process per gateway, all plain JavaScript on node`;
    out(`# Gateway benchmark`);
    out();
    out(`Machine: ${machine}. ${cores.pinned ? `Gateway pinned to core ${cores.gateway}, subgraphs and autocannon to core ${cores.load}` : 'Not pinned'}.`);
    out(`Settings: ${settings}.`);

    if (scenarios.includes('heavy')) {
      const expected = await reference(HEAVY_QUERY);
      const scenario = { id: 'heavy', title: 'Heavy query', query: HEAVY_QUERY, expected };
      const figures = await measure(scenario, gateways, subgraphs, supergraphPath, cores);
      out();
      out(`## Heavy query: nested lists across 4 subgraphs, ${(Buffer.byteLength(expected) / 1024).toFixed(0)} KB response`);
      out();
      out(scenarioTable(figures));
      const ours = figures.find((f) => f.gateway.id === 'ours');
      const apollo = figures.find((f) => f.gateway.id === 'apollo');
      const hiveRr = figures.find((f) => f.gateway.id === 'hive-rr');
      const ratio = (a?: number, b?: number) => (a && b ? a / b : undefined);
      const vsApollo = ratio(ours?.rps, apollo?.rps);
      const vsHive = ratio(ours?.rps, hiveRr?.rps);
      targets.push({ target: 'heavy: RPS ≥ 5× the baseline', figure: vsApollo ? `${vsApollo.toFixed(2)}×` : '—', met: vsApollo === undefined ? undefined : vsApollo >= 5 });
      targets.push({ target: 'heavy: RPS ≥ 1.2× Hive Gateway + router-runtime', figure: vsHive ? `${vsHive.toFixed(2)}×` : '—', met: vsHive === undefined ? undefined : vsHive >= 1.2 });
      const tail = ours?.p50 && ours.p99 ? ours.p99 / Math.max(ours.p50, 1) : undefined;
      targets.push({ target: 'heavy: p99 within 3× p50', figure: tail ? `${tail.toFixed(1)}×` : '—', met: tail === undefined ? undefined : tail <= 3 });
      targets.push({ target: 'heavy: peak RSS ≤ 200 MB', figure: ours?.peakMb ? `${ours.peakMb.toFixed(0)} MB` : '—', met: ours?.peakMb === undefined ? undefined : ours.peakMb <= 200 });
    }

    if (scenarios.includes('small')) {
      const expected = await reference(SMALL_QUERY);
      const scenario = { id: 'small', title: 'Small query', query: SMALL_QUERY, expected };
      const figures = await measure(scenario, gateways, subgraphs, supergraphPath, cores);
      out();
      out(`## Small query: one field of one subgraph (\`${SMALL_QUERY}\`)`);
      out();
      out(scenarioTable(figures));
      const rows = await oneConnectionLatency(gateways, subgraphs, supergraphPath, cores, expected);
      const sum = (row: LatencyRow, field: 'requests' | 'errors') => row.results.reduce((total, r) => total + r[field], 0);
      out();
      out(`One connection, one request at a time (${latencySeconds} s each, hrtime, medians of ${runs} runs taken in turn; "added" is the median of each run's difference to the direct call in the same round):`);
      out();
      out(
        formatTable(rows, [
          { title: 'called', value: (r) => r.label },
          { title: 'p50 ms', align: 'right', value: (r) => fmt(median(r.results.map((x) => x.p50)), 3) },
          { title: 'p99 ms', align: 'right', value: (r) => fmt(median(r.results.map((x) => x.p99)), 3) },
          { title: 'added at p50 ms', align: 'right', value: (r) => (r.added.length ? median(r.added).toFixed(3) : '—') },
          { title: 'requests', align: 'right', value: (r) => (r.problem ? r.problem : r.results.length ? String(sum(r, 'requests')) : '—') },
          { title: 'errors', align: 'right', value: (r) => (r.results.length ? String(sum(r, 'errors')) : '—') },
        ]),
      );
      const ours = rows.find((r) => r.gateway === OURS);
      const added = ours?.added.length && !sum(ours, 'errors') ? median(ours.added) : undefined;
      targets.push({ target: 'small: ≤ 0.5 ms added at p50 over the subgraph (one connection)', figure: added !== undefined ? `${added.toFixed(3)} ms` : '—', met: added === undefined ? undefined : added <= 0.5 });
    }

    if (scenarios.includes('platform') && wanted.includes('ours')) {
      const figures = await platformScenario(cores);
      out();
      out(`## The platform's own query: products, search and orders through the connection proxy (embedded PGlite)`);
      out();
      out('Our gateway only (the platform\'s subgraphs accept calls signed by their gateway). Here the platform\'s');
      out('services, on one core with the load generator, are what limits the rate; the gateway\'s share is its CPU per operation.');
      out();
      out(
        formatTable([figures], [
          { title: 'gateway', value: (f) => f.gateway.label },
          { title: 'RPS', align: 'right', value: (f) => fmt(f.rps) },
          { title: 'p50 ms', align: 'right', value: (f) => fmt(f.p50, 1) },
          { title: 'p99 ms', align: 'right', value: (f) => fmt(f.p99, 1) },
          { title: 'CPU ms/op', align: 'right', value: (f) => fmt(f.cpuMsPerOp, 2) },
          { title: 'peak RSS MB', align: 'right', value: (f) => fmt(f.peakMb) },
          { title: 'response KB', align: 'right', value: (f) => fmt(f.kb, 1) },
          { title: 'errors', align: 'right', value: (f) => (f.problem ? f.problem : String(f.errors ?? 0)) },
        ]),
      );
    }

    if (scenarios.includes('proxy')) {
      log('connection proxy: npm run bench:proxy (real PostgreSQL)');
      const proxy = await runProxyBenchmark({ runs });
      out();
      out('## The connection proxy against pg with its own pool (details: bench/proxy/README.md)');
      out();
      out('```text');
      out(formatProxyBenchmark(proxy).trimEnd());
      out('```');
      if (proxy.skipped) {
        targets.push({ target: 'proxy: single-row latency ≤ 1.25× pg', figure: 'skipped', met: undefined });
      } else {
        targets.push({ target: 'proxy: single-row p50 ≤ 1.25× pg with its own pool', figure: `${proxy.ratios.latencyP50.toFixed(2)}×`, met: proxy.targets.latency });
        targets.push({ target: 'proxy: ≥ 0.8× pg throughput at 32 clients', figure: `${proxy.ratios.throughput.toFixed(2)}×`, met: proxy.targets.throughput });
        targets.push({ target: 'proxy: 100 entity lookups are 1 SQL statement', figure: `${proxy.batch.statements}`, met: proxy.targets.batch });
      }
    }

    if (scenarios.includes('startup')) {
      log('start-up: npm start on a prepared data directory (npm run bench:startup)');
      const startup = await measureStartup({ runs: 3 });
      out();
      out('## Start-up: `npm start` until the gateway serves, with `.data/` present (details: bench/startup.md)');
      out();
      out('```text');
      for (const line of formatStartup(startup)) out(line);
      out('```');
      const wall = startup.median.wallMs;
      targets.push({ target: 'npm start ready in ≤ 3 s when .data/ exists', figure: Number.isFinite(wall) ? `${(wall / 1000).toFixed(2)} s` : '—', met: Number.isFinite(wall) ? wall <= 3_000 : undefined });
    }

    out();
    out('## Targets');
    out();
    out(
      formatTable(targets, [
        { title: 'target', value: (t) => t.target },
        { title: 'measured', align: 'right', value: (t) => t.figure },
        { title: 'met', value: (t) => (t.met === undefined ? 'not measured' : t.met ? 'yes' : 'NO') },
      ]),
    );
  } finally {
    await subgraphs.stop();
    await rm(dir, { recursive: true, force: true });
  }
  await mkdir(path.join(REPO_ROOT, 'bench', 'results'), { recursive: true });
  await writeFile(path.join(REPO_ROOT, 'bench', 'results', 'latest.md'), `${report.join('\n')}\n`);
}

if (options.levers) await levers();
else await main();
