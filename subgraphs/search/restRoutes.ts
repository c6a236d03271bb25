/**
 * The search service's public REST API, reached through the gateway at the same path:
 * GET /api/search?q=&first=&category=. Same validation and ranking as the GraphQL `search` field
 * (searchQuery.ts); each hit names its product by id (the products service owns the rest of it).
 */
import type { Router } from 'express';
import { z } from 'zod';
import type { SubgraphDeps } from '../kit/index.js';
import { parseRequest, restErrors } from '../kit/rest.js';
import type { SearchConfig } from './config.js';
import { CATEGORY_MAX_LENGTH, FIRST_MAX, QUERY_MAX_LENGTH, runSearch } from './searchQuery.js';

export const SEARCH_REST_PATH = '/api/search';

const searchQuerySchema = z
  .object({
    q: z
      .string({ error: 'is required' })
      .trim()
      .min(1, 'must contain at least one word')
      .max(QUERY_MAX_LENGTH, `must be at most ${QUERY_MAX_LENGTH} characters`),
    first: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(FIRST_MAX, `must be at most ${FIRST_MAX}`).optional(),
    category: z.string().min(1, 'must not be empty').max(CATEGORY_MAX_LENGTH, `must be at most ${CATEGORY_MAX_LENGTH} characters`).optional(),
  })
  .strict();

export function searchRestRoutes(router: Router, deps: SubgraphDeps<SearchConfig>): void {
  router.get(SEARCH_REST_PATH, async (req, res) => {
    const { q, first, category } = parseRequest(searchQuerySchema, req.query, 'query');
    const page = await runSearch(deps.db.forRequest(req.requestId), { query: q, first, category });
    res.json({
      totalCount: page.totalCount,
      hits: page.hits.map((hit) => ({ score: hit.score, highlight: hit.highlight, productId: hit.productId })),
    });
  });

  router.use(SEARCH_REST_PATH, restErrors());
}
