// The digest of a set of PostgreSQL log files, built while streaming: counts by severity, the
// distinct ERROR/FATAL/PANIC messages (normalised, ranked), the last few entries and per-file facts.
// Memory: O(distinct messages) (capped by maxGroups) plus a ring of `recent` entries, whatever the
// size of the files. No @actions/* here.
import { detach, newStats } from './entry.ts';
import type { LogEntry, LogFormat, ReaderStats, Severity } from './entry.ts';
import { readBatches, readEntryBatches } from './read.ts';
import type { ByteSource, ReadOptions } from './read.ts';
import { CRASH_LABEL, isCrashLog } from './kinds.ts';
import { inEnglish, translatedStarts } from './in-english.ts';
import { kindOf, withoutPosition } from './kind-of.ts';
import { TimelineBuilder, type Timeline } from './timeline.ts';
import { echo, hideCredentials, hideEntry, HIDE_BUDGET, type HideBudget } from './secrets/entry.ts';
import { MASK, namesSecret } from './secrets/names.ts';

export type ErrorSeverity = 'ERROR' | 'FATAL' | 'PANIC';

export interface DigestOptions {
  /** Entries before this instant are not counted; entries without a readable time are counted apart (`untimed`). */
  since?: Date | undefined;
  /** How many of the last entries to keep (default 20). */
  recent?: number | undefined;
  /** Which severities the recent ring keeps (default WARNING, ERROR, FATAL, PANIC). */
  recentSeverities?: readonly Severity[] | undefined;
  /** Most distinct messages tracked (default 1000); further ones only counted in `overflowMessages`. */
  maxGroups?: number | undefined;
  /** Passed to the reader: longest line kept (default 64 KiB). */
  maxLineLength?: number | undefined;
  /**
   * Milliseconds (real time, from the call) the reading may take: the step's 'timeout' bounds it too. What was
   * read by then counts, and the files not read to their end say so (`stopped`).
   */
  budgetMs?: number | undefined;
}

/** What the occurrences of a group had where its key folds a value. */
export interface FoldedValue {
  /** The first occurrence's value (cut at MAX_VALUE characters). */
  first: string;
  /** Every occurrence had `first` here. */
  same: boolean;
  /** Up to MAX_EXAMPLES distinct values, in the order seen. */
  examples: string[];
  /** There were more distinct values than `examples` holds. */
  more: boolean;
}

export interface MessageGroup {
  severity: ErrorSeverity;
  /** The normalised message: numbers, 'literals' and "identifiers" folded to ?. */
  key: string;
  /** The key's literal text around the folded values: pieces[0] value[0] pieces[1] … (one more piece than values). */
  pieces: string[];
  values: FoldedValue[];
  /** What kind of failure (see kinds.ts); set by finish(). */
  kind: string;
  count: number;
  firstSeen?: Date | undefined;
  lastSeen?: Date | undefined;
  /** SQLSTATE of the first occurrence that has one (csvlog, jsonlog, verbose stderr; not yet %e in a stderr prefix). */
  sqlstate?: string | undefined;
  /** Every occurrence had exactly the example's message text, ` at character N` aside (so the example can stand for all). */
  uniform: boolean;
  /** The first occurrence in the window, with its DETAIL/HINT/STATEMENT. */
  example: LogEntry;
  /**
   * Why a password authentication failed, as the DETAIL says (see authReason): a missing role and a wrong
   * password are one message, told apart only there, so they are two groups. Its folded text, and whether every
   * occurrence gave the example's.
   */
  reason?: { key: string; same: boolean } | undefined;
}

export interface FileDigest {
  name: string;
  path: string;
  /** Size as given by the caller. */
  size: number;
  format: LogFormat;
  compressed: boolean;
  /** Bytes actually read. */
  bytes: number;
  lines: number;
  /** All entries in the file, in the window or not. */
  entries: number;
  /** Entries counted in the digest. */
  inWindow: number;
  /** Entries without a readable time. */
  untimed: number;
  unparsedLines: number;
  truncatedLines: number;
  firstTime?: Date | undefined;
  lastTime?: Date | undefined;
  unknownZones: string[];
  unparsedSamples: Array<{ line: number; text: string }>;
  /** Set when the file could not be read (to the end); what was read before is still counted. */
  error?: string | undefined;
  /** Set when the reader stopped on purpose (a gzip file past its limits, the step's timeout); what was read is counted. */
  stopped?: string | undefined;
  /** Set when the file could not be read as a log (see misreadOf); what was read is counted. */
  misread?: string | undefined;
  /**
   * Its download did not complete (read while it arrived, until the step's timeout): what arrived is counted, and
   * the file is in neither output-dir nor the artifact.
   */
  notKept?: true | undefined;
}

