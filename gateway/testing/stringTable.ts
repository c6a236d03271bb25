/** Helpers for tests of how V8 holds the gateway's strings (federation/supergraph/oneByteNames.ts). */
import { randomBytes } from 'node:crypto';
import { composeSubgraphs } from '../federation/supergraph/compose.js';

/** A GraphQL name no code has used yet, so V8's string table has no copy of it. */
export const freshName = (prefix: string) => `${prefix}${randomBytes(8).toString('hex')}`;

/** The string table's copy of a name: what JSON.parse makes of a subgraph answer's key. */
export const tableCopy = (name: string) => Object.keys(JSON.parse(`{"${name}":0}`) as object)[0];

/**
 * Makes supergraph SDLs with fresh names without meeting them first: composition, which would enter
 * the names into the string table itself, runs once on placeholders, which are then replaced in the text.
 */
export function freshSupergraphs(subgraphSdl: string, routingUrl: string): (names: Record<string, string>) => string {
  const template = composeSubgraphs([{ name: 'things', routingUrl, sourceName: 'things.graphql', sdl: subgraphSdl }]).supergraphSdl;
  return (names) => Object.entries(names).reduce((sdl, [placeholder, name]) => sdl.replaceAll(placeholder, name), template);
}
