// The reader's common parts: what an entry is, the per-file statistics, and the parser base every
// format (formats/*.ts) extends. No @actions/* here: this runs outside Actions too.
import { basename } from 'node:path';
import { TRANSLATED_WORDS } from './translations.ts';
import { hideCredentials } from './secrets/entry.ts';

export type MainSeverity =
  | 'DEBUG5' | 'DEBUG4' | 'DEBUG3' | 'DEBUG2' | 'DEBUG1'
  | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'LOG' | 'FATAL' | 'PANIC';
/** Lines that belong to the entry before them; alone (orphaned) they become an entry of their own. */
export type ContinuationSeverity = 'STATEMENT' | 'DETAIL' | 'HINT' | 'QUERY' | 'CONTEXT' | 'LOCATION';
export type Severity = MainSeverity | ContinuationSeverity;
export type LogFormat = 'stderr' | 'csvlog' | 'jsonlog';

export interface LogEntry {
  severity: Severity;
  message: string;
  /** When the server wrote it; undefined when the line has no timestamp we can place in UTC. */
  time?: Date | undefined;
  pid?: number | undefined;
  user?: string | undefined;
  database?: string | undefined;
  /** SQLSTATE: from csvlog/jsonlog, or from stderr with log_error_verbosity = verbose. */
  sqlstate?: string | undefined;
  detail?: string | undefined;
  hint?: string | undefined;
  /** The client's statement (STATEMENT line, csvlog `query`, jsonlog `statement`). */
  statement?: string | undefined;
  context?: string | undefined;
  /** The internal query (QUERY line, csvlog/jsonlog `internal_query`). */
  query?: string | undefined;
  location?: string | undefined;
  /** Display name of the file (ReadOptions.name, default the path's base name). */
  file: string;
  /** 1-based line number of the entry's first line in the (decompressed) file. */
  line: number;
}

export interface ReaderStats {
  file: string;
  path: string;
  format: LogFormat;
  /** The file was gzip-compressed (detected by its magic bytes). */
  compressed: boolean;
  /** Bytes read from disk. */
  bytes: number;
  lines: number;
  entries: number;
  /** Lines that belong to no entry (not PostgreSQL output, or a record we cannot parse). */
  unparsedLines: number;
  /** Lines cut at maxLineLength, plus entry fields cut at the same length. */
  truncatedLines: number;
  /** Entries without a timestamp we could read (no time in the prefix, or an unknown time zone). */
  untimedEntries: number;
  /** Time zone abbreviations we could not place in UTC (at most 5). */
  unknownZones: string[];
  /** Earliest and latest entry time in the file. */
  firstTime?: Date | undefined;
  lastTime?: Date | undefined;
  /** The first few unparsed lines (each cut at 200 characters), to show what was not understood. */
  unparsedSamples: Array<{ line: number; text: string }>;
  /** Why the reader stopped before the end (a gzip file past its limits), undefined when it did not. */
  stopped?: string | undefined;
  /** The file is an archive of this kind (zip, tar, ...), not a log: not read past its first bytes. */
  archive?: string | undefined;
  /** Unparsed lines looked at (the first FOREIGN_CHECKS), and those of them that are log lines of another format. */
  foreignChecked: number;
  foreignLines: number;
  /** csvlog: lines that start a record of their own taken into broken records' quoted fields, and where the first such began. */
  swallowedRecords: number;
  swallowedAt: number;
}

/** Unparsed lines kept as samples per file, each cut at SAMPLE_LEN characters. */
export const SAMPLES = 5;
/** Unparsed lines of a file looked at for another format's log lines: enough to tell, cheap on a file of junk. */
const FOREIGN_CHECKS = 1000;
const SAMPLE_LEN = 200;

