import { buildSchema, getOperationAST, parse } from 'graphql';
import { entityTags } from './entityTags.js';

const schema = buildSchema(`
  interface Node { id: ID! }
  type Product implements Node { id: ID! name: String! price: Money! }
  type Money { amountCents: Int! }
  type Order implements Node { id: ID! items: [OrderItem!]! }
  type OrderItem { product: Product! quantity: Int! }
  union SearchResult = Product | Order
  type Query { product(id: ID!): Product  orders: [Order!]!  node(id: ID!): Node  search: [SearchResult!]! }
  type Mutation { updateProduct(id: ID!): Product! }
`);

function tagsOf(query: string, data: unknown, limit?: number) {
  const document = parse(query);
  return entityTags({ schema, document, operation: getOperationAST(document)!, data, limit }).sort();
}

describe('entityTags', () => {
  it('tags objects with an id by their schema type, through aliases and lists', () => {
    const tags = tagsOf('{ p: product(id: "1") { key: id name } orders { id items { product { id } quantity } } }', {
      p: { key: 'p1', name: 'Cup' },
      orders: [{ id: 'o1', items: [{ product: { id: 'p2' }, quantity: 1 }, { product: { id: 'p3' }, quantity: 2 }] }],
    });
    expect(tags).toEqual(['Order:o1', 'Product:p1', 'Product:p2', 'Product:p3']);
  });

  it('reads the concrete type of interfaces and unions from __typename, through fragments', () => {
    const tags = tagsOf(
      'query { node(id: "x") { __typename id } search { __typename ...P ... on Order { id } } } fragment P on Product { id }',
      { node: { __typename: 'Order', id: 'o9' }, search: [{ __typename: 'Product', id: 'p1' }, { __typename: 'Order', id: 'o2' }] },
    );
    expect(tags).toEqual(['Order:o2', 'Order:o9', 'Product:p1']);
  });

  it('skips an abstract object whose type it cannot know, and objects without an id', () => {
    expect(tagsOf('{ node(id: "x") { id } product(id: "1") { name price { amountCents } } }', {
      node: { id: 'n1' },
      product: { name: 'Cup', price: { amountCents: 1 } },
    })).toEqual([]);
  });

  it('finds the entities of a mutation result, and nothing in null data', () => {
    expect(tagsOf('mutation { updateProduct(id: "1") { id } }', { updateProduct: { id: '1' } })).toEqual(['Product:1']);
    expect(tagsOf('mutation { updateProduct(id: "1") { id } }', null)).toEqual([]);
  });

  it('stops at the limit', () => {
    const orders = Array.from({ length: 10 }, (_, i) => ({ id: `o${i}` }));
    expect(tagsOf('{ orders { id } }', { orders }, 3)).toHaveLength(3);
  });
});
