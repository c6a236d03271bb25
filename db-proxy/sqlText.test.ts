import { parameterMismatch, scanSql } from './sqlText.js';
import { refusalOf, writesAndReturnsRows } from './statementPolicy.js';

const count = (sql: string) => scanSql(sql).statements.length;
const placeholders = (sql: string) => scanSql(sql).statements.flatMap((s) => s.placeholders);

describe('scanSql: statement separators', () => {
  it.each([
    ['SELECT 1', 1],
    ['SELECT 1;', 1],
    ['  SELECT 1 ;  ;; ', 1],
    ['SELECT 1; SELECT 2', 2],
    ['SELECT 1;SELECT 2;', 2],
    ["SELECT ';'", 1],
    ["SELECT 'it''s; fine'", 1],
    ["SELECT E'it\\'s; still one'", 1],
    ["SELECT e'\\\\'; SELECT 2", 2],
    ['SELECT "a;b" FROM t', 1],
    ['SELECT "say ""hi"";" FROM t', 1],
    ['SELECT $$;$$', 1],
    ['SELECT $fn$ a; $$ b; $fn$', 1],
    ['SELECT $fn$ a $fn$; SELECT 2', 2],
    ['SELECT 1 -- ; not here\n', 1],
    ['SELECT 1 -- comment\n; SELECT 2', 2],
    ['SELECT /* ; */ 1', 1],
    ['SELECT /* outer /* inner ; */ still comment ; */ 1', 1],
    ["SELECT U&'d\\0061t;a'", 1],
    ['SELECT U&"a;b" FROM t', 1],
    ['CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END', 1],
    ['CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END; SELECT 1', 2],
    [
      'CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN x > 0 THEN 1 ELSE 2 END; END',
      1,
    ],
    ['BEGIN; SELECT 1; END', 3],
    ['', 0],
    ['  -- only a comment', 0],
    [';;', 0],
  ])('%j has %i statement(s)', (sql, expected) => {
    expect(scanSql(sql).problem).toBeUndefined();
    expect(count(sql)).toBe(expected);
  });

  it.each([
    ["SELECT 'open", 'unterminated string constant starting at character 8'],
    ['SELECT "open', 'unterminated quoted identifier starting at character 8'],
    ['SELECT $tag$ open $other$', 'unterminated dollar-quoted string $tag$ starting at character 8'],
    ['SELECT 1 /* open /* nested */', 'unterminated block comment starting at character 10'],
    ["SELECT E'\\'", 'unterminated string constant starting at character 8'],
  ])('%j is reported as a problem', (sql, problem) => {
    expect(scanSql(sql).problem).toBe(problem);
  });
});

describe('scanSql: placeholders', () => {
  it.each([
    ['SELECT $1, $2', [1, 2]],
    ['SELECT $2, $1, $2', [1, 2]],
    ['SELECT $10 + $9', [9, 10]],
    ["SELECT '$1', $2", [2]],
    ['SELECT "$1", $1', [1]],
    ['SELECT $$ $1 $$, $1', [1]],
    ['SELECT $q$ $2 $q$', []],
    ['SELECT 1 -- $1\n', []],
    ['SELECT /* $1 */ $3', [3]],
    ['SELECT a$1 FROM t', []], // $ continues an identifier
    ['SELECT $1::int[], $2::jsonb', [1, 2]],
    ["SELECT E'\\' $1', $2", [2]],
    ['SELECT x FROM t WHERE id = ANY($1)', [1]],
  ])('%j uses %j', (sql, expected) => {
    expect(placeholders(sql)).toEqual(expected);
  });
});

describe('scanSql: tokens', () => {
  it('lower-cases words, keeps quoted identifiers, marks function calls', () => {
    const [statement] = scanSql(`SELECT Count(*), "MixedCase" FROM "T" WHERE x = 'Lit'`).statements;
    expect(statement.tokens).toEqual([
      { kind: 'word', text: 'select', beforeParen: false },
      { kind: 'word', text: 'count', beforeParen: true },
      { kind: 'quoted', text: 'MixedCase', beforeParen: false },
      { kind: 'word', text: 'from', beforeParen: false },
      { kind: 'quoted', text: 'T', beforeParen: false },
      { kind: 'word', text: 'where', beforeParen: false },
      { kind: 'word', text: 'x', beforeParen: false },
      { kind: 'string', text: 'Lit', beforeParen: false },
    ]);
  });

  it('gives each statement its own offsets', () => {
    const sql = 'SELECT 1; SELECT $1';
    const [first, second] = scanSql(sql).statements;
    expect(sql.slice(first.start, first.end)).toBe('SELECT 1');
    expect(sql.slice(second.start, second.end)).toBe('SELECT $1');
    expect(first.placeholders).toEqual([]);
    expect(second.placeholders).toEqual([1]);
  });
});

