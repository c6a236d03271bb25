/**
 * Header rules: which headers travel from the client to a subgraph or REST service, and from the
 * service back to the client. One YAML or JSON file (HEADER_RULES_FILE):
 *
 *   all:                      # every subgraph call and every REST route
 *     request:  { propagate: [accept-language], insert: { x-platform: gateway } }
 *     response: { insert: { x-content-type-options: nosniff } }
 *   subgraphs:                # GraphQL calls to one subgraph, after `all`
 *     products: { request: { rename: { x-client-version: x-app-version } } }
 *   routes:                   # one REST route (its gateway path prefix), after `all`
 *     /api/orders: { response: { propagate: [x-order-region], remove: [etag] } }
 *
 * Each section runs propagate (copy from the source), rename (copy under another name), remove, then
 * insert (a fixed value), `all` first. Request rules read the client's request headers; response rules
 * read the service's response headers. Hop-by-hop headers, the request id and identity or signature
 * headers can never be named: the gateway sets those itself, after the rules.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** Never forwarded between hops (RFC 9110 7.6.1), or set by the gateway itself. */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'x-request-id',
];
/** The identity the gateway vouches for: plain identity headers and the signed ones (x-identity-*). */
const IDENTITY_HEADER_PREFIXES = ['x-identity-', 'x-user-', 'x-gateway-'];

/** Whether no rule may name this header: hop-by-hop, request id, identity and signature headers. */
export function isProtectedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return HOP_BY_HOP.includes(lower) || IDENTITY_HEADER_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;

const headerName = z
  .string()
  .regex(TOKEN, 'is not a valid header name')
  .transform((name) => name.toLowerCase())
  .refine((name) => !isProtectedHeader(name), {
    message: 'is a hop-by-hop, request id or identity header, which the gateway sets itself',
  });

const headerValue = z
  .string()
  .max(4096, 'must be at most 4096 characters')
  .regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'must not contain line breaks or control characters');

/** Record keys are checked one by one so the message names the key. */
const headerMap = <V extends z.ZodType>(value: V) =>
  z.record(z.string(), value).superRefine((record, ctx) => {
    for (const key of Object.keys(record)) {
      const result = headerName.safeParse(key);
      if (!result.success) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" ${result.error.issues[0].message}` });
    }
  });

const ruleSectionSchema = z
  .object({
    propagate: z.array(headerName).default([]),
    rename: headerMap(headerName).default({}),
    remove: z.array(headerName).default([]),
    insert: headerMap(headerValue).default({}),
  })
  .strict();

const directionsSchema = z
  .object({ request: ruleSectionSchema.optional(), response: ruleSectionSchema.optional() })
  .strict();

/** A record whose keys must match `pattern`; the message names the key. */
const keyedBy = <V extends z.ZodType>(pattern: RegExp, what: string, value: V) =>
  z.record(z.string(), value).superRefine((record, ctx) => {
    for (const key of Object.keys(record)) {
      if (!pattern.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" is not ${what}` });
    }
  });

export const headerRulesFileSchema = z
  .object({
    all: directionsSchema.optional(),
    subgraphs: keyedBy(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'a subgraph name', directionsSchema).optional(),
    routes: keyedBy(/^\/api(\/[A-Za-z0-9._~-]+)+$/, 'a REST route path such as /api/orders', directionsSchema).optional(),
  })
  .strict();

export type HeaderRulesFile = z.input<typeof headerRulesFileSchema>;

interface RuleSection {
  propagate: string[];
  rename: [from: string, to: string][];
  remove: string[];
  insert: [name: string, value: string][];
}

/** Where a call goes: one subgraph (GraphQL) or one REST route (its gateway path prefix). */
export type HeaderTarget = { subgraph: string } | { route: string };
export type HeaderDirection = 'request' | 'response';
/** Reads a header of the source (client request or service response) by lower-case name. */
export type HeaderLookup = (name: string) => string | undefined;

export interface HeaderRules {
  /**
   * The headers to send on: `base` (what the caller already forwards by default) with the rules for
   * `target` and `direction` applied, reading values from `source`. Protected headers never appear.
   */
  apply(target: HeaderTarget, direction: HeaderDirection, source: HeaderLookup, base?: Record<string, string>): Record<string, string>;
  /** Whether any rule exists for the target and direction (lets callers skip work). */
  has(target: HeaderTarget, direction: HeaderDirection): boolean;
}

/** A problem in the rules file, every problem listed with where it is. */
export class HeaderRulesError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`Header rules in ${source} are invalid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'HeaderRulesError';
  }
}

/** Parses YAML or JSON rules text (JSON is YAML); `source` names the file in messages. */
export function parseHeaderRules(text: string, source = 'header rules'): HeaderRules {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new HeaderRulesError(source, [`not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`]);
  }
  const result = headerRulesFileSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new HeaderRulesError(
      source,
      result.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`),
    );
  }
  return compileHeaderRules(result.data);
}

