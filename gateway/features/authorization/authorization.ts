/**
 * Field authorization from the supergraph's `@authenticated` and `@requiresScopes` (Federation 2.5+),
 * enforced before planning as Apollo Router and Hive Gateway do. Pure functions over graphql-js values;
 * the front-door feature (features/useAuthorization.ts) wires them into the request pipeline.
 *
 * - Rules: a field requires what its own directives say, plus what its return type's directives say (a
 *   type-level directive applies to every field returning that type, scalars and enums included). A field
 *   selected on an interface also requires what every implementation's field requires, and a field
 *   returning an abstract type what every possible type requires (composition already copies object
 *   requirements to their interfaces; doing it here too keeps hand-written supergraphs safe).
 *   `@requiresScopes(scopes: [["a", "b"], ["c"]])` means (a AND b) OR c; several of them must all hold.
 * - Filtering: unauthorized fields are removed from the operation (fragments, inline fragments and
 *   abstract types included). A selection set left empty is given a hidden `__typename` under an alias
 *   the document does not use (the "marker"), so its parent field stays and the removed children come
 *   back null; a fragment left empty is dropped.
 * - Response: each removed field gets null at its response path, with GraphQL's null propagation: a
 *   removed non-null field nulls its nearest nullable parent (the whole `data` when nothing in between
 *   is nullable). Through lists, every item gets the null. Objects of an abstract type carry the marker,
 *   so a field removed under `... on Book` is only nulled on Books. One error per removed field, with
 *   Apollo Router's path convention: response keys, and "@" standing for every item of a list.
 */
import {
  Kind,
  getNamedType,
  getNullableType,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  parse,
  valueFromASTUntyped,
  type ASTNode,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLFormattedError,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import type { ErrorCode } from '../../../lib/errors.js';

/** What one field (or type) asks of the caller. */
export interface Requirement {
  authenticated: boolean;
  /** Each entry is one `@requiresScopes` list: OR of ANDs. Every entry must be satisfied. */
  scopes: readonly (readonly (readonly string[])[])[];
}

export interface AuthorizationRules {
  /** "Type.field" -> the field's own directives. */
  readonly fields: ReadonlyMap<string, Requirement>;
  /** "Type" -> the type's directives (objects, interfaces, scalars, enums). */
  readonly types: ReadonlyMap<string, Requirement>;
  /** Every scope any rule names: the part of a caller's scopes that can change a decision. */
  readonly scopeNames: ReadonlySet<string>;
}

/** Who is asking, as far as authorization is concerned. */
export interface Caller {
  authenticated: boolean;
  scopes: ReadonlySet<string>;
}

const NO_REQUIREMENT: Requirement = Object.freeze({ authenticated: false, scopes: [] });
const SPEC_URL = /^https?:\/\/specs\.apollo\.dev\/(authenticated|requiresScopes)\/v\d+\.\d+\/?$/;

export function emptyAuthorizationRules(): AuthorizationRules {
  return { fields: new Map(), types: new Map(), scopeNames: new Set() };
}

export function hasRules(rules: AuthorizationRules): boolean {
  return rules.fields.size > 0 || rules.types.size > 0;
}

/**
 * Reads the rules from a supergraph SDL. The directives count only when the supergraph links their spec
 * (`@link(url: "https://specs.apollo.dev/authenticated/v0.1")`, likewise requiresScopes), under the name
 * the link gives them (`as:`), so a subgraph's unrelated directive of the same name changes nothing.
 */
export function authorizationRulesFromSupergraph(sdl: string): AuthorizationRules {
  const document = parse(sdl);
  const names = linkedDirectiveNames(document);
  const fields = new Map<string, Requirement>();
  const types = new Map<string, Requirement>();
  const scopeNames = new Set<string>();
  if (!names.authenticated && !names.requiresScopes) return { fields, types, scopeNames };

  const read = (directives: readonly DirectiveNode[] | undefined): Requirement | undefined => {
    let requirement: Requirement | undefined;
    for (const directive of directives ?? []) {
      if (directive.name.value === names.authenticated) {
        requirement = combine(requirement ?? NO_REQUIREMENT, { authenticated: true, scopes: [] });
      } else if (directive.name.value === names.requiresScopes) {
        const argument = directive.arguments?.find((a) => a.name.value === 'scopes');
        const scopes = argument ? valueFromASTUntyped(argument.value) : undefined;
        if (!isScopeList(scopes)) {
          throw new Error(`@${names.requiresScopes} needs scopes: [[String!]!]! (at ${locationOf(directive)})`);
        }
        for (const scope of scopes.flat()) scopeNames.add(scope);
        requirement = combine(requirement ?? NO_REQUIREMENT, { authenticated: false, scopes: [scopes] });
      }
    }
    return requirement;
  };
  const add = (map: Map<string, Requirement>, key: string, requirement: Requirement | undefined) => {
    if (requirement) map.set(key, combine(map.get(key) ?? NO_REQUIREMENT, requirement));
  };

  for (const definition of document.definitions) {
    switch (definition.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.OBJECT_TYPE_EXTENSION:
      case Kind.INTERFACE_TYPE_DEFINITION:
      case Kind.INTERFACE_TYPE_EXTENSION:
        add(types, definition.name.value, read(definition.directives));
        for (const field of definition.fields ?? []) {
          add(fields, `${definition.name.value}.${field.name.value}`, read(field.directives));
        }
        break;
      case Kind.SCALAR_TYPE_DEFINITION:
      case Kind.SCALAR_TYPE_EXTENSION:
      case Kind.ENUM_TYPE_DEFINITION:
      case Kind.ENUM_TYPE_EXTENSION:
        add(types, definition.name.value, read(definition.directives));
        break;
      default:
        break;
    }
  }
  return { fields, types, scopeNames };
}

function linkedDirectiveNames(document: DocumentNode): { authenticated?: string; requiresScopes?: string } {
  const names: { authenticated?: string; requiresScopes?: string } = {};
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const directive of definition.directives ?? []) {
      if (directive.name.value !== 'link') continue;
      const args = Object.fromEntries(
        (directive.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]),
      ) as Record<string, unknown>;
      const spec = typeof args.url === 'string' ? SPEC_URL.exec(args.url)?.[1] : undefined;
      if (spec === 'authenticated' || spec === 'requiresScopes') {
        names[spec] = typeof args.as === 'string' ? args.as : spec;
      }
    }
  }
  return names;
}