describe('parameterMismatch', () => {
  it.each([
    [[1, 2, 3], 3, undefined],
    [[], 0, undefined],
    [[1, 2, 3], 2, 'statement uses $1..$3 but 2 parameters were given'],
    [[1], 0, 'statement uses $1 but 0 parameters were given'],
    [[], 1, 'statement uses no parameters but 1 parameter was given'],
    [[1, 3], 3, 'statement uses $1..$3 but never $2; every parameter must appear in the statement'],
    [[0], 0, '$0 is not a parameter: placeholders are numbered from $1'],
  ])('%j with %i parameters', (used, given, expected) => {
    expect(parameterMismatch(used, given)).toBe(expected);
  });
});

describe('statement policy', () => {
  const refusal = (sql: string) => refusalOf(scanSql(sql).statements[0]);

  it.each([
    'SELECT * FROM products WHERE id = $1',
    'INSERT INTO t (a) VALUES ($1) RETURNING id',
    "SET LOCAL lock_timeout = '1s'",
    'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE',
    'SET CONSTRAINTS ALL DEFERRED',
    'CREATE TABLE IF NOT EXISTS t (id int)',
    'CREATE EXTENSION IF NOT EXISTS pg_trgm',
    'CREATE INDEX ON t (lower(name))',
    "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$",
    "DO $$ BEGIN PERFORM 1; END $$",
    'GRANT SELECT ON t TO PUBLIC',
    "SELECT 'pg_read_file(x)' AS text_only",
    'SELECT copy FROM t',
  ])('accepts %j', (sql) => {
    expect(refusal(sql)).toBeUndefined();
  });

  it.each([
    ['BEGIN', /BEGIN is not accepted.*\/v1\/transaction/],
    ['commit', /COMMIT is not accepted/],
    ['ROLLBACK', /ROLLBACK/],
    ['SAVEPOINT a', /SAVEPOINT/],
    ['SET search_path TO other', /SET LOCAL inside \/v1\/transaction/],
    ['SET SESSION AUTHORIZATION other', /SET LOCAL/],
    ['RESET ALL', /RESET would leave state/],
    ['DISCARD ALL', /DISCARD/],
    ['LISTEN channel', /LISTEN/],
    ['PREPARE q AS SELECT 1', /PREPARE/],
    ['DEALLOCATE ALL', /DEALLOCATE would remove the proxy's own prepared statements/],
    ["COPY t FROM '/etc/passwd'", /COPY reads or writes files/],
    ['CREATE DATABASE other', /CREATE DATABASE acts beyond/],
    ['DROP DATABASE orders WITH (FORCE)', /DROP DATABASE/],
    ['ALTER DATABASE orders RENAME TO x', /ALTER DATABASE/],
    ["COMMENT ON DATABASE orders IS 'x'", /COMMENT DATABASE/],
    ['ALTER SYSTEM SET work_mem = 1', /ALTER SYSTEM/],
    ['CREATE ROLE r', /CREATE ROLE/],
    ['CREATE USER MAPPING FOR CURRENT_USER SERVER s', /CREATE USER/],
    ['CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw', /CREATE SERVER/],
    ['CREATE FOREIGN DATA WRAPPER w', /FOREIGN DATA WRAPPER/],
    ['CREATE EXTENSION IF NOT EXISTS dblink', /extension dblink/],
    ['CREATE EXTENSION "postgres_fdw"', /extension postgres_fdw/],
    ["CREATE FUNCTION f() RETURNS int AS 'x.so', 'f' LANGUAGE C", /language c/],
    ["DO LANGUAGE plpython3u $$ import os $$", /language plpython3u/],
    ["SELECT * FROM dblink('dbname=orders', 'select 1') AS t(x int)", /dblink\(\) reaches outside/],
    ['SELECT pg_catalog.pg_read_file($1)', /pg_read_file\(\)/],
    ['SELECT pg_terminate_backend(pid) FROM pg_stat_activity', /pg_terminate_backend\(\)/],
    ['GRANT CONNECT ON DATABASE orders TO PUBLIC', /GRANT acts beyond/],
    ['GRANT pg_read_server_files TO me', /GRANT acts beyond/],
    ['REASSIGN OWNED BY a TO b', /REASSIGN OWNED/],
  ])('refuses %j', (sql, expected) => {
    expect(refusal(sql)).toMatch(expected);
  });

  it('guards only statements that both write and return rows', () => {
    const guarded = (sql: string) => writesAndReturnsRows(scanSql(sql).statements[0]);
    expect(guarded('INSERT INTO t VALUES (1) RETURNING id')).toBe(true);
    expect(guarded('UPDATE t SET a = 1')).toBe(false);
    expect(guarded('WITH d AS (DELETE FROM t RETURNING *) SELECT count(*) FROM d')).toBe(true);
    expect(guarded('SELECT * FROM t')).toBe(false);
    expect(guarded("SELECT 'returning' FROM t")).toBe(false);
  });
});
