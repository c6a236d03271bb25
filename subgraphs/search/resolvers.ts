/** GraphQL resolvers of the search subgraph; products in hits are references the products subgraph resolves. */
import { userInputError } from '../../lib/errors.js';
import type { SubgraphContext } from '../kit/index.js';
import { searchDocuments } from './searchStore.js';

export const QUERY_MAX_LENGTH = 200;
const FIRST_MAX = 50;
const CATEGORY_MAX_LENGTH = 64;

export const searchResolvers = {
  Query: {
    search: async (
      _: unknown,
      args: { query: string; first?: number | null; category?: string | null },
      ctx: SubgraphContext,
    ) => {
      const query = args.query.trim();
      if (!query) throw userInputError('"query" must contain at least one word', { argument: 'query' });
      if (query.length > QUERY_MAX_LENGTH) {
        throw userInputError(`"query" must be at most ${QUERY_MAX_LENGTH} characters`, { argument: 'query' });
      }
      const first = args.first ?? 10;
      if (first < 1 || first > FIRST_MAX) {
        throw userInputError(`"first" must be between 1 and ${FIRST_MAX}`, { argument: 'first' });
      }
      if (args.category != null && args.category.length > CATEGORY_MAX_LENGTH) {
        throw userInputError(`"category" must be at most ${CATEGORY_MAX_LENGTH} characters`, { argument: 'category' });
      }
      const page = await searchDocuments(ctx.db, { query, first, category: args.category ?? undefined });
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
