/**
 * The in-memory store: a Map kept in least-recently-used order (a read moves an entry to the end),
 * bounded by `maxEntries` across values and sets and by `maxBytes` of their keys, values and
 * members, with a time to live per entry checked on read. The byte bound matters as much as the
 * count: a client can register 10,000 persisted queries of a megabyte each.
 */
import type { KeyValueStore } from './keyValueStore.js';

export interface MemoryStoreOptions {
  /** Most entries (values and sets together) kept; the least recently used go first. @default 10000 */
  maxEntries?: number;
  /** Most characters of keys, values and set members kept, in all. @default 32 MiB */
  maxBytes?: number;
  /** Replaces Date.now (tests). */
  now?: () => number;
}

type Entry = (
  | { kind: 'value'; value: string; expiresAt: number }
  | { kind: 'set'; members: Set<string>; expiresAt: number }
) & { bytes: number };

/** What an entry counts against maxBytes: its key and value, or its key and members, plus a little for the entry. */
const ENTRY_OVERHEAD = 64;

export interface MemoryStore extends KeyValueStore {
  readonly kind: 'memory';
  /** Entries held now, expired ones not yet evicted included. */
  size(): number;
  /** What they count against maxBytes. */
  bytes(): number;
}

export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const maxEntries = options.maxEntries ?? 10_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error('maxEntries must be a positive whole number');
  const maxBytes = options.maxBytes ?? 32 * 2 ** 20;
  if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new Error('maxBytes must be a positive whole number');
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  let bytes = 0;

  function remove(key: string): void {
    const entry = entries.get(key);
    if (!entry) return;
    bytes -= entry.bytes;
    entries.delete(key);
  }

  function evictOverBounds(): void {
    while (entries.size > maxEntries || (bytes > maxBytes && entries.size > 0)) {
      remove(entries.keys().next().value as string);
    }
  }

  function live(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now()) {
      remove(key);
      return undefined;
    }
    // Re-inserting moves it to the end: the Map's order is the eviction order.
    entries.delete(key);
    entries.set(key, entry);
    return entry;
  }

  function put(key: string, entry: Entry): void {
    remove(key);
    // An entry larger than the whole store is not kept (it would evict everything, then itself).
    if (entry.bytes > maxBytes) return;
    entries.set(key, entry);
    bytes += entry.bytes;
    evictOverBounds();
  }

  return {
    kind: 'memory',
    size: () => entries.size,
    bytes: () => bytes,
    async get(key) {
      const entry = live(key);
      return entry?.kind === 'value' ? entry.value : undefined;
    },
    async set(key, value, ttlMs) {
      put(key, { kind: 'value', value, expiresAt: now() + Math.max(1, ttlMs), bytes: ENTRY_OVERHEAD + key.length + value.length });
    },
    async delete(keys) {
      for (const key of keys) remove(key);
    },
    async addToSet(key, members, ttlMs) {
      const existing = live(key);
      const expiresAt = now() + Math.max(1, ttlMs);
      if (existing?.kind === 'set') {
        for (const member of members) {
          if (existing.members.has(member)) continue;
          existing.members.add(member);
          existing.bytes += member.length;
          bytes += member.length;
        }
        existing.expiresAt = Math.max(existing.expiresAt, expiresAt);
        evictOverBounds();
        return;
      }
      const unique = new Set(members);
      let size = ENTRY_OVERHEAD + key.length;
      for (const member of unique) size += member.length;
      put(key, { kind: 'set', members: unique, expiresAt, bytes: size });
    },
    async members(key) {
      const entry = live(key);
      return entry?.kind === 'set' ? [...entry.members] : [];
    },
  };
}
