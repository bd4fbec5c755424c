// The digest as text for people: markdown for the job summary, annotations for the run's page.
// Pure functions. Log text is untrusted: every piece shown goes through markdown.ts (escaped or fenced, cut).
import { capital, formatCount, formatLogged, plural } from '../core/plural.ts';
import { authReason, foldMark, otherLastError, sameEntry, type Digest, type MessageGroup, type ServerStop } from './digest.ts';
import { incompleteRead, stoppedWhy } from './incomplete.ts';
import { CONTROL, codeBlock, cut, escapeInline, formatTime } from './markdown.ts';
import { withoutPosition } from './kind-of.ts';
import type { LogEntry, Severity } from './entry.ts';
import { sparkline, type Timeline } from './timeline.ts';
import type { SlowDigest, SlowExecution, SlowStatement } from './slow.ts';
import { formatDuration } from '../core/duration.ts';

export interface Annotation {
  level: 'error' | 'warning';
  title: string;
  message: string;
}

export interface RenderOptions {
  /** Distinct messages shown in the table (default 10); up to `listedMessages` more in a collapsed table. */
  topMessages?: number | undefined;
  /** Distinct messages listed in all (default 50): annotations point here for the ones they leave out. */
  listedMessages?: number | undefined;
  /** Longest message shown inline (default 300 characters). */
  maxMessage?: number | undefined;
  /** Longest DETAIL/HINT/STATEMENT/... block shown (default 2000 characters). */
  maxBlock?: number | undefined;
}

const SEVERITY_ORDER: readonly Severity[] = [
  'PANIC', 'FATAL', 'ERROR', 'WARNING', 'LOG', 'NOTICE', 'INFO', 'DEBUG1', 'DEBUG2', 'DEBUG3', 'DEBUG4', 'DEBUG5',
  'STATEMENT', 'DETAIL', 'HINT', 'QUERY', 'CONTEXT', 'LOCATION',
];
/** Always shown in the severity table, even at 0. */
const ALWAYS: ReadonlySet<Severity> = new Set<Severity>(['PANIC', 'FATAL', 'ERROR', 'WARNING']);

/**
 * The text a message group is shown with: its own message when all occurrences are alike (without
 * stderr's ` at character N`, in any language, which means nothing without the statement); else the message with the
 * values all occurrences share written out and only the ones that vary folded.
 */
export function groupText(g: MessageGroup): string {
  return `${messageText(g)}${g.reason === undefined ? '' : `; DETAIL: ${g.reason.same ? authReason(g.example) ?? g.reason.key : g.reason.key}`}`;
}

function messageText(g: MessageGroup): string {
  if (g.uniform) return withoutPosition(g.example.message);
  let s = g.pieces[0] ?? '';
  g.values.forEach((v, i) => { s += (v.same ? v.first : foldMark(v.first)) + (g.pieces[i + 1] ?? ''); });
  return s;
}

/**
 * Example values for the folded places of a group (sorted; `…` when there were more), one list per place
 * that varies, joined by `; `. Empty when nothing varies.
 */
export function groupExamples(g: MessageGroup): string {
  if (g.uniform) return '';
  return g.values.filter((v) => !v.same)
    .map((v) => [...v.examples].sort().join(', ') + (v.more ? ', …' : ''))
    .join('; ');
}

/** The message as a table cell or a title shows it: the text, then `(e.g. "a", "b")` when a value varies. */
function groupLine(g: MessageGroup): string {
  const ex = groupExamples(g);
  return ex === '' ? groupText(g) : `${groupText(g)} (e.g. ${ex})`;
}

/**
 * With a window (`since`), the errors whose time could not be read, as `1 FATAL, 1 ERROR`: they may lie in it, so
 * a headline must not say "no errors" without them. Empty when there are none, or no window.
 */
export function unplacedErrors(digest: Digest): string {
  const u = digest.untimedBySeverity;
  return digest.since !== undefined ? severityCounts({ PANIC: u.PANIC ?? 0, FATAL: u.FATAL ?? 0, ERROR: u.ERROR ?? 0 }) : '';
}

/** What the notes say of a file not read to its end: kept, or not (its download ended too). */
const NOT_KEPT = 'its download did not complete either: what arrived is counted, and the file is not kept';
const KEPT = 'the file is kept as downloaded';

