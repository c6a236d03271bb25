import { keepNamesOneByte, stringRepresentation } from './oneByteNames.js';
import { freshName, tableCopy } from './testing/stringTable.js';
import { runOneByteScenario } from '../tests/support/oneByteScenario.js';

describe('stringRepresentation', () => {
  it('tells one-byte from two-byte strings', () => {
    expect(stringRepresentation('plain ascii')).toBe('one-byte');
    expect(stringRepresentation('caf\u00e9')).toBe('one-byte');
    expect(stringRepresentation('\u20ac 5')).toBe('two-byte');
    expect(stringRepresentation('x'.repeat(300) + '\u2014')).toBe('two-byte');
  });
});

describe('keepNamesOneByte', () => {
  // Each in a fresh process (tests/support/oneByteScenario.ts): whether a name enters the table
  // two-byte depends on what the process did before.
  it('a Federation 2 subgraph schema left alone enters its names two-byte, and its answers are two-byte JSON (the V8 behaviour worked around)', async () => {
    expect(await runOneByteScenario('subgraph', 'alone')).toEqual({ type: 'two-byte', field: 'two-byte', json: 'two-byte' });
  });

  it('with the SDL read first, the names stay one-byte and so do the answers', async () => {
    expect(await runOneByteScenario('subgraph', 'kept')).toEqual({ type: 'one-byte', field: 'one-byte', json: 'one-byte' });
  });

  it('reads the names of an SDL that is itself two-byte (a description beyond Latin-1) as one-byte', () => {
    const field = freshName('f');
    const sdl = `"""Priced in \u20ac \u2014 per item."""\ntype Thing { ${field}: String }`;
    expect(stringRepresentation(sdl)).toBe('two-byte');
    keepNamesOneByte(sdl);
    expect(stringRepresentation(tableCopy(field))).toBe('one-byte');
  });
});
