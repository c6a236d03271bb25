/**
 * `npm run subgraph:new` in a temporary copy of the repository: the command's output and what it
 * wrote, the generated code typechecks and passes its own tests, the platform started from the copy
 * serves the new subgraph's fields through the gateway, and a subgraph added while that platform runs
 * becomes queryable through the same gateway without a restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { composeSupergraphConfig } from '../../gateway/federation/supergraph/compose.js';
import { as, listedSubgraphs, testPlatformEnv } from '../support/platform.js';
import { freePort } from '../support/serviceProcesses.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Not sources: installed packages (linked instead), history, data, build and test output, local secrets. */
const NOT_COPIED = new Set(['node_modules', '.git', '.data', 'dist', 'coverage', 'test-results', '.env']);

let copy: string;
let database: TestDatabase;
let platform: ChildProcess | undefined;
let platformOutput = '';
let gatewayUrl: string;

beforeAll(() => {
  copy = mkdtempSync(path.join(tmpdir(), 'subgraph-new-'));
  cpSync(ROOT, copy, {
    recursive: true,
    filter: (source) => !NOT_COPIED.has(path.relative(ROOT, source).split(path.sep)[0]),
  });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  // The databases of both new subgraphs start as template copies, like the others (PGlite).
  database = createTestDatabase([...listedSubgraphs(), 'reviews', 'notes']);
});

afterAll(async () => {
  if (platform && platform.exitCode === null) {
    platform.kill('SIGTERM');
    const exited = await Promise.race([
      new Promise((resolve) => platform!.once('exit', () => resolve(true))),
      new Promise((resolve) => setTimeout(() => resolve(false), 15_000)),
    ]);
    if (!exited) platform.kill('SIGKILL');
  }
  await database?.dispose();
  if (copy) rmSync(copy, { recursive: true, force: true });
}, 30_000);

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in the copy to its end. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: copy, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const newSubgraph = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'scripts/newSubgraph.ts', ...args]);
const inCopy = (file: string) => readFileSync(path.join(copy, file), 'utf8');

