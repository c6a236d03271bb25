/**
 * The in-memory store: a Map kept in least-recently-used order (a read moves an entry to the end),
 * bounded by `maxEntries` across values and sets, with a time to live per entry checked on read.
 */
import type { KeyValueStore } from './keyValueStore.js';

export interface MemoryStoreOptions {
  /** Most entries (values and sets together) kept; the least recently used go first. @default 10000 */
  maxEntries?: number;
  /** Replaces Date.now (tests). */
  now?: () => number;
}

type Entry = { kind: 'value'; value: string; expiresAt: number } | { kind: 'set'; members: Set<string>; expiresAt: number };

export interface MemoryStore extends KeyValueStore {
  readonly kind: 'memory';
  /** Entries held now, expired ones not yet evicted included. */
  size(): number;
}

export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const maxEntries = options.maxEntries ?? 10_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error('maxEntries must be a positive whole number');
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();

  function live(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    // Re-inserting moves it to the end: the Map's order is the eviction order.
    entries.delete(key);
    entries.set(key, entry);
    return entry;
  }

  function put(key: string, entry: Entry): void {
    entries.delete(key);
    entries.set(key, entry);
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next().value as string;
      entries.delete(oldest);
    }
  }

  return {
    kind: 'memory',
    size: () => entries.size,
    async get(key) {
      const entry = live(key);
      return entry?.kind === 'value' ? entry.value : undefined;
    },
    async set(key, value, ttlMs) {
      put(key, { kind: 'value', value, expiresAt: now() + Math.max(1, ttlMs) });
    },
    async delete(keys) {
      for (const key of keys) entries.delete(key);
    },
    async addToSet(key, members, ttlMs) {
      const existing = live(key);
      const expiresAt = now() + Math.max(1, ttlMs);
      if (existing?.kind === 'set') {
        for (const member of members) existing.members.add(member);
        existing.expiresAt = Math.max(existing.expiresAt, expiresAt);
        return;
      }
      put(key, { kind: 'set', members: new Set(members), expiresAt });
    },
    async members(key) {
      const entry = live(key);
      return entry?.kind === 'set' ? [...entry.members] : [];
    },
  };
}
