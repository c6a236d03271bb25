/** The four benchmark subgraphs as one pinned process (bench/subgraphs/main.ts), and their supergraph. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { BENCH_SDL, BENCH_SUBGRAPH_NAMES, type BenchSubgraphName } from '../subgraphs/schemas.js';
import { REPO_ROOT } from './gateways.js';
import { startProcess } from './processes.js';

export interface RunningBenchSubgraphs {
  urls: Record<BenchSubgraphName, string>;
  pid: number | undefined;
  /** Requests per subgraph since the last reset, and how many had to be executed (not remembered). */
  stats(): Promise<Record<BenchSubgraphName, { requests: number; executed: number; bytesIn: number; bytesOut: number }>>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchSubgraphs(cores: string): Promise<RunningBenchSubgraphs> {
  const running = await startProcess({
    label: 'benchmark subgraphs',
    command: process.execPath,
    args: ['--import', 'tsx', path.join(REPO_ROOT, 'bench', 'subgraphs', 'main.ts')],
    cores,
    ready: /^\{"control"/,
    cwd: REPO_ROOT,
  });
  const { control, subgraphs } = JSON.parse(running.line) as { control: string; subgraphs: Record<BenchSubgraphName, string> };
  return {
    urls: subgraphs,
    pid: running.child.pid,
    stats: async () => (await (await fetch(`${control}/stats`)).json()) as Awaited<ReturnType<RunningBenchSubgraphs['stats']>>,
    reset: async () => {
      await fetch(`${control}/reset`, { method: 'POST' });
    },
    stop: running.stop,
  };
}

/** Composes the benchmark subgraphs at their URLs and writes the supergraph every gateway serves. */
export async function writeBenchSupergraph(urls: Record<BenchSubgraphName, string>, file: string): Promise<string> {
  const result = composeServices(BENCH_SUBGRAPH_NAMES.map((name) => ({ name, typeDefs: parse(BENCH_SDL[name]), url: urls[name] })));
  if (result.errors) throw new Error(`benchmark subgraphs do not compose: ${result.errors.map((e) => e.message).join('; ')}`);
  await writeFile(file, result.supergraphSdl);
  return result.supergraphSdl;
}
