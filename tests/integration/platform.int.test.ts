/**
 * The whole request path, end to end: client -> gateway -> subgraphs -> connection proxy -> database,
 * every hop over real HTTP, on PGlite by default and on PostgreSQL when TEST_DATABASE_URL is set.
 */
import { as, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { usingRealPostgres } from '../support/testDatabase.js';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
}, 120_000);

afterAll(async () => {
  await platform?.close();
});

const admin = as('catalog-admin', 'products:write', 'orders:admin');

async function createProduct(sku: string, stock: number, priceCents = 1999, name = `Test product ${sku}`) {
  const { body } = await platform.graphql(
    `mutation ($input: CreateProductInput!) { createProduct(input: $input) { id sku stock price { amountCents } } }`,
    {
      input: { sku, name, description: `A product made for test ${sku}`, category: 'Testing', priceCents, stock },
    },
    admin,
  );
  expect(body.errors).toBeUndefined();
  return body.data.createProduct as { id: string; sku: string; stock: number };
}

async function stockOf(id: string): Promise<number> {
  const { body } = await platform.graphql(`query ($id: ID) { product(id: $id) { stock } }`, { id });
  return body.data.product.stock;
}

const PLACE_ORDER = `mutation ($input: PlaceOrderInput!) {
  placeOrder(input: $input) { id status customerId total { amountCents currency formatted }
    items { quantity unitPrice { amountCents } lineTotal { amountCents } product { id name } } } }`;

