/**
 * Statements the proxy refuses before they reach the database, for two reasons:
 *
 * - Pool hygiene: connections are shared by the requests of one service, so a statement must not
 *   leave state behind on its connection (an open transaction, a session setting, a LISTEN).
 * - Reach: commands that act on the whole PostgreSQL cluster (databases, roles, server files,
 *   cross-database extensions) would let one service touch another's data.
 *
 * This is a word-level check, so it is defence in depth, not the boundary: dynamic SQL inside a
 * function body is not inspected. The boundary is that each service's pool connects to its own
 * database only, as a role that is not a superuser (see the README).
 */
import type { SqlStatementText, SqlToken } from './sqlText.js';

const TRANSACTION_CONTROL = new Set(['begin', 'start', 'commit', 'end', 'rollback', 'abort', 'savepoint', 'release']);
const SESSION_STATE = new Set(['reset', 'discard', 'listen', 'unlisten', 'prepare', 'declare', 'load']);
/** SET forms that end with the transaction or only concern it. */
const TRANSACTION_SCOPED_SET = new Set(['local', 'transaction', 'constraints']);
const CLUSTER_OBJECTS = new Set(['database', 'role', 'user', 'group', 'tablespace', 'server', 'subscription', 'publication']);
const FOREIGN_ACCESS_EXTENSIONS = new Set(['dblink', 'postgres_fdw', 'file_fdw', 'adminpack', 'plpython3u', 'plperlu', 'pltclu']);
const UNTRUSTED_LANGUAGES = new Set(['c', 'internal', 'plpython3u', 'plpythonu', 'plperlu', 'pltclu']);
/** Functions that reach files, other databases or other sessions of the server. */
const OUTSIDE_FUNCTIONS = new Set([
  'dblink',
  'dblink_connect',
  'dblink_connect_u',
  'dblink_exec',
  'dblink_send_query',
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_read_file',
  'pg_read_binary_file',
  'pg_ls_dir',
  'pg_stat_file',
  'pg_file_write',
  'lo_import',
  'lo_export',
]);

const USE_TRANSACTION = 'the proxy runs transactions: send the statements together to /v1/transaction';

/** Returns why the statement is refused, or undefined when it may run. */
export function refusalOf(statement: SqlStatementText): string | undefined {
  const tokens = statement.tokens;
  const words = tokens.filter((t) => t.kind === 'word').map((t) => t.text);
  const [w0, w1, w2] = words;
  const first = tokens[0];
  if (!first || first.kind !== 'word') return undefined;

  if (TRANSACTION_CONTROL.has(w0)) {
    return `${w0.toUpperCase()} is not accepted: ${USE_TRANSACTION}`;
  }
  if (w0 === 'set' && !TRANSACTION_SCOPED_SET.has(w1)) {
    return `SET would change the pooled connection for later requests; use SET LOCAL inside /v1/transaction`;
  }
  if (w0 === 'deallocate') {
    return "DEALLOCATE would remove the proxy's own prepared statements from the pooled connection and is not accepted";
  }
  if (SESSION_STATE.has(w0)) {
    return `${w0.toUpperCase()} would leave state on the pooled connection for later requests and is not accepted`;
  }
  if (w0 === 'copy') {
    return 'COPY reads or writes files on the database server and is not accepted; use INSERT or SELECT';
  }
  if (w0 === 'alter' && w1 === 'system') {
    return 'ALTER SYSTEM changes the whole database server and is not accepted';
  }
  if (w0 === 'reassign') return 'REASSIGN OWNED acts beyond the service\'s own database and is not accepted';
  if (w0 === 'grant' || w0 === 'revoke') {
    // Without ON it grants role membership, which is server-wide, as are the privileges on these objects.
    if (!words.includes('on') || words.some((w) => w === 'database' || w === 'tablespace' || w === 'parameter' || w === 'foreign')) {
      return `this ${w0.toUpperCase()} acts beyond the service's own database and is not accepted`;
    }
  }
  if ((w0 === 'create' || w0 === 'alter' || w0 === 'drop' || w0 === 'comment') && words.length > 1) {
    const object = w0 === 'comment' ? w2 : w1 === 'foreign' && w2 === 'data' ? 'foreign data wrapper' : w1;
    if (object === 'foreign data wrapper' || CLUSTER_OBJECTS.has(object ?? '') || (w0 === 'create' && w1 === 'user')) {
      return `${w0.toUpperCase()} ${object.toUpperCase()} acts beyond the service's own database and is not accepted`;
    }
  }
  if (w0 === 'create' && words.includes('extension')) {
    const name = nameAfter(tokens, 'extension', ['if', 'not', 'exists']);
    if (name && FOREIGN_ACCESS_EXTENSIONS.has(name)) {
      return `extension ${name} reaches outside the service's own database and is not accepted`;
    }
  }
  if (w0 === 'create' && words.includes('language') && !words.includes('function') && !words.includes('procedure')) {
    return 'CREATE LANGUAGE is not accepted';
  }
  if (w0 === 'create' || w0 === 'do') {
    const language = nameAfter(tokens, 'language', []);
    if (language && UNTRUSTED_LANGUAGES.has(language)) {
      return `functions in language ${language} run outside the database's protection and are not accepted`;
    }
  }
  for (const token of tokens) {
    if (token.beforeParen && token.kind !== 'string' && OUTSIDE_FUNCTIONS.has(token.text)) {
      return `${token.text}() reaches outside the service's own database and is not accepted`;
    }
  }
  return undefined;
}

/** The name (word, quoted identifier or string) that follows `keyword`, skipping `skip` words. */
function nameAfter(tokens: SqlToken[], keyword: string, skip: string[]): string | undefined {
  const at = tokens.findIndex((t) => t.kind === 'word' && t.text === keyword);
  if (at < 0) return undefined;
  for (let k = at + 1; k < tokens.length; k++) {
    const token = tokens[k];
    if (token.kind === 'word' && skip.includes(token.text)) continue;
    return token.kind === 'word' ? token.text : token.text.toLowerCase();
  }
  return undefined;
}

/**
 * Statements run outside a transaction that both change data and return rows are wrapped in one,
 * so that a result over the limits can be rolled back instead of reported as an error after commit.
 */
export function writesAndReturnsRows(statement: SqlStatementText): boolean {
  const words = statement.tokens.filter((t) => t.kind === 'word').map((t) => t.text);
  const w0 = words[0];
  if (w0 === 'insert' || w0 === 'update' || w0 === 'delete' || w0 === 'merge') return words.includes('returning');
  if (w0 === 'with') return words.some((w) => w === 'insert' || w === 'update' || w === 'delete' || w === 'merge');
  return false;
}
