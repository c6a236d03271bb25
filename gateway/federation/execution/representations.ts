/**
 * Entity representations and merging, the two data steps of an entity fetch. A fetch's `requires`
 * (the key and @requires fields, under `... on Type`) is turned once into a function that reads one
 * entity's representation; the values are exactly those @apollo/gateway's executeSelectionSet takes
 * (an entity missing a required field has none and is not sent). Identical representations are sent
 * once: each one's JSON text is both its identity and its part of the request body, and the answer
 * for it is merged into every entity that had it.
 */
import { isAbstractType, type GraphQLSchema } from 'graphql';
import type { QueryPlanSelectionNode } from '@apollo/query-planner';

type Entity = Record<string, unknown>;

/** Reads a representation from an entity: undefined when a required field is missing. */
export type RepresentationReader = (entity: Entity) => Entity | null | undefined;

/**
 * Reads a representation straight to its JSON text (what JSON.stringify of the object would give),
 * or undefined when it has none; for the usual `... on T { __typename key }` requirements.
 */
export type RepresentationWriter = (entity: Entity) => string | undefined;

/**
 * A writer for requirements made only of type conditions over unaliased leaf fields, each field named
 * once (keys and scalar @requires fields, the usual case); undefined for any other shape.
 */
export function compileRepresentationWriter(
  selections: readonly QueryPlanSelectionNode[],
  matches: (typeCondition: string) => ReadonlySet<string>,
): RepresentationWriter | undefined {
  const fragments: { types: ReadonlySet<string>; fields: string[] }[] = [];
  for (const selection of selections) {
    if (selection.kind !== 'InlineFragment' || !selection.typeCondition) return undefined;
    const fields: string[] = [];
    for (const field of selection.selections) {
      if (field.kind !== 'Field' || field.alias || field.selections || fields.includes(field.name)) return undefined;
      fields.push(field.name);
    }
    if (fields[0] !== '__typename') return undefined;
    fragments.push({ types: matches(selection.typeCondition), fields });
  }
  // Several matching fragments would merge their fields: leave that to the general reader.
  if (fragments.length !== 1) return undefined;
  const [{ types, fields }] = fragments;
  const prefixes = fields.map((name, i) => `${i === 0 ? '{' : ','}${JSON.stringify(name)}:`);
  return (entity) => {
    const typename = entity.__typename;
    // Not of the type: an empty representation, which has no __typename and is not sent.
    if (typeof typename !== 'string' || !typename || !types.has(typename)) return undefined;
    let json = '';
    for (let i = 0; i < fields.length; i++) {
      const value = entity[fields[i]];
      if (value === undefined || typeof value === 'function') return undefined;
      json += prefixes[i] + (JSON.stringify(value) ?? 'null');
    }
    return `${json}}`;
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
 * rewrites) runs on each representation before it is compared.
 */
export function collectRepresentations(
  entities: readonly Entity[],
  read: RepresentationReader,
  rewrite?: (representation: Entity) => void,
  write?: RepresentationWriter,
): EntityBatch | undefined {
  const seen = new Map<string, number>();
  const owners: number[][] = [];
  let json = '[';
  for (let i = 0; i < entities.length; i++) {
    let text: string | undefined;
    if (write && !rewrite) {
      text = write(entities[i]);
      if (text === undefined) continue;
    } else {
      const representation = read(entities[i]);
      if (!representation || !representation.__typename) continue;
      rewrite?.(representation);
      text = JSON.stringify(representation);
    }
    const known = seen.get(text);
    if (known !== undefined) {
      owners[known].push(i);
      continue;
    }
    seen.set(text, owners.length);
    owners.push([i]);
    json += owners.length === 1 ? text : `,${text}`;
  }
  if (!owners.length) return undefined;
  return { json: `${json}]`, owners, count: owners.length };
}
