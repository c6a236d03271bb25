import { buildSchema, parse, print } from 'graphql';
import { GUARDED_KEY_SUFFIX, guardResponseKeys, restoreResponseKeys } from './responseKeyGuard.js';

const schema = buildSchema(`
  enum Unit { GRAM KILOGRAM }
  interface Node { id: ID! }
  type Product implements Node { id: ID! sku: String! name: String! weight(unit: Unit = GRAM): Float! cost: Int! }
  type Query { products(first: Int): [Product!]! node(id: ID!): Node name: String }
`);

const guarded = (query: string) => {
  const document = guardResponseKeys(parse(query), schema);
  return document && print(document).replace(/\s+/g, ' ');
};

describe('guardResponseKeys', () => {
  it('leaves documents alone when no response key can collide', () => {
    expect(guarded('{ products(first: 2) { id sku name cost title: name } }')).toBeUndefined();
    expect(guarded('{ name aliasOfRoot: name }')).toBeUndefined();
    expect(guarded('{ __schema { types { name fields(includeDeprecated: true) { name } } } }')).toBeUndefined();
  });

  it('aliases an alias named like another field of its type', () => {
    expect(guarded('{ products { sku: name stock: cost } }')).toBe(
      `{ products { sku${GUARDED_KEY_SUFFIX}: name stock: cost } }`,
    );
  });

  it('aliases a field with arguments, with or without its own name as alias', () => {
    expect(guarded('{ products { weight cost kilos: weight(unit: KILOGRAM) w: weight } }')).toBe(
      `{ products { weight${GUARDED_KEY_SUFFIX}: weight cost kilos: weight(unit: KILOGRAM) w: weight } }`,
    );
  });

  it('rewrites inside fragments and through interfaces, keeping directives', () => {
    expect(
      guarded('query ($s: Boolean!) { node(id: "p") { code: id ...F } } fragment F on Product { id: sku @skip(if: $s) }'),
    ).toBe(
      `query ($s: Boolean!) { node(id: "p") { code: id ...F } } fragment F on Product { id${GUARDED_KEY_SUFFIX}: sku @skip(if: $s) }`,
    );
  });

  it('rewrites one document once per schema (cached by identity)', () => {
    const document = parse('{ products { sku: name } }');
    expect(guardResponseKeys(document, schema)).toBe(guardResponseKeys(document, schema));
    const plain = parse('{ products { name } }');
    expect(guardResponseKeys(plain, schema)).toBeUndefined();
    expect(guardResponseKeys(plain, schema)).toBeUndefined();
  });
});

describe('restoreResponseKeys', () => {
  it('renames guarded keys back at every depth, in order, and leaves other values alone', () => {
    const data = {
      products: [
        { [`sku${GUARDED_KEY_SUFFIX}`]: 'Kettle', cost: 4, nested: { [`weight${GUARDED_KEY_SUFFIX}`]: 1500 } },
        null,
      ],
      count: 2,
    };
    const restored = restoreResponseKeys(data) as Record<string, unknown>;
    expect(restored).toEqual({ products: [{ sku: 'Kettle', cost: 4, nested: { weight: 1500 } }, null], count: 2 });
    expect(Object.keys((restored.products as Record<string, unknown>[])[0])).toEqual(['sku', 'cost', 'nested']);
  });

  it('passes scalars and null through', () => {
    expect(restoreResponseKeys(null)).toBeNull();
    expect(restoreResponseKeys('text')).toBe('text');
    expect(restoreResponseKeys([1, 'a'])).toEqual([1, 'a']);
  });
});
