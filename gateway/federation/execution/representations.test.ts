import type { QueryPlanSelectionNode } from '@apollo/query-planner';
import { buildSchema } from 'graphql';
import {
  collectRepresentations,
  compileRepresentation,
  compileFlatRepresentation,
  mergeInto,
  typeMatcher,
} from './representations.js';

const schema = buildSchema(`
  interface Node { id: ID! }
  type Product implements Node { id: ID! upc: String! price: Int weight: Int dims: Dims tags: [Tag] }
  type User implements Node { id: ID! }
  type Dims { w: Int h: Int }
  type Tag { name: String }
  union Thing = Product | User
  type Query { node: Node }
`);
const matches = typeMatcher(schema);
const field = (name: string, selections?: QueryPlanSelectionNode[]): QueryPlanSelectionNode => ({ kind: 'Field', name, selections });
const on = (typeCondition: string, ...selections: QueryPlanSelectionNode[]): QueryPlanSelectionNode => ({
  kind: 'InlineFragment',
  typeCondition,
  selections,
});

describe('typeMatcher', () => {
  it('matches a type, the members of a union and the implementations of an interface', () => {
    expect([...matches('Product')]).toEqual(['Product']);
    expect(new Set(matches('Thing'))).toEqual(new Set(['Thing', 'Product', 'User']));
    expect(new Set(matches('Node'))).toEqual(new Set(['Node', 'Product', 'User']));
    expect([...matches('Unknown')]).toEqual(['Unknown']);
  });
});

describe('compileRepresentation', () => {
  const requires = [on('Product', field('__typename'), field('upc'), field('dims', [field('w'), field('h')]))];
  const read = compileRepresentation(requires, matches);

  it('reads the required fields in their order, nested ones too', () => {
    expect(read({ upc: 'u1', __typename: 'Product', name: 'x', dims: { h: 2, w: 1, d: 3 } })).toEqual({
      __typename: 'Product',
      upc: 'u1',
      dims: { w: 1, h: 2 },
    });
    expect(JSON.stringify(read({ upc: 'u1', __typename: 'Product', dims: { h: 2, w: 1 } }))).toBe(
      '{"__typename":"Product","upc":"u1","dims":{"w":1,"h":2}}',
    );
  });

  it('has no representation for an entity missing a required field or of another type', () => {
    expect(read({ __typename: 'Product', dims: null })?.__typename).toBeUndefined();
    expect(read({ __typename: 'User', upc: 'u1', dims: null })?.__typename).toBeUndefined();
  });

  it('keeps a null value, and a nested value missing a field becomes null', () => {
    expect(read({ __typename: 'Product', upc: 'u1', dims: null })).toEqual({ __typename: 'Product', upc: 'u1', dims: null });
    expect(read({ __typename: 'Product', upc: 'u1', dims: { w: 1 } })).toEqual({ __typename: 'Product', upc: 'u1', dims: null });
  });

  it('reads lists item by item', () => {
    const withTags = compileRepresentation([on('Product', field('__typename'), field('tags', [field('name')]))], matches);
    expect(withTags({ __typename: 'Product', tags: [{ name: 'a', x: 1 }, null] })).toEqual({
      __typename: 'Product',
      tags: [{ name: 'a' }, null],
    });
  });

  it('never reads through the prototype', () => {
    const ctor = compileRepresentation([on('Product', field('__typename'), field('constructor'))], matches);
    expect(ctor({ __typename: 'Product' })?.__typename).toBeUndefined();
  });
});

describe('compileFlatRepresentation', () => {
  it('is made for one type condition over leaf fields, __typename first', () => {
    expect(compileFlatRepresentation([on('Product', field('__typename'), field('upc'), field('price'))], matches)).toEqual({
      types: new Set(['Product']),
      fields: ['__typename', 'upc', 'price'],
      prefixes: ['{"__typename":', ',"upc":', ',"price":'],
    });
  });

  it('is not made for nested, aliased or repeated fields, or several fragments', () => {
    expect(compileFlatRepresentation([on('Product', field('__typename'), field('dims', [field('w')]))], matches)).toBeUndefined();
    expect(
      compileFlatRepresentation([on('Product', field('__typename'), { kind: 'Field', name: 'upc', alias: 'u' })], matches),
    ).toBeUndefined();
    expect(compileFlatRepresentation([on('Product', field('__typename'), field('upc'), field('upc'))], matches)).toBeUndefined();
    expect(compileFlatRepresentation([on('Product', field('upc'), field('__typename'))], matches)).toBeUndefined();
    expect(
      compileFlatRepresentation([on('Product', field('__typename'), field('upc')), on('User', field('__typename'), field('id'))], matches),
    ).toBeUndefined();
  });
});

