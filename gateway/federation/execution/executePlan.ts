/**
 * Runs a query plan of @apollo/query-planner against the subgraphs. Semantics are
 * @apollo/gateway's executeQueryPlan (what goes to which subgraph, how answers merge, where errors
 * point), with the per-request work moved to compile time (compilePlan, once per plan): request
 * bodies are written as text from prepared parts, representations are read by compiled readers and
 * each distinct one is sent once, and the response is shaped in one pass (responseShape.ts).
 */
import { ERRORS, errorCodeDef } from '@apollo/federation-internals';
import { applyRewrites } from '@apollo/gateway/dist/dataRewrites.js';
import type { FetchNode, PlanNode, QueryPlan, ResponsePath, SubscriptionNode } from '@apollo/query-planner';
import { GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { GatewayRequestContext } from '../gatewayInterface.js';
import type { EntityBatcher } from './entityBatching.js';
import {
  collectRepresentations,
  compileRepresentation,
  compileFlatRepresentation,
  mergeInto,
  typeMatcher,
  type RepresentationReader,
  type FlatRepresentation,
} from './representations.js';

type Entity = Record<string, unknown>;

/** A subgraph's GraphQL answer as the data source parsed it. */
export interface SubgraphResponse {
  data?: Record<string, unknown> | null;
  errors?: readonly SubgraphError[];
  extensions?: Record<string, unknown>;
}

interface SubgraphError {
  message?: string;
  path?: readonly (string | number)[];
  extensions?: Record<string, unknown>;
}

/** How the executor calls a subgraph (SubgraphDataSource.send): a ready body, and whether it only reads. */
export interface SubgraphCaller {
  send(body: string, call: { isRead: boolean; incoming: GatewayRequestContext }): Promise<SubgraphResponse>;
}

export interface CompiledFetch {
  kind: 'Fetch';
  /** Unique per compiled fetch (batching caches combined operations by it). */
  id: number;
  serviceName: string;
  operation: string;
  operationName?: string;
  document?: DocumentNode;
  isRead: boolean;
  /** `{"query":"…"` : the start of every body of this fetch. */
  bodyStart: string;
  /** `,"operationName":"…"}` or `}`: the end of every body. */
  bodyEnd: string;
  variableUsages: readonly string[];
  /** Entity fetches: reads each entity's representation. */
  readRepresentation?: RepresentationReader;
  /** The same requirements when they have the usual flat shape (compared by value, written as text). */
  flatRepresentation?: FlatRepresentation;
  inputRewrites?: FetchNode['inputRewrites'];
  outputRewrites?: FetchNode['outputRewrites'];
}

export type CompiledNode =
  | { kind: 'Sequence'; nodes: CompiledNode[] }
  | { kind: 'Parallel'; nodes: CompiledNode[] }
  | { kind: 'Flatten'; path: ResponsePath; node: CompiledNode }
  | { kind: 'Condition'; condition: string; ifClause?: CompiledNode; elseClause?: CompiledNode }
  | CompiledFetch;

/** Whether this executor runs the plan; @defer and subscriptions are left to @apollo/gateway. */
export function isSupportedPlan(plan: QueryPlan): boolean {
  const supported = (node: PlanNode | { kind: string } | undefined): boolean => {
    if (!node) return true;
    switch (node.kind) {
      case 'Sequence':
      case 'Parallel':
        return (node as { nodes: PlanNode[] }).nodes.every(supported);
      case 'Flatten':
        return supported((node as { node: PlanNode }).node);
      case 'Condition': {
        const condition = node as { ifClause?: PlanNode; elseClause?: PlanNode };
        return supported(condition.ifClause) && supported(condition.elseClause);
      }
      case 'Fetch':
        return true;
      default:
        return false;
    }
  };
  return supported(plan.node);
}

let nextFetchId = 1;

export function compilePlan(plan: QueryPlan, supergraphSchema: GraphQLSchema): CompiledNode | undefined {
  return plan.node ? planCompiler(supergraphSchema)(plan.node as PlanNode) : undefined;
}

/**
 * A subscription's plan: the `primary` fetch, opened as a subscription to the subgraph that owns the
 * root field, and the `rest`, run for every event from the data the event brought.
 */
export interface CompiledSubscription {
  primary: CompiledFetch;
  rest?: CompiledNode;
}

export function compileSubscriptionPlan(plan: QueryPlan, supergraphSchema: GraphQLSchema): CompiledSubscription {
  const node = plan.node as SubscriptionNode | PlanNode | undefined;
  if (node?.kind !== 'Subscription') throw new Error(`Expected a subscription plan, got ${node?.kind ?? 'an empty plan'}`);
  const compile = planCompiler(supergraphSchema);
  const primary = compile(node.primary);
  if (primary.kind !== 'Fetch') throw new Error('The primary node of a subscription plan must be a fetch');
  return { primary, rest: node.rest ? compile(node.rest) : undefined };
}

function planCompiler(supergraphSchema: GraphQLSchema): (node: PlanNode) => CompiledNode {
  const matches = typeMatcher(supergraphSchema);
  const compile = (node: PlanNode): CompiledNode => {
    switch (node.kind) {
      case 'Sequence':
      case 'Parallel':
        return { kind: node.kind, nodes: node.nodes.map(compile) };
      case 'Flatten':
        return { kind: 'Flatten', path: node.path, node: compile(node.node) };
      case 'Condition':
        return {
          kind: 'Condition',
          condition: node.condition,
          ifClause: node.ifClause && compile(node.ifClause),
          elseClause: node.elseClause && compile(node.elseClause),
        };
      case 'Fetch':
        return {
          kind: 'Fetch',
          id: nextFetchId++,
          serviceName: node.serviceName,
          operation: node.operation,
          operationName: node.operationName,
          document: node.operationDocumentNode,
          isRead: node.operationKind === 'query',
          bodyStart: `{"query":${JSON.stringify(node.operation)}`,
          bodyEnd: node.operationName === undefined ? '}' : `,"operationName":${JSON.stringify(node.operationName)}}`,
          variableUsages: node.variableUsages ?? [],
          readRepresentation: node.requires ? compileRepresentation(node.requires, matches) : undefined,
          flatRepresentation: node.requires ? compileFlatRepresentation(node.requires, matches) : undefined,
          inputRewrites: node.inputRewrites?.length ? node.inputRewrites : undefined,
          outputRewrites: node.outputRewrites?.length ? node.outputRewrites : undefined,
        };
      default:
        throw new Error(`Plan nodes of kind ${node.kind} are not run by this executor`);
    }
  };
  return compile;
}

export interface PlanRun {
  requestContext: GatewayRequestContext;
  /** The client's variables as sent. */
  variables: Record<string, unknown> | undefined;
  /** The operation's variable defaults (for Condition nodes). */
  variableDefaults: Readonly<Record<string, unknown>>;
  supergraphSchema: GraphQLSchema;
  subgraph(name: string): SubgraphCaller | undefined;
  errors: unknown[];
  data: Entity;
  /** Sends the entity fetches of one plan level to one subgraph together; absent: one request each. */
  batcher?: EntityBatcher;
}

interface Cursor {
  path: ResponsePath;
  data: Entity | readonly unknown[];
}

/** Runs a plan node from `run.data`, which may already hold what earlier fetches brought (a subscription event). */
export async function runPlan(root: CompiledNode, run: PlanRun): Promise<void> {
  await runNode(root, { path: [], data: run.data }, run);
}

/**
 * A root fetch's answer taken into `run.data`, its errors into `run.errors` with the subgraph's name:
 * what a plan's first fetch does, and what each event of a subscription's primary fetch does.
 */
export function applyRootResponse(fetch: CompiledFetch, response: SubgraphResponse, run: PlanRun): void {
  reportErrors(response, fetch, { path: [], data: run.data }, run, undefined);
  const data = response.data;
  if (data) applyRewrites(run.supergraphSchema, fetch.outputRewrites, data);
  mergeInto(run.data, data);
}

async function runNode(node: CompiledNode, cursor: Cursor, run: PlanRun): Promise<void> {
  switch (node.kind) {
    case 'Sequence':
      for (const child of node.nodes) await runNode(child, cursor, run);
      return;
    case 'Parallel':
      await Promise.all(node.nodes.map((child) => runNode(child, cursor, run)));
      return;
    case 'Flatten': {
      const data = flatten(cursor.data, node.path);
      if (data) await runNode(node.node, { path: cursor.path.concat(node.path), data: data as Entity | unknown[] }, run);
      return;
    }
    case 'Condition': {
      let value = run.variables?.[node.condition];
      if (value === undefined) value = run.variableDefaults[node.condition];
      if (typeof value !== 'boolean') throw new Error(`Invalid non-boolean value ${String(value)} for Boolean! variable $${node.condition}`);
      const branch = value ? node.ifClause : node.elseClause;
      if (branch) await runNode(branch, cursor, run);
      return;
    }
    case 'Fetch':
      try {
        await runFetch(node, cursor, run);
      } catch (err) {
        run.errors.push(err);
      }
  }
}

/**
 * The values at a plan path ('@' steps into every item of a list): the value itself when the path has
 * no '@', else one new list of the non-null values in document order, built without a list per level
 * (the order hydratedPaths lists their paths in).
 */
function flatten(value: unknown, path: ResponsePath): unknown {
  let from = 0;
  for (; from < path.length && path[from] !== '@'; from++) {
    if (value === undefined || value === null) return value;
    value = stepInto(value, path[from]);
  }
  if (from === path.length || value === undefined || value === null) return value;
  const items: unknown[] = [];
  for (const item of value as unknown[]) collectAt(item, path, from + 1, items);
  return items;
}

/** Pushes the non-null values at `path[from..]` under `value` onto `items`; a list at the end is spread. */
function collectAt(value: unknown, path: ResponsePath, from: number, items: unknown[]): void {
  for (; from < path.length; from++) {
    if (value === undefined || value === null) return;
    if (path[from] === '@') {
      for (const item of value as unknown[]) collectAt(item, path, from + 1, items);
      return;
    }
    value = stepInto(value, path[from]);
  }
  if (value === undefined || value === null) return;
  if (!Array.isArray(value)) items.push(value);
  else for (const item of value) if (item !== undefined && item !== null) items.push(item);
}

function stepInto(value: unknown, step: string | number): unknown {
  if (Array.isArray(value)) throw new Error(`Unexpected array in result for path element ${String(step)}`);
  const next = (value as Entity)[step as string];
  return typeof next === 'function' ? undefined : next;
}

function variablesJson(fetch: CompiledFetch, provided: Record<string, unknown> | undefined): string {
  let json = '';
  if (provided) {
    for (const name of fetch.variableUsages) {
      const value = Object.hasOwn(provided, name) ? provided[name] : undefined;
      if (value !== undefined) json += `${json ? ',' : ''}${JSON.stringify(name)}:${JSON.stringify(value)}`;
    }
  }
  return json;
}

/** A fetch's entities: flatten's list as it is (it holds no nulls unless the path had no '@'), or the one object. */
function entitiesOf(data: Entity | readonly unknown[]): readonly Entity[] {
  if (!Array.isArray(data)) return [data as Entity];
  for (const item of data) if (item === null || item === undefined) return data.filter((x) => x !== null && x !== undefined) as Entity[];
  return data as readonly Entity[];
}

async function runFetch(fetch: CompiledFetch, cursor: Cursor, run: PlanRun): Promise<void> {
  const service = run.subgraph(fetch.serviceName);
  if (!service) throw new Error(`Couldn't find service with name "${fetch.serviceName}"`);
  const entities = entitiesOf(cursor.data);
  if (!entities.length) return;
  const variables = variablesJson(fetch, run.variables);
  const call = { isRead: fetch.isRead, incoming: run.requestContext };

  if (!fetch.readRepresentation) {
    const response = await service.send(`${fetch.bodyStart},"variables":{${variables}}${fetch.bodyEnd}`, call);
    reportErrors(response, fetch, cursor, run, undefined);
    const data = response.data;
    if (data) applyRewrites(run.supergraphSchema, fetch.outputRewrites, data);
    for (const entity of entities) mergeInto(entity, data);
    return;
  }

  const rewrites = fetch.inputRewrites;
  const batch = collectRepresentations(
    entities,
    fetch.readRepresentation,
    rewrites ? (representation) => applyRewrites(run.supergraphSchema, rewrites, representation) : undefined,
    fetch.flatRepresentation,
  );
  if (!batch) return;
  if (fetch.variableUsages.includes('representations')) throw new Error('Variables cannot contain key "representations"');
  const response =
    run.batcher && fetch.isRead
      ? await run.batcher.call(fetch, variables, batch.json)
      : await service.send(`${fetch.bodyStart},"variables":{${variables}${variables ? ',' : ''}"representations":${batch.json}}${fetch.bodyEnd}`, call);
  reportErrors(response, fetch, cursor, run, batch.owners);
  const data = response.data;
  if (!data) return;
  const received = data._entities;
  if (!Array.isArray(received)) throw new Error('Expected "data._entities" in response to be an array');
  if (received.length !== batch.count) throw new Error(`Expected "data._entities" to contain ${batch.count} elements`);
  for (let i = 0; i < received.length; i++) {
    const entity = received[i] as Entity | null;
    const owners = batch.owners[i];
    if (entity && !entity.__typename) entity.__typename = entities[owners[0]].__typename;
    if (entity) applyRewrites(run.supergraphSchema, fetch.outputRewrites, entity);
    for (const owner of owners) mergeInto(entities[owner], entity);
  }
}

/**
 * A subgraph's errors in the client's response, with paths pointing into it: an entity fetch's
 * `_entities.<i>` becomes the path of each entity representation i stands for.
 */
function reportErrors(
  response: SubgraphResponse,
  fetch: CompiledFetch,
  cursor: Cursor,
  run: PlanRun,
  owners: number[][] | undefined,
): void {
  if (!response.errors) return;
  let entityPaths: ResponsePath[] | undefined;
  for (const error of response.errors) {
    const path = error.path;
    if (owners && typeof path?.[1] === 'number') {
      entityPaths ??= hydratedPaths(run.data, cursor.path);
      for (const owner of owners[path[1]] ?? [undefined]) {
        const at = owner === undefined ? [] : (entityPaths[owner] ?? []);
        run.errors.push(downstreamError(error, fetch.serviceName, [...at, ...path.slice(2)]));
      }
    } else {
      run.errors.push(downstreamError(error, fetch.serviceName, path ? [...cursor.path, ...path] : undefined));
    }
  }
  // What @apollo/gateway records for usage reporting when subgraphs send no traces.
  const metrics = run.requestContext.metrics as { nonFtv1ErrorPaths?: { subgraph: string; path?: unknown }[] } | undefined;
  if (metrics && !response.extensions?.ftv1) {
    const paths = response.errors.map((error) => ({ subgraph: fetch.serviceName, path: error.path }));
    if (metrics.nonFtv1ErrorPaths) metrics.nonFtv1ErrorPaths.push(...paths);
    else metrics.nonFtv1ErrorPaths = paths;
  }
}

/** The concrete path of every non-null value at a plan path, in the order flatten lists them. */
function hydratedPaths(data: unknown, path: ResponsePath): ResponsePath[] {
  const result: ResponsePath[] = [];
  const walk = (value: unknown, from: number, at: (string | number)[]) => {
    if (value === null || value === undefined) return;
    if (from === path.length) {
      result.push(at.slice());
      return;
    }
    const step = path[from];
    if (step === '@' || Array.isArray(value)) {
      if (!Array.isArray(value)) return;
      const next = step === '@' ? from + 1 : from;
      value.forEach((item, i) => {
        at.push(i);
        walk(item, next, at);
        at.pop();
      });
      return;
    }
    const object = value as Entity;
    if (Object.hasOwn(object, step)) {
      at.push(step);
      walk(object[step as string], from + 1, at);
      at.pop();
    }
  };
  walk(data, 0, []);
  return result;
}

/** @apollo/gateway's downstreamServiceError: the subgraph's message and extensions, its name added. */
function downstreamError(error: SubgraphError, serviceName: string, path: readonly (string | number)[] | undefined): GraphQLError {
  const message = error.message || `Error while fetching subquery from service "${serviceName}"`;
  const options = {
    originalError: error as Error,
    path,
    extensions: { ...error.extensions, serviceName },
  };
  const codeDef = errorCodeDef(error as GraphQLError);
  if (!codeDef && error.extensions?.code) return new GraphQLError(message, options);
  return (codeDef ?? ERRORS.DOWNSTREAM_SERVICE_ERROR).err(message, options);
}
