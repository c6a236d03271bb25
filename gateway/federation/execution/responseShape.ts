/**
 * The last step of executing a query plan: the client's response, built from the data the subgraph
 * fetches merged (which also holds the keys, `__typename`s and @requires fields the planner added).
 * It walks the operation once, keeps only what the client selected, in its order and under its
 * response keys, and applies GraphQL's null propagation. The rules are @apollo/gateway's
 * `computeResponse` (resultShaping.js), which its conformance tests pin down, but everything it
 * looks up per value there (directives, field definitions, type conditions, leaf checks) is worked
 * out once per operation here, so a response costs one pass over its data:
 *
 * - a non-null field that is null nulls its parent, with a "Cannot return null" error unless the
 *   null came from an error already reported below it;
 * - a leaf value that does not fit its type (e.g. an @inaccessible enum value) becomes null with an
 *   "Invalid value found" error; an object whose `__typename` the API schema does not have, too;
 * - fragments apply by the object's `__typename` (or the field's type when there is none);
 * - `__schema` / `__type` are answered by graphql-js against the API schema.
 */
import { ERRORS } from '@apollo/federation-internals';
import {
  GraphQLError,
  Kind,
  executeSync,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  valueFromASTUntyped,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** A `@skip` / `@include` argument: a literal, or the name of a Boolean variable. */
type BooleanArgument = boolean | { variable: string };

interface Conditions {
  skip?: BooleanArgument;
  include?: BooleanArgument;
}

/** How a field's value is completed, from its type's wrappers inwards. */
type ValueShape =
  | { kind: 'nonNull'; of: ValueShape }
  | { kind: 'list'; of: ValueShape }
  | { kind: 'composite'; type: GraphQLCompositeType }
  | { kind: 'leaf'; type: GraphQLNamedType; isValid: (value: unknown) => boolean };

interface FieldStep {
  kind: 'field';
  responseKey: string;
  fieldName: string;
  conditions?: Conditions;
  /** `__typename`, aliased or not. */
  typename: boolean;
  /** `__schema` or `__type`: answered by graphql-js. */
  introspection?: FieldNode;
  shape?: ValueShape;
  /** The selections under a composite field. */
  selections?: Step[];
}

interface FragmentStep {
  kind: 'fragment';
  conditions?: Conditions;
  /** The type condition and every type it applies to (itself, its members, its implementations). */
  typeCondition?: GraphQLCompositeType;
  appliesTo?: ReadonlySet<string>;
  selections: Step[];
}

type Step = FieldStep | FragmentStep;

/** An operation worked out for shaping responses; built once per operation and API schema. */
export interface ResponseShape {
  readonly rootType: GraphQLObjectType;
  readonly steps: readonly Step[];
  /** Default values of the operation's variables (for `@skip` / `@include`). */
  readonly variableDefaults: Readonly<Record<string, unknown>>;
  readonly schema: GraphQLSchema;
  readonly operation: OperationDefinitionNode;
  readonly fragments: readonly FragmentDefinitionNode[];
}

export function compileResponseShape(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
): ResponseShape {
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) throw new Error(`The schema has no ${operation.operation} type`);
  const appliesTo = new Map<string, Set<string>>();
  const typesUnder = (type: GraphQLCompositeType): Set<string> => {
    let set = appliesTo.get(type.name);
    if (!set) {
      set = new Set([type.name]);
      if (isAbstractType(type)) {
        const { objects, interfaces } =
          'getTypes' in type ? { objects: type.getTypes(), interfaces: [] } : schema.getImplementations(type);
        for (const t of [...objects, ...interfaces]) set.add(t.name);
      }
      appliesTo.set(type.name, set);
    }
    return set;
  };

  const stepsOf = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType): Step[] => {
    const steps: Step[] = [];
    for (const selection of selectionSet.selections) {
      const conditions = conditionsOf(selection.directives);
      if (selection.kind === Kind.FIELD) {
        const responseKey = selection.alias?.value ?? selection.name.value;
        const fieldName = selection.name.value;
        if (fieldName === '__typename') {
          steps.push({ kind: 'field', responseKey, fieldName, conditions, typename: true });
          continue;
        }
        if (fieldName === '__schema' || fieldName === '__type') {
          steps.push({ kind: 'field', responseKey, fieldName, conditions, typename: false, introspection: selection });
          continue;
        }
        const definition = fieldOf(parent, fieldName);
        const shape = shapeOf(definition.type);
        const named = namedOf(shape);
        const selections =
          named.kind === 'composite' && selection.selectionSet ? stepsOf(selection.selectionSet, named.type) : undefined;
        steps.push({ kind: 'field', responseKey, fieldName, conditions, typename: false, shape, selections });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typeCondition = selection.typeCondition
          ? (schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType | undefined)
          : undefined;
        steps.push({
          kind: 'fragment',
          conditions,
          typeCondition,
          appliesTo: typeCondition ? typesUnder(typeCondition) : undefined,
          selections: stepsOf(selection.selectionSet, typeCondition ?? parent),
        });
      } else {
        const fragment = fragments[selection.name.value];
        if (!fragment) throw new Error(`Unknown fragment "${selection.name.value}"`);
        const typeCondition = schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType;
        steps.push({
          kind: 'fragment',
          conditions,
          typeCondition,
          appliesTo: typesUnder(typeCondition),
          selections: stepsOf(fragment.selectionSet, typeCondition),
        });
      }
    }
    return steps;
  };

  const variableDefaults: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue) variableDefaults[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue);
  }
  return {
    rootType,
    steps: stepsOf(operation.selectionSet, rootType),
    variableDefaults,
    schema,
    operation,
    fragments: Object.values(fragments),
  };
}

