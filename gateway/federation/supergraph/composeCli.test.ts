import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { composeSupergraphConfig } from './compose.js';
import { CATALOG, startTestSubgraph } from '../../testing/testSubgraphs.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('./composeCli.ts', import.meta.url));
const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'compose-cli-test-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function compose(configYaml: string, schemas: Record<string, string>) {
  for (const [file, sdl] of Object.entries(schemas)) await writeFile(path.join(dir, file), sdl);
  await writeFile(path.join(dir, 'supergraph.yaml'), configYaml);
  const out = path.join(dir, 'out', 'supergraph.graphql');
  try {
    const args = ['--import', 'tsx', cli, '--config', path.join(dir, 'supergraph.yaml'), '--out', out];
    const { stdout, stderr } = await run(process.execPath, args);
    return { code: 0, stdout, stderr, out };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, out };
  }
}

const CONFIG = `federation_version: =2.9.0
subgraphs:
  alpha: { routing_url: http://alpha/graphql, schema: { file: ./alpha.graphql } }
  beta: { routing_url: http://beta/graphql, schema: { file: ./beta.graphql } }
`;

describe('npm run compose', () => {
  it('writes the supergraph and says what it did', async () => {
    const result = await compose(CONFIG, {
      'alpha.graphql': `${LINK}\ntype Query { a: Int }`,
      'beta.graphql': `${LINK}\ntype Query { b: Int }`,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('subgraph alpha:');
    expect(result.stdout).toMatch(/Wrote .*supergraph\.graphql/);
    expect(await readFile(result.out, 'utf8')).toContain('@join__graph(name: "beta", url: "http://beta/graphql")');
  }, 30_000);

  it('exits non-zero and prints each composition error with its subgraphs', async () => {
    const result = await compose(CONFIG, {
      'alpha.graphql': `${LINK}\ntype Query { a: T }\ntype T @key(fields: "id") { id: ID! n: Int }`,
      'beta.graphql': `${LINK}\ntype Query { b: T }\ntype T @key(fields: "id") { id: ID! n: String }`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Composition failed');
    expect(result.stderr).toContain('[alpha, beta] FIELD_TYPE_MISMATCH: Type of field "T.n" is incompatible');
  }, 30_000);

  it('introspects schema.subgraph_url subgraphs and composes what the same schema files compose to', async () => {
    const catalog = await startTestSubgraph(CATALOG);
    try {
      const configFor = (schema: string) =>
        `subgraphs:\n  catalog: { routing_url: http://catalog/graphql, schema: { ${schema} } }\n`;
      await writeFile(path.join(dir, 'catalog.graphql'), CATALOG.sdl);
      await writeFile(path.join(dir, 'files.yaml'), configFor('file: ./catalog.graphql'));
      const expected = await composeSupergraphConfig(path.join(dir, 'files.yaml'));

      const result = await compose(configFor(`subgraph_url: ${catalog.graphqlUrl}`), {});
      expect(result.stdout).toContain(`subgraph catalog: introspected ${catalog.graphqlUrl} -> http://catalog/graphql`);
      expect(result.code).toBe(0);
      expect(await readFile(result.out, 'utf8')).toBe(expected.supergraphSdl);

      const closedUrl = catalog.graphqlUrl;
      await catalog.close();
      const unreachable = await compose(configFor(`subgraph_url: ${closedUrl}`), {});
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).toContain(`subgraphs.catalog.schema.subgraph_url: cannot introspect ${closedUrl}: not reachable`);
    } finally {
      await catalog.close();
    }
  }, 30_000);
});
