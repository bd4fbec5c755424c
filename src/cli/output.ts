// What the CLI prints on stdout: the digest and where the files are, for a terminal (colour when it can), or one
// JSON report with --json. Text from the API and the logs is untrusted: no control character reaches the terminal.
import { formatBytes } from '../core/duration.ts';
import { instanceLabel } from '../core/config.ts';
import { errorMessage } from '../core/errors.ts';
import { runLabel, type InstanceRun, type ManyReport } from '../core/many.ts';
import type { Outputs } from '../core/outputs.ts';
import { totalBytes } from '../core/run.ts';
import { otherLastError, type Digest, type FileDigest } from '../insight/digest.ts';
import { incompleteRead, stoppedWhy } from '../insight/incomplete.ts';
import type { SlowDigest } from '../insight/slow.ts';
import type { LogEntry } from '../insight/entry.ts';
import { crashLines, entryParts, groupText, noErrors, stopLines, upAgain, slowText, unplacedErrors, unreadNotes } from '../insight/render.ts';
import { cut, formatTime } from '../insight/markdown.ts';
import { formatCount, formatLogged, plural } from '../core/plural.ts';

export type Style = 'bold' | 'dim' | 'red' | 'yellow' | 'green' | 'magenta';
const SGR: Record<Style, [number, number]> = { bold: [1, 22], dim: [2, 22], red: [31, 39], yellow: [33, 39], green: [32, 39], magenta: [35, 39] };

export function paint(s: string, style: Style, color: boolean): string {
  const [on, off] = SGR[style];
  return color ? `\x1b[${on}m${s}\x1b[${off}m` : s;
}

/** Colour when stdout is a terminal that shows it, unless NO_COLOR (https://no-color.org) is set to anything. */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0') return true;
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

// C0/C1 controls (ESC starts terminal escape sequences) and the bidi controls that make text read differently.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * One line of untrusted text for a terminal: a line break from an API or a log cannot start a line of its own,
 * and controls show as U+FFFD.
 */
export function oneLine(s: string, max: number): string {
  return cut(s.replace(/\s*[\r\n]\s*/g, ' ↵ ').replace(/\t/g, ' ').replace(CONTROL, '\ufffd'), max);
}

const SEVERITY_STYLE: Record<string, Style> = { PANIC: 'magenta', FATAL: 'red', ERROR: 'yellow' };

