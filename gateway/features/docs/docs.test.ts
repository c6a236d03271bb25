import { buildSchema } from 'graphql';
import { buildOpenApiDocument } from '../restRoutes/openapi.js';
import { gettingStartedBody } from './gettingStarted.js';
import { escapeHtml, page } from './html.js';
import { restReferenceBody } from './restReference.js';
import { schemaReferenceBody } from './schemaReference.js';

const schema = buildSchema(`
  """Things to buy <script>alert(1)</script>"""
  type Product { id: ID!  name: String! @deprecated(reason: "Use title & <b>friends</b>")  title: String }
  type Query {
    "One product"
    product(id: ID!, "Exact <match>" strict: Boolean = true): Product
    products(first: Int = 20): [Product!]!
  }
  enum Status { OPEN, CLOSED @deprecated(reason: "gone") }
  input Filter { status: Status = OPEN }
`);

describe('documentation pages', () => {
  test('the schema reference lists types, fields, arguments, defaults and deprecations, all escaped', () => {
    const body = schemaReferenceBody(schema).value;
    expect(body).toContain('id="type-Product"');
    expect(body).toContain('<a href="#type-Product">Product</a>');
    expect(body).toContain('Things to buy &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(body).not.toContain('<script>');
    expect(body).toContain('Deprecated: Use title &amp; &lt;b&gt;friends&lt;/b&gt;');
    expect(body).toContain('Exact &lt;match&gt;');
    expect(body).toContain('strict: <a href="#type-Boolean">Boolean</a>');
    expect(body).toMatch(/= <code>true<\/code>/);
    expect(body).toContain('Deprecated: gone');
    expect(body).not.toContain('__Schema');
    // Operations first.
    expect(body.indexOf('id="type-Query"')).toBeLessThan(body.indexOf('id="type-Product"'));
  });

  test('the REST reference links every operation and schema of the OpenAPI document', () => {
    const document = buildOpenApiDocument([
      { service: 'products', path: '/api/catalog' },
      { service: 'orders', path: '/api/orders' },
    ]);
    expect(Object.keys(document.paths)).toEqual(['/api/catalog', '/api/catalog/{id}', '/api/orders', '/api/orders/{id}']);
    const body = restReferenceBody(document).value;
    expect(body).toContain('<code>/api/catalog/{id}</code>');
    expect(body).toContain('href="#op-placeOrder"');
    expect(body).toContain('id="schema-Order"');
    expect(body).toContain('<a href="#schema-PlaceOrderRequest">PlaceOrderRequest</a>');
  });

  test('a page has no external assets and escapes what it is given', () => {
    const html = page({ title: 'A <b> title', current: '/docs', body: gettingStartedBody('http://"evil".test') });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('A &lt;b&gt; title');
    expect(html).toContain('http://&quot;evil&quot;.test');
    expect(html).not.toMatch(/<(script|link|img)\b/);
    expect(html).not.toMatch(/https?:\/\/(?!&quot;evil)/);
    expect(escapeHtml(`<'&">`)).toBe('&lt;&#39;&amp;&quot;&gt;');
  });
});
