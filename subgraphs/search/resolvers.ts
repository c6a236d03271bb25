/** GraphQL resolvers of the search subgraph; products in hits are references the products subgraph resolves. */
import type { SubgraphContext } from '../kit/index.js';
import { runSearch } from './searchQuery.js';

export const searchResolvers = {
  Query: {
    search: async (
      _: unknown,
      args: { query: string; first?: number | null; category?: string | null },
      ctx: SubgraphContext,
    ) => {
      const page = await runSearch(ctx.db, args);
      return {
        totalCount: page.totalCount,
        hits: page.hits.map((hit) => ({
          score: hit.score,
          highlight: hit.highlight,
          product: { __typename: 'Product', id: hit.productId },
        })),
      };
    },
  },
};
