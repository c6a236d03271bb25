/**
 * The committed supergraph.graphql (what containers serve with SUPERGRAPH_PATH) must be exactly what
 * `npm run compose` makes of supergraph.yaml and the subgraph schemas, and compose without hints.
 */
import { readFileSync } from 'node:fs';
import { composeSupergraphConfig } from '../gateway/federation/supergraph/compose.js';

describe('supergraph.graphql', () => {
  it('is up to date with supergraph.yaml (run `npm run compose` after changing a subgraph schema)', async () => {
    const composed = await composeSupergraphConfig('supergraph.yaml');
    expect(readFileSync('supergraph.graphql', 'utf8').trim()).toBe(composed.supergraphSdl.trim());
  });

  it('composes without hints', async () => {
    const composed = await composeSupergraphConfig('supergraph.yaml');
    // Each subgraph declares @cacheControl's argument enum for its own cache hints; no field uses the
    // enum, so composition notes it is unused. That one is expected.
    const hints = composed.hints.filter((h) => !(h.code === 'UNUSED_ENUM_TYPE' && h.message.includes('"CacheControlScope"')));
    expect(hints.map((h) => h.message)).toEqual([]);
    expect(composed.subgraphs.map((s) => s.name)).toEqual(expect.arrayContaining(['orders', 'products', 'search']));
  });
});
