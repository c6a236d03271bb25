/**
 * DataLoader helpers. Loaders are created per request (in the subgraph context), so batching happens
 * within one request and nothing is cached across callers.
 */
import DataLoader from 'dataloader';

/**
 * A loader that fetches many rows by key in one call and hands each key its row (or null),
 * in the order DataLoader asked for them.
 */
export function keyedLoader<K extends string | number, V>(
  fetchMany: (keys: readonly K[]) => Promise<V[]>,
  keyOf: (value: V) => K,
  options: { maxBatchSize?: number } = {},
): DataLoader<K, V | null> {
  return new DataLoader<K, V | null>(
    async (keys) => {
      const found = new Map<K, V>();
      for (const value of await fetchMany(keys)) found.set(keyOf(value), value);
      return keys.map((key) => found.get(key) ?? null);
    },
    { maxBatchSize: options.maxBatchSize ?? 1_000 },
  );
}

/** Groups rows under their key, for one-to-many loaders (order -> items). */
export function groupedLoader<K extends string | number, V>(
  fetchMany: (keys: readonly K[]) => Promise<V[]>,
  keyOf: (value: V) => K,
  options: { maxBatchSize?: number } = {},
): DataLoader<K, V[]> {
  return new DataLoader<K, V[]>(
    async (keys) => {
      const groups = new Map<K, V[]>();
      for (const value of await fetchMany(keys)) {
        const key = keyOf(value);
        const list = groups.get(key);
        if (list) list.push(value);
        else groups.set(key, [value]);
      }
      return keys.map((key) => groups.get(key) ?? []);
    },
    { maxBatchSize: options.maxBatchSize ?? 1_000 },
  );
}