/** Severity and field words as PostgreSQL writes them before `:  `, in English and (generated) in its other languages. */
export const SEVERITIES = new Map<string, Severity>([
  ['DEBUG5', 'DEBUG5'], ['DEBUG4', 'DEBUG4'], ['DEBUG3', 'DEBUG3'], ['DEBUG2', 'DEBUG2'], ['DEBUG1', 'DEBUG1'],
  ['INFO', 'INFO'], ['NOTICE', 'NOTICE'], ['WARNING', 'WARNING'], ['ERROR', 'ERROR'], ['LOG', 'LOG'],
  ['FATAL', 'FATAL'], ['PANIC', 'PANIC'],
  ['STATEMENT', 'STATEMENT'], ['DETAIL', 'DETAIL'], ['HINT', 'HINT'], ['QUERY', 'QUERY'], ['CONTEXT', 'CONTEXT'],
  ['LOCATION', 'LOCATION'],
  ...TRANSLATED_WORDS,
]);

/** How to find a severity word before a colon in one kind of string: UTF-16 text, or bytes read as latin1. */
export interface WordTable {
  /** 1 for each code unit a word has (spaces apart). */
  chars: Uint8Array;
  /** Longest word, in code units. */
  maxLen: number;
  words: Map<string, Severity>;
}

function wordTable(keys: Array<[string, Severity]>): WordTable {
  const chars = new Uint8Array(65536);
  for (let c = 48; c <= 57; c++) chars[c] = 1;
  for (let c = 65; c <= 90; c++) chars[c] = 1;
  let maxLen = 10;
  for (const [k] of keys) {
    for (let i = 0; i < k.length; i++) if (k.charCodeAt(i) !== 32) chars[k.charCodeAt(i)] = 1;
    maxLen = Math.max(maxLen, k.length);
  }
  return { chars, maxLen, words: new Map(keys) };
}

export const TEXT_WORDS = wordTable([...SEVERITIES]);
/** The same words as UTF-8 bytes read one character a byte (the reader's fast path searches bytes). */
export const BYTE_WORDS = wordTable([...SEVERITIES].map(([k, v]) => [Buffer.from(k).toString('latin1'), v]));

/** Set by wordBefore: the severity of the word it found. */
export let wordSeverity: Severity = 'LOG';

/**
 * Where the severity word that ends at `colon` starts (-1: none): the longest run of word characters
 * before the colon, after no letter or digit; also with one space before the colon (French labels:
 * `INSTRUCTION :  `) or inside the word (Korean `명령 구문`).
 */
export function wordBefore(t: WordTable, s: string, start: number, colon: number): number {
  const chars = t.chars;
  let end = colon;
  for (let pass = 0; pass < 2; pass++) {
    if (pass === 1) {
      if (end <= start || s.charCodeAt(end - 1) !== 32) return -1;
      end--;
    }
    let w = end;
    const min = Math.max(start, colon - t.maxLen);
    while (w > min && chars[s.charCodeAt(w - 1)] === 1) w--;
    for (let part = 0; part < 2 && w < end; part++) {
      if (w === start || !isAlnum(s.charCodeAt(w - 1))) {
        const sev = t.words.get(s.slice(w, colon));
        if (sev !== undefined) {
          wordSeverity = sev;
          return w;
        }
      }
      // One space inside the word: the run before it too.
      if (w - 1 <= min || s.charCodeAt(w - 1) !== 32) break;
      w--;
      while (w > min && chars[s.charCodeAt(w - 1)] === 1) w--;
    }
  }
  return -1;
}


export function isContinuation(s: Severity): s is ContinuationSeverity {
  return s === 'STATEMENT' || s === 'DETAIL' || s === 'HINT' || s === 'QUERY' || s === 'CONTEXT' || s === 'LOCATION';
}

export function newStats(path: string, name?: string): ReaderStats {
  return {
    file: name ?? basename(path), path, format: 'stderr', compressed: false, bytes: 0, lines: 0, entries: 0,
    unparsedLines: 0, truncatedLines: 0, untimedEntries: 0, unknownZones: [], firstTime: undefined,
    lastTime: undefined, unparsedSamples: [], stopped: undefined, foreignChecked: 0, foreignLines: 0, swallowedRecords: 0, swallowedAt: 0,
  };
}

