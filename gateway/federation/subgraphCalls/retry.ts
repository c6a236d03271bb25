/**
 * Retries with exponential backoff and full jitter: before retry n the caller waits a random time
 * between 0 and min(maxDelayMs, baseDelayMs * 2^(n-1)), so callers that failed together do not
 * come back together. Attempts are bounded in number, and no retry starts once the time budget
 * (counted from the first attempt) would be spent. Which outcomes are worth another attempt is the
 * caller's decision: the gateway retries reads only, and only on transient failures.
 */

export interface RetryOptions {
  /** Attempts after the first; 0 turns retries off. @default 2 */
  retries: number;
  /** The backoff cap before the first retry; it doubles with each further retry. @default 50 */
  baseDelayMs: number;
  /** The largest backoff cap. @default 1000 */
  maxDelayMs?: number;
  /** No retry starts later than this many ms after the first attempt began. @default 1000 */
  budgetMs: number;
}

/** Time and chance, replaceable in tests. */
export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** A number in [0, 1). */
  random(): number;
}

export const realClock: RetryClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** The wait before retry number `retry` (1 = the first retry). */
export function backoffDelayMs(retry: number, options: RetryOptions, random: () => number = Math.random): number {
  const cap = Math.min(options.maxDelayMs ?? 1_000, options.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * cap);
}

export interface RetryHooks<T> {
  /** Whether this outcome of attempt number `attempt` (1-based) is worth another attempt. */
  shouldRetry(outcome: PromiseSettledResult<T>, attempt: number): boolean;
  /** Called before waiting for a retry, e.g. to log it. */
  onRetry?(outcome: PromiseSettledResult<T>, attempt: number, delayMs: number): void;
}

/**
 * Runs `attempt` until an outcome is not worth retrying, the retries are used up or the budget is
 * spent; then returns the last outcome's value or throws its error.
 */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  hooks: RetryHooks<T>,
  options: RetryOptions,
  clock: RetryClock = realClock,
): Promise<T> {
  const startedAt = clock.now();
  for (let attemptNumber = 1; ; attemptNumber++) {
    let outcome: PromiseSettledResult<T>;
    try {
      outcome = { status: 'fulfilled', value: await attempt(attemptNumber) };
    } catch (reason) {
      outcome = { status: 'rejected', reason };
    }
    if (attemptNumber <= options.retries && hooks.shouldRetry(outcome, attemptNumber)) {
      const delayMs = backoffDelayMs(attemptNumber, options, clock.random);
      if (clock.now() + delayMs - startedAt <= options.budgetMs) {
        hooks.onRetry?.(outcome, attemptNumber, delayMs);
        await clock.sleep(delayMs);
        continue;
      }
    }
    if (outcome.status === 'fulfilled') return outcome.value;
    throw outcome.reason;
  }
}
