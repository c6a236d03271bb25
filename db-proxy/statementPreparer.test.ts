/** The remembered analysis of a statement text answers exactly as a fresh one, errors included. */
import { AppError } from '../lib/errors.js';
import { prepareStatement, StatementPreparer, type StatementInput } from './executor.js';

const outcome = (prepare: () => unknown) => {
  try {
    return { ok: prepare() };
  } catch (err) {
    const e = err as AppError;
    return { error: { code: e.code, message: e.message, details: e.details } };
  }
};

const inputs: [StatementInput, boolean][] = [
  [{ sql: 'SELECT * FROM products WHERE id = $1', params: ['prod_0001'] }, false],
  [{ sql: 'SELECT * FROM products WHERE id = $1', params: [] }, false],
  [{ sql: 'SELECT * FROM products WHERE id = $1', params: ['a', 'b'] }, true],
  [{ sql: 'UPDATE products SET stock = stock - $1 WHERE id = $2 RETURNING stock', params: [1, 'p'] }, true],
  [{ sql: 'UPDATE products SET stock = 0 WHERE id = $1', params: ['p'], expectRowCount: 1 }, true],
  [{ sql: 'SELECT 1; SELECT 2' }, true],
  [{ sql: "SELECT 'unterminated" }, false],
  [{ sql: '-- only a comment' }, false],
  [{ sql: 'SELECT 1 \u0000' }, false],
  [{ sql: 'BEGIN' }, true],
  [{ sql: 'SELECT $2' , params: [1, 2] }, false],
  [{ sql: 'CREATE TABLE t (n int)' }, false],
];

describe('StatementPreparer', () => {
  it.each(inputs.map(([input, inList], k) => [k, input, inList] as const))('case %i answers as prepareStatement, twice', (_k, input, inList) => {
    const preparer = new StatementPreparer();
    const expected = outcome(() => prepareStatement(input, 3, inList));
    expect(outcome(() => preparer.prepare(input, 3, inList))).toEqual(expected);
    expect(outcome(() => preparer.prepare(input, 3, inList))).toEqual(expected);
  });

  it('tells repeating statements (SELECT, INSERT, ...) from DDL, and remembers only so many texts', () => {
    const preparer = new StatementPreparer(2);
    expect(preparer.prepare({ sql: 'WITH x AS (SELECT 1) SELECT * FROM x' }, 0, false).preparable).toBe(true);
    expect(preparer.prepare({ sql: 'CREATE INDEX i ON t (n)' }, 0, false).preparable).toBe(false);
    for (let i = 0; i < 10; i++) expect(preparer.prepare({ sql: `SELECT ${i} AS n` }, 0, false).sql).toBe(`SELECT ${i} AS n`);
    expect(preparer.remembered).toBe(2);
  });
});
