/**
 * Offline supergraph composition from a rover-format supergraph.yaml, so a user's existing rover
 * config works unchanged: the config is read with `yaml`, validated with zod, each subgraph's SDL is
 * read from `schema.file` (relative to the yaml file), `schema.sdl`, or a running subgraph at
 * `schema.subgraph_url` (its `_service { sdl }`), and @apollo/composition builds the supergraph SDL.
 * Every problem names the subgraph it comes from.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { GraphQLError, Kind, Source, getLocation, parse, type ASTNode, type DocumentNode } from 'graphql';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { keepNamesOneByte } from '../../../lib/oneByteNames.js';
import { SubgraphIntrospectionError, introspectSubgraphSdl } from './subgraphIntrospection.js';
import { isHttpUrl } from './urls.js';

/** One subgraph of a supergraph config, with its SDL already read. */
export interface SubgraphSource {
  name: string;
  routingUrl: string;
  sdl: string;
  /** Where the SDL came from, for messages: a file path relative to the working directory, or a URL. */
  sourceName: string;
}

export interface LoadSupergraphOptions {
  /** How long to wait for a `schema.subgraph_url` subgraph to answer its introspection. @default 10000 */
  introspectionTimeoutMs?: number;
  /**
   * SDL to use instead of what the config says for these subgraphs (their file is not read, their
   * URL not introspected), e.g. a changed schema under check.
   */
  schemaOverrides?: Record<string, { sdl: string; sourceName: string }>;
}

export interface SupergraphConfig {
  /** Absolute path of the yaml file. */
  path: string;
  /** As written in the file (`2`, `=2.9.0`); `2` when the file leaves it out. */
  federationVersion: string;
  subgraphs: SubgraphSource[];
}

/** A composition error or hint, attributed to the subgraphs it concerns. */
export interface CompositionProblem {
  /** Subgraph names; empty when the problem concerns the supergraph as a whole. */
  subgraphs: string[];
  code: string;
  message: string;
  /** `file:line:column` of the definitions involved. */
  locations: string[];
}

export interface ComposedSupergraph {
  supergraphSdl: string;
  /** Composition hints: worth reading, not fatal. */
  hints: CompositionProblem[];
  subgraphs: { name: string; routingUrl: string }[];
}

/** The supergraph config cannot be used: missing file, bad YAML, wrong shape, unreadable schema. */
export class SupergraphConfigError extends Error {
  readonly problems: string[];
  constructor(configPath: string, problems: string[]) {
    super(`${displayPath(configPath)}: invalid supergraph config:\n  - ${problems.join('\n  - ')}`);
    this.name = 'SupergraphConfigError';
    this.problems = problems;
  }
}

/** The subgraphs do not compose; `problems` says which subgraph each error comes from. */
export class CompositionError extends Error {
  readonly problems: CompositionProblem[];
  constructor(problems: CompositionProblem[]) {
    const count = problems.length === 1 ? '1 error' : `${problems.length} errors`;
    super(`Composition failed with ${count}:\n${problems.map((p) => formatProblem(p, '  ')).join('\n')}`);
    this.name = 'CompositionError';
    this.problems = problems;
  }
}

/** `[products, orders] FIELD_TYPE_MISMATCH: message` plus where, one problem per entry. */
export function formatProblem(problem: CompositionProblem, indent = ''): string {
  const where = problem.subgraphs.length ? problem.subgraphs.join(', ') : 'supergraph';
  const head = `${indent}[${where}] ${problem.code}: ${problem.message}`;
  return problem.locations.length ? `${head}\n${indent}    at ${problem.locations.join(', ')}` : head;
}

/** Custom wording for a missing or wrongly typed value; zod's own for everything else. */
function whenInvalidType(issue: { code?: string; input?: unknown }, missing: string, wrongType: string): string | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  return issue.input === undefined || issue.input === null ? missing : wrongType;
}

const httpUrl = z.string().refine(isHttpUrl, { message: 'must be an http(s) URL' });
// RFC 9110 token, and no line breaks in values, so a header cannot smuggle another one in.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[^\r\n\0]*$/;

