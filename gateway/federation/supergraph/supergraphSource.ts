/**
 * Where the gateway's supergraph comes from, and hot reload. The supergraph is a file composed by
 * any tool (SUPERGRAPH_PATH: rover, `npm run compose`, another platform's build; Federation 1 or 2)
 * or is composed here from a rover-format supergraph.yaml (SUPERGRAPH_CONFIG). With watching on,
 * a change of the file (or of the yaml and the schema files it lists) is loaded and handed to
 * @apollo/gateway through its `supergraphSdl` hook: requests already executing finish on the
 * schema they started with, new ones get the new one. A candidate is checked in full first (it
 * reads, composes, builds into a gateway schema and query planner, and every subgraph has a
 * routing URL), so a bad one is refused with a log line naming the problem and the old one stays.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import type { SupergraphSdlHook } from '@apollo/gateway';
import { QueryPlanner } from '@apollo/query-planner';
import { parse as parseYaml } from 'yaml';
import type { Logger } from '../../../lib/logger.js';
import { keepNamesOneByte } from '../../../lib/oneByteNames.js';
import { withEnforcedSecurityFeatures } from '../../features/authorization/authorization.js';
import { CompositionError, SupergraphConfigError, composeSupergraphConfig, formatProblem } from './compose.js';
import type { GatewayConfig } from '../../config.js';
import type { PlanningContext } from '../execution/planExecutor.js';
import { watchFiles, type FileWatch, type FileWatchTrigger } from './fileWatch.js';

/** A subgraph with the routing URL the gateway actually calls (after SUBGRAPH_URLS). */
export interface SubgraphRoute {
  name: string;
  url: string;
}

/** The supergraph being served. */
export interface ServedSupergraph {
  sdl: string;
  /** First 16 hex digits of the SDL's sha256; changes with every swap. */
  hash: string;
  subgraphs: readonly SubgraphRoute[];
}

export type SupergraphReloadResult =
  | { status: 'updated'; hash: string; previousHash: string; subgraphs: readonly SubgraphRoute[] }
  | { status: 'unchanged'; hash: string }
  | { status: 'refused'; reason: RefusalReason; message: string; hash: string };

/** Why a new supergraph was not taken: read (file or yaml), compose, invalid (SDL or routing), health check, apply. */
export type RefusalReason = 'read' | 'compose' | 'invalid' | 'health-check' | 'apply';

export interface SupergraphSourceOptions {
  logger: Logger;
  /** Serve this SDL as it is: no file, no watching. */
  supergraphSdl?: string;
  /** Quiet time after a file event before reloading. @default 100 */
  debounceMs?: number;
}

export interface SupergraphSource {
  /** For ApolloGateway's `supergraphSdl`: serves the loaded supergraph, then swaps on changes. */
  readonly hook: SupergraphSdlHook;
  current(): ServedSupergraph;
  /** The URL to call for a subgraph: SUBGRAPH_URLS first, then the supergraph's. Throws when neither has one. */
  routingUrlOf(name: string, supergraphUrl: string | undefined): string;
  /** Reads (or composes) the supergraph again now and swaps to it when it changed and is valid. */
  reload(): Promise<SupergraphReloadResult>;
  /**
   * The planner and schemas of a supergraph SDL: the ones built while checking it when it is one this
   * source served, else built now.
   */
  planningFor(sdl: string): PlanningContext;
  close(): Promise<void>;
}

/** A problem with a candidate supergraph, worded for the person who changed it. */
class SupergraphRefusal extends Error {
  constructor(
    readonly reason: RefusalReason,
    message: string,
    readonly problems?: unknown[],
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'SupergraphRefusal';
  }
}

/** What asked for a reload: a file event, a poll tick, or a caller (forces a rebuild). */
type ReloadTrigger = FileWatchTrigger | 'manual';
const TRIGGER_STRENGTH: Record<ReloadTrigger, number> = { event: 0, poll: 1, manual: 2 };

interface OriginInputs {
  /** Hash of everything the supergraph is made from, read raw: same fingerprint, same supergraph. */
  fingerprint: string;
  /** The files to watch. */
  files: string[];
  /** The inputs include something no file shows (introspected subgraphs), so a poll rebuilds anyway. */
  rebuildOnPoll: boolean;
}

/** One kind of supergraph origin: a composed file, or a yaml composed here. */
interface SupergraphOrigin {
  /** For logs, e.g. `supergraph.graphql`. */
  readonly label: string;
  inputs(): Promise<OriginInputs>;
  /** The supergraph SDL; throws SupergraphRefusal. */
  build(): Promise<string>;
}

