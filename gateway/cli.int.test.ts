/**
 * `npm run gateway` as a user runs it: a child process on a free port, in front of supergraphs it
 * knows nothing about: one composed from small subgraphs (given with flags) and a Federation 1
 * supergraph in the `@core` / `join` v0.1 format (given with environment variables).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request as undiciRequest } from 'undici';
import { composeSupergraphConfig } from './federation/supergraph/compose.js';
import { startTestSupergraph, type TestSupergraph } from './testing/testSubgraphs.js';

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));
const READY_LINE = /^Gateway ready at (http:\/\/\S+)$/m;

/** What Federation 1 composition (rover with federation_version 1) wrote, for catalog and inventory. */
const fed1Supergraph = (urls: { catalog: string; inventory: string }) => `
schema
  @core(feature: "https://specs.apollo.dev/core/v0.1"),
  @core(feature: "https://specs.apollo.dev/join/v0.1")
{
  query: Query
  mutation: Mutation
}

directive @core(feature: String!) repeatable on SCHEMA

directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet) on FIELD_DEFINITION

directive @join__type(graph: join__Graph!, key: join__FieldSet) repeatable on OBJECT | INTERFACE

directive @join__owner(graph: join__Graph!) on OBJECT | INTERFACE

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

scalar join__FieldSet

enum join__Graph {
  CATALOG @join__graph(name: "catalog" url: "${urls.catalog}")
  INVENTORY @join__graph(name: "inventory" url: "${urls.inventory}")
}

type Mutation {
  renameProduct(id: ID!, name: String!): Product! @join__field(graph: CATALOG)
}

type Product
  @join__owner(graph: CATALOG)
  @join__type(graph: CATALOG, key: "id")
  @join__type(graph: INVENTORY, key: "id")
{
  id: ID! @join__field(graph: CATALOG)
  name: String! @join__field(graph: CATALOG)
  stock: Int! @join__field(graph: INVENTORY)
}

type Query {
  product(id: ID!): Product @join__field(graph: CATALOG)
  products: [Product!]! @join__field(graph: CATALOG)
}
`;

interface RunningCli {
  child: ChildProcess;
  graphqlUrl: string;
  stdout: () => string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

const children: ChildProcess[] = [];

/** Starts the CLI and resolves once it prints its ready line; rejects with its output if it exits first. */
function startCli(args: string[], env: Record<string, string> = {}): Promise<RunningCli> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within 45 s\n${stdout}\n${stderr}`)), 45_000);
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const ready = READY_LINE.exec(stdout);
      if (ready) {
        clearTimeout(timer);
        resolve({
          child,
          graphqlUrl: ready[1],
          stdout: () => stdout,
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before it was ready\n${stdout}\n${stderr}`));
    });
  });
}

/** Runs the CLI to its exit. */
function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

/** The processes a process started (the gateway workers of a supervisor). */
function childPids(pid: number): number[] {
  const result = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  return result.stdout.split('\n').filter(Boolean).map(Number);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One request on a connection of its own, closed afterwards. */
async function graphqlOnNewConnection(url: string, query: string) {
  const agent = new Agent({ pipelining: 0 });
  try {
    const response = await undiciRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
      dispatcher: agent,
    });
    return { status: response.statusCode, body: (await response.body.json()) as unknown };
  } finally {
    await agent.close();
  }
}

