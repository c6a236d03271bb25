/** The operations the benchmark sends. */

/** Nested lists across all four subgraphs, entities resolved back and forth: about 80 KB of JSON. */
export const HEAVY_QUERY = `
fragment User on User { id username name }
fragment Review on Review { id body }
fragment Product on Product { inStock name price shippingEstimate upc weight }
query Heavy {
  users {
    ...User
    reviews { ...Review product { ...Product reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } } } }
  }
  topProducts {
    ...Product
    reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } }
  }
}`;

/** One field of one subgraph: what the gateway itself adds to a call. */
export const SMALL_QUERY = '{ topProducts(first: 5) { upc name price } }';

/** What the gateway sends the products subgraph for SMALL_QUERY (the direct-call comparison). */
export const SMALL_QUERY_SUBGRAPH_OPERATION = '{topProducts(first:5){upc name price}}';

/** The platform's own graph through the connection proxy: products, search and orders in one query. */
export const PLATFORM_QUERY = `query Platform {
  products(first: 10, category: "Outdoors") { totalCount nodes { sku name price { formatted } stock } }
  search(query: "lamp", first: 5) { totalCount hits { score highlight product { name stock } } }
  myOrders(first: 5) { totalCount nodes { status total { formatted } items { quantity product { name } } } }
}`;

/** The customer the platform scenario signs in as (bench/platform places one order for it). */
export const BENCH_CUSTOMER = 'bench-customer';