describe('collectRepresentations', () => {
  const requires = [on('Node', field('__typename'), field('id'))];
  const read = compileRepresentation(requires, matches);
  const flat = compileFlatRepresentation(requires, matches);

  it.each([
    ['general reader', undefined],
    ['flat requirement', flat],
  ])('sends each distinct representation once and remembers which entities it stands for (%s)', (_name, asFlat) => {
    const entities = [
      { __typename: 'User', id: '1' },
      { __typename: 'Product', id: '1' },
      { __typename: 'User', id: '1' },
      { __typename: 'User' },
      { __typename: 'User', id: 1 },
      { __typename: 'User', id: '2', extra: true },
      { id: '3' },
      { __typename: 'Tag', id: '1' },
    ];
    const batch = collectRepresentations(entities, read, undefined, asFlat)!;
    expect(batch.json).toBe(
      '[{"__typename":"User","id":"1"},{"__typename":"Product","id":"1"},{"__typename":"User","id":1},{"__typename":"User","id":"2"}]',
    );
    expect(batch.owners).toEqual([[0, 2], [1], [4], [5]]);
    expect(batch.count).toBe(4);
  });

  it('writes the same text on both paths, for every kind of value', () => {
    const flatTwo = compileFlatRepresentation([on('Product', field('__typename'), field('upc'), field('price'))], matches)!;
    const readTwo = compileRepresentation([on('Product', field('__typename'), field('upc'), field('price'))], matches);
    const entities = [
      { __typename: 'Product', upc: 'a"b\\c\u2028', price: 3 },
      { __typename: 'Product', upc: 'x', price: null },
      { __typename: 'Product', upc: { sku: 'x', n: [1] }, price: true },
      { __typename: 'Product', upc: { sku: 'x', n: [1] }, price: true },
      { __typename: 'Product', upc: '{"sku":"x","n":[1]}', price: true },
      { price: 1, upc: 'x', __typename: 'Product' },
    ];
    const viaFlat = collectRepresentations(entities, readTwo, undefined, flatTwo)!;
    const viaReader = collectRepresentations(entities, readTwo)!;
    expect(viaFlat.json).toBe(viaReader.json);
    expect(viaFlat.owners).toEqual(viaReader.owners);
    expect(viaFlat.owners).toEqual([[0], [1], [2, 3], [4], [5]]);
  });

  it('has nothing to send when no entity has a representation', () => {
    expect(collectRepresentations([{ __typename: 'User' }], read)).toBeUndefined();
    expect(collectRepresentations([{ __typename: 'User' }], read, undefined, flat)).toBeUndefined();
  });

  it('compares representations after the input rewrites', () => {
    const entities = [
      { __typename: 'User', id: '1' },
      { __typename: 'Product', id: '1' },
    ];
    const rewrite = (r: Record<string, unknown>) => {
      r.__typename = 'Node';
    };
    const batch = collectRepresentations(entities, read, rewrite, flat)!;
    expect(JSON.parse(batch.json)).toEqual([{ __typename: 'Node', id: '1' }]);
    expect(batch.owners).toEqual([[0, 1]]);
  });
});

describe('mergeInto', () => {
  it('merges objects key by key and equal-length lists item by item, and replaces the rest', () => {
    const target: Record<string, unknown> = { a: 1, o: { x: 1 }, l: [{ p: 1 }, 2], short: [1], s: 'old' };
    mergeInto(target, { o: { y: 2 }, l: [{ q: 2 }, 3], short: [1, 2], s: 'new', n: null, u: undefined });
    expect(target).toEqual({ a: 1, o: { x: 1, y: 2 }, l: [{ p: 1, q: 2 }, 3], short: [1, 2], s: 'new', n: null });
    expect('u' in target).toBe(false);
  });

  it('never writes through the prototype', () => {
    const target: Record<string, unknown> = {};
    mergeInto(target, JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"bad": 1}}}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
    expect(target.constructor).toEqual({ prototype: { bad: 1 } });
    expect((Object.prototype as Record<string, unknown>).bad).toBeUndefined();
  });

  it('ignores a missing source', () => {
    const target = { a: 1 };
    mergeInto(target, null);
    mergeInto(target, undefined);
    expect(target).toEqual({ a: 1 });
  });
});
