/**
 * The response cache: whole query responses, kept as long as the `@cacheControl` hints of the
 * subgraphs allow. Each subgraph computes its policy from the hints in its schema and sends it as
 * `Cache-Control`; SubgraphDataSource folds each subgraph's header into the operation's
 * `overallCachePolicy` (the shortest max-age wins, PRIVATE wins over PUBLIC, no header means not
 * cacheable). The same design as Apollo's response-cache plugin, on our key-value store:
 *
 * - `responseForOperation` answers a query from the store (Age and `x-cache: HIT`);
 * - `willSendResponse` stores an error-free query response under its policy, tagged with the
 *   entities (`Type:id`) it contains, and after a mutation deletes the responses tagged with the
 *   entities in the mutation's result.
 *
 * Keys: the supergraph, the query's hash, the operation name, the variables and what the caller may
 * see (authenticated or not, and its scopes, so a field removed for one caller is never served to
 * another). PRIVATE responses are also keyed by the caller (subject or API key) and never stored for
 * an anonymous caller. A caller's own mutation also drops that caller's PRIVATE responses, so their
 * next `myOrders` sees the order they just placed.
 */
import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContext, type GraphQLRequestListener } from '@apollo/server';
import type { FormattedExecutionResult } from 'graphql';
import type { Identity } from '../../../lib/identity.js';
import type { Logger } from '../../../lib/logger.js';
import type { GatewayContext } from '../../context.js';
import { entityTags } from './entityTags.js';
import type { KeyValueStore } from '../../store/keyValueStore.js';
import type { GatewayFeature } from '../feature.js';

export interface ResponseCacheOptions {
  /** Where responses live (memory, or Redis shared by the replicas). */
  store: KeyValueStore;
  /**
   * Seconds to keep a response no subgraph's hint covers (one that needed no subgraph call, e.g.
   * `{ __typename }`). Subgraph answers without a max-age are never cached. @default 0
   */
  defaultMaxAge?: number;
  /** Most entity tags recorded per response; larger responses expire by their max-age only. @default 1000 */
  maxTagsPerResponse?: number;
  logger?: Logger;
  /** Counts each look-up of a query (gateway_response_cache_total). */
  onLookup?: (hit: boolean) => void;
  /** Replaces Date.now (tests). */
  now?: () => number;
}

/** The header that tells whether the response came from the cache. */
export const CACHE_STATUS_HEADER = 'x-cache';

type Scope = 'PUBLIC' | 'PRIVATE';

interface CachedResponse {
  result: FormattedExecutionResult;
  /** Epoch milliseconds when stored. */
  storedAt: number;
  maxAge: number;
  scope: Scope;
}

interface Lookup {
  publicKey: string;
  /** Only for a caller with an identity. */
  privateKey?: string;
  principalTag?: string;
}

type RequestContext = GraphQLRequestContext<GatewayContext>;