const schemaSourceSchema = z
  .strictObject(
    {
      file: z.string().min(1).optional(),
      sdl: z.string().min(1).optional(),
      subgraph_url: z.string().pipe(httpUrl).optional(),
      introspection_headers: z
        .record(
          z.string().regex(HEADER_NAME, { message: 'is not a valid HTTP header name' }),
          z.string().regex(HEADER_VALUE, { message: 'must be a single-line header value' }),
        )
        .optional(),
      // Accepted so rover configs parse; refused below with a message saying what to use instead.
      graphref: z.string().optional(),
      subgraph: z.string().optional(),
    },
    {
      error: (issue) => whenInvalidType(issue, 'is required, e.g. schema: { file: ./schema.graphql }', 'must be a mapping'),
    },
  )
  .superRefine((source, ctx) => {
    const given = (['file', 'sdl', 'subgraph_url', 'graphref'] as const).filter((key) => source[key] !== undefined);
    if (given.length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: 'needs schema.file (a path to the subgraph SDL), schema.sdl or schema.subgraph_url',
      });
    } else if (given.length > 1) {
      ctx.addIssue({ code: 'custom', message: `give only one of schema.${given.join(', schema.')}` });
    } else if (source.introspection_headers !== undefined && given[0] !== 'subgraph_url') {
      ctx.addIssue({
        code: 'custom',
        path: ['introspection_headers'],
        message: 'only applies to schema.subgraph_url (the headers sent when introspecting a running subgraph)',
      });
    } else if (given[0] === 'graphref') {
      ctx.addIssue({
        code: 'custom',
        path: ['graphref'],
        message: 'is not supported: composition here is offline and does not fetch from GraphOS; use schema.file',
      });
    }
  });

const subgraphEntrySchema = z.strictObject(
  {
    routing_url: z.string({ error: (issue) => whenInvalidType(issue, 'is required', 'must be a string') }).pipe(httpUrl),
    schema: schemaSourceSchema,
  },
  { error: (issue) => whenInvalidType(issue, 'is empty', 'must be a mapping') },
);

const supergraphFileSchema = z.strictObject(
  {
    federation_version: z
      .union([z.string(), z.number()])
      .optional()
      .transform((value) => (value === undefined ? '2' : String(value)))
      .superRefine((value, ctx) => {
        if (/^=?(0|1)(\.|$)/.test(value)) {
          ctx.addIssue({ code: 'custom', message: `"${value}" is Federation 1, which is not supported; use 2 or =2.x.y` });
        } else if (!/^(2|=2\.\d+\.\d+(-[\w.]+)?)$/.test(value)) {
          ctx.addIssue({ code: 'custom', message: `"${value}" is not a federation version; use 2 or =2.x.y (e.g. =2.9.0)` });
        }
      }),
    subgraphs: z
      .record(z.string().min(1), subgraphEntrySchema, {
        error: (issue) => whenInvalidType(issue, 'is required', 'must be a mapping of subgraph names'),
      })
      .refine((subgraphs) => Object.keys(subgraphs).length > 0, { message: 'needs at least one subgraph' }),
  },
  {
    error: (issue) =>
      whenInvalidType(issue, 'the file is empty', 'the file must be a YAML mapping with federation_version and subgraphs'),
  },
);

/**
 * Reads and validates a supergraph.yaml and the SDL of every subgraph it lists, introspecting the
 * `schema.subgraph_url` ones (in parallel). Every unreadable file and unreachable subgraph is reported
 * at once, each with its subgraph.
 */
