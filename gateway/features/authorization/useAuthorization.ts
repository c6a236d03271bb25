/**
 * Enforces the supergraph's `@authenticated` and `@requiresScopes` before the gateway plans, as Apollo
 * Router and Hive Gateway do (@apollo/gateway itself ignores them). Unauthorized fields are removed
 * from the operation (gateway/authorization.ts), so no subgraph is asked for them; each comes back null
 * with an UNAUTHORIZED error while the rest of the operation is answered (HTTP 200). When a removed
 * field's null reaches `data` anyway (a non-null root field such as `myOrders`) or nothing is left,
 * nothing runs at all: no subgraph is called and no mutation is applied.
 *
 * The rules are read from the current supergraph and follow hot reloads. Who the caller is comes from
 * the GraphQL context's identity (authenticated = has a subject). Ownership rules ("only your own
 * orders") stay in the owning subgraph, which also keeps its own checks.
 */
import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { Identity } from '../../../lib/identity.js';
import type { Logger } from '../../../lib/logger.js';
import { expandedFieldCount } from '../operationLimits/operationLimits.js';
import {
  RequirementIndex,
  activeRemovals,
  applyRemovals,
  authorizationErrors,
  authorizationRulesFromSupergraph,
  callerKey,
  emptyAuthorizationRules,
  filterOperation,
  removalsNullData,
  type AuthorizationRules,
  type Caller,
  type FilteredOperation,
  type RemovedField,
} from './authorization.js';
import type { GatewayContext } from '../../context.js';
import { DEFAULT_PLAN_CACHE_BYTES, operationCache } from '../../federation/planning/planCache.js';
import type { GatewayFeature } from '../feature.js';

export interface AuthorizationOptions {
  /** Filtered documents remembered per (operation, kind of caller), so repeated operations skip the walk. @default 1000 */
  cacheSize?: number;
  /** The estimated heap those documents may take. @default 16 MiB */
  cacheBytes?: number;
  logger?: Logger;
}

/** How the identity on the context counts for `@authenticated` and `@requiresScopes`. */
export function callerOf(identity: Identity | undefined): Caller {
  return { authenticated: Boolean(identity?.subject), scopes: new Set(identity?.scopes ?? []) };
}

interface Mutable {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  queryHash: string;
}

export interface AuthorizationFeature extends GatewayFeature {
  /**
   * The UNAUTHORIZED errors of an operation the caller may not run whole (fields their identity lacks
   * `@authenticated` / `@requiresScopes` for), or none: for entry points that refuse such an operation
   * instead of answering its fields null (subscriptions).
   */
  check(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    identity: Identity,
    variables: Readonly<Record<string, unknown>> | undefined,
  ): GraphQLError[];
}

/** Expanded fields an operation may have for authorization to filter it (far above the operation limits' default). */
const MAX_FILTERED_FIELDS = 100_000;