export function newEntry(severity: Severity, message: string, ms: number, file: string, line: number): LogEntry {
  return {
    severity, message, time: ms === ms ? new Date(ms) : undefined, pid: undefined, user: undefined,
    database: undefined, sqlstate: undefined, detail: undefined, hint: undefined, statement: undefined,
    context: undefined, query: undefined, location: undefined, file, line,
  };
}
export const d = (s: string, i: number): number => s.charCodeAt(i) - 48;
export const isDigit = (c: number): boolean => c >= 48 && c <= 57;
export const isUpperOrDigit = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
export const isAlnum = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
// ---------------------------------------------------------------------------------------------
// Parsers: fed one line at a time, push finished entries to `out`.

export interface LineParser {
  line(text: string, lineNo: number, truncated: boolean, droppedQuotes: number): void;
  end(): void;
}

/** Buffer's own slice decoders: toString's argument checks cost as much as decoding a short line. */
interface Slicers {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
}

/** `buf[start, end)` as UTF-8 (invalid bytes become U+FFFD). */
export function utf8(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as Slicers).utf8Slice(start, end);
}

/** `buf[start, end)` one character per byte: offsets in the string are offsets in the bytes. */
export function latin1(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as Slicers).latin1Slice(start, end);
}

/**
 * Counts `n` entries of one severity that were not read into LogEntry objects (see ParserOptions.keep), at
 * time `ms` (NaN: none); for a run, one time stands for all, on the same side of ParserOptions.since.
 */
export type CountEntry = (severity: Severity, ms: number, n: number) => void;

export interface ParserOptions {
  /**
   * Severities read into LogEntry objects. Entries of other severities are only counted: their
   * lines are never decoded to strings (the reader's fast path), and `count` hears of each. Default: all.
   */
  keep?: ReadonlySet<Severity> | undefined;
  count?: CountEntry | undefined;
  /**
   * Texts that make an entry of another severity kept too when its message starts with one (e.g.
   * the few LOG lines that tell of a crash). Compared at the message's start only: searching each
   * piece of input for them cost as much as reading it.
   */
  keepWhen?: readonly string[] | undefined;
  /**
   * Where the caller's window starts (epoch ms; NaN: no window). Counted entries may be passed on in
   * runs whose one time stands for all of them; each run then lies wholly before or wholly in the window.
   */
  since?: number | undefined;
}

const noCount: CountEntry = () => {};

/**
 * ParserOptions.keepWhen as bytes, with tables of the bytes they start with: most messages fail a test of one
 * or two bytes, and the rest are compared with the texts that begin with those two only (a few among hundreds:
 * the digest's starts come in a dozen languages). The stderr reader and its WebAssembly scanner both use them.
 */
export class MessageStarts {
  readonly texts: Buffer[];
  /** At first * 256 + second: the bucket of the texts that begin with those two bytes, from 1; 0 when none does. */
  readonly pair = new Uint8Array(65536);
  /** The texts of two bytes or more by bucket (bucket 0 is none). */
  readonly buckets: Buffer[][] = [[]];
  /** 1 at the byte of each one-byte text. */
  readonly one = new Uint8Array(256);

  constructor(keepWhen: readonly string[]) {
    this.texts = keepWhen.map((w) => Buffer.from(w)).filter((h) => h.length > 0);
    for (const h of this.texts) {
      if (h.length < 2) {
        this.one[h[0]!] = 1;
        continue;
      }
      const i = h[0]! * 256 + h[1]!;
      if (this.pair[i] === 0) {
        // The table holds bytes: the scanner reads it so.
        if (this.buckets.length === 256) throw new Error('MessageStarts: more than 255 pairs of first bytes');
        this.pair[i] = this.buckets.length;
        this.buckets.push([]);
      }
      this.buckets[this.pair[i]!]!.push(h);
    }
  }

  /** Does buf[from, end) start with one of the texts? */
  at(buf: Buffer, from: number, end: number): boolean {
    if (from >= end) return false;
    if (this.one[buf[from]!] === 1) return true;
    if (from + 1 === end) return false;
    const bucket = this.pair[buf[from]! * 256 + buf[from + 1]!]!;
    if (bucket === 0) return false;
    for (const h of this.buckets[bucket]!) {
      if (from + h.length > end) continue;
      let k = h.length - 1;
      while (k >= 0 && buf[from + k] === h[k]) k--;
      if (k < 0) return true;
    }
    return false;
  }
}