/**
 * What a report says of each file not read to its end, its name and reason passed through `show` (escaped for
 * markdown, one line for a terminal): could not be read, or stopped (the step's timeout); kept or not.
 */
export function unreadNotes(d: Digest, show: (text: string, max: number) => string): string[] {
  return [
    ...d.files.filter((f) => f.error !== undefined).map((f) => `${show(f.name, 200)} could not be read to the end: ${show(f.error ?? '', 300)}${f.notKept ? `; ${NOT_KEPT}.` : ''}`),
    ...d.files.filter((f) => f.stopped !== undefined).map((f) => `${show(f.name, 200)} was not read to the end (${show(stoppedWhy(f.stopped ?? ''), 300)}); ${f.notKept ? NOT_KEPT : KEPT}.`),
  ];
}

/**
 * The headline of logs without ERROR, FATAL or PANIC: never a bare "No errors" when the server crashed (a backend the
 * OOM killer took logs no error of its own). `strong` marks the crashes as the report shows emphasis.
 */
export function noErrors(d: Digest, partial: boolean, strong: (s: string) => string): string {
  const where = partial ? ' in what was read' : '';
  return d.crashes > 0 ? `No ERROR, FATAL or PANIC${where}, but ${strong(plural(d.crashes, 'server crash', 'server crashes'))}` : `No errors${where}`;
}

/**
 * The crashes as a report names them: one labelled with how many there were, and the latest too when it is
 * another entry.
 */
export function crashLines(d: Digest): Array<[string, LogEntry]> {
  return firstAndLast(d.crashes, d.firstCrash, d.lastCrash, sameEntry, 'server crash', 'server crashes');
}

/** The server's stops (a shutdown asked for, a start given up) as a report names them, as crashLines does. */
export function stopLines(d: Digest): Array<[string, ServerStop]> {
  const lines = firstAndLast(d.stops, d.firstStop, d.lastStop, (a, b) => sameEntry(a.entry, b.entry), 'server stop', 'server stops');
  // Starts given up between the first and the last would be only counted: they are often what went wrong.
  const n = d.startsGivenUp;
  if (lines[0] !== undefined && d.stops > 1 && n > 0) lines[0][0] += `, ${formatCount(n)} of them ${n === 1 ? 'a start' : 'starts'} given up`;
  return lines;
}

/** What follows a stop's line: whether it was a start given up, and when the server took connections again, as far as these logs tell. */
export function upAgain(s: ServerStop): string {
  // After a crash nobody started the server: its automatic recovery failed (a disk still full, say).
  const why = s.gaveUp ? ` (${s.afterCrash ? 'the recovery from the crash' : 'a start'} given up: the FATAL before it says why)` : '';
  // Their FATALs read like a pg_terminate_backend's: said to be the stop's.
  const ended = s.ended > 0 ? `; it ended ${plural(s.ended, 'connection', 'connections')} (${s.ended === 1 ? 'that FATAL is' : 'those FATALs are'} the stop's, not a pg_terminate_backend)` : '';
  return `${why}${ended}${s.upAgain !== undefined ? `; accepting connections again at ${formatTime(s.upAgain, true)}` : '; not seen accepting connections again in these logs'}`;
}

/** The first of `n` (labelled with how many), and the last too when it is another. */
function firstAndLast<T>(n: number, first: T | undefined, last: T | undefined, same: (a: T, b: T) => boolean, one: string, many: string): Array<[string, T]> {
  if (first === undefined) return [];
  if (n === 1 || last === undefined || same(last, first)) return [[`${capital(one)}${n > 1 ? ` (${formatCount(n)} in all)` : ''}`, first]];
  return [[`First of ${formatCount(n)} ${many}`, first], [`Last ${one}`, last]];
}

function severityCounts(counts: Partial<Record<Severity, number>>): string {
  return SEVERITY_ORDER.filter((s) => (counts[s] ?? 0) > 0).map((s) => `${formatCount(counts[s]!)} ${s}`).join(', ');
}

