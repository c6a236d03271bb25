/**
 * Child processes of the benchmark: each gateway, the subgraphs and the load generator run as their
 * own process, pinned to a core with `taskset` where there is one, so the gateway measured never
 * shares its core with what loads it. Peak memory comes from the kernel (VmHWM: the highest resident
 * set the process ever had).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { createInterface } from 'node:readline';

export interface Pinning {
  /** The core the measured gateway runs on. */
  gateway: string;
  /** The cores of the subgraphs and the load generator. */
  load: string;
  /** Whether taskset is used at all. */
  pinned: boolean;
}

/** Gateway on core 0, the rest on the other cores (on one core: no pinning). */
export function pinning(): Pinning {
  const cores = os.availableParallelism();
  const taskset = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
  if (!taskset || cores < 2) return { gateway: '', load: '', pinned: false };
  return { gateway: '0', load: cores === 2 ? '1' : `1-${cores - 1}`, pinned: true };
}

export interface Started {
  child: ChildProcess;
  /** The first stdout line that matched `ready`. */
  line: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  command: string;
  args: string[];
  env?: Record<string, string | undefined>;
  cores?: string;
  /** A stdout line that says the process is ready. */
  ready: RegExp;
  /** @default 60000 */
  timeoutMs?: number;
  label: string;
  cwd?: string;
}

export async function startProcess(options: StartOptions): Promise<Started> {
  const [command, args] = options.cores ? ['taskset', ['-c', options.cores, options.command, ...options.args]] : [options.command, options.args];
  const child = spawn(command, args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: options.cwd,
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout! });
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running: nothing else would stop it.
      child.kill('SIGKILL');
      reject(new Error(`${options.label} not ready within ${options.timeoutMs ?? 60_000} ms:\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    lines.on('line', (text) => {
      if (options.ready.test(text)) {
        clearTimeout(timer);
        resolve(text);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${options.label} exited with ${code} before it was ready:\n${stderr}`));
    });
  });
  // Keep reading stdout so a chatty process never blocks on a full pipe.
  lines.on('line', () => {});
  return { child, line, stop: () => stopChild(child) };
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Peak and current resident memory of a process, in MB (Linux /proc). */
export function memoryOf(pid: number | undefined): { peakMb: number; rssMb: number } | undefined {
  if (!pid) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far (Linux /proc; taskset execs in place, so the pid is the command's). */
export function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

export function cpuModel(): string {
  const cpu = os.cpus()[0];
  return `${os.availableParallelism()} × ${cpu?.model?.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
}
