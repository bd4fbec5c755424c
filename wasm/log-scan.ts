// AssemblyScript source of the stderr reader's LOG-line scanner (compiled by scripts/build-wasm.ts into
// src/insight/formats/log-scan.wasm.ts). Most lines of a PostgreSQL log are LOG lines that are only counted;
// this reads them as bytes at a few bytes per cycle, with the lines of the entry last counted, and (once the
// JavaScript reader needs no more samples or checks of them) empty lines and lines that are not log lines.
// It stops at the first line that needs the JavaScript reader (any other severity, a line of a kept entry,
// an overlong line, a message the digest keeps, a time it cannot read the same way). It mirrors
// StderrParser.lineAt, severityAt and timeOf's fast path exactly; a differential test holds it to them.

/**
 * Memory layout (offsets and room, in bytes). Exported: log-scan.ts on the JavaScript side reads them from the
 * module, so they are written here only.
 */
export const WORD: u32 = 1024; //     256 bytes: 1 where a byte can be part of a severity word or stand before one
export const ALNUM: u32 = 1280; //    256 bytes: 1 for [0-9A-Za-z]
export const HINT_ONE: u32 = 1536; // 256 bytes: 1 where some kept message start is this one byte
export const BEFORE: u32 = 2048; //   BEFORE_MAX bytes: the prefix text before the time
export const BEFORE_MAX: u32 = 1024;
export const ZONE: u32 = 3072; //     ZONE_MAX bytes: the zone as the last time had it (" UTC", "+02")
export const ZONE_MAX: u32 = 64;
export const HINT_PAIR: u32 = 4096; // 65536 bytes: the bucket (1 to 255) of the kept message starts that begin with these two bytes, else 0
export const HINTS: u32 = 69632; //    HINTS_MAX bytes: the kept message starts by bucket, each as its length (one byte) then its bytes; 0 ends a bucket
export const HINTS_MAX: u32 = 16384;
export const BUCKETS: u32 = 86016; //  256 u32: where in HINTS each bucket begins
export const PIECE: u32 = 131072; // the bytes to scan

const NEWLINE = i8x16.splat(10);
const COLON = i8x16.splat(58);
const SPACE = i8x16.splat(32);
const TAB = i8x16.splat(9);

/** Longest prefix (before the severity) looked through; as MAX_PREFIX + 9 in stderr.ts. */
const MAX_COLON: i32 = 1024 + 9;

// What a scan counted, left at RESULT for JavaScript (reading memory is cheaper than exported globals):
// lines, unparsed, counted, before, lastStart, lastSev as i32, then minMs and maxMs as f64, then where the
// line it stopped at ends (its newline; -1: not looked for) as i32.
export const RESULT: u32 = 3200;
// The last second read: its 19 bytes and its epoch ms (UTC, before the zone).
let secondKnown = false;
let secondHead: v128 = i8x16.splat(0);
let secondTail: u32 = 0;
let secondMs: f64 = 0;

@inline function at(i: i32): u32 {
  return <u32>load<u8>(PIECE + <u32>i);
}

/** As time.ts zoneMinutesAt: two digits under 60 at `p`, followed by a space, a colon or the line's end `l`. */
@inline function zoneMinutesAt(p: i32, l: i32): bool {
  if (p + 2 > l || !isDigit(at(p)) || !isDigit(at(p + 1)) || at(p) > 53) return false;
  const next = p + 2 < l ? at(p + 2) : 32;
  return next == 32 || next == 58;
}

@inline function isDigit(c: u32): bool {
  return c - 48 < 10;
}

@inline function isUpperOrDigit(c: u32): bool {
  return c - 48 < 10 || c - 65 < 26;
}

@inline function two(i: i32): i32 {
  return <i32>(at(i) - 48) * 10 + <i32>(at(i + 1) - 48);
}

/** The length of the line [p, e) without the `\r` before its `\n`. */
@inline function lineLen(p: i32, e: i32): i32 {
  return (at(e - 1) == 13 ? e - 1 : e) - p;
}

