/**
 * Measures an operation before it is planned: depth, aliases, root fields, tokens and an estimated
 * cost. Pure functions over graphql-js values, so the front-door feature (features/useOperationLimits)
 * stays a thin wrapper and the arithmetic is unit-tested on its own.
 *
 * Cost follows the IBM/GraphQL cost directive model that Federation's `@cost` and `@listSize` use:
 * every object, interface or union field costs 1 (or its `@cost(weight:)`), scalars cost 0, and a list
 * multiplies what is selected under it by its expected size: the value of a slicing argument (`first`,
 * `last`, `limit`, or `@listSize(slicingArguments:)`), else `@listSize(assumedSize:)`, else a default.
 * A non-list field with a slicing argument (a connection) passes its size to its list fields
 * (`edges`, `nodes`), as `@listSize(sizedFields:)` would.
 */
import {
  Kind,
  Lexer,
  Source,
  TokenKind,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  parse,
  valueFromASTUntyped,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

export interface OperationMetrics {
  depth: number;
  aliases: number;
  rootFields: number;
  cost: number;
}

/** Per-field cost hints read from a supergraph's `@cost` and `@listSize` directives. */
export interface CostHints {
  /** "Type.field" -> weight */
  weights: Map<string, number>;
  /** "Type.field" -> list size hints */
  listSizes: Map<string, { assumedSize?: number; slicingArguments?: string[]; sizedFields?: string[] }>;
}

export const DEFAULT_SLICING_ARGUMENTS = ['first', 'last', 'limit'];

/** Counts lexical tokens, stopping early once `max` is passed (so a huge query costs little to refuse). */
export function countTokens(source: string, max = Number.POSITIVE_INFINITY): number {
  const lexer = new Lexer(new Source(source));
  let count = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      count++;
      if (count > max) return count;
    }
  } catch {
    // A lexing error is the parser's to report; what was counted so far stands.
  }
  return count;
}

/**
 * Field selections of an operation with every fragment spread expanded, counted in linear time (each
 * fragment once): a few fragments that each spread the next twice stand for 2^n fields, which any
 * walk that expands them (limits, authorization, the planner) must refuse rather than follow.
 */
export function expandedFieldCount(document: DocumentNode, operation: OperationDefinitionNode): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const perFragment = new Map<string, number>();
  const count = (selectionSet: SelectionSetNode, visiting: Set<string>): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) total += 1 + (selection.selectionSet ? count(selection.selectionSet, visiting) : 0);
      else if (selection.kind === Kind.INLINE_FRAGMENT) total += count(selection.selectionSet, visiting);
      else {
        const name = selection.name.value;
        let inner = perFragment.get(name);
        if (inner === undefined) {
          const fragment = fragments.get(name);
          if (!fragment || visiting.has(name)) continue; // validation refuses cycles; this only guards
          visiting.add(name);
          inner = count(fragment.selectionSet, visiting);
          visiting.delete(name);
          perFragment.set(name, inner);
        }
        total += inner;
      }
    }
    return total;
  };
  return count(operation.selectionSet, new Set());
}

export function emptyCostHints(): CostHints {
  return { weights: new Map(), listSizes: new Map() };
}

/** Reads `@cost` and `@listSize` from a (super)graph SDL; unknown shapes are ignored, never fatal. */
export function costHintsFromSdl(sdl: string): CostHints {
  const hints = emptyCostHints();
  let document: DocumentNode;
  try {
    document = parse(sdl);
  } catch {
    return hints;
  }
  for (const definition of document.definitions) {
    if (
      (definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
        definition.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
        definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
        definition.kind !== Kind.INTERFACE_TYPE_EXTENSION) ||
      !definition.fields
    ) {
      continue;
    }
    for (const field of definition.fields) {
      const key = `${definition.name.value}.${field.name.value}`;
      for (const directive of field.directives ?? []) {
        const args = Object.fromEntries(
          (directive.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]),
        ) as Record<string, unknown>;
        if (directive.name.value === 'cost' && typeof args.weight === 'number') {
          hints.weights.set(key, args.weight);
        } else if (directive.name.value === 'listSize') {
          hints.listSizes.set(key, {
            assumedSize: typeof args.assumedSize === 'number' ? args.assumedSize : undefined,
            slicingArguments: stringList(args.slicingArguments),
            sizedFields: stringList(args.sizedFields),
          });
        }
      }
    }
  }
  return hints;
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
}

