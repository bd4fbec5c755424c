// Streaming PostgreSQL log reader: stderr (any common log_line_prefix), csvlog and jsonlog.
//
// Bytes (a file, or any source of Buffers) are split into lines with bounded memory (a line longer
// than `maxLineLength` bytes is cut and counted; blank lines are only counted) and grouped into
// entries: a line with a severity plus its DETAIL/HINT/QUERY/CONTEXT/STATEMENT/LOCATION lines and
// tab-indented continuation lines. Lines that cannot be placed are counted (`unparsedLines`) and a
// few kept as samples, never dropped silently. Lines are searched as bytes; only the lines of kept
// severities (ReadOptions.keep) are decoded to strings. No @actions/* here: this runs outside Actions too.
import { OUT_OF_TIME } from './incomplete.ts';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { createGunzip } from 'node:zlib';
import { isAscii } from 'node:buffer';
import { pipeline, Readable } from 'node:stream';
import { newStats, latin1 } from './entry.ts';
import type { BaseParser, LogEntry, LogFormat, ParserOptions, ReaderStats } from './entry.ts';
import { StderrParser, looksLikeStderr } from './formats/stderr.ts';
import { CsvParser, looksLikeCsvlog } from './formats/csvlog.ts';
import { JsonParser, looksLikeJsonlog } from './formats/jsonlog.ts';

/** Where the bytes come from: a file's stream, a Buffer in an array, chunks as they arrive. */
export type ByteSource = Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** Sources marked by freeOnceRead(): the marked object itself, so mark what is passed to readBatches. */
const FREE_ONCE_READ = new WeakSet<object>();

/**
 * Marks a source whose chunks are fresh buffers nobody else holds: the reader frees each one's memory once it has
 * read it (and made its own copy of anything it keeps), instead of leaving it to wait, dead, for the collector.
 * Not for compressed files (their chunks go through gunzip at its own pace; they are not freed). The mark is on
 * this object: a wrapper around it (Readable.from, a mapping generator) reads it unmarked, freeing nothing.
 */
export function freeOnceRead<T extends ByteSource>(source: T): T {
  FREE_ONCE_READ.add(source);
  return source;
}

/**
 * Frees a chunk's memory when the chunk is the whole of it (a view of a larger buffer is left alone): transferring
 * an ArrayBuffer detaches it, which frees its memory at once. (Without transfer(), before Node 22, where the command line might run: left to the collector.)
 */
function free(b: Buffer): void {
  const ab = b.buffer;
  if (ab instanceof ArrayBuffer && b.byteOffset === 0 && b.byteLength === ab.byteLength && typeof ab.transfer === 'function') ab.transfer(0);
}

export interface ReadOptions extends ParserOptions {
  /** Force a format instead of detecting it from the content (the file name is only a hint). */
  format?: LogFormat | undefined;
  /** Longest line kept (bytes); the rest is dropped and counted. Default 65536. */
  maxLineLength?: number | undefined;
  /** Name used in LogEntry.file and the stats; default basename(path). */
  name?: string | undefined;
  /** Filled in place while reading, so callers of readEntries can see it after the loop. */
  stats?: ReaderStats | undefined;
  /** Date.now() after which no more is read (the step's timeout): what was read counts, and `stopped` says why. */
  until?: number | undefined;
}

const DEFAULT_MAX_LINE = 64 * 1024;
// 64 KiB pieces measured fastest and flattest: each batch of entries dies young (a 1 MiB chunk's
// batch survives into the old generation: 25% slower, 2.5x the peak RSS on the 1 GiB bench).
const CHUNK = 1 << 16;
/** Bytes a file is read by (then cut into CHUNK pieces): each read costs a trip to the thread pool. */
export const READ_SIZE = 1 << 20;
/** Lines looked at to decide the format before falling back to the file name. */
const DETECT_LINES = 50;
/** Bytes of lines held while the format is not known yet, before falling back to the file name. */
const DETECT_BYTES = 1 << 20;
/** 4 KiB of empty lines, to skip a run of them in blocks: \n, and \r\n. */
const LF_RUN = Buffer.alloc(4096, '\n');
const CRLF_RUN = Buffer.alloc(4096, '\r\n');

