/**
 * A small lexical scanner for PostgreSQL statement text. It is not a parser: it knows just enough of
 * the lexical rules (string constants, E'' escape strings, quoted identifiers, dollar quoting, nested
 * block comments, line comments) to find what lies outside literals: statement separators, `$n`
 * placeholders and the words a statement is made of. The proxy uses it to refuse several statements
 * in one entry and to check the parameter count before anything reaches the database.
 */

export interface SqlToken {
  /** `word`: an unquoted keyword or identifier (lower-cased); `quoted`: a "quoted identifier"; `string`: a string constant. */
  kind: 'word' | 'quoted' | 'string';
  text: string;
  /** The next token is `(`: a function call, or a name followed by a column list. */
  beforeParen: boolean;
}

export interface SqlStatementText {
  /** Offsets into the scanned text; `end` excludes the separating semicolon. */
  start: number;
  end: number;
  /** Words, quoted identifiers and string constants in order; comments and other literals are left out. */
  tokens: SqlToken[];
  /** Placeholder numbers used ($n), ascending and unique. */
  placeholders: number[];
}

export interface SqlScan {
  /** Non-empty statements; separators inside literals, comments or `BEGIN ATOMIC ... END` bodies do not count. */
  statements: SqlStatementText[];
  /** Set when the text cannot be tokenized (an unterminated literal or comment). */
  problem?: string;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isIdentStart = (c: number) =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
const isIdentCont = (c: number) => isIdentStart(c) || isDigit(c) || c === 36; /* $ */
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;

const QUOTE = 39; // '
const DOUBLE_QUOTE = 34; // "
const BACKSLASH = 92;
const DOLLAR = 36;

export function scanSql(sql: string): SqlScan {
  const statements: SqlStatementText[] = [];
  const n = sql.length;
  let i = 0;

  let current: SqlStatementText | undefined;
  let lastToken: SqlToken | undefined;
  let placeholders = new Set<number>();
  // Words that decide whether a semicolon ends the statement: inside the body of
  // CREATE FUNCTION ... BEGIN ATOMIC ... END it does not (the same heuristic psql uses).
  let headWords: string[] = [];
  let beginDepth = 0;

  const startStatement = (at: number) => {
    if (!current) {
      current = { start: at, end: at, tokens: [], placeholders: [] };
      placeholders = new Set();
      headWords = [];
      beginDepth = 0;
      lastToken = undefined;
    }
    return current;
  };
  const finishStatement = () => {
    if (current) {
      current.placeholders = [...placeholders].sort((a, b) => a - b);
      statements.push(current);
    }
    current = undefined;
    lastToken = undefined;
  };
  const push = (token: SqlToken, end: number) => {
    const statement = current!;
    statement.tokens.push(token);
    statement.end = end;
    lastToken = token;
  };
  const fail = (what: string, at: number): SqlScan => ({
    statements,
    problem: `unterminated ${what} starting at character ${at + 1}`,
  });

  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    // -- line comment
    if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      const nl = sql.indexOf('\n', i + 2);
      i = nl === -1 ? n : nl + 1;
      continue;
    }
    // /* block comment */, nested as in PostgreSQL
    if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      const start = i;
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql.charCodeAt(i) === 47 && sql.charCodeAt(i + 1) === 42) {
          depth++;
          i += 2;
        } else if (sql.charCodeAt(i) === 42 && sql.charCodeAt(i + 1) === 47) {
          depth--;
          i += 2;
        } else i++;
      }
      if (depth > 0) return fail('block comment', start);
      continue;
    }
    if (c === 59 /* ; */) {
      if (current && beginDepth > 0) {
        current.end = i + 1;
        lastToken = undefined;
      } else finishStatement();
      i++;
      continue;
    }

    const statement = startStatement(i);
    const tokenStart = i;

    // E'...' escape string: backslash escapes the next character.
    if ((c === 69 || c === 101) && sql.charCodeAt(i + 1) === QUOTE) {
      const end = scanQuoted(sql, i + 1, QUOTE, true);
      if (end < 0) return fail('string constant', tokenStart);
      push({ kind: 'string', text: sql.slice(i + 2, end - 1), beforeParen: false }, end);
      i = end;
      continue;
    }
    // U&'...' and U&"..." (unicode escapes; the quoting rules are the standard ones).
    if ((c === 85 || c === 117) && sql.charCodeAt(i + 1) === 38) {
      const q = sql.charCodeAt(i + 2);
      if (q === QUOTE || q === DOUBLE_QUOTE) {
        const end = scanQuoted(sql, i + 2, q, false);
        if (end < 0) return fail(q === QUOTE ? 'string constant' : 'quoted identifier', tokenStart);
        push({ kind: q === QUOTE ? 'string' : 'quoted', text: sql.slice(i + 3, end - 1), beforeParen: false }, end);
        i = end;
        continue;
      }
    }
    if (c === QUOTE) {
      const end = scanQuoted(sql, i, QUOTE, false);
      if (end < 0) return fail('string constant', tokenStart);
      push({ kind: 'string', text: sql.slice(i + 1, end - 1).replace(/''/g, "'"), beforeParen: false }, end);
      i = end;
      continue;
    }
    if (c === DOUBLE_QUOTE) {
      const end = scanQuoted(sql, i, DOUBLE_QUOTE, false);
      if (end < 0) return fail('quoted identifier', tokenStart);
      push({ kind: 'quoted', text: sql.slice(i + 1, end - 1).replace(/""/g, '"'), beforeParen: false }, end);
      i = end;
      continue;
    }
    if (c === DOLLAR) {
      // $n placeholder
      if (isDigit(sql.charCodeAt(i + 1))) {
        let j = i + 1;
        while (j < n && isDigit(sql.charCodeAt(j))) j++;
        placeholders.add(Number(sql.slice(i + 1, j)));
        statement.end = j;
        lastToken = undefined;
        i = j;
        continue;
      }
      // $tag$ ... $tag$ dollar-quoted string
      const tag = dollarTagAt(sql, i);
      if (tag !== undefined) {
        const close = sql.indexOf(tag, i + tag.length);
        if (close < 0) return fail(`dollar-quoted string ${tag}`, tokenStart);
        const end = close + tag.length;
        push({ kind: 'string', text: sql.slice(i + tag.length, close), beforeParen: false }, end);
        i = end;
        continue;
      }
      statement.end = ++i;
      lastToken = undefined;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentCont(sql.charCodeAt(j))) j++;
      const word = sql.slice(i, j).toLowerCase();
      push({ kind: 'word', text: word, beforeParen: false }, j);
      trackRoutineBody(word);
      i = j;
      continue;
    }
    if (isDigit(c)) {
      // Numeric constant; its exact form does not matter here.
      let j = i + 1;
      while (j < n && (isIdentCont(sql.charCodeAt(j)) || sql.charCodeAt(j) === 46)) j++;
      statement.end = j;
      lastToken = undefined;
      i = j;
      continue;
    }
    if (c === 40 /* ( */ && lastToken) lastToken.beforeParen = true;
    statement.end = ++i;
    lastToken = undefined;
  }
  finishStatement();
  return { statements };

  function trackRoutineBody(word: string): void {
    if (headWords.length < 4) headWords.push(word);
    const [w0, w1, w2, w3] = headWords;
    const createsRoutine =
      w0 === 'create' &&
      (w1 === 'function' ||
        w1 === 'procedure' ||
        (w1 === 'or' && w2 === 'replace' && (w3 === 'function' || w3 === 'procedure')));
    if (!createsRoutine) return;
    if (word === 'begin') beginDepth++;
    else if (word === 'case' && beginDepth > 0) beginDepth++;
    else if (word === 'end' && beginDepth > 0) beginDepth--;
  }
}

