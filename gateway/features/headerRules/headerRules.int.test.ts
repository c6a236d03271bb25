/**
 * Header rules on GraphQL calls, over real HTTP: a gateway in front of two small subgraphs that record
 * what reaches them, with a rules file that propagates, renames, removes and inserts headers per
 * subgraph and copies headers of a subgraph's answer to the client.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../../lib/logger.js';
import { ConfigError } from '../../../lib/config.js';
import { loadGatewayConfig } from '../../config.js';
import { startGateway, type RunningGateway } from '../../server.js';
import { startTestSupergraph, type TestSupergraph } from '../../testing/testSubgraphs.js';

let supergraph: TestSupergraph;
let gateway: RunningGateway;
let dir: string;

const RULES = `
all:
  request:
    propagate: [x-tenant, x-debug]
    insert: { x-from-gateway: "yes" }
subgraphs:
  catalog:
    request:
      rename: { x-client-version: x-app-version }
      remove: [x-debug]
    response:
      rename: { content-type: x-catalog-content-type }
      insert: { x-catalog-rules: applied }
`;

function env(extra: Record<string, string> = {}) {
  return {
    GATEWAY_PORT: '0',
    GATEWAY_HOST: '127.0.0.1',
    SUPERGRAPH_CONFIG: supergraph.configPath,
    SUBGRAPH_URLS: `catalog=${supergraph.subgraphUrls.catalog},inventory=${supergraph.subgraphUrls.inventory}`,
    SUPERGRAPH_WATCH: 'false',
    RATE_LIMIT: 'false',
    ...extra,
  };
}

beforeAll(async () => {
  supergraph = await startTestSupergraph();
  dir = mkdtempSync(path.join(os.tmpdir(), 'header-rules-'));
  writeFileSync(path.join(dir, 'rules.yaml'), RULES);
  gateway = await startGateway(loadGatewayConfig(env({ HEADER_RULES_FILE: path.join(dir, 'rules.yaml') })), {
    logger: createLogger('gateway', 'silent'),
  });
});

afterAll(async () => {
  await gateway?.close();
  await supergraph?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function query(body: string, headers: Record<string, string>) {
  return fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: body }),
  });
}

test('request rules: propagate, rename, remove and insert per subgraph; identity headers cannot be forged', async () => {
  supergraph.catalog.requests.length = 0;
  supergraph.inventory.requests.length = 0;
  const response = await query('{ products { id name stock } }', {
    'x-tenant': 'acme',
    'x-debug': 'on',
    'x-client-version': '7.1',
    'x-not-listed': 'secret',
    'x-identity-subject': 'mallory',
  });
  expect(response.status).toBe(200);
  const catalog = supergraph.catalog.requests.at(-1)!.headers;
  expect(catalog).toEqual(expect.objectContaining({ 'x-tenant': 'acme', 'x-app-version': '7.1', 'x-from-gateway': 'yes' }));
  expect(catalog['x-debug']).toBeUndefined();
  expect(catalog['x-client-version']).toBeUndefined();
  expect(catalog['x-not-listed']).toBeUndefined();
  expect(catalog['x-identity-subject']).toBeUndefined();

  const inventory = supergraph.inventory.requests.at(-1)!.headers;
  expect(inventory).toEqual(expect.objectContaining({ 'x-tenant': 'acme', 'x-debug': 'on', 'x-from-gateway': 'yes' }));
  expect(inventory['x-app-version']).toBeUndefined();
});

test('response rules copy what they pick from the subgraph answer to the client', async () => {
  const response = await query('{ products { id } }', {});
  expect(response.status).toBe(200);
  expect(response.headers.get('x-catalog-rules')).toBe('applied');
  expect(response.headers.get('x-catalog-content-type')).toMatch(/application\/(graphql-response\+)?json/);
});

test('a rules file that names a protected header stops the start with a message naming it', () => {
  writeFileSync(path.join(dir, 'bad.yaml'), 'subgraphs:\n  catalog:\n    request:\n      propagate: [x-identity-signature]\n');
  let error: unknown;
  try {
    loadGatewayConfig(env({ HEADER_RULES_FILE: path.join(dir, 'bad.yaml') }));
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as Error).message).toMatch(/HEADER_RULES_FILE \(.*bad\.yaml\): subgraphs\.catalog\.request\.propagate\.0: .*identity header/);
  expect(() => loadGatewayConfig(env({ HEADER_RULES_FILE: path.join(dir, 'missing.yaml') }))).toThrow(/cannot be read: ENOENT/);
});
