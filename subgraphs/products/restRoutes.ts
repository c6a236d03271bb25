/**
 * The products service's public REST API, reached through the gateway at the same paths:
 * GET /api/products?first=&after=&category= and GET /api/products/:id. Same paging and validation as
 * the GraphQL fields (catalogQueries.ts); errors in the registry's JSON body shape.
 */
import type { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import type { SubgraphDeps } from '../kit/index.js';
import { parseRequest, restErrors } from '../kit/rest.js';
import { ID_MAX_LENGTH, PAGE_SIZE_MAX, productsPage, productView } from './catalogQueries.js';
import type { ProductsConfig } from './config.js';
import { findProductsByIds } from './productStore.js';

export const PRODUCTS_REST_PATH = '/api/products';

const listQuerySchema = z
  .object({
    first: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(PAGE_SIZE_MAX, `must be at most ${PAGE_SIZE_MAX}`).optional(),
    after: z.string().min(1, 'must not be empty').max(512, 'must be at most 512 characters').optional(),
    category: z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters').optional(),
  })
  .strict();

const idSchema = z.object({ id: z.string().min(1).max(ID_MAX_LENGTH, `must be at most ${ID_MAX_LENGTH} characters`) });

export function productsRestRoutes(router: Router, deps: SubgraphDeps<ProductsConfig>): void {
  router.get(PRODUCTS_REST_PATH, async (req, res) => {
    const query = parseRequest(listQuerySchema, req.query, 'query');
    const page = await productsPage(deps.db.forRequest(req.requestId), query);
    res.json({
      items: page.nodes.map(productView),
      totalCount: page.totalCount,
      pageInfo: page.pageInfo,
    });
  });

  router.get(`${PRODUCTS_REST_PATH}/:id`, async (req, res) => {
    const { id } = parseRequest(idSchema, req.params, 'path');
    const [product] = await findProductsByIds(deps.db.forRequest(req.requestId), [id]);
    if (!product) throw new AppError('NOT_FOUND', `No product with id "${id}"`, { details: { id } });
    res.json(productView(product));
  });

  router.use(PRODUCTS_REST_PATH, restErrors());
}
