/** Running a search, shared by the GraphQL `search` field and GET /api/search, so both validate alike. */
import { userInputError } from '../../lib/errors.js';
import type { Db } from '../kit/index.js';
import { searchDocuments, type SearchPage } from './searchStore.js';

export const QUERY_MAX_LENGTH = 200;
export const FIRST_MAX = 50;
export const FIRST_DEFAULT = 10;
export const CATEGORY_MAX_LENGTH = 64;

export interface SearchArgs {
  query: string;
  first?: number | null;
  category?: string | null;
}

/** Best matches first; throws BAD_USER_INPUT naming the argument that is wrong. */
export async function runSearch(db: Db, args: SearchArgs): Promise<SearchPage> {
  const query = args.query.trim();
  if (!query) throw userInputError('"query" must contain at least one word', { argument: 'query' });
  if (query.length > QUERY_MAX_LENGTH) {
    throw userInputError(`"query" must be at most ${QUERY_MAX_LENGTH} characters`, { argument: 'query' });
  }
  const first = args.first ?? FIRST_DEFAULT;
  if (!Number.isInteger(first) || first < 1 || first > FIRST_MAX) {
    throw userInputError(`"first" must be between 1 and ${FIRST_MAX}`, { argument: 'first' });
  }
  if (args.category != null && args.category.length > CATEGORY_MAX_LENGTH) {
    throw userInputError(`"category" must be at most ${CATEGORY_MAX_LENGTH} characters`, { argument: 'category' });
  }
  return searchDocuments(db, { query, first, category: args.category ?? undefined });
}
