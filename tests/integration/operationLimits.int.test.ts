/**
 * Hostile operations are refused by the gateway before any subgraph is called: a 400 with code
 * QUERY_TOO_COMPLEX naming the limit. Tight limits here so that real queries of our graph cross them.
 */
import { getIntrospectionQuery } from 'graphql';
import { as, startTestPlatform, waitForQuietProxy, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform({
    GATEWAY_MAX_DEPTH: '4',
    GATEWAY_MAX_ALIASES: '3',
    GATEWAY_MAX_ROOT_FIELDS: '3',
    GATEWAY_MAX_TOKENS: '400',
    GATEWAY_MAX_COST: '150',
    SEARCH_SYNC_INTERVAL_MS: '600000',
  });
  await waitForQuietProxy(platform);
}, 120_000);

afterAll(async () => {
  await platform?.close();
});

async function expectRefused(query: string, limit: string, variables?: Record<string, unknown>) {
  platform.dbProxy.resetStats();
  const { status, body } = await platform.graphql(query, variables, as('mallory'));
  expect(status).toBe(400);
  expect(body.data).toBeUndefined();
  expect(body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit });
  expect(body.errors[0].message).toMatch(/exceeds the limit of \d+/);
  // Refused before planning: no subgraph touched its database.
  expect(platform.dbProxy.stats().requests).toBe(0);
}

describe('operation limits', () => {
  it('serves ordinary operations, and the IDE introspection query, within the limits', async () => {
    const { status, body } = await platform.graphql('{ products(first: 5) { totalCount nodes { id name price { formatted } } } }');
    expect(status).toBe(200);
    expect(body.data.products.nodes).toHaveLength(5);
    const introspection = await platform.graphql(getIntrospectionQuery());
    expect(introspection.status).toBe(200);
    expect(introspection.body.data.__schema.queryType.name).toBe('Query');
  });

  it('refuses a query nested deeper than the limit', async () => {
    await expectRefused('{ myOrders { nodes { items { product { name } } } } }', 'depth');
  });

  it('refuses too many aliases', async () => {
    await expectRefused('{ a: product(id: "prod_0001") { id } b: product(id: "prod_0002") { id } c: product(id: "prod_0003") { id } d: product(id: "prod_0004") { id } }', 'aliases');
  });

  it('refuses too many root fields', async () => {
    await expectRefused('{ products(first: 1) { totalCount } myOrders { totalCount } search(query: "lamp") { totalCount } product(id: "prod_0001") { id } }', 'rootFields');
  });

  it('refuses a document with too many tokens', async () => {
    const fields = Array.from({ length: 450 }, () => 'name').join(' ');
    await expectRefused(`{ product(id: "prod_0001") { ${fields} } }`, 'tokens');
  });

  it('refuses an operation whose estimated cost is over the limit, counting list sizes from arguments', async () => {
    // 1 + 100 x (node 1 + price 1) = 201 > 150; with 20 it is 41
    await expectRefused('query ($n: Int) { products(first: $n) { nodes { price { formatted } } } }', 'cost', { n: 100 });
    const { status } = await platform.graphql('query ($n: Int) { products(first: $n) { nodes { price { formatted } } } }', { n: 20 });
    expect(status).toBe(200);
  });
});
