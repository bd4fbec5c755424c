// The stderr reader's LOG-line scanner: WebAssembly (wasm/log-scan.ts) that counts the lines the digest
// only counts, bytes at a time, and stops at the first line the JavaScript reader must look at.
import { isAlnum, BYTE_WORDS } from '../entry.ts';
import type { MessageStarts } from '../entry.ts';
import { LOG_SCAN_WASM } from './log-scan.wasm.ts';

// The few parts of the WebAssembly API used here (@types/node does not declare them without the DOM lib).
interface Memory { readonly buffer: ArrayBuffer; grow(pages: number): number }
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The scanner's memory layout, as wasm/log-scan.ts exports it (offsets and room, in bytes). */
const LAYOUT = ['WORD', 'ALNUM', 'HINT_ONE', 'BEFORE', 'BEFORE_MAX', 'ZONE', 'ZONE_MAX', 'HINT_PAIR', 'HINTS', 'HINTS_MAX', 'BUCKETS', 'PIECE', 'RESULT'] as const;
type Layout = Record<(typeof LAYOUT)[number], number>;

type Exports = { [K in keyof Layout]: { readonly value: number } } & {
  memory: Memory;
  scan(from: number, len: number, maxLen: number, timeAt: number, zoneLen: number, zoneMs: number, zoneNumeric: number, since: number, hints: number, ghost: number, unparsedToo: number,
    ghostFrom: number, ghostTo: number, orphan: number, blanksToo: number): number;
};

let compiled: object | undefined;
/** The layout, read from the first instance (every instance of the module has the same). */
let L: Layout;

/** What one scan found: `lines` lines read, `n` LOG lines counted among them, `before` of them before `since`, their times' range, the last one's place. */
export interface ScanRun {
  lines: number;
  /** Where the line the scan stopped at ends (its newline), -1 when not looked for. */
  stopNl: number;
  /** Lines that are not log lines (counted only when asked: `unparsedToo`). */
  unparsed: number;
  n: number;
  before: number;
  minMs: number;
  maxMs: number;
  lastStart: number;
  lastSev: number;
}

/** The scanner's memory, and its result record: six i32, two f64, then one i32 (as in wasm/log-scan.ts). */
function views(memory: ArrayBuffer): [Uint8Array, Int32Array, Float64Array] {
  return [new Uint8Array(memory), new Int32Array(memory, L.RESULT, 11), new Float64Array(memory, L.RESULT + 24, 2)];
}

export class LogScanner {
  readonly #x: Exports;
  #bytes: Uint8Array;
  #i32: Int32Array;
  #f64: Float64Array;
  #before = '\u0000';
  #zone: Buffer | undefined;
  readonly run: ScanRun = { lines: 0, stopNl: -1, unparsed: 0, n: 0, before: 0, minMs: NaN, maxMs: NaN, lastStart: 0, lastSev: 0 };

  readonly #hints: boolean;

  /** `starts`: message starts that must reach JavaScript (ParserOptions.keepWhen); not more than 16 KiB of them. */
  constructor(starts: MessageStarts) {
    compiled ??= new wasm.Module(Buffer.from(LOG_SCAN_WASM, 'base64'));
    const x = this.#x = new wasm.Instance(compiled, {}).exports as unknown as Exports;
    L ??= Object.fromEntries(LAYOUT.map((k) => [k, x[k].value])) as Layout;
    [this.#bytes, this.#i32, this.#f64] = views(x.memory.buffer);
    const m = this.#bytes;
    for (let c = 0; c < 256; c++) {
      m[L.WORD + c] = BYTE_WORDS.chars[c] === 1 || isAlnum(c) ? 1 : 0;
      m[L.ALNUM + c] = isAlnum(c) ? 1 : 0;
    }
    m.set(starts.one, L.HINT_ONE);
    m.set(starts.pair, L.HINT_PAIR);
    const at = new Uint32Array(x.memory.buffer, L.BUCKETS, 256);
    let o = L.HINTS;
    for (let k = 1; k < starts.buckets.length; k++) {
      at[k] = o;
      for (const h of starts.buckets[k]!) {
        if (h.length > 255 || o + 2 + h.length > L.HINTS + L.HINTS_MAX) throw new Error('LogScanner: message starts too long');
        m[o] = h.length;
        m.set(h, o + 1);
        o += 1 + h.length;
      }
      m[o++] = 0;
    }
    this.#hints = starts.texts.length > 0;
  }

  /** The piece the next scans read. */
  load(buf: Buffer): void {
    // 32 bytes of room after the piece: the scanner reads 16 at a time, up to 2 past where it looks.
    const need = L.PIECE + buf.length + 32;
    const mem = this.#x.memory;
    if (mem.buffer.byteLength < need) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
    if (this.#bytes.buffer !== mem.buffer) [this.#bytes, this.#i32, this.#f64] = views(mem.buffer);
    this.#bytes.set(buf, L.PIECE);
  }

  /**
   * Counts the LOG lines from `from` on in the loaded piece (`len` bytes) whose time sits after the text
   * `before` (latin1; `timeAt` false: where the time is is not known yet, and LOG lines stop the scan),
   * followed by `zone`, and returns where it stopped (see wasm/log-scan.ts); `run` says what it counted.
   * `ghost`: the entry before `from` is only counted (its tab lines are skipped, and so are its DETAIL,
   * HINT, ... lines when its prefix is known: the piece's bytes [ghostFrom, ghostTo), else -1).
   * `unparsedToo`: lines that are not log lines are counted too, not left to JavaScript; so are tab lines when
   * `orphan` (no entry before them that they would continue). `blanksToo`: so are empty lines.
   */
  scan(from: number, len: number, maxLen: number, timeAt: boolean, before: string, zone: Buffer, zoneMs: number, zoneNumeric: boolean, since: number, ghost: boolean,
    unparsedToo: boolean, ghostFrom: number, ghostTo: number, orphan: boolean, blanksToo: boolean): number {
    if (timeAt && (before.length > L.BEFORE_MAX || zone.length > L.ZONE_MAX)) {
      this.run.stopNl = -1; // no line end found: the reader looks for it itself
      return from;
    }
    const m = this.#bytes;
    if (before !== this.#before) {
      for (let i = 0; i < before.length; i++) m[L.BEFORE + i] = before.charCodeAt(i);
      this.#before = before;
    }
    if (zone !== this.#zone) {
      m.set(zone, L.ZONE);
      this.#zone = zone;
    }
    const x = this.#x;
    const next = x.scan(from, len, maxLen, timeAt ? before.length : -1, zone.length, zoneMs, zoneNumeric ? 1 : 0, since, this.#hints ? 1 : 0,
      ghost ? 1 : 0, unparsedToo ? 1 : 0, ghostFrom, ghostTo, orphan ? 1 : 0, blanksToo ? 1 : 0);
    const r = this.run;
    const i = this.#i32;
    r.lines = i[0]!;
    r.stopNl = i[10]!;
    r.unparsed = i[1]!;
    r.n = i[2]!;
    if (r.n > 0) {
      r.before = i[3]!;
      r.lastStart = i[4]!;
      r.lastSev = i[5]!;
      r.minMs = this.#f64[0]!;
      r.maxMs = this.#f64[1]!;
    }
    return next;
  }
}