/** Where the line that goes on at `from` ends (its `\n`), `len` when not in the piece. */
function lineEnd(from: i32, len: i32): i32 {
  let e = from;
  while (e < len) {
    const newline = i8x16.bitmask(i8x16.eq(v128.load(PIECE + <u32>e), NEWLINE));
    if (newline != 0) return min(len, e + ctz(newline));
    e += 16;
  }
  return len;
}

// How many lines otherLines() counted.
let otherCount: i32 = 0;

/**
 * The lines from `p` on that scan() counts as not log lines, read 16 bytes at a time: it stops at the start of
 * the first line with a `:  ` in it, an empty one (scan() counts those), one longer than `maxLen`,
 * one starting with a tab unless such tab lines are not log lines either (`tabsToo`), or one not ended before
 * `len`. Returns where it stopped; `otherCount` says how many lines it counted. A file of lines that are not a
 * log then costs a few instructions a block, not a turn a line.
 */
function otherLines(p: i32, len: i32, maxLen: i32, tabsToo: bool): i32 {
  let n: i32 = 0;
  // The line being read starts at `start`; [start, q) has no line end, and a `:  ` when `colonBefore`.
  let start = p;
  let colonBefore = false;
  let q = p;
  while (q + 16 <= len) {
    const a = v128.load(PIECE + <u32>q);
    const newline = i8x16.bitmask(i8x16.eq(a, NEWLINE));
    const colon = i8x16.bitmask(v128.and(i8x16.eq(a, COLON),
      v128.and(i8x16.eq(v128.load(PIECE + <u32>q + 1), SPACE), i8x16.eq(v128.load(PIECE + <u32>q + 2), SPACE))));
    if (newline == 0) {
      // The line goes on past the block.
      if (colon != 0) colonBefore = true;
      q += 16;
      if (q - start > maxLen) break;
      continue;
    }
    if (start == q) {
      // Every line that ends in the block at once, when none may be a log line.
      const last = 31 - clz(newline);
      const upto = (2 << last) - 1;
      const starts = ((newline << 1) | 1) & upto;
      if ((colon & upto) == 0 && (newline & starts) == 0 && (tabsToo || (i8x16.bitmask(i8x16.eq(a, TAB)) & starts) == 0)) {
        n += popcnt(newline);
        start = q = q + last + 1;
        continue;
      }
    }
    // The line ends at the block's first line end.
    const i = ctz(newline);
    const e = q + i;
    if (colonBefore || (colon & ((1 << i) - 1)) != 0) break;
    if (e == start || (at(start) == 9 && !tabsToo) || lineLen(start, e) > maxLen) break;
    n++;
    start = q = e + 1;
    colonBefore = false;
  }
  otherCount = n;
  return start;
}

/** Does the message at `m` (ending at `end`) start with one of the texts of `bucket` at HINTS? */
function hinted(m: i32, end: i32, bucket: u32): bool {
  let h = load<u32>(BUCKETS + (bucket << 2));
  for (let n = <i32>load<u8>(h); n != 0; n = <i32>load<u8>(h)) {
    if (m + n <= end) {
      let k = 0;
      while (k < n && <u32>load<u8>(h + 1 + <u32>k) == at(m + k)) k++;
      if (k == n) return true;
    }
    h += 1 + <u32>n;
  }
  return false;
}

/** Are the `n` bytes at `a` those at `b`? */
function same(a: i32, b: i32, n: i32): bool {
  let k = 0;
  for (; k + 16 <= n; k += 16) {
    if (!i8x16.all_true(i8x16.eq(v128.load(PIECE + <u32>(a + k)), v128.load(PIECE + <u32>(b + k))))) return false;
  }
  for (; k < n; k++) if (at(a + k) != at(b + k)) return false;
  return true;
}

