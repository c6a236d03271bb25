/**
 * Background work that makes sure no reserved stock is lost: it retries the releases of cancelled
 * orders whose release failed, and abandons placements nobody finished (client gone, crash) and
 * gives their stock back. Passes never overlap; stopping waits for the pass in progress.
 */
import { AppError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { Db } from '../kit/index.js';
import type { ProductsInternalClient } from '../products/internalApi.js';
import {
  abandonStalePlacements,
  cancelledAwaitingRelease,
  deleteAbandoned,
  markStockReleased,
} from './orderStore.js';

export interface ReleaseSweepOptions {
  db: Db;
  products: ProductsInternalClient;
  logger: Logger;
  intervalMs: number;
  /** Placements RESERVING for longer than this are abandoned. */
  abandonAfterMs: number;
  /** Orders handled per pass, per kind. @default 100 */
  batchSize?: number;
}

export interface SweepResult {
  released: number;
  abandoned: number;
}

export interface ReleaseSweep {
  /** One pass now (tests, and the timer). */
  runOnce(): Promise<SweepResult>;
  stop(): Promise<void>;
}

export function startReleaseSweep(options: ReleaseSweepOptions): ReleaseSweep {
  const { db, products, logger } = options;
  const batchSize = options.batchSize ?? 100;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<SweepResult> | undefined;

  async function pass(): Promise<SweepResult> {
    const result: SweepResult = { released: 0, abandoned: 0 };
    for (const orderId of await cancelledAwaitingRelease(db, batchSize)) {
      if (stopped) return result;
      await products.release(orderId);
      await markStockReleased(db, orderId);
      result.released++;
    }
    for (const orderId of await abandonStalePlacements(db, options.abandonAfterMs, batchSize)) {
      if (stopped) return result;
      await products.release(orderId);
      await deleteAbandoned(db, orderId);
      result.abandoned++;
    }
    return result;
  }

  function runOnce(): Promise<SweepResult> {
    running ??= pass()
      .then((result) => {
        if (result.released || result.abandoned) logger.info(result, 'stock release sweep');
        return result;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      runOnce()
        .catch((err: unknown) => {
          // Products or the proxy being down is expected now and then; the next pass tries again.
          const level = err instanceof AppError && err.status >= 500 ? 'warn' : 'error';
          logger[level]({ err }, 'stock release sweep failed');
        })
        .finally(schedule);
    }, options.intervalMs);
    timer.unref();
  }
  schedule();

  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