function isScopeList(value: unknown): value is string[][] {
  return Array.isArray(value) && value.every((alt) => Array.isArray(alt) && alt.every((s) => typeof s === 'string'));
}

function locationOf(node: ASTNode): string {
  return node.loc ? `line ${node.loc.startToken.line}` : 'unknown line';
}

export function combine(a: Requirement, b: Requirement): Requirement {
  if (b === NO_REQUIREMENT || (!b.authenticated && b.scopes.length === 0)) return a;
  if (a === NO_REQUIREMENT || (!a.authenticated && a.scopes.length === 0)) return b;
  const seen = new Set(a.scopes.map((s) => JSON.stringify(s)));
  return {
    authenticated: a.authenticated || b.authenticated,
    scopes: [...a.scopes, ...b.scopes.filter((s) => !seen.has(JSON.stringify(s)))],
  };
}

/** What the caller lacks, e.g. "authentication" or "scope products:write"; undefined when nothing. */
export function missingFor(requirement: Requirement, caller: Caller): string | undefined {
  const missing: string[] = [];
  if (requirement.authenticated && !caller.authenticated) missing.push('authentication');
  for (const alternatives of requirement.scopes) {
    if (alternatives.some((all) => all.every((scope) => caller.scopes.has(scope)))) continue;
    missing.push(
      alternatives.length === 0
        ? 'a scope list that is empty (nothing satisfies it)'
        : alternatives.map((all) => (all.length === 1 ? `scope ${all[0]}` : `scopes ${all.join(' and ')}`)).join(', or '),
    );
  }
  return missing.length ? missing.join(' and ') : undefined;
}

/** A key that tells apart callers who may be decided differently (for caching filtered documents). */
export function callerKey(caller: Caller, rules: AuthorizationRules): string {
  const relevant = [...caller.scopes].filter((s) => rules.scopeNames.has(s)).sort();
  return `${caller.authenticated ? 'A' : '-'}${relevant.join(' ')}`;
}

/** One step of a removed field's response path, with what null propagation needs. */
export interface PathStep {
  /** The response key (alias or field name). */
  key: string;
  /** The field's type, wrappers included. */
  type: GraphQLOutputType;
  /** The object's concrete type must be one of these (under a type condition of an abstract type). */
  onlyTypes?: ReadonlySet<string>;
}