export interface Digest {
  since?: Date | undefined;
  files: FileDigest[];
  /** Entries counted (in the window; all of them when there is no `since`). */
  entries: number;
  /** Counted entries by severity. */
  bySeverity: Partial<Record<Severity, number>>;
  /**
   * Entries without a readable time. With `since` they cannot be placed in the window and are NOT
   * counted in `entries`/`bySeverity`/`messages`; without `since` they are counted there too.
   */
  untimed: number;
  untimedBySeverity: Partial<Record<Severity, number>>;
  /** Entries before `since`, not counted. */
  beforeWindow: number;
  /** Distinct ERROR/FATAL/PANIC messages, most frequent first. */
  messages: MessageGroup[];
  /** ERROR+ entries whose message did not fit in the maxGroups distinct messages tracked. */
  overflowMessages: number;
  /** Counted ERROR/FATAL/PANIC entries by kind of failure, and the crashes; most first. */
  kinds: KindCount[];
  /** WARNING/ERROR/FATAL/PANIC entries over time (counted entries with a time); undefined when there are none. */
  timeline?: Timeline | undefined;
  /** The last `recent` counted entries of the recent severities, oldest first. */
  recent: LogEntry[];
  /** The earliest counted ERROR/FATAL/PANIC entry (by time; by position when no times). */
  firstError?: LogEntry | undefined;
  /** The latest one (by time, the later read on a tie; by position when no times): what a failed deployment left. */
  lastError?: LogEntry | undefined;
  /**
   * Crashes: a process of the server died (`terminated by signal 9: Killed`, what the OOM killer does), or the
   * server came back from an unclean stop, each counted once however many LOG lines it wrote (see DigestBuilder.crash).
   */
  crashes: number;
  /** The earliest crash's LOG line (by time), with its DETAIL (`Failed process was running: …`). */
  firstCrash?: LogEntry | undefined;
  /** The latest one. */
  lastCrash?: LogEntry | undefined;
  /**
   * The server stopped on purpose (`received fast shutdown request`, smart or immediate: a restart for a parameter,
   * a resize) or gave up starting (`shutting down due to startup process failure`, or `database system is shut
   * down` with no request before it): what makes its FATALs read like `terminating connection due to
   * administrator command`, or a start-up's errors.
   */
  stops: number;
  /** Of `stops`, the starts given up (not a crash's recovery failing): each a start whose FATAL says why. */
  startsGivenUp: number;
  /** The earliest stop's LOG line (by time), and when the server accepted connections again, if these logs say. */
  firstStop?: ServerStop | undefined;
  /** The latest one. */
  lastStop?: ServerStop | undefined;
  unparsedLines: number;
  truncatedLines: number;
}

/** A stop of the server (see Digest.stops): its LOG line, and when it accepted connections again (unknown: undefined). */
export interface ServerStop {
  entry: LogEntry;
  /** A start given up (`shutting down due to startup process failure`, or shut down again without a start). */
  gaveUp: boolean;
  /** It came while the server was down from a crash: a start given up is then the crash's recovery failing. */
  afterCrash: boolean;
  upAgain: Date | undefined;
  /**
   * The connections it ended: their FATAL `terminating connection due to administrator command` came while it
   * stopped (a fast stop's; the same FATAL at another time is a `pg_terminate_backend`).
   */
  ended: number;
}

export interface KindCount {
  kind: string;
  count: number;
  /** The SQLSTATE codes seen for this kind (sorted); empty when the kind came from the wording. */
  sqlstates: string[];
}

const DEFAULT_RECENT = 20;
const DEFAULT_RECENT_SEVERITIES: readonly Severity[] = ['WARNING', 'ERROR', 'FATAL', 'PANIC'];
const DEFAULT_MAX_GROUPS = 1000;
/** Characters of a message looked at when normalising. */
const KEY_LEN = 500;
/** Longest folded value kept, and how many distinct ones a group shows as examples (it collects one more). */
const MAX_VALUE = 200;
const MAX_EXAMPLES = 3;
/**
 * How the LOG lines isCrashLog recognises start: the reader keeps LOG lines that start so (the rest
 * it only counts). `... (PID n) was terminated by signal` names the process first; these are the
 * names PostgreSQL's postmaster gives its children.
 */
const CRASH_HINTS = ['database system was', 'database system is', 'server process', 'startup process', 'background writer process',
  'checkpointer process', 'WAL writer process', 'WAL receiver process', 'autovacuum launcher process',
  'autovacuum worker process', 'archiver process', 'system logger process', 'background worker'];
/** The LOG lines of a stop, by what it was: a shutdown asked for, or a start given up. Kept by the reader too. */
const STOP_LINES = {
  smart: 'received smart shutdown request',
  fast: 'received fast shutdown request',
  immediate: 'received immediate shutdown request',
  gaveUp: 'shutting down due to startup process failure',
} as const;
const STOP_KINDS = Object.keys(STOP_LINES) as Array<keyof typeof STOP_LINES>;
/** What the reader keeps of the LOG lines: a crash's, a stop's, and the start and end around them. */
const KEEP_LOG = [...CRASH_HINTS, ...Object.values(STOP_LINES)];
/** The same in English and as PostgreSQL's catalogs translate them (made when a log is first read). */
let keepLog: string[] | undefined;
const keptLog = (): string[] => (keepLog ??= [...KEEP_LOG, ...translatedStarts()]);
/**
 * The FATAL a fast stop ends each connection with, in any language the catalogs have. By its words: its SQLSTATE,
 * 57P01, is also what ends an autovacuum, parallel or replication worker; a code that is not it rules it out.
 */
const ADMIN_END = 'terminating connection due to administrator command';
const endedByStop = (e: LogEntry): boolean => (e.sqlstate === undefined || e.sqlstate === '57P01') && (e.message === ADMIN_END || inEnglish(e.message) === ADMIN_END);
/** Severities the timeline counts. */
const TIMELINE: ReadonlySet<Severity> = new Set<Severity>(['WARNING', 'ERROR', 'FATAL', 'PANIC']);

const RANK: Record<ErrorSeverity, number> = { ERROR: 1, FATAL: 2, PANIC: 3 };

function isErrorSeverity(s: Severity): s is ErrorSeverity {
  return s === 'ERROR' || s === 'FATAL' || s === 'PANIC';
}

