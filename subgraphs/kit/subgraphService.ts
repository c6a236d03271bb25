/**
 * What the platform launcher needs to run a subgraph it does not know in advance: every
 * subgraphs/<name>/service.ts exports `subgraph`, a descriptor made with defineSubgraphService(), and
 * the launcher starts the subgraphs supergraph.yaml lists from it (platform/subgraphRegistry.ts).
 */
import type { RunningSubgraph, StartSubgraphOptions } from './createSubgraph.js';
import type { SubgraphBaseConfig } from './config.js';

export type SubgraphEnv = Record<string, string | undefined>;

export interface SubgraphService<Config extends SubgraphBaseConfig = SubgraphBaseConfig> {
  /** The subgraph's name in supergraph.yaml, its folder under subgraphs/ and its database. */
  name: string;
  /** Reads the service's configuration from an environment; throws ConfigError naming every problem. */
  loadConfig(env: SubgraphEnv): Readonly<Config>;
  start(config: Config, options?: StartSubgraphOptions): Promise<RunningSubgraph<Config, unknown>>;
  /**
   * Subgraphs this one calls while it runs (e.g. orders calls products). They start first, and the
   * launcher gives this one their base URL as `<NAME>_URL` (PRODUCTS_URL).
   */
  dependsOn?: readonly string[];
}

export function defineSubgraphService<Config extends SubgraphBaseConfig>(
  service: SubgraphService<Config>,
): SubgraphService<Config> {
  return Object.freeze({ ...service, dependsOn: Object.freeze([...(service.dependsOn ?? [])]) });
}

/** Whether a module's `subgraph` export looks like a descriptor (a service.ts written by hand may not). */
export function isSubgraphService(value: unknown): value is SubgraphService {
  const candidate = value as Partial<SubgraphService> | undefined;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.name === 'string' &&
    typeof candidate.loadConfig === 'function' &&
    typeof candidate.start === 'function'
  );
}
