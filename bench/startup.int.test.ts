/**
 * bench:startup against the real `npm start`: two starts on one data directory (template copies, so
 * no cluster is initialised here), each timed until /ready and the banner, each stopped like Ctrl+C.
 * No timing is asserted, only what the figures must satisfy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedDataDir } from '../tests/support/pgliteTemplate.js';
import { listedSubgraphs } from '../tests/support/platform.js';
import { measureStartup, type StartupRun } from './startup.js';

let dataDir: string;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'startup-bench-test-'));
  seedDataDir(dataDir, listedSubgraphs());
});

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

it('times npm start twice on one data directory', async () => {
  const seen: StartupRun[] = [];
  const result = await measureStartup({ runs: 2, dataDir, env: { LOG_LEVEL: 'warn' }, onRun: (run) => seen.push(run) });

  expect(result.firstStart).toBeUndefined(); // the data directory was given
  expect(result.command).toBe('npm start');
  expect(seen).toEqual(result.runs);
  for (const run of result.runs) {
    expect(run.kind).toBe('warm');
    expect(run.wallMs).toBe(Math.max(run.readyMs, run.bannerMs));
    // The banner counts from the process's own start, after the spawn; it rounds to 0.1 s.
    expect(run.reportedMs).toBeGreaterThan(0);
    expect(run.reportedMs!).toBeLessThanOrEqual(run.bannerMs + 50);
    if (process.platform === 'linux') expect(run.cpuMs).toBeGreaterThan(0);
  }
  expect(result.median.wallMs).toBe((result.runs[0].wallMs + result.runs[1].wallMs) / 2);
}, 180_000);
