import { buildSchema, Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { compileResponseShape, shapeResponse } from './responseShape.js';

const schema = buildSchema(`
  enum Status { OPEN CLOSED }
  interface Node { id: ID! }
  type Book implements Node { id: ID! title: String! pages: Int status: Status author: Author }
  type Film implements Node { id: ID! title: String! minutes: Int! }
  type Author { name: String! books: [Book!]! }
  union Media = Book | Film
  type Query { book: Book media: [Media!]! node: Node strict: Book! count: Int ids: [ID!] }
`);

function shapeOf(source: string) {
  const document = parse(source);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  const fragments = Object.fromEntries(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  return compileResponseShape(schema, operation, fragments);
}

const shape = (query: string, data: Record<string, unknown>, variables?: Record<string, unknown>) =>
  shapeResponse(shapeOf(query), data, variables);
const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

describe('shapeResponse', () => {
  it('keeps what was selected, in the order and under the keys of the query, and drops what the plan added', () => {
    const result = shape('{ book { t: title id __typename } }', {
      book: { __typename: 'Book', id: 'b1', t: 'Dune', isbn: 'x', pages: 3 },
    });
    expect(JSON.stringify(result.data)).toBe('{"book":{"t":"Dune","id":"b1","__typename":"Book"}}');
    expect(result.errors).toEqual([]);
  });

  it('nulls a nullable parent when a non-null field is null, and reports it', () => {
    const result = shape('{ book { title pages } }', { book: { title: null, pages: 1 } });
    expect(result.data).toEqual({ book: null });
    expect(plain(result.errors)).toEqual([
      {
        message: 'Cannot return null for non-nullable field Book.title.',
        path: ['book', 'title'],
        extensions: { code: 'INVALID_GRAPHQL' },
      },
    ]);
  });

  it('bubbles through lists and non-null parents to data, reporting only the first null', () => {
    const result = shape('{ strict { author { books { title } } } }', {
      strict: { author: { books: [{ title: 'a' }, { title: null }] } },
    });
    expect(result.data).toEqual({ strict: { author: null } });
    expect(plain(result.errors).map((e: { path: unknown }) => e.path)).toEqual([['strict', 'author', 'books', 1, 'title']]);
    const root = shape('{ strict { title } }', { strict: { title: null } });
    expect(root.data).toBeNull();
  });

  it('nulls leaf values that do not fit their type', () => {
    const result = shape('{ book { status pages } count ids }', {
      book: { status: 'ARCHIVED', pages: 2.5 },
      count: '3',
      ids: [1, 'b', true],
    });
    expect(result.data).toEqual({ book: { status: null, pages: null }, count: null, ids: null });
    expect(plain(result.errors).map((e: { message: string }) => e.message)).toEqual([
      'Invalid value found for field Book.status.',
      'Invalid value found for field Book.pages.',
      'Invalid value found for field Query.count.',
      'Invalid value found for array element of type ID at index 2.',
    ]);
  });

  it('applies fragments by __typename, on unions and interfaces', () => {
    const query = `
      fragment F on Film { minutes }
      { media { __typename ... on Book { title pages } ...F ... on Node { id } } }`;
    const result = shape(query, {
      media: [
        { __typename: 'Book', title: 'Dune', pages: 10, id: 'b1', minutes: 5 },
        { __typename: 'Film', title: 'Alien', minutes: 117, id: 'f1' },
      ],
    });
    expect(result.data).toEqual({
      media: [
        { __typename: 'Book', title: 'Dune', pages: 10, id: 'b1' },
        { __typename: 'Film', minutes: 117, id: 'f1' },
      ],
    });
  });

  it('merges a field selected in several fragments, in first-seen order', () => {
    const result = shape('{ book { ... on Book { id } title ... on Node { id } author { name } ... on Book { author { books { id } } } } }', {
      book: { __typename: 'Book', id: 'b1', title: 'T', author: { name: 'A', books: [{ id: 'b1' }] } },
    });
    expect(JSON.stringify(result.data)).toBe('{"book":{"id":"b1","title":"T","author":{"name":"A","books":[{"id":"b1"}]}}}');
  });

  it('reports an object whose __typename the API schema does not have', () => {
    const result = shape('{ node { id } }', { node: { __typename: 'Secret', id: 's' } });
    expect(result.data).toEqual({ node: null });
    expect(plain(result.errors)[0].message).toBe('Invalid __typename found for object at field Query.node.');
  });

  it('honours @skip and @include with literals, variables and variable defaults', () => {
    const query = 'query ($a: Boolean = true, $b: Boolean!) { book { title @include(if: $a) pages @skip(if: $b) id @skip(if: false) } }';
    const data = { book: { title: 'T', pages: 1, id: 'b' } };
    expect(shape(query, data, { b: true }).data).toEqual({ book: { title: 'T', id: 'b' } });
    expect(shape(query, data, { a: false, b: false }).data).toEqual({ book: { pages: 1, id: 'b' } });
  });

  it('answers __typename from the parent type when the data has none', () => {
    expect(shape('{ __typename book { kind: __typename } }', { book: {} }).data).toEqual({
      __typename: 'Query',
      book: { kind: 'Book' },
    });
  });

  it('answers introspection with graphql-js over the schema', () => {
    const result = shape('query ($n: String!) { t: __type(name: $n) { name kind } book { title } }', { book: { title: 'T' } }, { n: 'Book' });
    expect(result.data).toEqual({ t: { name: 'Book', kind: 'OBJECT' }, book: { title: 'T' } });
  });

  it('never reads a response key from the prototype', () => {
    const constructorSchema = buildSchema('type Query { constructor: String }');
    const document = parse('{ constructor }');
    const operation = document.definitions[0] as OperationDefinitionNode;
    expect(shapeResponse(compileResponseShape(constructorSchema, operation, {}), {}, undefined).data).toEqual({ constructor: null });
  });
});
