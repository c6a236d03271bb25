/**
 * `npm run bench:soak`: our gateway under the heavy query for 10 minutes (`--minutes`), its resident
 * memory sampled every few seconds. Prints RSS per minute and whether memory stayed flat: after the
 * first minute (warm-up), the last minute's average may be at most 10 % above the second minute's,
 * and the peak at most 200 MB. Every response is checked against the reference answer.
 *
 *   npm run bench:soak -- --minutes 10 --connections 32
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { graphql } from 'graphql';
import { startBenchSubgraphs, writeBenchSupergraph } from './lib/benchSubgraphs.js';
import { OURS, buildOurs } from './lib/gateways.js';
import { throughput } from './lib/load.js';
import { cpuModel, memoryOf, pinning } from './lib/processes.js';
import { formatTable } from './lib/table.js';
import { HEAVY_QUERY } from './queries.js';
import { createBenchData } from './subgraphs/data.js';
import { referenceSchema } from './subgraphs/schemas.js';

const options = new Command()
  .name('bench:soak')
  .option('--minutes <n>', 'length of the soak', '10')
  .option('--connections <n>', 'concurrent connections', '32')
  .option('--sample-seconds <n>', 'how often memory is read', '5')
  .parse()
  .opts<Record<string, string>>();
const minutes = Number(options.minutes);
const sampleMs = Number(options.sampleSeconds) * 1000;
const log = (message: string) => process.stderr.write(`[soak] ${message}\n`);

log('building our gateway (npm run build)');
buildOurs();
const cores = pinning();
const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-soak-'));
const subgraphs = await startBenchSubgraphs(cores.load);
try {
  const supergraphPath = path.join(dir, 'supergraph.graphql');
  await writeBenchSupergraph(subgraphs.urls, supergraphPath);
  const gateway = await OURS.start(supergraphPath, cores.gateway);
  try {
    const expected = JSON.stringify({ data: (await graphql({ schema: referenceSchema(createBenchData()), source: HEAVY_QUERY })).data });
    const first = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: HEAVY_QUERY }) });
    const body = await first.text();
    if (JSON.stringify(JSON.parse(body)) !== expected) throw new Error(`our gateway answers wrongly: ${body.slice(0, 200)}`);

    log(`machine: ${cpuModel()}; ${minutes} min at ${options.connections} connections`);
    const samples: { at: number; rssMb: number }[] = [];
    const started = Date.now();
    const sampler = setInterval(() => {
      const memory = memoryOf(gateway.pid);
      if (memory) samples.push({ at: (Date.now() - started) / 1000, rssMb: memory.rssMb });
      if (samples.length % Math.max(1, Math.round(60_000 / sampleMs)) === 0) log(`${((Date.now() - started) / 60_000).toFixed(1)} min: RSS ${memory?.rssMb.toFixed(0)} MB`);
    }, sampleMs);
    const result = await throughput(
      { url: gateway.url, body: JSON.stringify({ query: HEAVY_QUERY }), expectBody: body, connections: Number(options.connections), durationSeconds: minutes * 60 },
      cores.load,
    );
    clearInterval(sampler);
    const peak = memoryOf(gateway.pid)?.peakMb ?? NaN;

    const perMinute = Array.from({ length: minutes }, (_, m) => {
      const inMinute = samples.filter((s) => s.at >= m * 60 && s.at < (m + 1) * 60).map((s) => s.rssMb);
      const mean = inMinute.reduce((a, b) => a + b, 0) / (inMinute.length || 1);
      return { minute: m + 1, min: Math.min(...inMinute), max: Math.max(...inMinute), mean };
    });
    const reference = perMinute[Math.min(1, perMinute.length - 1)].mean;
    const last = perMinute[perMinute.length - 1].mean;
    const growth = (last - reference) / reference;
    const lines = [
      `# Soak: our gateway, heavy query, ${minutes} min`,
      '',
      `Machine: ${cpuModel()}. ${result.requests} requests (${result.rps.toFixed(0)} req/s), p50 ${result.p50} ms, p99 ${result.p99} ms, ` +
        `${result.errors + result.non2xx + result.mismatches} errors or wrong answers.`,
      '',
      formatTable(perMinute, [
        { title: 'minute', align: 'right', value: (r) => String(r.minute) },
        { title: 'RSS min MB', align: 'right', value: (r) => r.min.toFixed(0) },
        { title: 'RSS mean MB', align: 'right', value: (r) => r.mean.toFixed(0) },
        { title: 'RSS max MB', align: 'right', value: (r) => r.max.toFixed(0) },
      ]),
      '',
      `Peak RSS ${peak.toFixed(0)} MB (target ≤ 200 MB: ${peak <= 200 ? 'met' : 'NOT met'}); ` +
        `last minute vs second minute ${(growth * 100).toFixed(1)} % (flat means ≤ 10 %: ${growth <= 0.1 ? 'met' : 'NOT met'}).`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (result.errors + result.non2xx + result.mismatches > 0) process.exitCode = 1;
  } finally {
    await gateway.stop();
  }
} finally {
  await subgraphs.stop();
  await rm(dir, { recursive: true, force: true });
}
