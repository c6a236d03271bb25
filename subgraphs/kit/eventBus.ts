/**
 * Events between the replicas of one service (e.g. "this order changed"), for the listeners that
 * turn them into pushes and subscription events. With REDIS_URL each event goes through one Redis
 * pub/sub channel, so a listener on any replica sees every replica's events; without it, or while
 * Redis is away, events stay in this process (a single replica loses nothing).
 *
 * Delivery is at most once and only to replicas connected now: the event bus carries news, the
 * database stays the record (a client that missed events re-reads).
 */
import { EventEmitter } from 'node:events';
import { redisClass, type Redis } from '../../lib/redisClient.js';
import type { Logger } from '../../lib/logger.js';

export interface EventBus<Event> {
  /** Hands `event` to every listener on every replica (and this one's local listeners). */
  publish(event: Event): void;
  /** Events published on this replica only: work that must happen once per change, not once per replica. */
  onLocal(listener: (event: Event) => void): () => void;
  /** Events published on any replica. */
  onAny(listener: (event: Event) => void): () => void;
  close(): Promise<void>;
}

export interface EventBusOptions {
  /** The Redis pub/sub channel, e.g. "orders:changes". */
  channel: string;
  redisUrl?: string;
  logger: Logger;
}

export function createEventBus<Event>(options: EventBusOptions): EventBus<Event> {
  const local = new EventEmitter();
  local.setMaxListeners(0);
  const emitSafely = (kind: 'local' | 'any', event: Event) => {
    for (const listener of local.listeners(kind) as ((event: Event) => void)[]) {
      try {
        listener(event);
      } catch (err) {
        options.logger.error({ err, channel: options.channel }, 'event listener failed');
      }
    }
  };
  const listen = (kind: 'local' | 'any') => (listener: (event: Event) => void) => {
    local.on(kind, listener);
    return () => void local.off(kind, listener);
  };

  if (!options.redisUrl) {
    return {
      publish(event) {
        emitSafely('local', event);
        emitSafely('any', event);
      },
      onLocal: listen('local'),
      onAny: listen('any'),
      async close() {
        local.removeAllListeners();
      },
    };
  }

  let closing = false;
  const redisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (attempt: number) => (closing ? null : Math.min(attempt * 200, 2_000)),
  };
  const RedisClient = redisClass();
  const publisher = new RedisClient(options.redisUrl, redisOptions);
  // A connection in subscriber mode can run nothing else, hence the second one.
  const subscriber = new RedisClient(options.redisUrl, { ...redisOptions, enableOfflineQueue: true });
  let warned = false;
  const onError = (err: Error) => {
    if (!warned) options.logger.warn({ err: err.message, channel: options.channel }, 'redis unavailable: events stay on this replica');
    warned = true;
  };
  publisher.on('error', onError);
  subscriber.on('error', onError);
  publisher.on('ready', () => (warned = false));
  subscriber.subscribe(options.channel).catch(onError);
  subscriber.on('message', (channel: string, message: string) => {
    if (channel !== options.channel) return;
    let event: Event;
    try {
      event = JSON.parse(message) as Event;
    } catch {
      options.logger.warn({ channel }, 'ignored an event that is not JSON');
      return;
    }
    emitSafely('any', event);
  });

  return {
    publish(event) {
      emitSafely('local', event);
      const message = JSON.stringify(event);
      // Through Redis the event comes back to this replica's own subscriber like to every other's;
      // only when it cannot go out do this replica's listeners get it directly.
      if (publisher.status !== 'ready' || subscriber.status !== 'ready') {
        emitSafely('any', event);
        return;
      }
      publisher.publish(options.channel, message).catch((err: Error) => {
        onError(err);
        emitSafely('any', event);
      });
    },
    onLocal: listen('local'),
    onAny: listen('any'),
    async close() {
      closing = true;
      local.removeAllListeners();
      publisher.disconnect(false);
      subscriber.disconnect(false);
    },
  };
}