/**
 * Where the run of empty lines (`\n`, or `\r\n` when `crlf`) at buf[from] ends (before `len`): past its first
 * lines, compared 4096, 512, 64 and 8 bytes at a time, so a file of them does not cost a step a line. It ends
 * on a whole line.
 */
function runEnd(buf: Buffer, from: number, len: number, crlf: boolean): number {
  const run = crlf ? CRLF_RUN : LF_RUN;
  const step = crlf ? 2 : 1;
  const empty = (e: number): boolean => (crlf ? buf[e] === 13 && buf[e + 1] === 10 : buf[e] === 10);
  // Most runs are a line or two, between log lines: those one by one, blocks only for a long run.
  let e = from;
  for (let k = 0; k < 8; k++, e += step) if (e + step > len || !empty(e)) return e;
  for (let n = run.length; n >= 8; n >>= 3) while (e + n <= len && buf.compare(run, 0, n, e, e + n) === 0) e += n;
  while (e + step <= len && empty(e)) e += step;
  return e;
}
/**
 * Limits of gzip decompression (a small download must not become gigabytes of text to read).
 * PostgreSQL logs compress 5-20 times with gzip, a log of one statement repeated about 100 times,
 * and gzip itself tops out near 1000. So: past 64 MiB of text (a small file may be very
 * repetitive), more than 200 times the compressed bytes read is not a log; and never more than
 * 16 GiB of text from one file. The file itself is left as downloaded.
 */
const GZIP_FLOOR = 64 << 20;
const GZIP_RATIO = 200;
const GZIP_MAX = 16 * 2 ** 30;

/**
 * The kind of archive `b` (a file's first bytes, after gzip) starts as, or undefined: an export that wraps its logs
 * in one is not a log to read line by line (its bytes would be counted as unplaced lines, to the end of the file).
 */
export function archiveKind(b: Buffer): string | undefined {
  if (b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && (b[2] === 3 || b[2] === 5 || b[2] === 7) && b[3] === b[2] + 1) return 'zip';
  if (b.length >= 262 && b.toString('latin1', 257, 262) === 'ustar') return 'tar';
  if (b.length >= 6 && b[0] === 0xfd && b.toString('latin1', 1, 6) === '7zXZ\x00') return 'xz';
  if (b.length >= 4 && b.toString('latin1', 0, 3) === 'BZh' && b[3]! >= 0x31 && b[3]! <= 0x39) return 'bzip2';
  if (b.length >= 4 && b.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return undefined;
}

/** The format a line shows, if it shows one. */
export function detectLineFormat(text: string): LogFormat | undefined {
  if (looksLikeJsonlog(text)) return 'jsonlog';
  if (looksLikeCsvlog(text)) return 'csvlog';
  if (looksLikeStderr(text)) return 'stderr';
  return undefined;
}

/** The format a file name suggests: `.csv` csvlog, `.json` jsonlog, else stderr. */
function formatFromName(name: string): LogFormat {
  const n = name.toLowerCase().replace(/\.(gz|gzip)$/, '');
  if (n.endsWith('.csv')) return 'csvlog';
  if (n.endsWith('.json') || n.endsWith('.jsonl')) return 'jsonlog';
  return 'stderr';
}

function makeParser(format: LogFormat, file: string, stats: ReaderStats, maxLen: number, opts: ParserOptions): BaseParser {
  const p = format === 'csvlog' ? new CsvParser(file, stats, maxLen, opts) : format === 'jsonlog' ? new JsonParser(file, stats, maxLen, opts) : new StderrParser(file, stats, maxLen, opts);
  p.foreign = (text) => {
    const f = detectLineFormat(text);
    return f !== undefined && f !== format;
  };
  return p;
}
// ---------------------------------------------------------------------------------------------
// Reading

/** A line held while the format is not known yet (`buf` undefined: `blanks` empty lines). */
interface Held {
  buf: Buffer | undefined;
  lineNo: number;
  blanks: number;
  truncated: boolean;
  droppedQuotes: number;
}

/** Count of `"` in buf[from, to). */
function quoteBytes(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(34, from); i !== -1 && i < to; i = buf.indexOf(34, i + 1)) n++;
  return n;
}