function fieldOf(parent: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> {
  const field = 'getFields' in parent ? parent.getFields()[name] : undefined;
  if (!field) throw new Error(`Cannot query field "${name}" on type "${parent.name}"`);
  return field;
}

function namedOf(shape: ValueShape): Extract<ValueShape, { kind: 'composite' | 'leaf' }> {
  return shape.kind === 'nonNull' || shape.kind === 'list' ? namedOf(shape.of) : shape;
}

const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

function shapeOf(type: GraphQLOutputType): ValueShape {
  if (isNonNullType(type)) return { kind: 'nonNull', of: shapeOf(type.ofType) };
  if (isListType(type)) return { kind: 'list', of: shapeOf(type.ofType) };
  if (isScalarType(type) || isEnumType(type)) return { kind: 'leaf', type, isValid: leafCheck(type) };
  return { kind: 'composite', type };
}

/** @apollo/federation-internals' isValidLeafValue, decided once per type. */
function leafCheck(type: GraphQLNamedType): (value: unknown) => boolean {
  if (isEnumType(type)) {
    const values = new Set(type.getValues().map((v) => v.name));
    return (value) => typeof value === 'string' && values.has(value);
  }
  switch (type.name) {
    case 'Boolean':
      return (value) => typeof value === 'boolean';
    case 'Int':
    case 'ID':
      return (value) =>
        typeof value === 'number' ? Number.isFinite(value) && INTEGER.test(String(value)) : type.name === 'ID' && typeof value === 'string';
    case 'Float':
      return (value) => typeof value === 'number' && Number.isFinite(value);
    case 'String':
      return (value) => typeof value === 'string';
    default:
      // Custom scalars: whatever the subgraph sent.
      return () => true;
  }
}

function conditionsOf(directives: readonly DirectiveNode[] | undefined): Conditions | undefined {
  if (!directives?.length) return undefined;
  let conditions: Conditions | undefined;
  for (const directive of directives) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const arg = directive.arguments?.find((a) => a.name.value === 'if')?.value;
    if (!arg) continue;
    const value: BooleanArgument =
      arg.kind === Kind.VARIABLE ? { variable: arg.name.value } : arg.kind === Kind.BOOLEAN ? arg.value : Boolean(valueFromASTUntyped(arg));
    conditions ??= {};
    // Only the first of each counts, as in @apollo/gateway.
    if (conditions[name] === undefined) conditions[name] = value;
  }
  return conditions;
}

