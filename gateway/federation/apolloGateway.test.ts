import { repositoryModule, runInNode } from '../../lib/testing/runInNode.js';
import { DEFERRED_MODULES } from './apolloGateway.js';

interface Loaded {
  /** Whether each deferred module's cache entry is still the stand-in, by specifier. */
  standIn: Record<string, boolean>;
  /** Files loaded of each deferred module's package (1 while only the stand-in is), by specifier. */
  perModule: Record<string, number>;
  /** Files of gcp-metadata, which Google's resource detector requires. */
  gcpMetadata: number;
  /** After constructing a gateway with Apollo's telemetry on: what it registered to shut down. */
  disposers?: number;
  /** typeof each deferred module's real exports, once read. */
  kinds?: Record<string, string>;
}

/**
 * Loads gateway/federation/apolloGateway.ts in a process of its own (Jest's module registry ignores
 * writes to require.cache); with `use`, then constructs an ApolloGateway with Apollo's usage
 * telemetry on and reads the protobuf as a query plan trace would.
 */
function loadedFiles(use: boolean): Loaded {
  const code = `
    import { createRequire } from 'node:module';
    import { readFileSync } from 'node:fs';
    const { ApolloGateway, DEFERRED_MODULES } = await import(${repositoryModule('gateway/federation/apolloGateway.ts')});
    const here = createRequire(import.meta.url);
    const entries = Object.entries(DEFERRED_MODULES).flatMap(([from, specs]) => specs.map((spec) => [spec, createRequire(here.resolve(from))]));
    // The folder of the package a resolved file belongs to (the last node_modules in its path).
    const packageOf = (file) => file.match(/^(.*\\/node_modules\\/(?:@[^/]+\\/)?[^/]+\\/)/)[1];
    const count = () => Object.fromEntries(entries.map(([spec, require]) => {
      const dir = packageOf(require.resolve(spec));
      return [spec, Object.keys(require.cache).filter((file) => file.startsWith(dir)).length];
    }));
    const result = {};
    if (${use}) {
      const gateway = new ApolloGateway({ supergraphSdl: readFileSync('supergraph.graphql', 'utf8') });
      result.disposers = gateway.toDispose.length;
      const protobuf = entries.find(([spec]) => spec === '@apollo/usage-reporting-protobuf')[1]('@apollo/usage-reporting-protobuf');
      new protobuf.Trace.QueryPlanNode();
      // Read each (node-cpu-count is read only when metrics are exported), then take the real module.
      result.kinds = Object.fromEntries(entries.map(([spec, require]) => [spec, (Object.keys(require(spec)), typeof require(spec))]));
    }
    result.perModule = count();
    // A module Node loaded has the folders it resolves from; the stand-in has none.
    result.standIn = Object.fromEntries(entries.map(([spec, require]) => [spec, require.cache[require.resolve(spec)]?.paths.length === 0]));
    result.gcpMetadata = Object.keys(here.cache).filter((file) => file.includes('/node_modules/gcp-metadata/')).length;
    console.log(JSON.stringify(result));
    process.exit(0); // the telemetry's exporter would otherwise keep the process alive
  `;
  // Apollo's telemetry is on unless APOLLO_TELEMETRY_DISABLED is set.
  return runInNode<Loaded>(code, { APOLLO_TELEMETRY_DISABLED: use ? undefined : 'true' });
}

const SPECIFIERS = Object.values(DEFERRED_MODULES).flat();
/** Packages of a single file: loading the real one adds no file. */
const SINGLE_FILE = new Set(['node-cpu-count', '@apollo/usage-reporting-protobuf']);

describe('@apollo/gateway loaded with what it requires for features left off deferred', () => {
  it('loads none of those packages with the gateway: one stand-in file each, and nothing they require', () => {
    const loaded = loadedFiles(false);
    expect(loaded.standIn).toEqual(Object.fromEntries(SPECIFIERS.map((spec) => [spec, true])));
    expect(loaded.perModule).toEqual(Object.fromEntries(SPECIFIERS.map((spec) => [spec, 1])));
    expect(loaded.gcpMetadata).toBe(0);
  });

  it('loads them when used: a gateway constructed with the telemetry on works as before, and so does a trace', () => {
    const loaded = loadedFiles(true);
    expect(loaded.standIn).toEqual(Object.fromEntries(SPECIFIERS.map((spec) => [spec, false])));
    // The meter provider was created, and its shutdown registered.
    expect(loaded.disposers).toBeGreaterThanOrEqual(1);
    for (const spec of SPECIFIERS) if (!SINGLE_FILE.has(spec)) expect(loaded.perModule[spec]).toBeGreaterThan(1);
    expect(loaded.gcpMetadata).toBeGreaterThan(0);
    // A stand-in can only be an object: each real module's exports must be one.
    expect(loaded.kinds).toEqual(Object.fromEntries(SPECIFIERS.map((spec) => [spec, 'object'])));
  });
});