describe('the platform end to end', () => {
  it('answers one query that joins search, products and orders', async () => {
    const product = await createProduct('JOIN-0001', 10, 2500, 'Telescoping Aurora Lantern');
    const placed = await platform.graphql(
      PLACE_ORDER,
      { input: { idempotencyKey: 'join-1', items: [{ productId: product.id, quantity: 2 }] } },
      as('joiner'),
    );
    expect(placed.body.errors).toBeUndefined();

    await eventually(async () => {
      const { body } = await platform.graphql(
        `{ search(query: "aurora lantern") { totalCount hits { highlight product { id sku price { formatted } } } } }`,
      );
      expect(body.data.search.hits.map((h: any) => h.product.id)).toContain(product.id);
    });

    const { status, body } = await platform.graphql(
      `{
        search(query: "aurora lantern", first: 1) { hits { highlight product { name stock } } }
        myOrders(first: 5) { totalCount nodes { id total { formatted } items { quantity product { sku name price { amountCents } } } } }
        products(first: 2) { totalCount nodes { id } }
      }`,
      undefined,
      as('joiner'),
    );
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.search.hits[0].product.name).toBe('Telescoping Aurora Lantern');
    expect(body.data.search.hits[0].highlight).toMatch(/<mark>Aurora<\/mark>/i);
    expect(body.data.myOrders.totalCount).toBe(1);
    expect(body.data.myOrders.nodes[0].items[0]).toEqual({
      quantity: 2,
      product: { sku: 'JOIN-0001', name: 'Telescoping Aurora Lantern', price: { amountCents: 2500 } },
    });
    expect(body.data.myOrders.nodes[0].total.formatted).toBe('$50.00');
    expect(body.data.products.totalCount).toBeGreaterThanOrEqual(1000);
  });

  it('places an order at the catalog price and lists it in myOrders', async () => {
    const product = await createProduct('ORD-0001', 7, 1234);
    const { body } = await platform.graphql(
      PLACE_ORDER,
      { input: { idempotencyKey: 'first-order', items: [{ productId: product.id, quantity: 3 }] } },
      as('alice'),
    );
    expect(body.errors).toBeUndefined();
    const order = body.data.placeOrder;
    expect(order).toMatchObject({ status: 'PENDING', customerId: 'alice', total: { amountCents: 3702, currency: 'USD' } });
    expect(order.items[0]).toMatchObject({ quantity: 3, unitPrice: { amountCents: 1234 }, product: { id: product.id } });
    expect(await stockOf(product.id)).toBe(4);

    const mine = await platform.graphql(`{ myOrders { totalCount nodes { id status } } }`, undefined, as('alice'));
    expect(mine.body.data.myOrders.nodes).toEqual([{ id: order.id, status: 'PENDING' }]);
    const others = await platform.graphql(`{ myOrders { totalCount } }`, undefined, as('bob'));
    expect(others.body.data.myOrders.totalCount).toBe(0);
    // myOrders is @authenticated: the gateway answers an anonymous caller itself (tests/integration/authorization.int.test.ts).
    const anonymous = await platform.graphql(`{ myOrders { totalCount } }`);
    expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHORIZED');
  });

  it('returns the same order for a retry with the same idempotency key and changes nothing more', async () => {
    const product = await createProduct('IDEM-0001', 10);
    const input = { idempotencyKey: 'retry-me', items: [{ productId: product.id, quantity: 4 }] };
    const first = await platform.graphql(PLACE_ORDER, { input }, as('carol'));
    const second = await platform.graphql(PLACE_ORDER, { input }, as('carol'));
    expect(first.body.errors).toBeUndefined();
    expect(second.body.errors).toBeUndefined();
    expect(second.body.data.placeOrder.id).toBe(first.body.data.placeOrder.id);
    expect(await stockOf(product.id)).toBe(6);
    const mine = await platform.graphql(`{ myOrders { totalCount } }`, undefined, as('carol'));
    expect(mine.body.data.myOrders.totalCount).toBe(1);
  });

  it('never oversells: 20 concurrent orders for a product with stock 5, exactly 5 succeed', async () => {
    const product = await createProduct('RACE-0001', 5);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        platform.graphql(
          PLACE_ORDER,
          { input: { idempotencyKey: `race-${i}`, items: [{ productId: product.id, quantity: 1 }] } },
          as(`racer-${i}`),
        ),
      ),
    );
    const succeeded = results.filter((r) => r.body.data?.placeOrder);
    const refused = results.filter((r) => r.body.errors);
    expect(succeeded).toHaveLength(5);
    expect(refused).toHaveLength(15);
    for (const r of refused) expect(r.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(await stockOf(product.id)).toBe(0);
  });

  it('cancelling gives the stock back', async () => {
    const product = await createProduct('CANCEL-0001', 3);
    const placed = await platform.graphql(
      PLACE_ORDER,
      { input: { idempotencyKey: 'to-cancel', items: [{ productId: product.id, quantity: 2 }] } },
      as('dave'),
    );
    expect(await stockOf(product.id)).toBe(1);
    const cancelled = await platform.graphql(
      `mutation ($id: ID!) { cancelOrder(id: $id) { status } }`,
      { id: placed.body.data.placeOrder.id },
      as('dave'),
    );
    expect(cancelled.body.data.cancelOrder.status).toBe('CANCELLED');
    expect(await stockOf(product.id)).toBe(3);
  });

  it('finds a product by its new name within 2 seconds of updateProduct', async () => {
    const product = await createProduct('FRESH-0001', 1, 999, 'Plain grey mug');
    const updated = await platform.graphql(
      `mutation ($id: ID!) { updateProduct(id: $id, input: { name: "Zanzibar quokka mug" }) { name } }`,
      { id: product.id },
      admin,
    );
    expect(updated.body.data.updateProduct.name).toBe('Zanzibar quokka mug');
    const started = Date.now();
    await eventually(async () => {
      const { body } = await platform.graphql(`{ search(query: "quokka") { hits { product { id } } } }`);
      expect(body.data.search.hits.map((h: any) => h.product.id)).toEqual([product.id]);
    }, 2_000);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('keeps committed data across a restart of the connection proxy', async () => {
    const product = await createProduct('DURABLE-0001', 42);
    await platform.restartDbProxy();
    const { body } = await platform.graphql(`query ($sku: String) { product(sku: $sku) { id stock } }`, {
      sku: 'DURABLE-0001',
    });
    expect(body.errors).toBeUndefined();
    expect(body.data.product).toEqual({ id: product.id, stock: 42 });
  });

  it(`runs on the ${usingRealPostgres() ? 'PostgreSQL' : 'embedded PGlite'} driver`, async () => {
    const ready = await fetch(`${platform.dbProxy.url}/ready`);
    expect(ready.status).toBe(200);
    expect(platform.database.driver).toBe(usingRealPostgres() ? 'postgres' : 'pglite');
  });
});

describe('the gateway refuses bad input with a clear 4xx', () => {
  const post = (body: string, contentType = 'application/json') =>
    fetch(`${platform.gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': contentType }, body });

  it('malformed JSON', async () => {
    const response = await post('{"query": ');
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/JSON/i);
  });

  it('a query that does not parse', async () => {
    const response = await post(JSON.stringify({ query: '{ products( }' }));
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('a field that does not exist and a variable of the wrong type', async () => {
    const unknownField = await post(JSON.stringify({ query: '{ products { nope } }' }));
    expect(unknownField.status).toBe(400);
    expect((await unknownField.json()).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const wrongType = await post(
      JSON.stringify({ query: 'query ($n: Int) { products(first: $n) { totalCount } }', variables: { n: 'ten' } }),
    );
    expect(wrongType.status).toBe(400);
    expect((await wrongType.json()).errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('an argument out of range is a BAD_USER_INPUT naming it', async () => {
    const { body } = await platform.graphql('{ products(first: 100000) { totalCount } }');
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors[0].message).toMatch(/first/);
  });
});

/** Retries an assertion until it passes or the time is up (for eventually-consistent search). */
async function eventually(assertion: () => Promise<void>, withinMs = 5_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
