/**
 * Keeps the client's response keys apart from the fields @apollo/gateway's query planner adds on
 * its own (entity keys, @requires selections). The planner merges a client selection into one of
 * those when both have the same response key, and answers wrongly without an error:
 *
 * - `{ products { sku: name stock } }` where stock is joined by sku: `name` is never fetched and the
 *   client's `sku` gets the sku (apollographql/federation#3036);
 * - `{ products { weight: name shippingCost } }` where shippingCost requires weight: the name is sent
 *   as the weight;
 * - `{ products { weight shippingCost } }` where shippingCost requires `weight(unit: KILOGRAM)`: one
 *   `weight` is fetched for both, so either the requirement or the client gets the other's value.
 *
 * Before the plan is built, every selection on an entity-like type whose response key could collide
 * (an alias named like a field of its type, or an unaliased field that takes arguments) gets an alias
 * of its own, `<key>__rk`; the result's keys and error paths are renamed back before the response is
 * sent. Validation has already run on the client's document, so messages and locations are the
 * client's. Documents that need no change (almost all) cost one cached lookup.
 *
 * Use: `new ApolloServer({ gateway: withResponseKeyGuard(new ApolloGateway(...)) })`.
 */
import type { GatewayExecutor, GatewayLike } from '../gatewayInterface.js';
import {
  GraphQLError,
  isInterfaceType,
  isObjectType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';


/** What the guard appends to the response keys it replaces; unlikely in a client's own alias. */
export const GUARDED_KEY_SUFFIX = '__rk';

/** Rewritten documents by schema (hot reload swaps it) and document (Apollo Server caches parsed ones). */
const rewrites = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, DocumentNode | null>>();

/**
 * The document with colliding response keys aliased, or undefined when nothing can collide. Root
 * operation types and introspection types are left alone: the planner adds nothing there.
 */
export function guardResponseKeys(document: DocumentNode, schema: GraphQLSchema): DocumentNode | undefined {
  let bySchema = rewrites.get(schema);
  if (!bySchema) rewrites.set(schema, (bySchema = new WeakMap()));
  const cached = bySchema.get(document);
  if (cached !== undefined) return cached ?? undefined;

  const roots = new Set<unknown>([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]);
  const typeInfo = new TypeInfo(schema);
  let changed = false;
  const rewritten = visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node: FieldNode) {
        const parent = typeInfo.getParentType();
        if (!parent || roots.has(parent) || parent.name.startsWith('__')) return undefined;
        if (!isObjectType(parent) && !isInterfaceType(parent)) return undefined;
        const key = node.alias?.value ?? node.name.value;
        const sameNamedField = parent.getFields()[key];
        if (!sameNamedField) return undefined;
        // The field under its own name without arguments is exactly what a key or requirement would select.
        if (node.name.value === key && sameNamedField.args.length === 0) return undefined;
        changed = true;
        return { ...node, alias: { kind: Kind.NAME, value: `${key}${GUARDED_KEY_SUFFIX}` } };
      },
    }),
  );
  bySchema.set(document, changed ? rewritten : null);
  return changed ? rewritten : undefined;
}

/** Renames guarded keys back in a result's data (recursively). */
export function restoreResponseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(restoreResponseKeys);
  if (value === null || typeof value !== 'object') return value;
  const restored: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) restored[restoredKey(key)] = restoreResponseKeys(inner);
  return restored;
}

function restoredKey(key: string): string {
  return key.endsWith(GUARDED_KEY_SUFFIX) ? key.slice(0, -GUARDED_KEY_SUFFIX.length) : key;
}

function restorePath<P extends readonly (string | number)[] | undefined>(path: P): P {
  return (path?.map((segment) => (typeof segment === 'string' ? restoredKey(segment) : segment)) ?? path) as P;
}

function restoreError(error: GraphQLError): GraphQLError {
  if (!error.path?.some((segment) => typeof segment === 'string' && segment.endsWith(GUARDED_KEY_SUFFIX))) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: restorePath(error.path),
    originalError: error.originalError,
    extensions: error.extensions,
  });
}

/** @apollo/gateway reports fields it could not complete in `extensions.valueCompletion`, with paths. */
function restoreExtensions(extensions: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const valueCompletion = extensions?.valueCompletion;
  if (!Array.isArray(valueCompletion)) return extensions;
  return {
    ...extensions,
    valueCompletion: valueCompletion.map((entry: GraphQLFormattedError) => ({ ...entry, path: restorePath(entry.path) })),
  };
}

/** Wraps a gateway (ApolloGateway) so its executor plans and runs the guarded document. */
export function withResponseKeyGuard(gateway: GatewayLike): GatewayLike {
  return {
    async load(options) {
      const loaded = await gateway.load(options);
      const execute = loaded.executor;
      if (!execute) return loaded;
      const executor: GatewayExecutor = async (requestContext) => {
        const document = guardResponseKeys(requestContext.document, requestContext.schema);
        if (!document) return execute(requestContext);
        // The plan cache is keyed by the query's hash: the same query always gets the same rewrite.
        const result = await execute({ ...requestContext, document });
        return {
          ...result,
          data: restoreResponseKeys(result.data) as typeof result.data,
          errors: result.errors?.map(restoreError),
          extensions: restoreExtensions(result.extensions),
        };
      };
      return { ...loaded, executor };
    },
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
  };
}