/** An entry's other fields that it has, in PostgreSQL's order, each with the language of its code block. */
export function entryParts(e: LogEntry): Array<[string, string, 'text' | 'sql']> {
  const parts: Array<[string, string | undefined, 'text' | 'sql']> = [
    ['DETAIL', e.detail, 'text'], ['HINT', e.hint, 'text'], ['QUERY', e.query, 'sql'], ['CONTEXT', e.context, 'text'],
    ['STATEMENT', e.statement, 'sql'],
  ];
  return parts.filter((p): p is [string, string, 'text' | 'sql'] => p[1] !== undefined && p[1] !== '');
}

function entryBlock(e: LogEntry, maxMessage: number, maxBlock: number): string {
  const who = e.user !== undefined || e.database !== undefined ? ` · ${escapeInline(`${e.user ?? ''}@${e.database ?? ''}`, 120)}` : '';
  const pid = e.pid !== undefined ? ` · pid ${e.pid}` : '';
  const state = e.sqlstate !== undefined && e.sqlstate !== '00000' ? ` · SQLSTATE ${escapeInline(e.sqlstate, 10)}` : '';
  const where = escapeInline(`${e.file}:${e.line}`, 200);
  const out = [`**${formatTime(e.time, true)}** · **${e.severity}**${pid}${who}${state} · ${where}`, '', `> ${escapeInline(e.message, maxMessage)}`];
  for (const [label, text, lang] of entryParts(e)) out.push('', `${label}:`, '', codeBlock(text, lang, maxBlock));
  return out.join('\n');
}

