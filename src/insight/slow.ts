// The slow-statement digest of PostgreSQL's slow-query log, built while streaming: every entry with a
// `duration: … ms`, its statement normalised (literals and $n parameters folded, comments kept), grouped and
// ranked by total time; and the slowest single execution in full, with its parameters.
// Memory: O(distinct statements) (capped by maxGroups), whatever the size of the files. No @actions/* here.
import { detach } from './entry.ts';
import type { LogEntry, ReaderStats, Severity } from './entry.ts';
import type { ReadOptions } from './read.ts';
import { fileDigestOf, readFilesInto, type EntrySink, type FileDigest } from './digest.ts';
import { hideCredentials, hideEntry, HIDE_BUDGET, type HideBudget } from './secrets/entry.ts';

export interface SlowOptions {
  /** Entries before this instant are not counted; with it, entries without a readable time are not counted either. */
  since?: Date | undefined;
  /** Most distinct statements tracked (default 1000); further ones only counted in `overflow`. */
  maxGroups?: number | undefined;
  maxLineLength?: number | undefined;
  /** As DigestOptions.budgetMs: how long the reading may take. */
  budgetMs?: number | undefined;
}

/** The protocol step a duration is for: a simple-protocol statement or an execute, or a parse or bind step. */
export type SlowStep = 'statement' | 'execute' | 'parse' | 'bind';

export interface SlowExecution {
  /** The duration as logged (`1301.927`), and as a number of milliseconds. */
  duration: string;
  ms: number;
  step: SlowStep;
  /** The prepared statement (and portal) for execute/parse/bind: `P_0`, `<unnamed>`. */
  name?: string | undefined;
  statement: string;
  /** The DETAIL line: `parameters: $1 = '83', $2 = '29'` for the extended protocol. */
  detail?: string | undefined;
  time?: Date | undefined;
  user?: string | undefined;
  database?: string | undefined;
  file: string;
  line: number;
}

export interface SlowStatement {
  /** The normalised statement. */
  key: string;
  /** `run` for statements and executes (one call each), else the protocol step the durations are for. */
  step: 'run' | 'parse' | 'bind';
  calls: number;
  totalMs: number;
  maxMs: number;
  firstSeen?: Date | undefined;
  lastSeen?: Date | undefined;
  /** The group's slowest execution (its statement cut at MAX_EXAMPLE characters). */
  slowest: SlowExecution;
}

export interface SlowDigest {
  since?: Date | undefined;
  files: FileDigest[];
  /** Counted entries with a duration. */
  count: number;
  totalMs: number;
  /** Distinct statements, most total time first. */
  statements: SlowStatement[];
  /** Durations whose statement did not fit in maxGroups distinct statements (counted, not listed). */
  overflow: number;
  /** Durations logged without statement text (log_duration = on): counted, not ranked. */
  withoutText: number;
  /** The slowest single execution, statement in full (up to the reader's line limit). */
  slowest?: SlowExecution | undefined;
  /** Entries before `since`, and (with `since`) entries without a readable time: not counted. */
  beforeWindow: number;
  untimed: number;
}

const DEFAULT_MAX_GROUPS = 1000;
/** Characters of a statement looked at when normalising (bounded work per distinct statement). */
const KEY_SOURCE = 4000;
/** A group's slowest statement is kept up to this length; the overall slowest in full. */
const MAX_EXAMPLE = 4000;

// `duration: 12.345 ms  statement: …`, `… execute P_0: …`, `… execute <unnamed>/C_1: …`, `… bind P_0: …`,
// `… parse <unnamed>: …`, `… execute fetch from P_0/C_1: …`; or `duration: 0.05 ms` alone (log_duration).
const DURATION = /^duration: (\d+(?:\.\d+)?) ms(?: {2}(?:(statement)|(execute|parse|bind)(?: fetch from)? ([^:\n]*)): ([\s\S]*))?$/;

export function parseDuration(message: string): { duration: string; step: SlowStep | undefined; name: string | undefined; statement: string | undefined } | undefined {
  if (!message.startsWith('duration: ')) return undefined;
  const m = DURATION.exec(message);
  if (!m) return undefined;
  const step = (m[2] ?? m[3]) as SlowStep | undefined;
  return { duration: m[1]!, step, name: m[4], statement: m[5] };
}

const isWord = (c: string): boolean => /[A-Za-z0-9_$\u0080-\uffff]/.test(c);

