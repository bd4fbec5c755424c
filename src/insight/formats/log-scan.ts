// The stderr reader's LOG-line scanner: WebAssembly (wasm/log-scan.ts) that counts the lines the digest
// only counts, bytes at a time, and stops at the first line the JavaScript reader must look at.
import { isAlnum, BYTE_WORDS } from '../entry.ts';
import { LOG_SCAN_WASM } from './log-scan.wasm.ts';

// Offsets in the scanner's memory (as in wasm/log-scan.ts).
const WORD = 1024;
const ALNUM = 1280;
const HINT_ONE = 1536;
const BEFORE = 2048;
const BEFORE_MAX = 1024;
const ZONE = 3072;
const ZONE_MAX = 64;
const HINT_PAIR = 4096;
const HINTS = 69632;
const HINTS_MAX = 2048;
const PIECE = 131072;
/** Where a scan leaves what it counted: six i32, two f64, then one i32 (as in wasm/log-scan.ts). */
const RESULT = 3200;

// The few parts of the WebAssembly API used here (@types/node does not declare them without the DOM lib).
interface Memory { readonly buffer: ArrayBuffer; grow(pages: number): number }
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  memory: Memory;
  scan(from: number, len: number, maxLen: number, timeAt: number, zoneLen: number, zoneMs: number, zoneNumeric: number, since: number, hints: number, ghost: number, unparsedToo: number,
    ghostFrom: number, ghostTo: number): number;
}

let compiled: object | undefined;

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

export class LogScanner {
  readonly #x: Exports;
  #bytes: Uint8Array;
  #i32: Int32Array;
  #f64: Float64Array;
  #before = '\u0000';
  #zone: Buffer | undefined;
  readonly run: ScanRun = { lines: 0, stopNl: -1, unparsed: 0, n: 0, before: 0, minMs: NaN, maxMs: NaN, lastStart: 0, lastSev: 0 };

  readonly #hints: boolean;

  /** `hints`: message starts that must reach JavaScript (ParserOptions.keepWhen); not more than 2 KiB of them. */
  constructor(hints: readonly Buffer[]) {
    compiled ??= new wasm.Module(Buffer.from(LOG_SCAN_WASM, 'base64'));
    this.#x = new wasm.Instance(compiled, {}).exports as unknown as Exports;
    const m = this.#bytes = new Uint8Array(this.#x.memory.buffer);
    this.#i32 = new Int32Array(m.buffer, RESULT, 11);
    this.#f64 = new Float64Array(m.buffer, RESULT + 24, 2);
    for (let c = 0; c < 256; c++) {
      m[WORD + c] = BYTE_WORDS.chars[c] === 1 || isAlnum(c) ? 1 : 0;
      m[ALNUM + c] = isAlnum(c) ? 1 : 0;
    }
    let o = HINTS;
    for (const h of hints) {
      if (h.length === 0) continue;
      if (h.length > 255 || o + 1 + h.length >= HINTS + HINTS_MAX) throw new Error('LogScanner: message starts too long');
      if (h.length >= 2) m[HINT_PAIR + h[0]! * 256 + h[1]!] = 1;
      else m[HINT_ONE + h[0]!] = 1;
      m[o] = h.length;
      m.set(h, o + 1);
      o += 1 + h.length;
    }
    m[o] = 0;
    this.#hints = o > HINTS;
  }

  /** The piece the next scans read. */
  load(buf: Buffer): void {
    // 32 bytes of room after the piece: the scanner reads 16 at a time, up to 2 past where it looks.
    const need = PIECE + buf.length + 32;
    const mem = this.#x.memory;
    if (mem.buffer.byteLength < need) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
    if (this.#bytes.buffer !== mem.buffer) {
      this.#bytes = new Uint8Array(mem.buffer);
      this.#i32 = new Int32Array(mem.buffer, RESULT, 11);
      this.#f64 = new Float64Array(mem.buffer, RESULT + 24, 2);
    }
    this.#bytes.set(buf, PIECE);
  }

  /**
   * Counts the LOG lines from `from` on in the loaded piece (`len` bytes) whose time sits after the text
   * `before` (latin1; `timeAt` false: where the time is is not known yet, and LOG lines stop the scan),
   * followed by `zone`, and returns where it stopped (see wasm/log-scan.ts); `run` says what it counted.
   * `ghost`: the entry before `from` is only counted (its tab lines are skipped, and so are its DETAIL,
   * HINT, ... lines when its prefix is known: the piece's bytes [ghostFrom, ghostTo), else -1).
   * `unparsedToo`: lines that are not log lines are counted too, not left to JavaScript.
   */
  scan(from: number, len: number, maxLen: number, timeAt: boolean, before: string, zone: Buffer, zoneMs: number, zoneNumeric: boolean, since: number, ghost: boolean,
    unparsedToo: boolean, ghostFrom: number, ghostTo: number): number {
    if (timeAt && (before.length > BEFORE_MAX || zone.length > ZONE_MAX)) return from;
    const m = this.#bytes;
    if (before !== this.#before) {
      for (let i = 0; i < before.length; i++) m[BEFORE + i] = before.charCodeAt(i);
      this.#before = before;
    }
    if (zone !== this.#zone) {
      m.set(zone, ZONE);
      this.#zone = zone;
    }
    const x = this.#x;
    const next = x.scan(from, len, maxLen, timeAt ? before.length : -1, zone.length, zoneMs, zoneNumeric ? 1 : 0, since, this.#hints ? 1 : 0,
      ghost ? 1 : 0, unparsedToo ? 1 : 0, ghostFrom, ghostTo);
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