// "identifiers" (German »x«, French « x » too), 'literals', UUIDs and numbers, left to right. A quote right after a
// letter or digit opens no literal: it is an apostrophe (can't, customer's), which would otherwise fold the words
// between two of them, and merge two unrelated messages that share their ends.
// (Letters: ASCII, Latin, Greek and Cyrillic, spelled out: a Unicode property class made every message slower to fold.)
// The UUID branch only where a '-' is: tried at every position, it doubled the cost of the rest.
const QUOTED = String.raw`"(?:[^"]|"")*"|(?<![A-Za-z0-9_\u00C0-\u024F\u0370-\u052F])'(?:[^']|'')*'|»[^«»]*«|«[^«»]*»`;
const NUMBER = String.raw`(?<![\w.])[-+]?\d+(?:\.\d+)?(?![\w.])`;
const UUID = String.raw`(?<![\w.-])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![\w.-])`;
const FOLDABLE = new RegExp(`${QUOTED}|${NUMBER}`, 'g');
const FOLDABLE_UUID = new RegExp(`${QUOTED}|${UUID}|${NUMBER}`, 'g');
const SPACES = /\s+/g;

/** A message split into the text all occurrences of its kind share and the values that may vary. */
/** A message group being counted, with the times and hash its updates compare against. */
interface GroupSlot {
  group: MessageGroup;
  firstMs: number;
  lastMs: number;
  hash: number;
}

export interface Folded {
  key: string;
  pieces: string[];
  values: string[];
  /** A hash of the whole message without stderr's ` at character N`: what `uniform` compares (the text itself may be long). */
  hash: number;
  /** The groups this message falls in, by severity, once looked up (saves building and hashing the key again). */
  groups?: Partial<Record<ErrorSeverity, GroupSlot>> | undefined;
}

/** How a folded value reads in the key: `"?"`, `'?'` or `?`. */
export function foldMark(value: string): string {
  const q = value[0];
  return q === '"' ? '"?"' : q === "'" ? "'?'" : q === '»' || q === '«' ? `${q}?${value.at(-1)}` : '?';
}

/**
 * The message with what varies between occurrences folded: `relation "users" does not exist` →
 * `relation "?" does not exist`; 'literals' → '?'; numbers → ?. stderr's ` at character N` (the
 * error position, a separate field in csvlog/jsonlog) is dropped so all formats agree.
 */
function foldMessage(message: string): Folded {
  const text = withoutPosition(message);
  const s = text.length > KEY_LEN ? text.slice(0, KEY_LEN) : text;
  const pieces: string[] = [];
  const values: string[] = [];
  let at = 0;
  for (const m of s.matchAll(s.includes('-') ? FOLDABLE_UUID : FOLDABLE)) {
    pieces.push(s.slice(at, m.index).replace(SPACES, ' '));
    values.push(m[0].length > MAX_VALUE ? m[0].slice(0, MAX_VALUE) : m[0]);
    at = m.index + m[0].length;
  }
  pieces.push(s.slice(at).replace(SPACES, ' '));
  pieces[0] = pieces[0]!.trimStart();
  pieces[pieces.length - 1] = pieces[pieces.length - 1]!.trimEnd();
  let key = pieces[0]!;
  for (let i = 0; i < values.length; i++) key += foldMark(values[i]!) + pieces[i + 1]!;
  return { key, pieces, values, hash: fnv1a(text) };
}

/** 32-bit FNV-1a over UTF-16 units. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function normalizeMessage(message: string): string {
  return foldMessage(message).key;
}

/**
 * The `n` latest of `entries` (given in reading order), oldest first: by time, an entry without one standing where it
 * was read (after the timed entry before it); the reading order on a tie.
 */
function latest(entries: LogEntry[], n: number): LogEntry[] {
  let key = -Infinity;
  const keyed = entries.map((e, i) => ({ e, i, key: (key = e.time?.getTime() ?? key) }));
  keyed.sort((a, b) => a.key - b.key || a.i - b.i);
  return keyed.slice(Math.max(0, keyed.length - n)).map((x) => x.e);
}

/** An entry's time in ms, NaN when it has none. */
const msOf = (e: LogEntry): number => e.time?.getTime() ?? NaN;

/** How many of a thing there were, and the first and latest by time (NaN: none; the later read on a tie). */
class Span<T> {
  n = 0;
  first: T | undefined;
  last: T | undefined;
  #firstMs = NaN;
  #lastMs = NaN;

