import { jest } from '@jest/globals';
import { backoffDelayMs, withRetries, type RetryClock, type RetryOptions } from './retry.js';

/** A clock that only moves when the code under test sleeps (or an attempt says it took time). */
function fakeClock(random = () => 0.5) {
  let now = 0;
  const sleeps: number[] = [];
  const clock: RetryClock = {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    random,
  };
  return {
    clock,
    sleeps,
    advance(ms: number) {
      now += ms;
    },
  };
}

const options: RetryOptions = { retries: 2, baseDelayMs: 100, maxDelayMs: 1_000, budgetMs: 10_000 };
const retryRejected = { shouldRetry: (outcome: PromiseSettledResult<unknown>) => outcome.status === 'rejected' };

describe('backoffDelayMs (full jitter)', () => {
  it('picks between 0 and a cap that doubles with each retry, up to maxDelayMs', () => {
    expect([1, 2, 3, 4, 5].map((retry) => backoffDelayMs(retry, options, () => 0.999999))).toEqual([
      99, 199, 399, 799, 999,
    ]);
    expect(backoffDelayMs(3, options, () => 0)).toBe(0);
    expect(backoffDelayMs(2, options, () => 0.5)).toBe(100);
  });

  it('caps at one second when maxDelayMs is not given', () => {
    expect(backoffDelayMs(20, { retries: 20, baseDelayMs: 50, budgetMs: 0 }, () => 0.999999)).toBe(999);
  });
});

describe('withRetries', () => {
  it('returns the first success without waiting', async () => {
    const { clock, sleeps } = fakeClock();
    const attempt = jest.fn(async () => 'ok');
    await expect(withRetries(attempt, retryRejected, options, clock)).resolves.toBe('ok');
    expect(attempt).toHaveBeenCalledTimes(1);
    expect(sleeps).toEqual([]);
  });

  it('retries a retryable failure with jittered backoff, then succeeds', async () => {
    const { clock, sleeps } = fakeClock(() => 0.5);
    let calls = 0;
    const result = await withRetries(
      async (attemptNumber) => {
        calls++;
        expect(attemptNumber).toBe(calls);
        if (calls < 3) throw new Error(`failure ${calls}`);
        return 'third time';
      },
      retryRejected,
      options,
      clock,
    );
    expect(result).toBe('third time');
    expect(sleeps).toEqual([50, 100]);
  });

  it('stops after `retries` further attempts and throws the last failure', async () => {
    const { clock } = fakeClock();
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          throw new Error(`failure ${++calls}`);
        },
        retryRejected,
        options,
        clock,
      ),
    ).rejects.toThrow('failure 3');
    expect(calls).toBe(3);
  });

  it('never retries what shouldRetry refuses (a mutation, a 4xx)', async () => {
    const { clock } = fakeClock();
    const attempt = jest.fn(async () => {
      throw new Error('not transient');
    });
    await expect(withRetries(attempt, { shouldRetry: () => false }, options, clock)).rejects.toThrow('not transient');
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it('retries fulfilled outcomes too when asked (a 503 answer), and returns the last one', async () => {
    const { clock } = fakeClock();
    const statuses = [503, 503, 503];
    const attempt = jest.fn(async () => statuses.shift()!);
    const result = await withRetries(
      attempt,
      { shouldRetry: (outcome) => outcome.status === 'fulfilled' && outcome.value === 503 },
      options,
      clock,
    );
    expect(result).toBe(503);
    expect(attempt).toHaveBeenCalledTimes(3);
  });

  it('starts no retry that would begin after the time budget', async () => {
    const { clock, advance, sleeps } = fakeClock(() => 0.999999);
    const attempt = jest.fn(async () => {
      advance(400); // each attempt takes 400 ms, e.g. until it times out
      throw new Error('timeout');
    });
    const onRetry = jest.fn();
    await expect(
      withRetries(attempt, { ...retryRejected, onRetry }, { ...options, retries: 5, budgetMs: 1_000 }, clock),
    ).rejects.toThrow('timeout');
    // 400 + 99 wait -> 2nd at 499; 899 + 199 would start the 3rd at 1098 > 1000.
    expect(attempt).toHaveBeenCalledTimes(2);
    expect(sleeps).toEqual([99]);
    expect(onRetry).toHaveBeenCalledTimes(1);
    expect(onRetry).toHaveBeenCalledWith({ status: 'rejected', reason: expect.any(Error) }, 1, 99);
  });

  it('with retries 0 makes one attempt', async () => {
    const { clock } = fakeClock();
    const attempt = jest.fn(async () => {
      throw new Error('down');
    });
    await expect(withRetries(attempt, retryRejected, { ...options, retries: 0 }, clock)).rejects.toThrow('down');
    expect(attempt).toHaveBeenCalledTimes(1);
  });
});
