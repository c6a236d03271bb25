import { runOneByteScenario } from '../../tests/support/oneByteScenario.js';

describe('loadTypeDefs', () => {
  // Each in a fresh process (tests/support/oneByteScenario.ts): whether a name enters V8's string
  // table two-byte depends on what the process did before.
  it("reads the schema file's names one-byte, so the service answers in one-byte JSON", async () => {
    expect(await runOneByteScenario('schemaFile', 'kept')).toEqual({ type: 'one-byte', field: 'one-byte', json: 'one-byte' });
  });

  it('the same file parsed and built without it answers in two-byte JSON (the V8 behaviour worked around, lib/oneByteNames.ts)', async () => {
    expect(await runOneByteScenario('schemaFile', 'alone')).toEqual({ type: 'two-byte', field: 'two-byte', json: 'two-byte' });
  });
});