  /** One more at `ms`; `make` is called once, and only when it is the first or the latest so far. */
  add(ms: number, make: () => T): void {
    this.n++;
    let made: T | undefined;
    if (this.first === undefined || ms < this.#firstMs) {
      this.first = made = make();
      this.#firstMs = ms;
    }
    if (this.last === undefined || !(ms < this.#lastMs)) {
      this.last = made ?? make();
      this.#lastMs = ms;
    }
  }

  /** The first and the latest as `show` makes them, the latest made only if it is another. */
  shown<S>(show: (x: T) => S): { first: S | undefined; last: S | undefined } {
    const first = this.first === undefined ? undefined : show(this.first);
    return { first, last: this.last === undefined ? undefined : this.last === this.first ? first : show(this.last) };
  }
}

/** A copy of an entry that keeps no large read buffer alive. */
function keep(e: LogEntry): LogEntry {
  const o = (s: string | undefined): string | undefined => (s === undefined ? undefined : detach(s));
  return {
    severity: e.severity, message: detach(e.message), time: e.time, pid: e.pid, user: o(e.user),
    database: o(e.database), sqlstate: o(e.sqlstate), detail: o(e.detail), hint: o(e.hint),
    statement: o(e.statement), context: o(e.context), query: o(e.query), location: o(e.location),
    file: e.file, line: e.line,
  };
}

/** An entry as it may be shown: its text without the secrets it holds (see secrets/entry.ts). */
function hideInEntry(e: LogEntry, budget: HideBudget): LogEntry {
  return hideEntry(e, budget).entry;
}

/** A folded value without its quotes ("x", 'x', German »x«, French « x »): what an entry's hidden values are compared with. */
function unquote(v: string): string {
  const m = /^(?:"|'|»|« ?)([\s\S]*?)(?:"|'|«| ?»)?$/.exec(v);
  return m ? m[1]! : v;
}

/**
 * Whether a folded value shows one of an entry's hidden values: holds it (`"'x"` at or near an unterminated
 * string), or is part of it (the fold cut it at MAX_VALUE characters).
 */
function isHidden(v: string, secrets: readonly string[]): boolean {
  const u = unquote(v);
  // As a whole word, as in the entry: a hidden 'active' is not what "is_active" shows.
  return u !== '' && secrets.some((s) => s === u || echo(u, s) !== u || (u.length >= 4 && echo(s, u) !== s));
}

/** A folded value hidden whole, in its quotes: `"***"`, `'***'`, `***`. */
function hiddenFold(v: string): string {
  return foldMark(v).replace('?', MASK);
}

/** A folded value as it may be shown: hidden whole when it follows a secret's name or `secrets` holds it. */
function shownValue(v: string, afterSecretName: boolean, secrets: readonly string[], budget: HideBudget): string {
  return afterSecretName || isHidden(v, secrets) ? hiddenFold(v) : hideCredentials(v, budget);
}

/**
 * A group as it may be shown: its example without secrets, and each folded value hidden whole when it follows a
 * secret's name (`password '?'`, JSON's `"password": "?"`, where the name was folded too) or is one its example hid.
 */
function hideInGroup(g: MessageGroup, budget: HideBudget): void {
  const { entry, values: secrets } = hideEntry(g.example, budget);
  g.example = entry;
  // The key and its pieces: what the example hid is hidden there too (a value the fold left in the text).
  const echoed = (t: string): string => secrets.reduce((x, s) => echo(x, s), hideCredentials(t, budget));
  g.key = echoed(g.key);
  const raw = g.values;
  g.values = raw.map((v, i) => {
    const afterSecretName = namesSecret((i > 0 ? raw[i - 1]!.first : '') + g.pieces[i]!);
    const show = (x: string): string => shownValue(x, afterSecretName, secrets, budget);
    // Collected with one spare (the first is kept as logged until here, so it may equal a hidden one): cut now.
    const examples = [...new Set(v.examples.map(show))];
    return { ...v, first: show(v.first), examples: examples.slice(0, MAX_EXAMPLES), more: v.more || examples.length > MAX_EXAMPLES };
  });
  g.pieces = g.pieces.map(echoed);
  if (g.reason !== undefined) g.reason = { ...g.reason, key: echoed(g.reason.key) };
}

const PASSWORD_FAILED = 'password authentication failed for user "';

/**
 * Why a password authentication failed, when the server's DETAIL says (`Role "app" does not exist.`, `User "app"
 * has an expired password.`, in the log's language); undefined when it does not (a wrong password with SCRAM) or
 * the entry is another failure. The DETAIL's line naming the pg_hba.conf rule that matched is context, not why.
 */
export function authReason(e: Pick<LogEntry, 'severity' | 'message' | 'sqlstate' | 'detail'>): string | undefined {
  if (e.severity !== 'FATAL' || e.detail === undefined) return undefined;
  const known = e.sqlstate !== undefined && e.sqlstate !== '00000';
  if (known ? e.sqlstate !== '28P01' : !e.message.startsWith(PASSWORD_FAILED) && !inEnglish(e.message).startsWith(PASSWORD_FAILED)) return undefined;
  return e.detail.split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.includes('pg_hba.conf'));
}

/** An example value of another occurrence than the group's example: hidden when that entry hid it (`hidden`). */
function exampleValue(v: string, hidden: readonly string[], budget: HideBudget): string {
  return budget.left <= 0 || isHidden(v, hidden) ? hiddenFold(v) : v;
}

/** A folded message that keeps no large read buffer alive (it outlives the batch in the cache and the groups). */
function detachFolded(f: Folded): Folded {
  return { key: detach(f.key), pieces: f.pieces.map(detach), values: f.values.map(detach), hash: f.hash };
}

/** Builds a digest entry by entry; digestFiles drives it over files. Exposed for custom sources. */
export class DigestBuilder implements EntrySink {
  readonly since: number;
  readonly recentSize: number;
  readonly recentSet: ReadonlySet<Severity>;
  readonly maxGroups: number;
  readonly sinceDate: Date | undefined;

  entries = 0;
  untimed = 0;
  beforeWindow = 0;
  overflow = 0;
  bySeverity = new Map<Severity, number>();
  untimedBySeverity = new Map<Severity, number>();
  groups = new Map<string, GroupSlot>();
  ring: LogEntry[] = [];
  /** The latest `recent` of the files read before this one, by time (files need not come in the order of their times). */
  earlier: LogEntry[] = [];
  /** ring[i] still shares memory with a read buffer. */
  fresh: boolean[] = [];
  unsettled = false;
  ringNext = 0;
  firstError: LogEntry | undefined;
  firstErrorMs = NaN;
  lastError: LogEntry | undefined;
  lastErrorMs = NaN;
  /** lastError still holds views of the read buffer: detached by settle(), once a batch, not once an error. */
  lastFresh = false;
  /** Per file being read: entries counted, entries untimed. */
  fileInWindow = 0;
  fileUntimed = 0;
  /** Entries counted by count() (the reader's fast path), by severity; added to bySeverity by finish(). */
  counted = new Map<Severity, { n: number }>();
  /** raw message → its folded form; cleared when it grows too big. */
  keyCache = new Map<string, Folded>();
  /** Kinds of the errors that did not fit in maxGroups (the groups carry their own). */
  overflowKinds = new Map<string, number>();
  /** Crashes (see crash()): how many, and the first and latest by time. */
  crashes = new Span<LogEntry>();
  /** A death was read whose recovery has not begun yet; a recovery was begun whose `not properly shut down` line may follow. */
  deathPending = false;
  inRecovery = false;
  /** A crash was counted, and the server has not said it is ready since (its restarts may fail and be retried). */
  down = false;
  /** An immediate shutdown was asked for: the recovery at the next start is its own, not a crash's. */
  stopAsked = false;
  /** Stops (see Digest.stops): how many, and the first and latest by time. */
  stops = new Span<ServerStop>();
  startsGivenUp = 0;
  /** A stop's line was read whose `database system is shut down` is still to come. */
  shutting = false;
  /** That stop, when it is the first or the latest (the one whose ended connections are counted). */
  stopping: ServerStop | undefined;
  /** A fast stop was asked for (at first, or after a smart one): only it ends connections; in a smart one, a FATAL is someone's pg_terminate_backend. */
  fastAsked = false;
  /**
   * What the secrets check may still read of other occurrences' values while reading; finish() has a budget of its
   * own, so the headline and outputs are never what a hostile log's examples used up.
   */
  hideBudget: HideBudget = { left: HIDE_BUDGET };
  timeline = new TimelineBuilder();

