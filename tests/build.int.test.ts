/**
 * `npm run build` as containers use it: the services compiled to plain JavaScript with the files they
 * read next to their modules, and the built gateway serving a supergraph without any TypeScript
 * loader in its process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeSupergraphConfig } from '../gateway/federation/supergraph/compose.js';
import { startTestSupergraph, type TestSupergraph } from '../gateway/testing/testSubgraphs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let dir: string;
let supergraph: TestSupergraph;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'build-test-'));
  supergraph = await startTestSupergraph();
});
afterAll(async () => {
  await supergraph?.close();
  await rm(dir, { recursive: true, force: true });
});

it('compiles every service with its schema files, and the built gateway serves', async () => {
  const out = path.join(dir, 'dist');
  const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), out], { encoding: 'utf8' });
  expect(build.status).toBe(0);
  expect(build.stderr).toMatch(/built .*dist\/ \(\d+ asset files\)/);
  for (const file of ['gateway/main.js', 'gateway/cli.js', 'db-proxy/main.js', 'platform/main.js', 'subgraphs/products/main.js', 'subgraphs/products/schema.graphql']) {
    expect({ file, exists: existsSync(path.join(out, file)) }).toEqual({ file, exists: true });
  }
  expect(existsSync(path.join(out, 'gateway', 'config.test.js'))).toBe(false);

  // Laid out as in the image: the built files beside package.json and node_modules.
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  const supergraphPath = path.join(dir, 'supergraph.graphql');
  await writeFile(supergraphPath, (await composeSupergraphConfig(supergraph.configPath)).supergraphSdl);
  const urls = Object.entries(supergraph.subgraphUrls)
    .map(([name, url]) => `${name}=${url}`)
    .join(',');
  const child = spawn(process.execPath, [path.join(out, 'gateway', 'cli.js'), '--supergraph', supergraphPath, '--port', '0', '--host', '127.0.0.1', '--subgraph-urls', urls, '--no-watch'], {
    env: { ...process.env, LOG_LEVEL: 'warn', NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const graphqlUrl = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`not ready:\n${output}`)), 30_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const ready = /Gateway ready at (\S+)/.exec(output);
        if (ready) {
          clearTimeout(timer);
          resolve(ready[1]);
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
    });
    const response = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ products { id name stock } }' }),
    });
    expect(await response.json()).toEqual({
      data: {
        products: [
          { id: 'p1', name: 'Espresso Cup', stock: 12 },
          { id: 'p2', name: 'Milk Jug', stock: 0 },
        ],
      },
    });
    // No TypeScript loader in the built gateway's process.
    const ps = spawnSync('ps', ['-o', 'args=', '-p', String(child.pid)], { encoding: 'utf8' });
    expect(ps.stdout).not.toMatch(/tsx/);
  } finally {
    child.kill('SIGTERM');
  }
}, 90_000);
