/**
 * Entity representations and merging, the two data steps of an entity fetch. A fetch's `requires`
 * (the key and @requires fields, under `... on Type`) is turned once into a function that reads one
 * entity's representation; the values are exactly those @apollo/gateway's executeSelectionSet takes
 * (an entity missing a required field has none and is not sent). Identical representations are sent
 * once, and the answer for each is merged into every entity that had it. For the usual requirements
 * (keys and scalar fields) repeats are found by value in nested maps: building a text key per entity
 * and hashing it costs over ten times more.
 */
import { isAbstractType, type GraphQLSchema } from 'graphql';
import type { QueryPlanSelectionNode } from '@apollo/query-planner';

type Entity = Record<string, unknown>;

/** Reads a representation from an entity: undefined when a required field is missing. */
export type RepresentationReader = (entity: Entity) => Entity | null | undefined;

/**
 * Requirements made only of one type condition over unaliased leaf fields, each named once, starting
 * with `__typename` (keys and scalar @requires fields: the usual case). Their representations are
 * told apart by their values alone and written straight to JSON text.
 */
export interface FlatRepresentation {
  types: ReadonlySet<string>;
  /** `__typename` first. */
  fields: readonly string[];
  /** `{"__typename":`, `,"upc":`, ...: what precedes each field's value in the JSON text. */
  prefixes: readonly string[];
}

export function compileFlatRepresentation(
  selections: readonly QueryPlanSelectionNode[],
  matches: (typeCondition: string) => ReadonlySet<string>,
): FlatRepresentation | undefined {
  // Several fragments could both match and merge their fields: the general reader does that.
  if (selections.length !== 1) return undefined;
  const [selection] = selections;
  if (selection.kind !== 'InlineFragment' || !selection.typeCondition) return undefined;
  const fields: string[] = [];
  for (const field of selection.selections) {
    if (field.kind !== 'Field' || field.alias || field.selections || fields.includes(field.name)) return undefined;
    fields.push(field.name);
  }
  if (fields[0] !== '__typename') return undefined;
  return {
    types: matches(selection.typeCondition),
    fields,
    prefixes: fields.map((name, i) => `${i === 0 ? '{' : ','}${JSON.stringify(name)}:`),
  };
}

/** Which `__typename`s a type condition matches in the supergraph (itself, its members or implementations). */
export function typeMatcher(schema: GraphQLSchema): (typeCondition: string) => ReadonlySet<string> {
  const sets = new Map<string, Set<string>>();
  return (typeCondition) => {
    let set = sets.get(typeCondition);
    if (!set) {
      set = new Set([typeCondition]);
      const type = schema.getType(typeCondition);
      if (type && isAbstractType(type)) {
        for (const candidate of Object.values(schema.getTypeMap())) {
          if ('getInterfaces' in candidate && schema.isSubType(type, candidate)) set.add(candidate.name);
        }
      }
      sets.set(typeCondition, set);
    }
    return set;
  };
}

/** Compiles `requires` (or a part of it) to a reader; null marks an absent value, undefined a missing one. */
export function compileRepresentation(
  selections: readonly QueryPlanSelectionNode[],
  matches: (typeCondition: string) => ReadonlySet<string>,
): RepresentationReader {
  const steps = selections.map((selection): ((source: Entity, result: Entity) => boolean) => {
    if (selection.kind === 'Field') {
      const key = selection.alias ?? selection.name;
      const inner = selection.selections ? compileRepresentation(selection.selections, matches) : undefined;
      return (source, result) => {
        const value = ownValue(source, key);
        if (value === undefined) return false;
        if (Array.isArray(value)) {
          result[key] = inner ? value.map((item) => readNested(inner, item)) : value;
        } else if (inner) {
          result[key] = readNested(inner, value);
        } else {
          result[key] = value;
        }
        return true;
      };
    }
    if (!selection.typeCondition) return () => true;
    const types = matches(selection.typeCondition);
    const inner = compileRepresentation(selection.selections, matches);
    return (source, result) => {
      const typename = source.__typename;
      if (typeof typename === 'string' && typename && types.has(typename)) {
        const part = inner(source);
        // A fragment missing a field adds nothing (as @apollo/gateway merges a null).
        if (part) mergeInto(result, part);
      }
      return true;
    };
  });
  return (source) => {
    if (source === null) return null;
    const result: Entity = {};
    for (const step of steps) if (!step(source, result)) return undefined;
    return result;
  };
}

