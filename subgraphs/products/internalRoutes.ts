/**
 * The products service's internal REST API for other services (orders reserves and releases stock,
 * search follows the change feed). Every route needs the internal service token.
 */
import type { Request, Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import { requireServiceToken, type SubgraphDeps } from '../kit/index.js';
import type { ProductsConfig } from './config.js';
import {
  CHANGES_MAX_LIMIT,
  PRODUCTS_INTERNAL_PATHS as PATHS,
  type ChangeFeedPage,
  type ReleaseRequest,
  type ReservationRequest,
} from './internalApi.js';
import { listProductChanges } from './productStore.js';
import { releaseStock, reserveStock } from './stockReservations.js';

const idSchema = z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters');

const reserveBodySchema = z
  .object({
    reservationId: idSchema,
    items: z
      .array(
        z
          .object({
            productId: idSchema,
            quantity: z.number().int('must be a whole number').min(1, 'must be at least 1').max(100_000),
          })
          .strict(),
      )
      .min(1, 'must list at least one item')
      .max(100, 'must list at most 100 items'),
  })
  .strict();

const releaseBodySchema = z.object({ reservationId: idSchema }).strict();

const changesQuerySchema = z
  .object({
    since: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 timestamp' }).optional(),
    afterId: z.string().max(128, 'must be at most 128 characters').optional(),
    limit: z.coerce.number().int('must be a whole number').min(1).max(CHANGES_MAX_LIMIT).default(100),
  })
  .strict();

export function productsInternalRoutes(router: Router, deps: SubgraphDeps<ProductsConfig>): void {
  router.use('/internal', requireServiceToken(deps.config.internalToken));

  router.post(PATHS.reserve, async (req, res) => {
    const body: ReservationRequest = parse(reserveBodySchema, req.body, 'body');
    const reservation = await reserveStock(dbFor(req, deps), body.reservationId, body.items);
    res.json(reservation);
  });

  router.post(PATHS.release, async (req, res) => {
    const body: ReleaseRequest = parse(releaseBodySchema, req.body, 'body');
    res.json(await releaseStock(dbFor(req, deps), body.reservationId));
  });

  router.get(PATHS.changes, async (req, res) => {
    const query = parse(changesQuerySchema, req.query, 'query');
    const products = await listProductChanges(dbFor(req, deps), {
      since: query.since,
      afterId: query.afterId,
      limit: query.limit,
    });
    const last = products[products.length - 1];
    const page: ChangeFeedPage = {
      products,
      next: products.length === query.limit && last ? { since: last.updatedAt, afterId: last.id } : null,
    };
    res.json(page);
  });
}

function dbFor(req: Request, deps: SubgraphDeps<ProductsConfig>) {
  return deps.db.forRequest(req.requestId);
}

/** Validates a body or query string; the 400 names every field that is wrong. */
function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query'): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.join('.') || where;
    return `${path}: ${issue.message}`;
  });
  throw new AppError('BAD_USER_INPUT', `Invalid request ${where}: ${problems.join('; ')}`, { details: { problems } });
}
