/**
 * Runs the protocol's three request kinds on one service's database: checks every statement first
 * (one statement per entry, parameter count, statement policy), then runs them on one connection,
 * keeping the whole response within the row and byte limits (an unordered batch: each statement on
 * a connection of its own, each within the limits).
 */
import type { Tracing } from '../lib/tracing.js';
import type { BatchItemResult, IsolationLevel, QueryResult, SqlParam } from '../lib/dbProtocol.js';
import { AppError } from '../lib/errors.js';
import { StalePreparedStatementError, type DbConnection, type RawResult, type ServiceDatabase } from './drivers/driver.js';
import { toAppError } from './pgErrors.js';
import { decodeRows, encodeParam } from './pgValues.js';
import { parameterMismatch, scanSql } from './sqlText.js';
import { refusalOf, writesAndReturnsRows } from './statementPolicy.js';

export interface ExecutionLimits {
  maxRows: number;
  maxResultBytes: number;
  statementTimeoutMs: number;
}

export interface StatementInput {
  sql: string;
  params?: SqlParam[];
  expectRowCount?: number;
}

export interface PreparedStatement {
  index: number;
  sql: string;
  params: (string | null)[];
  expectRowCount?: number;
  /** Outside a transaction, run it inside one so it can be undone (limits, expectRowCount). */
  guard: boolean;
  /** A statement kind that repeats (SELECT, INSERT, ...), which the driver may keep prepared. */
  preparable: boolean;
}

/** Statements the server can keep prepared; utility statements (DDL and the like) run unprepared. */
const PREPARABLE = new Set(['select', 'insert', 'update', 'delete', 'merge', 'with', 'values', 'table']);

/** Maximum number of parameters in one statement (the protocol's 16-bit count). */
const MAX_PARAMS = 65_535;

/** What a statement's text alone decides, found by the SQL scanner and the statement policy. */
interface SqlAnalysis {
  /** Why the text cannot run at all (NUL, unterminated literal, no or several statements). */
  problem?: { message: string; details?: Record<string, unknown> };
  placeholders: readonly number[];
  refusal?: string;
  writesAndReturnsRows: boolean;
  preparable: boolean;
}

function analyse(sql: string): SqlAnalysis {
  const none = { placeholders: [], writesAndReturnsRows: false, preparable: false };
  if (sql.includes('\u0000')) return { ...none, problem: { message: 'sql must not contain NUL characters' } };
  const scan = scanSql(sql);
  if (scan.problem) return { ...none, problem: { message: `sql has an ${scan.problem}` } };
  if (scan.statements.length === 0) {
    return { ...none, problem: { message: 'sql contains no statement, only whitespace or comments' } };
  }
  if (scan.statements.length > 1) {
    return {
      ...none,
      problem: {
        message:
          `sql contains ${scan.statements.length} statements; send one statement per entry ` +
          '(several go to /v1/batch or /v1/transaction as separate entries)',
        details: { statementCount: scan.statements.length },
      },
    };
  }
  const statement = scan.statements[0];
  const first = statement.tokens[0];
  return {
    placeholders: statement.placeholders,
    refusal: refusalOf(statement),
    writesAndReturnsRows: writesAndReturnsRows(statement),
    preparable: first?.kind === 'word' && PREPARABLE.has(first.text),
  };
}

function prepareWith(analysis: SqlAnalysis, input: StatementInput, index: number, inList: boolean): PreparedStatement {
  const where = inList ? `statement ${index}: ` : '';
  const fail = (message: string, details: Record<string, unknown> = {}): never => {
    throw new AppError('BAD_REQUEST', where + message, {
      details: { ...(inList ? { statementIndex: index } : {}), ...details },
    });
  };
  if (analysis.problem) fail(analysis.problem.message, analysis.problem.details);
  const params = input.params ?? [];
  if (params.length > MAX_PARAMS) fail(`at most ${MAX_PARAMS} parameters are allowed`);
  const mismatch = parameterMismatch(analysis.placeholders, params.length);
  if (mismatch) fail(mismatch, { parameterCount: params.length });
  if (analysis.refusal) fail(analysis.refusal);
  return {
    index,
    sql: input.sql,
    params: params.map(encodeParam),
    expectRowCount: input.expectRowCount,
    guard: input.expectRowCount !== undefined || analysis.writesAndReturnsRows,
    preparable: analysis.preparable,
  };
}