/** A nested selection: null stays null, a missing field inside makes the whole value null. */
function readNested(reader: RepresentationReader, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  return reader(value as Entity) ?? null;
}

function ownValue(source: Entity, key: string): unknown {
  const value = source[key];
  return typeof value === 'function' ? undefined : value;
}

/**
 * @apollo/gateway's deepMerge: objects merge key by key, arrays of the same length item by item,
 * anything else is replaced. Keys that would reach the prototype are never written through it.
 */
export function mergeInto(target: Entity, source: Entity | null | undefined): void {
  if (source === null || source === undefined) return;
  for (const key in source) {
    const value = source[key];
    if (value === undefined || key === '__proto__') continue;
    const current = Object.hasOwn(target, key) ? target[key] : undefined;
    if (current && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      if (typeof current === 'object') {
        mergeInto(current as Entity, value as Entity);
        continue;
      }
    } else if (Array.isArray(value) && Array.isArray(current) && value.length === current.length) {
      for (let i = 0; i < value.length; i++) {
        const to = current[i];
        const from = value[i];
        if (isObject(to) && isObject(from)) mergeInto(to, from);
        else current[i] = from;
      }
      continue;
    }
    target[key] = value;
  }
}

function isObject(value: unknown): value is Entity {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The representations of a fetch, each sent once, with the entities each one stands for. */
export interface EntityBatch {
  /** The JSON array of distinct representations, for the request body. */
  json: string;
  /** For each distinct representation, the indexes (into the entity list) of the entities it stands for. */
  owners: number[][];
  count: number;
}

/**
 * Reads every entity's representation and keeps the distinct ones. `rewrite` (the fetch's input
 * rewrites) runs on each representation before it is compared. With a flat requirement and no
 * rewrites, representations are compared by their values in nested maps (no text is built for a
 * repeated one) and written to JSON text directly.
 */
export function collectRepresentations(
  entities: readonly Entity[],
  read: RepresentationReader,
  rewrite?: (representation: Entity) => void,
  flat?: FlatRepresentation,
): EntityBatch | undefined {
  const owners: number[][] = [];
  const texts: string[] = [];
  if (flat && !rewrite) collectFlat(entities, flat, owners, texts);
  else {
    const seen = new Map<string, number>();
    for (let i = 0; i < entities.length; i++) {
      const representation = read(entities[i]);
      if (!representation || !representation.__typename) continue;
      rewrite?.(representation);
      const text = JSON.stringify(representation);
      const known = seen.get(text);
      if (known !== undefined) owners[known].push(i);
      else {
        seen.set(text, owners.length);
        owners.push([i]);
        texts.push(text);
      }
    }
  }
  if (!owners.length) return undefined;
  return { json: `[${texts.join(',')}]`, owners, count: owners.length };
}

type ValueTree = Map<unknown, ValueTree | number>;

function collectFlat(entities: readonly Entity[], flat: FlatRepresentation, owners: number[][], texts: string[]): void {
  const { types, fields, prefixes } = flat;
  const last = fields.length - 1;
  const tree: ValueTree = new Map();
  // Representations with an object value (a custom scalar key) are told apart by their text.
  const byText = new Map<string, number>();
  entities: for (let i = 0; i < entities.length; i++) {
    const entity = entities[i];
    const typename = entity.__typename;
    // Not of the type: an empty representation, which has no __typename and is not sent.
    if (typeof typename !== 'string' || !typename || !types.has(typename)) continue;
    let node = tree;
    let key: unknown = typename;
    let complex = false;
    for (let f = 1; f <= last; f++) {
      const value = entity[fields[f]];
      if (value === undefined || typeof value === 'function') continue entities;
      if (value !== null && typeof value === 'object') complex = true;
      if (complex) continue;
      let child = node.get(key) as ValueTree | undefined;
      if (!child) node.set(key, (child = new Map()));
      node = child;
      key = value;
    }
    const text = complex ? textOf(entity, fields, prefixes) : undefined;
    const known = complex ? byText.get(text!) : (node.get(key) as number | undefined);
    if (known !== undefined) {
      owners[known].push(i);
      continue;
    }
    if (complex) byText.set(text!, owners.length);
    else node.set(key, owners.length);
    owners.push([i]);
    texts.push(text ?? textOf(entity, fields, prefixes));
  }
}

function textOf(entity: Entity, fields: readonly string[], prefixes: readonly string[]): string {
  let json = '';
  for (let f = 0; f < fields.length; f++) json += prefixes[f] + (JSON.stringify(entity[fields[f]]) ?? 'null');
  return `${json}}`;
}
