/**
 * One contract for both stores: the in-memory one always, the Redis one against the Redis at
 * TEST_REDIS_URL (default redis://127.0.0.1:6379) when it answers, skipped with a message otherwise.
 * Then a Redis that is not there: misses, no errors, one log line.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { createSharedRedis, type SharedRedis } from '../redis.js';
import { captureLogs } from '../testing/logCapture.js';
import { createMemoryStore, createRedisStore, type KeyValueStore } from './index.js';
import { redisAnswers, TEST_REDIS_URL } from '../../tests/support/redis.js';

const REDIS_URL = TEST_REDIS_URL;


async function waitUntil(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function storeContract(name: string, make: () => KeyValueStore | undefined) {
  describe(`${name} store contract`, () => {
    let store: KeyValueStore;
    beforeAll(() => {
      store = make()!;
    });
    const it_ = (title: string, fn: () => Promise<void>) =>
      it(title, async () => {
        if (!make()) return; // skipped: reported once in beforeAll of the suite
        await fn();
      });

    it_('gets what was set, and nothing for an unknown key', async () => {
      await store.set('k', 'value', 60_000);
      expect(await store.get('k')).toBe('value');
      expect(await store.get('unknown')).toBeUndefined();
    });

    it_('expires a value after its time to live', async () => {
      await store.set('short', 'v', 50);
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(await store.get('short')).toBeUndefined();
    });

    it_('deletes several keys at once', async () => {
      await store.set('d1', '1', 60_000);
      await store.set('d2', '2', 60_000);
      await store.delete(['d1', 'd2', 'never-set']);
      expect(await store.get('d1')).toBeUndefined();
      expect(await store.get('d2')).toBeUndefined();
    });

    it_('collects set members and forgets the set once deleted', async () => {
      await store.addToSet('tag', ['a', 'b'], 60_000);
      await store.addToSet('tag', ['b', 'c'], 60_000);
      expect((await store.members('tag')).sort()).toEqual(['a', 'b', 'c']);
      await store.delete(['tag']);
      expect(await store.members('tag')).toEqual([]);
    });
  });
}

storeContract('memory', () => createMemoryStore());

describe('redis', () => {
  let available = false;
  let redis: SharedRedis | undefined;
  let namespace: string;
  let store: KeyValueStore | undefined;

  beforeAll(async () => {
    available = await redisAnswers(REDIS_URL);
    if (!available) {
      console.warn(`Redis tests skipped: no Redis answers at ${REDIS_URL} (set TEST_REDIS_URL to run them)`);
      return;
    }
    redis = createSharedRedis(REDIS_URL, captureLogs().logger);
    await waitUntil(() => redis!.isReady());
    namespace = `gw:test:${randomUUID()}:`;
    store = createRedisStore({ redis, namespace });
  });

  afterAll(async () => {
    if (redis && namespace) {
      const keys = await redis.client.keys(`${namespace}*`);
      if (keys.length) await redis.client.del(...keys);
    }
    await redis?.close();
  });

  storeContract('redis', () => store);

  it('namespaces its keys and sets a real expiry on sets', async () => {
    if (!available) return;
    await store!.addToSet('tagged', ['m'], 10_000);
    await store!.addToSet('tagged', ['n'], 1_000);
    const ttl = await redis!.client.pttl(`${namespace}tagged`);
    expect(ttl).toBeGreaterThan(5_000);
    expect(ttl).toBeLessThanOrEqual(10_000);
  });
});

describe('redis store while Redis is away', () => {
  it('answers misses, drops writes, never throws, and logs the outage once', async () => {
    // A port nothing listens on: take a free one and release it.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const logs = captureLogs();
    const redis = createSharedRedis(`redis://127.0.0.1:${port}`, logs.logger);
    // Pretend it is connected so the store sends commands and meets the failure itself.
    const store = createRedisStore({ redis: { ...redis, isReady: () => true }, namespace: 'gw:test:', logger: logs.logger });
    try {
      await store.set('k', 'v', 1_000);
      expect(await store.get('k')).toBeUndefined();
      expect(await store.members('s')).toEqual([]);
      await store.addToSet('s', ['x'], 1_000);
      await store.delete(['k']);
      expect(logs.matching(/redis store unavailable/)).toHaveLength(1);
    } finally {
      await redis.close();
    }
  });
});