/**
 * Loads the initial supergraph (throwing a message for people when it cannot be served) and returns
 * the source the gateway is built on.
 */
export async function loadSupergraphSource(
  config: GatewayConfig,
  options: SupergraphSourceOptions,
): Promise<SupergraphSource> {
  const { logger } = options;
  const origin = options.supergraphSdl !== undefined ? undefined : originOf(config, logger);
  const watchEnabled = origin !== undefined && config.supergraphWatch;

  const routingUrlOf = (name: string, supergraphUrl: string | undefined): string => {
    const url = config.subgraphUrls[name] ?? supergraphUrl;
    if (!url) throw new Error(`Subgraph "${name}" has no routing URL; give one in SUBGRAPH_URLS`);
    return url;
  };

  // Startup: the same steps as a reload, but a failure stops the gateway with the message.
  let lastFingerprint: string | undefined;
  let initialSdl: string;
  if (origin) {
    const inputs = await origin.inputs();
    lastFingerprint = inputs.fingerprint;
    try {
      initialSdl = await origin.build();
    } catch (err) {
      throw err instanceof SupergraphRefusal && err.cause instanceof Error ? err.cause : err;
    }
  } else {
    initialSdl = options.supergraphSdl as string;
  }
  let served: ServedSupergraph;
  // What checking a supergraph built (planner, schemas), for the executor to plan with: the served one
  // and a candidate being swapped in.
  const built = new Map<string, PlanningContext>();
  try {
    // Before anything builds a schema from it (lib/oneByteNames.ts says why).
    keepNamesOneByte(initialSdl);
    initialSdl = withEnforcedSecurityFeatures(initialSdl);
    const inspected = inspectSupergraph(initialSdl, routingUrlOf);
    built.set(initialSdl, inspected.planning);
    served = { sdl: initialSdl, hash: hashOf(initialSdl), subgraphs: inspected.subgraphs };
  } catch (err) {
    throw new Error(`${origin?.label ?? 'supergraph'}: ${(err as Error).message}`);
  }
  const names = served.subgraphs.map((s) => s.name);
  const unknown = Object.keys(config.subgraphUrls).filter((name) => !names.includes(name));
  if (unknown.length) {
    throw new Error(
      `SUBGRAPH_URLS names subgraphs the supergraph does not have: ${unknown.join(', ')} (it has: ${names.join(', ')})`,
    );
  }
  logger.info(
    { source: origin?.label ?? 'inline', hash: served.hash, subgraphs: names, watching: watchEnabled },
    'supergraph loaded',
  );

  let apollo: { update: (sdl: string) => void; healthCheck: (sdl: string) => Promise<void> } | undefined;
  let watch: FileWatch | undefined;
  let closed = false;
  let running: Promise<SupergraphReloadResult> | undefined;
  let queued: Promise<SupergraphReloadResult> | undefined;
  let queuedTrigger: ReloadTrigger = 'event';
  let lastRefusal: string | undefined;

  const refuse = (err: unknown, trigger: ReloadTrigger): SupergraphReloadResult => {
    const refusal =
      err instanceof SupergraphRefusal ? err : new SupergraphRefusal('apply', (err as Error)?.message ?? String(err));
    // A poll that meets the same refusal again says so quietly; a change by someone is always logged.
    const repeated = trigger === 'poll' && refusal.message === lastRefusal;
    lastRefusal = refusal.message;
    logger[repeated ? 'debug' : 'error'](
      {
        source: origin?.label,
        reason: refusal.reason,
        problems: refusal.problems,
        servingHash: served.hash,
      },
      `supergraph update refused, still serving ${served.hash}: ${refusal.message}`,
    );
    return { status: 'refused', reason: refusal.reason, message: refusal.message, hash: served.hash };
  };

  /** One reload: skip identical inputs, build, check, swap. */
  const check = async (trigger: ReloadTrigger): Promise<SupergraphReloadResult> => {
    if (!origin || closed) return { status: 'unchanged', hash: served.hash };
    const inputs = await origin.inputs();
    watch?.setFiles(inputs.files);
    const rebuild = trigger === 'manual' || (trigger === 'poll' && inputs.rebuildOnPoll);
    if (!rebuild && inputs.fingerprint === lastFingerprint) return { status: 'unchanged', hash: served.hash };
    lastFingerprint = inputs.fingerprint;

    const started = performance.now();
    let sdl: string;
    let subgraphs: SubgraphRoute[];
    try {
      sdl = await origin.build();
      keepNamesOneByte(sdl);
      sdl = withEnforcedSecurityFeatures(sdl);
      if (hashOf(sdl) === served.hash) {
        logger.debug({ source: origin.label, hash: served.hash }, 'supergraph inputs changed, supergraph did not');
        return { status: 'unchanged', hash: served.hash };
      }
      try {
        const inspected = inspectSupergraph(sdl, routingUrlOf);
        subgraphs = inspected.subgraphs;
        built.set(sdl, inspected.planning);
      } catch (err) {
        throw new SupergraphRefusal('invalid', (err as Error).message);
      }
      if (config.supergraphHealthCheck && apollo) {
        try {
          await apollo.healthCheck(sdl);
        } catch (err) {
          // The subgraphs may come up later: the same inputs get another try on the next event or poll.
          lastFingerprint = undefined;
          throw new SupergraphRefusal('health-check', (err as Error).message);
        }
      }
      if (closed || !apollo) return { status: 'unchanged', hash: served.hash };
      apollo.update(sdl);
    } catch (err) {
      return refuse(err, trigger);
    }

    lastRefusal = undefined;
    const previous = served;
    served = { sdl, hash: hashOf(sdl), subgraphs };
    for (const key of built.keys()) if (key !== sdl) built.delete(key);
    const before = new Set(previous.subgraphs.map((s) => s.name));
    const after = new Set(subgraphs.map((s) => s.name));
    const stale = Object.keys(config.subgraphUrls).filter((name) => !after.has(name));
    if (stale.length) {
      logger.warn({ subgraphs: stale }, `SUBGRAPH_URLS names subgraphs the new supergraph does not have: ${stale.join(', ')}`);
    }
    logger.info(
      {
        source: origin.label,
        hash: served.hash,
        previousHash: previous.hash,
        subgraphs: [...after],
        added: [...after].filter((name) => !before.has(name)),
        removed: [...before].filter((name) => !after.has(name)),
        ms: Math.round(performance.now() - started),
      },
      'supergraph updated',
    );
    return { status: 'updated', hash: served.hash, previousHash: previous.hash, subgraphs };
  };

  /** Reloads one at a time; triggers that arrive meanwhile become one more reload after it. */
  const schedule = (trigger: ReloadTrigger): Promise<SupergraphReloadResult> => {
    if (!running) {
      running = check(trigger)
        .catch((err: unknown) => refuse(err, trigger))
        .finally(() => {
          running = undefined;
        });
      return running;
    }
    if (TRIGGER_STRENGTH[trigger] > TRIGGER_STRENGTH[queuedTrigger]) queuedTrigger = trigger;
    queued ??= running.then(() => {
      const next = queuedTrigger;
      queued = undefined;
      queuedTrigger = 'event';
      return schedule(next);
    });
    return queued;
  };

  const close = async () => {
    closed = true;
    watch?.close();
    watch = undefined;
    await queued?.catch(() => undefined);
    await running?.catch(() => undefined);
  };

  const hook: SupergraphSdlHook = async ({ update, healthCheck }) => {
    apollo = { update, healthCheck };
    if (watchEnabled && origin && !closed) {
      const inputs = await origin.inputs();
      watch = watchFiles({
        files: inputs.files,
        onChange: (trigger) => void schedule(trigger),
        debounceMs: options.debounceMs,
        pollMs: config.supergraphPollMs,
        logger,
      });
      // A change between the first read and the watch start would otherwise wait for the next event.
      if (inputs.fingerprint !== lastFingerprint) setImmediate(() => void schedule('event'));
    }
    return { supergraphSdl: served.sdl, cleanup: close };
  };

  return {
    hook,
    current: () => served,
    routingUrlOf,
    reload: () => schedule('manual'),
    planningFor: (sdl) => built.get(sdl) ?? buildPlanningContext(sdl),
    close,
  };
}