export interface RemovedField {
  /** "Type.field" as selected (the interface for a field selected on an interface). */
  coordinate: string;
  /** Response keys, "@" for every item of a list: ["myOrders", "nodes", "@", "items"]. */
  path: string[];
  /** What the caller lacks: "authentication", "scope products:write", ... */
  missing: string;
  steps: readonly PathStep[];
  /** @skip / @include directives on the way to the field, decided per request from its variables. */
  conditions: readonly DirectiveNode[];
  /** Its null reaches `data` whatever the subgraphs answer (non-null all the way up, no list, no type condition). */
  nullsData: boolean;
}

export interface FilteredOperation {
  /** The document to plan: the operation and the fragments it still uses. Same object when nothing was removed. */
  document: DocumentNode;
  operation: OperationDefinitionNode;
  removed: readonly RemovedField[];
  /** The alias of the hidden `__typename` selections, present when any were added. */
  marker?: string;
  /** Every root field was removed: nothing is left to execute. */
  nothingLeft: boolean;
}

export interface FilterOptions {
  /** The API schema the operation was validated against. */
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  rules: AuthorizationRules;
  caller: Caller;
}

/**
 * Requirements per field, worked out once per (schema, rules) pair and remembered, so a request costs
 * one walk of its document and a map lookup per field.
 */
export class RequirementIndex {
  private readonly memo = new Map<string, Requirement>();

  constructor(
    readonly schema: GraphQLSchema,
    readonly rules: AuthorizationRules,
  ) {}

  get empty(): boolean {
    return !hasRules(this.rules);
  }

  /** What selecting `fieldName` on `parent` requires. */
  fieldRequirement(parent: GraphQLCompositeType, fieldName: string, returnType: GraphQLOutputType): Requirement {
    const key = `${parent.name}.${fieldName}`;
    let requirement = this.memo.get(key);
    if (requirement) return requirement;
    requirement = this.rules.fields.get(key) ?? NO_REQUIREMENT;
    if (isAbstractType(parent)) {
      for (const type of this.schema.getPossibleTypes(parent)) {
        requirement = combine(requirement, this.rules.fields.get(`${type.name}.${fieldName}`) ?? NO_REQUIREMENT);
      }
    }
    requirement = combine(requirement, this.typeRequirement(getNamedType(returnType)));
    this.memo.set(key, requirement);
    return requirement;
  }

  private typeRequirement(type: GraphQLNamedType): Requirement {
    let requirement = this.rules.types.get(type.name) ?? NO_REQUIREMENT;
    if (isAbstractType(type)) {
      for (const possible of this.schema.getPossibleTypes(type)) {
        requirement = combine(requirement, this.rules.types.get(possible.name) ?? NO_REQUIREMENT);
      }
    }
    return requirement;
  }
}

interface Level {
  /** The type of the object at this level (the field's named type, or the root type). */
  objectType: GraphQLCompositeType;
  steps: readonly PathStep[];
  path: readonly string[];
  conditions: readonly DirectiveNode[];
  onlyTypes?: ReadonlySet<string>;
  /** Everything above is non-null, not a list and not under a type condition. */
  nonNullToRoot: boolean;
}

interface Visited {
  /** Undefined when nothing is left. */
  selectionSet?: SelectionSetNode;
  changed: boolean;
}

