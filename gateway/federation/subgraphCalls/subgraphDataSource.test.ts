import { parse } from 'graphql';
import { isQuery } from './subgraphDataSource.js';

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
