/**
 * Schema checks, as rover's `subgraph check` does them offline: compose a changed subgraph schema
 * with the other subgraphs, then compare the API schema clients would get (the supergraph without
 * federation machinery and @inaccessible elements) with the one they get now. graphql-js decides what
 * breaks a client and what is dangerous; additions are listed as safe. Pure functions: the CLI reads
 * the files, these decide.
 */
import { Supergraph, errorCauses } from '@apollo/federation-internals';
import {
  findBreakingChanges,
  findDangerousChanges,
  isInterfaceType,
  isObjectType,
  type GraphQLSchema,
} from 'graphql';
import { CompositionError, composeSubgraphs, formatProblem, type CompositionProblem, type SubgraphSource } from './compose.js';

/** One difference between the current and the proposed API schema. */
export interface SchemaChange {
  /** graphql-js's change type (FIELD_REMOVED, REQUIRED_ARG_ADDED, VALUE_ADDED_TO_ENUM, ...), or TYPE_ADDED / FIELD_ADDED. */
  type: string;
  /** e.g. `Product.description was removed.` */
  description: string;
}

export interface SchemaDiff {
  /** Changes that make some valid client operation fail or change meaning. */
  breaking: SchemaChange[];
  /** Changes that can surprise a client (a new enum value, a changed default) without failing it. */
  dangerous: SchemaChange[];
  /** New types and new output fields. */
  safe: SchemaChange[];
}

export interface SchemaCheckInput {
  /** Name of the subgraph whose schema changes. */
  subgraph: string;
  /** The changed SDL, and where it came from (a path or URL, for messages). */
  proposed: { sdl: string; sourceName: string };
  /** Every subgraph of the config; the checked one is replaced by `proposed`, or added when it is new. */
  subgraphs: readonly SubgraphSource[];
  /** federation_version of the config, e.g. `=2.9.0`. */
  federationVersion?: string;
  /** The supergraph SDL clients use now. */
  currentSupergraphSdl: string;
  /** Where the current supergraph came from, for the report. @default 'current supergraph' */
  currentSupergraphName?: string;
}

export interface SchemaCheckReport {
  /** `failed` on composition errors or breaking changes. */
  status: 'passed' | 'failed';
  subgraph: string;
  /** True when the config does not list the subgraph yet. */
  newSubgraph: boolean;
  /** Where the checked SDL came from. */
  schemaSource: string;
  /** What the API schema was compared against. */
  currentSupergraph: string;
  /** Names of all subgraphs composed, the checked one included. */
  composedWith: string[];
  compositionErrors: CompositionProblem[];
  compositionHints: CompositionProblem[];
  breakingChanges: SchemaChange[];
  dangerousChanges: SchemaChange[];
  safeChanges: SchemaChange[];
}