/** Is the word at [w, c) one that continues an entry: DETAIL, HINT, CONTEXT, STATEMENT, QUERY, LOCATION? */
function isContinuation(w: i32, c: i32): bool {
  const n = c - w;
  const a = at(w);
  if (n == 6) return a == 68 && at(w + 1) == 69 && at(w + 2) == 84 && at(w + 3) == 65 && at(w + 4) == 73 && at(w + 5) == 76; // DETAIL
  if (n == 4) return a == 72 && at(w + 1) == 73 && at(w + 2) == 78 && at(w + 3) == 84; // HINT
  if (n == 7) return a == 67 && at(w + 1) == 79 && at(w + 2) == 78 && at(w + 3) == 84 && at(w + 4) == 69 && at(w + 5) == 88 && at(w + 6) == 84; // CONTEXT
  if (n == 9) return a == 83 && at(w + 1) == 84 && at(w + 2) == 65 && at(w + 3) == 84 && at(w + 4) == 69 && at(w + 5) == 77 && at(w + 6) == 69 &&
    at(w + 7) == 78 && at(w + 8) == 84; // STATEMENT
  if (n == 5) return a == 81 && at(w + 1) == 85 && at(w + 2) == 69 && at(w + 3) == 82 && at(w + 4) == 89; // QUERY
  if (n == 8) return a == 76 && at(w + 1) == 79 && at(w + 2) == 67 && at(w + 3) == 65 && at(w + 4) == 84 && at(w + 5) == 73 && at(w + 6) == 79 &&
    at(w + 7) == 78; // LOCATION
  return false;
}

