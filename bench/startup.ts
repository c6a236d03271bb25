/**
 * `npm run bench:startup`: how long `npm start` takes until the platform serves, the way a user sees
 * it. Prepares a data directory once (the first start: three empty databases initialised and the
 * catalog seeded), then starts `npm start` again on it several times. Each start is timed from spawn
 * to the gateway answering 200 on /ready and the "ready" banner being printed (whichever comes
 * last); the banner's own figure and the CPU time the process tree used until then are shown beside
 * it. Between starts the platform is stopped the way Ctrl+C stops it (SIGINT to its process group).
 *
 *   npm run bench:startup                       # first start, then 5 starts on its data
 *   npm run bench:startup -- --runs 9
 *   npm run bench:startup -- --data-dir .data   # reuse a data directory (no first start)
 *   npm run bench:startup -- --json
 *
 * bench/run.ts can call measureStartup() and print formatStartup()'s lines. Figures: bench/startup.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface MeasureStartupOptions {
  /** Starts measured on the prepared data directory. @default 5 */
  runs?: number;
  /** What is started, in `cwd`. @default ['npm', 'start'] */
  command?: readonly string[];
  /** @default the repository root */
  cwd?: string;
  /** Added to the environment of every start (ports and PGLITE_DATA_DIR are set by the benchmark). */
  env?: Record<string, string>;
  /**
   * A data directory that already holds the databases: no first start, and it is kept afterwards.
   * @default a new temporary directory, prepared by a first start and removed at the end
   */
  dataDir?: string;
  /** Longest wait for one start. @default 180000 */
  timeoutMs?: number;
  /** Called after each start, the first one included. */
  onRun?(run: StartupRun): void;
}

export interface StartupRun {
  /** `first`: on an empty data directory (initialises and seeds); `warm`: on existing data. */
  kind: 'first' | 'warm';
  /** Spawn until both the gateway answered 200 on /ready and the banner was printed. */
  wallMs: number;
  /**
   * Spawn until the first 200 from the gateway's /ready. The gateway binds a port the system picks,
   * so /ready is asked from the moment the banner names it: at least bannerMs.
   */
  readyMs: number;
  /** Spawn until the banner line (`[platform] ready in …`). */
  bannerMs: number;
  /** What the banner itself says, in ms. */
  reportedMs?: number;
  /** CPU time (user + system, every thread) of the started process tree until wallMs; Linux only. */
  cpuMs?: number;
}

export interface StartupResult {
  machine: string;
  command: string;
  firstStart?: StartupRun;
  runs: StartupRun[];
  /** Medians over `runs`. */
  median: { wallMs: number; readyMs: number; bannerMs: number; reportedMs?: number; cpuMs?: number };
}

const BANNER = /\[platform\] ready in ([\d.]+)s/;
const BANNER_GATEWAY = /GraphQL endpoint \+ IDE\s+(http:\/\/\S+?)\/graphql\s/;
const POLL_MS = 20;

