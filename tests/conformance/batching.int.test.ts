/**
 * Conformance: entity fetches of one plan level that go to the same subgraph are sent as one
 * request (aliased `_entities` fields, variables and fragments renamed apart), and the answers,
 * errors included, come back to the right places, exactly as separate requests would give.
 */
import { federationLink, startFederation, type Federation } from './harness.js';

describe('entity fetches batched per subgraph', () => {
  const products = [
    { id: 'p1', name: 'Kettle' },
    { id: 'p2', name: 'Teapot' },
    { id: 'p3', name: 'Broken' },
  ];
  const stock: Record<string, number> = { p1: 5, p2: 0 };
  let federation: Federation;

  beforeAll(async () => {
    federation = await startFederation({
      subgraphs: {
        catalog: {
          typeDefs: `${federationLink('@key')}
            type Product @key(fields: "id") { id: ID! name: String! }
            type Query { products: [Product!]! featured: [Product!]! }`,
          resolvers: {
            Query: { products: () => products.slice(0, 2), featured: () => [products[1], products[2]] },
          },
        },
        inventory: {
          typeDefs: `${federationLink('@key')}
            type Product @key(fields: "id") { id: ID! stock(warehouse: String = "main"): Int! label: String }
            type Query { warehouses: [String!]! }`,
          resolvers: {
            Query: { warehouses: () => ['main'] },
            Product: {
              __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
              stock: (product: { id: string }, args: { warehouse: string }) => {
                if (!(product.id in stock)) throw new Error(`no stock record for ${product.id}`);
                return args.warehouse === 'main' ? stock[product.id] : 0;
              },
              label: (product: { id: string }) => `#${product.id}`,
            },
          },
        },
      },
    });
  });
  afterAll(() => federation?.close());

  it('sends the fetches of one level to one subgraph as one request', async () => {
    federation.clearOperations();
    const query = `
      query Shelf($w: String) {
        products { name stock(warehouse: $w) }
        featured { ...Labelled }
      }
      fragment Labelled on Product { label }`;
    expect(await federation.query(query, { w: 'main' })).toEqual({
      data: {
        products: [
          { name: 'Kettle', stock: 5 },
          { name: 'Teapot', stock: 0 },
        ],
        featured: [{ label: '#p2' }, { label: '#p3' }],
      },
    });
    expect(federation.operations.inventory).toHaveLength(1);
    const [call] = federation.operations.inventory;
    expect(call.query).toMatch(/b0: _entities\(representations: \$b0_representations\)/);
    expect(call.query).toMatch(/b1: _entities\(representations: \$b1_representations\)/);
    expect(call.variables).toEqual({
      b0_w: 'main',
      b0_representations: [
        { __typename: 'Product', id: 'p1' },
        { __typename: 'Product', id: 'p2' },
      ],
      b1_representations: [
        { __typename: 'Product', id: 'p2' },
        { __typename: 'Product', id: 'p3' },
      ],
    });
  });

  it('returns each error to the fetch it belongs to, at the client path', async () => {
    expect(await federation.query('{ products { stock } featured { stock } }')).toEqual({
      data: null,
      errors: [
        {
          message: 'no stock record for p3',
          path: ['featured', 1, 'stock'],
          extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'inventory' },
        },
      ],
    });
  });

  it('keeps a fetch that is alone unchanged', async () => {
    federation.clearOperations();
    expect(await federation.query('{ products { stock } }')).toEqual({ data: { products: [{ stock: 5 }, { stock: 0 }] } });
    expect(federation.operations.inventory).toHaveLength(1);
    expect(federation.operations.inventory[0].query).toMatch(/^query\s*\(\$representations:\s*\[_Any!\]!\)\s*\{\s*_entities\(representations:\s*\$representations\)/);
  });
});
