/**
 * The ioredis client class, loaded on first use: a service without REDIS_URL never needs it, and
 * loading ioredis costs about 0.1 s of every start (bench/startup.md).
 */
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';

const require = createRequire(import.meta.url);

export type { Redis };

/** `new (redisClass())(url, options)`: ioredis's Redis, loaded now if it is not yet. */
export function redisClass(): typeof Redis {
  return (require('ioredis') as typeof import('ioredis')).Redis;
}
