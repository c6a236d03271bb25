import { readFileSync } from 'node:fs';
import { parse, type DocumentNode } from 'graphql';
import { keepNamesOneByte } from '../../lib/oneByteNames.js';

/**
 * Reads a subgraph's schema.graphql: the same file supergraph.yaml points composition at, so the
 * schema that is served and the one that is composed cannot drift apart.
 */
export function loadTypeDefs(fileUrl: URL): DocumentNode {
  const sdl = readFileSync(fileUrl, 'utf8');
  // Before @apollo/subgraph builds the schema, so the service's answers stay one-byte JSON (lib/oneByteNames.ts).
  keepNamesOneByte(sdl);
  return parse(sdl);
}
