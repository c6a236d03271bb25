/**
 * `schema.subgraph_url` in supergraph.yaml: the subgraph's SDL is read from the running server over
 * real HTTP, and composes to exactly what the same schema from a file composes to.
 */
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { buildSchema, graphql } from 'graphql';
import { listen, type RunningServer } from '../../../lib/httpServer.js';
import { SupergraphConfigError, composeSupergraphConfig } from './compose.js';
import { SUBGRAPH_SDL_QUERY, SubgraphIntrospectionError, introspectSubgraphSdl } from './subgraphIntrospection.js';
import { CATALOG, INVENTORY, startTestSubgraph, type TestSubgraph } from '../../testing/testSubgraphs.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

let dir: string;
let catalog: TestSubgraph;
let inventory: TestSubgraph;
let products: TestSubgraph;
/** Not a federation subgraph: plain GraphQL at /graphql, an HTML page at /html, no answer at /stall. */
let plain: RunningServer;
let closedPortUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'introspection-test-'));
  const productsSdl = await readFile(path.join(repoRoot, 'subgraphs/products/schema.graphql'), 'utf8');
  [catalog, inventory, products] = await Promise.all([
    startTestSubgraph(CATALOG),
    startTestSubgraph(INVENTORY),
    // Only the schema matters for introspection; nothing here resolves a product.
    startTestSubgraph({ name: 'products', sdl: productsSdl, resolvers: {} }),
  ]);

  const schema = buildSchema('type Query { hello: String }');
  const app = express();
  app.post('/graphql', express.json(), async (req, res) => {
    res.json(await graphql({ schema, source: String(req.body.query), rootValue: { hello: 'hi' } }));
  });
  app.post('/html', (_req, res) => {
    res.status(404).type('text/html').send('<html><body>Not here</body></html>');
  });
  app.post('/stall', () => {
    // Never answers; the client's timeout has to end it.
  });
  plain = await listen(app, 0, '127.0.0.1', 50);

  // A port that was free a moment ago and has nothing listening now.
  const gone = await listen(express(), 0, '127.0.0.1', 50);
  closedPortUrl = `${gone.url}/graphql`;
  await gone.close();
});

afterAll(async () => {
  await Promise.all([catalog?.close(), inventory?.close(), products?.close(), plain?.close()]);
  await rm(dir, { recursive: true, force: true });
});

async function writeYaml(name: string, yaml: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, yaml);
  return file;
}

async function configErrorOf(promise: Promise<unknown>): Promise<SupergraphConfigError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(SupergraphConfigError);
  return error as SupergraphConfigError;
}

describe('composing with schema.subgraph_url', () => {
  it('composes the same supergraph as the equivalent file-based config', async () => {
    await writeFile(path.join(dir, 'catalog.graphql'), CATALOG.sdl);
    await writeFile(path.join(dir, 'inventory.graphql'), INVENTORY.sdl);
    const fromFiles = await writeYaml(
      'files.yaml',
      `federation_version: =2.9.0
subgraphs:
  catalog: { routing_url: http://catalog:4001/graphql, schema: { file: ./catalog.graphql } }
  inventory: { routing_url: http://inventory:4002/graphql, schema: { file: ./inventory.graphql } }
`,
    );
    const fromUrls = await writeYaml(
      'urls.yaml',
      `federation_version: =2.9.0
subgraphs:
  catalog:
    routing_url: http://catalog:4001/graphql
    schema:
      subgraph_url: ${catalog.graphqlUrl}
      introspection_headers:
        authorization: Bearer introspection-token
  inventory:
    routing_url: http://inventory:4002/graphql
    schema: { file: ./inventory.graphql }
`,
    );

    const expected = await composeSupergraphConfig(fromFiles);
    const composed = await composeSupergraphConfig(fromUrls);

    expect(composed.supergraphSdl).toBe(expected.supergraphSdl);
    expect(composed.config.subgraphs.find((s) => s.name === 'catalog')?.sourceName).toBe(catalog.graphqlUrl);
    const request = catalog.requests.at(-1)!;
    expect(request.query).toBe(SUBGRAPH_SDL_QUERY);
    expect(request.headers.authorization).toBe('Bearer introspection-token');
    expect(request.headers['content-type']).toBe('application/json');
  });

  it('composes our products subgraph, introspected, into exactly the committed supergraph.graphql', async () => {
    const config = await writeYaml(
      'platform.yaml',
      `federation_version: =2.9.0
subgraphs:
  products:
    routing_url: http://localhost:4001/graphql
    schema: { subgraph_url: ${products.graphqlUrl} }
  orders:
    routing_url: http://localhost:4002/graphql
    schema: { file: ${path.join(repoRoot, 'subgraphs/orders/schema.graphql')} }
  search:
    routing_url: http://localhost:4003/graphql
    schema: { file: ${path.join(repoRoot, 'subgraphs/search/schema.graphql')} }
`,
    );
    const composed = await composeSupergraphConfig(config);
    const committed = await readFile(path.join(repoRoot, 'supergraph.graphql'), 'utf8');
    expect(composed.supergraphSdl.trim()).toBe(committed.trim());
  });

  it('names the subgraph and URL of every subgraph it cannot introspect, all at once', async () => {
    const config = await writeYaml(
      'broken.yaml',
      `subgraphs:
  down: { routing_url: http://down/graphql, schema: { subgraph_url: ${closedPortUrl} } }
  plain: { routing_url: http://plain/graphql, schema: { subgraph_url: ${plain.url}/graphql } }
  inventory: { routing_url: http://inventory/graphql, schema: { subgraph_url: ${inventory.graphqlUrl} } }
`,
    );
    const error = await configErrorOf(composeSupergraphConfig(config));
    expect(error.problems).toHaveLength(2);
    const [down, notFederation] = error.problems;
    expect(down).toMatch(
      new RegExp(
        `^subgraphs\\.down\\.schema\\.subgraph_url: cannot introspect ${escape(closedPortUrl)}: ` +
          'not reachable \\(.*ECONNREFUSED.*\\); is the subgraph running\\?$',
      ),
    );
    expect(notFederation).toBe(
      `subgraphs.plain.schema.subgraph_url: cannot introspect ${plain.url}/graphql: ` +
        'not a federation subgraph: it has no _service field (Cannot query field "_service" on type "Query".)',
    );
    expect(error.message).toContain('invalid supergraph config');
  });
});

describe('introspectSubgraphSdl', () => {
  async function failureOf(url: string, timeoutMs?: number): Promise<SubgraphIntrospectionError> {
    const error = await introspectSubgraphSdl(url, { timeoutMs }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(SubgraphIntrospectionError);
    return error as SubgraphIntrospectionError;
  }

  it("returns the subgraph's SDL with its federation directives", async () => {
    const sdl = await introspectSubgraphSdl(inventory.graphqlUrl);
    expect(sdl).toMatch(/type Product\s+@key\(fields: "id"\)/);
    expect(sdl).toContain('slow(ms: Int!): Int!');
  });

  it('says when the answer is not JSON, with the status and content type', async () => {
    const error = await failureOf(`${plain.url}/html`);
    expect(error.message).toBe(
      `cannot introspect ${plain.url}/html: the answer is not JSON (HTTP 404, text/html; charset=utf-8); ` +
        "is this the subgraph's GraphQL endpoint?",
    );
  });

  it('gives up after the timeout', async () => {
    const started = Date.now();
    const error = await failureOf(`${plain.url}/stall`, 300);
    expect(error.message).toBe(`cannot introspect ${plain.url}/stall: no answer within 300 ms`);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