export function loadHeaderRulesFile(path: string): HeaderRules {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new HeaderRulesError(path, [`cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  return parseHeaderRules(text, path);
}

/** No rules at all: `apply` returns the base unchanged (minus protected headers). */
export const NO_HEADER_RULES: HeaderRules = compileHeaderRules({});

function compileHeaderRules(file: z.output<typeof headerRulesFileSchema>): HeaderRules {
  type Directions = z.output<typeof directionsSchema>;
  const compile = (directions: Directions | undefined, direction: HeaderDirection): RuleSection | undefined => {
    const section = directions?.[direction];
    if (!section) return undefined;
    return {
      propagate: section.propagate,
      rename: Object.entries(section.rename).map(([from, to]) => [from.toLowerCase(), to]),
      remove: section.remove,
      insert: Object.entries(section.insert).map(([name, value]) => [name.toLowerCase(), value]),
    };
  };
  const byKey = new Map<string, RuleSection[]>();
  const sectionsFor = (target: HeaderTarget, direction: HeaderDirection): RuleSection[] => {
    const key = `${'subgraph' in target ? `s:${target.subgraph}` : `r:${target.route}`}:${direction}`;
    let sections = byKey.get(key);
    if (!sections) {
      const specific = 'subgraph' in target ? file.subgraphs?.[target.subgraph] : file.routes?.[target.route];
      sections = [compile(file.all, direction), compile(specific, direction)].filter((s): s is RuleSection => !!s);
      byKey.set(key, sections);
    }
    return sections;
  };

  return {
    has: (target, direction) => sectionsFor(target, direction).length > 0,
    apply(target, direction, source, base = {}) {
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(base)) if (!isProtectedHeader(name)) out[name.toLowerCase()] = value;
      for (const section of sectionsFor(target, direction)) {
        for (const name of section.propagate) {
          const value = source(name);
          if (value !== undefined) out[name] = value;
        }
        for (const [from, to] of section.rename) {
          const value = source(from);
          if (value === undefined) continue;
          delete out[from];
          out[to] = value;
        }
        for (const name of section.remove) delete out[name];
        for (const [name, value] of section.insert) out[name] = value;
      }
      return out;
    },
  };
}

/** The parts of a header collection the rules need (Fetch Headers, Apollo's FetcherHeaders). */
interface ReadableHeaders {
  get(name: string): string | null;
}
interface WritableHeaders extends ReadableHeaders {
  set(name: string, value: string): void;
}
/** What a subgraph data source knows of the client's request: Apollo's incoming request context. */
export interface IncomingGraphQLRequest {
  request: { http?: { headers: ReadableHeaders } };
  response?: { http?: { headers: WritableHeaders } };
}

/** The rules of one subgraph, in the two places its data source needs them. */
export interface SubgraphHeaderRules {
  /** Headers from the rules for a call to the subgraph; the data source's own headers go over them. */
  request(incoming: IncomingGraphQLRequest | undefined): Record<string, string>;
  /** Copies what the rules pick from the subgraph's answer onto the client's response. */
  response(replyHeaders: ReadableHeaders, incoming: IncomingGraphQLRequest | undefined): void;
}

export function subgraphHeaderRules(rules: HeaderRules, subgraph: string): SubgraphHeaderRules {
  const target = { subgraph };
  const hasRequest = rules.has(target, 'request');
  const hasResponse = rules.has(target, 'response');
  return {
    request(incoming) {
      const client = incoming?.request.http?.headers;
      if (!hasRequest || !client) return {};
      return rules.apply(target, 'request', (name) => client.get(name) ?? undefined);
    },
    response(replyHeaders, incoming) {
      const clientResponse = incoming?.response?.http?.headers;
      if (!hasResponse || !clientResponse) return;
      const picked = rules.apply(target, 'response', (name) => replyHeaders.get(name) ?? undefined);
      for (const [name, value] of Object.entries(picked)) clientResponse.set(name, value);
    },
  };
}