// --- Shaping a response ------------------------------------------------------------------------

type Path = (string | number)[];

interface ShapingState {
  variables: Record<string, unknown>;
  errors: GraphQLError[];
  shape: ResponseShape;
  rawVariables: Record<string, unknown> | undefined;
  /**
   * Set by each complete() call for its caller to read at once (instead of an object per value): a
   * non-null position got null, so the parent must be nulled...
   */
  invalid: boolean;
  /** ...and an error was recorded for the value or below it. */
  hasErrors: boolean;
}

/** Null bubbles up from here: the caller must null its own value. */
const BUBBLE = Symbol('null bubbles up');

/** The response data and the errors found while completing values (`extensions.valueCompletion`). */
export function shapeResponse(
  shape: ResponseShape,
  input: Record<string, unknown>,
  variables: Record<string, unknown> | undefined,
): { data: Record<string, unknown> | null; errors: GraphQLError[] } {
  const state: ShapingState = {
    variables: { ...shape.variableDefaults, ...variables },
    errors: [],
    shape,
    rawVariables: variables,
    invalid: false,
    hasErrors: false,
  };
  const data: Record<string, unknown> = {};
  const result = applySteps(input, shape.steps, data, state, [], shape.rootType.name);
  return { data: result === BUBBLE ? null : data, errors: state.errors };
}

function booleanOf(argument: BooleanArgument, variables: Record<string, unknown>): boolean {
  if (typeof argument === 'boolean') return argument;
  const value = variables[argument.variable];
  if (typeof value !== 'boolean') throw new Error(`Unexpected value ${String(value)} for variable $${argument.variable}`);
  return value;
}

function skipped(conditions: Conditions | undefined, variables: Record<string, unknown>): boolean {
  if (!conditions) return false;
  if (conditions.skip !== undefined && booleanOf(conditions.skip, variables)) return true;
  return conditions.include !== undefined && !booleanOf(conditions.include, variables);
}

/**
 * Writes the selected fields of `input` into `output`. `parentName` is the type the selections are
 * read in: the object's `__typename` (else the field's type), or the innermost fragment's condition.
 */
function applySteps(
  input: Record<string, unknown>,
  steps: readonly Step[],
  output: Record<string, unknown>,
  state: ShapingState,
  path: Path,
  parentName: string,
): typeof BUBBLE | undefined {
  const flat = flatFieldsOf(steps);
  if (flat) {
    let typename = input.__typename;
    if (flat.fragments) {
      if (typename !== undefined && typename !== null && typeof typename !== 'string') {
        throw new Error(`Got unexpected value for __typename: ${String(typename)}`);
      }
    }
    const cacheKey = typeof typename === 'string' && typename ? typename : `\0${parentName}`;
    let fields = flat.byType.get(cacheKey);
    if (!fields) {
      fields = [];
      flattenSteps(steps, typeof typename === 'string' && typename ? typename : undefined, parentName, fields);
      flat.byType.set(cacheKey, fields);
    }
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i];
      if (applyField(input, field.step, output, state, path, field.parentName ?? parentName) === BUBBLE) return BUBBLE;
    }
    return undefined;
  }
  for (const step of steps) {
    if (step.conditions && skipped(step.conditions, state.variables)) continue;
    if (step.kind === 'fragment') {
      if (step.appliesTo) {
        const typename = input.__typename;
        if (typename !== undefined && typename !== null && typeof typename !== 'string') {
          throw new Error(`Got unexpected value for __typename: ${String(typename)}`);
        }
        if (!step.appliesTo.has(typename ? typename : parentName)) continue;
      }
      const result = applySteps(input, step.selections, output, state, path, step.typeCondition?.name ?? parentName);
      if (result === BUBBLE) return BUBBLE;
      continue;
    }
    if (applyField(input, step, output, state, path, parentName) === BUBBLE) return BUBBLE;
  }
  return undefined;
}

