import {
  NoUnusedVariablesRule,
  parse,
  print,
  specifiedRules,
  validate,
  type DocumentNode,
  type OperationDefinitionNode,
} from 'graphql';
import {
  RequirementIndex,
  activeRemovals,
  applyRemovals,
  authorizationErrors,
  authorizationRulesFromSupergraph,
  callerKey,
  filterOperation,
  missingFor,
  removalsNullData,
  withEnforcedSecurityFeatures,
  type Caller,
} from './authorization.js';
import { Supergraph } from '@apollo/federation-internals';
import { composeSubgraphs } from '../../federation/supergraph/compose.js';
import { apiSchemaOfSupergraph } from '../../federation/supergraph/schemaCheck.js';

const SHOP = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@authenticated", "@requiresScopes"])

interface Item { id: ID! title: String rating: Int }
type Book implements Item @key(fields: "id") {
  id: ID!
  title: String
  rating: Int
  isbn: String @requiresScopes(scopes: [["books:read"]])
}
type Video implements Item @key(fields: "id") {
  id: ID!
  title: String
  rating: Int @authenticated
}
type Audit @authenticated { at: String! }
scalar Secret @authenticated
enum Level @requiresScopes(scopes: [["a", "b"], ["c"]]) { LOW HIGH }
type Profile { bio: String phone: String! @requiresScopes(scopes: [["pii"]]) }
type User { id: ID! name: String email: String! @authenticated profile: Profile }
type Query {
  items: [Item!]!
  me: User @authenticated
  viewer: User!
  publicInfo: String
  secret: Secret
  level: Level
  audit: Audit
  user(id: ID!): User!
  users: [User!]!
  nullableUsers: [User]
}
type Mutation {
  publish(title: String!): Book! @requiresScopes(scopes: [["books:write"]])
  ping: String
}
`;

const supergraphSdl = composeSubgraphs([{ name: 'shop', routingUrl: 'http://shop.invalid', sdl: SHOP, sourceName: 'shop.graphql' }])
  .supergraphSdl;
const schema = apiSchemaOfSupergraph(supergraphSdl);
const rules = authorizationRulesFromSupergraph(supergraphSdl);
const index = new RequirementIndex(schema, rules);

const anonymous: Caller = { authenticated: false, scopes: new Set() };
const signedIn = (...scopes: string[]): Caller => ({ authenticated: true, scopes: new Set(scopes) });

function filter(query: string, caller: Caller = anonymous) {
  const document = parse(query);
  expect(validate(schema, document)).toEqual([]);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;
  const result = filterOperation(index, { document, operation, caller });
  // What the gateway plans must still be a valid operation of the API schema. Variables stay declared
  // (their values are still checked as the client sent them) even when no remaining field uses them.
  expect(validate(schema, result.document, specifiedRules.filter((rule) => rule !== NoUnusedVariablesRule))).toEqual([]);
  return result;
}

const compact = (document: DocumentNode) => print(document).replace(/\s+/g, ' ').trim();

describe('rules from the supergraph', () => {
  it('reads field and type directives through their spec links', () => {
    expect(supergraphSdl).toContain('@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)');
    expect(rules.fields.get('Query.me')).toEqual({ authenticated: true, scopes: [] });
    expect(rules.fields.get('Book.isbn')).toEqual({ authenticated: false, scopes: [[['books:read']]] });
    expect(rules.types.get('Secret')?.authenticated).toBe(true);
    expect(rules.types.get('Audit')?.authenticated).toBe(true);
    expect(rules.types.get('Level')).toEqual({ authenticated: false, scopes: [[['a', 'b'], ['c']]] });
    // Composition copies an implementation's requirement to the interface field.
    expect(rules.fields.get('Item.rating')?.authenticated).toBe(true);
    expect([...rules.scopeNames].sort()).toEqual(['a', 'b', 'books:read', 'books:write', 'c', 'pii']);
  });

  it('ignores same-named directives whose spec is not linked, and follows a renaming link', () => {
    const unlinked = 'schema { query: Query } directive @authenticated on FIELD_DEFINITION type Query { me: String @authenticated }';
    expect(authorizationRulesFromSupergraph(unlinked).fields.size).toBe(0);
    const renamed = `schema @link(url: "https://specs.apollo.dev/link/v1.0") @link(url: "https://specs.apollo.dev/authenticated/v0.1", as: "signedIn") { query: Query }
      type Query { me: String @signedIn other: String @authenticated }`;
    const renamedRules = authorizationRulesFromSupergraph(renamed);
    expect([...renamedRules.fields.keys()]).toEqual(['Query.me']);
  });

  it('treats scopes as OR of ANDs, and several lists as all required', () => {
    const level = rules.types.get('Level')!;
    expect(missingFor(level, signedIn('a'))).toBe('scopes a and b, or scope c');
    expect(missingFor(level, signedIn('a', 'b'))).toBeUndefined();
    expect(missingFor(level, signedIn('c'))).toBeUndefined();
    const both = { authenticated: true, scopes: [[['x']], [['y'], ['z']]] };
    expect(missingFor(both, anonymous)).toBe('authentication and scope x and scope y, or scope z');
    expect(missingFor(both, signedIn('x', 'z'))).toBeUndefined();
  });

  it('keys callers by what can change a decision only', () => {
    expect(callerKey(signedIn('pii', 'unrelated'), rules)).toBe(callerKey(signedIn('pii'), rules));
    expect(callerKey(signedIn(), rules)).not.toBe(callerKey(anonymous, rules));
  });
});

describe('filtering an operation', () => {
  it('leaves an authorized operation as it is (the same document)', () => {
    const document = parse('{ me { name email } publicInfo }');
    const operation = document.definitions[0] as OperationDefinitionNode;
    const result = filterOperation(index, { document, operation, caller: signedIn() });
    expect(result.document).toBe(document);
    expect(result.removed).toEqual([]);
  });

  it('removes a field-level unauthorized field and nulls it in the response', () => {
    const result = filter('{ publicInfo me { name } }');
    expect(compact(result.document)).toBe('{ publicInfo }');
    expect(result.removed.map((r) => [r.path, r.missing])).toEqual([[['me'], 'authentication']]);
    expect(removalsNullData(result.removed)).toBe(false);
    expect(applyRemovals({ publicInfo: 'hello' }, result.removed, result.marker)).toEqual({ publicInfo: 'hello', me: null });
    expect(authorizationErrors(result.removed)).toEqual([
      {
        message: 'Field "Query.me" requires authentication',
        path: ['me'],
        extensions: { code: 'UNAUTHORIZED', coordinate: 'Query.me' },
      },
    ]);
  });

  it('applies a type-level directive to every field returning the type: objects, scalars and enums', () => {
    const result = filter('{ publicInfo secret audit { at } level }', signedIn('a'));
    expect(compact(result.document)).toBe('{ publicInfo secret audit { at } }');
    expect(result.removed.map((r) => `${r.coordinate}: ${r.missing}`)).toEqual(['Query.level: scopes a and b, or scope c']);
    const anon = filter('{ publicInfo secret audit { at } }');
    expect(anon.removed.map((r) => r.coordinate)).toEqual(['Query.secret', 'Query.audit']);
  });

  it('nulls the nearest nullable parent of a removed non-null field', () => {
    const result = filter('{ user(id: "1") { name profile { bio phone } } }', signedIn());
    expect(compact(result.document)).toBe('{ user(id: "1") { name profile { bio } } }');
    expect(removalsNullData(result.removed)).toBe(false); // profile is nullable
    expect(applyRemovals({ user: { name: 'Ann', profile: { bio: 'hi' } } }, result.removed, result.marker)).toEqual({
      user: { name: 'Ann', profile: null },
    });
    // A profile the subgraph answered with null stays null, with nothing to propagate.
    expect(applyRemovals({ user: { name: 'Ann', profile: null } }, result.removed, result.marker)).toEqual({
      user: { name: 'Ann', profile: null },
    });
  });

  it('nulls data when the null propagates through non-null fields to the root, and knows it before execution', () => {
    const result = filter('{ publicInfo viewer { name email } }');
    expect(result.removed[0].nullsData).toBe(true);
    expect(removalsNullData(result.removed)).toBe(true);
    expect(applyRemovals({ publicInfo: 'x', viewer: { name: 'Ann' } }, result.removed, result.marker)).toBeNull();
  });

  it('keeps a field whose whole selection was removed, through a hidden __typename, so its children come back null', () => {
    const result = filter('{ user(id: "1") { profile { phone } } }', signedIn());
    expect(compact(result.document)).toBe('{ user(id: "1") { profile { authorization__typename: __typename } } }');
    const data = { user: { profile: { authorization__typename: 'Profile' } } };
    expect(applyRemovals(data, result.removed, result.marker)).toEqual({ user: { profile: null } });
  });

  it('picks a marker alias the document does not use', () => {
    const result = filter('{ authorization__typename: publicInfo nullableUsers { profile { phone } } }', signedIn());
    expect(result.marker).toBe('authorization__typename2');
  });

  it('nulls through lists: every item, propagating through non-null items and lists (path with "@")', () => {
    const strict = filter('{ users { name email } }');
    expect(strict.removed[0].path).toEqual(['users', '@', 'email']);
    expect(strict.removed[0].nullsData).toBe(false); // an empty list would not propagate anything
    expect(applyRemovals({ users: [] }, strict.removed, strict.marker)).toEqual({ users: [] });
    expect(applyRemovals({ users: [{ name: 'a' }] }, strict.removed, strict.marker)).toBeNull();

    const loose = filter('{ publicInfo nullableUsers { name email } }');
    expect(applyRemovals({ publicInfo: 'x', nullableUsers: [{ name: 'a' }, null, { name: 'b' }] }, loose.removed, loose.marker)).toEqual(
      { publicInfo: 'x', nullableUsers: [null, null, null] },
    );

    const nullableLeaf = filter('{ nullableUsers { name profile { phone bio } } }', signedIn());
    expect(applyRemovals({ nullableUsers: [{ name: 'a', profile: { bio: 'x' } }, { name: 'b', profile: null }] }, nullableLeaf.removed, nullableLeaf.marker)).toEqual({
      nullableUsers: [
        { name: 'a', profile: null },
        { name: 'b', profile: null },
      ],
    });
  });

  it('removes a field under an inline fragment of an abstract type and nulls it on that type only', () => {
    const result = filter('{ items { id ... on Book { isbn title } ... on Video { title } } }', signedIn());
    expect(compact(result.document)).toBe(
      '{ items { id ... on Book { title } ... on Video { title } authorization__typename: __typename } }',
    );
    expect(result.removed.map((r) => r.path)).toEqual([['items', '@', 'isbn']]);
    const data = {
      items: [
        { id: '1', title: 'Book', authorization__typename: 'Book' },
        { id: '2', title: 'Video', authorization__typename: 'Video' },
      ],
    };
    expect(applyRemovals(data, result.removed, result.marker)).toEqual({
      items: [
        { id: '1', title: 'Book', isbn: null },
        { id: '2', title: 'Video' },
      ],
    });
  });

  it('checks a field selected on an interface against every implementation', () => {
    const onInterface = filter('{ items { id rating } }');
    expect(onInterface.removed.map((r) => r.coordinate)).toEqual(['Item.rating']);
    const onBook = filter('{ items { id ... on Book { rating } } }');
    expect(onBook.removed).toEqual([]);
  });

  it('filters named fragments once and records each use under its own path; an emptied fragment is dropped', () => {
    const result = filter(`
      { items { ...BookBits ...OnlyIsbn } more: items { ...BookBits } }
      fragment BookBits on Book { isbn title }
      fragment OnlyIsbn on Book { isbn }
    `);
    expect(compact(result.document)).toBe(
      '{ items { ...BookBits authorization__typename: __typename } more: items { ...BookBits authorization__typename: __typename } } fragment BookBits on Book { title }',
    );
    expect(result.removed.map((r) => r.path.join('.'))).toEqual(['items.@.isbn', 'items.@.isbn', 'more.@.isbn']);
  });

  it('decides @skip and @include per request from the variables', () => {
    const result = filter('query ($show: Boolean!, $hide: Boolean = true) { publicInfo me @include(if: $show) { name } audit @skip(if: $hide) { at } }');
    expect(result.removed).toHaveLength(2);
    expect(activeRemovals(result, { show: false })).toEqual([]);
    expect(activeRemovals(result, { show: true }).map((r) => r.coordinate)).toEqual(['Query.me']);
    expect(activeRemovals(result, { show: true, hide: false })).toHaveLength(2);
  });

  it('says when nothing is left to run: an unauthorized mutation', () => {
    const result = filter('mutation { publish(title: "x") { id } }', signedIn('books:read'));
    expect(result.nothingLeft).toBe(true);
    expect(removalsNullData(result.removed)).toBe(true);
    expect(authorizationErrors(result.removed)[0].message).toBe('Field "Mutation.publish" requires scope books:write');
    const allowed = filter('mutation { publish(title: "x") { id } ping }', signedIn('books:write'));
    expect(allowed.removed).toEqual([]);
  });

  it('keeps unaffected operations fast: no rules, no walk', () => {
    const empty = new RequirementIndex(schema, authorizationRulesFromSupergraph('type Query { a: String }'));
    const document = parse('{ me { name } }');
    const result = filterOperation(empty, { document, operation: document.definitions[0] as OperationDefinitionNode, caller: anonymous });
    expect(result.document).toBe(document);
  });
});

describe('handing the supergraph to @apollo/gateway', () => {
  it('drops the SECURITY purpose of the two enforced links only, keeping the rules readable', () => {
    expect(() => Supergraph.build(supergraphSdl)).toThrow(/authenticated\/v0.1 is for: SECURITY but is unsupported/);
    const served = withEnforcedSecurityFeatures(supergraphSdl);
    expect(served).toContain('@link(url: "https://specs.apollo.dev/authenticated/v0.1")\n');
    expect(served).toContain('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1")\n');
    expect(served).toContain('@link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)');
    expect(served.replace(/\n {2}@link\(url: "https:\/\/specs\.apollo\.dev\/(authenticated|requiresScopes)\/v0\.1"(, for: SECURITY)?\)/g, '')).toBe(
      supergraphSdl.replace(/\n {2}@link\(url: "https:\/\/specs\.apollo\.dev\/(authenticated|requiresScopes)\/v0\.1"(, for: SECURITY)?\)/g, ''),
    );
    expect(() => Supergraph.build(served)).not.toThrow();
    expect(authorizationRulesFromSupergraph(served)).toEqual(rules);
  });

  it('still lets @apollo/gateway refuse a security feature nobody enforces', () => {
    const withPolicy = supergraphSdl.replace(
      '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)',
      '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)\n  @link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)',
    );
    expect(withEnforcedSecurityFeatures(withPolicy)).toContain('policy/v0.1", for: SECURITY)');
    expect(() => Supergraph.build(withEnforcedSecurityFeatures(withPolicy))).toThrow(/policy\/v0.1 is for: SECURITY but is unsupported/);
  });

  it('leaves a supergraph without security features as it is', () => {
    const plain = 'schema @link(url: "https://specs.apollo.dev/link/v1.0") { query: Query } type Query { a: String }';
    expect(withEnforcedSecurityFeatures(plain)).toBe(plain);
  });
});
