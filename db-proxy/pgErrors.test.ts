import { AppError } from '../lib/errors.js';
import { breaksConnection, toAppError } from './pgErrors.js';

const pgError = (code: string, extra: Record<string, string> = {}) =>
  Object.assign(new Error(extra.message ?? `error ${code}`), { code, severity: 'ERROR', ...extra });

describe('PostgreSQL errors -> registry codes', () => {
  it.each([
    ['23505', 'CONFLICT', 409, undefined],
    ['23503', 'CONFLICT', 409, undefined],
    ['40001', 'CONFLICT', 409, true],
    ['40P01', 'CONFLICT', 409, true],
    ['42601', 'BAD_REQUEST', 400, undefined],
    ['42P01', 'BAD_REQUEST', 400, undefined],
    ['22P02', 'BAD_REQUEST', 400, undefined],
    ['57014', 'STATEMENT_TIMEOUT', 504, undefined],
    ['08006', 'DB_UNAVAILABLE', 503, true],
    ['57P01', 'DB_UNAVAILABLE', 503, true],
    ['53300', 'DB_UNAVAILABLE', 503, true],
    ['XX000', 'INTERNAL_SERVER_ERROR', 500, undefined],
  ])('%s -> %s', (sqlstate, code, status, retryable) => {
    const err = toAppError(pgError(sqlstate), { service: 'products' });
    expect(err.code).toBe(code);
    expect(err.status).toBe(status);
    expect(err.details?.sqlstate).toBe(sqlstate);
    expect(err.details?.retryable).toBe(retryable);
  });

  it("keeps Postgres's message, detail and constraint, and the statement's index", () => {
    const err = toAppError(
      pgError('23505', {
        message: 'duplicate key value violates unique constraint "products_sku_key"',
        detail: 'Key (sku)=(A-1) already exists.',
        constraint: 'products_sku_key',
        table: 'products',
      }),
      { service: 'products', statementIndex: 2 },
    );
    expect(err.toBody()).toEqual({
      error: {
        code: 'CONFLICT',
        message: 'duplicate key value violates unique constraint "products_sku_key"',
        details: {
          sqlstate: '23505',
          statementIndex: 2,
          detail: 'Key (sku)=(A-1) already exists.',
          constraint: 'products_sku_key',
          table: 'products',
        },
      },
    });
  });

  it('names the statement timeout', () => {
    const err = toAppError(pgError('57014', { message: 'canceling statement due to statement timeout' }), {
      service: 'orders',
      statementTimeoutMs: 250,
    });
    expect(err.message).toBe('canceling statement due to statement timeout (statement timeout is 250 ms, DB_STATEMENT_TIMEOUT_MS)');
  });

  it('treats errors without SQLSTATE (a dropped socket) as an unavailable database and a broken connection', () => {
    const lost = new Error('Connection terminated unexpectedly');
    const err = toAppError(lost, { service: 'orders' });
    expect(err.code).toBe('DB_UNAVAILABLE');
    expect(err.retryAfterSeconds).toBe(1);
    expect(breaksConnection(lost)).toBe(true);
    expect(breaksConnection(pgError('57P01'))).toBe(true);
    expect(breaksConnection(pgError('23505'))).toBe(false);
    expect(breaksConnection(new AppError('RESULT_TOO_LARGE', 'x'))).toBe(false);
  });

  it('adds the statement index to AppErrors that lack one', () => {
    const err = toAppError(new AppError('RESULT_TOO_LARGE', 'big', { details: { limit: 'DB_MAX_ROWS' } }), {
      service: 'orders',
      statementIndex: 3,
    });
    expect(err.details).toEqual({ limit: 'DB_MAX_ROWS', statementIndex: 3 });
  });
});