/** One field of an object into the output (an earlier selection of the same key may have started it). */
function applyField(
  input: Record<string, unknown>,
  step: FieldStep,
  output: Record<string, unknown>,
  state: ShapingState,
  path: Path,
  parentName: string,
): typeof BUBBLE | undefined {
  const key = step.responseKey;
  // Set by an earlier selection of the same key; a function is Object.prototype's ("constructor").
  let existing = output[key];
  if (typeof existing === 'function') existing = undefined;
  if (step.introspection) {
    if (existing === undefined) output[key] = introspect(step.introspection, state);
    return undefined;
  }
  // Own properties only: a key like "constructor" must not read Object.prototype.
  let value = input[key];
  if (value === undefined || typeof value === 'function') value = null;
  if (step.typename) {
    if (existing === undefined) {
      if (value === null && key !== '__typename') value = input.__typename ?? null;
      const type = typeof value === 'string' ? state.shape.schema.getType(value) : undefined;
      const named = type ?? state.shape.schema.getType(parentName);
      if (!isObjectType(named)) return BUBBLE;
      output[key] = named.name;
    }
    return undefined;
  }
  const shape = step.shape!;
  // Most fields are leaves with a fitting value: no call, no path.
  if (existing === undefined && value !== null) {
    const leaf = shape.kind === 'nonNull' ? shape.of : shape;
    if (leaf.kind === 'leaf' && leaf.isValid(value)) {
      output[key] = value;
      return undefined;
    }
  }
  path.push(key);
  output[key] = complete(existing, shape, value, step.selections, state, path, parentName);
  path.pop();
  return state.invalid ? BUBBLE : undefined;
}

/** A field as flattenSteps lists it, with the type its error messages name when not the object's. */
interface FlatField {
  step: FieldStep;
  parentName?: string;
}

interface FlatSteps {
  /** Whether there are fragments (so __typename decides which fields apply). */
  fragments: boolean;
  /** The fields that apply, by `__typename` (or `\0` + parent type when the data has none). */
  byType: Map<string, FlatField[]>;
}

const flatCache = new WeakMap<readonly Step[], FlatSteps | null>();

/**
 * Selections without @skip/@include at this level (fragments included) always select the same
 * fields for one type: those are worked out once per type and run as one list.
 */
function flatFieldsOf(steps: readonly Step[]): FlatSteps | undefined {
  let flat = flatCache.get(steps);
  if (flat === undefined) {
    let fragments = false;
    const plain = (list: readonly Step[]): boolean =>
      list.every((step) => {
        if (step.conditions) return false;
        if (step.kind === 'fragment') {
          fragments = true;
          return plain(step.selections);
        }
        return true;
      });
    flat = plain(steps) ? { fragments, byType: new Map() } : null;
    flatCache.set(steps, flat);
  }
  return flat ?? undefined;
}

/** The fields that apply to an object, in order, as the general loop would visit them. */
function flattenSteps(steps: readonly Step[], typename: string | undefined, parentName: string, into: FlatField[], inFragment = false): void {
  for (const step of steps) {
    if (step.kind === 'fragment') {
      if (step.appliesTo && !step.appliesTo.has(typename ?? parentName)) continue;
      flattenSteps(step.selections, typename, step.typeCondition?.name ?? parentName, into, inFragment || step.typeCondition !== undefined);
    } else {
      into.push({ step, parentName: inFragment ? parentName : undefined });
    }
  }
}

function describeLast(path: Path, typeName: string, parentName: string): string {
  const last = path[path.length - 1];
  return typeof last === 'string' ? `field ${parentName}.${last}` : `array element of type ${typeName} at index ${last}`;
}