/** The digest as GitHub-flavoured markdown for the job summary (it starts at a level-3 heading). */
export function renderDigestMarkdown(digest: Digest, opts: RenderOptions = {}): string {
  const top = opts.topMessages ?? 10;
  const listed = Math.max(top, opts.listedMessages ?? 50);
  const maxMessage = opts.maxMessage ?? 300;
  const maxBlock = opts.maxBlock ?? 2000;
  const c = digest.bySeverity;
  const errors = (c.ERROR ?? 0) + (c.FATAL ?? 0) + (c.PANIC ?? 0);
  const out: string[] = ['### What the PostgreSQL logs say', ''];

  const window = digest.since !== undefined ? ` since ${formatTime(digest.since)}` : '';
  const fileWord = plural(digest.files.length, 'file');
  // Counts of logs not read to their end are a lower bound: said first, and "No errors" is not said at all.
  const partial = incompleteRead(digest);
  if (partial !== undefined) out.push(`**Not all of the logs could be read**: ${escapeInline(partial, 500)}. The counts below are of what was read; the step's count outputs are empty.`, '');
  const untimedErrors = unplacedErrors(digest);
  const timed = untimedErrors !== '' ? ' with a readable time' : '';
  const unplaced = untimedErrors !== '' ? `; **${untimedErrors}** could not be placed in the window: their time could not be read (below)` : '';
  if (digest.entries === 0) out.push(`No log entries${timed}${window}${partial !== undefined ? ' were read' : ''} in ${fileWord}${unplaced}.`);
  else if (errors === 0) out.push(`${noErrors(digest, partial !== undefined, (n) => `**${n}**`)}${timed}${window}: ${plural(digest.entries, 'entry', 'entries')} in ${fileWord} (${severityCounts(c)})${unplaced}.`);
  else {
    const counts = (['PANIC', 'FATAL', 'ERROR'] as const).filter((s) => (c[s] ?? 0) > 0).map((s) => `**${formatCount(c[s]!)} ${s}**`).join(', ');
    out.push(`${counts}${window} in ${fileWord} (${plural(digest.entries, 'entry', 'entries')}).`);
  }
  // The first error, and the last when it is another: a failed deployment's is usually the last.
  const errorLine = (what: string, e: LogEntry): string => `${what}: ${formatTime(e.time, true)} **${e.severity}** ${escapeInline(e.message, maxMessage)} (${escapeInline(`${e.file}:${e.line}`, 200)})`;
  const fe = digest.firstError;
  const le = otherLastError(digest);
  // A crash first: it ends every connection (the errors after it are often its echo), and its DETAIL says what the
  // process that died was running.
  for (const [what, e] of crashLines(digest)) {
    out.push('', `${errorLine(what, e)}${e.detail !== undefined && e.detail !== '' ? `; DETAIL: ${escapeInline(e.detail, maxMessage)}` : ''}`);
  }
  // A stop on purpose next: its connections end with `terminating connection due to administrator command`, which
  // reads like someone's pg_terminate_backend without it.
  for (const [what, s] of stopLines(digest)) out.push('', `${errorLine(what, s.entry)}${upAgain(s)}.`);
  if (fe !== undefined) out.push('', errorLine('First error', fe));
  if (le !== undefined) out.push('', errorLine('Last error', le));

  const notes: string[] = [];
  if (digest.untimed > 0) {
    const what = severityCounts(digest.untimedBySeverity);
    notes.push(digest.since !== undefined
      ? `${plural(digest.untimed, 'entry', 'entries')} had no readable time and could not be placed in the window, so they are not counted above (${what}).`
      : `${plural(digest.untimed, 'entry', 'entries')} had no readable time (${what}).`);
  }
  if (digest.beforeWindow > 0) notes.push(`${plural(digest.beforeWindow, 'entry', 'entries')} before ${formatTime(digest.since)} not counted.`);
  if (digest.unparsedLines > 0) notes.push(`${plural(digest.unparsedLines, 'line')} could not be read as PostgreSQL log lines (see the files table).`);
  if (digest.truncatedLines > 0) notes.push(`${plural(digest.truncatedLines, 'line')} or fields were too long and were cut.`);
  const zones = [...new Set(digest.files.flatMap((f) => f.unknownZones))];
  if (zones.length > 0) notes.push(`Unknown time zone${zones.length === 1 ? '' : 's'} ${zones.map((z) => escapeInline(z, 20)).join(', ')}: those entries count as having no time.`);
  notes.push(...unreadNotes(digest, escapeInline));
  if (digest.overflowMessages > 0) notes.push(`${plural(digest.overflowMessages, 'error')} with yet more distinct messages are counted but not listed.`);
  if (notes.length > 0) out.push('', ...notes.map((n) => `> ${n}  `));

  const sevRows = SEVERITY_ORDER.filter((s) => ALWAYS.has(s) || (c[s] ?? 0) > 0);
  out.push('', '| Severity | Entries |', '|---|--:|', ...sevRows.map((s) => `| ${s} | ${formatCount(c[s] ?? 0)} |`));

  if (digest.kinds.length > 0) {
    out.push('', '#### By kind', '', '| Kind | Entries | SQLSTATE |', '|---|--:|---|');
    for (const k of digest.kinds) {
      out.push(`| ${escapeInline(k.kind, 100)} | ${formatCount(k.count)} | ${k.sqlstates.length > 0 ? escapeInline(k.sqlstates.slice(0, 8).join(', ') + (k.sqlstates.length > 8 ? ', …' : ''), 100) : '—'} |`);
    }
  }

  if (digest.timeline !== undefined) out.push('', ...timelineChart(digest.timeline));

  if (digest.messages.length > 0) {
    const shown = digest.messages.slice(0, top);
    const row = (g: MessageGroup): string =>
      `| ${g.severity} | ${formatCount(g.count)} | ${formatTime(g.firstSeen)} | ${formatTime(g.lastSeen)} | ${escapeInline(groupLine(g), maxMessage)} |`;
    const header = ['| Severity | Count | First seen | Last seen | Message |', '|---|--:|---|---|---|'];
    out.push('', `#### Most frequent errors${digest.messages.length > shown.length ? ` (${shown.length} of ${digest.messages.length} distinct)` : ''}`, '');
    out.push(...header, ...shown.map(row));
    const more = digest.messages.slice(top, listed);
    if (more.length > 0) {
      const rest = digest.messages.length - top - more.length;
      out.push('', `<details><summary>${plural(more.length, 'more distinct error')}${rest > 0 ? ` (of ${formatCount(digest.messages.length - top)})` : ''}</summary>`, '');
      out.push(...header, ...more.map(row), '', '</details>');
    }
  }

  if (digest.recent.length > 0) {
    out.push('', `<details><summary>Last ${plural(digest.recent.length, 'entry', 'entries')} (warnings and errors), with DETAIL, HINT and STATEMENT</summary>`, '');
    for (const e of digest.recent) out.push(entryBlock(e, maxMessage, maxBlock), '', '---', '');
    out.pop(); // the last separator's blank line
    out.pop(); // and the separator
    out.push('</details>');
  }

  return out.join('\n') + '\n';
}