async function graphql(url: string, query: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

let supergraph: TestSupergraph;
let dir: string;

beforeAll(async () => {
  supergraph = await startTestSupergraph();
  dir = await mkdtemp(path.join(os.tmpdir(), 'gateway-cli-test-'));
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await supergraph?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('npm run gateway', () => {
  it('serves a Federation 2 supergraph from flags and a Federation 1 supergraph from the environment', async () => {
    // Composed elsewhere, with routing URLs that do not resolve: --subgraph-urls points at the real ones.
    const fed2Path = path.join(dir, 'supergraph.graphql');
    await writeFile(fed2Path, (await composeSupergraphConfig(supergraph.configPath)).supergraphSdl);
    const fed1Path = path.join(dir, 'fed1-supergraph.graphql');
    await writeFile(
      fed1Path,
      fed1Supergraph({ catalog: supergraph.catalog.graphqlUrl, inventory: supergraph.inventory.graphqlUrl }),
    );
    const urls = Object.entries(supergraph.subgraphUrls)
      .map(([name, url]) => `${name}=${url}`)
      .join(',');

    const [fed2, fed1] = await Promise.all([
      startCli(['--supergraph', fed2Path, '--port', '0', '--host', '127.0.0.1', '--subgraph-urls', urls, '--no-watch']),
      startCli([], { SUPERGRAPH_PATH: fed1Path, GATEWAY_PORT: '0', GATEWAY_HOST: '127.0.0.1', SUPERGRAPH_WATCH: 'false' }),
    ]);
    expect(fed2.stdout()).toMatch(/subgraphs: catalog, inventory; hot reload off/);

    for (const gateway of [fed2, fed1]) {
      expect(await graphql(gateway.graphqlUrl, '{ products { __typename id name stock } }')).toEqual({
        status: 200,
        body: {
          data: {
            products: [
              { __typename: 'Product', id: 'p1', name: 'Espresso Cup', stock: 12 },
              { __typename: 'Product', id: 'p2', name: 'Milk Jug', stock: 0 },
            ],
          },
        },
      });
    }
    expect(await graphql(fed1.graphqlUrl, 'mutation { renameProduct(id: "p2", name: "Pitcher") { name stock } }')).toEqual({
      status: 200,
      body: { data: { renameProduct: { name: 'Pitcher', stock: 0 } } },
    });
    const ready = await fetch(fed1.graphqlUrl.replace(/\/graphql$/, '/ready'));
    expect(await ready.json()).toEqual({ status: 'ready', checks: { catalog: 'ok', inventory: 'ok' } });

    // SIGTERM drains and exits cleanly.
    expect(await Promise.all([fed2.stop(), fed1.stop()])).toEqual([0, 0]);
  }, 90_000);

  it('runs several workers on one port with --workers, replaces one that dies, and stops them all on SIGTERM', async () => {
    const supergraphPath = path.join(dir, 'workers-supergraph.graphql');
    await writeFile(supergraphPath, (await composeSupergraphConfig(supergraph.configPath)).supergraphSdl);
    const urls = Object.entries(supergraph.subgraphUrls)
      .map(([name, url]) => `${name}=${url}`)
      .join(',');
    const cli = await startCli(['--supergraph', supergraphPath, '--port', '0', '--host', '127.0.0.1', '--subgraph-urls', urls, '--workers', '2']);
    expect(cli.stdout()).toMatch(/; 2 workers\n/);
    const workers = childPids(cli.child.pid!);
    expect(workers).toHaveLength(2);
    const answers = await Promise.all(Array.from({ length: 20 }, () => graphql(cli.graphqlUrl, '{ products { id stock } }')));
    expect(answers.every((a) => a.status === 200 && JSON.stringify(a.body).includes('"stock":12'))).toBe(true);

    // A worker that dies (after its first seconds) is replaced; the other one answers meanwhile
    // (on new connections: those the dead worker held die with it).
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    process.kill(workers[0], 'SIGKILL');
    await waitFor(() => !isAlive(workers[0]));
    expect((await graphqlOnNewConnection(cli.graphqlUrl, '{ products { id } }')).status).toBe(200);
    await waitFor(() => {
      const now = childPids(cli.child.pid!);
      return now.length === 2 && !now.includes(workers[0]);
    });
    const after = await Promise.all(Array.from({ length: 10 }, () => graphqlOnNewConnection(cli.graphqlUrl, '{ products { id } }')));
    expect(after.map((a) => a.status)).toEqual(Array(10).fill(200));

    const remaining = childPids(cli.child.pid!);
    expect(await cli.stop()).toBe(0);
    for (const pid of remaining) expect(isAlive(pid)).toBe(false);
  }, 90_000);

  it('exits 1 with a message naming the flag when a value is wrong', async () => {
    const { code, stderr } = await runCli(['--port', 'eighty', '--supergraph', path.join(dir, 'missing.graphql')]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/gateway: invalid configuration:\n {2}- --port: /);
  }, 60_000);

  it('exits 1 saying how to get a supergraph when the file is missing', async () => {
    const { code, stderr } = await runCli(['--supergraph', path.join(dir, 'missing.graphql'), '--port', '0']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/missing\.graphql: not found \(compose one with npm run compose/);
  }, 60_000);
});
