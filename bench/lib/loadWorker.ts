/**
 * The load generator, run as its own pinned process: `node --import tsx bench/lib/loadWorker.ts
 * <spec.json>`. Mode `throughput` runs autocannon (closed loop, N connections) and checks every
 * response body against the expected one; mode `latency` sends requests one after another on one
 * keep-alive connection and times each with hrtime (autocannon's histogram rounds to whole ms, too
 * coarse for the small query). Prints one JSON line with the result.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { Pool } from 'undici';

export interface LoadSpec {
  mode: 'throughput' | 'latency';
  url: string;
  body: string;
  headers?: Record<string, string>;
  /** Every response must have exactly this body (throughput mode). */
  expectBody?: string;
  connections?: number;
  durationSeconds: number;
  /**
   * A mix instead of one body: each connection cycles through these requests (throughput mode);
   * `[<id>]` in a body becomes a fresh id each time (idempotency keys), and every answer must be
   * HTTP 200 without GraphQL `errors`, or it counts as a mismatch.
   */
  mix?: { body: string; headers?: Record<string, string> }[];
}

export interface ThroughputResult {
  requests: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  errors: number;
  non2xx: number;
  mismatches: number;
}

export interface LatencyResult {
  requests: number;
  /** Milliseconds, with microsecond resolution. */
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  errors: number;
}

const ID_PLACEHOLDER = '[<id>]';
let idCounter = 0;
const idPrefix = `${process.pid}-${Date.now().toString(36)}`;
const nextId = () => `${idPrefix}-${++idCounter}`;

async function throughput(spec: LoadSpec): Promise<ThroughputResult> {
  const result = await autocannon({
    url: spec.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...spec.headers },
    body: spec.body,
    connections: spec.connections ?? 32,
    duration: spec.durationSeconds,
    expectBody: spec.expectBody,
    ...(spec.mix
      ? {
          requests: spec.mix.map((entry) => ({
            method: 'POST' as const,
            body: entry.body,
            headers: { 'content-type': 'application/json', ...entry.headers },
            // autocannon's own idReplacement keeps the template's Content-Length; a body of our own does not.
            ...(entry.body.includes(ID_PLACEHOLDER)
              ? { setupRequest: (request: { body?: string | Buffer }) => ({ ...request, body: entry.body.replaceAll(ID_PLACEHOLDER, nextId()) }) }
              : {}),
          })),
          verifyBody: (body: string | Buffer | undefined) => body !== undefined && !String(body).includes('"errors"'),
        }
      : {}),
  });
  return {
    requests: result.requests.total,
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    mismatches: (result as unknown as { mismatches?: number }).mismatches ?? 0,
  };
}

async function latency(spec: LoadSpec): Promise<LatencyResult> {
  const url = new URL(spec.url);
  const pool = new Pool(url.origin, { connections: 1, pipelining: 1 });
  const headers = { 'content-type': 'application/json', ...spec.headers };
  const samples: number[] = [];
  let errors = 0;
  const until = performance.now() + spec.durationSeconds * 1000;
  while (performance.now() < until) {
    const started = process.hrtime.bigint();
    const response = await pool.request({ path: url.pathname, method: 'POST', headers, body: spec.body });
    const text = await response.body.text();
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    if (response.statusCode !== 200 || (spec.expectBody !== undefined && text !== spec.expectBody)) errors++;
    samples.push(elapsed);
  }
  await pool.close();
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? NaN;
  return {
    requests: samples.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    mean: samples.reduce((a, b) => a + b, 0) / (samples.length || 1),
    errors,
  };
}

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8')) as LoadSpec;
const result = spec.mode === 'latency' ? await latency(spec) : await throughput(spec);
process.stdout.write(`${JSON.stringify(result)}\n`);
