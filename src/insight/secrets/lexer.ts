// A PostgreSQL lexer, just enough to tell a literal from a name: where a password sits in a statement depends on
// it ('reset password' is a string, PASSWORD 'x' a keyword and its value). One pass, each character looked at a
// bounded number of times, so 64 KiB of hostile text costs what its length does.

type TokenKind = 'space' | 'comment' | 'string' | 'dollar' | 'qident' | 'word' | 'param' | 'number' | 'op';

export interface Token {
  kind: TokenKind;
  start: number;
  end: number;
}

const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isWordStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
const isWordPart = (c: number): boolean => isWordStart(c) || isDigit(c) || c === 36;
const DOLLAR_TAG = /\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const TWO_CHAR_OPS = new Set([':=', '=>', '<>', '!=', '<=', '>=', '||', '::']);

/** Where a quoted run that opened at `open` ends (past its closing quote; the text's end when cut). */
function quotedEnd(s: string, open: number, quote: number, backslash: boolean): number {
  for (let i = open + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (backslash && c === 92) i++;
    else if (c === quote) {
      if (s.charCodeAt(i + 1) !== quote) return i + 1;
      i++; // a doubled quote stands for one
    }
  }
  return s.length;
}

export function lex(s: string): Token[] {
  const out: Token[] = [];
  const n = s.length;
  let i = 0;
  while (i < n) {
    const start = i;
    const c = s.charCodeAt(i);
    const d = s.charCodeAt(i + 1);
    let kind: TokenKind;
    if (isSpace(c)) {
      while (i < n && isSpace(s.charCodeAt(i))) i++;
      kind = 'space';
    } else if (c === 45 && d === 45) {
      const nl = s.indexOf('\n', i);
      i = nl === -1 ? n : nl;
      kind = 'comment';
    } else if (c === 47 && d === 42) {
      // Block comments nest in PostgreSQL.
      let depth = 0;
      while (i < n) {
        if (s.charCodeAt(i) === 47 && s.charCodeAt(i + 1) === 42) { depth++; i += 2; }
        else if (s.charCodeAt(i) === 42 && s.charCodeAt(i + 1) === 47) { i += 2; if (--depth === 0) break; }
        else i++;
      }
      kind = 'comment';
    } else if (c === 39) {
      i = quotedEnd(s, i, 39, false);
      kind = 'string';
    } else if ((c === 69 || c === 101) && d === 39) {
      i = quotedEnd(s, i + 1, 39, true); // E'…': backslash escapes
      kind = 'string';
    } else if ((c === 85 || c === 117) && d === 38 && s.charCodeAt(i + 2) === 39) {
      i = quotedEnd(s, i + 2, 39, false); // U&'…'
      kind = 'string';
    } else if (c === 36 && isDigit(d)) {
      i++;
      while (i < n && isDigit(s.charCodeAt(i))) i++;
      kind = 'param';
    } else if (c === 36 && (DOLLAR_TAG.lastIndex = i, DOLLAR_TAG.test(s))) {
      const tag = s.slice(i, DOLLAR_TAG.lastIndex);
      const close = s.indexOf(tag, DOLLAR_TAG.lastIndex);
      i = close === -1 ? n : close + tag.length;
      kind = 'dollar';
    } else if (c === 34) {
      i = quotedEnd(s, i, 34, false);
      kind = 'qident';
    } else if (isWordStart(c)) {
      while (i < n && isWordPart(s.charCodeAt(i))) i++;
      kind = 'word';
    } else if (isDigit(c)) {
      while (i < n && (isDigit(s.charCodeAt(i)) || s.charCodeAt(i) === 46)) i++;
      kind = 'number';
    } else {
      i += TWO_CHAR_OPS.has(s.slice(i, i + 2)) ? 2 : 1;
      kind = 'op';
    }
    out.push({ kind, start, end: i });
  }
  return out;
}

/** The `$tag$` a dollar-quoted token the lexer made starts with. */
function tagOf(raw: string): string {
  DOLLAR_TAG.lastIndex = 0;
  DOLLAR_TAG.test(raw);
  return raw.slice(0, DOLLAR_TAG.lastIndex);
}

/** What a string, dollar-quoted string or quoted name holds, its quoting undone. */
export function contentOf(s: string, t: Token): string {
  const raw = s.slice(t.start, t.end);
  if (t.kind === 'dollar') {
    const tag = tagOf(raw);
    return raw.slice(tag.length, raw.endsWith(tag) && raw.length >= 2 * tag.length ? raw.length - tag.length : raw.length);
  }
  if (t.kind === 'qident') return raw.slice(1, raw.length > 1 && raw.endsWith('"') ? -1 : undefined).replaceAll('""', '"');
  const open = raw.indexOf("'");
  const body = raw.slice(open + 1, raw.length > open + 1 && raw.endsWith("'") ? -1 : undefined);
  const escapes = open === 1 && (raw[0] === 'E' || raw[0] === 'e');
  // An E'' string's other escapes (\n, \\) are kept as written: only the quote's are undone, and redone by quoteLike.
  return escapes ? body.replaceAll("\\'", "'").replaceAll("''", "'") : body.replaceAll("''", "'");
}

/** A string literal holding `content`, quoted as `t` was (a dollar-quoted one keeps its tag). */
export function quoteLike(s: string, t: Token, content: string): string {
  const raw = s.slice(t.start, t.end);
  if (t.kind === 'dollar') {
    const tag = tagOf(raw);
    return tag + content + tag;
  }
  if (t.kind === 'qident') return `"${content.replaceAll('"', '""')}"`;
  const open = raw.indexOf("'");
  const escapes = open === 1 && (raw[0] === 'E' || raw[0] === 'e');
  return `${raw.slice(0, open)}'${escapes ? content.replaceAll("'", "\\'") : content.replaceAll("'", "''")}'`;
}
