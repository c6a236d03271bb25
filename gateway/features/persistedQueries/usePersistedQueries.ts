/**
 * Persisted queries, two ways:
 *
 * - Automatic persisted queries (APQ): a client sends `extensions.persistedQuery.sha256Hash` alone;
 *   an unknown hash gets PERSISTED_QUERY_NOT_FOUND, the client resends hash and query once, and from
 *   then on the hash is enough. Apollo Server's own APQ does the protocol; its cache is our store,
 *   so with REDIS_URL every replica knows a query registered through any of them.
 * - Persisted documents: a manifest in Apollo's format
 *   (`{ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id, name, type, body }] }`)
 *   whose operations run by id, as `documentId` or as `extensions.persistedQuery.sha256Hash`.
 *   In `safelist` mode only they run: a query text not in the manifest is refused with 403
 *   PERSISTED_QUERY_NOT_ALLOWED and APQ registers nothing new. In `allow` mode the ids are a
 *   shortcut and any query runs too.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { PersistedQueryOptions } from '@apollo/server';
import { stripIgnoredCharacters } from 'graphql';
import { z } from 'zod';
import { AppError } from '../../../lib/errors.js';
import type { KeyValueStore } from '../../store/keyValueStore.js';
import type { GatewayFeature, GraphQLRequestParams } from '../feature.js';

export type PersistedDocumentsMode = 'safelist' | 'allow';

export interface PersistedQueriesOptions {
  /** Automatic persisted queries: clients may register queries by hash. @default true */
  apq?: boolean;
  /** Where APQ keeps registered queries (memory, or Redis shared by the replicas). */
  store: KeyValueStore;
  /** How long a registered query is kept, in seconds. @default 86400 */
  apqTtlSeconds?: number;
  /** A persisted query manifest file (Apollo's format). */
  manifestPath?: string;
  /** `safelist`: only the manifest's operations run; `allow`: its ids work, other queries too. @default 'allow' */
  mode?: PersistedDocumentsMode;
}

export interface PersistedQueriesFeature extends GatewayFeature {
  /** Apollo Server's `persistedQueries` option: APQ on our store, manifest ids first. */
  readonly persistedQueries: PersistedQueryOptions | false;
}

const manifestSchema = z.object({
  format: z.literal('apollo-persisted-query-manifest'),
  version: z.literal(1),
  operations: z.array(
    z.object({
      id: z.string().min(1),
      name: z.string().optional(),
      type: z.enum(['query', 'mutation', 'subscription']).optional(),
      body: z.string().min(1),
    }),
  ),
});

/** The operations of a manifest: by id, and by the hash and the compact text of their body. */
export interface PersistedDocuments {
  byId: ReadonlyMap<string, string>;
  /** Bodies with insignificant whitespace and comments removed: the safelist of query texts. */
  compactBodies: ReadonlySet<string>;
  size: number;
}

/** Reads and checks a manifest; every problem is named with the file. */
export function loadPersistedDocuments(path: string): PersistedDocuments {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`PERSISTED_DOCUMENTS: cannot read ${path}: ${(err as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`);
    throw new Error(`PERSISTED_DOCUMENTS: ${path} is not an Apollo persisted query manifest (version 1): ${problems.join('; ')}`);
  }
  const byId = new Map<string, string>();
  const compactBodies = new Set<string>();
  for (const operation of parsed.data.operations) {
    let compact: string;
    try {
      compact = stripIgnoredCharacters(operation.body);
    } catch (err) {
      throw new Error(`PERSISTED_DOCUMENTS: ${path}: operation ${operation.id} does not parse: ${(err as Error).message}`);
    }
    byId.set(operation.id, operation.body);
    // Apollo's tooling uses the body's sha256 as the id; accept the hash whatever the id is.
    byId.set(sha256(operation.body), operation.body);
    compactBodies.add(compact);
  }
  return { byId, compactBodies, size: parsed.data.operations.length };
}

// Apollo Server prefixes the keys of its APQ cache.
const APQ_PREFIX = 'apq:';