/** Checks one statement; throws 400 naming the problem (and its index in a batch or transaction). */
export function prepareStatement(input: StatementInput, index: number, inList: boolean): PreparedStatement {
  return prepareWith(analyse(input.sql), input, index, inList);
}

/** Texts longer than this are analysed every time rather than remembered. */
const MAX_REMEMBERED_SQL = 16_384;

/**
 * prepareStatement() that remembers the analysis of recent statement texts: services send the same
 * few texts over and over, so the scanner and the policy run once per text, not once per request.
 */
export class StatementPreparer {
  private readonly analyses = new Map<string, SqlAnalysis>();

  /** @param capacity texts remembered; the oldest is forgotten first. */
  constructor(private readonly capacity = 1_000) {}

  /** How many texts are remembered. */
  get remembered(): number {
    return this.analyses.size;
  }

  prepare(input: StatementInput, index: number, inList: boolean): PreparedStatement {
    return prepareWith(this.analysisOf(input.sql), input, index, inList);
  }

  private analysisOf(sql: string): SqlAnalysis {
    const known = this.analyses.get(sql);
    if (known) return known;
    const analysis = analyse(sql);
    if (sql.length <= MAX_REMEMBERED_SQL) {
      if (this.analyses.size >= this.capacity) this.analyses.delete(this.analyses.keys().next().value!);
      this.analyses.set(sql, analysis);
    }
    return analysis;
  }
}

/** What one response may still carry. */
class ResponseBudget {
  rows: number;
  bytes: number;
  constructor(readonly limits: ExecutionLimits) {
    this.rows = limits.maxRows;
    this.bytes = limits.maxResultBytes;
  }

  spend(raw: RawResult): void {
    this.rows -= raw.rows.length;
    this.bytes -= raw.bytes;
  }

  tooLarge(raw: RawResult): AppError {
    if (raw.exceeded === 'rows') {
      return new AppError(
        'RESULT_TOO_LARGE',
        `The result has ${raw.rowCount} rows; one response may carry at most ${this.limits.maxRows} rows ` +
          '(DB_MAX_ROWS). Select fewer rows, e.g. with LIMIT and a cursor.',
        { details: { limit: 'DB_MAX_ROWS', maxRows: this.limits.maxRows, rowCount: raw.rowCount } },
      );
    }
    return new AppError(
      'RESULT_TOO_LARGE',
      `The result is larger than ${this.limits.maxResultBytes} bytes of row data, the most one response may carry ` +
        '(DB_MAX_RESULT_BYTES). Select fewer rows or columns.',
      { details: { limit: 'DB_MAX_RESULT_BYTES', maxResultBytes: this.limits.maxResultBytes } },
    );
  }
}

const CONTROL_LIMITS = { maxRows: 0, maxBytes: 0 };

export class StatementExecutor {
  constructor(
    private readonly database: ServiceDatabase,
    private readonly limits: ExecutionLimits,
    /** When set, every statement is a span (its SQL text, never its parameters) under the active one. */
    private readonly tracing?: Tracing,
    /**
     * How many independent statements of an unordered batch may share one connection, sent one
     * after another without waiting for the answers (DB_PIPELINE_DEPTH; 1: each on its own).
     */
    private readonly pipelineDepth = 1,
  ) {}

  private errorContext(statementIndex?: number) {
    return { service: this.database.service, statementIndex, statementTimeoutMs: this.limits.statementTimeoutMs };
  }

  async query(statement: PreparedStatement): Promise<QueryResult> {
    const budget = new ResponseBudget(this.limits);
    return this.withConnection((connection) => this.runAutocommit(connection, statement, budget));
  }