/** A duration as PostgreSQL logged it, with the tables' separators: `3,120.650`; anything else escaped. */
function loggedMs(logged: string): string {
  return formatLogged(logged) ?? escapeInline(logged, 30);
}

/** Milliseconds for a table: `2,356.6 ms`. */
function formatMs(ms: number, digits = 1): string {
  return `${formatCount(ms, digits)} ms`;
}

/** A slow statement as a line: its normalised text, after its protocol step when it is not a run. */
export function slowText(g: SlowStatement): string {
  return g.step === 'run' ? g.key : `${g.step}: ${g.key}`;
}

function executionBlock(x: SlowExecution, maxBlock: number): string {
  const who = x.user !== undefined || x.database !== undefined ? ` · ${escapeInline(`${x.user ?? ''}@${x.database ?? ''}`, 120)}` : '';
  const step = x.step === 'statement' ? 'statement' : `${x.step} ${escapeInline(x.name ?? '', 100)}`;
  const out = [`**${loggedMs(x.duration)} ms** · ${formatTime(x.time, true)}${who} · ${step} · ${escapeInline(`${x.file}:${x.line}`, 200)}`, '', codeBlock(x.statement, 'sql', maxBlock)];
  if (x.detail !== undefined && x.detail !== '') {
    const params = /^parameters: ([\s\S]*)$/.exec(x.detail);
    out.push('', params ? 'Parameters:' : 'DETAIL:', '', codeBlock(params ? params[1]! : x.detail, 'text', maxBlock));
  }
  return out.join('\n');
}

/** What an instance's logs say, as the job summary shows it: the error digest, then the slow statements. */
export function renderLogsMarkdown(r: { digest?: Digest | undefined; slow?: SlowDigest | undefined }): string {
  return [r.digest ? renderDigestMarkdown(r.digest) : '', r.slow ? renderSlowMarkdown(r.slow) : ''].filter((m) => m !== '').join('\n');
}

/** The slow-statement digest as markdown for the job summary (a level-3 heading). */
export function renderSlowMarkdown(d: SlowDigest, opts: RenderOptions = {}): string {
  const top = opts.topMessages ?? 10;
  const maxMessage = opts.maxMessage ?? 300;
  const maxBlock = opts.maxBlock ?? 4000;
  const out: string[] = ['### Slow statements', ''];
  const window = d.since !== undefined ? ` since ${formatTime(d.since)}` : '';
  const fileWord = plural(d.files.length, 'file');
  const partial = incompleteRead(d);
  if (partial !== undefined) out.push(`**Not all of the slow-query logs could be read**: ${escapeInline(partial, 500)}. The figures below are of what was read; the step's slow-query count is empty.`, '');
  if (d.count === 0) {
    out.push(`No statements with a duration${window}${partial !== undefined ? ' were read' : ''} in ${fileWord}.`);
  } else {
    const distinct = d.statements.length > 0 ? `; ${plural(d.statements.length, 'distinct statement')}` : '';
    out.push(`**${plural(d.count, 'duration')}** logged${window} in ${fileWord}, ${formatMs(d.totalMs)} in all${distinct}.`);
    if (d.slowest) out.push('', `Slowest: **${loggedMs(d.slowest.duration)} ms** at ${formatTime(d.slowest.time, true)} (${escapeInline(`${d.slowest.file}:${d.slowest.line}`, 200)}).`);
  }
  const notes: string[] = [];
  if (d.untimed > 0) notes.push(`${plural(d.untimed, 'duration')} had no readable time and could not be placed in the window, so they are not counted.`);
  if (d.beforeWindow > 0) notes.push(`${plural(d.beforeWindow, 'duration')} before ${formatTime(d.since)} not counted.`);
  if (d.withoutText > 0) notes.push(`${plural(d.withoutText, 'duration')} came without statement text (log_duration): counted, not ranked.`);
  if (d.overflow > 0) notes.push(`${plural(d.overflow, 'duration')} of yet more distinct statements are counted but not listed.`);
  if (notes.length > 0) out.push('', ...notes.map((n) => `> ${n}  `));

  if (d.statements.length > 0) {
    const shown = d.statements.slice(0, top);
    out.push('', `#### By total time${d.statements.length > shown.length ? ` (${shown.length} of ${d.statements.length} distinct)` : ''}`, '');
    out.push('| Calls | Total | Mean | Max | First seen | Last seen | Statement (literals and parameters as ?) |', '|--:|--:|--:|--:|---|---|---|');
    for (const g of shown) {
      out.push(`| ${formatCount(g.calls)} | ${formatMs(g.totalMs)} | ${formatMs(g.totalMs / g.calls)} | ${formatMs(g.maxMs, 3)} | ${formatTime(g.firstSeen)} | ${formatTime(g.lastSeen)} | ${escapeInline(slowText(g), maxMessage)} |`);
    }
  }
  if (d.slowest) {
    out.push('', '<details><summary>The slowest execution in full</summary>', '', executionBlock(d.slowest, maxBlock), '', '</details>');
  }
  return out.join('\n') + '\n';
}

