/**
 * The gateway's answers to hostile or unusual HTTP input: cross-origin calls, batches, introspection
 * and error details in production, through real HTTP in front of small real subgraphs.
 */
import { createLogger } from '../lib/logger.js';
import { loadGatewayConfig } from './config.js';
import { startGateway, type RunningGateway } from './server.js';
import { startTestSupergraph, type TestSupergraph } from './testing/testSubgraphs.js';

const logger = createLogger('gateway', 'silent');
let supergraph: TestSupergraph;
const gateways: RunningGateway[] = [];

async function gatewayWith(extra: Record<string, string>): Promise<RunningGateway> {
  const gateway = await startGateway(
    loadGatewayConfig({
      GATEWAY_PORT: '0',
      GATEWAY_HOST: '127.0.0.1',
      SUPERGRAPH_CONFIG: supergraph.configPath,
      SUPERGRAPH_WATCH: 'false',
      SUBGRAPH_URLS: Object.entries(supergraph.subgraphUrls).map(([n, u]) => `${n}=${u}`).join(','),
      LOG_LEVEL: 'silent',
      ...extra,
    }),
    { logger },
  );
  gateways.push(gateway);
  return gateway;
}

const post = (gateway: RunningGateway, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  supergraph = await startTestSupergraph();
});

afterAll(async () => {
  for (const gateway of gateways) await gateway.close();
  await supergraph?.close();
});

describe('CORS', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await gatewayWith({ CORS_ORIGINS: 'https://app.example.com' });
  });

  it('answers a preflight from an allowed origin, before authentication', async () => {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(response.headers.get('access-control-allow-headers')).toBe('content-type, authorization');
    expect(response.headers.get('vary')).toMatch(/Origin/);
  });

  it('gives no CORS headers to another origin', async () => {
    const preflight = await fetch(`${gateway.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.net', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const call = await post(gateway, { query: '{ products { id } }' }, { origin: 'https://evil.example.net' });
    expect(call.headers.get('access-control-allow-origin')).toBeNull();
    const allowed = await post(gateway, { query: '{ products { id } }' }, { origin: 'https://app.example.com' });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  });
});

describe('batches', () => {
  it('are refused unless enabled', async () => {
    const gateway = await gatewayWith({});
    const response = await post(gateway, [{ query: '{ products { id } }' }]);
    expect(response.status).toBe(400);
    expect((await response.json()).errors[0].message).toMatch(/batching is not enabled/);
  });

  it('run when enabled, up to the limit', async () => {
    const gateway = await gatewayWith({ GATEWAY_BATCHING: 'true', GATEWAY_MAX_BATCH: '2' });
    const ok = await post(gateway, [{ query: '{ products { id } }' }, { query: '{ product(id: "p1") { name } }' }]);
    expect(ok.status).toBe(200);
    const results = await ok.json();
    expect(results).toHaveLength(2);
    expect(results[1].data.product.name).toBe('Espresso Cup');
    const tooLong = await post(gateway, Array.from({ length: 3 }, () => ({ query: '{ products { id } }' })));
    expect(tooLong.status).toBe(400);
    expect((await tooLong.json()).errors[0].message).toMatch(/1 to 2 operations; this one has 3/);
  });
});

describe('production', () => {
  // Production refuses the development secrets; these stand in for real ones.
  const PRODUCTION = {
    NODE_ENV: 'production',
    IDENTITY_SIGNING_SECRET: 'test-signing-secret-0123456789abcdef',
    INTERNAL_SERVICE_TOKEN: 'test-internal-token-0123456789abcdef',
  };
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await gatewayWith(PRODUCTION);
  });

  it('turns introspection off unless enabled', async () => {
    const response = await post(gateway, { query: '{ __schema { queryType { name } } }' });
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.errors[0].message).toMatch(/introspection/i);
    const enabled = await gatewayWith({ ...PRODUCTION, INTROSPECTION: 'true' });
    const allowed = await post(enabled, { query: '{ __schema { queryType { name } } }' });
    expect((await allowed.json()).data.__schema.queryType.name).toBe('Query');
  });

  it('keeps intended errors and never shows stack traces', async () => {
    const response = await post(gateway, { query: '{ products { nope } }' });
    const body = await response.json();
    expect(body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(body)).not.toMatch(/stacktrace|at .*\.js:\d+/);
  });
});
