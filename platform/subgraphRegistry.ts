/**
 * Which subgraphs the platform runs: those supergraph.yaml lists that have a folder here with a
 * service.ts exporting a `subgraph` descriptor (subgraphs/kit/subgraphService.ts). Subgraphs listed
 * without a local folder (another team's service, a `schema.subgraph_url` entry) run elsewhere; the
 * gateway reaches them at their routing URL.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { isSubgraphService, type SubgraphService } from '../subgraphs/kit/index.js';

/** A folder name that is safe to import from (the yaml is user input). */
const LOCAL_NAME = /^[a-z][a-z0-9_]*$/;

export interface ListedSubgraph {
  name: string;
  /** The routing URL supergraph.yaml gives, if it is a string. */
  routingUrl?: string;
}

/**
 * The subgraphs a rover-format supergraph.yaml lists, in file order. Read leniently (an entry without
 * a routing URL still counts): composition reports what is wrong with the file.
 */
export async function listSupergraphSubgraphs(configPath: string): Promise<ListedSubgraph[]> {
  const parsed = parseYaml(await readFile(configPath, 'utf8')) as { subgraphs?: unknown } | null;
  const subgraphs = parsed?.subgraphs;
  if (!subgraphs || typeof subgraphs !== 'object') return [];
  return Object.entries(subgraphs as Record<string, unknown>).map(([name, entry]) => {
    const routingUrl = (entry as { routing_url?: unknown } | null)?.routing_url;
    return { name, ...(typeof routingUrl === 'string' ? { routingUrl } : {}) };
  });
}

/** Whether subgraphs/<name>/service.ts exists in this repository. */
export function hasLocalSubgraph(name: string): boolean {
  return LOCAL_NAME.test(name) && existsSync(fileURLToPath(new URL(`../subgraphs/${name}/service.ts`, import.meta.url)));
}

/** Imports subgraphs/<name>/service.ts and returns its descriptor; throws a message naming what is missing. */
export async function loadSubgraphService(name: string): Promise<SubgraphService> {
  if (!LOCAL_NAME.test(name)) throw new Error(`"${name}" is not a subgraph folder name`);
  const module = (await import(`../subgraphs/${name}/service.js`)) as { subgraph?: unknown };
  if (!isSubgraphService(module.subgraph)) {
    throw new Error(
      `subgraphs/${name}/service.ts does not export a subgraph descriptor: ` +
        `add \`export const subgraph = defineSubgraphService({ name, loadConfig, start })\``,
    );
  }
  if (module.subgraph.name !== name) {
    throw new Error(`subgraphs/${name}/service.ts describes the subgraph "${module.subgraph.name}", not "${name}"`);
  }
  return module.subgraph;
}

/**
 * Start order: groups that can start together, each after the subgraphs its members depend on.
 * Dependencies that are not in the list are ignored (the subgraph uses its configured URL for them).
 */
export function startOrder(services: readonly SubgraphService[]): SubgraphService[][] {
  const names = new Set(services.map((s) => s.name));
  const done = new Set<string>();
  const levels: SubgraphService[][] = [];
  let remaining = [...services];
  while (remaining.length) {
    const ready = remaining.filter((s) => (s.dependsOn ?? []).every((dep) => done.has(dep) || !names.has(dep)));
    if (ready.length === 0) {
      throw new Error(`subgraphs depend on each other in a cycle: ${remaining.map((s) => s.name).join(', ')}`);
    }
    levels.push(ready);
    for (const s of ready) done.add(s.name);
    remaining = remaining.filter((s) => !done.has(s.name));
  }
  return levels;
}