/** Removes the fields the caller may not select; see the module comment for the rules. */
export function filterOperation(index: RequirementIndex, options: Omit<FilterOptions, 'schema' | 'rules'>): FilteredOperation {
  const { document, operation, caller } = options;
  const { schema } = index;
  const unchanged: FilteredOperation = { document, operation, removed: [], nothingLeft: false };
  if (index.empty) return unchanged;
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return unchanged;

  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const filteredFragments = new Map<string, Visited>();
  const removed: RemovedField[] = [];
  const marker = unusedAlias(document);
  let markerUsed = false;
  const markerField = (): FieldNode => {
    markerUsed = true;
    return {
      kind: Kind.FIELD,
      alias: { kind: Kind.NAME, value: marker },
      name: { kind: Kind.NAME, value: '__typename' },
    };
  };

  const visit = (selectionSet: SelectionSetNode, parentType: GraphQLCompositeType, level: Level): Visited => {
    let changed = false;
    const kept: SelectionNode[] = [];
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const fieldDef = hasFields(parentType) && !name.startsWith('__') ? parentType.getFields()[name] : undefined;
        if (!fieldDef) {
          kept.push(selection); // __typename, introspection, or something validation already refused
          continue;
        }
        const key = selection.alias?.value ?? name;
        const step: PathStep = { key, type: fieldDef.type, ...(level.onlyTypes ? { onlyTypes: level.onlyTypes } : {}) };
        const conditions = withConditions(level.conditions, selection.directives);
        const missing = missingFor(index.fieldRequirement(parentType, name, fieldDef.type), caller);
        if (missing) {
          changed = true;
          removed.push({
            coordinate: `${parentType.name}.${name}`,
            path: [...level.path, key],
            missing,
            steps: [...level.steps, step],
            conditions,
            nullsData: level.nonNullToRoot && !level.onlyTypes && isNonNullType(fieldDef.type),
          });
          continue;
        }
        if (!selection.selectionSet) {
          kept.push(selection);
          continue;
        }
        const childType = getNamedType(fieldDef.type) as GraphQLCompositeType;
        const child = visit(selection.selectionSet, childType, {
          objectType: childType,
          steps: [...level.steps, step],
          path: [...level.path, key, ...listMarkers(fieldDef.type)],
          conditions,
          nonNullToRoot:
            level.nonNullToRoot && !level.onlyTypes && isNonNullType(fieldDef.type) && !isListType(getNullableType(fieldDef.type)),
        });
        if (!child.changed) {
          kept.push(selection);
          continue;
        }
        changed = true;
        const selections = child.selectionSet ? [...child.selectionSet.selections] : [];
        // Keeps the field (its removed children come back null) and tells concrete types apart in the response.
        if (!child.selectionSet || isAbstractType(childType)) selections.push(markerField());
        kept.push({ ...selection, selectionSet: { kind: Kind.SELECTION_SET, selections } });
      } else {
        const typeName =
          selection.kind === Kind.INLINE_FRAGMENT
            ? selection.typeCondition?.name.value
            : fragments.get(selection.name.value)?.typeCondition.name.value;
        const conditionType = typeName ? schema.getType(typeName) : parentType;
        if (selection.kind === Kind.FRAGMENT_SPREAD && !fragments.has(selection.name.value)) {
          kept.push(selection);
          continue;
        }
        if (!conditionType || !isCompositeType(conditionType)) {
          kept.push(selection);
          continue;
        }
        const inner: Level = {
          ...level,
          conditions: withConditions(level.conditions, selection.directives),
          onlyTypes: narrow(schema, level, conditionType),
        };
        if (selection.kind === Kind.INLINE_FRAGMENT) {
          const result = visit(selection.selectionSet, conditionType, inner);
          if (!result.changed) {
            kept.push(selection);
            continue;
          }
          changed = true;
          if (result.selectionSet) kept.push({ ...selection, selectionSet: result.selectionSet });
        } else {
          const definition = fragments.get(selection.name.value)!;
          // Decisions depend on types only, so a fragment filters the same everywhere; each spread still
          // records its removals under its own path.
          const result = visit(definition.selectionSet, conditionType, inner);
          if (!filteredFragments.has(definition.name.value)) filteredFragments.set(definition.name.value, result);
          if (!result.changed) {
            kept.push(selection);
            continue;
          }
          changed = true;
          if (result.selectionSet) kept.push(selection);
        }
      }
    }
    if (!changed) return { selectionSet, changed: false };
    return { selectionSet: kept.length ? { kind: Kind.SELECTION_SET, selections: kept } : undefined, changed: true };
  };

  const root = visit(operation.selectionSet, rootType, {
    objectType: rootType,
    steps: [],
    path: [],
    conditions: [],
    nonNullToRoot: true,
  });
  if (!root.changed) return unchanged;

  const filteredOperation: OperationDefinitionNode = {
    ...operation,
    selectionSet: root.selectionSet ?? { kind: Kind.SELECTION_SET, selections: [markerField()] },
  };
  const usedFragments = fragmentsUsedBy(filteredOperation.selectionSet, (name) => {
    const filtered = filteredFragments.get(name);
    return filtered?.changed ? filtered.selectionSet : fragments.get(name)?.selectionSet;
  });
  const definitions = [
    filteredOperation,
    ...[...usedFragments].map((name): FragmentDefinitionNode => {
      const original = fragments.get(name)!;
      const filtered = filteredFragments.get(name);
      return filtered?.changed && filtered.selectionSet ? { ...original, selectionSet: filtered.selectionSet } : original;
    }),
  ];
  return {
    document: { kind: Kind.DOCUMENT, definitions },
    operation: filteredOperation,
    removed,
    ...(markerUsed ? { marker } : {}),
    nothingLeft: !root.selectionSet,
  };
}