export interface MeasureOptions {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables?: Record<string, unknown>;
  hints?: CostHints;
  /** Expected length of a list nothing else tells about. @default 10 */
  defaultListSize?: number;
}

export function measureOperation(options: MeasureOptions): OperationMetrics {
  const { schema, document, operation } = options;
  const hints = options.hints ?? emptyCostHints();
  const defaultListSize = options.defaultListSize ?? 10;
  const variables = options.variables ?? {};
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }

  let aliases = 0;
  const rootType =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();

  /** Fields of a selection set with fragments expanded (each with the type it was selected on). */
  function collectFields(
    selectionSet: SelectionSetNode,
    parentType: GraphQLNamedType | null | undefined,
    visited: Set<string>,
    out: { field: FieldNode; parentType: GraphQLNamedType | null | undefined }[],
  ) {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        out.push({ field: selection, parentType });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typeName = selection.typeCondition?.name.value;
        collectFields(selection.selectionSet, typeName ? schema.getType(typeName) : parentType, visited, out);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || visited.has(name)) continue; // validation refuses cycles; this only guards
        visited.add(name);
        collectFields(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), visited, out);
        visited.delete(name);
      }
    }
    return out;
  }

  function fieldDef(parentType: GraphQLNamedType | null | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
    if (parentType && (isObjectType(parentType) || isInterfaceType(parentType))) return parentType.getFields()[name];
    return undefined;
  }

  function argumentNumber(field: FieldNode, name: string): number | undefined {
    const arg = field.arguments?.find((a) => a.name.value === name);
    if (!arg) return undefined;
    const value =
      arg.value.kind === Kind.VARIABLE ? variables[arg.value.name.value] : valueFromASTUntyped(arg.value, variables);
    return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
  }

  /** Expected size given by this field's slicing arguments or hints, if any. */
  function sliceSize(field: FieldNode, key: string): number | undefined {
    const hint = hints.listSizes.get(key);
    for (const name of hint?.slicingArguments ?? DEFAULT_SLICING_ARGUMENTS) {
      const size = argumentNumber(field, name);
      if (size !== undefined) return size;
    }
    return hint?.assumedSize;
  }

  /** Returns [depth, cost] of a selection set; `inheritedSize` sizes lists of a connection. */
  function walk(
    selectionSet: SelectionSetNode,
    parentType: GraphQLNamedType | null | undefined,
    inheritedSize?: { size: number; fields?: string[] },
  ): [number, number] {
    let maxDepth = 0;
    let cost = 0;
    for (const { field, parentType: owner } of collectFields(selectionSet, parentType, new Set(), [])) {
      if (field.alias) aliases++;
      const name = field.name.value;
      if (name.startsWith('__')) continue; // introspection and __typename: bounded by tokens instead
      const definition = fieldDef(owner, name);
      const ownerName = owner?.name ?? '?';
      const key = `${ownerName}.${name}`;
      const returnType = definition?.type;
      const named = returnType ? getNamedType(returnType) : undefined;
      const composite = named ? isCompositeType(named) : Boolean(field.selectionSet);
      const weight = hints.weights.get(key) ?? (composite ? 1 : 0);
      const isList = returnType ? isListType(getNullableType(returnType)) : false;

      let multiplier = 1;
      let passDown: { size: number; fields?: string[] } | undefined;
      const ownSize = sliceSize(field, key);
      if (isList) {
        const fromParent =
          inheritedSize && (!inheritedSize.fields || inheritedSize.fields.includes(name)) ? inheritedSize.size : undefined;
        multiplier = ownSize ?? fromParent ?? defaultListSize;
      } else if (ownSize !== undefined) {
        passDown = { size: ownSize, fields: hints.listSizes.get(key)?.sizedFields };
      }

      let childDepth = 0;
      let childCost = 0;
      if (field.selectionSet) [childDepth, childCost] = walk(field.selectionSet, named, passDown);
      maxDepth = Math.max(maxDepth, 1 + childDepth);
      cost += multiplier * (weight + childCost);
    }
    return [maxDepth, cost];
  }

  const rootSelections = collectFields(operation.selectionSet, rootType, new Set(), []);
  const [depth, cost] = walk(operation.selectionSet, rootType);
  return {
    depth,
    aliases,
    rootFields: rootSelections.filter(({ field }) => !field.name.value.startsWith('__')).length,
    cost: Math.round(cost),
  };
}
