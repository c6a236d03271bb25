import { CircuitBreaker, type CircuitState } from './circuitBreaker.js';

function breakerWithClock(failureThreshold = 3, cooldownMs = 1_000) {
  let now = 0;
  const changes: string[] = [];
  const breaker = new CircuitBreaker({
    failureThreshold,
    cooldownMs,
    now: () => now,
    onStateChange: (state: CircuitState, previous: CircuitState) => changes.push(`${previous}->${state}`),
  });
  return {
    breaker,
    changes,
    advance(ms: number) {
      now += ms;
    },
  };
}

function fail(breaker: CircuitBreaker, times: number) {
  for (let i = 0; i < times; i++) {
    expect(breaker.tryAcquire()).toBe(true);
    breaker.recordFailure();
  }
}

describe('CircuitBreaker', () => {
  it('stays closed below the threshold, and a success resets the count', () => {
    const { breaker } = breakerWithClock(3);
    fail(breaker, 2);
    breaker.recordSuccess();
    fail(breaker, 2);
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
  });

  it('opens after N consecutive failures and then refuses calls', () => {
    const { breaker, changes, advance } = breakerWithClock(3, 1_000);
    fail(breaker, 3);
    expect(breaker.state).toBe('open');
    expect(changes).toEqual(['closed->open']);
    expect(breaker.tryAcquire()).toBe(false);
    advance(400);
    expect(breaker.tryAcquire()).toBe(false);
    expect(breaker.msUntilProbe).toBe(600);
  });

  it('turns half-open after the cool-down and lets exactly one probe through', () => {
    const { breaker, changes, advance } = breakerWithClock(3, 1_000);
    fail(breaker, 3);
    advance(1_000);
    expect(breaker.state).toBe('half-open');
    expect(breaker.msUntilProbe).toBe(0);
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false);
    expect(breaker.tryAcquire()).toBe(false);
    expect(changes).toEqual(['closed->open', 'open->half-open']);
  });

  it('closes when the probe succeeds', () => {
    const { breaker, changes, advance } = breakerWithClock(2, 500);
    fail(breaker, 2);
    advance(500);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.recordSuccess();
    expect(breaker.state).toBe('closed');
    expect(changes).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
    // Closed again with a fresh count: one failure does not reopen it.
    fail(breaker, 1);
    expect(breaker.state).toBe('closed');
  });

  it('reopens for a full cool-down when the probe fails', () => {
    const { breaker, changes, advance } = breakerWithClock(2, 500);
    fail(breaker, 2);
    advance(500);
    expect(breaker.tryAcquire()).toBe(true);
    advance(100);
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    expect(breaker.msUntilProbe).toBe(500);
    advance(499);
    expect(breaker.tryAcquire()).toBe(false);
    advance(1);
    expect(breaker.tryAcquire()).toBe(true);
    expect(changes).toEqual(['closed->open', 'open->half-open', 'half-open->open', 'open->half-open']);
  });

  it('ignores late outcomes of calls made before it opened', () => {
    const { breaker, advance } = breakerWithClock(2, 500);
    fail(breaker, 2);
    breaker.recordSuccess();
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    advance(500);
    expect(breaker.state).toBe('half-open');
  });

  it('lets another probe go when the first one never reported back', () => {
    const { breaker, advance } = breakerWithClock(1, 300);
    fail(breaker, 1);
    advance(300);
    expect(breaker.tryAcquire()).toBe(true);
    advance(299);
    expect(breaker.tryAcquire()).toBe(false);
    advance(1);
    expect(breaker.tryAcquire()).toBe(true);
  });

  it('refuses nonsense options', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ cooldownMs: -1 })).toThrow(RangeError);
  });
});
