import { repositoryModule, runInNode } from '../../lib/testing/runInNode.js';
import { DEFERRED_TELEMETRY_MODULES } from './apolloGateway.js';

/**
 * Loads gateway/federation/apolloGateway.ts in a process of its own (Jest's module registry ignores
 * writes to require.cache), optionally constructs an ApolloGateway with Apollo's usage telemetry on,
 * and reports how many files of each deferred module's package are loaded.
 */
function loadedFiles(construct: boolean): { perModule: Record<string, number>; gcpMetadata: number; disposers?: number; kinds?: string[] } {
  const code = `
    import { createRequire } from 'node:module';
    import { readFileSync } from 'node:fs';
    const { ApolloGateway, APOLLO_TELEMETRY_MODULE, DEFERRED_TELEMETRY_MODULES } = await import(${repositoryModule('gateway/federation/apolloGateway.ts')});
    const require = createRequire(APOLLO_TELEMETRY_MODULE);
    // The folder of the package a resolved file belongs to (the last node_modules in its path).
    const packageOf = (file) => file.match(/^(.*\\/node_modules\\/(?:@[^/]+\\/)?[^/]+\\/)/)[1];
    const count = () => Object.fromEntries(DEFERRED_TELEMETRY_MODULES.map((spec) => {
      const dir = packageOf(require.resolve(spec));
      return [spec, Object.keys(require.cache).filter((file) => file.startsWith(dir)).length];
    }));
    const result = {};
    if (${construct}) {
      const gateway = new ApolloGateway({ supergraphSdl: readFileSync('supergraph.graphql', 'utf8') });
      result.disposers = gateway.toDispose.length;
      result.kinds = DEFERRED_TELEMETRY_MODULES.map((spec) => typeof require(spec));
    }
    result.perModule = count();
    result.gcpMetadata = Object.keys(require.cache).filter((file) => file.includes('/node_modules/gcp-metadata/')).length;
    console.log(JSON.stringify(result));
    process.exit(0); // the telemetry's exporter would otherwise keep the process alive
  `;
  // Apollo's telemetry is on unless APOLLO_TELEMETRY_DISABLED is set.
  return runInNode(code, { APOLLO_TELEMETRY_DISABLED: construct ? undefined : 'true' });
}

describe('@apollo/gateway loaded with its usage telemetry deferred', () => {
  it('loads none of the telemetry packages with the gateway: one stand-in file each, and nothing they require', () => {
    const loaded = loadedFiles(false);
    expect(loaded.perModule).toEqual(Object.fromEntries(DEFERRED_TELEMETRY_MODULES.map((spec) => [spec, 1])));
    expect(loaded.gcpMetadata).toBe(0);
  });

  it('loads them when a gateway is constructed with the telemetry on, which then works as before', () => {
    const loaded = loadedFiles(true);
    // The meter provider was created, and its shutdown registered.
    expect(loaded.disposers).toBeGreaterThanOrEqual(1);
    for (const spec of DEFERRED_TELEMETRY_MODULES) {
      if (spec !== 'node-cpu-count') expect(loaded.perModule[spec]).toBeGreaterThan(1);
    }
    expect(loaded.gcpMetadata).toBeGreaterThan(0);
    // A stand-in can only be an object: each real module's exports must be one.
    expect(loaded.kinds).toEqual(DEFERRED_TELEMETRY_MODULES.map(() => 'object'));
  });
});