export abstract class BaseParser implements LineParser {
  out: LogEntry[] = [];
  readonly file: string;
  readonly stats: ReaderStats;
  readonly maxLen: number;
  readonly keep: ReadonlySet<Severity> | undefined;
  readonly countEntry: CountEntry;
  readonly keepWhen: readonly string[];
  readonly since: number;
  firstMs: number;
  lastMs: number;
  /** firstMs/lastMs moved since stats.firstTime/lastTime were last set. */
  timesMoved = false;
  /** Counted entries not passed on yet: `runN` of severity `runSev` at `runMs`. */
  runSev: Severity = 'LOG';
  runMs = NaN;
  runN = 0;
  /** The bytes of the current lineAt call are all ASCII: then its latin1 string is the text. */
  ascii = false;

  constructor(file: string, stats: ReaderStats, maxLen: number, opts: ParserOptions = {}) {
    this.file = file;
    this.stats = stats;
    this.maxLen = maxLen;
    this.keep = opts.keep;
    this.countEntry = opts.count ?? noCount;
    this.keepWhen = opts.keepWhen ?? [];
    this.since = opts.since ?? NaN;
    this.firstMs = stats.firstTime?.getTime() ?? NaN;
    this.lastMs = stats.lastTime?.getTime() ?? NaN;
  }

  abstract line(text: string, lineNo: number, truncated: boolean, droppedQuotes: number): void;
  abstract end(): void;

  /**
   * One line, as bytes: `buf[start, end)` (no line end). `s` is `buf` read as latin1 (one
   * character per byte, same offsets) for fast searching. This default decodes the line; a
   * format with a fast path overrides it.
   */
  lineAt(buf: Buffer, s: string, start: number, end: number, lineNo: number, truncated: boolean, droppedQuotes: number): void {
    this.line(this.text(buf, s, start, end), lineNo, truncated, droppedQuotes);
  }

  /** The text of `buf[start, end)`: a slice of `s` when it is ASCII (no copy), else decoded as UTF-8. */
  text(buf: Buffer, s: string, start: number, end: number): string {
    return this.ascii ? s.slice(start, end) : utf8(buf, start, end);
  }

  /** Lines the last scanLines call counted, and where the line it stopped at ends (-1: not known). */
  scanned = 0;
  stopNl = -1;

  /** Does this parser count lines with scanLines (its fast path)? Then LineReader calls loadPiece first. */
  get scans(): boolean {
    return false;
  }

  loadPiece(_buf: Buffer): void {}

  /** Copies whatever it still holds of the pieces read so far: their buffers are about to be freed (read.ts freeOnceRead()). */
  copyOutOfPieces(): void {}

  /** Counts lines from `from` on in the loaded piece; returns where it stopped (`from`: none). */
  scanLines(_buf: Buffer, from: number, _len: number): number {
    return from;
  }

  /** `n` empty lines from `lineNo` on. */
  blank(n: number, lineNo: number): void {
    for (let i = 0; i < n; i++) this.line('', lineNo + i, false, 0);
  }

  /**
   * Tells whether a line is a log line of another format than this parser's (set by the reader): unparsed lines
   * that are, in numbers, mean the format was misread (see digest.ts, incompleteRead).
   */
  foreign: (text: string) => boolean = () => false;

  unparsed(text: string, lineNo: number, count = 1): void {
    this.stats.unparsedLines += count;
    this.checkForeign(text);
    if (this.stats.unparsedSamples.length < SAMPLES) {
      this.stats.unparsedSamples.push({ line: lineNo, text: detach(hideCredentials(text).slice(0, SAMPLE_LEN)) });
    }
  }

  /** Unparsed lines are still looked at for another format's (so the scanner may not count them alone). */
  checksForeign(): boolean {
    return this.stats.foreignChecked < FOREIGN_CHECKS;
  }

  checkForeign(text: string): void {
    const st = this.stats;
    if (!this.checksForeign()) return;
    st.foreignChecked++;
    if (this.foreign(text)) st.foreignLines++;
  }

