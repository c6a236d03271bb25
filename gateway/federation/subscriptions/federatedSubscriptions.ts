/**
 * GraphQL subscriptions across the subgraphs, the way Apollo Router runs them: the query planner of the
 * supergraph being served plans the subscription into a `primary` fetch (a subscription to the subgraph
 * owning the root field, opened over graphql-ws by upstreamSubscription.ts) and a `rest` plan; every
 * event the primary brings is completed by running `rest` from the event's data with the gateway's
 * own executor (entity fetches, batching, error paths) and shaped like any response (null
 * propagation). @apollo/gateway itself has no subscriptions.
 *
 * A subscription keeps the plan it was opened with when the supergraph is swapped (hot reload);
 * subscriptions opened afterwards are planned against the new one. Subgraph calls for `rest` go to the
 * data source of the subgraph as it is now.
 */
import { createHash } from 'node:crypto';
import { operationFromDocument } from '@apollo/federation-internals';
import { GraphQLError, getVariableValues, type DocumentNode, type ExecutionResult, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { LRUCache } from 'lru-cache';
import type { Identity } from '../../../lib/identity.js';
import { REQUEST_ID_HEADER, type Logger } from '../../../lib/logger.js';
import { signIdentityHeaders } from '../../../lib/signedIdentity.js';
import type { GatewayContext } from '../../context.js';
import { DEFAULT_PLAN_CACHE_BYTES, operationCache } from '../planning/planCache.js';
import { applyRootResponse, compileSubscriptionPlan, type CompiledSubscription, type SubgraphCaller } from '../execution/executePlan.js';
import { executeCompiled, operationOf, type PlanningContext } from '../execution/planExecutor.js';
import { compileResponseShape, type ResponseShape } from '../execution/responseShape.js';
import type { GatewayLike, GatewayRequestContext } from '../gatewayInterface.js';
import { openUpstreamSubscription } from './upstreamSubscription.js';

export interface FederatedSubscriptionsOptions {
  /** Announces the API schema and supergraph at load and at every swap. */
  gateway: Pick<GatewayLike, 'onSchemaLoadOrUpdate'>;
  planningFor(supergraphSdl: string): PlanningContext;
  /** The subgraph's caller (its data source) as built now, with the URL it is called at. */
  subgraph(name: string): (SubgraphCaller & { url: string }) | undefined;
  identitySigningSecret: string;
  /** Entity fetches of one plan level to one subgraph as one request. @default true */
  batching?: boolean;
  /** Subscription documents whose plans are kept, per supergraph. @default 1000 */
  planCacheSize?: number;
  /** Estimated heap those plans may take, per supergraph. @default 16 MiB */
  planCacheBytes?: number;
  /** How long a subgraph may take to accept an upstream subscription. @default 10000 */
  connectTimeoutMs?: number;
  logger?: Logger;
}

/** A subscription document planned against one supergraph. */
export interface PreparedSubscription {
  readonly schema: GraphQLSchema;
  readonly operation: OperationDefinitionNode;
  readonly planning: PlanningContext;
  readonly plan: CompiledSubscription;
  readonly shape: ResponseShape;
}

export interface SubscriptionCaller {
  identity: Identity;
  /** Logged by every service the subscription reaches, and bound into the identity signature. */
  requestId: string;
}

export interface FederatedSubscriptions {
  /** The API schema served now (what documents are validated against); undefined before the first load. */
  schema(): GraphQLSchema | undefined;
  /** Plans a validated subscription document; throws a GraphQLError when it cannot be planned. */
  prepare(schema: GraphQLSchema, document: DocumentNode, source: string, operationName: string | undefined): PreparedSubscription;
  /** Checks and coerces variables against the document's definitions; errors name the variable. */
  variableErrors(prepared: PreparedSubscription, variables: Record<string, unknown> | undefined): readonly GraphQLError[];
  /** Opens the subscription; each value is one event's response. `return()` closes upstream. */
  subscribe(
    prepared: PreparedSubscription,
    variables: Record<string, unknown> | undefined,
    caller: SubscriptionCaller,
  ): AsyncGenerator<ExecutionResult, undefined, unknown>;
}

interface SchemaState {
  schema: GraphQLSchema;
  planning: PlanningContext;
  plans: LRUCache<string, PreparedSubscription>;
}

export function createFederatedSubscriptions(options: FederatedSubscriptionsOptions): FederatedSubscriptions {
  let state: SchemaState | undefined;
  options.gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    state = {
      schema: apiSchema,
      planning: options.planningFor(coreSupergraphSdl),
      plans: operationCache(options.planCacheSize ?? 1000, options.planCacheBytes ?? DEFAULT_PLAN_CACHE_BYTES),
    };
  });

  const prepare: FederatedSubscriptions['prepare'] = (schema, document, source, operationName) => {
    // A document validated against the schema just replaced is planned against the one it was validated against.
    const current = state && state.schema === schema ? state : undefined;
    if (!current) throw new GraphQLError('The schema changed while the subscription was being set up; subscribe again');
    const key = createHash('sha256').update(operationName ?? '').update('\0').update(source).digest('base64url');
    const known = current.plans.get(key);
    if (known) return known;
    const { operation, fragments } = operationOf(document, operationName);
    const plan = current.planning.planner.buildQueryPlan(
      operationFromDocument(current.planning.apiSchema, document, { operationName }),
    );
    const prepared: PreparedSubscription = {
      schema,
      operation,
      planning: current.planning,
      plan: compileSubscriptionPlan(plan, current.planning.supergraphSchema),
      shape: compileResponseShape(schema, operation, fragments),
    };
    current.plans.set(key, prepared);
    return prepared;
  };

  const subscribe: FederatedSubscriptions['subscribe'] = (prepared, variables, caller) => {
    const { primary, rest } = prepared.plan;
    const target = options.subgraph(primary.serviceName);
    if (!target) {
      throw new GraphQLError(`Couldn't find service with name "${primary.serviceName}"`, {
        extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: primary.serviceName },
      });
    }
    const upstream = openUpstreamSubscription({
      serviceName: primary.serviceName,
      url: target.url,
      headers: {
        [REQUEST_ID_HEADER]: caller.requestId,
        ...signIdentityHeaders(caller.identity, { secret: options.identitySigningSecret, requestId: caller.requestId }),
      },
      query: primary.operation,
      operationName: primary.operationName,
      variables: Object.fromEntries(
        primary.variableUsages.filter((name) => variables?.[name] !== undefined).map((name) => [name, variables![name]]),
      ),
      connectTimeoutMs: options.connectTimeoutMs,
      logger: options.logger,
    });
    // What the executor's subgraph calls read of a request: its context (request id, identity).
    const context: GatewayContext = { requestId: caller.requestId, identity: caller.identity };
    const requestContext = { context, request: {} } as unknown as GatewayRequestContext;
    const step = { root: rest, shape: prepared.shape };

    // Not an async generator function: return() must end a subscription that is waiting for its next
    // event at once (a generator's return() would wait for that event).
    const events: AsyncGenerator<ExecutionResult, undefined, unknown> = {
      async next() {
        const event = await upstream.next();
        if (event.done) return { value: undefined, done: true };
        const result = await executeCompiled(
          step,
          {
            planning: prepared.planning,
            requestContext,
            variables,
            seed: (run) => applyRootResponse(primary, event.value, run),
          },
          { subgraph: options.subgraph, batching: options.batching },
        );
        return { value: result as ExecutionResult, done: false };
      },
      async return() {
        await upstream.return(undefined);
        return { value: undefined, done: true };
      },
      async throw(error: unknown) {
        await upstream.return(undefined);
        throw error;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
      async [Symbol.asyncDispose]() {
        await upstream.return(undefined);
      },
    };
    return events;
  };

  return {
    schema: () => state?.schema,
    prepare,
    variableErrors: (prepared, variables) =>
      prepared.operation.variableDefinitions?.length
        ? (getVariableValues(prepared.schema, prepared.operation.variableDefinitions, variables ?? {}).errors ?? [])
        : [],
    subscribe,
  };
}
