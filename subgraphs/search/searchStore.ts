/** The search database: ranked queries with highlights, document upserts and the sync cursor. */
import type { Db, Statement } from '../kit/index.js';
import type { FeedProduct } from '../products/internalApi.js';

/** The fields of a change-feed product that search indexes; updatedAt orders versions of one product. */
export type ProductDocument = Pick<FeedProduct, 'id' | 'sku' | 'name' | 'description' | 'category' | 'updatedAt'>;

export interface SearchRow {
  productId: string;
  score: number;
  highlight: string;
}

export interface SearchPage {
  totalCount: number;
  hits: SearchRow[];
}

// ts_headline wraps matches in these private-use characters; the text around them is escaped in JS and
// only then do they become <mark> tags, so a product text can never smuggle markup into a highlight.
const START_MARK = '\uE000';
const STOP_MARK = '\uE001';
const HEADLINE_OPTIONS =
  `StartSel="${START_MARK}", StopSel="${STOP_MARK}", MaxFragments=2, MaxWords=24, MinWords=12, ` +
  'FragmentDelimiter=" … "';

/**
 * Best matches first (ts_rank_cd, then product id for a stable order), the total number of matches, and
 * a highlight for each returned hit only (headlines are costly, so they are made after the LIMIT).
 */
export async function searchDocuments(
  db: Db,
  options: { query: string; first: number; category?: string },
): Promise<SearchPage> {
  const params: (string | number)[] = [options.query, options.first, HEADLINE_OPTIONS, START_MARK + STOP_MARK];
  let categoryFilter = '';
  if (options.category !== undefined) {
    params.push(options.category);
    categoryFilter = `AND d.category = $${params.length}`;
  }
  const result = await db.read<{ product_id: string; score: number; total: number; headline: string }>(
    `WITH q AS (SELECT websearch_to_tsquery('english', $1) AS query),
     matches AS (
       SELECT d.product_id, d.name, d.description, ts_rank_cd(d.document, q.query) AS score, count(*) OVER () AS total
       FROM search_documents d, q
       WHERE d.document @@ q.query ${categoryFilter}
       ORDER BY score DESC, d.product_id
       LIMIT $2
     )
     SELECT m.product_id, m.score, m.total::int AS total,
            ts_headline('english', translate(m.name || ' — ' || m.description, $4, ''), q.query, $3) AS headline
     FROM matches m, q
     ORDER BY m.score DESC, m.product_id`,
    params,
  );
  return {
    totalCount: result.rows.length ? Number(result.rows[0].total) : 0,
    hits: result.rows.map((row) => ({
      productId: row.product_id,
      score: Number(row.score),
      highlight: markHighlight(row.headline),
    })),
  };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes the headline text, then turns the match markers into <mark> tags. */
export function markHighlight(headline: string): string {
  return headline
    .replace(/[&<>"']/g, (c) => HTML_ESCAPES[c])
    .replaceAll(START_MARK, '<mark>')
    .replaceAll(STOP_MARK, '</mark>')
    .replace(/\s{2,}/g, ' ')
    .trim();
}

/**
 * Writes documents (sent as one JSON parameter), replacing an indexed one only where `replaceWhen`
 * holds (`d` is the indexed row, `EXCLUDED` the incoming one).
 */
function writeDocumentsStatement(documents: ProductDocument[], replaceWhen: string): Statement {
  return {
    sql: `INSERT INTO search_documents AS d (product_id, sku, name, description, category, updated_at, indexed_at)
      SELECT x.id, x.sku, x.name, x.description, x.category, x."updatedAt"::timestamptz, now()
      FROM jsonb_to_recordset($1::jsonb)
        AS x (id text, sku text, name text, description text, category text, "updatedAt" text)
      ON CONFLICT (product_id) DO UPDATE SET
        sku = EXCLUDED.sku, name = EXCLUDED.name, description = EXCLUDED.description,
        category = EXCLUDED.category, updated_at = EXCLUDED.updated_at, indexed_at = now()
      WHERE ${replaceWhen}`,
    params: [JSON.stringify(documents.map(documentJson))],
  };
}

/**
 * Upserts documents, changing one only when the incoming version is newer (or equally new but
 * different), so re-reading an overlap window of the feed is harmless.
 */
export function upsertDocumentsStatement(documents: ProductDocument[]): Statement {
  return writeDocumentsStatement(
    documents,
    `d.updated_at < EXCLUDED.updated_at
      OR (d.updated_at = EXCLUDED.updated_at
          AND (d.sku, d.name, d.description, d.category)
              IS DISTINCT FROM (EXCLUDED.sku, EXCLUDED.name, EXCLUDED.description, EXCLUDED.category))`,
  );
}

/**
 * For a rebuild: rewrites every document unless the index already holds a newer version (written by the
 * sync meanwhile), and marks all of them as seen so the final sweep keeps them.
 */
export function rebuildDocumentsStatements(documents: ProductDocument[]): Statement[] {
  return [
    writeDocumentsStatement(documents, 'd.updated_at <= EXCLUDED.updated_at'),
    {
      sql: 'UPDATE search_documents SET indexed_at = now() WHERE product_id = ANY($1::text[])',
      params: [documents.map((d) => d.id)],
    },
  ];
}

function documentJson(d: ProductDocument) {
  return { id: d.id, sku: d.sku, name: d.name, description: d.description, category: d.category, updatedAt: d.updatedAt };
}

/** Documents not written or seen since `startedAt` (products that no longer exist, or rows from a damaged index). */
export function sweepStatement(startedAt: string): Statement {
  return { sql: 'DELETE FROM search_documents WHERE indexed_at < $1::timestamptz', params: [startedAt] };
}

export const SYNC_SOURCE = 'products';

const EXACT = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The exact time on the search database's clock, for comparing with indexed_at. */
export async function databaseNow(db: Db): Promise<string> {
  const result = await db.read<{ now: string }>(`SELECT ${EXACT('now()')} AS now`);
  return result.rows[0].now;
}

/** The newest product updated_at the index has taken in, or null before the first sync. */
export async function readSyncCursor(db: Db): Promise<string | null> {
  const result = await db.read<{ since: string | null }>(
    `SELECT ${EXACT('cursor_since')} AS since FROM sync_state WHERE source = $1`,
    [SYNC_SOURCE],
  );
  return result.rows[0]?.since ?? null;
}

/** Moves the cursor forward (never back, so a slower writer cannot undo a faster one). */
export function advanceCursorStatement(since: string): Statement {
  return {
    sql: `INSERT INTO sync_state AS s (source, cursor_since) VALUES ($1, $2::timestamptz)
          ON CONFLICT (source) DO UPDATE SET cursor_since = GREATEST(s.cursor_since, EXCLUDED.cursor_since), updated_at = now()`,
    params: [SYNC_SOURCE, since],
  };
}

/** Sets the cursor to exactly this value (a rebuild has just read everything up to it). */
export function setCursorStatement(since: string | null): Statement {
  return {
    sql: `INSERT INTO sync_state (source, cursor_since) VALUES ($1, $2::timestamptz)
          ON CONFLICT (source) DO UPDATE SET cursor_since = EXCLUDED.cursor_since, updated_at = now()`,
    params: [SYNC_SOURCE, since],
  };
}