async function graphql(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const response = await fetch(`${gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: { message: string; extensions?: any }[] };
}

describe('npm run subgraph:new', () => {
  it('scaffolds the subgraph and registers it, saying what it does', async () => {
    const yamlBefore = inCopy('supergraph.yaml');
    const result = await newSubgraph('reviews');
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    for (const line of [
      'Creating the subgraph "reviews"',
      'port 4004 (the next one no subgraph in supergraph.yaml uses)',
      'composed it with products, orders, search: ok',
      'created subgraphs/reviews/schema.graphql',
      'created subgraphs/reviews/reviews.int.test.ts',
      'updated supergraph.yaml (reviews -> http://localhost:4004/graphql',
      "updated docker-compose.yml (service reviews, db-proxy's DB_PROXY_CREDENTIALS, x-gateway's SUBGRAPH_URLS",
      'updated .env.example (REVIEWS_PORT, REVIEWS_HOST, REVIEWS_DB_CREDENTIAL)',
      'updated package.json (script start:reviews)',
      'updated supergraph.graphql (composed from 4 subgraphs)',
    ]) {
      expect(result.stdout).toContain(line);
    }

    for (const file of ['schema.graphql', 'config.ts', 'migrations.ts', 'resolvers.ts', 'entryStore.ts', 'service.ts', 'main.ts', 'README.md']) {
      expect(existsSync(path.join(copy, 'subgraphs/reviews', file))).toBe(true);
    }
    expect(inCopy('subgraphs/reviews/schema.graphql')).toMatch(/type Product @key\(fields: "id"\) \{\s+id: ID!\s+"""[^"]+"""\s+reviews: \[ReviewsEntry!\]!/);
    // The yaml keeps its comments; the entry is appended.
    expect(inCopy('supergraph.yaml').startsWith(yamlBefore.trimEnd())).toBe(true);
    expect(parse(inCopy('supergraph.yaml')).subgraphs.reviews.routing_url).toBe('http://localhost:4004/graphql');
    const compose = parse(inCopy('docker-compose.yml'), { merge: true });
    expect(compose.services.reviews.environment.REVIEWS_DB_CREDENTIAL).toBeDefined();
    expect(compose.services['db-proxy'].environment.DB_PROXY_CREDENTIALS).toContain(',reviews=');
    expect(inCopy('.env.example')).toContain('\nREVIEWS_DB_CREDENTIAL=dev-only-reviews-db-secret-change-me\n');
    expect(JSON.parse(inCopy('package.json')).scripts['start:reviews']).toBe('tsx subgraphs/reviews/main.ts');
    // supergraph.graphql is what `npm run compose` makes of the new supergraph.yaml.
    const composed = await composeSupergraphConfig(path.join(copy, 'supergraph.yaml'));
    expect(inCopy('supergraph.graphql')).toBe(composed.supergraphSdl);
    expect(composed.hints.filter((hint) => hint.subgraphs.includes('reviews'))).toEqual([]);
  });

  it('refuses a name that is taken or malformed, naming the problem and writing nothing', async () => {
    const yamlBefore = inCopy('supergraph.yaml');
    const [again, malformed] = await Promise.all([newSubgraph('reviews'), newSubgraph('Ratings')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/the name "reviews" is taken:\n {2}- supergraph.yaml already lists a subgraph "reviews"\n {2}- subgraphs\/reviews\/ already exists/);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toMatch(/"Ratings" is not a valid subgraph name: use lower-case letters and digits/);
    for (const refused of [again, malformed]) expect(refused.stderr).toContain('Nothing was written.');
    expect(inCopy('supergraph.yaml')).toBe(yamlBefore);
  });

  it('generates code that typechecks and passes its own tests', async () => {
    writeFileSync(
      path.join(copy, 'tsconfig.generated.json'),
      JSON.stringify({ extends: './tsconfig.json', include: ['subgraphs/reviews'] }),
    );
    const childEnv: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '--experimental-vm-modules' };
    delete childEnv.JEST_WORKER_ID;
    const [typecheck, tests] = await Promise.all([
      run(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'tsconfig.generated.json']),
      // Its own tests, and the repository's checks of docker-compose.yml, .env.example and supergraph.graphql.
      run(
        process.execPath,
        [
          'node_modules/jest/bin/jest.js',
          '--ci',
          '--selectProjects',
          'unit',
          'integration',
          '--',
          'subgraphs/reviews/',
          'tests/deployment.test.ts',
          'tests/supergraph.test.ts',
        ],
        childEnv,
      ),
    ]);
    expect({ code: typecheck.code, output: typecheck.stdout + typecheck.stderr }).toEqual({ code: 0, output: '' });
    expect({ code: tests.code, output: tests.code === 0 ? '' : tests.stderr }).toEqual({ code: 0, output: '' });
    expect(tests.stderr).toContain('PASS integration subgraphs/reviews/reviews.int.test.ts');
    expect(tests.stderr).toContain('PASS unit tests/deployment.test.ts');
  }, 90_000);

  it('runs in the platform started from the copy, and the gateway serves its fields', async () => {
    const env = {
      ...testPlatformEnv(database, {}, [...listedSubgraphs(), 'reviews']),
      // The subgraph added while the platform runs (next test) listens on the loopback interface too.
      NOTES_HOST: '127.0.0.1',
      ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    };
    platform = spawn(process.execPath, ['platform/start.mjs'], { cwd: copy, env, stdio: ['ignore', 'pipe', 'pipe'] });
    platform.stdout!.on('data', (chunk) => (platformOutput += chunk));
    platform.stderr!.on('data', (chunk) => (platformOutput += chunk));
    gatewayUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the platform did not start in time:\n${platformOutput}`)), 60_000);
      const check = () => {
        const url = /GraphQL endpoint \+ IDE +(http:\/\/\S+)\/graphql/.exec(platformOutput)?.[1];
        if (url) {
          clearTimeout(timer);
          resolve(url);
        }
      };
      platform!.stderr!.on('data', check);
      platform!.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the platform exited with ${code}:\n${platformOutput}`));
      });
    });
    expect(platformOutput).toMatch(/subgraph reviews +http:\/\/127\.0\.0\.1:\d+\/graphql/);

    const anonymous = await graphql('mutation { addReviewsEntry(productId: "prod_0001", body: "Anonymous") { id } }');
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const added = await graphql(
      'mutation ($body: String!) { addReviewsEntry(productId: "prod_0001", body: $body) { id author product { id name } } }',
      { body: 'Holds up after a year' },
      as('alice'),
    );
    expect(added.errors).toBeUndefined();
    expect(added.data.addReviewsEntry).toMatchObject({ author: 'alice', product: { id: 'prod_0001' } });

    const read = await graphql('{ product(id: "prod_0001") { id name reviewsCount reviews { body author } } }');
    expect(read.errors).toBeUndefined();
    expect(read.data.product).toEqual({
      id: 'prod_0001',
      name: added.data.addReviewsEntry.product.name,
      reviewsCount: 1,
      reviews: [{ body: 'Holds up after a year', author: 'alice' }],
    });
  }, 90_000);

  it('picks up a subgraph added while the platform runs, through the same gateway, without a restart', async () => {
    expect(gatewayUrl).toBeDefined();
    // The gateway routes to supergraph.yaml's URL, so the new subgraph's port is chosen up front.
    const port = await freePort();
    const result = await newSubgraph('notes', '--port', String(port));
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`port ${port} (as given)`);

    const deadline = Date.now() + 30_000;
    let added: Awaited<ReturnType<typeof graphql>> | undefined;
    while (Date.now() < deadline) {
      added = await graphql('mutation { addNotesEntry(productId: "prod_0002", body: "Check the hinge") { id } }', {}, as('bob'));
      if (!added.errors) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect({ errors: added?.errors, platform: added?.errors ? platformOutput : '' }).toEqual({ errors: undefined, platform: '' });

    const read = await graphql('{ product(id: "prod_0002") { id notesCount notes { body author } } }');
    expect(read).toEqual({
      data: { product: { id: 'prod_0002', notesCount: 1, notes: [{ body: 'Check the hinge', author: 'bob' }] } },
    });
    expect(platformOutput).toContain('[platform] supergraph.yaml lists a new subgraph, notes: starting it');
    expect(platformOutput).toContain(`[platform] notes is running at http://127.0.0.1:${port}/graphql`);
    expect(platformOutput).not.toMatch(/warning: supergraph.yaml routes notes/);
  }, 60_000);
});
