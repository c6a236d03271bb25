/**
 * At most `size` holders at a time; others wait in line for at most `waitMs`, then get 503
 * POOL_EXHAUSTED with Retry-After. Both drivers put one in front of their connections, so a full
 * pool behaves the same on PostgreSQL (size DB_POOL_MAX) and PGlite (size 1).
 */
import { AppError } from '../lib/errors.js';

export type Release = () => void;

interface Waiter {
  grant: (release: Release) => void;
  fail: (err: AppError) => void;
  timer: NodeJS.Timeout;
}

export class ConnectionGate {
  private held = 0;
  private readonly waiting: Waiter[] = [];
  private closedReason?: string;

  constructor(
    readonly size: number,
    readonly waitMs: number,
    /** Named in the error, e.g. the database. */
    private readonly label: string,
  ) {}

  get inUse(): number {
    return this.held;
  }

  get queued(): number {
    return this.waiting.length;
  }

  acquire(waitMs = this.waitMs): Promise<Release> {
    if (this.closedReason) return Promise.reject(new AppError('DB_UNAVAILABLE', this.closedReason));
    if (this.held < this.size) {
      this.held++;
      return Promise.resolve(this.releaser());
    }
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        grant: resolve,
        fail: reject,
        timer: setTimeout(() => {
          const at = this.waiting.indexOf(waiter);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(
            new AppError(
              'POOL_EXHAUSTED',
              `All ${this.size} connection${this.size === 1 ? '' : 's'} to ${this.label} stayed busy for ${waitMs} ms (DB_POOL_WAIT_MS); retry shortly`,
              {
                details: { poolSize: this.size, waitedMs: waitMs, retryable: true },
                retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
              },
            ),
          );
        }, waitMs),
      };
      this.waiting.push(waiter);
    });
  }

  /** Refuses new holders from now on; those waiting get DB_UNAVAILABLE. */
  close(reason: string): void {
    this.closedReason = reason;
    for (const waiter of this.waiting.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.fail(new AppError('DB_UNAVAILABLE', reason));
    }
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) {
        clearTimeout(next.timer);
        next.grant(this.releaser()); // hand the slot over directly, so no newcomer overtakes the line
      } else {
        this.held--;
      }
    };
  }
}
