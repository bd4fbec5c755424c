// A log read the way the digest reads it (only kept severities become entries, the rest is counted, in runs)
// and what to compare it with: the helpers the fast path's differential tests share.
import assert from 'node:assert/strict';
import { newStats } from '../../src/insight/entry.ts';
import type { LogEntry, ReaderStats, Severity } from '../../src/insight/entry.ts';
import { freeOnceRead, readBatches } from '../../src/insight/read.ts';
import { StderrParser } from '../../src/insight/formats/stderr.ts';

export interface CountingOptions {
  /** Sizes of the pieces the bytes come in, used in turn. */
  pieces: number[];
  keep?: ReadonlySet<Severity> | undefined;
  since?: number | undefined;
  keepWhen?: readonly string[] | undefined;
  maxLineLength?: number | undefined;
  format?: 'stderr' | undefined;
  /** Each piece a fresh buffer of its own, the source marked freeOnceRead(): the reader frees each piece once read. */
  freed?: boolean | undefined;
}

/** Where a time falls against `since` (NaN: no window, so "in"); untimed when there is none. */
const side = (ms: number, since: number): string => (ms !== ms ? 'untimed' : ms < since ? 'before' : 'in');

/**
 * The entries of `bytes` (kept ones only, when `keep` is given) and how many were counted of each severity on
 * each side of `since` ("ERROR before", "LOG in"), as `tally` says it for entries; and `scanned`, how many lines
 * the WebAssembly scanner counted (a differential test that never reached it would compare JavaScript with itself).
 */
export async function readCounting(bytes: Buffer, o: CountingOptions): Promise<{ entries: LogEntry[]; counted: Map<string, number>; stats: ReaderStats; scanned: number }> {
  const name = 'x.log';
  const since = o.since ?? NaN;
  const stats = newStats(name, name);
  const counted = new Map<string, number>();
  const count = (sev: Severity, ms: number, n: number): void => {
    const k = `${sev} ${side(ms, since)}`;
    counted.set(k, (counted.get(k) ?? 0) + n);
  };
  const pieces: Buffer[] = [];
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const size = o.pieces[k % o.pieces.length]!;
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  const entries: LogEntry[] = [];
  const opts = { keep: o.keep, count, stats, name, since, keepWhen: o.keepWhen, maxLineLength: o.maxLineLength, format: o.format };
  let scanned = 0;
  const scanLines = Object.getOwnPropertyDescriptor(StderrParser.prototype, 'scanLines')!;
  Object.defineProperty(StderrParser.prototype, 'scanLines', {
    ...scanLines,
    value(this: StderrParser, ...args: Parameters<StderrParser['scanLines']>): number {
      const next = (scanLines.value as StderrParser['scanLines']).apply(this, args);
      scanned += this.scanned;
      return next;
    },
  });
  try {
    const source = o.freed === true ? freeOnceRead(pieces.map(ownCopy)) : pieces;
    for await (const b of readBatches(source, opts)) entries.push(...b);
    // Every piece was freed once read; had the reader kept a view of one and read it later, what it read above
    // would differ from reading the same bytes unfreed.
    if (o.freed === true) assert.ok(source.every((p) => p.length === 0), 'each piece is freed once read');
  } finally {
    Object.defineProperty(StderrParser.prototype, 'scanLines', scanLines);
  }
  return { entries, counted, stats, scanned };
}

/** A copy of `b` in a buffer of its own (Buffer.from would take small ones from the shared pool). */
export function ownCopy(b: Buffer): Buffer {
  const c = Buffer.from(new ArrayBuffer(b.length));
  b.copy(c);
  return c;
}

/** What readCounting's `counted` says for these entries, added to `into`. */
export function tally(entries: LogEntry[], since: number, into = new Map<string, number>()): Map<string, number> {
  for (const e of entries) {
    const k = `${e.severity} ${side(e.time?.getTime() ?? NaN, since)}`;
    into.set(k, (into.get(k) ?? 0) + 1);
  }
  return into;
}

/** Whether the digest keeps an entry: one of the kept severities, or a message that starts as one of `keepWhen`. */
export const keptBy = (keep: ReadonlySet<Severity>, keepWhen: readonly string[]) => (e: LogEntry): boolean =>
  keep.has(e.severity) || keepWhen.some((w) => e.message.startsWith(w));

/** A count map as a sorted list, for deepEqual. */
export const sorted = (m: Map<string, number>): Array<[string, number]> => [...m].sort((a, b) => a[0].localeCompare(b[0]));

/** The statistics with the unparsed lines' samples as their number (their text is compared elsewhere). */
export const strip = (st: ReaderStats): Omit<ReaderStats, 'unparsedSamples'> & { unparsedSamples: number } => ({ ...st, unparsedSamples: st.unparsedSamples.length });
