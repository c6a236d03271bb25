/**
 * The gateway over real HTTP in front of two small real subgraphs (catalog and inventory, sharing the
 * Product entity): cross-subgraph queries, what reaches the subgraphs, failures of subgraphs, bad
 * input, health and readiness, and the IDE page.
 */
import { createServer } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../lib/logger.js';
import { composeSupergraphConfig } from './federation/supergraph/compose.js';
import { loadGatewayConfig } from './config.js';
import { startGateway, type RunningGateway } from './server.js';
import { startTestSupergraph, type TestSupergraph } from './testing/testSubgraphs.js';
import { bearer } from './testing/testTokens.js';

const logger = createLogger('gateway', 'silent');

let supergraph: TestSupergraph;
let gateway: RunningGateway;

function gatewayEnv(urls: Record<string, string>, extra: Record<string, string> = {}) {
  return {
    GATEWAY_PORT: '0',
    GATEWAY_HOST: '127.0.0.1',
    SUPERGRAPH_CONFIG: supergraph.configPath,
    SUBGRAPH_URLS: Object.entries(urls)
      .map(([name, url]) => `${name}=${url}`)
      .join(','),
    GATEWAY_BODY_LIMIT: '4kb',
    LOG_LEVEL: 'silent',
    // Each failure here must reach the subgraph; the circuit breaker has its own suite (resilience.int.test.ts).
    BREAKER_FAILURE_THRESHOLD: '1000',
    // Many requests in quick succession from one address; throttling has its own suite (rateLimit.int.test.ts).
    RATE_LIMIT: 'false',
    ...extra,
  };
}

beforeAll(async () => {
  supergraph = await startTestSupergraph();
  gateway = await startGateway(loadGatewayConfig(gatewayEnv(supergraph.subgraphUrls)), { logger });
});

afterAll(async () => {
  await gateway?.close();
  await supergraph?.close();
});

interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

async function graphql(
  query: string,
  options: { headers?: Record<string, string>; url?: string; variables?: Record<string, unknown> } = {},
) {
  const response = await fetch(options.url ?? `${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify({ query, variables: options.variables }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLBody };
}

/** A port nothing listens on: taken from the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('queries across subgraphs', () => {
  it('resolves an entity from both subgraphs in one query', async () => {
    const before = supergraph.inventory.requests.length;
    const { status, body } = await graphql('{ product(id: "p1") { id name stock } products { name stock } }');
    expect(status).toBe(200);
    expect(body).toEqual({
      data: {
        product: { id: 'p1', name: 'Espresso Cup', stock: 12 },
        products: [
          { name: 'Espresso Cup', stock: 12 },
          { name: 'Milk Jug', stock: 0 },
        ],
      },
    });
    const entityCalls = supergraph.inventory.requests.slice(before).filter((r) => r.query.includes('_entities'));
    expect(entityCalls.length).toBeGreaterThan(0);
  });

  it('forwards the verified caller identity, signed, and the request id to the subgraphs', async () => {
    const before = supergraph.catalog.requests.length;
    const { headers, body } = await graphql('{ caller { subject scopes requestId signatureError } product(id: "p2") { name } }', {
      headers: { ...bearer('customer-7', ['orders:admin', 'products:write']), 'x-request-id': 'req-identity-1' },
    });
    expect(body.errors).toBeUndefined();
    expect(body.data?.caller).toEqual({
      subject: 'customer-7',
      scopes: 'orders:admin products:write',
      requestId: 'req-identity-1',
      signatureError: null,
    });
    expect(headers.get('x-request-id')).toBe('req-identity-1');
    const catalogCall = supergraph.catalog.requests[before];
    expect(catalogCall.headers).toMatchObject({
      'x-identity-subject': 'customer-7',
      'x-identity-scopes': 'orders:admin products:write',
      'x-identity-signature': expect.stringMatching(/^v1=[A-Za-z0-9_-]{43}$/),
      'x-request-id': 'req-identity-1',
    });
    // The caller's token stays at the gateway.
    expect(catalogCall.headers.authorization).toBeUndefined();
  });

  it('passes no identity a caller merely claims in headers', async () => {
    const { body } = await graphql('{ caller { subject scopes signatureError } }', {
      headers: { 'x-identity-subject': 'mallory', 'x-identity-scopes': 'orders:admin', 'x-user-id': 'mallory' },
    });
    expect(body.data?.caller).toEqual({ subject: null, scopes: null, signatureError: null });
  });

  it('makes up a request id when the caller sends none, and forwards that one', async () => {
    const { headers, body } = await graphql('{ caller { subject scopes requestId } }');
    const requestId = headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.data?.caller).toEqual({ subject: null, scopes: null, requestId });
  });

  it('answers a GET ?query= from a non-browser client that sends the CSRF header', async () => {
    const response = await fetch(`${gateway.url}/graphql?query=${encodeURIComponent('{ product(id: "p1") { name } }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { product: { name: 'Espresso Cup' } } });
  });
});

