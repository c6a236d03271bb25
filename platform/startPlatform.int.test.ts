/**
 * startPlatform opens the embedded databases before it loads the subgraphs' and the gateway's modules
 * (the slowest step of a start, in threads of its own); a start that then fails closes them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { earlyDatabases } from '../db-proxy/drivers/pgliteDriver.js';
import { seedDataDir } from '../tests/support/pgliteTemplate.js';
import { listedSubgraphs } from '../tests/support/platform.js';
import { startPlatform } from './startPlatform.js';

let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'platform-early-'));
  seedDataDir(dataDir, listedSubgraphs());
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('says it is opening the databases first, and closes them when a configuration is then refused', async () => {
  const steps: string[] = [];
  await expect(
    startPlatform({
      env: { PGLITE_DATA_DIR: dataDir, GATEWAY_PORT: 'not-a-port' },
      onStep: (message) => steps.push(message),
      watchSupergraph: false,
    }),
  ).rejects.toThrow(/GATEWAY_PORT/);
  expect(steps[0]).toBe(`opening the embedded databases (PGlite, data in ${dataDir})`);
  expect(earlyDatabases()).toEqual([]);
}, 60_000);
