/**
 * Picks the store for a namespace: Redis when the gateway has a shared connection (REDIS_URL), else
 * memory.
 */
import type { Logger } from '../../lib/logger.js';
import type { SharedRedis } from '../redis.js';
import type { KeyValueStore } from './keyValueStore.js';
import { createMemoryStore } from './memoryStore.js';
import { createRedisStore } from './redisStore.js';

export type { KeyValueStore } from './keyValueStore.js';
export { createMemoryStore, type MemoryStore, type MemoryStoreOptions } from './memoryStore.js';
export { createRedisStore, type RedisStoreOptions } from './redisStore.js';

/** Namespaces of the gateway's keys in a shared Redis. */
export const STORE_NAMESPACES = { responseCache: 'gw:cache:', persistedQueries: 'gw:apq:' } as const;

export function createStore(options: {
  redis?: SharedRedis;
  namespace: string;
  /** Bounds of the in-memory store. @default 10000 entries, 32 MiB */
  maxEntries?: number;
  maxBytes?: number;
  logger?: Logger;
}): KeyValueStore {
  if (options.redis) return createRedisStore({ redis: options.redis, namespace: options.namespace, logger: options.logger });
  return createMemoryStore({ maxEntries: options.maxEntries, maxBytes: options.maxBytes });
}