describe('dropped connections', () => {
  afterEach(() => supergraph.catalog.dropNextRequests(0));

  it('retries a query once when the subgraph connection breaks', async () => {
    const before = supergraph.catalog.requests.length;
    supergraph.catalog.dropNextRequests(1);
    const { body } = await graphql('{ products { id } }');
    expect(body).toEqual({ data: { products: [{ id: 'p1' }, { id: 'p2' }] } });
    expect(supergraph.catalog.requests.length - before).toBe(2);
  });

  it('never retries a mutation, and names the subgraph in the error', async () => {
    const before = supergraph.catalog.requests.length;
    supergraph.catalog.dropNextRequests(1);
    const { status, body } = await graphql('mutation { renameProduct(id: "p9", name: "Tamper") { id } }');
    expect(status).toBe(200);
    expect(body.data).toBeNull();
    expect(body.errors?.[0]).toMatchObject({
      message: 'Subgraph "catalog" is unreachable',
      extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'catalog' },
    });
    expect(supergraph.catalog.requests.length - before).toBe(1);
  });
});

describe('a subgraph that answers with an error', () => {
  const inventoryError = (message: string, extensions: Record<string, unknown>) =>
    expect.objectContaining({ message, extensions: expect.objectContaining({ serviceName: 'inventory', ...extensions }) });

  it.each([
    [
      'a GraphQL error body with a non-2xx status keeps its message and code',
      {
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ errors: [{ message: 'Down for maintenance', extensions: { code: 'SERVICE_UNAVAILABLE' } }] }),
      },
      inventoryError('Down for maintenance', { code: 'SERVICE_UNAVAILABLE', httpStatus: 503 }),
      3,
    ],
    [
      'a non-2xx status without a GraphQL body',
      { status: 502, contentType: 'text/html', body: '<h1>Bad Gateway</h1>' },
      inventoryError('Subgraph "inventory" answered HTTP 502', { code: 'DOWNSTREAM_SERVICE_ERROR', httpStatus: 502 }),
      3,
    ],
    [
      'a 200 that is not JSON',
      { status: 200, contentType: 'text/plain', body: 'hello' },
      inventoryError('Subgraph "inventory" sent an invalid response', {
        code: 'DOWNSTREAM_SERVICE_ERROR',
        reason: 'INVALID_RESPONSE',
      }),
      1,
    ],
  ])('%s', async (_name, canned, expected, attempts) => {
    // 502 and 503 are worth retrying: the first attempt and both retries get the canned answer.
    supergraph.inventory.answerNextWith(canned, attempts);
    const before = supergraph.inventory.requests.length;
    try {
      const { status, body } = await graphql('{ caller { subject } }');
      expect(status).toBe(200);
      expect(body.errors).toEqual([expected]);
      expect(supergraph.inventory.requests.length - before).toBe(attempts);
    } finally {
      supergraph.inventory.answerNextWith(canned, 0);
    }
  });
});

