/**
 * The connection proxy as the subgraphs' only way to a database: each credential reaches its own
 * database only, and bad requests get a clear 4xx. Runs against the platform's real proxy.
 */
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
}, 120_000);

afterAll(async () => {
  await platform?.close();
});

function proxy(path: string, credential: string | undefined, body: string) {
  return fetch(`${platform.dbProxy.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(credential === undefined ? {} : { authorization: `Bearer ${credential}` }),
    },
    body,
  });
}

const credential = (service: 'products' | 'orders' | 'search') =>
  platform.env[`${service.toUpperCase()}_DB_CREDENTIAL`] as string;

describe('proxy isolation', () => {
  it('each service sees its own tables and none of another service', async () => {
    const own = await proxy('/v1/query', credential('orders'), JSON.stringify({ sql: 'SELECT count(*) AS n FROM orders' }));
    expect(own.status).toBe(200);

    const foreign = await proxy(
      '/v1/query',
      credential('products'),
      JSON.stringify({ sql: 'SELECT count(*) AS n FROM orders' }),
    );
    expect(foreign.status).toBe(400);
    const body = await foreign.json();
    expect(body.error.details.sqlstate).toBe('42P01'); // undefined_table: orders does not exist in products' database

    const write = await proxy(
      '/v1/query',
      credential('search'),
      JSON.stringify({ sql: "UPDATE products SET stock = 0 WHERE id = 'prod_0001'" }),
    );
    expect(write.status).toBe(400);
    const { body: check } = await platform.graphql('{ product(id: "prod_0001") { id } }');
    expect(check.data.product.id).toBe('prod_0001');
  });
});

describe('bad requests to the proxy', () => {
  it('malformed JSON is a 400 that says so', async () => {
    const response = await proxy('/v1/query', credential('products'), '{"sql": "SELECT 1",');
    expect(response.status).toBe(400);
    expect((await response.json()).error.message).toMatch(/JSON/i);
  });

  it('two statements in one entry are refused', async () => {
    const response = await proxy('/v1/query', credential('products'), JSON.stringify({ sql: 'SELECT 1; SELECT 2' }));
    expect(response.status).toBe(400);
    expect((await response.json()).error.message).toMatch(/one statement|multiple/i);
  });

  it('a missing or wrong credential is a 401', async () => {
    const missing = await proxy('/v1/query', undefined, JSON.stringify({ sql: 'SELECT 1' }));
    expect(missing.status).toBe(401);
    const wrong = await proxy('/v1/query', 'not-a-real-credential', JSON.stringify({ sql: 'SELECT 1' }));
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error.code).toBe('UNAUTHENTICATED');
  });

  it('the wrong number of parameters is a 400 naming the count', async () => {
    const response = await proxy(
      '/v1/query',
      credential('products'),
      JSON.stringify({ sql: 'SELECT $1::int + $2::int AS n', params: [1] }),
    );
    expect(response.status).toBe(400);
    expect((await response.json()).error.message).toMatch(/2/);
  });

  it('a unique violation is told apart from a syntax error by SQLSTATE', async () => {
    const duplicate = await proxy(
      '/v1/query',
      credential('products'),
      JSON.stringify({
        sql: `INSERT INTO products (id, sku, name, description, category, price_cents, currency, stock)
              SELECT 'dup-id', sku, name, description, category, price_cents, currency, stock FROM products WHERE id = 'prod_0001'`,
      }),
    );
    expect(duplicate.status).toBe(409);
    expect((await duplicate.json()).error.details.sqlstate).toBe('23505');

    const syntax = await proxy('/v1/query', credential('products'), JSON.stringify({ sql: 'SELEC 1' }));
    expect(syntax.status).toBe(400);
    expect((await syntax.json()).error.details.sqlstate).toBe('42601');
  });
});