export async function loadSupergraphConfig(
  configPath: string,
  options: LoadSupergraphOptions = {},
): Promise<SupergraphConfig> {
  const absolute = path.resolve(configPath);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (err) {
    throw new SupergraphConfigError(absolute, [describeReadError(err, 'supergraph config')]);
  }

  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length) {
    throw new SupergraphConfigError(
      absolute,
      document.errors.map((error) => `bad YAML: ${error.message.split('\n')[0].replace(/:$/, '')}`),
    );
  }
  const parsed = supergraphFileSchema.safeParse(document.toJS());
  if (!parsed.success) {
    throw new SupergraphConfigError(
      absolute,
      parsed.error.issues.map((issue) => {
        const key = issue.path.map(String).join('.');
        const message =
          issue.code === 'unrecognized_keys'
            ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
            : issue.message;
        return key ? `${key}: ${message}` : message;
      }),
    );
  }

  const baseDir = path.dirname(absolute);
  // Read in parallel; problems are kept in config order (index per subgraph), not in finishing order.
  const problemOf: (string | undefined)[] = [];
  const subgraphs = await Promise.all(
    Object.entries(parsed.data.subgraphs).map(async ([name, entry], index): Promise<SubgraphSource | undefined> => {
      const override = options.schemaOverrides?.[name];
      if (override) return { name, routingUrl: entry.routing_url, ...override };
      if (entry.schema.sdl !== undefined) {
        return { name, routingUrl: entry.routing_url, sdl: entry.schema.sdl, sourceName: `${name} (schema.sdl)` };
      }
      if (entry.schema.subgraph_url !== undefined) {
        const url = entry.schema.subgraph_url;
        try {
          const sdl = await introspectSubgraphSdl(url, {
            headers: entry.schema.introspection_headers,
            timeoutMs: options.introspectionTimeoutMs,
          });
          return { name, routingUrl: entry.routing_url, sdl, sourceName: url };
        } catch (err) {
          if (!(err instanceof SubgraphIntrospectionError)) throw err;
          problemOf[index] = `subgraphs.${name}.schema.subgraph_url: ${err.message}`;
          return undefined;
        }
      }
      const file = path.resolve(baseDir, entry.schema.file as string);
      try {
        return { name, routingUrl: entry.routing_url, sdl: await readFile(file, 'utf8'), sourceName: displayPath(file) };
      } catch (err) {
        problemOf[index] = `subgraphs.${name}.schema.file: ${describeReadError(err, 'schema file')}`;
        return undefined;
      }
    }),
  );
  const problems = problemOf.filter((p): p is string => p !== undefined);
  if (problems.length) throw new SupergraphConfigError(absolute, problems);
  return {
    path: absolute,
    federationVersion: parsed.data.federation_version,
    subgraphs: subgraphs.filter((s): s is SubgraphSource => s !== undefined),
  };
}

/**
 * Composes subgraph SDLs into a supergraph SDL. Throws CompositionError listing every error with its
 * subgraph; hints come back with the result.
 */
export function composeSubgraphs(
  subgraphs: readonly SubgraphSource[],
  options: { federationVersion?: string } = {},
): ComposedSupergraph {
  const sourceToSubgraph = new Map(subgraphs.map((s) => [s.sourceName, s.name]));
  const names = subgraphs.map((s) => s.name);
  const problems: CompositionProblem[] = [];
  const services: { name: string; url: string; typeDefs: DocumentNode }[] = [];

  for (const subgraph of subgraphs) {
    // Before composition meets the names (lib/oneByteNames.ts says why).
    keepNamesOneByte(subgraph.sdl);
    let typeDefs: DocumentNode;
    try {
      typeDefs = parse(new Source(subgraph.sdl, subgraph.sourceName));
    } catch (err) {
      if (!(err instanceof GraphQLError)) throw err;
      problems.push({
        subgraphs: [subgraph.name],
        code: 'INVALID_GRAPHQL',
        message: err.message,
        locations: (err.locations ?? []).map((l) => `${subgraph.sourceName}:${l.line}:${l.column}`),
      });
      continue;
    }
    const tooNew = federationLinkBeyond(typeDefs, options.federationVersion);
    if (tooNew) {
      problems.push({
        subgraphs: [subgraph.name],
        code: 'UNSUPPORTED_FEDERATION_VERSION',
        message:
          `links federation ${tooNew} but federation_version is ${options.federationVersion}; ` +
          `raise federation_version or link an older federation spec (rover would fail the same way)`,
        locations: [],
      });
    }
    services.push({ name: subgraph.name, url: subgraph.routingUrl, typeDefs });
  }
  if (problems.length) throw new CompositionError(problems);

  const result = composeServices(services);
  if (result.errors) {
    throw new CompositionError(
      result.errors.map((error) =>
        toProblem(String(error.extensions.code ?? 'COMPOSITION_ERROR'), error.message, error.nodes, sourceToSubgraph, names),
      ),
    );
  }
  return {
    supergraphSdl: result.supergraphSdl,
    hints: result.hints.map((hint) => toProblem(hint.definition.code, hint.message, hint.nodes, sourceToSubgraph, names)),
    subgraphs: subgraphs.map((s) => ({ name: s.name, routingUrl: s.routingUrl })),
  };
}