/** A supergraph SDL that cannot be read as one (so there is nothing to compare against). */
export class InvalidSupergraphError extends Error {
  readonly problems: string[];
  constructor(name: string, problems: string[]) {
    super(`${name} is not a valid supergraph:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidSupergraphError';
    this.problems = problems;
  }
}

/** The client-facing schema of a supergraph: no join/link machinery, no @inaccessible elements. */
export function apiSchemaOfSupergraph(supergraphSdl: string, name = 'supergraph'): GraphQLSchema {
  try {
    // Any linked feature is fine here: only the API schema is wanted, not a query planner.
    return Supergraph.build(supergraphSdl, { supportedFeatures: null }).apiSchema().toGraphQLJSSchema();
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    const causes = errorCauses(err);
    throw new InvalidSupergraphError(name, causes?.length ? causes.map((cause) => cause.message) : [err.message]);
  }
}

/** What changes for clients between two API schemas. */
export function diffApiSchemas(current: GraphQLSchema, proposed: GraphQLSchema): SchemaDiff {
  const toChange = (change: { type: string; description: string }): SchemaChange => ({
    type: change.type,
    description: change.description,
  });
  return {
    breaking: findBreakingChanges(current, proposed).map(toChange),
    dangerous: findDangerousChanges(current, proposed).map(toChange),
    safe: findAdditions(current, proposed),
  };
}

/**
 * Composes the changed subgraph with the others and compares the result with the current
 * supergraph. Throws InvalidSupergraphError when the current supergraph cannot be read; composition
 * errors are part of the report.
 */
export function checkSubgraphSchema(input: SchemaCheckInput): SchemaCheckReport {
  const currentName = input.currentSupergraphName ?? 'current supergraph';
  const currentApi = apiSchemaOfSupergraph(input.currentSupergraphSdl, currentName);

  const existing = input.subgraphs.find((s) => s.name === input.subgraph);
  const changed: SubgraphSource = {
    name: input.subgraph,
    // Never called during a check; a placeholder keeps composition from complaining about a new subgraph.
    routingUrl: existing?.routingUrl ?? `http://${input.subgraph}.invalid/graphql`,
    sdl: input.proposed.sdl,
    sourceName: input.proposed.sourceName,
  };
  const subgraphs = existing
    ? input.subgraphs.map((s) => (s.name === input.subgraph ? changed : s))
    : [...input.subgraphs, changed];

  const report: SchemaCheckReport = {
    status: 'passed',
    subgraph: input.subgraph,
    newSubgraph: !existing,
    schemaSource: input.proposed.sourceName,
    currentSupergraph: currentName,
    composedWith: subgraphs.map((s) => s.name),
    compositionErrors: [],
    compositionHints: [],
    breakingChanges: [],
    dangerousChanges: [],
    safeChanges: [],
  };

  let supergraphSdl: string;
  try {
    const composed = composeSubgraphs(subgraphs, { federationVersion: input.federationVersion });
    supergraphSdl = composed.supergraphSdl;
    report.compositionHints = composed.hints;
  } catch (err) {
    if (!(err instanceof CompositionError)) throw err;
    report.compositionErrors = err.problems;
    report.status = 'failed';
    return report;
  }

  const diff = diffApiSchemas(currentApi, apiSchemaOfSupergraph(supergraphSdl, 'the composed supergraph'));
  report.breakingChanges = diff.breaking;
  report.dangerousChanges = diff.dangerous;
  report.safeChanges = diff.safe;
  if (diff.breaking.length) report.status = 'failed';
  return report;
}

/** The exit code a CLI should end with: 1 when the check failed, 0 when it passed. */
export function exitCodeOf(report: SchemaCheckReport): number {
  return report.status === 'failed' ? 1 : 0;
}

/** A human-readable report, grouped: composition, breaking, dangerous, safe, then a one-line result. */
export function formatSchemaCheckReport(report: SchemaCheckReport): string {
  const lines: string[] = [];
  const others = report.composedWith.filter((name) => name !== report.subgraph);
  lines.push(
    `Subgraph ${report.subgraph}${report.newSubgraph ? ' (new)' : ''}: ${report.schemaSource}`,
    `Composed with: ${others.length ? others.join(', ') : '(no other subgraphs)'}`,
    `Compared with: ${report.currentSupergraph}`,
    '',
  );

  if (report.compositionErrors.length) {
    lines.push(`Composition errors (${report.compositionErrors.length}):`);
    for (const problem of report.compositionErrors) lines.push(formatProblem(problem, '  '));
    lines.push('');
  } else {
    lines.push('Composition: ok');
    lines.push('');
  }
  if (report.compositionHints.length) {
    lines.push(`Composition hints (${report.compositionHints.length}):`);
    for (const hint of report.compositionHints) lines.push(formatProblem(hint, '  '));
    lines.push('');
  }

  const group = (title: string, changes: SchemaChange[]) => {
    if (!changes.length) return;
    lines.push(`${title} (${changes.length}):`);
    const width = Math.max(...changes.map((c) => c.type.length));
    for (const change of changes) lines.push(`  ${change.type.padEnd(width)}  ${change.description}`);
    lines.push('');
  };
  group('Breaking changes', report.breakingChanges);
  group('Dangerous changes', report.dangerousChanges);
  group('Safe changes', report.safeChanges);

  lines.push(resultLine(report));
  return lines.join('\n');
}

function resultLine(report: SchemaCheckReport): string {
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  if (report.compositionErrors.length) {
    return `FAILED: ${report.subgraph} does not compose (${count(report.compositionErrors.length, 'composition error')}).`;
  }
  if (report.breakingChanges.length) {
    return `FAILED: ${count(report.breakingChanges.length, 'breaking change')} for clients.`;
  }
  const notes: string[] = [];
  if (report.dangerousChanges.length) notes.push(`${count(report.dangerousChanges.length, 'dangerous change')} to review`);
  if (report.safeChanges.length) notes.push(count(report.safeChanges.length, 'safe change'));
  if (!report.dangerousChanges.length && !report.safeChanges.length) notes.push('the API schema is unchanged');
  return `PASSED: no breaking changes (${notes.join(', ')}).`;
}

/** New types, and new fields of object and interface types both schemas have. */
function findAdditions(current: GraphQLSchema, proposed: GraphQLSchema): SchemaChange[] {
  const additions: SchemaChange[] = [];
  const currentTypes = current.getTypeMap();
  for (const [name, type] of Object.entries(proposed.getTypeMap())) {
    if (name.startsWith('__')) continue;
    const before = currentTypes[name];
    if (!before) {
      additions.push({ type: 'TYPE_ADDED', description: `${name} was added.` });
      continue;
    }
    if (!(isObjectType(type) || isInterfaceType(type)) || !(isObjectType(before) || isInterfaceType(before))) continue;
    const beforeFields = before.getFields();
    for (const fieldName of Object.keys(type.getFields())) {
      if (!beforeFields[fieldName]) additions.push({ type: 'FIELD_ADDED', description: `${name}.${fieldName} was added.` });
    }
  }
  return additions;
}