/** Objects and interfaces have fields to select; unions only take __typename. */
function hasFields(type: GraphQLCompositeType): type is GraphQLObjectType | GraphQLInterfaceType {
  return isObjectType(type) || isInterfaceType(type);
}

function withConditions(
  conditions: readonly DirectiveNode[],
  directives: readonly DirectiveNode[] | undefined,
): readonly DirectiveNode[] {
  const own = directives?.filter((d) => d.name.value === 'skip' || d.name.value === 'include') ?? [];
  return own.length ? [...conditions, ...own] : conditions;
}

/** The concrete types an object must have to be under this type condition; undefined when any of its level. */
function narrow(schema: GraphQLSchema, level: Level, condition: GraphQLCompositeType): ReadonlySet<string> | undefined {
  const possibleAtLevel = possibleTypeNames(schema, level.objectType);
  const allowed = new Set(
    [...possibleTypeNames(schema, condition)].filter(
      (name) => possibleAtLevel.has(name) && (!level.onlyTypes || level.onlyTypes.has(name)),
    ),
  );
  return allowed.size === possibleAtLevel.size ? undefined : allowed;
}

function possibleTypeNames(schema: GraphQLSchema, type: GraphQLCompositeType): Set<string> {
  return new Set(isAbstractType(type) ? schema.getPossibleTypes(type).map((t) => t.name) : [type.name]);
}

function listMarkers(type: GraphQLOutputType): string[] {
  const markers: string[] = [];
  for (let t = getNullableType(type); isListType(t); t = getNullableType(t.ofType)) markers.push('@');
  return markers;
}

function fragmentsUsedBy(
  selectionSet: SelectionSetNode,
  selectionsOf: (fragment: string) => SelectionSetNode | undefined,
): Set<string> {
  const used = new Set<string>();
  const pending = [selectionSet];
  while (pending.length) {
    for (const selection of pending.pop()!.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        if (used.has(selection.name.value)) continue;
        used.add(selection.name.value);
        const inner = selectionsOf(selection.name.value);
        if (inner) pending.push(inner);
      } else if (selection.selectionSet) {
        pending.push(selection.selectionSet);
      }
    }
  }
  return used;
}

/** An alias no selection of the document uses, for the hidden `__typename` selections. */
function unusedAlias(document: DocumentNode): string {
  const used = new Set<string>();
  const pending: SelectionSetNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) {
      pending.push(definition.selectionSet);
    }
  }
  while (pending.length) {
    for (const selection of pending.pop()!.selections) {
      if (selection.kind === Kind.FIELD) used.add(selection.alias?.value ?? selection.name.value);
      if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) pending.push(selection.selectionSet);
    }
  }
  let alias = 'authorization__typename';
  for (let i = 2; used.has(alias); i++) alias = `authorization__typename${i}`;
  return alias;
}

/**
 * The removals that apply to this request: a field under `@skip(if: true)` or `@include(if: false)`
 * would not have been answered anyway, so it gets neither a null nor an error.
 */
export function activeRemovals(
  filtered: FilteredOperation,
  variables: Readonly<Record<string, unknown>> | undefined,
): RemovedField[] {
  if (!filtered.removed.length) return [];
  const defaults = new Map<string, unknown>();
  for (const definition of filtered.operation.variableDefinitions ?? []) {
    if (definition.defaultValue) defaults.set(definition.variable.name.value, valueFromASTUntyped(definition.defaultValue));
  }
  const valueOf = (directive: DirectiveNode): boolean => {
    const argument = directive.arguments?.find((a) => a.name.value === 'if');
    if (!argument) return false;
    if (argument.value.kind === Kind.VARIABLE) {
      const name = argument.value.name.value;
      return Boolean(variables && name in variables ? variables[name] : defaults.get(name));
    }
    return Boolean(valueFromASTUntyped(argument.value));
  };
  return filtered.removed.filter((field) =>
    field.conditions.every((directive) => (directive.name.value === 'skip' ? !valueOf(directive) : valueOf(directive))),
  );
}

/** Whether the removals alone make `data` null, so nothing needs to run. */
export function removalsNullData(removals: readonly RemovedField[]): boolean {
  return removals.some((field) => field.nullsData);
}

