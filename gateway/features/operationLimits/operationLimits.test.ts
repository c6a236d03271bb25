import { buildSchema, getIntrospectionQuery, parse, type OperationDefinitionNode } from 'graphql';
import { readFileSync } from 'node:fs';
import { costHintsFromSdl, countTokens, measureOperation } from './operationLimits.js';

const schema = buildSchema(`
  type Query {
    product(id: ID!): Product
    products(first: Int = 20, after: String): ProductConnection!
    tags: [String!]!
    related(limit: Int): [Product!]!
  }
  type ProductConnection { totalCount: Int!  nodes: [Product!]!  edges: [ProductEdge!]! }
  type ProductEdge { cursor: String!  node: Product! }
  type Product { id: ID!  name: String!  price: Money!  related(limit: Int): [Product!]! }
  type Money { amountCents: Int! }
`);

function measure(query: string, variables?: Record<string, unknown>, hintsSdl?: string) {
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode;
  return measureOperation({
    schema,
    document,
    operation,
    variables,
    hints: hintsSdl ? costHintsFromSdl(hintsSdl) : undefined,
  });
}

describe('measureOperation', () => {
  it('counts depth through fragments and inline fragments', () => {
    const metrics = measure(`
      query { product(id: "1") { ...P } }
      fragment P on Product { related(limit: 2) { ... on Product { price { amountCents } } } }
    `);
    expect(metrics.depth).toBe(4); // product > related > price > amountCents
    expect(metrics.rootFields).toBe(1);
  });

  it('counts aliases and root fields, ignoring __typename', () => {
    const metrics = measure(`{ a: product(id: "1") { id } b: product(id: "2") { n: name } tags __typename }`);
    expect(metrics.aliases).toBe(3);
    expect(metrics.rootFields).toBe(3);
  });

  it('multiplies list costs by slicing arguments, also through a connection', () => {
    // products: 1 + nodes (25 x (1 + price 1)) = 51
    expect(measure(`{ products(first: 25) { nodes { name price { amountCents } } } }`).cost).toBe(1 + 25 * 2);
    // the same through a variable
    expect(measure(`query ($n: Int) { products(first: $n) { nodes { price { amountCents } } } }`, { n: 5 }).cost).toBe(
      1 + 5 * 2,
    );
    // a list without a size uses the default (10)
    expect(measure(`{ related { price { amountCents } } }`).cost).toBe(10 * 2);
    // nested lists multiply
    expect(measure(`{ related(limit: 3) { related(limit: 4) { id } } }`).cost).toBe(3 * (1 + 4 * 1));
  });

  it('takes @cost weights and @listSize hints from the supergraph', () => {
    const hints = `
      type Query { related(limit: Int): [Product!]! @listSize(assumedSize: 50, slicingArguments: ["limit"]) }
      type Product { price: Money! @cost(weight: 7) }
    `;
    expect(measure(`{ related { price { amountCents } } }`, undefined, hints).cost).toBe(50 * (1 + 7));
    expect(measure(`{ related(limit: 2) { id } }`, undefined, hints).cost).toBe(2);
  });

  it('lets the IDE introspection query through at any reasonable limit', () => {
    const metrics = measure(getIntrospectionQuery());
    expect(metrics.cost).toBe(0);
    expect(metrics.depth).toBe(0);
  });
});

describe('countTokens', () => {
  it('counts lexical tokens and stops early past the maximum', () => {
    expect(countTokens('{ product(id: "1") { id } }')).toBe(11);
    expect(countTokens('{ a b c d e f g h }', 3)).toBe(4);
    expect(countTokens('{ unterminated "string ')).toBe(2);
  });
});

describe('costHintsFromSdl', () => {
  it('finds no hints in the current supergraph, which declares none, and none in SDL that does not parse', () => {
    const hints = costHintsFromSdl(readFileSync('supergraph.graphql', 'utf8'));
    expect(hints.weights.size).toBe(0);
    expect(hints.listSizes.size).toBe(0);
    expect(costHintsFromSdl('not graphql {').weights.size).toBe(0);
  });
});
