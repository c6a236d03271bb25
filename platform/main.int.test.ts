/**
 * `npm start`'s entry, the way it runs (platform/start.mjs: platform/main.ts from the transpiled tree,
 * in a process group of its own): the banner reports the time since the process started, and Ctrl+C
 * (SIGINT to the group) closes every service and database before the process exits 0. Apollo Server
 * sends the signal again once it has stopped; that must not end the process before its databases
 * are closed.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseBanner } from '../bench/startup.js';
import { listedSubgraphs } from '../tests/support/platform.js';
import { createTestDatabase, type TestDatabase } from '../tests/support/testDatabase.js';

const REPOSITORY = fileURLToPath(new URL('..', import.meta.url));
let database: TestDatabase;

beforeAll(() => {
  database = createTestDatabase(listedSubgraphs());
});

afterAll(async () => {
  await database?.dispose();
});

it('starts, reports its start-up time, and closes cleanly on SIGINT', async () => {
  const started = performance.now();
  const child = spawn(process.execPath, ['platform/start.mjs'], {
    cwd: REPOSITORY,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      ...database.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      GATEWAY_PORT: '0',
      DB_PROXY_PORT: '0',
      ...Object.fromEntries(listedSubgraphs().map((name) => [`${name.toUpperCase()}_PORT`, '0'])),
      SUPERGRAPH_WATCH: 'false',
    },
  });
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const reported = await new Promise<number>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const seconds = parseBanner(stderr);
      if (seconds !== undefined) resolve(seconds);
    });
    void exited.then(() => reject(new Error(`exited before it was ready:\n${stderr}`)));
  });
  // Counted from the process's own start, which came after the spawn (the banner rounds to 0.1 s).
  expect(reported).toBeGreaterThan(0);
  expect(reported).toBeLessThanOrEqual(performance.now() - started + 50);

  process.kill(-child.pid!, 'SIGINT');
  const { code, signal } = await exited;
  // The output is shown only when it did not close cleanly.
  expect({ code, signal, stderr: code === 0 ? '' : stderr.slice(-3000) }).toEqual({ code: 0, signal: null, stderr: '' });
}, 120_000);