describe('a subgraph that is down', () => {
  let degraded: RunningGateway;

  beforeAll(async () => {
    const urls = { ...supergraph.subgraphUrls, inventory: `http://127.0.0.1:${await closedPort()}/graphql` };
    degraded = await startGateway(loadGatewayConfig(gatewayEnv(urls)), { logger });
  });

  afterAll(async () => {
    await degraded?.close();
  });

  it('yields an error with the subgraph name and a stable code, keeping data from the others', async () => {
    const { status, body } = await graphql('{ products { name } } ', { url: `${degraded.url}/graphql` });
    expect(status).toBe(200);
    expect(body.data).toEqual({ products: [{ name: 'Espresso Cup' }, { name: 'Milk Jug' }] });

    const failing = await graphql('{ product(id: "p1") { name } caller { subject } }', { url: `${degraded.url}/graphql` });
    expect(failing.status).toBe(200);
    expect(failing.body.errors).toEqual([
      expect.objectContaining({
        message: 'Subgraph "inventory" is unreachable',
        extensions: expect.objectContaining({
          code: 'DOWNSTREAM_SERVICE_ERROR',
          serviceName: 'inventory',
          reason: 'ECONNREFUSED',
        }),
      }),
    ]);
  });

  it('makes /ready answer 503 naming the subgraph, while /health stays 200', async () => {
    const ready = await fetch(`${degraded.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      status: 'not ready',
      checks: { catalog: 'ok', inventory: 'unreachable (ECONNREFUSED)' },
    });
    expect((await fetch(`${degraded.url}/health`)).status).toBe(200);
  });
});

describe('health and readiness', () => {
  it('is ready when every subgraph answers its health check', async () => {
    const ready = await fetch(`${gateway.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { catalog: 'ok', inventory: 'ok' } });
    expect(await (await fetch(`${gateway.url}/health`)).json()).toEqual({ status: 'ok' });
  });

  it('is not ready while a subgraph health check fails', async () => {
    supergraph.catalog.setHealthStatus(503);
    try {
      const ready = await fetch(`${gateway.url}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        status: 'not ready',
        checks: { catalog: 'GET /health answered HTTP 503', inventory: 'ok' },
      });
    } finally {
      supergraph.catalog.setHealthStatus(200);
    }
  });
});

describe('bad input gets a 4xx that names the problem', () => {
  async function post(body: string | undefined, contentType?: string) {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: contentType ? { 'content-type': contentType } : {},
      body,
    });
    return { status: response.status, body: (await response.json()) as GraphQLBody };
  }

  it.each([
    ['malformed JSON', '{"query": ', 'application/json', 400, /Malformed JSON body/],
    ['a non-JSON content type', 'query { products { id } }', 'text/plain', 415, /Content-Type "text\/plain" is not supported/],
    ['form data', 'query=%7B__typename%7D', 'application/x-www-form-urlencoded', 415, /not supported: send application\/json/],
    ['an empty body', undefined, 'application/json', 400, /Request body is empty/],
    ['no body and no content type', undefined, undefined, 400, /Request body is empty/],
    ['an empty JSON object', '{}', 'application/json', 400, /Request body is empty/],
    ['a body without query', '{"variables": {}}', 'application/json', 400, /Missing query/],
    ['a query that is not a string', '{"query": 42}', 'application/json', 400, /queries must be strings/],
    ['a JSON string instead of an object', '"{ __typename }"', 'application/json', 400, /Malformed JSON body/],
    ['a batch (not enabled)', '[{"query": "{ __typename }"}]', 'application/json', 400, /batching/i],
    ['an oversized body', JSON.stringify({ query: `{ __typename } #${'x'.repeat(5_000)}` }), 'application/json', 413,
      /larger than the limit of 4096 bytes/],
    ['a syntax error', '{"query": "{ products { "}', 'application/json', 400, /Syntax Error/],
    ['an unknown field', '{"query": "{ nope }"}', 'application/json', 400, /Cannot query field "nope"/],
    ['variables of the wrong type', '{"query": "query ($id: ID!) { product(id: $id) { id } }", "variables": {"id": {}}}',
      'application/json', 400, /\$id/],
  ])('%s', async (_name, body, contentType, status, message) => {
    const response = await post(body, contentType);
    expect(response.status).toBe(status);
    expect(response.body.errors?.[0].message).toMatch(message);
  });

  it('blocks a GET without the CSRF header (simple requests a browser could forge)', async () => {
    const response = await fetch(`${gateway.url}/graphql?query=${encodeURIComponent('{ __typename }')}`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as GraphQLBody).errors?.[0].message).toMatch(/Cross-Site Request Forgery/);
  });

  it('answers 405 to other methods and 404 to unknown paths', async () => {
    const put = await fetch(`${gateway.url}/graphql`, { method: 'PUT', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(put.status).toBe(405);
    const missing = await fetch(`${gateway.url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'No route for GET /nowhere' } });
  });
});

describe('the IDE page', () => {
  const browserAccept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

  it('serves the self-contained GraphiQL page to browsers, gzipped and with an ETag', async () => {
    const response = await fetch(`${gateway.url}/graphql`, { headers: { accept: browserAccept, 'accept-encoding': 'gzip' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(response.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await response.text();
    expect(html).toContain('<title>GraphQL IDE</title>');
    expect(html).toContain('"endpoint":"/graphql"');
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/);
    expect(html).not.toMatch(/<link[^>]+href=["']https?:/);

    const etag = response.headers.get('etag')!;
    const again = await fetch(`${gateway.url}/graphql`, { headers: { accept: browserAccept, 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it('is not served to GraphQL clients', async () => {
    const response = await fetch(`${gateway.url}/graphql`, { headers: { accept: 'application/json' } });
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  });
});

describe('configuration at start', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gateway-config-test-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves a supergraph composed ahead of time (SUPERGRAPH_PATH), hiding stack traces in production', async () => {
    const supergraphPath = path.join(dir, 'supergraph.graphql');
    await writeFile(supergraphPath, (await composeSupergraphConfig(supergraph.configPath)).supergraphSdl);
    const config = loadGatewayConfig(
      gatewayEnv(supergraph.subgraphUrls, {
        SUPERGRAPH_PATH: supergraphPath,
        NODE_ENV: 'production',
        SUBGRAPH_TIMEOUT_MS: '300',
        IDENTITY_SIGNING_SECRET: 'production-identity-signing-secret',
        INTERNAL_SERVICE_TOKEN: 'production-internal-service-token',
      }),
    );
    const production = await startGateway(config, { logger });
    try {
      const url = `${production.url}/graphql`;
      expect((await graphql('{ product(id: "p1") { name stock } }', { url })).body).toEqual({
        data: { product: { name: 'Espresso Cup', stock: 12 } },
      });

      const invalid = await graphql('{ nope }', { url });
      expect(invalid.body.errors?.[0].extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
      // The same error outside production carries a stack trace, so the check above can fail.
      expect((await graphql('{ nope }')).body.errors?.[0].extensions?.stacktrace).toBeDefined();

      const slow = await graphql('{ slow(ms: 2000) }', { url });
      expect(slow.body.errors?.[0]).toEqual({
        message: 'Subgraph "inventory" did not answer within 300 ms',
        extensions: { code: 'GATEWAY_TIMEOUT', serviceName: 'inventory', reason: 'TIMEOUT' },
      });
    } finally {
      await production.close();
    }
  });

  it('refuses SUBGRAPH_URLS entries for subgraphs the supergraph does not have', async () => {
    const urls = { ...supergraph.subgraphUrls, reviews: 'http://127.0.0.1:1/graphql' };
    await expect(startGateway(loadGatewayConfig(gatewayEnv(urls)), { logger })).rejects.toThrow(
      'SUBGRAPH_URLS names subgraphs the supergraph does not have: reviews (it has: catalog, inventory)',
    );
  });

  it('says how to get a supergraph when SUPERGRAPH_PATH does not exist', async () => {
    const config = loadGatewayConfig(gatewayEnv(supergraph.subgraphUrls, { SUPERGRAPH_PATH: path.join(dir, 'missing.graphql') }));
    await expect(startGateway(config, { logger })).rejects.toThrow(/missing\.graphql: not found \(compose one with npm run compose/);
  });
});