function renderDigestText(d: Digest, color: boolean, width = 100, top = 10): string {
  const p = (s: string, style: Style): string => paint(s, style, color);
  const sev = (s: string): string => (SEVERITY_STYLE[s] ? p(s, SEVERITY_STYLE[s]) : s);
  const c = d.bySeverity;
  const out: string[] = [];
  const window = d.since ? ` since ${formatTime(d.since)}` : '';
  const errors = (['PANIC', 'FATAL', 'ERROR'] as const).filter((s) => (c[s] ?? 0) > 0);
  const files = plural(d.files.length, 'file');
  const partial = incompleteRead(d);
  if (partial !== undefined) out.push(p(`Not all of the logs could be read: ${oneLine(partial, 500)}. The counts are of what was read.`, 'yellow'));
  const untimed = unplacedErrors(d);
  const timed = untimed !== '' ? ' with a readable time' : '';
  const unplaced = untimed !== '' ? `; ${p(untimed, 'yellow')} could not be placed in the window: their time could not be read` : '';
  if (d.entries === 0) out.push(`No log entries${timed}${window}${partial !== undefined ? ' were read' : ''} in ${files}${unplaced}.`);
  else if (errors.length === 0) {
    const head = noErrors(d, partial !== undefined, (s) => p(s, 'red'));
    out.push(`${partial !== undefined || untimed !== '' || d.crashes > 0 ? head : p(head, 'green')}${timed}${window}: ${formatCount(d.entries)} entries in ${files}${unplaced}.`);
  }
  else out.push(`${errors.map((s) => p(`${formatCount(c[s]!)} ${s}`, SEVERITY_STYLE[s]!)).join(', ')}${window} in ${files} (${formatCount(d.entries)} entries).`);
  // An entry on one line: when, how bad, what, and where in which file.
  const entry = (e: LogEntry): string => `${formatTime(e.time, true)} ${sev(e.severity)} ${oneLine(e.message, width)} ${p(`(${oneLine(`${e.file}:${e.line}`, 120)})`, 'dim')}`;
  for (const [what, e] of crashLines(d)) {
    out.push(`${p(what, 'red')}: ${entry(e)}`);
    if (e.detail !== undefined && e.detail !== '') out.push(`  DETAIL: ${oneLine(e.detail, width)}`);
  }
  for (const [what, s] of stopLines(d)) out.push(`${p(what, 'yellow')}: ${entry(s.entry)}${upAgain(s)}.`);
  if (d.firstError) out.push(`First error: ${entry(d.firstError)}`);
  const last = otherLastError(d);
  if (last) out.push(`Last error:  ${entry(last)}`);
  // Every file not read to its end, by name: "no errors in what was read" must not pass for the files unread.
  for (const note of unreadNotes(d, oneLine)) out.push(p(note, 'yellow'));
  const one = d.untimed === 1;
  if (d.untimed > 0) out.push(p(`${plural(d.untimed, 'entry', 'entries')} ${one ? 'has' : 'have'} no readable time${d.since ? ` and ${one ? 'is' : 'are'} not counted` : ''}.`, 'dim'));
  if (d.unparsedLines > 0) out.push(p(`${plural(d.unparsedLines, 'line')} could not be read as PostgreSQL log lines.`, 'dim'));

  if (d.messages.length > 0) {
    const shown = d.messages.slice(0, top);
    out.push('', p(`Most frequent errors${d.messages.length > shown.length ? ` (${shown.length} of ${d.messages.length})` : ''}`, 'bold'));
    const counts = shown.map((g) => formatCount(g.count));
    const countWidth = Math.max(5, ...counts.map((n) => n.length));
    const lastSeen = shown.map((g) => formatTime(g.lastSeen));
    const lastWidth = Math.max(9, ...lastSeen.map((t) => t.length));
    out.push(p(`  ${'times'.padStart(countWidth)}  level  ${'last seen'.padEnd(lastWidth)}  message`, 'dim'));
    shown.forEach((g, i) => {
      out.push(`  ${counts[i]!.padStart(countWidth)}  ${sev(g.severity.padEnd(5))}  ${p(lastSeen[i]!.padEnd(lastWidth), 'dim')}  ${oneLine(groupText(g), width)}`);
    });
  }
  // As many as 'recent-entries' asked for (the digest keeps that many).
  const recent = d.recent;
  if (recent.length > 0) {
    out.push('', p(recent.length === 1 ? 'Last warning or error' : `Last ${formatCount(recent.length)} warnings and errors`, 'bold'));
    for (const e of recent) {
      out.push(`  ${entry(e)}`);
      // As the summary's: CONTEXT says where in a function the error came (a RAISE, a failing EXECUTE's QUERY).
      for (const [label, text] of entryParts(e)) out.push(`    ${p(`${label}:`, 'dim')} ${oneLine(text, width)}`);
    }
  }
  return out.join('\n');
}

