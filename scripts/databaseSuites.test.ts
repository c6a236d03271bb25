import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./databaseSuites.mjs', import.meta.url));
const list = (...args: string[]) => execFileSync(process.execPath, [script, ...args], { encoding: 'utf8' }).split('\n').filter(Boolean);

describe('scripts/databaseSuites.mjs (the suites CI runs again on PostgreSQL)', () => {
  it('lists the suites that reach TEST_DATABASE_URL through their imports, and only those', () => {
    const suites = list();
    // Through tests/support/platform.ts -> testDatabase.ts, or reading it themselves.
    expect(suites).toEqual(expect.arrayContaining(['tests/integration/platform.int.test.ts', 'subgraphs/orders/orders.int.test.ts', 'db-proxy/dbProxy.int.test.ts']));
    // In-memory subgraphs only: the same run twice would test nothing new.
    expect(suites).not.toContain('tests/conformance/entities.int.test.ts');
    expect(suites).not.toContain('gateway/federation/supergraph/hotReload.int.test.ts');
    expect(suites.every((suite) => suite.endsWith('.int.test.ts'))).toBe(true);
  });

  it('leaves out what --exclude matches', () => {
    expect(list('--exclude', 'tests/integration/')).not.toContain('tests/integration/platform.int.test.ts');
    expect(list('--exclude', 'tests/integration/')).toContain('subgraphs/orders/orders.int.test.ts');
  });
});
