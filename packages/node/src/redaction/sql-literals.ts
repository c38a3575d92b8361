export interface SqlDialect {
  /** MySQL/MariaDB: "…" is a string and backslash escapes inside strings. */
  readonly mysql: boolean;
}

const IDENT = /[\p{L}\p{N}_$]/u;
const DIGIT = /[0-9]/;

/**
 * Replaces every literal of a SQL text with `?`, the way OpenTelemetry's database conventions
 * sanitize `db.query.text`: string literals ('…', with an E/N/B/X prefix, $tag$…$tag$, and "…"
 * on MySQL), and numeric literals (42, 4.2, .5, 1e3, 0x1F) that are not part of a name.
 * Names ("quoted" outside MySQL, `backticked`), keywords (NULL, TRUE), parameters ($1, ?, :name)
 * and comments are kept.
 */
export function replaceSqlLiterals(sql: string, dialect: SqlDialect): string {
  let out = '';
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const to = end === -1 ? n : end;
      out += sql.slice(i, to);
      i = to;
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      const to = end === -1 ? n : end + 2;
      out += sql.slice(i, to);
      i = to;
    } else if (c === "'" || (c === '"' && dialect.mysql)) {
      const prefix = /(?:^|[^\p{L}\p{N}_$])([EeNnBbXx])$/u.exec(out);
      const backslashEscapes = dialect.mysql || (prefix !== null && (prefix[1] === 'E' || prefix[1] === 'e'));
      if (prefix) out = out.slice(0, -1);
      i = endOfQuoted(sql, i, c, backslashEscapes);
      out += '?';
    } else if (c === '"' || c === '`') {
      const to = endOfQuoted(sql, i, c, false);
      out += sql.slice(i, to);
      i = to;
    } else if (c === '$' && next !== undefined && !DIGIT.test(next)) {
      const tag = /^\$([\p{L}_][\p{L}\p{N}_]*)?\$/u.exec(sql.slice(i, i + 64));
      if (tag && (i === 0 || !IDENT.test(sql[i - 1]))) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        i = end === -1 ? n : end + tag[0].length;
        out += '?';
      } else {
        out += c;
        i++;
      }
    } else if ((DIGIT.test(c) || (c === '.' && next !== undefined && DIGIT.test(next))) && (i === 0 || !IDENT.test(sql[i - 1]))) {
      const num = /^(?:0[xX][0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+\.)/.exec(sql.slice(i, i + 64));
      const len = num ? num[0].length : 1;
      // a number glued to letters (`1abc`) is a name in some dialects: keep it
      if (i + len < n && /[\p{L}_$]/u.test(sql[i + len])) {
        out += sql.slice(i, i + len);
      } else {
        out += '?';
      }
      i += len;
    } else if (IDENT.test(c)) {
      let j = i + 1;
      while (j < n && IDENT.test(sql[j])) j++;
      out += sql.slice(i, j);
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Index just past the closing `quote` of the quoted run starting at `start` (doubled quotes are escapes). */
function endOfQuoted(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslashEscapes && c === '\\') {
      i += 2;
    } else if (c === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return sql.length;
}
