// The csvlog format: one CSV record per entry (quoted fields may span lines).
import { BaseParser, SEVERITIES, newEntry, isDigit } from '../entry.ts';
import { parseDateAt, parseLogTime, timeBadZone } from '../time.ts';

/** Does s hold at least n commas? */
function hasCommas(s: string, n: number): boolean {
  for (let i = s.indexOf(','); i !== -1; i = s.indexOf(',', i + 1)) if (--n === 0) return true;
  return n <= 0;
}

/** Count of `"` in s. */
function countQuotes(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i !== -1; i = s.indexOf('"', i + 1)) n++;
  return n;
}

/**
 * One CSV record (RFC 4180: quoted fields may hold `,`, `""` and newlines) to its fields. Lenient:
 * an unterminated quoted field runs to the end.
 */
export function parseCsvRecord(s: string): string[] {
  const fields: string[] = [];
  const n = s.length;
  let i = 0;
  for (;;) {
    if (s.charCodeAt(i) === 34) {
      let out = '';
      let j = i + 1;
      for (;;) {
        const q = s.indexOf('"', j);
        if (q === -1) {
          out += s.slice(j);
          i = n;
          break;
        }
        if (s.charCodeAt(q + 1) === 34) {
          out += s.slice(j, q + 1);
          j = q + 2;
          continue;
        }
        out += s.slice(j, q);
        i = q + 1;
        break;
      }
      fields.push(out);
      if (i >= n) break;
      if (s.charCodeAt(i) === 44) { i++; continue; }
      // Junk after a closing quote: skip to the next comma.
      const c = s.indexOf(',', i);
      if (c === -1) break;
      i = c + 1;
    } else {
      const c = s.indexOf(',', i);
      if (c === -1) {
        fields.push(s.slice(i));
        break;
      }
      fields.push(s.slice(i, c));
      i = c + 1;
    }
  }
  return fields;
}

const opt = (s: string | undefined): string | undefined => (s === undefined || s === '' ? undefined : s);

// csvlog columns (PostgreSQL 13: 24, 14+: 26; only the first 22 matter here).
const C_TIME = 0, C_USER = 1, C_DB = 2, C_PID = 3, C_SEVERITY = 11, C_SQLSTATE = 12, C_MESSAGE = 13, C_DETAIL = 14,
  C_HINT = 15, C_INTERNAL_QUERY = 16, C_CONTEXT = 18, C_QUERY = 19, C_LOCATION = 21;

export class CsvParser extends BaseParser {
  rec = '';
  recLine = 0;
  recLines = 0;
  quotes = 0;
  open = false;
  /** Lines of the open record that look like records of their own: an unbalanced quote is taking them in. */
  swallowed = 0;

  line(text: string, lineNo: number, _truncated: boolean, droppedQuotes: number): void {
    if (!this.open) {
      this.open = true;
      this.rec = text;
      this.recLine = lineNo;
      this.recLines = 1;
      this.quotes = countQuotes(text) + droppedQuotes;
    } else {
      this.recLines++;
      if (isDigit(text.charCodeAt(0)) && opensField(text) && looksLikeCsvlog(text)) this.swallowed++;
      this.quotes += countQuotes(text) + droppedQuotes;
      if (this.rec.length < this.maxLen) {
        const s = this.rec + '\n' + text;
        if (s.length > this.maxLen) {
          this.stats.truncatedLines++;
          this.rec = s.slice(0, this.maxLen);
        } else this.rec = s;
      }
    }
    if ((this.quotes & 1) === 0) this.finish();
  }

  /**
   * Record-like lines taken into this record's quoted field: raw records, their first quote single (PostgreSQL
   * doubles every quote of a field, so log text quoted on purpose starts with doubled ones). Counted over the file: after an
   * unbalanced quote each record read is misaligned and takes in the next one's start.
   */
  private noteSwallowed(): void {
    if (this.swallowed > 0) {
      if (this.stats.swallowedRecords === 0) this.stats.swallowedAt = this.recLine;
      this.stats.swallowedRecords += this.swallowed;
    }
    this.swallowed = 0;
  }

  finish(): void {
    this.open = false;
    this.noteSwallowed();
    // Fewer than C_MESSAGE commas: fewer fields than a record has, whatever the quotes, so no entry; not split
    // into fields (a file of short lines that are not csvlog read at a quarter of a real one's speed).
    const f = hasCommas(this.rec, C_MESSAGE) ? parseCsvRecord(this.rec) : [];
    const sev = f[C_SEVERITY];
    const severity = f.length > C_MESSAGE && sev !== undefined ? SEVERITIES.get(sev) : undefined;
    if (severity === undefined) {
      this.unparsed(this.rec, this.recLine, this.recLines);
      this.rec = '';
      return;
    }
    const ts = f[C_TIME] ?? '';
    const ms = parseDateAt(ts, 0, ts.length);
    if (ms !== ms) this.noteBadZone(timeBadZone);
    const e = newEntry(severity, f[C_MESSAGE] ?? '', ms, this.file, this.recLine);
    const pid = Number(f[C_PID]);
    e.pid = f[C_PID] && Number.isInteger(pid) ? pid : undefined;
    e.user = opt(f[C_USER]);
    e.database = opt(f[C_DB]);
    e.sqlstate = opt(f[C_SQLSTATE]);
    e.detail = opt(f[C_DETAIL]);
    e.hint = opt(f[C_HINT]);
    e.query = opt(f[C_INTERNAL_QUERY]);
    e.context = opt(f[C_CONTEXT]);
    e.statement = opt(f[C_QUERY]);
    e.location = opt(f[C_LOCATION]);
    this.rec = '';
    this.emit(e);
  }

  end(): void {
    // A record still open at the end: parse what there is (a file fetched while being written ends so).
    if (this.open) this.finish();
  }
}

/**
 * The line's first run of `"` is odd: a record as written, where a field opens (`,"app",`, or `,"""public.t""`
 * for a message that starts with a quoted name), not one quoted inside a field, whose quotes PostgreSQL doubles
 * (`,""app"",`). Only the first: the last line of a quoted field goes on with the record's own closing quote
 * and fields.
 */
function opensField(s: string): boolean {
  let i = s.indexOf('"');
  if (i === -1) return false;
  let run = 0;
  while (s.charCodeAt(i++) === 34) run++;
  return (run & 1) === 1;
}

/** Is this line the start of a csvlog record? */
export function looksLikeCsvlog(text: string): boolean {
  if (!isDigit(text.charCodeAt(0))) return false;
  const f = parseCsvRecord(text);
  const sev = f[C_SEVERITY];
  return f.length > C_MESSAGE && sev !== undefined && SEVERITIES.has(sev) && parseLogTime(f[C_TIME] ?? '') !== undefined;
}
