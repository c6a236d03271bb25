/**
 * The gateway's one Redis connection (REDIS_URL), shared by the features that keep state across
 * replicas (rate limits, response cache). It never blocks start-up and never throws into a request:
 * commands fail fast while Redis is away, and each feature falls back to its local state.
 */
import { redisClass, type Redis } from '../lib/redisClient.js';
import type { Logger } from '../lib/logger.js';

export interface SharedRedis {
  client: Redis;
  /** True while connected; features check it to choose their fallback. */
  isReady(): boolean;
  close(): Promise<void>;
}

export function createSharedRedis(url: string, logger: Logger): SharedRedis {
  let closing = false;
  const RedisClient = redisClass();
  const client = new RedisClient(url, {
    lazyConnect: false,
    // Fail commands at once while disconnected instead of queueing them behind a dead connection.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    // null stops reconnecting: after close() no timer may keep the process alive.
    retryStrategy: (attempt) => (closing ? null : Math.min(attempt * 200, 2_000)),
  });
  let ready = false;
  let reportedDown = false;
  client.on('ready', () => {
    ready = true;
    if (reportedDown) logger.info({ redis: redactUrl(url) }, 'redis is back: shared state in use again');
    reportedDown = false;
  });
  client.on('end', () => {
    ready = false;
  });
  client.on('error', (err: Error) => {
    ready = false;
    if (!reportedDown) {
      reportedDown = true;
      logger.warn({ redis: redactUrl(url), err: err.message }, 'redis unavailable: using local state until it is back');
    }
  });
  client.on('close', () => {
    ready = false;
  });
  return {
    client,
    isReady: () => ready,
    async close() {
      closing = true;
      client.disconnect(false);
    },
  };
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis';
  }
}
