/**
 * The Redis store, on the gateway's shared connection (gateway/redis.ts), so every replica sees the
 * same entries. Keys are namespaced (`gw:cache:...`, `gw:apq:...`). While Redis is away every read
 * is a miss and every write is dropped: the caller never sees an error, and the outage is logged
 * once per outage.
 */
import type { Logger } from '../../lib/logger.js';
import type { SharedRedis } from '../redis.js';
import type { KeyValueStore } from './keyValueStore.js';

export interface RedisStoreOptions {
  redis: SharedRedis;
  /** Prefix of every key, e.g. `gw:cache:`. */
  namespace: string;
  logger?: Logger;
}

// Adds the members, then extends the set's life to at least the given ttl (PTTL is -1 for a new set).
const ADD_TO_SET = `
redis.call('SADD', KEYS[1], unpack(ARGV, 2))
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1`;

export function createRedisStore(options: RedisStoreOptions): KeyValueStore {
  const { redis, namespace, logger } = options;
  const client = redis.client;
  let failing = false;

  /** Runs one command; a failure (or Redis not connected) gives `fallback`, logged once per outage. */
  async function safely<T>(what: string, fallback: T, command: () => Promise<T>): Promise<T> {
    if (!redis.isReady()) return fallback;
    try {
      const result = await command();
      if (failing) logger?.info({ namespace }, 'redis store answering again');
      failing = false;
      return result;
    } catch (err) {
      if (!failing) {
        failing = true;
        logger?.warn({ namespace, op: what, err: (err as Error).message }, 'redis store unavailable: cache misses until it is back');
      }
      return fallback;
    }
  }

  const key = (name: string) => namespace + name;
  const ttl = (ms: number) => Math.max(1, Math.ceil(ms));

  return {
    kind: 'redis',
    get: (name) => safely('get', undefined, async () => (await client.get(key(name))) ?? undefined),
    set: (name, value, ttlMs) =>
      safely('set', undefined, async () => {
        await client.set(key(name), value, 'PX', ttl(ttlMs));
      }),
    delete: (names) =>
      names.length === 0
        ? Promise.resolve()
        : safely('delete', undefined, async () => {
            await client.del(...names.map(key));
          }),
    addToSet: (name, members, ttlMs) =>
      members.length === 0
        ? Promise.resolve()
        : safely('addToSet', undefined, async () => {
            await client.eval(ADD_TO_SET, 1, key(name), ttl(ttlMs), ...members);
          }),
    members: (name) => safely('members', [] as string[], () => client.smembers(key(name))),
  };
}