/**
 * The statement with what varies between calls folded to `?`: 'string' literals (also E'…' and $$…$$),
 * numbers and $n parameters. Comments and "quoted identifiers" stay as written; white space is collapsed and
 * a trailing `;` dropped, so the simple and the extended protocol's text of one statement read alike.
 */
export function normalizeStatement(sql: string): string {
  const s = sql.length > KEY_SOURCE ? sql.slice(0, KEY_SOURCE) : sql;
  const n = s.length;
  let out = '';
  let i = 0;
  while (i < n) {
    const c = s[i]!;
    const next = s[i + 1];
    if (c === '-' && next === '-') {
      const end = s.indexOf('\n', i);
      out += s.slice(i, end < 0 ? n : end).trimEnd() + ' ';
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && next === '*') {
      const end = s.indexOf('*/', i + 2);
      out += s.slice(i, end < 0 ? n : end + 2).replace(/\s+/g, ' ');
      i = end < 0 ? n : end + 2;
    } else if (c === "'") {
      // E'…' strings escape with a backslash; standard ones double the quote.
      const escaped = (out.endsWith('E') || out.endsWith('e')) && !isWord(out[out.length - 2] ?? ' ');
      if (escaped) out = out.slice(0, -1);
      let j = i + 1;
      while (j < n) {
        if (escaped && s[j] === '\\') j += 2;
        else if (s[j] === "'" && s[j + 1] === "'") j += 2;
        else if (s[j] === "'") break;
        else j++;
      }
      out += '?';
      i = j + 1;
    } else if (c === '$' && next !== undefined && next >= '0' && next <= '9') {
      let j = i + 1;
      while (j < n && s[j]! >= '0' && s[j]! <= '9') j++;
      out += '?';
      i = j;
    } else if (c === '$' && !isWord(out[out.length - 1] ?? ' ')) {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(s.slice(i, i + 65));
      if (tag) {
        const end = s.indexOf(tag[0], i + tag[0].length);
        out += '?';
        i = end < 0 ? n : end + tag[0].length;
      } else {
        out += c;
        i++;
      }
    } else if (c === '"') {
      const end = s.indexOf('"', i + 1);
      out += s.slice(i, end < 0 ? n : end + 1);
      i = end < 0 ? n : end + 1;
    } else if ((c >= '0' && c <= '9') || (c === '.' && next !== undefined && next >= '0' && next <= '9')) {
      const m = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(s.slice(i, i + 64))!;
      out += '?';
      i += m[0].length;
    } else if (isWord(c)) {
      let j = i + 1;
      while (j < n && isWord(s[j]!)) j++;
      out += s.slice(i, j);
      i = j;
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (!out.endsWith(' ')) out += ' ';
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out.trim().replace(/\s*;$/, '');
}

export class SlowDigestBuilder implements EntrySink {
  readonly since: number;
  readonly sinceDate: Date | undefined;
  readonly maxGroups: number;
  count = 0;
  totalMs = 0;
  overflow = 0;
  withoutText = 0;
  beforeWindow = 0;
  untimed = 0;
  slowest: SlowExecution | undefined;
  groups = new Map<string, SlowStatement & { firstMs: number; lastMs: number }>();
  /** statement text → normalised; cleared when it grows too big. */
  keyCache = new Map<string, string>();
  fileInWindow = 0;
  fileUntimed = 0;

  constructor(opts: SlowOptions = {}) {
    this.sinceDate = opts.since;
    this.since = opts.since !== undefined ? opts.since.getTime() : NaN;
    this.maxGroups = Math.max(0, opts.maxGroups ?? DEFAULT_MAX_GROUPS);
  }

  /** Only the entries that carry a duration become strings; the reader counts the rest (the fast path). */
  readOptions(): ReadOptions {
    return { keep: new Set<Severity>(), count: (_sev, ms, n) => this.counted(ms, n), keepWhen: ['duration: '], since: this.since };
  }

  /** `n` entries the reader only counted: for the per-file figures. */
  counted(ms: number, n: number): void {
    if (ms !== ms) {
      this.fileUntimed += n;
      if (this.since === this.since) return;
    } else if (ms < this.since) {
      return;
    }
    this.fileInWindow += n;
  }

  startFile(): void {
    this.fileInWindow = 0;
    this.fileUntimed = 0;
  }

  settle(): void {
    // Everything kept is detached when it is kept.
  }

  fileDigest(stats: ReaderStats, size: number, error?: string): FileDigest {
    return fileDigestOf(stats, size, this.fileInWindow, this.fileUntimed, error);
  }

  add(e: LogEntry): void {
    if (e.time === undefined) {
      this.fileUntimed++;
      if (this.since === this.since) {
        if (e.message.startsWith('duration: ')) this.untimed++;
        return;
      }
    } else if (e.time.getTime() < this.since) {
      if (e.message.startsWith('duration: ')) this.beforeWindow++;
      return;
    }
    this.fileInWindow++;
    const d = parseDuration(e.message);
    if (d === undefined) return;
    const ms = Number(d.duration);
    this.count++;
    this.totalMs += ms;
    if (d.statement === undefined || d.step === undefined) {
      this.withoutText++;
      return;
    }
    const execution = (max: number): SlowExecution => ({
      duration: d.duration, ms, step: d.step!, name: d.name === undefined ? undefined : detach(d.name),
      statement: detach(d.statement!.length > max ? d.statement!.slice(0, max) : d.statement!),
      detail: e.detail === undefined ? undefined : detach(e.detail), time: e.time,
      user: e.user === undefined ? undefined : detach(e.user), database: e.database === undefined ? undefined : detach(e.database),
      file: e.file, line: e.line,
    });
    if (this.slowest === undefined || ms > this.slowest.ms) this.slowest = execution(Infinity);

    let norm = this.keyCache.get(d.statement);
    if (norm === undefined) {
      norm = detach(normalizeStatement(d.statement));
      if (this.keyCache.size >= 4096) this.keyCache.clear();
      this.keyCache.set(detach(d.statement), norm);
    }
    const step = d.step === 'statement' || d.step === 'execute' ? 'run' : d.step;
    const key = step + '\u0000' + norm;
    const t = e.time?.getTime() ?? NaN;
    const g = this.groups.get(key);
    if (g !== undefined) {
      g.calls++;
      g.totalMs += ms;
      if (ms > g.maxMs) {
        g.maxMs = ms;
        g.slowest = execution(MAX_EXAMPLE);
      }
      if (!(t >= g.firstMs)) { g.firstMs = t; g.firstSeen = e.time; }
      if (!(t <= g.lastMs)) { g.lastMs = t; g.lastSeen = e.time; }
      return;
    }
    if (this.groups.size >= this.maxGroups) {
      this.overflow++;
      return;
    }
    this.groups.set(key, {
      key: norm, step, calls: 1, totalMs: ms, maxMs: ms, firstSeen: e.time, lastSeen: e.time, slowest: execution(MAX_EXAMPLE),
      firstMs: t, lastMs: t,
    });
  }

  finish(files: FileDigest[]): SlowDigest {
    // Sums of 3-decimal durations, without the float noise of adding them up (6026.6359999999995).
    const round = (ms: number): number => Math.round(ms * 1000) / 1000;
    const budget: HideBudget = { left: HIDE_BUDGET };
    const slowest = this.slowest && hideInExecution(this.slowest, budget);
    const statements = [...this.groups.values()]
      .map(({ firstMs: _f, lastMs: _l, ...g }): SlowStatement => ({ ...g, key: hideCredentials(g.key, budget), slowest: hideInExecution(g.slowest, budget), totalMs: round(g.totalMs) }))
      .sort((a, b) => b.totalMs - a.totalMs || b.calls - a.calls || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return {
      since: this.sinceDate, files, count: this.count, totalMs: round(this.totalMs), statements, overflow: this.overflow,
      withoutText: this.withoutText, slowest, beforeWindow: this.beforeWindow, untimed: this.untimed,
    };
  }
}

/** An execution as it may be shown: its statement and parameters without the secrets they hold (secrets/entry.ts). */
function hideInExecution(x: SlowExecution, budget: HideBudget): SlowExecution {
  const { entry } = hideEntry({ message: '', statement: x.statement, detail: x.detail, hint: undefined, context: undefined, query: undefined }, budget);
  return { ...x, statement: entry.statement ?? '', detail: entry.detail };
}

/** Reads the slow-query log files (oldest first) into a slow-statement digest. */
export async function digestSlowFiles(
  files: Array<{ name: string; path: string; size: number }>,
  opts: SlowOptions = {},
): Promise<SlowDigest> {
  const b = new SlowDigestBuilder(opts);
  return b.finish(await readFilesInto(b, files, opts));
}