  /** An unparsed line given as bytes: decoded only when it becomes a sample, or is looked at for its format. */
  unparsedAt(buf: Buffer, start: number, end: number, lineNo: number): void {
    if (this.stats.unparsedSamples.length < SAMPLES || this.checksForeign()) this.unparsed(utf8(buf, start, Math.min(end, start + 4 * SAMPLE_LEN)), lineNo);
    else this.stats.unparsedLines++;
  }

  /** `n` empty lines that are not log lines. */
  blankUnparsed(n: number, lineNo: number): void {
    for (let i = 0; i < n && this.stats.unparsedSamples.length < SAMPLES; i++) this.stats.unparsedSamples.push({ line: lineNo + i, text: '' });
    this.stats.unparsedLines += n;
  }

  emit(e: LogEntry): void {
    const st = this.stats;
    st.entries++;
    const t = e.time;
    if (t === undefined) st.untimedEntries++;
    else {
      const moved = this.widen(t.getTime());
      if (moved & 1) st.firstTime = t;
      if (moved & 2) st.lastTime = t;
    }
    this.out.push(e);
  }

  /** Takes `ms` into [firstMs, lastMs]: bit 1 set when firstMs moved, bit 2 when lastMs did. */
  widen(ms: number): number {
    let moved = 0;
    if (!(ms >= this.firstMs)) {
      this.firstMs = ms;
      moved = 1;
    }
    if (!(ms <= this.lastMs)) {
      this.lastMs = ms;
      moved |= 2;
    }
    return moved;
  }

  /**
   * An entry that is only counted (its severity is not kept). Passed on in runs of one severity and
   * time (a busy server writes many lines a second): one call per run, not per line.
   */
  count(sev: Severity, ms: number): void {
    if (this.runN > 0 && sev === this.runSev && (ms === this.runMs || (ms !== ms && this.runMs !== this.runMs))) {
      this.runN++;
      return;
    }
    this.flushCounts();
    this.runSev = sev;
    this.runMs = ms;
    this.runN = 1;
  }

  /** Passes on the run of counted entries. */
  flushCounts(): void {
    const n = this.runN;
    if (n === 0) return;
    this.runN = 0;
    const ms = this.runMs;
    const st = this.stats;
    st.entries += n;
    if (ms !== ms) st.untimedEntries += n;
    else if (this.widen(ms) !== 0) this.timesMoved = true;
    this.countEntry(this.runSev, ms, n);
  }

  /**
   * `n` entries of one severity counted at once, at times from `lo` to `hi`; `before` of them (the
   * earliest) are before ParserOptions.since.
   */
  countRun(sev: Severity, n: number, before: number, lo: number, hi: number): void {
    this.flushCounts();
    this.stats.entries += n;
    if ((this.widen(lo) | this.widen(hi)) !== 0) this.timesMoved = true;
    if (before > 0) this.countEntry(sev, lo, before);
    if (n > before) this.countEntry(sev, hi, n - before);
  }

  /** Passes on what count() saw and brings stats.firstTime/lastTime up to date with it. */
  syncTimes(): void {
    this.flushCounts();
    if (!this.timesMoved) return;
    this.timesMoved = false;
    const st = this.stats;
    if (st.firstTime?.getTime() !== this.firstMs) st.firstTime = new Date(this.firstMs);
    if (st.lastTime?.getTime() !== this.lastMs) st.lastTime = new Date(this.lastMs);
  }

  noteBadZone(zone: string): void {
    const z = this.stats.unknownZones;
    if (zone !== '' && z.length < 5 && !z.includes(zone)) z.push(detach(zone));
  }

  /** `a` + "\n" + `b`, cut at maxLen (counted once per cut). */
  join(a: string | undefined, b: string): string {
    if (a === undefined) return b;
    if (a.length >= this.maxLen) return a;
    const s = a + '\n' + b;
    if (s.length <= this.maxLen) return s;
    this.stats.truncatedLines++;
    return s.slice(0, this.maxLen);
  }
}

/**
 * A copy of `s` that does not keep a larger string alive. Slices of a read chunk share its
 * memory; whatever outlives the chunk (samples, digests, the recent ring) must be detached.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}
