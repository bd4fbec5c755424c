// Entries over time in even buckets, built while streaming: at most MAX_BUCKETS buckets from the first entry
// to the last, whatever the span; when an entry would make more, the buckets widen (to the next round width)
// and merge.

/** Round bucket widths, each a whole multiple of the one before, so buckets merge exactly. */
const WIDTHS_S = [1, 2, 10, 30, 60, 120, 600, 1800, 3600, 7200, 21600, 43200, 86400, 172800, 1209600];
const MAX_BUCKETS = 48;

export interface Timeline {
  /** Start of the first bucket (UTC ms, a multiple of widthMs). */
  startMs: number;
  widthMs: number;
  /** Counts per bucket by series (a severity), all the same length; the first and last bucket hold entries. */
  series: Record<string, number[]>;
}

export class TimelineBuilder {
  private level = 0;
  /** Lowest and highest bucket number (time / width) holding an entry. */
  private lo = Infinity;
  private hi = -Infinity;
  /** Per series: bucket number → count. Never more than MAX_BUCKETS keys: the buckets widen first. */
  private readonly series = new Map<string, Map<number, number>>();

  private width(level = this.level): number {
    const last = WIDTHS_S.length - 1;
    // Beyond the table, keep doubling the last width.
    return WIDTHS_S[Math.min(level, last)]! * 1000 * 2 ** Math.max(0, level - last);
  }

  add(ms: number, name: string): void {
    // Before 1970 or not a time: left out.
    if (!(ms >= 0 && ms < 8.64e15)) return;
    let n = Math.floor(ms / this.width());
    while (Math.max(this.hi, n) - Math.min(this.lo, n) >= MAX_BUCKETS) {
      this.widen();
      n = Math.floor(ms / this.width());
    }
    if (n < this.lo) this.lo = n;
    if (n > this.hi) this.hi = n;
    let s = this.series.get(name);
    if (s === undefined) this.series.set(name, (s = new Map()));
    s.set(n, (s.get(n) ?? 0) + 1);
  }

  /** The next round width; every old bucket lies wholly inside one new bucket (widths divide each other). */
  private widen(): void {
    const ratio = this.width(this.level + 1) / this.width();
    this.level++;
    for (const [name, s] of this.series) {
      const merged = new Map<number, number>();
      for (const [n, c] of s) {
        const m = Math.floor(n / ratio);
        merged.set(m, (merged.get(m) ?? 0) + c);
      }
      this.series.set(name, merged);
    }
    if (this.hi >= this.lo) {
      this.lo = Math.floor(this.lo / ratio);
      this.hi = Math.floor(this.hi / ratio);
    }
  }

  finish(): Timeline | undefined {
    if (this.hi < this.lo) return undefined;
    const series: Record<string, number[]> = {};
    for (const [name, s] of this.series) {
      const counts = new Array<number>(this.hi - this.lo + 1).fill(0);
      for (const [n, c] of s) counts[n - this.lo] = c;
      series[name] = counts;
    }
    return { startMs: this.lo * this.width(), widthMs: this.width(), series };
  }
}

const BLOCKS = '▁▂▃▄▅▆▇█';

/** One character per bucket: `·` for none, else a block as tall as the count relative to `peak`. */
export function sparkline(counts: readonly number[], peak = Math.max(...counts)): string {
  return counts.map((n) => (n === 0 ? '·' : BLOCKS[Math.min(7, Math.max(0, Math.ceil((n / peak) * 8) - 1))]!)).join('');
}