/**
 * Puts null at each removed field's place in `data` (in place), propagating nulls through non-null
 * types, and takes the hidden `__typename` selections out again. Returns the new `data`.
 */
export function applyRemovals(
  data: Record<string, unknown> | null | undefined,
  removals: readonly RemovedField[],
  marker: string | undefined,
): Record<string, unknown> | null | undefined {
  if (!data) return data;
  for (const field of removals) {
    if (placeNull(data, field.steps, 0, marker)) return null;
  }
  if (marker) stripMarker(data, marker);
  return data;
}

/** Returns true when `object` itself must become null. */
function placeNull(object: Record<string, unknown>, steps: readonly PathStep[], i: number, marker: string | undefined): boolean {
  const step = steps[i];
  if (step.onlyTypes && !(marker && step.onlyTypes.has(String(object[marker])))) return false;
  if (i === steps.length - 1) {
    if (Object.prototype.hasOwnProperty.call(object, step.key)) return false; // answered through another selection
    object[step.key] = null;
    return isNonNullType(step.type);
  }
  const value = object[step.key];
  if (value === null || value === undefined) return false;
  if (descend(value, getNullableType(step.type), steps, i + 1, marker)) {
    object[step.key] = null;
    return isNonNullType(step.type);
  }
  return false;
}

/** Returns true when `value` must become null. */
function descend(value: unknown, type: GraphQLOutputType, steps: readonly PathStep[], i: number, marker: string | undefined): boolean {
  if (isListType(type)) {
    if (!Array.isArray(value)) return false;
    const itemType = type.ofType as GraphQLOutputType;
    for (let j = 0; j < value.length; j++) {
      const item: unknown = value[j];
      if (item === null || item === undefined) continue;
      if (descend(item, getNullableType(itemType), steps, i, marker)) {
        if (isNonNullType(itemType)) return true;
        value[j] = null;
      }
    }
    return false;
  }
  if (typeof value !== 'object' || value === null) return false;
  return placeNull(value as Record<string, unknown>, steps, i, marker);
}

function stripMarker(value: unknown, marker: string): void {
  if (Array.isArray(value)) {
    for (const item of value) stripMarker(item, marker);
  } else if (typeof value === 'object' && value !== null) {
    const object = value as Record<string, unknown>;
    delete object[marker];
    for (const key in object) stripMarker(object[key], marker);
  }
}

/** lib/errors.ts's code for a field removed by authorization. */
export const UNAUTHORIZED = 'UNAUTHORIZED' satisfies ErrorCode;

/** One error per removed field: `Field "Query.myOrders" requires authentication`. */
export function authorizationErrors(removals: readonly RemovedField[]): GraphQLFormattedError[] {
  return removals.map((field) => ({
    message: `Field "${field.coordinate}" requires ${field.missing}`,
    path: field.path,
    extensions: { code: UNAUTHORIZED, coordinate: field.coordinate },
  }));
}

/**
 * @apollo/gateway refuses a supergraph linking a `for: SECURITY` feature it does not implement (it
 * would serve those fields unprotected). This gateway enforces `@authenticated` and `@requiresScopes`
 * itself (features/useAuthorization.ts), so the purpose of their two links is dropped on the way into
 * @apollo/gateway; the links and directives stay, for the authorization rules. Any other security
 * feature (e.g. `@policy`) still makes the supergraph refused.
 */
export function withEnforcedSecurityFeatures(sdl: string): string {
  if (!sdl.includes('SECURITY')) return sdl;
  const document = parse(sdl);
  const cuts: [number, number][] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const directive of definition.directives ?? []) {
      const args = directive.arguments ?? [];
      const url = args.find((a) => a.name.value === 'url');
      if (directive.name.value !== 'link' || url?.value.kind !== Kind.STRING || !SPEC_URL.test(url.value.value)) continue;
      const i = args.findIndex((a) => a.name.value === 'for');
      if (i < 0 || !args[i].loc) continue;
      const previous = args[i - 1]?.loc;
      const next = args[i + 1]?.loc;
      cuts.push(previous ? [previous.end, args[i].loc!.end] : [args[i].loc!.start, next ? next.start : args[i].loc!.end]);
    }
  }
  let result = sdl;
  for (const [start, end] of cuts.sort((a, b) => b[0] - a[0])) result = result.slice(0, start) + result.slice(end);
  return result;
}
