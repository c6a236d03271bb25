/**
 * A circuit breaker for one downstream service. Closed, calls go out and consecutive failures are
 * counted; at `failureThreshold` it opens and calls fail fast without touching the network; after
 * `cooldownMs` it turns half-open and lets one probe through; the probe's success closes it, its
 * failure opens it for another cool-down.
 *
 * Written here rather than taken from a library: it is a few dozen lines, and it has to fit the
 * gateway's own notion of a failure (network errors, timeouts and 5xx count; 4xx and GraphQL errors
 * do not) and its clock-driven tests.
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. @default 5 */
  failureThreshold?: number;
  /** How long the circuit stays open before one probe is let through. @default 5000 */
  cooldownMs?: number;
  /** Called on each change of state, e.g. to log it. */
  onStateChange?: (state: CircuitState, previous: CircuitState) => void;
  /** The clock, in milliseconds. @default Date.now */
  now?: () => number;
}

export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  private readonly now: () => number;
  private readonly onStateChange?: (state: CircuitState, previous: CircuitState) => void;
  private current: CircuitState = 'closed';
  private consecutiveFailures = 0;
  private openedAt = 0;
  /** When the half-open probe went out; undefined while none is out. */
  private probeStartedAt: number | undefined;

  constructor(options: CircuitBreakerOptions = {}) {
    this.failureThreshold = options.failureThreshold ?? 5;
    this.cooldownMs = options.cooldownMs ?? 5_000;
    if (!(this.failureThreshold >= 1)) throw new RangeError('failureThreshold must be at least 1');
    if (!(this.cooldownMs >= 0)) throw new RangeError('cooldownMs must not be negative');
    this.now = options.now ?? Date.now;
    this.onStateChange = options.onStateChange;
  }

  /** The state now: an open circuit whose cool-down has passed reads as half-open. */
  get state(): CircuitState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.cooldownMs) this.moveTo('half-open');
    return this.current;
  }

  /** Milliseconds until an open circuit lets a probe through; 0 when it is not open. */
  get msUntilProbe(): number {
    return this.state === 'open' ? Math.max(0, this.openedAt + this.cooldownMs - this.now()) : 0;
  }

  /**
   * Whether a call may go out now. Every `true` must be followed by recordSuccess or recordFailure.
   * Half-open, only one probe is out at a time.
   */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open') return false;
    // A probe whose outcome never came must not keep the circuit shut for good: after a cool-down
    // without an answer, another probe may go.
    if (this.probeStartedAt !== undefined && this.now() - this.probeStartedAt < this.cooldownMs) return false;
    this.probeStartedAt = this.now();
    return true;
  }

  /** The service answered (any answer that is not a failure, 4xx included). */
  recordSuccess(): void {
    this.consecutiveFailures = 0;
    // A late success of a call made before the circuit opened is not a probe: wait for the probe.
    if (this.state === 'half-open') this.moveTo('closed');
  }

  recordFailure(): void {
    const state = this.state;
    if (state === 'open') return;
    if (state === 'half-open') {
      this.open();
      return;
    }
    this.consecutiveFailures++;
    if (this.consecutiveFailures >= this.failureThreshold) this.open();
  }

  private open(): void {
    this.openedAt = this.now();
    this.moveTo('open');
  }

  private moveTo(state: CircuitState): void {
    const previous = this.current;
    this.current = state;
    this.probeStartedAt = undefined;
    if (state === 'closed') this.consecutiveFailures = 0;
    if (state !== previous) this.onStateChange?.(state, previous);
  }
}
