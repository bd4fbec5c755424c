// The stderr format: `<log_line_prefix><SEVERITY>:  <message>` with any common prefix, plus
// tab-indented continuation lines.
import { BaseParser, SEVERITIES, newEntry, isContinuation, d, isDigit, isUpperOrDigit, isAlnum } from '../entry.ts';
import type { LogEntry, Severity, ContinuationSeverity } from '../entry.ts';
import { parseDateAt, parseEpochAt, timeEnd, timeBadZone } from '../time.ts';

// ---------------------------------------------------------------------------------------------
// stderr prefixes

export interface PrefixInfo {
  /** Epoch ms, NaN when none. */
  ms: number;
  pid: number | undefined;
  user: string | undefined;
  database: string | undefined;
  /** Zone abbreviation that made the time unreadable, '' when none. */
  badZone: string;
}

const USER_STOP = new Set([32, 58, 60, 62, 44, 124, 9, 40, 41, 61]); // space : < > , | tab ( ) =
const DB_STOP = new Set([32, 58, 60, 62, 44, 124, 9, 41]); //            space : < > , | tab )

function cleanName(s: string): string | undefined {
  return s === '' || s === '[unknown]' ? undefined : s;
}

/**
 * What the text before the severity (`text[0, end)`) tells: a timestamp (`%t`, `%m`, `%n`) anywhere
 * in it, the pid (`[%p]`, `[%p-%l]`, `:[%p]:`), and user and database (`%u@%d`, or `user=%u`
 * and `db=%d` as pgBadger suggests). Works for any order of those escapes.
 */
export function parsePrefix(text: string, end: number = text.length): PrefixInfo {
  // Time: the first run of digits that starts a date or an epoch stamp.
  let ms = NaN;
  let badZone = '';
  let afterTime = 0;
  for (let i = 0; i < end; i++) {
    if (!isDigit(text.charCodeAt(i)) || (i > 0 && isDigit(text.charCodeAt(i - 1)))) continue;
    ms = parseDateAt(text, i, end);
    if (ms === ms) { afterTime = timeEnd; break; }
    if (timeBadZone !== '') { badZone = timeBadZone; afterTime = i + 19; break; }
    ms = parseEpochAt(text, i, end);
    if (ms === ms) { afterTime = timeEnd; break; }
  }
  // Pid: "[digits]" or "[digits-".
  let pid: number | undefined;
  for (let b = text.indexOf('[', afterTime); b !== -1 && b < end; b = text.indexOf('[', b + 1)) {
    let j = b + 1;
    let n = 0;
    while (j < end && isDigit(text.charCodeAt(j)) && j - b <= 10) n = n * 10 + d(text, j++);
    if (j > b + 1 && (text.charCodeAt(j) === 93 || text.charCodeAt(j) === 45)) {
      pid = n;
      break;
    }
  }
  // user@database
  let user: string | undefined;
  let database: string | undefined;
  const at = text.indexOf('@', afterTime);
  if (at !== -1 && at < end) {
    let u = at;
    while (u > afterTime && !USER_STOP.has(text.charCodeAt(u - 1))) u--;
    let v = at + 1;
    while (v < end && !DB_STOP.has(text.charCodeAt(v))) v++;
    user = cleanName(text.slice(u, at));
    database = cleanName(text.slice(at + 1, v));
  } else {
    const ui = text.indexOf('user=', afterTime);
    if (ui !== -1 && ui < end) {
      let v = ui + 5;
      while (v < end && !DB_STOP.has(text.charCodeAt(v))) v++;
      user = cleanName(text.slice(ui + 5, v));
    }
    const di = text.indexOf('db=', afterTime);
    if (di !== -1 && di < end) {
      let v = di + 3;
      while (v < end && !DB_STOP.has(text.charCodeAt(v))) v++;
      database = cleanName(text.slice(di + 3, v));
    }
  }
  return { ms, pid, user, database, badZone };
}

/** Longest prefix (before the severity) we look through. */
const MAX_PREFIX = 1024;

/**
 * Where the severity of a stderr line starts: PostgreSQL writes `<prefix><SEVERITY>:  <message>`
 * (two spaces). Returns the severity and sets `sevStart`/`sevColon`; undefined when the line is not
 * a prefixed log line.
 */
