/**
 * Keeps the index in step with the catalog by polling the products change feed. Rows can commit out
 * of updated_at order, so every poll re-reads a window before the cursor; upserts only take newer
 * versions, so reading a row twice changes nothing. The cursor lives in the search database, so a
 * restart resumes where it stopped instead of starting over.
 */
import type { Logger } from '../../lib/logger.js';
import type { Db } from '../kit/index.js';
import { CHANGES_MAX_LIMIT, type ProductsInternalClient } from '../products/internalApi.js';
import { advanceCursorStatement, readSyncCursor, upsertDocumentsStatement, type ProductDocument } from './searchStore.js';

/** How far before the cursor each poll starts reading again: longer than any products transaction takes. */
export const OVERLAP_MS = 5_000;
/** While products stays unreachable, repeat the warning this often rather than on every poll. */
const REPEAT_WARNING_MS = 30_000;

export interface SyncPassResult {
  /** Rows the feed returned. */
  read: number;
  /** Documents written (new or changed). */
  written: number;
}

export interface IndexSync {
  /** One pass over everything changed since the cursor (minus the overlap). */
  syncOnce(): Promise<SyncPassResult>;
}

export function createIndexSync(db: Db, feed: ProductsInternalClient): IndexSync {
  let cursor: string | null | undefined; // undefined: not read from the database yet
  // Versions already written during the overlap window, so re-reading them costs no database write.
  const applied = new Map<string, string>();

  return {
    async syncOnce() {
      if (cursor === undefined) cursor = await readSyncCursor(db);
      let from: { since?: string; afterId?: string } = cursor
        ? { since: new Date(Date.parse(cursor) - OVERLAP_MS).toISOString(), afterId: '' }
        : {};
      const result: SyncPassResult = { read: 0, written: 0 };

      for (;;) {
        const page = await feed.changes({ ...from, limit: CHANGES_MAX_LIMIT });
        result.read += page.products.length;
        const fresh = page.products.filter((p) => applied.get(p.id) !== p.updatedAt);
        const newest = page.products.length ? page.products[page.products.length - 1].updatedAt : null;
        const advances = newest !== null && (cursor === null || newest > cursor);

        if (fresh.length || advances) {
          const statements = fresh.length ? [upsertDocumentsStatement(fresh)] : [];
          if (advances) statements.push(advanceCursorStatement(newest!));
          await db.transaction(statements);
          result.written += fresh.length;
          for (const p of fresh) applied.set(p.id, p.updatedAt);
          if (advances) cursor = newest;
        }
        if (!page.next) break;
        from = page.next;
      }
      forgetOlderThan(applied, cursor);
      return result;
    },
  };
}

/** Entries before the overlap window will not be read again. */
function forgetOlderThan(applied: Map<string, string>, cursor: string | null | undefined): void {
  if (!cursor) return;
  const horizon = new Date(Date.parse(cursor) - 2 * OVERLAP_MS).toISOString();
  for (const [id, updatedAt] of applied) if (updatedAt < horizon) applied.delete(id);
}

/**
 * Runs syncOnce every `intervalMs` until stopped. Failures (products or the proxy down) are logged and
 * retried on the next tick; they never end the loop.
 */
export function startSyncLoop(sync: IndexSync, options: { intervalMs: number; logger: Logger }): () => Promise<void> {
  const { intervalMs, logger } = options;
  let stopped = false;
  let wake: (() => void) | undefined;
  let failingSince: number | undefined;
  let lastWarning = 0;

  const loop = (async () => {
    while (!stopped) {
      try {
        const result = await sync.syncOnce();
        if (failingSince !== undefined) {
          logger.info({ downForMs: Date.now() - failingSince }, 'search index sync recovered');
          failingSince = undefined;
          lastWarning = 0;
        }
        if (result.written) logger.debug(result, 'search index synced');
      } catch (err) {
        const now = Date.now();
        failingSince ??= now;
        if (now - lastWarning >= REPEAT_WARNING_MS) {
          lastWarning = now;
          logger.warn(
            { err: (err as Error).message, failingForMs: now - failingSince },
            'search index sync failed; retrying',
          );
        }
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  })();

  return async () => {
    stopped = true;
    wake?.();
    await loop;
  };
}
