import { createMemoryStore } from './memoryStore.js';

describe('memory store', () => {
  it('forgets a value once its time to live has passed', async () => {
    let now = 1_000;
    const store = createMemoryStore({ now: () => now });
    await store.set('a', 'one', 500);
    now += 499;
    expect(await store.get('a')).toBe('one');
    now += 1;
    expect(await store.get('a')).toBeUndefined();
    expect(store.size()).toBe(0);
  });

  it('keeps at most maxEntries, dropping the least recently used first', async () => {
    const store = createMemoryStore({ maxEntries: 2 });
    await store.set('a', '1', 60_000);
    await store.set('b', '2', 60_000);
    // Reading a makes b the least recently used.
    expect(await store.get('a')).toBe('1');
    await store.set('c', '3', 60_000);
    expect(store.size()).toBe(2);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBe('1');
    expect(await store.get('c')).toBe('3');
  });

  it('counts sets against the bound too', async () => {
    const store = createMemoryStore({ maxEntries: 2 });
    await store.addToSet('s1', ['x'], 60_000);
    await store.addToSet('s2', ['y'], 60_000);
    await store.set('v', 'z', 60_000);
    expect(store.size()).toBe(2);
    expect(await store.members('s1')).toEqual([]);
  });

  it('adds to a set, keeps it as long as its longest-lived member asks, and deletes it', async () => {
    let now = 0;
    const store = createMemoryStore({ now: () => now });
    await store.addToSet('tag', ['k1'], 1_000);
    await store.addToSet('tag', ['k2', 'k1'], 100);
    expect((await store.members('tag')).sort()).toEqual(['k1', 'k2']);
    now = 900;
    expect(await store.members('tag')).toHaveLength(2);
    now = 1_000;
    expect(await store.members('tag')).toEqual([]);
    await store.addToSet('tag', ['k3'], 1_000);
    await store.delete(['tag', 'missing']);
    expect(await store.members('tag')).toEqual([]);
  });

  it('keeps at most maxBytes of keys, values and members, dropping the least recently used first', async () => {
    const kb = 'x'.repeat(1_000);
    const store = createMemoryStore({ maxBytes: 3_500 });
    await store.set('a', kb, 60_000);
    await store.set('b', kb, 60_000);
    await store.set('c', kb, 60_000);
    expect(await store.get('a')).toBe(kb); // b is now the least recently used
    await store.set('d', kb, 60_000);
    expect(await store.get('b')).toBeUndefined();
    expect([await store.get('a'), await store.get('c'), await store.get('d')]).toEqual([kb, kb, kb]);
    expect(store.bytes()).toBeLessThanOrEqual(3_500);

    // A set grows with its members and is held to the same bound.
    await store.addToSet('tag', ['m'.repeat(400)], 60_000);
    await store.addToSet('tag', ['n'.repeat(400), 'm'.repeat(400)], 60_000);
    expect(store.bytes()).toBeLessThanOrEqual(3_500);
    expect(await store.members('tag')).toHaveLength(2);
    expect(await store.get('a')).toBeUndefined();

    // Replacing and deleting give their bytes back.
    await store.set('c', 'short', 60_000);
    await store.delete(['c', 'd', 'tag']);
    expect(store.size()).toBe(0);
    expect(store.bytes()).toBe(0);
  });

  it('does not keep a value larger than the whole store, and keeps what it held', async () => {
    const store = createMemoryStore({ maxBytes: 2_000 });
    await store.set('small', 'ok', 60_000);
    await store.set('huge', 'x'.repeat(10_000), 60_000);
    expect(await store.get('huge')).toBeUndefined();
    expect(await store.get('small')).toBe('ok');
  });

  it('refuses a bound that is not a positive whole number', () => {
    expect(() => createMemoryStore({ maxEntries: 0 })).toThrow(/maxEntries/);
    expect(() => createMemoryStore({ maxBytes: 0.5 })).toThrow(/maxBytes/);
  });
});