export function useResponseCache(options: ResponseCacheOptions): GatewayFeature {
  const { store, logger } = options;
  const defaultMaxAge = options.defaultMaxAge ?? 0;
  const maxTags = options.maxTagsPerResponse ?? 1_000;
  const now = options.now ?? Date.now;
  let supergraphVersion = '';

  function lookupFor(context: RequestContext): Lookup {
    const identity = context.contextValue.identity;
    const base = sha256(
      JSON.stringify([
        supergraphVersion,
        context.queryHash,
        context.operationName ?? null,
        stableJson(context.request.variables ?? {}),
        audienceOf(identity),
      ]),
    );
    const principal = principalOf(identity);
    if (!principal) return { publicKey: `r:${base}` };
    const who = sha256(principal);
    return { publicKey: `r:${base}`, privateKey: `r:${base}:u:${who}`, principalTag: `u:${who}` };
  }

  async function read(lookup: Lookup): Promise<CachedResponse | undefined> {
    const raw = (lookup.privateKey ? await store.get(lookup.privateKey) : undefined) ?? (await store.get(lookup.publicKey));
    if (!raw) return undefined;
    try {
      const entry = JSON.parse(raw) as CachedResponse;
      return now() - entry.storedAt < entry.maxAge * 1_000 ? entry : undefined;
    } catch {
      return undefined;
    }
  }

  /** Deletes the responses carrying any of the tags, and the tags. */
  async function invalidate(tags: string[]): Promise<void> {
    if (!tags.length) return;
    const members = await Promise.all(tags.map((tag) => store.members(tag)));
    await store.delete([...new Set(members.flat()), ...tags]);
  }

  function tagsOf(context: RequestContext, data: unknown): string[] {
    if (!context.document || !context.operation) return [];
    return entityTags({ schema: context.schema, document: context.document, operation: context.operation, data, limit: maxTags }).map(
      (tag) => `t:${tag}`,
    );
  }

  const plugin: ApolloServerPlugin<GatewayContext> = {
    async serverWillStart() {
      return {
        schemaDidLoadOrUpdate({ coreSupergraphSdl, apiSchema }) {
          // A new supergraph starts with an empty cache: old answers may not fit the new schema.
          supergraphVersion = sha256(coreSupergraphSdl ?? String(apiSchema.getQueryType()?.name)).slice(0, 16);
        },
      };
    },
    async requestDidStart(): Promise<GraphQLRequestListener<GatewayContext>> {
      let lookup: Lookup | undefined;
      let hit: CachedResponse | undefined;
      return {
        async responseForOperation(context) {
          if (context.operation?.operation !== 'query') return null;
          lookup = lookupFor(context);
          hit = await read(lookup);
          options.onLookup?.(hit !== undefined);
          if (!hit) return null;
          const age = Math.max(0, Math.floor((now() - hit.storedAt) / 1_000));
          return {
            http: { status: undefined, headers: new HeaderMap([['age', String(age)], [CACHE_STATUS_HEADER, 'HIT']]) },
            body: { kind: 'single', singleResult: hit.result },
          };
        },

        async willSendResponse(context) {
          const { response } = context;
          const single = response.body.kind === 'single' ? response.body.singleResult : undefined;
          if (context.operation?.operation === 'mutation') {
            if (!single?.data) return;
            const tags = tagsOf(context, single.data);
            const principalTag = lookupFor(context).principalTag;
            if (principalTag) tags.push(principalTag);
            // Awaited: the caller's next read must not find what this mutation changed.
            await invalidate(tags);
            return;
          }
          if (!lookup) return;
          if (hit) {
            response.http.headers.set('cache-control', cacheControlHeader(hit.maxAge, hit.scope));
            return;
          }
          response.http.headers.set(CACHE_STATUS_HEADER, 'MISS');
          if (!single?.data || single.errors?.length) return;
          if (response.http.status !== undefined && response.http.status !== 200) return;
          const policy = policyOf(context, defaultMaxAge);
          if (!policy) return;
          const key = policy.scope === 'PRIVATE' ? lookup.privateKey : lookup.publicKey;
          if (!key) return; // PRIVATE data of an anonymous caller: nobody to keep it for
          response.http.headers.set('cache-control', cacheControlHeader(policy.maxAge, policy.scope));
          const entry: CachedResponse = { result: { data: single.data }, storedAt: now(), maxAge: policy.maxAge, scope: policy.scope };
          const ttlMs = policy.maxAge * 1_000;
          const tags = tagsOf(context, single.data);
          if (policy.scope === 'PRIVATE' && lookup.principalTag) tags.push(lookup.principalTag);
          try {
            await store.set(key, JSON.stringify(entry), ttlMs);
            await Promise.all(tags.map((tag) => store.addToSet(tag, [key], ttlMs)));
          } catch (err) {
            // Stores do not throw; this is a bug worth a line, not a failed request.
            logger?.warn({ err, reqId: context.contextValue.requestId }, 'response cache could not store a response');
          }
        },
      };
    },
  };

  return { name: 'response cache', plugins: [plugin] };
}

/** The operation's cache policy from the subgraphs' hints, or the default when none applied. */
function policyOf(context: RequestContext, defaultMaxAge: number): { maxAge: number; scope: Scope } | undefined {
  const overall = context.overallCachePolicy;
  const cacheable = overall.policyIfCacheable();
  if (cacheable) return { maxAge: cacheable.maxAge, scope: cacheable.scope };
  if (overall.maxAge === undefined && defaultMaxAge > 0) return { maxAge: defaultMaxAge, scope: overall.scope ?? 'PUBLIC' };
  return undefined;
}

function cacheControlHeader(maxAge: number, scope: Scope): string {
  return `max-age=${maxAge}, ${scope.toLowerCase()}`;
}

/** Who a PRIVATE response belongs to; undefined for an anonymous caller. */
function principalOf(identity: Identity | undefined): string | undefined {
  if (!identity?.subject && !identity?.apiKey) return undefined;
  return `${identity.subject ?? ''}|${identity.apiKey?.id ?? ''}`;
}

/** What decides which fields a caller may see: signed in or not, and the scopes. */
function audienceOf(identity: Identity | undefined): string {
  const signedIn = identity?.subject || identity?.apiKey ? 'authenticated' : 'anonymous';
  return `${signedIn}:${[...(identity?.scopes ?? [])].sort().join(' ')}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` share a key. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