  /** Any error that escapes (pool full, connection lost, BEGIN failed) leaves as an AppError. */
  private async withConnection<T>(fn: (connection: DbConnection) => Promise<T>): Promise<T> {
    try {
      return await this.database.withConnection(fn);
    } catch (err) {
      throw toAppError(err, this.errorContext());
    }
  }

  async batch(statements: PreparedStatement[], options: { ordered?: boolean } = {}): Promise<BatchItemResult[]> {
    if (options.ordered === false) return this.independent(statements);
    const budget = new ResponseBudget(this.limits);
    return this.withConnection(async (connection) => {
      const results: BatchItemResult[] = [];
      for (const statement of statements) {
        try {
          results.push({ ok: true, ...(await this.runAutocommit(connection, statement, budget)) });
        } catch (err) {
          results.push({ ok: false, error: toAppError(err, this.errorContext(statement.index)).toBody().error });
        }
      }
      return results;
    });
  }

  /**
   * Independent statements (an unordered batch), each as if it came alone: its own autocommit, its
   * own row and byte limits, its own outcome. They go out at once over several connections; up to
   * `pipelineDepth` of them share a connection, written together and answered in turn (each with
   * its own Sync, so one failing does not touch the others), which spares the proxy and the server
   * a round trip, a wake-up and a connection check-out per statement. A statement that must be
   * undoable (guard: BEGIN ... COMMIT around it) keeps a connection to itself.
   */
  private async independent(statements: PreparedStatement[]): Promise<BatchItemResult[]> {
    const failed = (statement: PreparedStatement, err: unknown): BatchItemResult => ({
      ok: false,
      error: toAppError(err, this.errorContext(statement.index)).toBody().error,
    });
    const groups: PreparedStatement[][] = statements.filter((statement) => statement.guard).map((statement) => [statement]);
    const shared = statements.filter((statement) => !statement.guard);
    // As few connections as the depth allows (depth 1: one each), the statements dealt out evenly.
    const pipelines = Array.from({ length: Math.ceil(shared.length / this.pipelineDepth) }, (): PreparedStatement[] => []);
    shared.forEach((statement, index) => pipelines[index % pipelines.length].push(statement));
    groups.push(...pipelines);
    const outcomes = new Map<PreparedStatement, BatchItemResult>();
    await Promise.all(
      groups.map(async (group) => {
        try {
          await this.database.withConnection((connection) =>
            Promise.all(
              group.map((statement) =>
                this.runAutocommit(connection, statement, new ResponseBudget(this.limits)).then(
                  (result) => outcomes.set(statement, { ok: true, ...result }),
                  (err: unknown) => outcomes.set(statement, failed(statement, err)),
                ),
              ),
            ),
          );
        } catch (err) {
          // No connection (pool full, database down): every statement of the group fails alike.
          for (const statement of group) outcomes.set(statement, failed(statement, err));
        }
      }),
    );
    return statements.map((statement) => outcomes.get(statement)!);
  }

  async transaction(
    statements: PreparedStatement[],
    options: { isolation?: IsolationLevel; readOnly?: boolean } = {},
  ): Promise<QueryResult[]> {
    const modes = [
      ...(options.isolation ? [`ISOLATION LEVEL ${options.isolation.toUpperCase()}`] : []),
      ...(options.readOnly ? ['READ ONLY'] : []),
    ];
    const begin = modes.length ? `BEGIN ${modes.join(', ')}` : 'BEGIN';
    return this.withConnection(async (connection) => {
      try {
        return await this.runTransaction(connection, begin, statements, true);
      } catch (err) {
        // Rolled back and nothing committed: the whole transaction runs again, unprepared.
        if (!(err instanceof StalePreparedStatementError)) throw err;
        return this.runTransaction(connection, begin, statements, false);
      }
    });
  }

