import { Supergraph } from '@apollo/federation-internals';
import { keepNamesOneByte, stringRepresentation } from './oneByteNames.js';
import { freshName, freshSupergraphs, tableCopy } from '../../testing/stringTable.js';

let supergraphWith: ReturnType<typeof freshSupergraphs>;
beforeAll(() => {
  supergraphWith = freshSupergraphs(
    '"""DESCRIPTION""" type PlaceholderType @key(fields: "placeholderField") { placeholderField: ID! }\n' +
      'type Query { placeholderField: PlaceholderType }',
    'http://things.invalid/graphql',
  );
});

function freshSupergraph(description = 'A thing.') {
  const type = freshName('T');
  const field = freshName('f');
  return { sdl: supergraphWith({ PlaceholderType: type, placeholderField: field, DESCRIPTION: description }), type, field };
}

describe('stringRepresentation', () => {
  it('tells one-byte from two-byte strings', () => {
    expect(stringRepresentation('plain ascii')).toBe('one-byte');
    expect(stringRepresentation('caf\u00e9')).toBe('one-byte');
    expect(stringRepresentation('\u20ac 5')).toBe('two-byte');
    expect(stringRepresentation('x'.repeat(300) + '\u2014')).toBe('two-byte');
  });
});

describe('keepNamesOneByte', () => {
  // The V8 behaviour the module works around: if this starts failing, the workaround is no longer needed.
  it('is needed: names first met while a supergraph is built enter the string table two-byte', () => {
    const { sdl, type, field } = freshSupergraph();
    Supergraph.build(sdl);
    expect(stringRepresentation(tableCopy(field))).toBe('two-byte');
    expect(stringRepresentation(tableCopy(type))).toBe('two-byte');
    // ...and JSON written with such a key is two-byte from there on.
    expect(stringRepresentation(JSON.stringify({ id: 1, [tableCopy(field)]: 'value' }))).toBe('two-byte');
  });

  it('keeps them one-byte when it reads the SDL first, so JSON written with them stays one-byte', () => {
    const { sdl, type, field } = freshSupergraph();
    keepNamesOneByte(sdl);
    Supergraph.build(sdl);
    expect(stringRepresentation(tableCopy(field))).toBe('one-byte');
    expect(stringRepresentation(tableCopy(type))).toBe('one-byte');
    expect(stringRepresentation(JSON.stringify({ id: 1, [tableCopy(field)]: { [tableCopy(type)]: 'value' } }))).toBe('one-byte');
  });

  it('reads the names of an SDL that is itself two-byte (a description beyond Latin-1)', () => {
    const { sdl, field } = freshSupergraph('Priced in \u20ac \u2014 per item.');
    expect(stringRepresentation(sdl)).toBe('two-byte');
    keepNamesOneByte(sdl);
    Supergraph.build(sdl);
    expect(stringRepresentation(tableCopy(field))).toBe('one-byte');
  });
});