function nameOf(shape: ValueShape): string {
  if (shape.kind === 'nonNull') return `${nameOf(shape.of)}!`;
  if (shape.kind === 'list') return `[${nameOf(shape.of)}]`;
  return shape.type.name;
}

/** The completed value; sets state.invalid and state.hasErrors for the caller. */
function complete(
  existing: unknown,
  shape: ValueShape,
  input: unknown,
  selections: readonly Step[] | undefined,
  state: ShapingState,
  path: Path,
  parentName: string,
): unknown {
  state.invalid = false;
  state.hasErrors = false;
  if (existing === null || (existing !== undefined && !selections)) return existing;
  if (shape.kind === 'nonNull') {
    const value = complete(existing, shape.of, input, selections, state, path, parentName);
    if (value === null) {
      if (!state.hasErrors) {
        state.errors.push(
          ERRORS.INVALID_GRAPHQL.err(`Cannot return null for non-nullable ${describeLast(path, nameOf(shape.of), parentName)}.`, {
            path: [...path],
          }),
        );
      }
      state.invalid = true;
      state.hasErrors = true;
      return null;
    }
    state.invalid = false;
    state.hasErrors = false;
    return value;
  }
  if (input === null) return null;
  if (shape.kind === 'list') {
    if (!Array.isArray(input)) throw new Error(`Invalid non-list value ${String(input)} returned by subgraph for list type ${nameOf(shape)}`);
    const previous = existing as unknown[] | undefined;
    const list: unknown[] = new Array(input.length);
    let nullify = false;
    let hasErrors = false;
    for (let i = 0; i < input.length; i++) {
      path.push(i);
      list[i] = complete(previous?.[i], shape.of, input[i], selections, state, path, parentName);
      path.pop();
      if (state.invalid) nullify = true;
      if (state.hasErrors) hasErrors = true;
    }
    state.invalid = false;
    state.hasErrors = hasErrors;
    return nullify ? null : list;
  }
  if (shape.kind === 'composite') {
    if (typeof input !== 'object') throw new Error(`Invalid non-object value ${String(input)} returned by subgraph for composite type ${shape.type.name}`);
    const object = input as Record<string, unknown>;
    const typename = object.__typename;
    let objectType = shape.type.name;
    if (typename !== undefined && typeof typename !== 'string') {
      throw new Error(`Invalid non-string value ${String(typename)} for __typename at ${path.join('.')}`);
    }
    if (typename) {
      const type = state.shape.schema.getType(typename);
      if (!isCompositeType(type)) {
        state.errors.push(
          ERRORS.INVALID_GRAPHQL.err(`Invalid __typename found for object at ${describeLast(path, shape.type.name, parentName)}.`, {
            path: [...path],
          }),
        );
        state.hasErrors = true;
        return null;
      }
      objectType = typename;
    }
    const output = (existing as Record<string, unknown> | undefined) ?? {};
    const result = applySteps(object, selections ?? [], output, state, path, objectType);
    state.invalid = false;
    state.hasErrors = result === BUBBLE;
    return result === BUBBLE ? null : output;
  }
  if (shape.isValid(input)) return input;
  state.errors.push(
    ERRORS.INVALID_GRAPHQL.err(`Invalid value found for ${describeLast(path, shape.type.name, parentName)}.`, { path: [...path] }),
  );
  state.hasErrors = true;
  return null;
}

/** `__schema` / `__type`, run by graphql-js over the API schema with the operation's fragments and variables. */
function introspect(field: FieldNode, state: ShapingState): unknown {
  const { shape } = state;
  const document: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: shape.operation.operation,
        variableDefinitions: shape.operation.variableDefinitions,
        selectionSet: { kind: Kind.SELECTION_SET, selections: [field] },
      },
      ...shape.fragments,
    ],
  };
  const result = executeSync({ schema: shape.schema, document, rootValue: {}, variableValues: state.rawVariables });
  if (result.errors?.length) throw result.errors[0];
  return (result.data as Record<string, unknown> | null)?.[field.alias?.value ?? field.name.value] ?? null;
}
