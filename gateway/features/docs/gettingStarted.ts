/** The getting-started page: how to get a token and first requests with curl. */
import { html, type Html } from './html.js';

export function gettingStartedBody(baseUrl: string): Html {
  const gql = (query: string) => JSON.stringify({ query });
  return html`<p>Everything goes through the gateway at <code>${baseUrl}</code>: GraphQL at <code>/graphql</code>
(open it in a browser for the IDE), REST under <code>/api</code>, these pages under <code>/docs</code>.</p>
<h2>1. Get a token</h2>
<p>Reading the catalog needs no credential. Placing and reading orders needs a signed-in caller. In development,
print a token signed with the gateway's development secret:</p>
<pre>npm run token -- --sub alice --scope orders:write</pre>
<p>Send it as <code>Authorization: Bearer &lt;token&gt;</code>. Machine clients can use an API key instead, sent as
<code>x-api-key</code>. A bad or expired credential gets 401; too many requests get 429 with <code>Retry-After</code>.</p>
<pre>TOKEN=$(npm run --silent token -- --sub alice --scope orders:write)</pre>
<h2>2. Query the graph</h2>
<pre>curl -s ${baseUrl}/graphql -H 'content-type: application/json' \\
  -d '${gql('{ products(first: 3) { totalCount nodes { id name price { formatted } } } }')}'</pre>
<pre>curl -s ${baseUrl}/graphql -H 'content-type: application/json' \\
  -d '${gql('{ search(query: "lamp", first: 5) { totalCount hits { highlight product { id name stock } } } }')}'</pre>
<h2>3. Place an order</h2>
<pre>curl -s ${baseUrl}/graphql -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \\
  -d '${gql('mutation { placeOrder(input: { items: [{ productId: "prod_0001", quantity: 1 }], idempotencyKey: "order-1" }) { id status total { formatted } } }')}'</pre>
<p>Send the same <code>idempotencyKey</code> again and you get the same order back, not a second one.</p>
<h2>4. The same over REST</h2>
<pre>curl -s '${baseUrl}/api/products?first=3'
curl -s ${baseUrl}/api/products/prod_0001
curl -s '${baseUrl}/api/search?q=lamp&amp;first=5'
curl -s ${baseUrl}/api/orders -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \\
  -H 'idempotency-key: order-2' -d '{"items":[{"productId":"prod_0001","quantity":1}]}'</pre>
<p>See the <a href="/docs/rest">REST reference</a> and the <a href="/docs/schema">GraphQL schema reference</a>.</p>`;
}
