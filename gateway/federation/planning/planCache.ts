/**
 * The caches of what the gateway worked out per operation (plans, compiled; subscription plans),
 * bounded by count and by the heap their documents and plans take.
 */
import type { OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { estimatedDocumentBytes } from '../../../lib/documentCache.js';

/** The plan caches' default bound: 16 MiB of estimated heap per supergraph. */
export const DEFAULT_PLAN_CACHE_BYTES = 16 * 2 ** 20;

/**
 * A cache of what was worked out for operations (plans, compiled), at most `maxEntries` of them and
 * `maxBytes` of estimated heap: each entry holds its operation's document, and its plan grows with it.
 */
export function operationCache<V extends { readonly operation: OperationDefinitionNode }>(
  maxEntries: number,
  maxBytes: number,
): LRUCache<string, V> {
  return new LRUCache<string, V>({
    max: maxEntries,
    maxSize: maxBytes,
    maxEntrySize: maxBytes,
    // Twice the document's estimate: the entry keeps the document (its operation's location reaches
    // the whole source) and a plan that grows with it (measured: 17 KB of plan beside a 25 KB document
    // for a 400-character query).
    sizeCalculation: (value) => 2 * estimatedDocumentBytes(value.operation),
  });
}