/** Days from 1970-01-01 to year-month-01 (proleptic Gregorian), as Date.UTC counts them. */
function daysFromCivil(y: i32, m: i32): i32 {
  if (m <= 2) y -= 1;
  const era = (y >= 0 ? y : y - 399) / 400;
  const yoe = y - era * 400;
  const mp = (m + 9) % 12;
  const doy = (153 * mp + 2) / 5;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Counts lines from `from` on in the piece of `len` bytes (see the top of this file for which) and returns
 * where it stopped: the start of the first line it leaves to JavaScript, or of the last, unfinished line.
 * `ghost`: the entry before `from` is only counted; `orphan`: JavaScript has no entry a tab line would
 * continue; `unparsedToo`, `blanksToo`: lines that are not log lines, empty lines, are counted here too.
 * Times: the prefix's time
 * sits `timeAt` bytes into the line after the same `timeAt` bytes of text (at BEFORE), and is followed by
 * the `zoneLen` bytes at ZONE, worth `zoneMs`; a numeric zone (`zoneNumeric`) must not go on with `:`.
 */
export function scan(from: i32, len: i32, maxLen: i32, timeAt: i32, zoneLen: i32, zoneMs: f64, zoneNumeric: i32, since: f64, hints: i32, ghost: i32, unparsedToo: i32,
  ghostFrom: i32, ghostTo: i32, orphan: i32, blanksToo: i32): i32 {
  let lines: i32 = 0;
  let unparsed: i32 = 0;
  let counted: i32 = 0;
  let before: i32 = 0;
  // Where the last counted line starts and its severity ends (read by JavaScript only when one was counted).
  let lastStart: i32 = 0;
  let lastSev: i32 = 0;
  let lo = Infinity;
  let hi = -Infinity;
  let p = from;
  let stopNl = -1;
  while (p < len) {
    stopNl = -1;
    // The first `:  ` of the line and the line's end, 16 bytes at a time (reading past `len` is
    // harmless: memory goes on, and anything found there is not taken).
    let c = -1;
    let nl = -1;
    let q = p;
    while (q < len && q - p <= MAX_COLON) {
      const a = v128.load(PIECE + <u32>q);
      const newline = i8x16.bitmask(i8x16.eq(a, NEWLINE));
      const colon = i8x16.bitmask(v128.and(i8x16.eq(a, COLON),
        v128.and(i8x16.eq(v128.load(PIECE + <u32>q + 1), SPACE), i8x16.eq(v128.load(PIECE + <u32>q + 2), SPACE))));
      if ((newline | colon) != 0) {
        const bn = newline != 0 ? ctz(newline) : 32;
        const bc = colon != 0 ? ctz(colon) : 32;
        if (bc < bn) c = q + bc;
        else {
          nl = q + bn;
          if (nl < len) stopNl = nl;
        }
        break;
      }
      q += 16;
    }
    // An empty line (\n or \r\n): JavaScript counts it as a blank line, never one checked for another format; so
    // does this, once JavaScript keeps no more samples of them (`blanksToo`).
    if (blanksToo != 0 && nl >= 0 && nl < len && (nl == p || (nl == p + 1 && at(p) == 13))) {
      lines++;
      unparsed++;
      p = nl + 1;
      continue;
    }
    // A tab continuation line of an entry that is only counted: only a line.
    if (at(p) == 9 && ghost != 0) {
      const e = lineEnd(c >= 0 ? c : nl >= 0 ? nl : q, len);
      if (e < len) stopNl = e;
      if (e >= len || lineLen(p, e) > maxLen) break;
      lines++;
      p = e + 1;
      continue;
    }
    // NUL bytes before a line (what a crash or a power loss leaves in a log file): JavaScript reads past them
    // to the line. A line of NUL bytes only is no log line, and is counted as any other here.
    if (at(p) == 0) {
      let k = p;
      while (k + 16 <= len && !v128.any_true(v128.load(PIECE + <u32>k))) k += 16;
      while (k < len && at(k) == 0) k++;
      if (k < len && at(k) != 10 && at(k) != 13) break;
    }
    // Not a log line: a tab line with no entry before it (`orphan`: JavaScript has none, and none was counted
    // since), or a line with no `:  ` where a severity could end. lineAt counts it as unparsed; so does this, once
    // JavaScript keeps no more samples and has made its foreign-format checks (`unparsedToo`), and the lines
    // after it that are not log lines either.
    if (unparsedToo != 0 && (at(p) == 9 ? orphan != 0 : c < 0 || c - p > MAX_COLON)) {
      const e = nl >= 0 ? nl : lineEnd(c >= 0 ? c : q, len);
      if (e < len) stopNl = e;
      if (e >= len || lineLen(p, e) > maxLen) break;
      p = otherLines(e + 1, len, maxLen, ghost == 0 && orphan != 0);
      lines += 1 + otherCount;
      unparsed += 1 + otherCount;
      continue;
    }
    if (c < 0 || c - p > MAX_COLON) break;
    if (c + 3 > len) break;
    nl = lineEnd(c + 3, len);
    if (nl >= len) break;
    stopNl = nl;
    if (at(p) == 9) break;
    const end = at(nl - 1) == 13 ? nl - 1 : nl;
    if (end - p > maxLen) break;
    // DETAIL, HINT, ... of the entry only counted, written with its very prefix (so by its process): only a line.
    if (ghost != 0 && ghostFrom >= 0) {
      const w = p + ghostTo - ghostFrom;
      if (w < c && isContinuation(w, c) && same(p, ghostFrom, ghostTo - ghostFrom)) {
        lines++;
        p = nl + 1;
        continue;
      }
    }
    const l = c - 3;
    if (l < p || at(l) != 76 || at(l + 1) != 79 || at(l + 2) != 71) break;
    if (l > p && load<u8>(WORD + at(l - 1)) != 0) break;
    // A message the digest keeps (keepWhen): the first one or two bytes tell, or which starts to compare.
    let m = c + 3;
    // log_error_verbosity = verbose: the message starts after its SQLSTATE ("00000: database system was ...").
    if (end - m > 7 && at(m + 5) == 58 && at(m + 6) == 32 && isUpperOrDigit(at(m)) && isUpperOrDigit(at(m + 1)) &&
      isUpperOrDigit(at(m + 2)) && isUpperOrDigit(at(m + 3)) && isUpperOrDigit(at(m + 4))) m += 7;
    if (hints != 0 && m < end) {
      const b = at(m);
      if (load<u8>(HINT_ONE + b) != 0) break;
      if (m + 1 < end) {
        const bucket = <u32>load<u8>(HINT_PAIR + (b << 8) + at(m + 1));
        if (bucket != 0 && hinted(m, end, bucket)) break;
      }
    }
    // The time: unknown yet (JavaScript learns where it is from a line it reads), or the same text before it, then `YYYY-MM-DD HH:MM:SS[.fff]` and the zone.
    if (timeAt < 0) break;
    let k = 0;
    while (k < timeAt && <u32>load<u8>(BEFORE + <u32>k) == at(p + k)) k++;
    if (k < timeAt) break;
    const t = p + timeAt;
    if (t + 20 > l) break;
    // Lines of one second share its 19 bytes: read them once (compared as 16 + 4 bytes).
    const head = v128.load(PIECE + <u32>t);
    const tail = load<u32>(PIECE + <u32>t + 15);
    if (!(secondKnown && i8x16.all_true(i8x16.eq(head, secondHead)) && tail == secondTail)) {
      if (!(isDigit(at(t)) && isDigit(at(t + 1)) && isDigit(at(t + 2)) && isDigit(at(t + 3)) && isDigit(at(t + 5)) &&
        isDigit(at(t + 6)) && isDigit(at(t + 8)) && isDigit(at(t + 9)) && isDigit(at(t + 11)) && isDigit(at(t + 12)) &&
        isDigit(at(t + 14)) && isDigit(at(t + 15)) && isDigit(at(t + 17)) && isDigit(at(t + 18)))) break;
      const sep = at(t + 10);
      if (at(t + 4) != 45 || at(t + 7) != 45 || at(t + 13) != 58 || at(t + 16) != 58 || (sep != 32 && sep != 84)) break;
      const year = two(t) * 100 + two(t + 2);
      const month = two(t + 5);
      const day = two(t + 8);
      const hour = two(t + 11);
      const minute = two(t + 14);
      const sec = two(t + 17);
      // Date.UTC reads years below 100 as 19xx: left to JavaScript.
      if (year < 100 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60) break;
      secondMs = <f64>(daysFromCivil(year, month) + day - 1) * 86400000.0 + <f64>(hour * 3600000 + minute * 60000 + sec * 1000);
      secondHead = head;
      secondTail = tail;
      secondKnown = true;
    }
    let j = t + 19;
    let frac = 0;
    if (at(j) == 46 && isDigit(at(j + 1))) {
      j++;
      let digits = 0;
      while (j < l && isDigit(at(j))) {
        if (digits < 3) frac = frac * 10 + <i32>(at(j) - 48);
        digits++;
        j++;
      }
      // More than milliseconds: JavaScript sums them as fractions; left to it.
      if (digits > 3) break;
      if (digits == 1) frac *= 100;
      else if (digits == 2) frac *= 10;
    }
    let z = 0;
    while (z < zoneLen && j + z < len && <u32>load<u8>(ZONE + <u32>z) == at(j + z)) z++;
    if (z < zoneLen) break;
    const after = j + z < l ? at(j + z) : 32;
    // A numeric zone, a colon and what could be its minutes: left to JavaScript (time.ts zoneMinutesAt).
    if (load<u8>(ALNUM + after) != 0 || (after == 58 && zoneNumeric != 0 && zoneMinutesAt(j + z + 1, l))) break;
    const ms = secondMs + <f64>frac - zoneMs;
    lines++;
    counted++;
    ghost = 1;
    ghostFrom = p;
    ghostTo = l;
    if (ms < since) before++;
    if (ms < lo) lo = ms;
    if (ms > hi) hi = ms;
    lastStart = p;
    lastSev = l;
    p = nl + 1;
  }
  store<i32>(RESULT, lines);
  store<i32>(RESULT + 4, unparsed);
  store<i32>(RESULT + 8, counted);
  store<i32>(RESULT + 12, before);
  store<i32>(RESULT + 16, lastStart);
  store<i32>(RESULT + 20, lastSev);
  store<f64>(RESULT + 24, lo);
  store<f64>(RESULT + 32, hi);
  store<i32>(RESULT + 40, p < len ? stopNl : -1);
  return p;
}