/** Where to cut `buf[start, end)` to at most `max` bytes without splitting a UTF-8 character. */
function cutAt(buf: Buffer, start: number, max: number): number {
  let cut = start + max;
  while (cut > start && (buf[cut]! & 0xc0) === 0x80) cut--;
  return cut;
}

/** Splits bytes into lines and hands them to the format's parser (found from the first lines). */
class LineReader {
  parser: BaseParser | undefined;
  held: Held[] | undefined;
  heldNonEmpty = 0;
  heldBytes = 0;
  /** The format the file's name suggests. */
  readonly named: LogFormat;
  /** Lines held that showed each format, while the first ones disagree with the file's name. */
  votes = new Map<LogFormat, number>();
  lineNo = 0;
  /** The line that runs over from the last piece: at most maxLen + 1 bytes (see hold()), the rest only counted. */
  carry: Buffer[] = [];
  carryLen = 0;
  carryCut = false;
  carryQuotes = 0;

  readonly name: string;
  readonly stats: ReaderStats;
  readonly maxLen: number;
  readonly opts: ParserOptions;

  constructor(name: string, stats: ReaderStats, maxLen: number, opts: ParserOptions, format: LogFormat | undefined) {
    this.name = name;
    this.named = formatFromName(name);
    this.stats = stats;
    this.maxLen = maxLen;
    this.opts = opts;
    if (format !== undefined) {
      stats.format = format;
      this.parser = makeParser(format, name, stats, maxLen, opts);
    } else this.held = [];
  }

  /** One piece of the input (at most CHUNK bytes). */
  piece(buf: Buffer): void {
    const p = this.parser;
    if (p !== undefined && p.scans) {
      this.scanPiece(buf, p);
      return;
    }
    const s = latin1(buf, 0, buf.length);
    // All ASCII (most logs): its lines then need no decoding.
    const ascii = isAscii(buf);
    const len = buf.length;
    let start = this.finishCarry(buf);
    if (start === -1) return;
    let nl = s.indexOf('\n', start);
    const maxLen = this.maxLen;
    while (nl !== -1) {
      if (nl === start || (nl === start + 1 && buf[start] === 13)) {
        start = this.blankRun(buf, start, len, nl !== start);
        nl = s.indexOf('\n', start);
        continue;
      }
      const end = buf[nl - 1] === 13 ? nl - 1 : nl;
      if (end - start > maxLen) {
        const cut = cutAt(buf, start, maxLen);
        this.line(buf, s, start, cut, true, quoteBytes(buf, cut, end), ascii);
      } else this.line(buf, s, start, end, false, 0, ascii);
      start = nl + 1;
      nl = s.indexOf('\n', start);
    }
    if (start < len) this.hold(buf, start, len);
  }

  /**
   * A piece read with the parser's fast path (scanLines), which counts runs of lines as bytes and
   * stops at the first it leaves to lineAt: only those lines become strings, each on its own.
   */
  scanPiece(buf: Buffer, p: BaseParser): void {
    const len = buf.length;
    let start = this.finishCarry(buf);
    if (start === -1) return;
    p.loadPiece(buf);
    // Whether the piece is all ASCII, once a line of it reaches lineAt (the scanner needs not know).
    let ascii: boolean | undefined;
    const maxLen = this.maxLen;
    while (start < len) {
      const next = p.scanLines(buf, start, len);
      if (next !== start) {
        this.lineNo += p.scanned;
        start = next;
        if (start >= len) break;
      }
      // The scanner may have found where this line ends.
      const nl = p.stopNl >= 0 ? p.stopNl : buf.indexOf(10, start);
      if (nl === -1) {
        this.hold(buf, start, len);
        return;
      }
      if (nl === start || (nl === start + 1 && buf[start] === 13)) {
        start = this.blankRun(buf, start, len, nl !== start);
        continue;
      }
      const end = buf[nl - 1] === 13 ? nl - 1 : nl;
      const cut = end - start > maxLen;
      const line = buf.subarray(start, cut ? cutAt(buf, start, maxLen) : end);
      ascii ??= isAscii(buf);
      this.line(line, latin1(line, 0, line.length), 0, line.length, cut, cut ? quoteBytes(buf, start + line.length, end) : 0, ascii);
      start = nl + 1;
    }
  }