const CHART_SEVERITIES = ['PANIC', 'FATAL', 'ERROR', 'WARNING'] as const;

/** Errors over time: one row of blocks per severity over the same even buckets, each row scaled to its own peak. */
function timelineChart(t: Timeline): string[] {
  const rows = CHART_SEVERITIES.filter((s) => (t.series[s] ?? []).some((n) => n > 0));
  const buckets = t.series[rows[0] ?? 'ERROR']?.length ?? 0;
  const end = new Date(t.startMs + buckets * t.widthMs);
  const out = [
    '#### Over time', '',
    `${formatTime(new Date(t.startMs))} to ${formatTime(end)}, one column per ${formatDuration(t.widthMs)}; each row scaled to its own peak.`, '',
    '| Severity | Entries per bucket | Peak |', '|---|---|--:|',
  ];
  for (const s of rows) {
    const counts = t.series[s]!;
    out.push(`| ${s} | \`${sparkline(counts)}\` | ${formatCount(Math.max(...counts))} |`);
  }
  return out;
}


/** One line, no control characters, at most `max` characters: annotation text is plain. */
function plain(s: string, max: number): string {
  return cut(s.replace(/\s*(\r\n|\r|\n)\s*/g, ' ').replace(CONTROL, '\ufffd'), max);
}

function annotation(g: MessageGroup, level: 'error' | 'warning'): Annotation {
  const times = g.count > 1 ? ` ×${formatCount(g.count)}` : '';
  const title = plain(`PostgreSQL ${g.severity}${times}: ${groupLine(g)}`, 200);
  const e = g.example;
  const lines: string[] = [];
  lines.push(g.uniform ? plain(e.message, 500) : `For example: ${plain(e.message, 500)}`);
  // QUERY and CONTEXT: where in a function it came from (PL/pgSQL's call stack, a failing EXECUTE's statement).
  for (const [label, text] of entryParts(e)) lines.push(`${label}: ${plain(text, label === 'HINT' || label === 'QUERY' ? 300 : 500)}`);
  const seen = g.count > 1
    ? `Seen ${formatCount(g.count)} times, first ${formatTime(g.firstSeen)}, last ${formatTime(g.lastSeen)}`
    : `Seen at ${formatTime(g.firstSeen)}`;
  const who = e.user !== undefined || e.database !== undefined ? ` (${e.user ?? ''}@${e.database ?? ''})` : '';
  lines.push(`${seen}${plain(who, 120)}; ${g.count > 1 ? 'first in' : 'in'} ${plain(`${e.file}:${e.line}`, 200)}.`);
  return { level, title, message: lines.join('\n') };
}

/** A digest's crashes as one error annotation: how many, and the latest with what it was running. */
function crashAnnotation(d: Digest): Annotation | undefined {
  const e = d.lastCrash;
  if (e === undefined) return undefined;
  const lines = [plain(e.message, 500)];
  if (e.detail !== undefined) lines.push(`DETAIL: ${plain(e.detail, 500)}`);
  lines.push(`${d.crashes > 1 ? `The latest of ${formatCount(d.crashes)}, at` : 'At'} ${formatTime(e.time)}; in ${plain(`${e.file}:${e.line}`, 200)}. A crash ends every connection to the server.`);
  return { level: 'error', title: plain(`PostgreSQL server crash${d.crashes > 1 ? ` ×${formatCount(d.crashes)}` : ''}: ${e.message}`, 200), message: lines.join('\n') };
}

