// Random stderr logs read two ways: every entry (the JavaScript reader alone) and only the kept ones (the fast
// path: the WebAssembly scanner counts the rest). What a user sees must not depend on which: the kept entries,
// the counts on each side of 'since', the times and the statistics. Seeded, so a failure can be replayed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogEntry, Severity } from '../../src/insight/entry.ts';
import { keptBy, readCounting, sorted, strip, tally } from '../support/read-two-ways.ts';
import { DigestBuilder } from '../../src/insight/digest.ts';

/** mulberry32: a small seeded generator, enough to vary logs reproducibly. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The reader's default longest line; fields joined past it are cut (and counted) only in entries that are kept. */
const MAX_LINE = 65536;
const KEEP = new Set<Severity>(['ERROR', 'FATAL', 'PANIC', 'WARNING']);
const KEEP_WHEN = ['database system was', 'server process'];
const CONTINUATIONS = ['DETAIL', 'HINT', 'STATEMENT', 'CONTEXT', 'QUERY', 'LOCATION'];

/**
 * One random log: lines of several prefixes, zones, severities and oddities; `\r\n` line ends in some logs. Some LOG
 * messages begin with one of `starts`; with `nearMisses`, some with one of them cut short by a character.
 */
function randomLog(rnd: () => number, starts: readonly string[] = KEEP_WHEN, nearMisses = false): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const words = ['relation', 'orders', 'does', 'not', 'exist', 'überall', 'café', 'LOG:  inside', 'a:  b', 'x'];
  const message = (): string => Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => pick(words)).join(' ');
  const layout = pick(['m', 'rds', 'before', 'mixed']);
  const zone = pick([' UTC', ' UTC', ' +02', ' CET', ' -05', '+05:30']);
  let ms = Date.UTC(2024, 4, 1, 10) + Math.floor(rnd() * 1e6);
  let pid = 100;
  let lastPrefix = '';
  const prefix = (): string => {
    const r = rnd();
    if (r < 0.15) ms += Math.floor(rnd() * 5000); // a new second, or several
    else if (r < 0.18) ms -= Math.floor(rnd() * 3000); // out of order
    else ms += Math.floor(rnd() * 3);
    if (rnd() < 0.3) pid = 100 + Math.floor(rnd() * 20);
    const iso = new Date(ms).toISOString();
    const digits = pick([0, 3, 3, 3, 1, 2, 6]);
    const frac = digits === 0 ? '' : '.' + (iso.slice(20, 23) + '123').slice(0, digits);
    const time = iso.slice(0, 10) + ' ' + iso.slice(11, 19) + frac + (rnd() < 0.03 ? ' XYZ' : zone);
    const kind = layout === 'mixed' ? pick(['m', 'rds', 'before', 'epoch', 'none']) : layout;
    switch (kind) {
      case 'rds': return `${time}:10.0.0.${pid % 7}(${5000 + pid}):app@db:[${pid}]:`;
      case 'before': return `time=${time} [${pid}] `;
      case 'epoch': return `${(ms / 1000).toFixed(3)} [${pid}] `;
      case 'none': return `[${pid}] `;
      default: return `${time} [${pid}] app@db `;
    }
  };
  const lines: string[] = [];
  const n = 150 + Math.floor(rnd() * 400);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.55) {
      lastPrefix = prefix();
      let start = rnd() < 0.05 ? pick(starts) + ' ' : rnd() < 0.03 ? '00000: ' + pick(starts) + ' ' : '';
      if (nearMisses && start === '' && rnd() < 0.1) start = pick(starts).slice(0, -1);
      lines.push(`${lastPrefix}LOG:  ${start}${message()}`);
    } else if (r < 0.65) {
      lastPrefix = prefix();
      lines.push(`${lastPrefix}${pick(['ERROR', 'FATAL', 'WARNING', 'PANIC', 'NOTICE', 'INFO', 'DEBUG1', 'FEHLER'])}:  ${message()}`);
    } else if (r < 0.8) {
      // A DETAIL/HINT/... line: mostly with the last line's very prefix, sometimes another process's.
      const p = rnd() < 0.8 && lastPrefix !== '' ? lastPrefix : prefix();
      lines.push(`${p}${pick(CONTINUATIONS)}:  ${message()}`);
    } else if (r < 0.88) {
      lines.push(`\t${message()}`);
    } else if (r < 0.91) {
      lines.push('');
    } else if (r < 0.94) {
      lines.push(`not a log line ${message()}`);
    } else if (r < 0.96) {
      lines.push(`${prefix()}xLOG:  a word goes on before it`);
    } else if (r < 0.98) {
      // Overlong lines, cut at MAX_LINE: a LOG line (then a new entry, as a field joined to the cut message would
      // be cut and counted again only if the entry is kept) or a line that is not a log line.
      if (rnd() < 0.5) {
        lastPrefix = prefix();
        lines.push(`${lastPrefix}LOG:  ${'y'.repeat(MAX_LINE)}`, `${prefix()}LOG:  after the long one`);
      } else lines.push('z'.repeat(MAX_LINE + 50));
    } else {
      lines.push(`${prefix()}LOG:  checkpoint starting: time`);
    }
  }
  const eol = rnd() < 0.2 ? '\r\n' : '\n';
  return Buffer.from(lines.join(eol) + eol);
}