/** The slow-query digest for a terminal: how many, the slowest, and the statements that took the most time. */
function renderSlowText(d: SlowDigest, color: boolean, width = 100, top = 10): string {
  const p = (s: string, style: Style): string => paint(s, style, color);
  const window = d.since ? ` since ${formatTime(d.since)}` : '';
  const files = plural(d.files.length, 'file');
  const partial = incompleteRead(d);
  const head = partial !== undefined ? [p(`Not all of the slow-query logs could be read: ${oneLine(partial, 500)}. The figures are of what was read.`, 'yellow')] : [];
  if (d.count === 0) return [...head, `No statements with a duration${window}${partial !== undefined ? ' were read' : ''} in ${files}.`].join('\n');
  const ms = (n: number): string => formatCount(n, 1);
  const out = [...head,`${plural(d.count, 'statement')} with a duration${window} in ${files}, ${ms(d.totalMs)} ms in all.`];
  if (d.slowest) {
    const x = d.slowest;
    out.push(`Slowest: ${formatLogged(x.duration) ?? oneLine(x.duration, 30)} ms ${formatTime(x.time, true)} ${oneLine(x.statement, width)} ${p(`(${oneLine(`${x.file}:${x.line}`, 120)})`, 'dim')}`);
  }
  const shown = d.statements.slice(0, top);
  if (shown.length > 0) {
    out.push('', p(`Statements by total time${d.statements.length > shown.length ? ` (${shown.length} of ${d.statements.length})` : ''}`, 'bold'));
    const rows = shown.map((g) => [formatCount(g.calls), ms(g.totalMs), ms(g.totalMs / g.calls)]);
    const w = [5, 8, 7].map((min, k) => Math.max(min, ...rows.map((row) => row[k]!.length)));
    out.push(p(`  ${'calls'.padStart(w[0]!)}  ${'total ms'.padStart(w[1]!)}  ${'mean ms'.padStart(w[2]!)}  statement`, 'dim'));
    shown.forEach((g, i) => {
      const [calls, total, mean] = rows[i]!;
      out.push(`  ${calls!.padStart(w[0]!)}  ${total!.padStart(w[1]!)}  ${mean!.padStart(w[2]!)}  ${oneLine(slowText(g), width)}`);
    });
  }
  return out.join('\n');
}

export interface TextReport {
  many: ManyReport;
  color: boolean;
  width: number;
  redact: (s: string) => string;
}

/** For people: per instance how it went and what the logs say, then where the files are. */
export function renderText(r: TextReport): string {
  const p = (s: string, style: Style): string => paint(s, style, r.color);
  const out: string[] = [];
  for (const run of r.many.runs) {
    const rep = run.report;
    const who = rep.instance ? `${rep.instance.name} (${rep.instance.id})` : instanceLabel(run.ref);
    const how = run.error !== undefined ? p(`failed: ${oneLine(r.redact(errorMessage(run.error)), 500)}`, 'red') : `${plural(rep.files.length, 'file')}, ${formatBytes(totalBytes(rep))}`;
    out.push(p(`── ${oneLine(who, 200)}`, 'bold') + ` ${how}`);
    if (rep.digest) out.push(renderDigestText(rep.digest, r.color, r.width), '');
    if (rep.slow) out.push(renderSlowText(rep.slow, r.color, r.width), '');
    if (!rep.digest && !rep.slow) out.push('');
  }
  const files = r.many.runs.flatMap((run) => run.report.files);
  if (files.length > 0) {
    out.push(p(`The files are in ${oneLine(r.many.outputDir, 1000)}`, 'bold'));
    for (const f of files) out.push(`  ${oneLine(f.path, 1000)}  ${p(formatBytes(f.size), 'dim')}`);
  }
  return out.join('\n') + '\n';
}

/** --json: the action's outputs (lists as JSON, not as strings of JSON) and each instance's digest. */
export function jsonReport(outputs: Outputs, many: ManyReport, error: string | undefined): Record<string, unknown> {
  const instances = (JSON.parse(outputs['instances'] ?? '[]') as Array<Record<string, unknown>>).map((o, i) => ({
    ...o,
    digest: worded(many.runs[i]?.report.digest),
    slow: worded(many.runs[i]?.report.slow),
    error: errorOf(many.runs[i], many.runs),
  }));
  return {
    ...outputs,
    files: JSON.parse(outputs['files'] ?? '[]') as unknown,
    instances,
    ...(many.runs.length === 1 ? { digest: worded(many.runs[0]!.report.digest), slow: worded(many.runs[0]!.report.slow) } : {}),
    error: error ?? null,
  };
}

/** A digest as this door words it: why a file was not read names the flag (see stoppedWhy); null when there is none. */
function worded<D extends { files: FileDigest[] }>(d: D | undefined): D | null {
  if (d === undefined) return null;
  return { ...d, files: d.files.map((f) => (f.stopped === undefined ? f : { ...f, stopped: stoppedWhy(f.stopped) })) };
}

function errorOf(run: InstanceRun | undefined, among: readonly InstanceRun[]): string | null {
  return run?.error === undefined ? null : `${runLabel(run, among)}: ${errorMessage(run.error)}`;
}
