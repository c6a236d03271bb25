/** Helpers for tests of how V8 holds the gateway's strings (lib/oneByteNames.ts). */
import { composeSubgraphs } from '../federation/supergraph/compose.js';

export { freshName, tableCopy } from '../../lib/testing/stringTable.js';

/**
 * Makes supergraph SDLs with fresh names without meeting them first: composition, which would enter
 * the names into the string table itself, runs once on placeholders, which are then replaced in the text.
 */
export function freshSupergraphs(subgraphSdl: string, routingUrl: string): (names: Record<string, string>) => string {
  const template = composeSubgraphs([{ name: 'things', routingUrl, sourceName: 'things.graphql', sdl: subgraphSdl }]).supergraphSdl;
  return (names) => Object.entries(names).reduce((sdl, [placeholder, name]) => sdl.replaceAll(placeholder, name), template);
}