let sevStart = 0;
let sevColon = 0;
function findSeverity(text: string): Severity | undefined {
  let colon = text.indexOf(':  ');
  for (let tries = 0; colon !== -1 && colon <= MAX_PREFIX + 9 && tries < 4; tries++) {
    let s = colon;
    while (s > 0 && colon - s < 10 && isUpperOrDigit(text.charCodeAt(s - 1))) s--;
    if (colon - s >= 3 && (s === 0 || !isAlnum(text.charCodeAt(s - 1)))) {
      const sev = SEVERITIES.get(text.slice(s, colon));
      if (sev !== undefined) {
        sevStart = s;
        sevColon = colon;
        return sev;
      }
    }
    colon = text.indexOf(':  ', colon + 1);
  }
  return undefined;
}

/** Is this line (the first non-empty one of a file) a stderr log line? For tests and detection. */
export function looksLikeStderr(text: string): boolean {
  return findSeverity(text) !== undefined;
}
const FIELD_MESSAGE = 0;
type Field = 0 | 1 | 2 | 3 | 4 | 5 | 6;
const FIELD_OF: Record<ContinuationSeverity, Field> = { DETAIL: 1, HINT: 2, STATEMENT: 3, CONTEXT: 4, QUERY: 5, LOCATION: 6 };

export class StderrParser extends BaseParser {
  cur: LogEntry | undefined;
  field: Field = FIELD_MESSAGE;
  // The last prefix seen and what it said: an entry's lines all share one prefix.
  lastPrefix = '';
  lastInfo: PrefixInfo = { ms: NaN, pid: undefined, user: undefined, database: undefined, badZone: '' };

  line(text: string, lineNo: number): void {
    if (text.charCodeAt(0) === 9) {
      // Continuation of a multi-line message, detail or statement: PostgreSQL indents it with a tab.
      if (this.cur !== undefined) this.append(text.slice(1));
      else this.unparsed(text, lineNo);
      return;
    }
    const sev = findSeverity(text);
    if (sev === undefined) {
      this.unparsed(text, lineNo);
      return;
    }
    const start = sevStart;
    let info = this.lastInfo;
    if (!(start === this.lastPrefix.length && text.startsWith(this.lastPrefix))) {
      info = parsePrefix(text, start);
      if (info.badZone !== '') this.noteBadZone(info.badZone);
      this.lastPrefix = text.slice(0, start);
      this.lastInfo = info;
    }
    let message = text.slice(sevColon + 3);
    const cur = this.cur;
    if (isContinuation(sev)) {
      if (cur !== undefined && (cur.pid === undefined || info.pid === undefined || cur.pid === info.pid)) {
        this.field = FIELD_OF[sev];
        this.set(this.field, message);
        return;
      }
      // An orphan (its entry is not in this file): keep it as an entry of its own.
    }
    if (cur !== undefined) this.emit(cur);
    let sqlstate: string | undefined;
    if (!isContinuation(sev) && message.length > 7 && message.charCodeAt(5) === 58 && message.charCodeAt(6) === 32 &&
      isUpperOrDigit(message.charCodeAt(0)) && isUpperOrDigit(message.charCodeAt(1)) && isUpperOrDigit(message.charCodeAt(2)) &&
      isUpperOrDigit(message.charCodeAt(3)) && isUpperOrDigit(message.charCodeAt(4))) {
      // log_error_verbosity = verbose: "ERROR:  42P01: relation ..."
      sqlstate = message.slice(0, 5);
      message = message.slice(7);
    }
    const e = newEntry(sev, message, info.ms, this.file, lineNo);
    e.pid = info.pid;
    e.user = info.user;
    e.database = info.database;
    e.sqlstate = sqlstate;
    this.cur = e;
    this.field = isContinuation(sev) ? FIELD_OF[sev] : FIELD_MESSAGE;
    if (isContinuation(sev)) {
      // Keep the text where it belongs too, so an orphaned STATEMENT still has its statement.
      this.set(this.field, message);
    }
  }

  set(field: Field, text: string): void {
    const e = this.cur!;
    switch (field) {
      case 0: e.message = this.join(e.message, text); break;
      case 1: e.detail = this.join(e.detail, text); break;
      case 2: e.hint = this.join(e.hint, text); break;
      case 3: e.statement = this.join(e.statement, text); break;
      case 4: e.context = this.join(e.context, text); break;
      case 5: e.query = this.join(e.query, text); break;
      case 6: e.location = this.join(e.location, text); break;
    }
  }

  /** A tab-indented line continues the field the last line was in. */
  append(text: string): void {
    this.set(this.field, text);
  }

  end(): void {
    if (this.cur !== undefined) this.emit(this.cur);
    this.cur = undefined;
  }
}