/** GitHub shows at most this many annotations of each level (error, warning) per step. */
const ANNOTATIONS_PER_LEVEL = 10;

/** One digest's annotations in a step, with the instance's label when the step has several. */
export interface AnnotatedDigest {
  label?: string | undefined;
  digest: Digest;
}

/**
 * The step's annotations: one error for a digest's crashes, one per distinct FATAL/PANIC message, one warning per distinct ERROR message,
 * errors first (PANIC before FATAL, then by count; each level in the digests' order) with some room kept for
 * ERROR messages when `cap` is 4 or more (see `reserve`), at most `cap` in all and
 * at most 10 of each level a step shows less the `used` ones (the step's other warnings, its failure line).
 * When a level shows fewer than there are (crashes included), its last annotation says how many more the job summary lists.
 */
export function stepAnnotations(digests: AnnotatedDigest[], cap = 10, used: Record<Annotation['level'], number> = { error: 0, warning: 0 }): Annotation[] {
  const rank = (g: MessageGroup): number => (g.severity === 'PANIC' ? 0 : g.severity === 'FATAL' ? 1 : 2);
  // digest.messages is ranked by count already; a stable sort keeps that order within a severity.
  const ordered = digests.map(({ digest }) => [...digest.messages].sort((a, b) => rank(a) - rank(b)));
  const out: Annotation[] = [];
  let left = Math.max(0, cap);
  // Errors come first, but not all the way: after the crashes, 30% (rounded down) stays for ERROR messages when
  // there are some, as a deployment's cause is often an ERROR (its migration's) among FATALs that are only its echo
  // (failed logins, connections refused while the server restarted). Not with a cap under 4.
  const errorGroups = ordered.reduce((n, groups) => n + groups.filter((g) => g.severity === 'ERROR').length, 0);
  const reserve = left >= 4 ? Math.min(errorGroups, Math.floor(left * 0.3), Math.max(0, ANNOTATIONS_PER_LEVEL - used.warning)) : 0;
  // GitHub takes titles of up to 255 characters: the instance's label makes no exception.
  const labelled = (d: AnnotatedDigest, a: Annotation): Annotation => (d.label === undefined ? a : { ...a, title: plain(`${d.label}: ${a.title}`, 250) });
  for (const [level, what] of [['error', 'FATAL/PANIC'], ['warning', 'ERROR']] as const) {
    let n = Math.max(0, Math.min(ANNOTATIONS_PER_LEVEL - used[level], left));
    let dropped = 0;
    let droppedCrashes = 0;
    const shown: Annotation[] = [];
    // Every instance's crashes first: a crash ends every connection, and the errors after it are often its echo.
    if (level === 'error') {
      for (const d of digests) {
        const crash = crashAnnotation(d.digest);
        if (crash === undefined) continue;
        if (n <= 0) droppedCrashes++;
        else {
          shown.push(labelled(d, crash));
          n--;
        }
      }
      n = Math.max(0, Math.min(n, left - shown.length - reserve));
    }
    digests.forEach((d, i) => {
      const groups = ordered[i]!.filter((g) => (g.severity === 'ERROR') === (level === 'warning'));
      const take = Math.min(groups.length, n);
      for (const g of groups.slice(0, take)) shown.push(labelled(d, annotation(g, level)));
      n -= take;
      dropped += groups.length - take;
    });
    const more = [
      ...(droppedCrashes > 0 ? [plural(droppedCrashes, "more instance's server crashes", "more instances' server crashes")] : []),
      ...(dropped > 0 ? [plural(dropped, `more distinct ${what} message`)] : []),
    ];
    // On this level's last annotation; with no room left for this level, on the step's last one of any level.
    const last = shown.at(-1) ?? out.at(-1);
    if (more.length > 0 && last !== undefined) last.message += `\n…and ${more.join(' and ')} in the job summary.`;
    left -= shown.length;
    out.push(...shown);
  }
  return out;
}