  constructor(opts: DigestOptions = {}) {
    this.sinceDate = opts.since;
    this.since = opts.since !== undefined ? opts.since.getTime() : NaN;
    this.recentSize = Math.max(0, opts.recent ?? DEFAULT_RECENT);
    this.recentSet = new Set(opts.recentSeverities ?? DEFAULT_RECENT_SEVERITIES);
    this.maxGroups = Math.max(0, opts.maxGroups ?? DEFAULT_MAX_GROUPS);
  }

  add(e: LogEntry): void {
    const t = e.time;
    const sev = e.severity;
    if (t === undefined) {
      this.untimed++;
      this.fileUntimed++;
      this.untimedBySeverity.set(sev, (this.untimedBySeverity.get(sev) ?? 0) + 1);
      if (this.since === this.since) return; // a window, and this entry cannot be placed in it
    } else if (t.getTime() < this.since) {
      this.beforeWindow++;
      return;
    }
    this.entries++;
    this.fileInWindow++;
    this.bySeverity.set(sev, (this.bySeverity.get(sev) ?? 0) + 1);
    if (isErrorSeverity(sev)) {
      this.error(e, sev);
      if (this.stopping !== undefined && this.fastAsked && sev === 'FATAL' && endedByStop(e)) this.stopping.ended++;
    } else if (sev === 'LOG') this.serverLog(e);
    if (t !== undefined && TIMELINE.has(sev)) this.timeline.add(t.getTime(), sev);
    if (this.recentSize > 0 && this.recentSet.has(sev)) {
      // Kept as is for now; settle() detaches what is still in the ring when the batch ends.
      if (this.ring.length < this.recentSize) {
        this.ring.push(e);
        this.fresh.push(true);
      } else {
        this.ring[this.ringNext] = e;
        this.fresh[this.ringNext] = true;
        this.ringNext = (this.ringNext + 1) % this.recentSize;
      }
      this.unsettled = true;
    }
  }

  /**
   * Detaches the ring's entries from the read buffer they were sliced from. Call after each batch
   * of entries (digestFiles does), or at least before keeping the builder across reads.
   */
  settle(): void {
    if (!this.unsettled) return;
    for (let i = 0; i < this.ring.length; i++) {
      if (this.fresh[i]) {
        this.ring[i] = keep(this.ring[i]!);
        this.fresh[i] = false;
      }
    }
    if (this.lastFresh) {
      this.lastError = keep(this.lastError!);
      this.lastFresh = false;
    }
    this.unsettled = false;
  }

  error(e: LogEntry, sev: ErrorSeverity): void {
    const ms = e.time !== undefined ? e.time.getTime() : NaN;
    if (this.lastError === undefined || (ms === ms ? !(ms < this.lastErrorMs) : this.lastErrorMs !== this.lastErrorMs)) {
      this.lastError = e;
      this.lastErrorMs = ms;
      this.lastFresh = true;
      this.unsettled = true;
    }
    if (this.firstError === undefined || (ms < this.firstErrorMs || (ms === ms && this.firstErrorMs !== this.firstErrorMs))) {
      this.firstError = keep(e);
      this.firstErrorMs = ms;
    }
    let folded = this.keyCache.get(e.message);
    if (folded === undefined) {
      folded = detachFolded(foldMessage(e.message));
      if (this.keyCache.size >= 4096) this.keyCache.clear();
      this.keyCache.set(detach(e.message), folded);
    }
    // A message with a reason is a group of the two together: not the one its text alone is cached with.
    const reason = sev === 'FATAL' ? authReason(e) : undefined;
    // Made only when the cache has no group for the text: most errors are one of a few messages.
    const groupKey = (): string => sev + '\u0000' + folded.key + (reason === undefined ? '' : '\u0000' + foldMessage(reason).key);
    let g = reason === undefined ? folded.groups?.[sev] : undefined;
    if (g === undefined) {
      g = this.groups.get(groupKey());
      if (g !== undefined && reason === undefined) (folded.groups ??= {})[sev] = g;
    }
    if (g !== undefined) {
      if (g.group.reason?.same === true && reason !== authReason(g.group.example)) g.group.reason.same = false;
      g.group.count++;
      if (ms === ms) {
        if (!(ms >= g.firstMs)) {
          g.firstMs = ms;
          g.group.firstSeen = e.time;
        }
        if (!(ms <= g.lastMs)) {
          g.lastMs = ms;
          g.group.lastSeen = e.time;
        }
      }
      if (g.group.uniform && folded.hash !== g.hash) g.group.uniform = false;
      // stderr without %e, then a csvlog: the code from whichever occurrence has one.
      if (g.group.sqlstate === undefined && e.sqlstate !== undefined) g.group.sqlstate = detach(e.sqlstate);
      const vs = g.group.values;
      // What this entry hides, read once however many of its values are kept as examples (a message folding many).
      let hidden: string[] | undefined;
      for (let i = 0; i < vs.length; i++) {
        const v = folded.values[i]!;
        const slot = vs[i]!;
        if (v === slot.first) continue;
        slot.same = false;
        if (slot.more || slot.examples.includes(v)) continue;
        // Compared as kept: a hidden value repeated is one example, not a new one each time.
        const x = exampleValue(v, (hidden ??= hideEntry(e, this.hideBudget).values), this.hideBudget);
        if (slot.examples.includes(x)) continue;
        if (slot.examples.length <= MAX_EXAMPLES) slot.examples.push(x);
        else slot.more = true;
      }
      return;
    }
    if (this.groups.size >= this.maxGroups) {
      this.overflow++;
      const kind = kindOf(e.message, e.sqlstate, e.severity);
      this.overflowKinds.set(kind, (this.overflowKinds.get(kind) ?? 0) + 1);
      return;
    }
    const ex = keep(e);
    const group: MessageGroup = {
      severity: sev, key: folded.key, pieces: folded.pieces,
      values: folded.values.map((v) => ({ first: v, same: true, examples: [v], more: false })),
      kind: '', count: 1, firstSeen: e.time, lastSeen: e.time, sqlstate: ex.sqlstate,
      uniform: true, example: ex, reason: reason === undefined ? undefined : { key: detach(foldMessage(reason).key), same: true },
    };
    const slot: GroupSlot = { group, firstMs: ms, lastMs: ms, hash: folded.hash };
    this.groups.set(detach(groupKey()), slot);
    if (reason === undefined) (folded.groups ??= {})[sev] = slot;
  }