/**
 * For ApolloGateway's `logger`: our own 'supergraph updated' line replaces its swap message, so a
 * swap logs once.
 */
export function apolloGatewayLogger(logger: Logger) {
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (message: unknown) => {
    if (message instanceof Error) logger[level]({ err: message }, message.message);
    else if (level === 'info' && /^Updated Supergraph SDL was found/.test(String(message))) logger.debug(String(message));
    else logger[level](String(message));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * Builds the supergraph the way the serving gateway will (validated supergraph, API schema, query
 * planner) and lists its subgraphs with the URLs they will be called at. Doing this before `update`
 * matters: @apollo/gateway records a new supergraph before building its API schema and query
 * planner, so a supergraph that fails there would leave it half-swapped. (A throwaway ApolloGateway
 * would check the same, but each one starts Apollo's usage telemetry.) What it builds is kept: the
 * gateway's executor plans with it.
 */
export function inspectSupergraph(
  sdl: string,
  routingUrlOf: (name: string, supergraphUrl: string | undefined) => string,
): { subgraphs: SubgraphRoute[]; planning: PlanningContext } {
  let planning: PlanningContext;
  try {
    planning = buildPlanningContext(sdl);
    planning.apiSchema.toGraphQLJSSchema();
  } catch (err) {
    const message = (err as Error).message;
    throw new Error(/^invalid supergraph/i.test(message) ? message : `invalid supergraph: ${message}`);
  }
  const subgraphs = planning.supergraph.subgraphsMetadata().map(({ name, url }) => ({ name, url: routingUrlOf(name, url) }));
  return { subgraphs, planning };
}

/** The validated supergraph, its API schema, its whole schema for graphql-js, and a query planner. */
export function buildPlanningContext(sdl: string): PlanningContext {
  const supergraph = Supergraph.build(sdl, { validateSupergraph: true });
  return {
    supergraph,
    supergraphSchema: supergraph.schema.toGraphQLJSSchema(),
    apiSchema: supergraph.apiSchema(),
    planner: new QueryPlanner(supergraph),
  };
}

function hashOf(sdl: string): string {
  return createHash('sha256').update(sdl).digest('hex').slice(0, 16);
}

function originOf(config: GatewayConfig, logger: Logger): SupergraphOrigin {
  return config.supergraphPath ? fileOrigin(config.supergraphPath, config.supergraphConfig) : composedOrigin(config.supergraphConfig, logger);
}

/** A supergraph composed ahead of time, by any tool. */
function fileOrigin(supergraphPath: string, configPath: string): SupergraphOrigin {
  const file = path.resolve(supergraphPath);
  return {
    label: supergraphPath,
    async inputs() {
      return { fingerprint: await fingerprintOf([file]), files: [file], rebuildOnPoll: false };
    },
    async build() {
      try {
        return await readFile(file, 'utf8');
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const why = e.code === 'ENOENT' ? 'not found' : e.message;
        const message =
          `SUPERGRAPH_PATH ${file}: ${why} (compose one with npm run compose, ` +
          `or unset SUPERGRAPH_PATH to compose ${configPath} at start)`;
        throw new SupergraphRefusal('read', message, undefined, new Error(message));
      }
    },
  };
}

/** A rover-format supergraph.yaml, composed here; its schema files are inputs too. */
function composedOrigin(configPath: string, logger: Logger): SupergraphOrigin {
  const yamlFile = path.resolve(configPath);
  return {
    label: configPath,
    async inputs() {
      const { files, remote } = await sourcesOf(yamlFile);
      return { fingerprint: await fingerprintOf(files), files, rebuildOnPoll: remote };
    },
    async build() {
      try {
        const composed = await composeSupergraphConfig(configPath);
        for (const hint of composed.hints) logger.warn({ hint: hint.code, subgraphs: hint.subgraphs }, formatProblem(hint));
        return composed.supergraphSdl;
      } catch (err) {
        if (err instanceof CompositionError) {
          const problems = err.problems.map(({ subgraphs, code, message }) => ({ subgraphs, code, message }));
          throw new SupergraphRefusal('compose', err.message, problems, err);
        }
        if (err instanceof SupergraphConfigError) throw new SupergraphRefusal('read', err.message, err.problems, err);
        throw err;
      }
    },
  };
}

/**
 * The files a supergraph.yaml is made from: itself and each `schema.file`. Read leniently, so the
 * files of a yaml that does not compose yet are still watched; compose.ts reports the problems.
 */
async function sourcesOf(yamlFile: string): Promise<{ files: string[]; remote: boolean }> {
  const files = [yamlFile];
  let remote = false;
  try {
    const parsed: unknown = parseYaml(await readFile(yamlFile, 'utf8'));
    const subgraphs = (parsed as { subgraphs?: unknown })?.subgraphs;
    if (subgraphs && typeof subgraphs === 'object') {
      for (const entry of Object.values(subgraphs)) {
        const schema = (entry as { schema?: { file?: unknown; subgraph_url?: unknown } } | null)?.schema;
        if (typeof schema?.file === 'string') files.push(path.resolve(path.dirname(yamlFile), schema.file));
        if (schema?.subgraph_url !== undefined) remote = true;
      }
    }
  } catch {
    // Unreadable or not YAML: composing says why; the yaml itself is still watched.
  }
  return { files, remote };
}

/** Hash of the files' names and raw contents (a missing file counts as its error code). */
async function fingerprintOf(files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(file).update('\0');
    try {
      hash.update(await readFile(file));
    } catch (err) {
      hash.update(`<${(err as NodeJS.ErrnoException).code ?? 'unreadable'}>`);
    }
    hash.update('\0');
  }
  return hash.digest('hex');
}