export function usePersistedQueries(options: PersistedQueriesOptions): PersistedQueriesFeature {
  const apq = options.apq ?? true;
  const mode = options.mode ?? 'allow';
  const documents = options.manifestPath ? loadPersistedDocuments(options.manifestPath) : undefined;
  if (mode === 'safelist' && !documents) {
    throw new Error('PERSISTED_DOCUMENTS_MODE=safelist needs PERSISTED_DOCUMENTS (a manifest of the allowed operations)');
  }
  const safelist = mode === 'safelist' ? documents : undefined;
  const ttlMs = (options.apqTtlSeconds ?? 86_400) * 1_000;
  const { store } = options;

  const persistedQueries: PersistedQueryOptions | false =
    apq || documents
      ? {
          ttl: null,
          cache: {
            async get(key) {
              const hash = key.startsWith(APQ_PREFIX) ? key.slice(APQ_PREFIX.length) : key;
              const fromManifest = documents?.byId.get(hash);
              if (fromManifest !== undefined) return fromManifest;
              // In safelist mode a hash outside the manifest is unknown, even if registered earlier.
              return apq && !safelist ? store.get(hash) : undefined;
            },
            async set(key, value) {
              if (!apq || safelist) return;
              const hash = key.startsWith(APQ_PREFIX) ? key.slice(APQ_PREFIX.length) : key;
              if (documents?.byId.has(hash)) return;
              await store.set(hash, value, ttlMs);
            },
            async delete(key) {
              await store.delete([key.startsWith(APQ_PREFIX) ? key.slice(APQ_PREFIX.length) : key]);
            },
          },
        }
      : false;

  return {
    name: 'persisted queries',
    persistedQueries,
    ...(documents ? { onGraphQLParams: persistedDocumentsParams(documents, safelist) } : {}),
  };
}

/**
 * Before Apollo: a `documentId` becomes its query text, and in safelist mode a query text not in the
 * manifest is refused. Hash-only requests pass on to Apollo's APQ, whose cache reads the manifest.
 */
function persistedDocumentsParams(documents: PersistedDocuments, safelist: PersistedDocuments | undefined) {
  return ({ method, body, search }: GraphQLRequestParams): void => {
    if (method === 'POST') {
      for (const operation of Array.isArray(body) ? body : [body]) resolveOperation(operation, documents, safelist);
    } else if (method === 'GET' && safelist) {
      const query = new URLSearchParams(search).get('query');
      if (query !== null) checkSafelisted(query, safelist);
    }
  };
}

function resolveOperation(operation: unknown, documents: PersistedDocuments, safelist: PersistedDocuments | undefined): void {
  if (!operation || typeof operation !== 'object') return;
  const request = operation as { query?: unknown; documentId?: unknown };
  if (request.documentId !== undefined) {
    if (typeof request.documentId !== 'string' || !request.documentId) {
      throw new AppError('BAD_REQUEST', '"documentId" must be a non-empty string: the id of an operation in the manifest');
    }
    const id = request.documentId.replace(/^sha256:/, '');
    const body = documents.byId.get(id);
    if (body === undefined) {
      throw new AppError('PERSISTED_QUERY_NOT_IN_LIST', `No persisted document has the id "${request.documentId}"`);
    }
    if (request.query !== undefined && request.query !== body) {
      throw new AppError('BAD_REQUEST', 'Send either "documentId" or "query", not both with different operations');
    }
    request.query = body;
    delete request.documentId;
    return;
  }
  if (safelist && typeof request.query === 'string') checkSafelisted(request.query, safelist);
}

function checkSafelisted(query: string, safelist: PersistedDocuments): void {
  let compact: string | undefined;
  try {
    compact = stripIgnoredCharacters(query);
  } catch {
    compact = undefined;
  }
  if (compact === undefined || !safelist.compactBodies.has(compact)) {
    throw new AppError(
      'PERSISTED_QUERY_NOT_ALLOWED',
      'Only registered operations run here: this query is not in the persisted documents manifest. ' +
        'Send the id of a registered operation as "documentId" or extensions.persistedQuery.sha256Hash',
    );
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