  /**
   * A LOG line of a crash. One crash writes several: the postmaster's `server process (PID n) was terminated by
   * signal 9`, then the startup process's `database system was interrupted; …` and `… was not properly shut down;
   * automatic recovery in progress`. A death always counts; a recovery's start counts only when no death is waiting
   * for it (the server itself was killed, or its machine); its `not properly shut down` line belongs to it (a
   * standby's recovery writes none, so the next start is a crash of its own).
   */
  crash(e: LogEntry, m: string): void {
    const begins = m.startsWith('database system was interrupted');
    const ends = m.startsWith('database system was not properly shut down');
    // A line of the crash already counted: the recovery of a death, a restart whose recovery was itself cut short
    // (a disk still full), the end of a recovery begun; or the recovery an immediate shutdown asked for.
    const known = begins
      ? this.deathPending || this.stopAsked || (this.down && m.startsWith('database system was interrupted while in recovery'))
      : ends && (this.deathPending || this.inRecovery || this.stopAsked);
    this.inRecovery = begins;
    this.deathPending = !begins && !ends;
    // The recovery an immediate shutdown asked for: its first line, or its second where a language's catalog lets
    // the first go unread (in-english.ts leaves out translations that mean two things).
    if (begins || ends) this.stopAsked = false;
    if (!known) {
      this.down = true;
      this.crashes.add(msOf(e), () => keep(e));
    }
  }

  /**
   * A LOG line kept (see keptLog): a crash's, or the server's own stop and start that crash() reads around. `m`:
   * its message in English (a line in another language is read again so).
   */
  serverLog(e: LogEntry, m = e.message): void {
    if (isCrashLog(m)) return this.crash(e, m);
    const stop = STOP_KINDS.find((k) => m.startsWith(STOP_LINES[k]));
    if (stop !== undefined) {
      if (stop === 'immediate') this.stopAsked = true;
      if (stop === 'fast') this.fastAsked = true;
      // A request while one is under way (smart, then fast, then immediate) escalates the same stop.
      if (!this.shutting) this.stop(e, stop === 'gaveUp');
      this.shutting = true;
    } else if (m.startsWith('database system is ready to accept')) {
      this.down = this.stopAsked = this.deathPending = this.inRecovery = this.shutting = this.fastAsked = false;
      this.stopping = undefined;
      // Up again after every stop before it that was not yet seen so.
      for (const s of [this.stops.first, this.stops.last]) {
        if (s !== undefined && s.upAgain === undefined && !(msOf(s.entry) > msOf(e))) s.upAgain = e.time;
      }
    } else if (m.startsWith('database system is shut down')) {
      // The end of the stop just read; else, shut down again with no start in between or no request before it: a
      // start given up (a FATAL above it says why: a missing library, shared memory it could not have).
      if (!this.shutting) this.stop(e, true);
      this.shutting = this.fastAsked = false;
      this.stopping = undefined;
    } else if (m === e.message && !KEEP_LOG.some((k) => m.startsWith(k))) {
      // Not English (an English one read here needs nothing: `database system was shut down at ...`).
      const english = inEnglish(m);
      if (english !== m) this.serverLog(e, english);
    }
  }

  stop(e: LogEntry, gaveUp: boolean): void {
    if (gaveUp && !this.down) this.startsGivenUp++;
    let made: ServerStop | undefined;
    this.stops.add(msOf(e), () => (made = { entry: keep(e), gaveUp, afterCrash: this.down, upAgain: undefined, ended: 0 }));
    this.stopping = gaveUp ? undefined : made;
  }