  /**
   * Counts the run of empty lines at buf[start] (`\n`, or `\r\n` when `crlf`) at once, as a file of them must not
   * cost a call a line; returns where the run ends.
   */
  blankRun(buf: Buffer, start: number, len: number, crlf: boolean): number {
    const e = runEnd(buf, start, len, crlf);
    this.blank(crlf ? (e - start) / 2 : e - start);
    return e;
  }

  /**
   * Ends the line carried over from the last piece where this piece's first line ends. Returns where the next
   * line starts, -1 when the whole piece goes on with the carried line.
   */
  finishCarry(buf: Buffer): number {
    if (this.carryLen === 0 && !this.carryCut) return 0;
    const nl = buf.indexOf(10);
    if (nl === -1) {
      this.hold(buf, 0, buf.length);
      return -1;
    }
    this.hold(buf, 0, nl);
    this.flushCarry();
    return nl + 1;
  }

  /** Keeps buf[from, to), the start of a line that runs over into the next piece (the rest of a cut one: its quotes). */
  hold(buf: Buffer, from: number, to: number): void {
    if (this.carryCut) {
      this.carryQuotes += quoteBytes(buf, from, to);
      return;
    }
    // One byte more than a line may have: a line of maxLen bytes then \r (its \n in the next piece) is not cut,
    // and where one is cut, the byte after the cut says whether it splits a UTF-8 character.
    const room = this.maxLen + 1 - this.carryLen;
    if (to - from <= room) {
      this.carry.push(Buffer.from(buf.subarray(from, to)));
      this.carryLen += to - from;
    } else {
      this.carry.push(Buffer.from(buf.subarray(from, from + room)));
      this.carryLen += room;
      this.carryCut = true;
      this.carryQuotes += quoteBytes(buf, from + room, to);
    }
  }

  flushCarry(): void {
    const buf = this.carry.length === 1 ? this.carry[0]! : Buffer.concat(this.carry, this.carryLen);
    let end = buf.length;
    if (!this.carryCut && buf[end - 1] === 13) end--;
    // Cut as piece() cuts a line longer than maxLen; the quotes cut off count (a csvlog record's).
    const cut = this.carryCut || end > this.maxLen;
    let quotes = this.carryQuotes;
    if (cut) {
      const at = cutAt(buf, 0, this.maxLen);
      quotes += quoteBytes(buf, at, end);
      end = at;
    }
    this.carry = [];
    this.carryLen = 0;
    this.carryCut = false;
    this.carryQuotes = 0;
    if (end === 0 && !cut) this.blank(1);
    else this.line(buf, latin1(buf, 0, buf.length), 0, end, cut, quotes, false);
  }

  /** One line, buf[start, end); `ascii`: its bytes are all ASCII, so `s` (latin1) is its text. */
  line(buf: Buffer, s: string, start: number, end: number, truncated: boolean, droppedQuotes: number, ascii: boolean): void {
    // A byte order mark before the first line; a line it was all of is a blank line.
    if (this.lineNo === 0 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) {
      start += 3;
      if (start === end && !truncated) return this.blank(1);
    }
    const lineNo = ++this.lineNo;
    if (truncated) this.stats.truncatedLines++;
    const p = this.parser;
    if (p !== undefined) {
      p.ascii = ascii;
      p.lineAt(buf, s, start, end, lineNo, truncated, droppedQuotes);
    }
    else this.detect(buf, start, end, lineNo, truncated, droppedQuotes);
  }

  blank(n: number): void {
    const first = this.lineNo + 1;
    this.lineNo += n;
    const p = this.parser;
    if (p !== undefined) p.blank(n, first);
    else {
      const last = this.held!.at(-1);
      if (last !== undefined && last.buf === undefined) last.blanks += n;
      else this.held!.push({ buf: undefined, lineNo: first, blanks: n, truncated: false, droppedQuotes: 0 });
    }
  }

