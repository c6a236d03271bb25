/**
 * The gateway's executor: @apollo/gateway keeps loading and swapping the supergraph, and its query
 * planner (@apollo/query-planner) still decides what to fetch, but the plans run here
 * (executePlan.ts), cached per operation together with everything worked out for them (compiled
 * fetches, the response shape). Plans this executor does not run (@defer) are handed to
 * @apollo/gateway's own executor, which answers them as it always has; subscriptions arrive over
 * WebSockets (federation/subscriptions), which run each event's plan with executeCompiled().
 *
 * Use: `new ApolloServer({ gateway: withPlanExecutor(new ApolloGateway(...), options) })`.
 */
import { operationFromDocument, type Schema, type Supergraph } from '@apollo/federation-internals';
import type { GatewayExecutionResult, GatewayExecutor, GatewayLike, GatewayRequestContext } from '../gatewayInterface.js';
import type { QueryPlanner } from '@apollo/query-planner';
import {
  GraphQLError,
  Kind,
  getVariableValues,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { LRUCache } from 'lru-cache';
import { markError, type Tracing } from '../../../lib/tracing.js';
import type { GatewayContext } from '../../context.js';
import { DEFAULT_PLAN_CACHE_BYTES, operationCache } from '../planning/planCache.js';
import {
  compilePlan,
  isSupportedPlan,
  runPlan,
  type CompiledNode,
  type PlanRun,
  type SubgraphCaller,
} from './executePlan.js';
import { EntityBatcher } from './entityBatching.js';
import { compileResponseShape, shapeResponse, type ResponseShape } from './responseShape.js';


/** What planning and running needs of one supergraph. */
export interface PlanningContext {
  supergraph: Supergraph;
  /** The API schema the planner plans against. */
  apiSchema: Schema;
  planner: QueryPlanner;
  /** The whole supergraph schema (type conditions of representations, rewrites). */
  supergraphSchema: GraphQLSchema;
}

export interface PlanExecutorOptions {
  /** The planning context of a supergraph SDL, as the supergraph source built it. */
  planningFor(supergraphSdl: string): PlanningContext;
  /** The caller of a subgraph by name (the data sources @apollo/gateway built). */
  subgraph(name: string): SubgraphCaller | undefined;
  /** Operations whose plans are kept, per supergraph. @default 1000 */
  planCacheSize?: number;
  /** Estimated heap those plans may take, per supergraph. @default 16 MiB */
  planCacheBytes?: number;
  /** Send entity fetches that are ready together to one subgraph as one request. @default true */
  batching?: boolean;
  /** Counts each plan cache look-up (gateway_query_plan_cache_total). */
  onPlanCache?: (hit: boolean) => void;
  /** When set, each operation gets a `plan` span under its request's span. */
  tracing?: Tracing;
}

/** An operation ready to run: its plan, compiled, and how its responses are shaped. */
interface PreparedOperation {
  operation: OperationDefinitionNode;
  /** Undefined: leave it to @apollo/gateway's executor. */
  root?: CompiledNode;
  supported: boolean;
  shape: ResponseShape;
}

interface SchemaState {
  planning: PlanningContext;
  plans: LRUCache<string, PreparedOperation>;
}

export function withPlanExecutor(gateway: GatewayLike, options: PlanExecutorOptions): GatewayLike {
  const states = new WeakMap<GraphQLSchema, SchemaState>();
  const register = ({ apiSchema, coreSupergraphSdl }: { apiSchema: GraphQLSchema; coreSupergraphSdl: string }) => {
    if (states.has(apiSchema)) return;
    states.set(apiSchema, {
      planning: options.planningFor(coreSupergraphSdl),
      plans: operationCache(options.planCacheSize ?? 1000, options.planCacheBytes ?? DEFAULT_PLAN_CACHE_BYTES),
    });
  };

  const prepare = (state: SchemaState, requestContext: GatewayRequestContext): PreparedOperation => {
    const { document, request, queryHash } = requestContext;
    const key = `${queryHash}\0${request.operationName ?? ''}`;
    let prepared = state.plans.get(key);
    options.onPlanCache?.(prepared !== undefined);
    if (prepared) return prepared;
    const { operation, fragments } = operationOf(document, request.operationName ?? undefined);
    const plan = state.planning.planner.buildQueryPlan(
      operationFromDocument(state.planning.apiSchema, document, { operationName: request.operationName ?? undefined }),
    );
    const supported = isSupportedPlan(plan);
    prepared = {
      operation,
      supported,
      root: supported ? compilePlan(plan, state.planning.supergraphSchema) : undefined,
      shape: compileResponseShape(requestContext.schema, operation, fragments),
    };
    state.plans.set(key, prepared);
    return prepared;
  };

  const tracedPrepare = (tracing: Tracing, state: SchemaState, requestContext: GatewayRequestContext) => {
    const span = tracing.startSpan('plan', undefined, (requestContext.context as GatewayContext).traceContext);
    try {
      return prepare(state, requestContext);
    } catch (err) {
      markError(span, err);
      throw err;
    } finally {
      span.end();
    }
  };

  const execute = async (requestContext: GatewayRequestContext, fallback: GatewayExecutor): Promise<GatewayExecutionResult> => {
    // No operation by that operationName: Apollo Server answers 400 OPERATION_RESOLUTION_FAILURE for
    // an error *returned* here; one thrown from planning would be a 500.
    if (!requestContext.operation) {
      const name = requestContext.request.operationName;
      return { errors: [new GraphQLError(name ? `Unknown operation named "${name}".` : 'Must provide an operation.')] };
    }
    const state = states.get(requestContext.schema);
    if (!state) return fallback(requestContext);
    const prepared = options.tracing ? tracedPrepare(options.tracing, state, requestContext) : prepare(state, requestContext);
    if (!prepared.supported) return fallback(requestContext);
    const variables = requestContext.request.variables ?? undefined;
    if (prepared.operation.variableDefinitions?.length) {
      const { errors } = getVariableValues(requestContext.schema, prepared.operation.variableDefinitions, variables ?? {});
      if (errors) return { errors };
    }
    return executeCompiled(prepared, { planning: state.planning, requestContext, variables }, options);
  };

  return {
    async load(loadOptions) {
      // Registered before loading: the first schema is announced during load().
      gateway.onSchemaLoadOrUpdate(register);
      const loaded = await gateway.load(loadOptions);
      const fallback = loaded.executor;
      if (!fallback) return loaded;
      return { ...loaded, executor: (requestContext) => execute(requestContext, fallback) };
    },
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
  };
}

/** A compiled plan node and the shape of the responses it leads to. */
export interface CompiledStep {
  /** Nothing left to fetch: the response is shaped from what `seed` put in. */
  root?: CompiledNode;
  shape: ResponseShape;
}

export interface StepInput {
  planning: PlanningContext;
  requestContext: GatewayRequestContext;
  variables: Record<string, unknown> | undefined;
  /** Puts data the plan starts from into the run before it runs (a subscription event's primary fetch). */
  seed?: (run: PlanRun) => void;
}

/**
 * Runs a compiled plan node from its starting data with this executor's machinery (entity batching,
 * error paths) and shapes the response (null propagation): one operation's plan, or the `rest` of a
 * subscription's plan for one event.
 */
export async function executeCompiled(
  step: CompiledStep,
  input: StepInput,
  options: Pick<PlanExecutorOptions, 'subgraph' | 'batching'>,
): Promise<GatewayExecutionResult> {
  const { requestContext, variables, planning } = input;
  const subgraph = options.subgraph;
  const batcher =
    options.batching === false || !step.root
      ? undefined
      : new EntityBatcher((serviceName, body) => {
          const service = subgraph(serviceName);
          if (!service) return Promise.reject(new Error(`Couldn't find service with name "${serviceName}"`));
          return service.send(body, { isRead: true, incoming: requestContext });
        });
  const run: PlanRun = {
    batcher,
    requestContext,
    variables,
    variableDefaults: step.shape.variableDefaults,
    supergraphSchema: planning.supergraphSchema,
    subgraph,
    errors: [],
    data: {},
  };
  input.seed?.(run);
  if (step.root) await runPlan(step.root, run);
  const { errors, data } = run;
  try {
    const shaped = shapeResponse(step.shape, data, variables);
    if (errors.length === 0 && shaped.errors.length > 0) {
      return { extensions: { valueCompletion: shaped.errors }, data: shaped.data } as GatewayExecutionResult;
    }
    return (errors.length === 0 ? { data: shaped.data } : { errors, data: shaped.data }) as GatewayExecutionResult;
  } catch (err) {
    if (err instanceof GraphQLError) return { errors: [err] };
    const message = err instanceof Error ? err.message : 'Unexpected error during query plan execution';
    return { errors: [new GraphQLError(message, { originalError: err instanceof Error ? err : undefined })] };
  }
}

/** The operation to run and the document's fragments (validation has already checked both). */
export function operationOf(
  document: DocumentNode,
  operationName: string | undefined,
): { operation: OperationDefinitionNode; fragments: Record<string, FragmentDefinitionNode> } {
  let operation: OperationDefinitionNode | undefined;
  const fragments: Record<string, FragmentDefinitionNode> = Object.create(null);
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) {
      if (!operationName || definition.name?.value === operationName) operation ??= definition;
    } else if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      fragments[definition.name.value] = definition;
    }
  }
  if (!operation) throw new GraphQLError(operationName ? `Unknown operation named "${operationName}".` : 'Must provide an operation.');
  return { operation, fragments };
}
