import { readFileSync } from 'node:fs';
import { parse, type DocumentNode } from 'graphql';

/**
 * Reads a subgraph's schema.graphql: the same file supergraph.yaml points composition at, so the
 * schema that is served and the one that is composed cannot drift apart.
 */
export function loadTypeDefs(fileUrl: URL): DocumentNode {
  return parse(readFileSync(fileUrl, 'utf8'));
}
