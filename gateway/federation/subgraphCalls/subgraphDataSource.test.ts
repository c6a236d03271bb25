import { parse } from 'graphql';
import { copyJson, isQuery } from './subgraphDataSource.js';

describe('isQuery (which subgraph fetches may be retried and shared)', () => {
  it.each([
    ['{ products { id } }', true],
    ['query Op__catalog__0 { products { id } }', true],
    ['  \n query($representations: [_Any!]!) { _entities(representations: $representations) { __typename } }', true],
    ['mutation Op__catalog__0 { renameProduct(id: "p1", name: "x") { id } }', false],
    ['subscription { ticks }', false],
    ['fragment F on Product { id } query { products { ...F } }', true],
    ['fragment F on Product { id } mutation { renameProduct(id: "p1", name: "x") { ...F } }', false],
    ['this is not GraphQL', false],
  ])('%s -> %s', (query, expected) => {
    expect(isQuery(query)).toBe(expected);
  });

  it('prefers the parsed document when the gateway provides one', () => {
    expect(isQuery('{ ignored }', parse('mutation { renameProduct(id: "p1", name: "x") { id } }'))).toBe(false);
    expect(isQuery('mutation { ignored }', parse('{ products { id } }'))).toBe(true);
  });
});

describe('copyJson (each caller of a shared subgraph answer gets objects of its own)', () => {
  it('copies parsed JSON deeply: equal values, no object or array in common', () => {
    const original = JSON.parse('{"data":{"products":[{"id":"p1","tags":["a","b"],"price":{"cents":100}},null,{"id":"p2","tags":[],"price":null}]},"n":1.5,"t":true}');
    const copy = copyJson(original) as typeof original;
    expect(copy).toEqual(original);
    const objects = (value: unknown, into = new Set<unknown>()): Set<unknown> => {
      if (value !== null && typeof value === 'object') {
        into.add(value);
        for (const item of Object.values(value)) objects(item, into);
      }
      return into;
    };
    const shared = [...objects(copy)].filter((o) => objects(original).has(o));
    expect(shared).toEqual([]);
    copy.data.products[0].price.cents = 1;
    expect(original.data.products[0].price.cents).toBe(100);
  });

  it('keeps a "__proto__" key as data, never as the copy\'s prototype', () => {
    const original = JSON.parse('{"__proto__":{"polluted":true},"id":"x"}') as Record<string, unknown>;
    const copy = copyJson(original) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect((copy as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    expect(JSON.stringify(copy)).toBe(JSON.stringify(original));
  });
});
