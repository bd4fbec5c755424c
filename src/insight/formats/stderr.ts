// The stderr format: `<log_line_prefix><SEVERITY>:  <message>` with any common prefix, plus
// tab-indented continuation lines.
import { BaseParser, MessageStarts, SAMPLES, BYTE_WORDS, TEXT_WORDS, SEVERITIES, newEntry, isContinuation, d, isDigit, isUpperOrDigit, isAlnum, latin1, wordBefore, wordSeverity } from '../entry.ts';
import { isSqlstate } from '../kinds.ts';
import type { LogEntry, Severity, ContinuationSeverity } from '../entry.ts';
import { DATE_DIGITS, parseDateAt, parseEpochAt, timeEnd, timeBadZone, zoneMinutesAt } from '../time.ts';
import { LogScanner } from './log-scan.ts';

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
  /** Where the time starts in the prefix (-1: none found), and whether it is an epoch stamp (`%n`). */
  timeAt: number;
  epoch: boolean;
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
export function parsePrefix(line: string, end: number = line.length): PrefixInfo {
  // The prefix alone: every search below ends with it (the line path passes the whole line).
  const text = end < line.length ? line.slice(0, end) : line;
  // Time: the first run of digits that starts a date or an epoch stamp.
  let ms = NaN;
  let badZone = '';
  let afterTime = 0;
  let timeAt = -1;
  let epoch = false;
  for (let i = 0; i < end; i++) {
    if (!isDigit(text.charCodeAt(i)) || (i > 0 && isDigit(text.charCodeAt(i - 1)))) continue;
    ms = parseDateAt(text, i, end);
    if (ms === ms) { afterTime = timeEnd; timeAt = i; break; }
    if (timeBadZone !== '') { badZone = timeBadZone; afterTime = i + 19; break; }
    ms = parseEpochAt(text, i, end);
    if (ms === ms) { afterTime = timeEnd; timeAt = i; epoch = true; break; }
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
  // `user=%u` and `db=%d` (pgBadger's suggestion) when the prefix has them: an application name after them may hold
  // an '@' (deploy@v2.3). Else `%u@%d`, split at the token's last '@': a role may hold one (alice@corp.example, a
  // Kerberos principal), a database name hardly ever.
  let user: string | undefined;
  let database: string | undefined;
  const at = text.indexOf('@', afterTime);
  const ui = text.indexOf('user=', afterTime);
  if (at !== -1 && ui === -1) {
    let u = at;
    while (u > afterTime && !USER_STOP.has(text.charCodeAt(u - 1))) u--;
    // `%u@%d/%a` ends the database at the '/' (an application name after it may hold an '@').
    let v = at + 1;
    let last = at;
    for (let c = text.charCodeAt(v); v < end && c !== 47 && !DB_STOP.has(c); c = text.charCodeAt(++v)) if (c === 64) last = v;
    user = cleanName(text.slice(u, last));
    database = cleanName(text.slice(last + 1, v));
  } else {
    if (ui !== -1) {
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
  return { ms, pid, user, database, badZone, timeAt, epoch };
}

/**
 * The first `:  ` in `s` at or after `from`, -1 when none. Searching for the two spaces is faster:
 * prefixes have many colons (times, `%r`, RDS's separators) and few double spaces.
 */
function nextColon(s: string, from: number): number {
  let p = s.indexOf('  ', from + 1);
  for (let k = 0; p !== -1; k++) {
    if (s.charCodeAt(p - 1) === 58) return p - 1;
    // Many double spaces that follow no colon (not a log): search for the colon itself.
    if (k === 8) return s.indexOf(':  ', p);
    p = s.indexOf('  ', p + 1);
  }
  return -1;
}

/** Can this byte be part of a severity word, or stand right before one? Then the word after it is not the whole word. */
const isWordByte = (c: number): boolean => BYTE_WORDS.chars[c] === 1 || isAlnum(c);

/**
 * The severity words written in ASCII capitals and digits (PostgreSQL's own, and the translations' that are), by their
 * last byte: the bytes before a colon are compared with these first, before a lookup by string. LOG, most lines,
 * comes first in its list.
 */
const ASCII_WORDS: Array<Array<[Uint8Array, Severity]> | undefined> = [];
for (const [word, sev] of [['LOG', 'LOG'] as const, ...[...SEVERITIES].filter(([w]) => w !== 'LOG')]) {
  if (!/^[A-Z0-9]+$/.test(word)) continue;
  (ASCII_WORDS[word.charCodeAt(word.length - 1)] ??= []).push([Buffer.from(word, 'latin1'), sev]);
}
/** Set by asciiWordBefore: the severity of the word it found. */
let asciiSeverity: Severity = 'LOG';

/**
 * Where the ASCII severity word that ends right at `colon` starts, when no word byte stands before it (-1: none):
 * what wordBefore would find there, without making a string.
 */
function asciiWordBefore(buf: Buffer, start: number, colon: number): number {
  const list = ASCII_WORDS[buf[colon - 1]!];
  if (list === undefined) return -1;
  for (let i = 0; i < list.length; i++) {
    const [word, sev] = list[i]!;
    const at = colon - word.length;
    if (at < start) continue;
    let k = 0;
    while (k < word.length && buf[at + k] === word[k]) k++;
    if (k === word.length && (at === start || !isWordByte(buf[at - 1]!))) {
      asciiSeverity = sev;
      return at;
    }
  }
  return -1;
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
    const s = wordBefore(TEXT_WORDS, text, 0, colon);
    if (s !== -1) {
      sevStart = s;
      sevColon = colon;
      return wordSeverity;
    }
    colon = text.indexOf(':  ', colon + 1);
  }
  return undefined;
}

/** Is this line (the first non-empty one of a file) a stderr log line? For tests and detection. */
export function looksLikeStderr(text: string): boolean {
  return findSeverity(text) !== undefined;
}
const EMPTY = Buffer.alloc(0);
const FIELD_MESSAGE = 0;
type Field = 0 | 1 | 2 | 3 | 4 | 5 | 6;
const FIELD_OF: Record<ContinuationSeverity, Field> = { DETAIL: 1, HINT: 2, STATEMENT: 3, CONTEXT: 4, QUERY: 5, LOCATION: 6 };

export class StderrParser extends BaseParser {
  cur: LogEntry | undefined;
  field: Field = FIELD_MESSAGE;
  // The last prefix seen and what it said: an entry's lines all share one prefix.
  lastPrefix = '';
  lastInfo: PrefixInfo = { ms: NaN, pid: undefined, user: undefined, database: undefined, badZone: '', timeAt: -1, epoch: false };

  // The fast path (lineAt) works on bytes and decodes only the lines of kept severities.
  /** Current entry is one that is only counted (not kept); its line is ghostBuf[ghostStart, ghostSev). */
  ghost = false;
  ghostBuf: Buffer = EMPTY;
  ghostStart = 0;
  ghostSev = 0;
  ghostPidKnown = false;
  ghostPidValue: number | undefined;
  /** The next `:  ` in colonBuf at or after the current line (-1: none left). */
  colonBuf: Buffer = EMPTY;
  colonAt = -1;
  /** Where the last prefix had its time; the text before it (all non-digits), to check it is the same. */
  timeAt = -1;
  timeEpoch = false;
  beforeTime = '';
  /** The second of the last time (19 bytes as five 32-bit words, the last overlapping) and its epoch ms. */
  second = [-1, -1, -1, -1, -1];
  secondMs = 0;
  /** The bytes between the seconds (or fraction) and the end of the zone, and the zone's offset in ms. */
  zone: Buffer = EMPTY;
  zoneMs = 0;
  /** The zone is numeric (`+02`): then a `:` after it would have been read as part of it. */
  zoneNumeric = false;
  dv: DataView = new DataView(new ArrayBuffer(0));
  dvBuf: Buffer = EMPTY;
  /** The bytes of the last prefix prefixAt read: the first lastPrefixLen of a buffer kept for them (no allocation per prefix). */
  lastPrefixBytes: Buffer = Buffer.allocUnsafe(256);
  lastPrefixLen = -1;
  lastBytesInfo: PrefixInfo = this.lastInfo;
  /** keepWhen, made once for hinted() and the scanner. */
  readonly starts = new MessageStarts(this.keepWhen);
  readonly keepsLog = this.keep === undefined || this.keep.has('LOG');
  /** Counts runs of LOG lines in WebAssembly when LOG is only counted (created on the first piece). */
  scanner: LogScanner | undefined;
  /** Set by severityAt. */
  sevAt = 0;
  colonOf = 0;

  override lineAt(buf: Buffer, s: string, start: number, end: number, lineNo: number): void {
    // NUL bytes before a line (what a crash or a power loss leaves in a log file): the line after them is read.
    if (buf[start] === 0) {
      let i = start;
      while (i < end && buf[i] === 0) i++;
      if (i < end) start = i;
    }
    if (buf[start] === 9) {
      if (this.ghost) return; // continues an entry that is only counted
      if (this.cur !== undefined) this.append(this.text(buf, s, start + 1, end));
      else this.unparsedAt(buf, start, end, lineNo);
      return;
    }
    const sev = this.severityAt(buf, s, start, end);
    if (sev === undefined) {
      this.unparsedAt(buf, start, end, lineNo);
      return;
    }
    // LOG, most lines, is not kept by the digest: then straight on to counting.
    if (sev !== 'LOG' || this.keepsLog) {
      if (isContinuation(sev)) {
        if (this.ghost) {
          const a = this.ghostPid();
          const b = this.pidAt(s, start, this.sevAt);
          if (a === undefined || b === undefined || a === b) return; // belongs to the counted entry
        }
        this.ghost = false;
        // Belongs to a kept entry, or an orphan: entryLine decides.
        if (this.cur !== undefined || this.keep === undefined || this.keep.has(sev)) {
          this.entryLine(sev, this.prefixAt(buf, s, start, this.sevAt), this.text(buf, s, this.colonOf + 3, end), lineNo);
          return;
        }
      } else if (this.keep === undefined || this.keep.has(sev)) {
        this.ghost = false;
        this.entryLine(sev, this.prefixAt(buf, s, start, this.sevAt), this.text(buf, s, this.colonOf + 3, end), lineNo);
        return;
      }
    }
    if (this.keepWhen.length > 0 && this.hinted(buf, this.colonOf + 3, end)) {
      this.ghost = false;
      this.entryLine(sev, this.prefixAt(buf, s, start, this.sevAt), this.text(buf, s, this.colonOf + 3, end), lineNo);
      return;
    }
    // An entry that is only counted.
    if (this.cur !== undefined) {
      this.emit(this.cur);
      this.cur = undefined;
    }
    this.ghost = true;
    this.ghostBuf = buf;
    this.ghostStart = start;
    this.ghostSev = this.sevAt;
    this.ghostPidKnown = false;
    this.count(sev, this.timeOf(buf, s, start, this.sevAt));
  }

  /** Can scanLines count lines here? Only when LOG lines are counted, not kept. */
  override get scans(): boolean {
    return !this.keepsLog;
  }

  /** The next piece scanLines reads. */
  override loadPiece(buf: Buffer): void {
    this.scanner ??= new LogScanner(this.starts);
    this.scanner.load(buf);
  }

  /**
   * Counts lines from `from` on in the piece (`len` bytes, loaded by loadPiece) as lineAt would, in WebAssembly,
   * up to the first line lineAt must read; returns where that is and sets `scanned`. The lines: LOG lines only
   * counted, and the DETAIL and tab lines of the entry last counted; once the samples are kept, empty lines;
   * once the foreign-format checks are done too, lines that are not log lines and tab lines that continue no
   * entry. Does what lineAt does for those lines: a LOG line ends the current entry, and the last one counted
   * is the one later DETAIL lines may belong to.
   */
  override scanLines(buf: Buffer, from: number, len: number): number {
    this.scanned = 0;
    const sc = this.scanner!;
    const timed = this.timeAt >= 0 && !this.timeEpoch;
    // The counted entry's prefix, where it is in this piece (its line may be a view of it, or of another piece).
    let gFrom = -1;
    let gTo = -1;
    const g = this.ghostBuf;
    if (this.ghost && g.buffer === buf.buffer) {
      const o = g.byteOffset - buf.byteOffset;
      if (o >= 0 && o + this.ghostSev <= from) {
        gFrom = o + this.ghostStart;
        gTo = o + this.ghostSev;
      }
    }
    const samplesFull = this.stats.unparsedSamples.length >= SAMPLES;
    const next = sc.scan(from, len, this.maxLen, timed, this.beforeTime, this.zone, this.zoneMs, this.zoneNumeric, this.since, this.ghost,
      samplesFull && !this.checksForeign(), gFrom, gTo, this.cur === undefined, samplesFull);
    const r = sc.run;
    this.stopNl = r.stopNl;
    if (next === from) return from;
    this.scanned = r.lines;
    this.stats.unparsedLines += r.unparsed;
    if (r.n === 0) return next; // no LOG line: the current entry (or the one counted) goes on
    if (this.cur !== undefined) {
      this.emit(this.cur);
      this.cur = undefined;
    }
    this.ghost = true;
    this.ghostBuf = buf;
    this.ghostStart = r.lastStart;
    this.ghostSev = r.lastSev;
    this.ghostPidKnown = false;
    this.countRun('LOG', r.n, r.before, r.minMs, r.maxMs);
    return next;
  }

  /** The counted entry's prefix, the one view of a piece kept from one piece to the next, becomes a copy. */
  override copyOutOfPieces(): void {
    // Once a chunk (up to 1 MiB) is read: copying a prefix again that is already a copy costs nothing to speak of.
    if (!this.ghost) this.ghostBuf = EMPTY;
    else {
      this.ghostBuf = Buffer.from(this.ghostBuf.subarray(this.ghostStart, this.ghostSev));
      this.ghostSev -= this.ghostStart;
      this.ghostStart = 0;
    }
  }

  /** Does the message buf[from, end) start with one of keepWhen? */
  hinted(buf: Buffer, from: number, end: number): boolean {
    // log_error_verbosity = verbose: the message starts after its SQLSTATE ("00000: database system was ...").
    if (end - from > 7 && buf[from + 5] === 58 && buf[from + 6] === 32 && isUpperOrDigit(buf[from]!) && isUpperOrDigit(buf[from + 1]!) &&
      isUpperOrDigit(buf[from + 2]!) && isUpperOrDigit(buf[from + 3]!) && isUpperOrDigit(buf[from + 4]!) && isSqlstate(latin1(buf, from, from + 5))) from += 7;
    return this.starts.at(buf, from, end);
  }

  /** The severity of the line `s[start, end)` (bytes as latin1); sets sevAt and colonOf. */
  severityAt(buf: Buffer, s: string, start: number, end: number): Severity | undefined {
    let colon = this.colonAt;
    // Compared by identity: two strings would be compared by content.
    if (this.colonBuf !== buf || (colon !== -1 && colon < start)) {
      colon = nextColon(s, start);
      this.colonBuf = buf;
      this.colonAt = colon;
    }
    for (let tries = 0; colon !== -1 && colon < end && colon - start <= MAX_PREFIX + 9 && tries < 4; tries++) {
      const a = asciiWordBefore(buf, start, colon);
      if (a !== -1) {
        this.sevAt = a;
        this.colonOf = colon;
        return asciiSeverity;
      }
      const w = wordBefore(BYTE_WORDS, s, start, colon);
      if (w !== -1) {
        this.sevAt = w;
        this.colonOf = colon;
        return wordSeverity;
      }
      colon = nextColon(s, colon + 1);
      this.colonAt = colon;
    }
    return undefined;
  }

  /**
   * The time in the prefix `buf[start, sevAt)`, as parsePrefix reads it. Fast when it sits where the
   * last one did, in the same second and zone: then only the bytes are compared (as 32-bit words).
   */
  timeOf(buf: Buffer, s: string, start: number, sevAt: number): number {
    const at = this.timeAt;
    if (at >= 0 && (at === 0 || s.startsWith(this.beforeTime, start))) {
      const p = start + at;
      if (this.timeEpoch) {
        const ms = parseEpochAt(s, p, sevAt);
        if (ms === ms) return ms;
      } else if (p + 20 <= sevAt) {
        let dv = this.dv;
        if (this.dvBuf !== buf) {
          dv = this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
          this.dvBuf = buf;
        }
        const w = this.second;
        if ((dv.getUint32(p) === w[0] && dv.getUint32(p + 4) === w[1] && dv.getUint32(p + 8) === w[2] &&
          dv.getUint32(p + 12) === w[3] && dv.getUint32(p + 15) === w[4]) || this.nextSecond(dv, buf, p)) {
          let j = p + 19;
          let frac = 0;
          if (buf[j] === 46 && isDigit(buf[j + 1]!)) {
            j++;
            let scale = 100;
            while (j < sevAt && isDigit(buf[j]!)) {
              frac += (buf[j]! - 48) * scale;
              scale /= 10;
              j++;
            }
            frac = Math.floor(frac);
          }
          const z = this.zone;
          let k = 0;
          while (k < z.length && buf[j + k] === z[k]) k++;
          const after = j + k < sevAt ? buf[j + k]! : 32;
          // A numeric zone, a colon and what could be its minutes: parseDateAt decides (see zoneMinutesAt).
          if (k === z.length && !isAlnum(after) && !(after === 58 && this.zoneNumeric && zoneMinutesAt(s, j + k + 1, sevAt))) return this.secondMs + frac - this.zoneMs;
        }
      }
    }
    const prefix = s.slice(start, sevAt);
    const info = this.prefixOf(prefix);
    this.timeAt = -1;
    if (info.timeAt >= 0) {
      const before = prefix.slice(0, info.timeAt);
      // Only when nothing before the time could start a date: then the same text before means the same place.
      if (!/\d/.test(before)) {
        this.timeAt = info.timeAt;
        this.timeEpoch = info.epoch;
        this.beforeTime = before;
        if (!info.epoch) this.learnSecond(buf, start + info.timeAt, prefix, info.timeAt, info.ms);
      }
    }
    return info.ms;
  }

  /**
   * A new second at buf[p] (`YYYY-MM-DD HH:MM:SS`, checked as parseDateAt checks it) becomes the one
   * remembered; the zone after it is still compared by the caller. Saves re-reading the whole prefix
   * once a second.
   */
  nextSecond(dv: DataView, buf: Buffer, p: number): boolean {
    for (let k = 0; k < DATE_DIGITS.length; k++) if (!isDigit(buf[p + DATE_DIGITS[k]!]!)) return false;
    const sep = buf[p + 10];
    if (buf[p + 4] !== 45 || buf[p + 7] !== 45 || buf[p + 13] !== 58 || buf[p + 16] !== 58 || (sep !== 32 && sep !== 84)) return false;
    const n = (i: number): number => (buf[p + i]! - 48) * 10 + buf[p + i + 1]! - 48;
    const month = n(5);
    const day = n(8);
    const hour = n(11);
    const min = n(14);
    const sec = n(17);
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) return false;
    this.secondMs = Date.UTC(n(0) * 100 + n(2), month - 1, day, hour, min, sec);
    this.second = [dv.getUint32(p), dv.getUint32(p + 4), dv.getUint32(p + 8), dv.getUint32(p + 12), dv.getUint32(p + 15)];
    return true;
  }

  /** Remembers the second and zone of the time at buf[p] (prefix[at]), which parsed to `ms`. */
  learnSecond(buf: Buffer, p: number, prefix: string, at: number, ms: number): void {
    if (p + 20 > buf.length) {
      this.timeAt = -1;
      return;
    }
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.second = [dv.getUint32(p), dv.getUint32(p + 4), dv.getUint32(p + 8), dv.getUint32(p + 12), dv.getUint32(p + 15)];
    const n = (i: number): number => (prefix.charCodeAt(at + i) - 48) * 10 + prefix.charCodeAt(at + i + 1) - 48;
    this.secondMs = Date.UTC(n(0) * 100 + n(2), n(5) - 1, n(8), n(11), n(14), n(17));
    let j = at + 19;
    let frac = 0;
    if (prefix.charCodeAt(j) === 46 && isDigit(prefix.charCodeAt(j + 1))) {
      j++;
      let scale = 100;
      while (isDigit(prefix.charCodeAt(j))) {
        frac += (prefix.charCodeAt(j) - 48) * scale;
        scale /= 10;
        j++;
      }
      frac = Math.floor(frac);
    }
    parseDateAt(prefix, at, prefix.length);
    this.zone = Buffer.from(prefix.slice(j, timeEnd), 'latin1');
    this.zoneMs = this.secondMs + frac - ms;
    this.zoneNumeric = isDigit(this.zone.at(-1) ?? 0);
  }

  /** parsePrefix, with an unknown zone noted in the statistics: every prefix the parser reads goes through here. */
  prefixOf(text: string, end?: number): PrefixInfo {
    const info = parsePrefix(text, end);
    if (info.badZone !== '') this.noteBadZone(info.badZone);
    return info;
  }

  /** The pid in the prefix `s[start, sevAt)`. */
  pidAt(s: string, start: number, sevAt: number): number | undefined {
    return this.prefixOf(s.slice(start, sevAt)).pid;
  }

  ghostPid(): number | undefined {
    if (this.ghostPidKnown) return this.ghostPidValue;
    this.ghostPidKnown = true;
    return (this.ghostPidValue = this.prefixOf(latin1(this.ghostBuf, this.ghostStart, this.ghostSev)).pid);
  }

  override blank(n: number, lineNo: number): void {
    this.blankUnparsed(n, lineNo);
  }

  line(text: string, lineNo: number, _truncated = false, _droppedQuotes = 0): void {
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
      info = this.prefixOf(text, start);
      this.lastPrefix = text.slice(0, start);
      this.lastInfo = info;
    }
    this.entryLine(sev, info, text.slice(sevColon + 3), lineNo);
  }

  /** The prefix `buf[start, sevAt)` read as parsePrefix does; the last one is remembered by its bytes. */
  prefixAt(buf: Buffer, s: string, start: number, sevAt: number): PrefixInfo {
    let last = this.lastPrefixBytes;
    const n = sevAt - start;
    if (n === this.lastPrefixLen) {
      let k = n - 1;
      while (k >= 0 && buf[start + k] === last[k]) k--;
      if (k < 0) return this.lastBytesInfo;
    }
    const info = this.prefixOf(this.text(buf, s, start, sevAt));
    if (n > last.length) last = this.lastPrefixBytes = Buffer.allocUnsafe(Math.max(n, 2 * last.length));
    buf.copy(last, 0, start, sevAt);
    this.lastPrefixLen = n;
    this.lastBytesInfo = info;
    return info;
  }

  /** A line with a severity: continues the current entry or starts one. */
  entryLine(sev: Severity, info: PrefixInfo, text: string, lineNo: number): void {
    let message = text;
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
    if (!isContinuation(sev) && message.length > 7 && message.charCodeAt(5) === 58 && message.charCodeAt(6) === 32 && isSqlstate(message.slice(0, 5))) {
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
    this.ghost = false;
    this.ghostBuf = EMPTY;
  }
}
