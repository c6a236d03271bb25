/**
 * The gateway enters the names of what it builds schemas from into V8's string table one-byte first
 * (lib/oneByteNames.ts): the subgraph SDLs it composes, and a supergraph SDL before it is built. Each
 * case runs in a fresh process (tests/support/oneByteScenario.ts), since whether a name enters the
 * table two-byte depends on what the process did before.
 */
import { runOneByteScenario } from '../../../tests/support/oneByteScenario.js';

const ONE_BYTE = { type: 'one-byte', field: 'one-byte', json: 'one-byte' };
const TWO_BYTE = { type: 'two-byte', field: 'two-byte', json: 'two-byte' };

describe('composing subgraphs', () => {
  it('@apollo/composition left alone enters names two-byte (the V8 behaviour worked around)', async () => {
    expect(await runOneByteScenario('compose', 'alone')).toEqual(TWO_BYTE);
  });

  it('composeSubgraphs reads each SDL first, so the names stay one-byte', async () => {
    expect(await runOneByteScenario('compose', 'kept')).toEqual(ONE_BYTE);
  });
});

describe('building a supergraph', () => {
  it('Supergraph.build left alone enters names two-byte', async () => {
    expect(await runOneByteScenario('supergraph', 'alone')).toEqual(TWO_BYTE);
  });

  it('with the SDL read first (as the supergraph source does), they stay one-byte', async () => {
    expect(await runOneByteScenario('supergraph', 'kept')).toEqual(ONE_BYTE);
  });
});
