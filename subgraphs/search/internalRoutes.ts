/** The search service's internal REST API: rebuilding the index on demand (service token required). */
import type { Router } from 'express';
import { requireServiceToken, type SubgraphDeps } from '../kit/index.js';
import type { SearchConfig } from './config.js';
import { rebuildIndex } from './rebuildIndex.js';
import type { SearchServices } from './service.js';

export function searchInternalRoutes(router: Router, deps: SubgraphDeps<SearchConfig, SearchServices>): void {
  router.use('/internal', requireServiceToken(deps.config.internalToken));

  /** Answers when the rebuild is done: { indexed, removed, durationMs }. */
  router.post('/internal/index/rebuild', async (req, res) => {
    const db = deps.db.forRequest(req.requestId);
    const result = await rebuildIndex(db, deps.services.products, {
      requestId: req.requestId,
      onProgress: ({ indexed }) => deps.logger.info({ reqId: req.requestId, indexed }, 'rebuilding the search index'),
    });
    deps.logger.info({ reqId: req.requestId, ...result }, 'search index rebuilt');
    res.json(result);
  });
}
