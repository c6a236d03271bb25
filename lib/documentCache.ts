/**
 * The cache of parsed and validated documents Apollo Server keeps (its `documentStore`), bounded by
 * the heap the documents really take.
 *
 * Apollo Server's default store is bounded at 30 MiB of `JSON.stringify(document)`, but a document in
 * the heap is four to five times its JSON: graphql-js keeps every node's location and, through it,
 * the whole token list of the source. Measured (Node 20, graphql 16): 4.4 KB of heap for a
 * 47-character query (889 bytes of JSON), 25 KB for 395 characters (6 KB), 237 KB for 2,700
 * characters (60 KB). The default bound therefore let a client sending a new document per request
 * grow each server, the gateway and every subgraph, by 120-150 MB before anything was evicted. This
 * store estimates from the source length and stops at `maxBytes` of that estimate.
 */
import type { DocumentStore } from '@apollo/server';
import type { ASTNode, DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';

/** Heap bytes per source character of a parsed document with its locations and tokens (measured: 63-94). */
const HEAP_BYTES_PER_SOURCE_CHAR = 90;
/** What a document costs beyond its source: the cache entry, its key, the Source and the root node. */
const HEAP_BYTES_PER_DOCUMENT = 1_000;

/**
 * An estimate of the heap a parsed document holds, from the length of its source. Any node of it
 * holds as much: its location reaches the whole source and token list.
 */
export function estimatedDocumentBytes(node: ASTNode): number {
  const sourceLength = node.loc?.source.body.length ?? 1_000;
  return HEAP_BYTES_PER_DOCUMENT + sourceLength * HEAP_BYTES_PER_SOURCE_CHAR;
}

/** A document store holding at most `maxBytes` of estimated heap, least recently used out first. */
export function documentCache(maxBytes: number): DocumentStore {
  const documents = new LRUCache<string, DocumentNode>({
    maxSize: maxBytes,
    // A document larger than the whole cache is not kept (lru-cache refuses it rather than throwing).
    maxEntrySize: maxBytes,
    sizeCalculation: estimatedDocumentBytes,
  });
  return {
    async get(key) {
      return documents.get(key);
    },
    async set(key, document) {
      documents.set(key, document);
    },
    async delete(key) {
      return documents.delete(key);
    },
  };
}
