import { jest } from '@jest/globals';
import { InflightCalls } from './inflight.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('InflightCalls', () => {
  it('shares one call among concurrent callers with the same key', async () => {
    const calls = new InflightCalls<string>();
    const reply = deferred<string>();
    const start = jest.fn(() => reply.promise);
    const callers = [calls.run('k', start), calls.run('k', start), calls.run('k', start)];
    expect(start).toHaveBeenCalledTimes(1);
    reply.resolve('answer');
    await expect(Promise.all(callers)).resolves.toEqual(['answer', 'answer', 'answer']);
  });

  it('tells how many callers share an answer before any of them resumes, and nothing for a failure', async () => {
    const calls = new InflightCalls<string>();
    const reply = deferred<string>();
    const heard: [string, number][] = [];
    const settled = (value: string, callers: number) => heard.push([value, callers]);
    const resumed: number[] = [];
    const callers = [0, 1, 2].map((i) => calls.run('k', () => reply.promise, settled).then(() => resumed.push(heard.length)));
    reply.resolve('answer');
    await Promise.all(callers);
    expect(heard).toEqual([['answer', 3]]);
    // Every caller resumed after the count was known.
    expect(resumed).toEqual([1, 1, 1]);

    const alone = await calls.run('k', async () => 'again', settled);
    expect(alone).toBe('again');
    expect(heard.at(-1)).toEqual(['again', 1]);

    const failing = deferred<string>();
    const failed = calls.run('k', () => failing.promise, settled);
    failing.reject(new Error('down'));
    await expect(failed).rejects.toThrow('down');
    expect(heard).toHaveLength(2);
  });

  it('keeps different keys apart', async () => {
    const calls = new InflightCalls<string>();
    const start = jest.fn(async (value: string) => value);
    const results = await Promise.all([calls.run('a', () => start('a')), calls.run('b', () => start('b'))]);
    expect(results).toEqual(['a', 'b']);
    expect(start).toHaveBeenCalledTimes(2);
  });

  it('keeps nothing once the call settles: a later caller makes a new call', async () => {
    const calls = new InflightCalls<number>();
    let n = 0;
    const start = async () => ++n;
    expect(await calls.run('k', start)).toBe(1);
    expect(calls.size).toBe(0);
    expect(await calls.run('k', start)).toBe(2);
  });

  it('gives every caller the failure, and forgets it', async () => {
    const calls = new InflightCalls<string>();
    const reply = deferred<string>();
    const callers = [calls.run('k', () => reply.promise), calls.run('k', () => reply.promise)];
    reply.reject(new Error('down'));
    for (const caller of callers) await expect(caller).rejects.toThrow('down');
    expect(calls.size).toBe(0);
  });

  it('after forgetAll, new callers start a new call while earlier ones still get theirs', async () => {
    const calls = new InflightCalls<string>();
    const first = deferred<string>();
    const second = deferred<string>();
    const early = calls.run('k', () => first.promise);
    calls.forgetAll();
    const late = calls.run('k', () => second.promise);
    first.resolve('before the write');
    second.resolve('after the write');
    await expect(early).resolves.toBe('before the write');
    await expect(late).resolves.toBe('after the write');
    // The first call settling must not remove the second one's entry.
    expect(calls.size).toBe(0);
  });

  it('does not let a settled earlier call evict a newer call for the same key', async () => {
    const calls = new InflightCalls<string>();
    const first = deferred<string>();
    const second = deferred<string>();
    const early = calls.run('k', () => first.promise);
    calls.forgetAll();
    const late = calls.run('k', () => second.promise);
    first.resolve('old');
    await early;
    const joined = calls.run('k', () => Promise.resolve('should not start'));
    second.resolve('new');
    await expect(late).resolves.toBe('new');
    await expect(joined).resolves.toBe('new');
  });
});
