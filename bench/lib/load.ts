/** Runs the load generator (bench/lib/loadWorker.ts) as its own pinned process and reads its result. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './gateways.js';
import type { LatencyResult, LoadSpec, ThroughputResult } from './loadWorker.js';

export type { LatencyResult, ThroughputResult } from './loadWorker.js';

async function runWorker<T>(spec: LoadSpec, cores: string): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-load-'));
  const file = path.join(dir, 'spec.json');
  await writeFile(file, JSON.stringify(spec));
  try {
    const args = ['--import', 'tsx', path.join(REPO_ROOT, 'bench', 'lib', 'loadWorker.ts'), file];
    const [command, argv] = cores ? ['taskset', ['-c', cores, process.execPath, ...args]] : [process.execPath, args];
    const child = spawn(command, argv, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`load generator failed (${code}): ${stderr.slice(-2000)}`);
    return JSON.parse(stdout.trim().split('\n').pop() as string) as T;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function throughput(spec: Omit<LoadSpec, 'mode'>, cores: string): Promise<ThroughputResult> {
  return runWorker<ThroughputResult>({ ...spec, mode: 'throughput' }, cores);
}

export function latency(spec: Omit<LoadSpec, 'mode'>, cores: string): Promise<LatencyResult> {
  return runWorker<LatencyResult>({ ...spec, mode: 'latency' }, cores);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
