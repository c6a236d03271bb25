/**
 * The one small key-value interface behind the gateway's caches (response cache, persisted queries):
 * strings with a time to live, and sets of strings (tags) for invalidation. Two implementations:
 * in memory (one process, bounded) and Redis (shared by every replica, namespaced keys).
 *
 * A store never throws into a request: when its backend is away, reads are misses and writes are
 * dropped, so callers treat it as a cache and nothing more.
 */
export interface KeyValueStore {
  /** 'memory' or 'redis': for logs and /ready. */
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | undefined>;
  /** Stores `value` under `key` for `ttlMs` milliseconds (at least 1). */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(keys: readonly string[]): Promise<void>;
  /** Adds `members` to the set at `key`; the set then lives at least `ttlMs` more. */
  addToSet(key: string, members: readonly string[], ttlMs: number): Promise<void>;
  /** The members of the set at `key`; none when it does not exist. */
  members(key: string): Promise<string[]>;
}
