import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repositoryModule as moduleUrl, runInNode } from './testing/runInNode.js';

describe('deferModules', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'deferred-'));
    // A package module that requires a heavy one at its top and reads it only when called.
    writeFileSync(path.join(dir, 'heavy.cjs'), 'globalThis.heavyLoads = (globalThis.heavyLoads ?? 0) + 1;\nexports.answer = 42;\nexports.list = [1, 2];\n');
    writeFileSync(path.join(dir, 'user.cjs'), "const heavy = require('./heavy.cjs');\nexports.read = () => heavy.answer;\nexports.heavy = heavy;\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a deferred module on the first read of it, once, and hands later requires the real module', () => {
    const user = JSON.stringify(path.join(dir, 'user.cjs'));
    const result = runInNode(`
      import { createRequire } from 'node:module';
      const { deferModules } = await import(${moduleUrl('lib/deferredModules.ts')});
      const require = createRequire(${user});
      const deferred = deferModules(${user}, ['./heavy.cjs']);
      const user = require(${user});
      const loadsAfterRequire = globalThis.heavyLoads ?? 0;
      const answer = user.read();
      const loadsAfterRead = globalThis.heavyLoads;
      const keys = Object.keys(user.heavy);
      const real = require('./heavy.cjs');
      console.log(JSON.stringify({
        deferred: deferred.map((file) => file.endsWith('heavy.cjs')),
        loadsAfterRequire, answer, loadsAfterRead, keys,
        laterRequireIsReal: real !== user.heavy && real.answer === 42 && Array.isArray(real.list),
        proxySeesWrites: ((real.answer = 43), user.heavy.answer),
        againDeferred: deferModules(${user}, ['./heavy.cjs']).length,
        loadsAtEnd: globalThis.heavyLoads,
      }));
    `);
    expect(result).toEqual({
      deferred: [true],
      loadsAfterRequire: 0,
      answer: 42,
      loadsAfterRead: 1,
      keys: ['answer', 'list'],
      laterRequireIsReal: true,
      proxySeesWrites: 43,
      againDeferred: 0,
      loadsAtEnd: 1,
    });
  });

  it('leaves a module that is loaded already as it is', () => {
    const user = JSON.stringify(path.join(dir, 'user.cjs'));
    const result = runInNode(`
      import { createRequire } from 'node:module';
      const { deferModules } = await import(${moduleUrl('lib/deferredModules.ts')});
      const require = createRequire(${user});
      const real = require('./heavy.cjs');
      console.log(JSON.stringify({ deferred: deferModules(${user}, ['./heavy.cjs']).length, same: require('./heavy.cjs') === real }));
    `);
    expect(result).toEqual({ deferred: 0, same: true });
  });
});
