/**
 * The connection proxy's wire protocol (version 1), shared by db-proxy (server) and the subgraph kit
 * (client). Every request carries `Authorization: Bearer <service credential>`; the credential alone
 * decides which database the statements run on.
 *
 *   POST /v1/query        one statement                       -> QueryResult
 *   POST /v1/batch        several statements, each on its own  -> { results: BatchItemResult[] }
 *                         (autocommit, in order, one round trip; with `ordered: false` they are
 *                         independent and run at once on several connections, each within the
 *                         row and byte limits as if sent alone)
 *   POST /v1/transaction  several statements, all or nothing   -> { results: QueryResult[] }
 *
 * Errors come back in the registry's body shape; database errors add `details.sqlstate` (and
 * `details.statementIndex` in batches and transactions).
 */
import { z } from 'zod';

/** Parameter values travel as JSON: strings, numbers, booleans, null, arrays (Postgres arrays) or objects (json/jsonb). */
export type SqlParam = string | number | boolean | null | SqlParam[] | { [key: string]: unknown };

export const sqlParamSchema: z.ZodType<SqlParam> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(sqlParamSchema), z.record(z.string(), z.unknown())]),
);

export const statementSchema = z
  .object({
    sql: z.string().min(1, 'sql must be a non-empty string'),
    params: z.array(sqlParamSchema).optional().default([]),
    /**
     * The statement must touch exactly this many rows, otherwise the whole transaction rolls back
     * with PRECONDITION_FAILED (details.statementIndex). This is how "UPDATE ... WHERE stock >= $2"
     * guards work without an interactive transaction. Outside /v1/transaction the statement alone
     * is undone on a mismatch.
     */
    expectRowCount: z.number().int().min(0).optional(),
  })
  .strict();

export type Statement = z.input<typeof statementSchema>;

export const queryRequestSchema = statementSchema;

export const batchRequestSchema = z
  .object({
    statements: z.array(statementSchema).min(1, 'statements must not be empty'),
    /**
     * false: the statements do not depend on each other (reads of concurrent requests, sent together
     * by the kit client), so the proxy may run them at once on several connections, in any order.
     * Each result is still at its statement's index. @default true
     */
    ordered: z.boolean().optional(),
  })
  .strict();

export const isolationLevels = ['read committed', 'repeatable read', 'serializable'] as const;
export type IsolationLevel = (typeof isolationLevels)[number];

export const transactionRequestSchema = z
  .object({
    statements: z.array(statementSchema).min(1, 'statements must not be empty'),
    isolation: z.enum(isolationLevels).optional(),
    readOnly: z.boolean().optional(),
  })
  .strict();

export interface FieldInfo {
  name: string;
  dataTypeID: number;
}

export interface QueryResult<Row = Record<string, unknown>> {
  rows: Row[];
  /** Rows affected (INSERT/UPDATE/DELETE) or returned (SELECT). */
  rowCount: number;
  fields: FieldInfo[];
}

export type BatchItemResult =
  | ({ ok: true } & QueryResult)
  | { ok: false; error: { code: string; message: string; details?: Record<string, unknown> } };

export interface BatchResponse {
  results: BatchItemResult[];
}

export interface TransactionResponse {
  results: QueryResult[];
}

/** Header names the proxy reads besides Authorization. */
export const DB_PROXY_HEADERS = {
  requestId: 'x-request-id',
  /** The request ids of the reads an unordered batch carries, comma-separated, for the proxy's log line. */
  coalescedRequestIds: 'x-coalesced-request-ids',
} as const;
