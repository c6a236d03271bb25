/**
 * Refuses hostile operations before they are planned: too deep, too many aliases or root fields, too
 * many tokens, or too expensive by the estimate in operationLimits.ts (which reads `@cost` and
 * `@listSize` from the current supergraph, following hot reloads). A refusal is a 400 with code
 * QUERY_TOO_COMPLEX naming the limit, the maximum and what the operation asked for.
 */
import { GraphQLError, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { GatewayContext } from '../../context.js';
import {
  costHintsFromSdl,
  countTokens,
  emptyCostHints,
  expandedFieldCount,
  measureOperation,
  type CostHints,
  type OperationMetrics,
} from './operationLimits.js';
import type { GatewayFeature } from '../feature.js';

export interface OperationLimitsOptions {
  /** Deepest field nesting. @default 15 */
  maxDepth: number;
  /** Aliased fields in one operation. @default 30 */
  maxAliases: number;
  /** Fields at the root of one operation. @default 20 */
  maxRootFields: number;
  /** Lexical tokens of the whole document. @default 5000 */
  maxTokens: number;
  /** Estimated cost (see operationLimits.ts). @default 25000 */
  maxCost: number;
  /** Assumed length of a list nothing else sizes. @default 10 */
  defaultListSize: number;
}

export const DEFAULT_OPERATION_LIMITS: OperationLimitsOptions = Object.freeze({
  maxDepth: 15,
  maxAliases: 30,
  maxRootFields: 20,
  maxTokens: 5_000,
  maxCost: 25_000,
  defaultListSize: 10,
});

const LIMIT_TEXT = {
  depth: 'depth',
  aliases: 'aliases',
  rootFields: 'root fields',
  tokens: 'tokens',
  fields: 'fields with fragments expanded',
  cost: 'estimated cost',
} as const;

function refuse(limit: keyof typeof LIMIT_TEXT, actual: number, max: number): GraphQLError {
  return new GraphQLError(`Operation refused: its ${LIMIT_TEXT[limit]} (${actual}) exceeds the limit of ${max}`, {
    extensions: { code: 'QUERY_TOO_COMPLEX', limit, max, actual, http: { status: 400 } },
  });
}

/** Operations whose measurements are remembered (the same text or document is not measured again). */
const REMEMBERED = 1_000;

/** What the limits are checked on: an operation of a validated document, by the text it came from. */
export interface LimitedOperation {
  source: string;
  /** Identifies `source` (Apollo's queryHash: its sha256). */
  queryHash: string;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  schema: GraphQLSchema;
  variables: Record<string, unknown> | undefined;
}

export interface OperationLimitsFeature extends GatewayFeature {
  /** The QUERY_TOO_COMPLEX error for an operation over a limit, or undefined: for entry points besides POST /graphql. */
  check(operation: LimitedOperation): GraphQLError | undefined;
}

export function useOperationLimits(options: Partial<OperationLimitsOptions> = {}): OperationLimitsFeature {
  const limits = { ...DEFAULT_OPERATION_LIMITS, ...options };
  let hints: CostHints = emptyCostHints();
  // Token counts by the query's hash (not by its text, which an attacker could make large), and
  // measurements by document for operations without variables (a variable can size a list, so those
  // are measured every time); Apollo Server hands the same document for the same text while cached.
  const tokenCounts = new LRUCache<string, number>({ max: REMEMBERED });
  const measured = new WeakMap<
    DocumentNode,
    { schema: GraphQLSchema; hints: CostHints; operation: OperationDefinitionNode; metrics: OperationMetrics }
  >();
  const check = ({ source, queryHash, document, operation, schema, variables }: LimitedOperation): GraphQLError | undefined => {
    let tokens = tokenCounts.get(queryHash);
    if (tokens === undefined) tokenCounts.set(queryHash, (tokens = countTokens(source, limits.maxTokens)));
    if (tokens > limits.maxTokens) return refuse('tokens', tokens, limits.maxTokens);
    const known = measured.get(document);
    let metrics: OperationMetrics;
    if (known && known.schema === schema && known.hints === hints && known.operation === operation) metrics = known.metrics;
    else {
      // Before anything expands fragments: an operation written out in full has at least one token per
      // field, so the token limit bounds the expanded operation too.
      const fields = expandedFieldCount(document, operation);
      if (fields > limits.maxTokens) return refuse('fields', fields, limits.maxTokens);
      metrics = measureOperation({ schema, document, operation, variables, hints, defaultListSize: limits.defaultListSize });
      if (!operation.variableDefinitions?.length) measured.set(document, { schema, hints, operation, metrics });
    }
    if (metrics.depth > limits.maxDepth) return refuse('depth', metrics.depth, limits.maxDepth);
    if (metrics.aliases > limits.maxAliases) return refuse('aliases', metrics.aliases, limits.maxAliases);
    if (metrics.rootFields > limits.maxRootFields) return refuse('rootFields', metrics.rootFields, limits.maxRootFields);
    if (metrics.cost > limits.maxCost) return refuse('cost', metrics.cost, limits.maxCost);
    return undefined;
  };
  return {
    name: 'operation limits',
    check,
    plugins: [
      {
        async serverWillStart() {
          return {
            schemaDidLoadOrUpdate({ coreSupergraphSdl }) {
              hints = coreSupergraphSdl ? costHintsFromSdl(coreSupergraphSdl) : emptyCostHints();
            },
          };
        },
        async requestDidStart() {
          return {
            async didResolveOperation({ source, document, operation, schema, request, queryHash }) {
              if (!operation) return; // Apollo itself refuses a document without the named operation
              const refusal = check({ source, queryHash, document, operation, schema, variables: request.variables });
              if (refusal) throw refusal;
            },
          };
        },
      } satisfies import('@apollo/server').ApolloServerPlugin<GatewayContext>,
    ],
  };
}