  kinds(messages: MessageGroup[]): KindCount[] {
    const by = new Map<string, { count: number; sqlstates: Set<string> }>();
    const add = (kind: string, n: number, sqlstate?: string): void => {
      let k = by.get(kind);
      if (k === undefined) by.set(kind, (k = { count: 0, sqlstates: new Set() }));
      k.count += n;
      if (sqlstate !== undefined && sqlstate !== '00000') k.sqlstates.add(sqlstate);
    };
    for (const g of messages) {
      g.kind = kindOf(g.example.message, g.sqlstate, g.example.severity);
      add(g.kind, g.count, g.sqlstate);
    }
    for (const [kind, n] of this.overflowKinds) add(kind, n);
    if (this.crashes.n > 0) add(CRASH_LABEL, this.crashes.n);
    return [...by].map(([kind, k]) => ({ kind, count: k.count, sqlstates: [...k.sqlstates].sort() }))
      .sort((a, b) => b.count - a.count || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
  }

  /** `n` entries of one time that were only counted by the reader (their severity is not one of `keep`). */
  count(sev: Severity, ms: number, n = 1): void {
    if (ms !== ms) {
      this.untimed += n;
      this.fileUntimed += n;
      this.untimedBySeverity.set(sev, (this.untimedBySeverity.get(sev) ?? 0) + n);
      if (this.since === this.since) return;
    } else if (ms < this.since) {
      this.beforeWindow += n;
      return;
    }
    this.entries += n;
    this.fileInWindow += n;
    const c = this.counted.get(sev);
    if (c !== undefined) c.n += n;
    else this.counted.set(sev, { n });
  }

  /** What the reader must read into entries (errors and what the recent ring keeps) and how it counts the rest. */
  readOptions(): ReadOptions {
    const keep = new Set<Severity>([...TIMELINE]);
    if (this.recentSize > 0) for (const s of this.recentSet) keep.add(s);
    return { keep, count: (sev, ms, n) => this.count(sev, ms, n), keepWhen: keptLog(), since: this.since };
  }

  /** Adds one log's entries, read from `batches`; a read error ends up in the FileDigest. */
  read(batches: AsyncGenerator<LogEntry[], ReaderStats, undefined>, stats: ReaderStats, size: number): Promise<FileDigest> {
    return readInto(this, batches, stats, size);
  }

  /** Starts counting for a new file (inWindow/untimed per file). */
  startFile(): void {
    this.fileInWindow = 0;
    this.fileUntimed = 0;
    if (this.ring.length > 0) {
      this.settle();
      this.earlier = latest([...this.earlier, ...this.ringInOrder()], this.recentSize);
      this.ring = [];
      this.fresh = [];
      this.ringNext = 0;
    }
  }

  /** The ring's entries, oldest first. */
  ringInOrder(): LogEntry[] {
    return this.ring.length < this.recentSize ? this.ring.slice() : [...this.ring.slice(this.ringNext), ...this.ring.slice(0, this.ringNext)];
  }

  fileDigest(stats: ReaderStats, size: number, error?: string): FileDigest {
    return fileDigestOf(stats, size, this.fileInWindow, this.fileUntimed, error);
  }

  finish(files: FileDigest[]): Digest {
    this.settle();
    for (const [sev, c] of this.counted) this.bySeverity.set(sev, (this.bySeverity.get(sev) ?? 0) + c.n);
    this.counted.clear();
    const messages = [...this.groups.values()].map((g) => g.group).sort(
      (a, b) =>
        b.count - a.count ||
        RANK[b.severity] - RANK[a.severity] ||
        (a.firstSeen?.getTime() ?? Infinity) - (b.firstSeen?.getTime() ?? Infinity) ||
        (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
    const recent = this.earlier.length === 0 ? this.ringInOrder() : latest([...this.earlier, ...this.ringInOrder()], this.recentSize);
    // Kinds from the words as logged; then what is shown loses its secrets (secrets/entry.ts).
    const kinds = this.kinds(messages);
    // The entries the headline, outputs and annotations name first, while the budget is whole; then the groups.
    const budget: HideBudget = { left: HIDE_BUDGET };
    const firstError = this.firstError && hideInEntry(this.firstError, budget);
    const lastError = this.lastError && hideInEntry(this.lastError, budget);
    const shownRecent = recent.map((e) => hideInEntry(e, budget));
    const { first: firstCrash, last: lastCrash } = this.crashes.shown((e) => hideInEntry(e, budget));
    // A stop's entry is the server's own line, but its continuation lines, or a RAISE LOG that reads like one, are not.
    const { first: firstStop, last: lastStop } = this.stops.shown((x) => ({ ...x, entry: hideInEntry(x.entry, budget) }));
    for (const g of messages) hideInGroup(g, budget);
    return {
      since: this.sinceDate,
      files,
      entries: this.entries,
      bySeverity: Object.fromEntries(this.bySeverity) as Partial<Record<Severity, number>>,
      untimed: this.untimed,
      untimedBySeverity: Object.fromEntries(this.untimedBySeverity) as Partial<Record<Severity, number>>,
      beforeWindow: this.beforeWindow,
      messages,
      overflowMessages: this.overflow,
      kinds,
      timeline: this.timeline.finish(),
      recent: shownRecent,
      firstError,
      lastError,
      crashes: this.crashes.n,
      firstCrash,
      lastCrash,
      stops: this.stops.n,
      startsGivenUp: this.startsGivenUp,
      firstStop,
      lastStop,
      unparsedLines: files.reduce((n, f) => n + f.unparsedLines, 0),
      truncatedLines: files.reduce((n, f) => n + f.truncatedLines, 0),
    };
  }
}


/** The last error when it is another entry than the first: what a report shows besides the first. */
export function otherLastError(d: Digest): LogEntry | undefined {
  const { firstError: first, lastError: last } = d;
  return last !== undefined && first !== undefined && !sameEntry(last, first) ? last : undefined;
}

/** The same entry of the same file (two entries may share their text, never their place). */
export function sameEntry(a: Pick<LogEntry, 'file' | 'line'>, b: Pick<LogEntry, 'file' | 'line'>): boolean {
  return a.file === b.file && a.line === b.line;
}

/**
 * Reads the files one after the other (pass them oldest first: "recent" means last read) and
 * digests them. A file that cannot be read gets `error` in its FileDigest; the rest still count.
 */
export async function digestFiles(
  files: Array<{ name: string; path: string; size: number }>,
  opts: DigestOptions = {},
  /** Where each file's bytes come from instead of its path (arrivals.ts: while it downloads). */
  sourceOf?: (file: { name: string; path: string }, index: number) => ByteSource,
): Promise<Digest> {
  const b = new DigestBuilder(opts);
  return b.finish(await readFilesInto(b, files, opts, sourceOf));
}

/** What reads entries file by file: the error digest, the slow-statement digest. */
export interface EntrySink {
  /** What the reader should turn into entries (and what it only counts). */
  readOptions(): ReadOptions;
  startFile(): void;
  add(e: LogEntry): void;
  /** The batch is over: detach what is kept from the read buffer. */
  settle(): void;
  fileDigest(stats: ReaderStats, size: number, error?: string): FileDigest;
}

/**
 * One short line of text that starts as a log line does, with a digit (a time, a pid) after at most a few
 * signs of a prefix (`< `, `[`), or as jsonlog (its time as PostgreSQL writes it): a file just rotated, cut where
 * the server was writing. NULs, an HTML page, an XML or JSON error body, an HTTP status line are no log.
 */
function justRotated(st: ReaderStats): boolean {
  const line = st.unparsedSamples[0]?.text ?? '';
  return st.unparsedLines === 1 && st.truncatedLines === 0 && line.length < 1024 && !/[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/.test(line)
    && /^([^\w{"<]|<\s){0,3}\d|^\{"timestamp":"\d{4}-\d\d-\d\d \d/.test(line)
    // An HTTP status line or body ('403 Forbidden', '404 page not found'), not a pid before a severity ('403 LOG').
    && !/^\d{3}[: ]+(?![A-Z]{2,}\b)[A-Za-z]/.test(line);
}

/**
 * Why a file that was read to its end still was not read as a log, or undefined: no line of it was one (but for
 * a file just rotated); most of its lines were not read, and a quarter or more of those looked at are log lines
 * of another format (the format was misread; an entry's continuation lines show no format of their own, so not
 * all of them do); or a csvlog record's unbalanced quote took in records after it. Stray lines of other programs
 * (a restore_command's messages), and a record cut at the end of a file fetched while being written, are none
 * of these.
 */
function misreadOf(st: ReaderStats): string | undefined {
  if (st.archive !== undefined) return `it is a ${st.archive} archive${st.compressed ? ' (gzipped)' : ''}, not a log: the logs may be inside it, which is kept as downloaded`;
  if (st.entries === 0 && st.unparsedLines > 0 && !justRotated(st)) return 'none of its lines is a PostgreSQL log line';
  if (st.unparsedLines * 2 > st.lines && st.foreignChecked > 0 && st.foreignLines * 4 >= st.foreignChecked) {
    return `${st.unparsedLines} of its ${st.lines} lines were not read, and they are log lines of another format than ${st.format}`;
  }
  if (st.swallowedRecords >= 2) {
    return `an unbalanced quote in the record from line ${st.swallowedAt} took ${st.swallowedRecords} records after it into one field`;
  }
  return undefined;
}

export function fileDigestOf(stats: ReaderStats, size: number, inWindow: number, untimed: number, error?: string): FileDigest {
  const misread = misreadOf(stats);
  return {
    name: stats.file, path: stats.path, size, format: stats.format, compressed: stats.compressed, bytes: stats.bytes,
    lines: stats.lines, entries: stats.entries, inWindow, untimed,
    unparsedLines: stats.unparsedLines, truncatedLines: stats.truncatedLines, firstTime: stats.firstTime,
    lastTime: stats.lastTime, unknownZones: stats.unknownZones, unparsedSamples: stats.unparsedSamples,
    ...(error !== undefined ? { error } : {}),
    ...(stats.stopped !== undefined ? { stopped: stats.stopped } : {}),
    ...(misread !== undefined ? { misread } : {}),
  };
}

/** One file's entries into `b`; a file that cannot be read (to the end) gets `error`, what was read still counts. */
async function readInto(b: EntrySink, batches: AsyncGenerator<LogEntry[], ReaderStats, undefined>, stats: ReaderStats, size: number): Promise<FileDigest> {
  b.startFile();
  let error: string | undefined;
  try {
    for await (const batch of batches) {
      for (let i = 0; i < batch.length; i++) b.add(batch[i]!);
      b.settle();
    }
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  return b.fileDigest(stats, size, error);
}

/** Reads the files one after the other into `b`. */
export async function readFilesInto(
  b: EntrySink,
  files: Array<{ name: string; path: string; size: number }>,
  { maxLineLength, budgetMs }: { maxLineLength?: number | undefined; budgetMs?: number | undefined },
  sourceOf?: (file: { name: string; path: string }, index: number) => ByteSource,
): Promise<FileDigest[]> {
  const ro = { ...b.readOptions(), maxLineLength, until: budgetMs === undefined ? undefined : Date.now() + budgetMs };
  const out: FileDigest[] = [];
  for (const [i, f] of files.entries()) {
    const stats = newStats(f.path, f.name);
    const batches = sourceOf
      ? readBatches(sourceOf(f, i), { ...ro, name: f.name, stats })
      : readEntryBatches(f.path, { ...ro, name: f.name, stats });
    out.push(await readInto(b, batches, stats, f.size));
  }
  return out;
}

/**
 * The digest of one log given as bytes: a Buffer in an array, or chunks as they arrive (a
 * download stream). The bench reads logs from memory with it.
 */
export async function digestBytes(source: ByteSource, name: string, opts: DigestOptions = {}): Promise<Digest> {
  const b = new DigestBuilder(opts);
  const stats = newStats(name, name);
  const batches = readBatches(source, { ...b.readOptions(), name, stats, maxLineLength: opts.maxLineLength });
  const f = await b.read(batches, stats, NaN);
  f.size = f.bytes;
  return b.finish([f]);
}
