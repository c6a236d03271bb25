/**
 * @authenticated and @requiresScopes of our subgraph schemas, enforced by the gateway before planning:
 * an unauthorized field is not planned (its subgraph never runs it: nothing reaches that subgraph's
 * database), it comes back null with an UNAUTHORIZED error, and the rest of the operation is
 * answered. GraphQL's null propagation decides how far the null reaches: `myOrders` is non-null
 * (OrderConnection!), so an anonymous caller asking for it gets `data: null`; `order` is nullable,
 * so only it is null. The subgraphs keep their own checks (and ownership rules) behind that.
 */
import { as, startTestPlatform, waitForQuietProxy, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;

beforeAll(async () => {
  // No background sync: database requests counted here come from the operation under test only.
  platform = await startTestPlatform({ SEARCH_SYNC_INTERVAL_MS: '600000' });
  await waitForQuietProxy(platform);
}, 120_000);

afterAll(async () => {
  await platform?.close();
});

const unauthorized = (path: string[], message: string) => ({
  message,
  path,
  extensions: expect.objectContaining({ code: 'UNAUTHORIZED' }),
});

function databaseRequests(service: 'products' | 'orders'): number {
  return platform.dbProxy.stats().byService[service]?.requests ?? 0;
}

const CREATE_PRODUCT = `mutation ($input: CreateProductInput!) { createProduct(input: $input) { id sku } }`;
const productInput = (sku: string) => ({ sku, name: `Product ${sku}`, description: 'Made for the test', category: 'test', priceCents: 1500, stock: 3 });

describe('authorization at the gateway', () => {
  it('nulls all of data for an anonymous myOrders (non-null), without running anything', async () => {
    platform.dbProxy.resetStats();
    const { status, body } = await platform.graphql('{ products(first: 1) { totalCount } myOrders { totalCount } }');
    expect(status).toBe(200);
    expect(body).toEqual({
      data: null,
      errors: [unauthorized(['myOrders'], 'Field "Query.myOrders" requires authentication')],
    });
    // Its answer would be thrown away by the null propagation, so no subgraph was asked at all.
    expect(platform.dbProxy.stats().requests).toBe(0);
  });

  it('answers the rest of the query when the removed field is nullable (order)', async () => {
    platform.dbProxy.resetStats();
    const { status, body } = await platform.graphql('{ products(first: 1) { totalCount } order(id: "ord_missing") { id status } }');
    expect(status).toBe(200);
    expect(body.data.products.totalCount).toBeGreaterThan(0);
    expect(body.data.order).toBeNull();
    expect(body.errors).toEqual([unauthorized(['order'], 'Field "Query.order" requires authentication')]);
    expect(databaseRequests('products')).toBeGreaterThan(0);
    expect(databaseRequests('orders')).toBe(0);
  });

  it('lets a signed-in customer through to the orders subgraph', async () => {
    const { body } = await platform.graphql('{ myOrders { totalCount } order(id: "ord_missing") { id } }', undefined, as('authz-ana'));
    expect(body).toEqual({ data: { myOrders: { totalCount: 0 }, order: null } });
  });

  it('applies no createProduct without the scope products:write, and applies it with the scope', async () => {
    platform.dbProxy.resetStats();
    for (const headers of [{}, as('authz-ana'), as('authz-ana', 'orders:admin')]) {
      const refused = await platform.graphql(CREATE_PRODUCT, { input: productInput('AUTHZ-0001') }, headers);
      expect(refused.status).toBe(200);
      expect(refused.body).toEqual({
        data: null,
        errors: [unauthorized(['createProduct'], 'Field "Mutation.createProduct" requires scope products:write')],
      });
    }
    expect(databaseRequests('products')).toBe(0);
    const lookup = await platform.graphql('{ product(sku: "AUTHZ-0001") { id } }');
    expect(lookup.body).toEqual({ data: { product: null } });

    const created = await platform.graphql(CREATE_PRODUCT, { input: productInput('AUTHZ-0001') }, as('authz-editor', 'products:write'));
    expect(created.body.errors).toBeUndefined();
    expect(created.body.data.createProduct.sku).toBe('AUTHZ-0001');
    // Another query text than the lookup above, whose answer (no such product) a response cache may keep.
    const found = await platform.graphql('{ created: product(sku: "AUTHZ-0001") { id } }');
    expect(found.body.data.created).toEqual({ id: created.body.data.createProduct.id });
  });

  it('refuses placeOrder to anonymous callers and updateOrderStatus without orders:admin before the orders subgraph', async () => {
    platform.dbProxy.resetStats();
    const place = await platform.graphql(
      `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`,
      { input: { idempotencyKey: 'authz-anon', items: [{ productId: 'prod_0001', quantity: 1 }] } },
    );
    expect(place.body).toEqual({
      data: null,
      errors: [unauthorized(['placeOrder'], 'Field "Mutation.placeOrder" requires authentication')],
    });
    const status = await platform.graphql(
      'mutation { updateOrderStatus(id: "ord_missing", status: PAID) { id } }',
      undefined,
      as('authz-ana'),
    );
    expect(status.body).toEqual({
      data: null,
      errors: [unauthorized(['updateOrderStatus'], 'Field "Mutation.updateOrderStatus" requires scope orders:admin')],
    });
    expect(databaseRequests('orders')).toBe(0);
    expect(databaseRequests('products')).toBe(0);

    // With the scope the gateway lets it through; the orders subgraph answers for the order itself.
    const admin = await platform.graphql(
      'mutation { updateOrderStatus(id: "ord_missing", status: PAID) { id } }',
      undefined,
      as('authz-admin', 'orders:admin'),
    );
    expect(admin.body.errors?.[0].extensions.code).not.toBe('UNAUTHORIZED');
    expect(databaseRequests('orders')).toBeGreaterThan(0);
  });
});
