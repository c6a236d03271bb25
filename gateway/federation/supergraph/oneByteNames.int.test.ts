/**
 * The gateway keeps the supergraph's names one-byte (lib/oneByteNames.ts): started on a supergraph file
 * whose names no code has used yet, and after a reload to a file with new ones, the keys of the
 * answers it reads and writes are one-byte strings. A small real HTTP subgraph answers the fetches.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { stringRepresentation } from '../../../lib/oneByteNames.js';
import { createLogger } from '../../../lib/logger.js';
import { loadGatewayConfig } from '../../config.js';
import { startGateway, type RunningGateway } from '../../server.js';
import { freshName, freshSupergraphs, tableCopy } from '../../testing/stringTable.js';

interface Names {
  type: string;
  root: string;
  leaf: string;
}

let dir: string;
let subgraph: Server;
let subgraphUrl: string;
let supergraphWith: ReturnType<typeof freshSupergraphs>;
let gateway: RunningGateway;
/** What the subgraph answers: built as text, so the test process does not meet the names first. */
let answer = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'one-byte-names-'));
  subgraph = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(answer);
    });
  });
  await new Promise<void>((resolve) => subgraph.listen(0, '127.0.0.1', resolve));
  subgraphUrl = `http://127.0.0.1:${(subgraph.address() as AddressInfo).port}/graphql`;
  supergraphWith = freshSupergraphs('type Query { placeholderRoot: PlaceholderType }\ntype PlaceholderType { placeholderLeaf: String }', subgraphUrl);
});

/** A one-subgraph supergraph with these names: `type Query { <root>: <type> } type <type> { <leaf>: String }`. */
function supergraphOf(names: Names): string {
  return supergraphWith({ PlaceholderType: names.type, placeholderRoot: names.root, placeholderLeaf: names.leaf });
}

afterAll(async () => {
  await gateway?.close();
  await new Promise((resolve) => subgraph?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function ask(names: Names): Promise<string> {
  answer = `{"data":{"${names.root}":{"${names.leaf}":"one"}}}`;
  const response = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: `{"query":"{ ${names.root} { ${names.leaf} } }"}`,
  });
  expect(response.status).toBe(200);
  return response.text();
}

function expectOneByte(names: Names) {
  for (const name of [names.type, names.root, names.leaf]) expect([name, stringRepresentation(tableCopy(name))]).toEqual([name, 'one-byte']);
}

it('serves a supergraph file, then a reloaded one, with their names one-byte', async () => {
  const first: Names = { type: freshName('T'), root: freshName('r'), leaf: freshName('l') };
  const file = path.join(dir, 'supergraph.graphql');
  await writeFile(file, supergraphOf(first));
  gateway = await startGateway(
    loadGatewayConfig({
      GATEWAY_PORT: '0',
      GATEWAY_HOST: '127.0.0.1',
      SUPERGRAPH_PATH: file,
      SUPERGRAPH_WATCH: 'false',
      LOG_LEVEL: 'silent',
      RATE_LIMIT: 'false',
    }),
    { logger: createLogger('gateway', 'silent') },
  );
  expect(await ask(first)).toBe(`{"data":{"${first.root}":{"${first.leaf}":"one"}}}\n`);
  expectOneByte(first);

  const second: Names = { type: freshName('T'), root: freshName('r'), leaf: freshName('l') };
  await writeFile(file, supergraphOf(second));
  expect((await gateway.reloadSupergraph()).status).toBe('updated');
  expect(await ask(second)).toBe(`{"data":{"${second.root}":{"${second.leaf}":"one"}}}\n`);
  expectOneByte(second);
});
