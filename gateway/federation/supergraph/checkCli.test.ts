/**
 * `npm run check` as a developer runs it: a child process in the repository, against the real
 * supergraph.yaml and the committed supergraph.graphql; changed schemas are temporary copies.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const cli = fileURLToPath(new URL('./checkCli.ts', import.meta.url));

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'check-cli-test-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function check(args: string[], stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/** A copy of a real subgraph schema with one edit, in the temporary directory. */
async function editedSchema(subgraph: string, edit: (sdl: string) => string): Promise<string> {
  const sdl = await readFile(path.join(repoRoot, 'subgraphs', subgraph, 'schema.graphql'), 'utf8');
  const edited = edit(sdl);
  expect(edited).not.toBe(sdl);
  const file = path.join(dir, `${subgraph}-${Math.random().toString(36).slice(2)}.graphql`);
  await writeFile(file, edited);
  return file;
}

const withoutDescription = (sdl: string) => sdl.replace(/(type Product @key[^{]*\{[^}]*?)\n {2}description: String!/, '$1');

describe('npm run check', () => {
  it('passes a subgraph whose schema file matches the supergraph, and says so', async () => {
    const result = await check(['products']);
    expect(result.stderr).toContain('Composing products (subgraphs/products/schema.graphql) with orders, search');
    expect(result.stdout).toContain('Composition: ok');
    expect(result.stdout.trim().split('\n').at(-1)).toBe('PASSED: no breaking changes (the API schema is unchanged).');
    expect(result.code).toBe(0);
  }, 30_000);

  it('exits 1 and names the field when a changed schema removes Product.description', async () => {
    const schema = await editedSchema('products', withoutDescription);
    const result = await check(['products', '--schema', schema]);
    expect(result.stdout).toMatch(/Breaking changes \(1\):\n {2}FIELD_REMOVED {2}Product\.description was removed\./);
    expect(result.stdout).toContain('FAILED: 1 breaking change for clients.');
    expect(result.code).toBe(1);
  }, 30_000);

  it('gives a machine-readable report with --json, reading the schema from stdin', async () => {
    const sdl = withoutDescription(await readFile(path.join(repoRoot, 'subgraphs/products/schema.graphql'), 'utf8'));
    const result = await check(['products', '--schema', '-', '--json'], sdl);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      status: 'failed',
      subgraph: 'products',
      schemaSource: '<stdin>',
      currentSupergraph: 'supergraph.graphql',
      compositionErrors: [],
      breakingChanges: [{ type: 'FIELD_REMOVED', description: 'Product.description was removed.' }],
    });
  }, 30_000);

  it('exits 1 on a composition error and names the subgraphs involved', async () => {
    const schema = await editedSchema('orders', (sdl) => sdl.replace('  amountCents: Int!\n', '  amountCents: Float!\n'));
    const result = await check(['orders', '--schema', schema, '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.status).toBe('failed');
    expect(report.compositionErrors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'FIELD_TYPE_MISMATCH', subgraphs: expect.arrayContaining(['orders']) }),
      ]),
    );
  }, 30_000);

  it('exits 2 when the check cannot run: unknown subgraph, bad new name, missing supergraph, missing argument', async () => {
    const schema = path.join(repoRoot, 'subgraphs/search/schema.graphql');
    const [unknown, badName, noSupergraph, noArgument] = await Promise.all([
      check(['reviews']),
      check(['my reviews', '--schema', schema]),
      check(['products', '--supergraph', path.join(dir, 'missing.graphql')]),
      check([]),
    ]);
    expect(badName.stderr).toContain('error: "my reviews" cannot name a new subgraph');
    expect(badName.code).toBe(2);
    expect(unknown.stderr).toContain(
      'error: subgraph "reviews" is not in supergraph.yaml (it lists products, orders, search); ' +
        'to check a new subgraph, give its schema with --schema',
    );
    expect(unknown.code).toBe(2);
    expect(noSupergraph.stderr).toMatch(/error: supergraph .*missing\.graphql not found: .*npm run compose/);
    expect(noSupergraph.code).toBe(2);
    expect(noArgument.stderr).toContain("missing required argument 'subgraph'");
    expect(noArgument.code).toBe(2);
  }, 30_000);
});
