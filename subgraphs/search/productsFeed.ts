/** The products service's change feed (GET /internal/products/changes), as search reads it. */
import type { Dispatcher } from 'undici';
import { createServiceClient } from '../kit/index.js';
import type { ProductDocument } from './searchStore.js';

export interface ChangesPage {
  /** In (updatedAt, id) order. */
  products: ProductDocument[];
  /** Where the next page starts; null when this page was the last one. */
  next: { since: string; afterId: string } | null;
}

export interface ProductsFeed {
  /** One page of products changed after (since, afterId); from the beginning without `since`. */
  changes(from: { since?: string; afterId?: string; limit: number }, requestId?: string): Promise<ChangesPage>;
  close(): Promise<void>;
}

export const FEED_PAGE_SIZE = 1_000;

export function createProductsFeed(options: {
  baseUrl: string;
  token: string;
  /** @default 5000 */
  timeoutMs?: number;
  dispatcher?: Dispatcher;
}): ProductsFeed {
  const client = createServiceClient({
    baseUrl: options.baseUrl,
    target: 'products',
    token: options.token,
    timeoutMs: options.timeoutMs ?? 5_000,
    dispatcher: options.dispatcher,
  });
  return {
    changes(from, requestId) {
      const query = new URLSearchParams({ limit: String(from.limit) });
      if (from.since !== undefined) query.set('since', from.since);
      if (from.afterId !== undefined) query.set('afterId', from.afterId);
      return client.get<ChangesPage>(`/internal/products/changes?${query}`, { requestId, retry: true });
    },
    close: () => client.close(),
  };
}