export function useAuthorization(options: AuthorizationOptions = {}): AuthorizationFeature {
  const cacheSize = options.cacheSize ?? 1000;
  let rules: AuthorizationRules = emptyAuthorizationRules();
  let index: RequirementIndex | undefined;
  // Filtered operations with the hash the gateway's query-plan cache must use for them; bounded by
  // the heap their documents take too, since each holds its whole source.
  const filtered = operationCache<{ operation: OperationDefinitionNode; result: FilteredOperation; queryHash: string }>(
    cacheSize,
    options.cacheBytes ?? DEFAULT_PLAN_CACHE_BYTES,
  );

  const indexFor = (schema: GraphQLSchema): RequirementIndex => {
    // A request validated against the schema before a reload still gets checked, with the current rules.
    if (!index || index.schema !== schema) return new RequirementIndex(schema, rules);
    return index;
  };

  return {
    name: 'authorization',
    check(schema, document, operation, identity, variables) {
      const current = indexFor(schema);
      if (current.empty) return [];
      const removals = activeRemovals(filterOperation(current, { document, operation, caller: callerOf(identity) }), variables);
      return authorizationErrors(removals).map(
        (error) => new GraphQLError(error.message, { path: error.path, extensions: error.extensions }),
      );
    },
    plugins: [
      {
        async serverWillStart() {
          return {
            schemaDidLoadOrUpdate({ apiSchema, coreSupergraphSdl }) {
              try {
                rules = coreSupergraphSdl ? authorizationRulesFromSupergraph(coreSupergraphSdl) : emptyAuthorizationRules();
              } catch (err) {
                // The supergraph was composed and validated already; keep the previous rules rather than none.
                options.logger?.error({ err }, 'could not read authorization directives from the supergraph');
                return;
              }
              index = new RequirementIndex(apiSchema, rules);
              filtered.clear();
              options.logger?.debug(
                { fields: rules.fields.size, types: rules.types.size },
                'authorization rules loaded from the supergraph',
              );
            },
          };
        },
        async requestDidStart() {
          let removals: RemovedField[] = [];
          let marker: string | undefined;
          let nullsData = false;
          return {
            async didResolveOperation(requestContext) {
              const { document, operation, schema, queryHash, request, contextValue } = requestContext;
              if (!operation) return;
              const current = indexFor(schema);
              if (current.empty) return;
              const caller = callerOf(contextValue.identity);
              const key = `${queryHash}\n${operation.name?.value ?? ''}\n${callerKey(caller, current.rules)}`;
              let entry = current === index ? filtered.get(key) : undefined;
              if (!entry) {
                // Filtering follows every fragment spread; Apollo runs this hook beside the operation
                // limits', so it refuses a fragment bomb (2^n fields in a few lines) itself.
                const fields = expandedFieldCount(document, operation);
                if (fields > MAX_FILTERED_FIELDS) {
                  throw new GraphQLError(`Operation refused: its fields with fragments expanded (${fields}) exceed the ${MAX_FILTERED_FIELDS} that authorization checks`, {
                    extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'fields', max: MAX_FILTERED_FIELDS, actual: fields, http: { status: 400 } },
                  });
                }
                const result = filterOperation(current, { document, operation, caller });
                // The gateway caches query plans by queryHash: a filtered document needs a hash of its own.
                const filteredHash = result.removed.length
                  ? createHash('sha256').update(queryHash).update('\0authorization\0').update(key).digest('hex')
                  : queryHash;
                entry = { operation: result.operation, result, queryHash: filteredHash };
                if (current === index) filtered.set(key, entry);
              }
              if (!entry.result.removed.length) return;
              // @apollo/gateway's executor plans requestContext.document (and keys plans by queryHash),
              // read after this hook, so replacing them here is what makes it plan the filtered operation.
              const target = requestContext as unknown as Mutable;
              target.document = entry.result.document;
              target.operation = entry.result.operation;
              target.queryHash = entry.queryHash;
              removals = activeRemovals(entry.result, request.variables);
              marker = entry.result.marker;
              nullsData = entry.result.nothingLeft || removalsNullData(removals);
            },
            async responseForOperation() {
              if (!nullsData) return null;
              // Nothing to run, or its answer would be thrown away: answer without calling any subgraph.
              return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data: {} } } };
            },
            async willSendResponse({ response }) {
              if (!removals.length && !marker) return;
              if (response.body.kind !== 'single') return;
              const result = response.body.singleResult as { data?: Record<string, unknown> | null; errors?: unknown[] };
              // No data: the request failed as a whole (e.g. bad variables); that error is the answer.
              if (result.data === undefined) return;
              result.data = removalsNullData(removals) ? null : applyRemovals(result.data, removals, marker);
              if (removals.length) result.errors = [...authorizationErrors(removals), ...(result.errors ?? [])];
            },
          };
        },
      } satisfies ApolloServerPlugin<GatewayContext>,
    ],
  };
}