  private async runTransaction(
    connection: DbConnection,
    begin: string,
    statements: PreparedStatement[],
    prepare: boolean,
  ): Promise<QueryResult[]> {
    const budget = new ResponseBudget(this.limits);
    await this.control(connection, begin);
    const results: QueryResult[] = [];
    try {
      for (const statement of statements) {
        let result: QueryResult;
        try {
          result = await this.run(connection, statement, budget, prepare);
        } catch (err) {
          if (err instanceof StalePreparedStatementError) throw err;
          throw toAppError(err, this.errorContext(statement.index));
        }
        this.checkRowCount(statement, result, true);
        results.push(result);
      }
      try {
        await this.control(connection, 'COMMIT');
      } catch (err) {
        const mapped = toAppError(err, this.errorContext());
        throw new AppError(mapped.code, `The transaction could not commit: ${mapped.message}`, {
          details: { ...mapped.details, phase: 'commit' },
          retryAfterSeconds: mapped.retryAfterSeconds,
          cause: err,
        });
      }
      return results;
    } catch (err) {
      await this.rollback(connection);
      throw err;
    }
  }

  /** A statement on its own: committed at once, or inside its own transaction when it must be undoable. */
  private async runAutocommit(
    connection: DbConnection,
    statement: PreparedStatement,
    budget: ResponseBudget,
    prepare = true,
  ): Promise<QueryResult> {
    try {
      if (!statement.guard) return await this.run(connection, statement, budget, prepare);
      await this.control(connection, 'BEGIN');
      try {
        const result = await this.run(connection, statement, budget, prepare);
        this.checkRowCount(statement, result, false);
        await this.control(connection, 'COMMIT');
        return result;
      } catch (err) {
        await this.rollback(connection);
        throw err;
      }
    } catch (err) {
      // It did not run (or was rolled back): once more, unprepared.
      if (prepare && err instanceof StalePreparedStatementError) return this.runAutocommit(connection, statement, budget, false);
      throw err;
    }
  }

  private run(
    connection: DbConnection,
    statement: PreparedStatement,
    budget: ResponseBudget,
    prepare: boolean,
  ): Promise<QueryResult> {
    if (!this.tracing) return this.runUntraced(connection, statement, budget, prepare);
    return this.tracing.inSpan(
      'db.statement',
      { 'db.system.name': 'postgresql', 'db.namespace': this.database.databaseName, 'db.query.text': statement.sql },
      async (span) => {
        const result = await this.runUntraced(connection, statement, budget, prepare);
        span.setAttribute('db.response.returned_rows', result.rowCount ?? 0);
        return result;
      },
    );
  }

  private async runUntraced(
    connection: DbConnection,
    statement: PreparedStatement,
    budget: ResponseBudget,
    prepare: boolean,
  ): Promise<QueryResult> {
    const raw = await connection.query(
      statement.sql,
      statement.params,
      { maxRows: Math.max(0, budget.rows), maxBytes: Math.max(0, budget.bytes) },
      { prepare: prepare && statement.preparable },
    );
    if (raw.exceeded) throw budget.tooLarge(raw);
    budget.spend(raw);
    return { rows: decodeRows(raw.fields, raw.rows), rowCount: raw.rowCount, fields: raw.fields };
  }

  private checkRowCount(statement: PreparedStatement, result: QueryResult, inTransaction: boolean): void {
    const expected = statement.expectRowCount;
    if (expected === undefined || result.rowCount === expected) return;
    const undone = inTransaction ? 'the transaction was rolled back' : 'the statement was rolled back';
    throw new AppError(
      'PRECONDITION_FAILED',
      `Statement ${statement.index} touched ${result.rowCount} row${result.rowCount === 1 ? '' : 's'} but ` +
        `expectRowCount is ${expected}; ${undone}`,
      { details: { statementIndex: statement.index, expectedRowCount: expected, rowCount: result.rowCount } },
    );
  }

  private async control(connection: DbConnection, sql: string): Promise<void> {
    await connection.query(sql, [], CONTROL_LIMITS);
  }

  private async rollback(connection: DbConnection): Promise<void> {
    try {
      await this.control(connection, 'ROLLBACK');
    } catch (err) {
      connection.discard(err);
    }
  }
}