/** Reads `logs` random logs both ways and compares them; returns in how many the scanner counted lines. */
async function twoWays(seed: number, logs: number, keepWhen: readonly string[], nearMisses = false): Promise<number> {
  const rnd = random(seed);
  const kept = keptBy(KEEP, keepWhen);
  let scanned = 0;
  let scannedLogs = 0;
  for (let i = 0; i < logs; i++) {
    const bytes = randomLog(rnd, keepWhen, nearMisses);
    const full = await readCounting(bytes, { pieces: [1 << 16], keepWhen, maxLineLength: MAX_LINE });
    const timed = full.entries.filter((e) => e.time !== undefined);
    const since = rnd() < 0.5 ? NaN : timed[Math.floor(rnd() * timed.length)]?.time?.getTime() ?? NaN;
    const pieceSizes = Array.from({ length: 3 }, () => (rnd() < 0.3 ? 1 << 16 : 1 + Math.floor(rnd() * 3000)));
    const format = rnd() < 0.5 ? 'stderr' : undefined;
    // Every other log from a source marked freeOnceRead(): each piece freed once read, as the digest thread's.
    const freedChunks = i % 2 === 1;
    const fast = await readCounting(bytes, { pieces: pieceSizes, keep: KEEP, since, keepWhen, maxLineLength: MAX_LINE, format, freed: freedChunks });
    const how = `log ${i} (pieces ${pieceSizes.join('/')}, since ${since}, format ${format}, freed ${freedChunks})`;
    // A DETAIL/HINT/... line of another process right after a kept entry is kept as an entry of its own (an
    // orphan) by the fast path, and counted otherwise: the digest sees one entry either way.
    assert.deepEqual(fast.entries.filter(kept), full.entries.filter(kept), `kept entries, ${how}`);
    assert.ok(fast.entries.filter((e) => !kept(e)).every((e) => CONTINUATIONS.includes(e.severity)), `only orphans kept besides, ${how}`);
    const rest = (entries: LogEntry[]): LogEntry[] => entries.filter((e) => !kept(e));
    assert.deepEqual(sorted(tally(rest(fast.entries), since, new Map(fast.counted))), sorted(tally(rest(full.entries), since)), `counted entries, ${how}`);
    assert.deepEqual(strip(fast.stats), strip(full.stats), `stats, ${how}`);
    scanned += fast.scanned;
    if (fast.scanned > 0) scannedLogs++;
  }
  // The comparison is of the scanner with JavaScript, not of JavaScript with itself.
  assert.ok(scanned > 0, 'the WebAssembly scanner counted lines');
  return scannedLogs;
}

test('random stderr logs: the fast path keeps, counts and times what reading every entry does', async () => {
  // Seed 3 and 300 logs: among them one whose DETAIL line, of a counted entry, has an unknown zone (the fast path
  // once left it out of the statistics).
  const scannedLogs = await twoWays(3, 300, KEEP_WHEN);
  // And in most of the logs, not in a few (all 300 reach it today).
  assert.ok(scannedLogs >= 250, `the scanner counted lines in ${scannedLogs} of 300 logs`);
});

test("the digest's message starts, in English and a dozen other languages: kept and counted alike both ways, near misses too", async () => {
  // Hundreds of starts, many sharing their first two bytes (Cyrillic, Japanese and Chinese ones all do): the
  // scanner compares a message with those of its own first two bytes only, and must find the same as JavaScript.
  const keepWhen = new DigestBuilder({}).readOptions().keepWhen!;
  assert.ok(keepWhen.length > 200 && keepWhen.includes('Serverprozess') && keepWhen.includes('server process'));
  const scannedLogs = await twoWays(11, 120, keepWhen, true);
  assert.ok(scannedLogs >= 100, `the scanner counted lines in ${scannedLogs} of 120 logs`);
});