/** Returns the index just past the closing quote, or -1 when the literal never ends. */
function scanQuoted(sql: string, openAt: number, quote: number, backslashEscapes: boolean): number {
  let i = openAt + 1;
  const n = sql.length;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (backslashEscapes && c === BACKSLASH) {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (sql.charCodeAt(i + 1) === quote) {
        i += 2; // doubled quote stands for one
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return -1;
}

/** `$$` or `$tag$` at position i (a tag is an identifier without `$`), else undefined. */
function dollarTagAt(sql: string, i: number): string | undefined {
  let j = i + 1;
  const first = sql.charCodeAt(j);
  if (first === DOLLAR) return '$$';
  if (!isIdentStart(first)) return undefined;
  j++;
  while (j < sql.length) {
    const c = sql.charCodeAt(j);
    if (c === DOLLAR) return sql.slice(i, j + 1);
    if (!(isIdentStart(c) || isDigit(c))) return undefined;
    j++;
  }
  return undefined;
}

/**
 * Compares the placeholders a statement uses with the parameters given; returns the problem in
 * words, or undefined when they match.
 */
export function parameterMismatch(placeholders: readonly number[], given: number): string | undefined {
  if (placeholders.length > 0 && placeholders[0] < 1) {
    return `$${placeholders[0]} is not a parameter: placeholders are numbered from $1`;
  }
  const highest = placeholders.length > 0 ? placeholders[placeholders.length - 1] : 0;
  const were = (count: number) => `${count} parameter${count === 1 ? ' was' : 's were'} given`;
  if (highest === given) {
    if (placeholders.length === highest) return undefined;
    const missing = [];
    for (let k = 1; k <= highest && missing.length < 5; k++) if (!placeholders.includes(k)) missing.push(`$${k}`);
    return `statement uses $1..$${highest} but never ${missing.join(', ')}; every parameter must appear in the statement`;
  }
  if (highest === 0) return `statement uses no parameters but ${were(given)}`;
  const uses = highest === 1 ? '$1' : `$1..$${highest}`;
  return `statement uses ${uses} but ${were(given)}`;
}
