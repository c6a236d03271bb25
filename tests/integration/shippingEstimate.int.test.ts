/**
 * Product.shippingEstimate through the whole platform: orders adds it to products' Product with
 * @requires(fields: "weightGrams price { amountCents currency }"), so the gateway fetches the weight
 * and price from products first and hands them to orders. Expected amounts follow the rule in
 * subgraphs/orders/shippingEstimate.ts: to the US 499 + 50 per started 100 g (free from a unit price
 * of 5000), elsewhere 1499 + 120 per started 100 g.
 */
import { as, startTestPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
}, 120_000);

afterAll(async () => {
  await platform?.close();
});

const admin = as('shipping-admin', 'products:write');

async function createProduct(input: Record<string, unknown>): Promise<string> {
  const { body } = await platform.graphql(
    'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }',
    { input: { description: 'For the shipping tests', category: 'Testing', stock: 50, ...input } },
    admin,
  );
  expect(body.errors).toBeUndefined();
  return body.data.createProduct.id;
}

describe('Product.shippingEstimate', () => {
  it('estimates a product by weight and price, to the US by default and abroad on request', async () => {
    const id = await createProduct({ sku: 'SHIP-1250', name: 'Cast Iron Pan', priceCents: 1999, weightGrams: 1250 });
    const { status, body } = await platform.graphql(
      `query ($id: ID) { product(id: $id) {
        weightGrams
        shippingEstimate { amountCents currency formatted }
        toGermany: shippingEstimate(destinationCountry: "de") { amountCents formatted }
      } }`,
      { id },
    );
    expect(status).toBe(200);
    expect(body).toEqual({
      data: {
        product: {
          weightGrams: 1250,
          shippingEstimate: { amountCents: 1149, currency: 'USD', formatted: '$11.49' },
          toGermany: { amountCents: 3059, formatted: '$30.59' },
        },
      },
    });
  });

  it('answers product(id) { shippingEstimate { formatted } } for the seeded catalog (weights from the fourth migration)', async () => {
    // prod_0001: a book at 31.49, 200 g; prod_0004: electronics at 106.99, 3,700 g (free in the US).
    const { body } = await platform.graphql(`{
      book: product(id: "prod_0001") { weightGrams price { amountCents } shippingEstimate { formatted } }
      gadget: product(id: "prod_0004") { weightGrams shippingEstimate { formatted } abroad: shippingEstimate(destinationCountry: "FR") { amountCents } }
    }`);
    expect(body).toEqual({
      data: {
        book: { weightGrams: 200, price: { amountCents: 3149 }, shippingEstimate: { formatted: '$5.99' } },
        gadget: { weightGrams: 3700, shippingEstimate: { formatted: '$0.00' }, abroad: { amountCents: 5939 } },
      },
    });
  });

  it('uses 500 g for a product created without a weight, the new weight after an update, and the product\'s currency', async () => {
    const id = await createProduct({ sku: 'SHIP-EUR', name: 'Linen Apron', priceCents: 2500, currency: 'EUR' });
    const before = await platform.graphql('query ($id: ID) { product(id: $id) { weightGrams shippingEstimate { amountCents formatted } } }', { id });
    expect(before.body).toEqual({
      data: { product: { weightGrams: 500, shippingEstimate: { amountCents: 749, formatted: '€7.49' } } },
    });

    const updated = await platform.graphql(
      'mutation ($id: ID!) { updateProduct(id: $id, input: { weightGrams: 2001 }) { weightGrams shippingEstimate { amountCents } } }',
      { id },
      admin,
    );
    expect(updated.body).toEqual({
      data: { updateProduct: { weightGrams: 2001, shippingEstimate: { amountCents: 499 + 21 * 50 } } },
    });
  });

  it('refuses an invalid weight and an invalid destination with BAD_USER_INPUT naming them', async () => {
    const create = await platform.graphql(
      'mutation { createProduct(input: { sku: "SHIP-0G", name: "Air", description: "", category: "Testing", priceCents: 1, stock: 1, weightGrams: 0 }) { id } }',
      undefined,
      admin,
    );
    expect(create.body.data).toBeNull();
    expect(create.body.errors[0]).toMatchObject({
      message: 'weightGrams must be between 1 and 1000000',
      extensions: { code: 'BAD_USER_INPUT' },
    });

    const estimate = await platform.graphql('{ product(id: "prod_0001") { name shippingEstimate(destinationCountry: "Mars") { amountCents } } }');
    // shippingEstimate is non-null, so the error nulls the product.
    expect(estimate.body.data).toEqual({ product: null });
    expect(estimate.body.errors).toHaveLength(1);
    expect(estimate.body.errors[0]).toMatchObject({
      message: 'destinationCountry must be a two-letter ISO 3166-1 country code such as US or DE (got "Mars")',
      extensions: { code: 'BAD_USER_INPUT', serviceName: 'orders' },
    });
  });

  it('answers for the products of myOrders (orders -> products -> orders)', async () => {
    const light = await createProduct({ sku: 'SHIP-LIGHT', name: 'Tea Towel', priceCents: 899, weightGrams: 90 });
    const heavy = await createProduct({ sku: 'SHIP-HEAVY', name: 'Dutch Oven', priceCents: 7900, weightGrams: 5400 });
    const placed = await platform.graphql(
      'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      {
        input: {
          idempotencyKey: 'shipping-1',
          items: [
            { productId: light, quantity: 3 },
            { productId: heavy, quantity: 1 },
          ],
        },
      },
      as('shipper'),
    );
    expect(placed.body.errors).toBeUndefined();

    const { body } = await platform.graphql(
      `{ myOrders { nodes { items {
        quantity
        product { sku shippingEstimate { amountCents } abroad: shippingEstimate(destinationCountry: "CA") { amountCents } }
      } } } }`,
      undefined,
      as('shipper'),
    );
    const items = [...body.data.myOrders.nodes[0].items].sort((a: any, b: any) => a.product.sku.localeCompare(b.product.sku));
    expect(body.errors).toBeUndefined();
    expect(items).toEqual([
      { quantity: 1, product: { sku: 'SHIP-HEAVY', shippingEstimate: { amountCents: 0 }, abroad: { amountCents: 1499 + 54 * 120 } } },
      { quantity: 3, product: { sku: 'SHIP-LIGHT', shippingEstimate: { amountCents: 549 }, abroad: { amountCents: 1619 } } },
    ]);
  });
});
