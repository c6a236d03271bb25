/**
 * Rebuilds the index from the products service: every product is read again through the change feed
 * and written over its document, then documents nothing wrote or confirmed are swept away. The result
 * is what truncating and re-indexing gives, but searches keep answering from the old documents while
 * it runs, and it is safe beside the running sync (a newer document the sync wrote meanwhile is kept).
 */
import type { Db } from '../kit/index.js';
import { CHANGES_MAX_LIMIT, type ProductsInternalClient } from '../products/internalApi.js';
import { databaseNow, rebuildDocumentsStatements, setCursorStatement, sweepStatement } from './searchStore.js';

export interface RebuildProgress {
  /** Products read from the feed and written so far. */
  indexed: number;
}

export interface RebuildResult {
  /** Documents written from the catalog. */
  indexed: number;
  /** Documents removed because no product stands behind them any more. */
  removed: number;
  durationMs: number;
}

export async function rebuildIndex(
  db: Db,
  feed: ProductsInternalClient,
  options: { onProgress?: (progress: RebuildProgress) => void; requestId?: string } = {},
): Promise<RebuildResult> {
  const started = Date.now();
  // On the search database's own clock, the one that stamps indexed_at.
  const startedAt = await databaseNow(db);
  let indexed = 0;
  let newest: string | null = null;
  let from: { since?: string; afterId?: string } = {};

  for (;;) {
    const page = await feed.changes({ ...from, limit: CHANGES_MAX_LIMIT }, options.requestId);
    if (page.products.length) {
      await db.transaction(rebuildDocumentsStatements(page.products));
      indexed += page.products.length;
      newest = page.products[page.products.length - 1].updatedAt;
      options.onProgress?.({ indexed });
    }
    if (!page.next) break;
    from = page.next;
  }

  const [swept] = await db.transaction([sweepStatement(startedAt), setCursorStatement(newest)]);
  return { indexed, removed: swept.rowCount, durationMs: Date.now() - started };
}