export async function measureStartup(options: MeasureStartupOptions = {}): Promise<StartupResult> {
  const runs = options.runs ?? 5;
  const command = options.command ?? ['npm', 'start'];
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'platform-startup-'));
  try {
    const once = async (kind: StartupRun['kind']) => {
      const run = await timeOneStart({ ...options, command, dataDir, kind });
      options.onRun?.(run);
      return run;
    };
    const firstStart = ownDataDir ? await once('first') : undefined;
    const measured: StartupRun[] = [];
    for (let i = 0; i < runs; i++) measured.push(await once('warm'));
    const reported = measured.map((r) => r.reportedMs).filter((v): v is number => v !== undefined);
    const cpu = measured.map((r) => r.cpuMs).filter((v): v is number => v !== undefined);
    return {
      machine: machine(),
      command: command.join(' '),
      ...(firstStart ? { firstStart } : {}),
      runs: measured,
      median: {
        wallMs: median(measured.map((r) => r.wallMs)),
        readyMs: median(measured.map((r) => r.readyMs)),
        bannerMs: median(measured.map((r) => r.bannerMs)),
        ...(reported.length === measured.length && reported.length ? { reportedMs: median(reported) } : {}),
        ...(cpu.length === measured.length && cpu.length ? { cpuMs: median(cpu) } : {}),
      },
    };
  } finally {
    if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The result as printable lines. */
export function formatStartup(result: StartupResult): string[] {
  const lines = [`start-up of \`${result.command}\` (${result.machine})`];
  if (result.firstStart) lines.push(`  first start (empty data directory, seeds the catalog): ${describe(result.firstStart)}`);
  result.runs.forEach((run, i) => lines.push(`  start ${i + 1}/${result.runs.length}: ${describe(run)}`));
  if (result.runs.length) {
    const m = result.median;
    lines.push(
      `  median of ${result.runs.length}: ${seconds(m.wallMs)} ` +
        `(/ready ${seconds(m.readyMs)}, banner ${seconds(m.bannerMs)}` +
        `${m.reportedMs !== undefined ? `, banner says ${seconds(m.reportedMs)}` : ''}` +
        `${m.cpuMs !== undefined ? `, CPU ${seconds(m.cpuMs)}` : ''})`,
    );
  }
  return lines;
}

function describe(run: StartupRun): string {
  return (
    `${seconds(run.wallMs)} (/ready ${seconds(run.readyMs)}, banner ${seconds(run.bannerMs)}` +
    `${run.reportedMs !== undefined ? `, banner says ${seconds(run.reportedMs)}` : ''}` +
    `${run.cpuMs !== undefined ? `, CPU ${seconds(run.cpuMs)}` : ''})`
  );
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export function median(values: readonly number[]): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The gateway's base URL the banner's `GraphQL endpoint + IDE` line names. */
export function parseBannerGateway(text: string): string | undefined {
  return BANNER_GATEWAY.exec(text)?.[1];
}

/** The seconds a `[platform] ready in 2.3s` line reports, in ms. */
export function parseBanner(line: string): number | undefined {
  const match = BANNER.exec(line);
  return match ? Number(match[1]) * 1000 : undefined;
}

interface OneStart extends MeasureStartupOptions {
  command: readonly string[];
  dataDir: string;
  kind: StartupRun['kind'];
}

async function timeOneStart(options: OneStart): Promise<StartupRun> {
  const timeoutMs = options.timeoutMs ?? 180_000;
  const [file, ...args] = options.command;
  const began = performance.now();
  // Its own process group, so the whole tree (npm, the platform) is stopped the way Ctrl+C does.
  const child = spawn(file, args, {
    cwd: options.cwd ?? REPOSITORY_ROOT,
    env: {
      ...process.env,
      ...options.env,
      PGLITE_DATA_DIR: options.dataDir,
      // A port picked here and handed over could be taken by another process before the gateway
      // binds it; the system picks one at bind time instead, and the banner says which.
      GATEWAY_PORT: '0',
      GATEWAY_HOST: '127.0.0.1',
      PRODUCTS_PORT: '0',
      ORDERS_PORT: '0',
      SEARCH_PORT: '0',
      DB_PROXY_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const stopOnExit = () => killGroup(child, 'SIGKILL');
  process.once('exit', stopOnExit);
  let output = '';
  let bannerMs: number | undefined;
  let reportedMs: number | undefined;
  let gatewayUrl: string | undefined;
  const onOutput = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
    if (bannerMs === undefined) {
      const reported = parseBanner(output);
      if (reported !== undefined) {
        bannerMs = performance.now() - began;
        reportedMs = reported;
      }
    }
    gatewayUrl ??= parseBannerGateway(output)?.replace('//localhost:', '//127.0.0.1:');
  };
  child.stdout!.on('data', onOutput);
  child.stderr!.on('data', onOutput);
  let exited = false;
  child.once('exit', () => (exited = true));

  try {
    let readyMs: number | undefined;
    const deadline = began + timeoutMs;
    while (readyMs === undefined || bannerMs === undefined) {
      if (exited) throw new Error(`\`${options.command.join(' ')}\` exited before it was ready:\n${output.slice(-4000)}`);
      if (performance.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms:\n${output.slice(-4000)}`);
      if (readyMs === undefined && gatewayUrl !== undefined && (await answersReady(gatewayUrl))) {
        readyMs = performance.now() - began;
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const wallMs = Math.max(readyMs, bannerMs);
    const cpuMs = cpuOfGroup(child.pid!);
    return {
      kind: options.kind,
      wallMs,
      readyMs,
      bannerMs,
      ...(reportedMs !== undefined ? { reportedMs } : {}),
      ...(cpuMs !== undefined ? { cpuMs } : {}),
    };
  } finally {
    await stop(child);
    process.removeListener('exit', stopOnExit);
  }
}

async function answersReady(gatewayUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${gatewayUrl}/ready`, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** SIGINT to the group, as Ctrl+C sends it; SIGKILL if it has not exited after 20 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child, 'SIGINT');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
  // npm may exit before the platform it started has finished closing its databases.
  while (groupPids(child.pid!).length) await new Promise((resolve) => setTimeout(resolve, 50));
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

/** Processes of a process group, from /proc (empty elsewhere). */
function groupPids(pgid: number): number[] {
  if (process.platform !== 'linux') return [];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat && stat.pgrp === pgid) pids.push(Number(entry));
  }
  return pids;
}

let clockTicks: number | undefined;

/** CPU time used so far by every process of the group, in ms (Linux /proc). */
function cpuOfGroup(pgid: number): number | undefined {
  if (process.platform !== 'linux') return undefined;
  clockTicks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  let ticks = 0;
  for (const pid of groupPids(pgid)) ticks += procStat(pid)?.cpuTicks ?? 0;
  return (ticks / clockTicks) * 1000;
}

function procStat(pid: number): { pgrp: number; cpuTicks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): pgrp is field 5, utime 14, stime 15, cutime 16, cstime 17.
    const at = (field: number) => Number(fields[field - 3]);
    return { pgrp: at(5), cpuTicks: at(14) + at(15) + at(16) + at(17) };
  } catch {
    return undefined;
  }
}

function machine(): string {
  const cpu = os.cpus()[0];
  return `${os.availableParallelism()} × ${cpu?.model?.trim() ?? 'unknown CPU'}, Node ${process.version}, ${os.type()} ${os.release()}`;
}

// --- npm run bench:startup ---
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 0) {
    process.stderr.write(`--runs must be a whole number, not "${values.runs}"\n`);
    process.exit(2);
  }
  const log = (message: string) => process.stderr.write(`[startup] ${message}\n`);
  log(values['data-dir'] ? `${runs} starts on ${values['data-dir']}` : `a first start on an empty data directory, then ${runs} starts on its data`);
  const result = await measureStartup({
    runs,
    ...(values['data-dir'] ? { dataDir: path.resolve(values['data-dir']) } : {}),
    onRun: (run) => log(`${run.kind === 'first' ? 'first start' : 'start'}: ${describe(run)}`),
  });
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatStartup(result).join('\n')}\n`);
}