  /**
   * Before the format is known: hold the line (a copy: bounded by DETECT_*) and look at it. Empty lines never
   * come here (blank() holds them as a count: one held object each would grow with the file).
   */
  detect(buf: Buffer, start: number, end: number, lineNo: number, truncated: boolean, droppedQuotes: number): void {
    const copy = Buffer.from(buf.subarray(start, end));
    this.held!.push({ buf: copy, lineNo, blanks: 0, truncated, droppedQuotes });
    this.heldBytes += copy.length;
    const f = detectLineFormat(copy.toString('utf8'));
    // A line in the format the name says decides at once (the common case). One that says another format may be
    // a stray line (one JSON line at the top of a stderr log would leave every later line unread): the lines
    // held until then vote, the name breaking a tie.
    if (f !== undefined && this.votes.size === 0 && f === this.named) return this.decide(f);
    if (f !== undefined) this.votes.set(f, (this.votes.get(f) ?? 0) + 1);
    if (++this.heldNonEmpty >= DETECT_LINES || this.heldBytes >= DETECT_BYTES) this.decide(this.voted());
  }

  /** The format most held lines showed (the name's on a tie), or the name's when none showed one. */
  voted(): LogFormat {
    let best = this.named;
    let most = this.votes.get(best) ?? 0;
    for (const [f, n] of this.votes) if (n > most) [best, most] = [f, n];
    return best;
  }

  decide(format: LogFormat): void {
    this.stats.format = format;
    const p = makeParser(format, this.name, this.stats, this.maxLen, this.opts);
    this.parser = p;
    p.ascii = false;
    for (const h of this.held ?? []) {
      if (h.buf === undefined) p.blank(h.blanks, h.lineNo);
      else p.lineAt(h.buf, latin1(h.buf, 0, h.buf.length), 0, h.buf.length, h.lineNo, h.truncated, h.droppedQuotes);
    }
    this.held = undefined;
  }

  /** Entries finished so far, or undefined when none. */
  take(): LogEntry[] | undefined {
    this.stats.lines = this.lineNo;
    const p = this.parser;
    if (p === undefined) return undefined;
    p.syncTimes();
    if (p.out.length === 0) return undefined;
    const batch = p.out;
    p.out = [];
    return batch;
  }

  end(): void {
    if (this.carryLen > 0 || this.carryCut) this.flushCarry();
    if (this.parser === undefined) this.decide(this.voted());
    this.parser!.end();
  }
}

function asBuffer(c: Uint8Array): Buffer {
  return Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
}

function iteratorOf(source: ByteSource): AsyncIterator<Uint8Array> {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  const it = source[Symbol.iterator]();
  return {
    next: async () => it.next(),
    return: async () => it.return?.() ?? { done: true, value: undefined },
  };
}

/**
 * The rest of the source after `first`, counted into stats.bytes. `release`: called with each chunk once the
 * reader has asked for the next, i.e. is done with it.
 */
async function* rest(first: Buffer, it: AsyncIterator<Uint8Array>, stats: ReaderStats, release?: (b: Buffer) => void): AsyncGenerator<Buffer> {
  yield first;
  release?.(first);
  for (;;) {
    const r = await it.next();
    if (r.done === true) return;
    const b = asBuffer(r.value);
    stats.bytes += b.length;
    yield b;
    release?.(b);
  }
}

/** The pieces to read: the source's bytes, gunzipped when they start with gzip's magic bytes. */
async function* pieces(first: Buffer, it: AsyncIterator<Uint8Array>, stats: ReaderStats, release?: (b: Buffer) => void): AsyncGenerator<Buffer> {
  if (!stats.compressed) {
    for await (const b of rest(first, it, stats, release)) {
      if (b.length <= CHUNK) yield b;
      else {
        // Cut after a line end where there is one: no line then runs over into the next piece
        // (carrying it costs a copy, a concat and a string of its own).
        for (let o = 0; o < b.length;) {
          let e = Math.min(b.length, o + CHUNK);
          if (e < b.length) {
            // Within this piece only: a search back from e would cross every piece before it (a file of NULs,
            // no line end anywhere, made that quadratic).
            const nl = b.subarray(o, e).lastIndexOf(10);
            if (nl !== -1) e = o + nl + 1;
          }
          yield b.subarray(o, e);
          o = e;
        }
      }
    }
    return;
  }
  // pipeline: an error on either side destroys both; so does stopping early.
  const gz = pipeline(Readable.from(rest(first, it, stats)), createGunzip({ chunkSize: CHUNK }), () => {});
  let out = 0;
  for await (const b of gz) {
    out += (b as Buffer).length;
    const bomb = out > GZIP_FLOOR && out > GZIP_RATIO * stats.bytes;
    if (bomb || out > GZIP_MAX) {
      stats.stopped = bomb
        ? `gzip: stopped after ${GZIP_FLOOR >> 20} MiB, as the text grew to more than ${GZIP_RATIO} times the compressed size`
        : `gzip: stopped after ${GZIP_MAX / 2 ** 30} GiB of text`;
      gz.destroy();
      return;
    }
    yield b as Buffer;
  }
}

