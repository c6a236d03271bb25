import { redisClass } from './redisClient.js';
import { repositoryModule, runInNode } from './testing/runInNode.js';

describe('ioredis, loaded on first use', () => {
  it('is not loaded by the gateway or the subgraph kit until a Redis client is made', () => {
    const result = runInNode<{ before: boolean; after: boolean; isClass: boolean }>(`
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const loaded = () => Object.keys(require.cache).some((file) => file.includes('/node_modules/ioredis/'));
      await import(${repositoryModule('gateway/server.ts')});
      await import(${repositoryModule('subgraphs/kit/index.ts')});
      const before = loaded();
      const { redisClass } = await import(${repositoryModule('lib/redisClient.ts')});
      const isClass = typeof redisClass() === 'function';
      console.log(JSON.stringify({ before, after: loaded(), isClass }));
    `);
    expect(result).toEqual({ before: false, after: true, isClass: true });
  });

  it("is ioredis's Redis", async () => {
    const { Redis } = await import('ioredis');
    expect(redisClass()).toBe(Redis);
  });
});
