/**
 * Observability across the platform, on real HTTP between the five services: one trace per request
 * spanning gateway, subgraphs and proxy (W3C traceparent on every hop), one JSON log line per request
 * with its request id and trace id and no secret in any line, and Prometheus metrics on every service.
 */
import { randomBytes } from 'node:crypto';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createLogger, type Logger } from '../../lib/logger.js';
import { createTracing } from '../../lib/tracing.js';
import { startPlatform, type RunningPlatform } from '../../platform/startPlatform.js';
import { as, listedSubgraphs, testPlatformEnv, waitForQuietProxy } from '../support/platform.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const SERVICES = ['gateway', 'products', 'orders', 'search', 'db-proxy'];
const exporter = new InMemorySpanExporter();
const logLines: Record<string, unknown>[] = [];
let rawLog = '';
let platform: RunningPlatform;
let database: TestDatabase;

function capturingLogger(service: string): Logger {
  return createLogger(service, 'info', {
    write(text: string) {
      rawLog += text;
      for (const line of text.split('\n')) if (line.trim()) logLines.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
}

beforeAll(async () => {
  database = createTestDatabase(listedSubgraphs());
  platform = await startPlatform({
    // The search index's first sync pass runs at start; later passes would only add requests to the logs.
    env: testPlatformEnv(database, { LOG_LEVEL: 'info', SEARCH_SYNC_INTERVAL_MS: '600000' }),
    tracing: (service) => createTracing({ service, exporter }),
    logger: capturingLogger,
  });
  await waitForQuietProxy(platform);
}, 120_000);

afterAll(async () => {
  await platform?.close();
  await database?.dispose();
});

/** The value of the sample of `name` whose labels include `labels` (in any order), or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const pairs = new Map([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => pairs.get(key) === value)) return Number(match[3]);
  }
  return undefined;
}

const serviceOf = (span: ReadableSpan) => String(span.resource.attributes['service.name']);

async function graphql(query: string, headers: Record<string, string>, variables?: Record<string, unknown>) {
  const response = await fetch(`${platform.gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: unknown[] } };
}

/** A caller's traceparent, so the test knows the trace id to look for. */
function newTraceparent(): { traceId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, header: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

/** Spans of one trace, once every service's server span of it has ended (the gateway's ends last). */
async function spansOf(traceId: string): Promise<ReadableSpan[]> {
  for (;;) {
    const spans = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
    if (spans.some((span) => serviceOf(span) === 'gateway' && span.name.startsWith('POST'))) return spans;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const JOIN_QUERY =
  '{ search(query: "lamp", first: 1) { hits { product { name stock } } } myOrders(first: 1) { nodes { total { formatted } items { product { name category } } } } }';

test('one request that joins the three subgraphs is one trace across all five services', async () => {
  const { traceId, header } = newTraceparent();
  const { status, body } = await graphql(JOIN_QUERY, { ...as('alice'), traceparent: header });
  expect(status).toBe(200);
  expect(body.errors).toBeUndefined();

  const spans = await spansOf(traceId);
  expect(new Set(spans.map(serviceOf))).toEqual(new Set(SERVICES));
  const names = (service: string) => spans.filter((span) => serviceOf(span) === service).map((span) => span.name);
  expect(names('gateway')).toEqual(
    expect.arrayContaining(['parse', 'validate', 'plan', 'subgraph search', 'subgraph orders', 'subgraph products', 'POST /graphql']),
  );
  expect(names('orders')).toEqual(expect.arrayContaining(['query anonymous', 'resolve Query.myOrders', 'db-proxy POST /v1/query']));
  expect(names('db-proxy')).toEqual(expect.arrayContaining(['POST /v1/query', 'db.statement']));
  // One tree: every span but the caller's root has its parent in the trace, whichever service made it.
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  const orphans = spans.filter((span) => !ids.has(span.parentSpanContext?.spanId ?? ''));
  expect(orphans.map((span) => `${serviceOf(span)} ${span.name}`)).toEqual(['gateway POST /graphql']);
  // SQL text is recorded, parameters never.
  const statement = spans.find((span) => span.name === 'db.statement')!;
  expect(statement.attributes['db.query.text']).toEqual(expect.any(String));
  expect(Object.keys(statement.attributes).some((key) => key.includes('param'))).toBe(false);
});

test('an order placement carries the trace from orders to the products service', async () => {
  const { traceId, header } = newTraceparent();
  const key = `trace-${randomBytes(6).toString('hex')}`;
  const { body } = await graphql(
    `mutation { placeOrder(input: { idempotencyKey: "${key}", items: [{ productId: "prod_0001", quantity: 1 }] }) { id } }`,
    { ...as('alice'), traceparent: header },
  );
  expect(body.errors).toBeUndefined();
  const spans = await spansOf(traceId);
  const reserve = spans.find((span) => serviceOf(span) === 'orders' && span.name.startsWith('products POST'));
  expect(reserve).toBeDefined();
  // The products service's server span is the child of the orders service's client span.
  const served = spans.find((span) => serviceOf(span) === 'products' && span.parentSpanContext?.spanId === reserve!.spanContext().spanId);
  expect(served?.name).toMatch(/^POST \/internal\//);
});

test('every service logs one line per request with its request id and trace id, and no secret', async () => {
  const { traceId, header } = newTraceparent();
  const requestId = `obs-${randomBytes(6).toString('hex')}`;
  const token = as('alice').authorization!;
  const key = `secret-param-${randomBytes(6).toString('hex')}`;
  logLines.length = 0;
  rawLog = '';
  await graphql(
    `mutation { placeOrder(input: { idempotencyKey: "${key}", items: [{ productId: "prod_0002", quantity: 1 }] }) { id } }`,
    { authorization: token, traceparent: header, 'x-request-id': requestId },
  );
  const apiKey = `fake-api-key-${randomBytes(8).toString('hex')}`;
  const refused = await graphql('{ __typename }', { 'x-api-key': apiKey, 'x-request-id': `${requestId}-key` });
  expect(refused.status).toBe(401);
  await spansOf(traceId);

  const lines = logLines.filter((line) => line.msg === 'request' && line.reqId === requestId);
  // An order placement reaches every service but search.
  expect(new Set(lines.map((line) => line.service))).toEqual(new Set(SERVICES.filter((service) => service !== 'search')));
  for (const line of lines) expect(line).toMatchObject({ traceId, method: expect.any(String), status: expect.any(Number) });
  // One line per request the gateway was sent.
  expect(lines.filter((line) => line.service === 'gateway')).toHaveLength(1);

  const env = platform.env;
  const secrets = [
    token.replace(/^Bearer /, ''),
    apiKey,
    key, // a statement parameter
    env.INTERNAL_SERVICE_TOKEN!,
    env.IDENTITY_SIGNING_SECRET!,
    env.JWT_SECRET!,
    ...Object.entries(env).filter(([name]) => name.endsWith('_DB_CREDENTIAL')).map(([, value]) => value!),
  ];
  expect(rawLog.length).toBeGreaterThan(0);
  for (const secret of secrets) expect(rawLog).not.toContain(secret);
  expect(rawLog).not.toMatch(/x-identity-signature|x-service-signature/i);
});

test('every service serves Prometheus metrics with bounded labels', async () => {
  // The second is answered by the response cache; the third has its own cache key but the same plan.
  const topLamps = 'query TopLamps($first: Int) { search(query: "lamp", first: $first) { totalCount } }';
  await graphql(topLamps, {}, { first: 1 });
  await graphql(topLamps, {}, { first: 1 });
  await graphql(topLamps, {}, { first: 2 });
  const scrape = async (url: string) => {
    const response = await fetch(`${url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    return response.text();
  };
  const gateway = await scrape(platform.gateway.url);
  expect(sample(gateway, 'gateway_graphql_request_duration_seconds_count', { operation: 'TopLamps', outcome: 'success' })).toBeGreaterThanOrEqual(2);
  expect(sample(gateway, 'gateway_subgraph_fetch_duration_seconds_count', { subgraph: 'search', outcome: 'success' })).toBeGreaterThan(0);
  expect(sample(gateway, 'gateway_query_plan_cache_total', { result: 'hit' })).toBeGreaterThan(0);
  expect(sample(gateway, 'gateway_query_plan_cache_total', { result: 'miss' })).toBeGreaterThan(0);
  expect(sample(gateway, 'gateway_response_cache_total', { result: 'miss' })).toBeGreaterThan(0);
  expect(sample(gateway, 'gateway_response_cache_total', { result: 'hit' })).toBeGreaterThan(0);
  expect(sample(gateway, 'gateway_rate_limit_rejections_total', {})).toBe(0);
  expect(sample(gateway, 'gateway_websocket_connections', {})).toBe(0);
  expect(sample(gateway, 'http_server_request_duration_seconds_count', { method: 'POST', route: '/graphql', status: '2xx' })).toBeGreaterThan(0);

  for (const name of ['products', 'orders', 'search'] as const) {
    const text = await scrape(platform[name].url);
    expect(sample(text, 'http_server_request_duration_seconds_count', { service: name, route: '/graphql', status: '2xx' })).toBeGreaterThan(0);
  }
  const proxy = await scrape(platform.dbProxy.url);
  expect(sample(proxy, 'db_proxy_statement_duration_seconds_count', { caller: 'search', endpoint: 'query', outcome: 'success' })).toBeGreaterThan(0);
  for (const gauge of ['db_proxy_pool_size', 'db_proxy_pool_in_use', 'db_proxy_pool_waiting']) {
    expect(sample(proxy, gauge, { caller: 'orders' })).toEqual(expect.any(Number));
  }
  // No label carries an id: the REST route of one product is labelled by its pattern.
  expect(gateway).not.toMatch(/prod_0001/);
});