/**
 * The entries of a log given as bytes, in batches (one per piece read). Stats are filled in as it
 * goes (opts.stats, or the generator's return value).
 */
export async function* readBatches(source: ByteSource, opts: ReadOptions = {}): AsyncGenerator<LogEntry[], ReaderStats, undefined> {
  const name = opts.name ?? 'log';
  const stats = opts.stats ?? newStats(name, name);
  stats.file = name;
  const maxLen = Math.max(256, opts.maxLineLength ?? DEFAULT_MAX_LINE);
  const r = new LineReader(name, stats, maxLen, { keep: opts.keep, count: opts.count, keepWhen: opts.keepWhen, since: opts.since }, opts.format);
  const it = iteratorOf(source);
  try {
    const first = await it.next();
    if (first.done !== true) {
      const b0 = asBuffer(first.value);
      stats.bytes += b0.length;
      stats.compressed = b0.length >= 2 && b0[0] === 0x1f && b0[1] === 0x8b;
      const until = opts.until;
      // A chunk of a marked source is freed once read, after the parser has copied what it keeps of it.
      const release = FREE_ONCE_READ.has(source) ? (b: Buffer): void => { r.parser?.copyOutOfPieces(); free(b); } : undefined;
      let atStart = true;
      for await (const buf of pieces(b0, it, stats, release)) {
        if (until !== undefined && Date.now() >= until) {
          stats.stopped = OUT_OF_TIME;
          break;
        }
        if (atStart) {
          // The source's first chunk as it came (a piece may be cut shorter, at a line end), or gzip's first text.
          atStart = false;
          stats.archive = archiveKind(stats.compressed ? buf : b0);
          if (stats.archive !== undefined) break;
        }
        r.piece(buf);
        const batch = r.take();
        if (batch !== undefined) yield batch;
      }
    }
    r.end();
    const batch = r.take();
    if (batch !== undefined) yield batch;
    return stats;
  } finally {
    // Stopped early (break, throw) or done: close the source now rather than at garbage collection.
    await it.return?.();
  }
}

/**
 * The file's entries in batches (one per piece read), for callers that want speed over
 * convenience. Stats are filled in as it goes (opts.stats, or the generator's return value).
 */
export function readEntryBatches(path: string, opts: ReadOptions = {}): AsyncGenerator<LogEntry[], ReaderStats, undefined> {
  const name = opts.name ?? basename(path);
  const stats = opts.stats ?? newStats(path, name);
  stats.path = path;
  return readBatches(createReadStream(path, { highWaterMark: READ_SIZE }), { ...opts, name, stats });
}

/**
 * The file's entries, one by one. Pass `opts.stats` (see newStats) to read the statistics after the
 * loop; the generator also returns them.
 */
export async function* readEntries(path: string, opts: ReadOptions = {}): AsyncGenerator<LogEntry, ReaderStats, undefined> {
  const gen = readEntryBatches(path, opts);
  let done = false;
  try {
    for (;;) {
      const r = await gen.next();
      if (r.done === true) {
        done = true;
        return r.value;
      }
      for (const e of r.value) yield e;
    }
  } finally {
    // The caller stopped early (break, throw): close the file now rather than at garbage collection.
    if (!done) await gen.return(opts.stats ?? newStats(path, opts.name));
  }
}
