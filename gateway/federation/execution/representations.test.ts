import type { QueryPlanSelectionNode } from '@apollo/query-planner';
import { buildSchema } from 'graphql';
import {
  collectRepresentations,
  compileRepresentation,
  compileRepresentationWriter,
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

describe('compileRepresentationWriter', () => {
  it('writes the same JSON text as the reader would, for flat requirements', () => {
    const requires = [on('Product', field('__typename'), field('upc'), field('price'))];
    const write = compileRepresentationWriter(requires, matches)!;
    const read = compileRepresentation(requires, matches);
    for (const entity of [
      { __typename: 'Product', upc: 'a"b', price: 3, extra: true },
      { __typename: 'Product', upc: 'x', price: null },
      { price: 1, upc: 'x', __typename: 'Product' },
    ]) {
      expect(write(entity)).toBe(JSON.stringify(read(entity)));
    }
    expect(write({ __typename: 'Product', upc: 'x' })).toBeUndefined();
    expect(write({ __typename: 'User', upc: 'x', price: 1 })).toBeUndefined();
    expect(write({ upc: 'x', price: 1 })).toBeUndefined();
  });

  it('is not made for nested, aliased or repeated fields, or several fragments', () => {
    expect(compileRepresentationWriter([on('Product', field('__typename'), field('dims', [field('w')]))], matches)).toBeUndefined();
    expect(
      compileRepresentationWriter([on('Product', field('__typename'), { kind: 'Field', name: 'upc', alias: 'u' })], matches),
    ).toBeUndefined();
    expect(compileRepresentationWriter([on('Product', field('__typename'), field('upc'), field('upc'))], matches)).toBeUndefined();
    expect(
      compileRepresentationWriter([on('Product', field('__typename'), field('upc')), on('User', field('__typename'), field('id'))], matches),
    ).toBeUndefined();
  });
});

describe('collectRepresentations', () => {
  const requires = [on('Node', field('__typename'), field('id'))];
  const read = compileRepresentation(requires, matches);
  const write = compileRepresentationWriter(requires, matches);

  it.each([
    ['reader', undefined],
    ['writer', write],
  ])('sends each distinct representation once and remembers which entities it stands for (%s)', (_name, writer) => {
    const entities = [
      { __typename: 'User', id: '1' },
      { __typename: 'Product', id: '1' },
      { __typename: 'User', id: '1' },
      { __typename: 'User' },
      { __typename: 'User', id: '2' },
    ];
    const batch = collectRepresentations(entities, read, undefined, writer)!;
    expect(JSON.parse(batch.json)).toEqual([
      { __typename: 'User', id: '1' },
      { __typename: 'Product', id: '1' },
      { __typename: 'User', id: '2' },
    ]);
    expect(batch.owners).toEqual([[0, 2], [1], [4]]);
    expect(batch.count).toBe(3);
  });

  it('has nothing to send when no entity has a representation', () => {
    expect(collectRepresentations([{ __typename: 'User' }], read)).toBeUndefined();
  });

  it('compares representations after the input rewrites', () => {
    const entities = [
      { __typename: 'User', id: '1' },
      { __typename: 'Product', id: '1' },
    ];
    const batch = collectRepresentations(entities, read, (r) => {
      r.__typename = 'Node';
    })!;
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