/** Reads a supergraph.yaml (introspecting `schema.subgraph_url` subgraphs) and composes it. */
export async function composeSupergraphConfig(
  configPath: string,
  options: LoadSupergraphOptions = {},
): Promise<ComposedSupergraph & { config: SupergraphConfig }> {
  const config = await loadSupergraphConfig(configPath, options);
  return { ...composeSubgraphs(config.subgraphs, { federationVersion: config.federationVersion }), config };
}

/**
 * Which subgraphs a composition message concerns: the `subgraph` tag composition puts on AST nodes,
 * the source each node was parsed from, a leading `[name]`, or the names quoted after "subgraph(s)".
 */
function toProblem(
  code: string,
  rawMessage: string,
  nodes: readonly ASTNode[] | undefined,
  sourceToSubgraph: Map<string, string>,
  names: string[],
): CompositionProblem {
  const found = new Set<string>();
  const locations: string[] = [];
  for (const node of nodes ?? []) {
    const tagged = (node as { subgraph?: unknown }).subgraph;
    if (typeof tagged === 'string') found.add(tagged);
    const source = node.loc?.source;
    if (source) {
      const fromSource = sourceToSubgraph.get(source.name);
      if (fromSource) found.add(fromSource);
      const { line, column } = getLocation(source, node.loc.start);
      locations.push(`${source.name}:${line}:${column}`);
    }
  }
  let message = rawMessage;
  const bracket = /^\[([^\]]+)\]\s*/.exec(message);
  if (bracket && names.includes(bracket[1])) {
    found.add(bracket[1]);
    message = message.slice(bracket[0].length);
  }
  for (const mention of message.matchAll(/subgraphs? ((?:"[^"]+"(?:, | and |,? and )?)+)/g)) {
    for (const quoted of mention[1].matchAll(/"([^"]+)"/g)) {
      if (names.includes(quoted[1])) found.add(quoted[1]);
    }
  }
  const subgraphs = names.filter((name) => found.has(name));
  return { subgraphs, code, message, locations: [...new Set(locations)] };
}

/** The federation spec a subgraph links (`v2.10`) when it is newer than an exact `=2.x.y` version. */
function federationLinkBeyond(typeDefs: DocumentNode, federationVersion: string | undefined): string | undefined {
  const exact = federationVersion && /^=2\.(\d+)\./.exec(federationVersion);
  if (!exact) return undefined;
  const allowedMinor = Number(exact[1]);
  for (const definition of typeDefs.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const directive of definition.directives ?? []) {
      if (directive.name.value !== 'link') continue;
      const url = directive.arguments?.find((arg) => arg.name.value === 'url')?.value;
      if (url?.kind !== Kind.STRING) continue;
      const linked = /specs\.apollo\.dev\/federation\/v2\.(\d+)/.exec(url.value);
      if (linked && Number(linked[1]) > allowedMinor) return `v2.${linked[1]}`;
    }
  }
  return undefined;
}

function describeReadError(err: unknown, what: string): string {
  const e = err as NodeJS.ErrnoException;
  const where = e.path ? displayPath(e.path) : '';
  if (e.code === 'ENOENT') return `${what} not found: ${where}`;
  if (e.code === 'EISDIR') return `${what} is a directory, not a file: ${where}`;
  if (e.code === 'EACCES') return `${what} is not readable (permission denied): ${where}`;
  return `cannot read ${what} ${where}: ${e.message}`;
}

function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}
