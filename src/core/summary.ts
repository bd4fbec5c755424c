// The run's report as Markdown: the job summary the action writes and the CLI's --summary file. Pure: the text
// comes from the report alone.
import { countsKnown, listedNothing, totalBytes, type Report } from './run.ts';
import { formatBytes, formatDuration } from './duration.ts';
import { escapeInline } from '../insight/markdown.ts';
import { renderFiles } from '../insight/files-table.ts';
import { instanceLabel } from './config.ts';
import { errorMessage } from './errors.ts';
import { runLabel, type InstanceRun, type ManyReport } from './many.ts';
import type { LogType } from '../cloud/rds.ts';
import { plural } from './plural.ts';

export interface SummaryInput {
  /** The instance as the heading names it: name and id when known, else as the inputs named it. */
  instance: string;
  report: Report;
  artifactUrl: string | undefined;
  /** The insight digest, already rendered; empty when there is none. */
  digestMarkdown: string;
  /** Set when the run failed or was cancelled; already free of secrets. */
  error: string | undefined;
  cancelled: boolean;
  /** The log types fetched (default: the error log). */
  types?: readonly LogType[] | undefined;
  redact: (s: string) => string;
}

// Text from the API, the inputs or an error: secrets out first (escaping writes `_` as `\_`, and cutting may
// halve a secret: either hides it from a redaction of the finished summary), then escaped by the same rules as
// the log text in the digest, and never put inside a `code span`, where markdown would show the escapes.
const inline = (redact: (s: string) => string) => (s: string, max = 1000): string => escapeInline(redact(s), max);

/** What the step fetched, for headings. */
function logsFetched(types: readonly LogType[]): string {
  return types.length > 1 ? 'error and slow-query logs' : types[0] === 'slow' ? 'slow-query logs' : 'error logs';
}

interface SummaryParts {
  head: string[];
  sections: string[];
  tail: string[];
  /** Where every file is complete, for the note when sections are cut. */
  where: string;
}

function summaryParts(s: SummaryInput): SummaryParts {
  const { report } = s;
  const text = inline(s.redact);
  const total = totalBytes(report);
  // What happened first, where the files are last: both always shown; the sections between are budgeted.
  const types = s.types ?? ['error'];
  const out: string[] = [`## RDS ${logsFetched(types)}: instance ${text(s.instance)}`, ''];
  const sections: string[] = [];
  const tail: string[] = [];

  if (s.cancelled) {
    const n = report.files.length;
    out.push(`> [!WARNING]\n> ${n === 0 ? 'Cancelled before any file was complete.' : `Cancelled. ${n === 1 ? '1 file was complete by then and is' : `${plural(n, 'file')} were complete by then and are`} kept.`}`, '');
  } else if (s.error) out.push(`> [!CAUTION]\n> ${text(s.error, 4000)}`, '');

  if (report.status) {
    const got = `${plural(report.files.length, 'file')}, ${formatBytes(total)}`;
    const prepared = report.status === 'FAILED' ? 'only some of the logs (status FAILED)' : 'the logs';
    out.push(`RDS prepared ${prepared} in ${formatDuration(report.waitedMs)} (${plural(report.polls, 'call')}); downloaded ${got}.`, '');
    // No log at all must not read as a healthy database (a run that failed or was cancelled says so above).
    if (listedNothing(report) && !s.error && !s.cancelled) {
      out.push('> [!NOTE]\n> RDS listed no log files for this instance, so there was nothing to read: how many errors the database logged is unknown, and the counts are left empty.', '');
    }
  }
  if (report.digestError !== undefined) {
    out.push(`> [!WARNING]\n> The logs could not be digested (${text(report.digestError, 1000)}): how many errors they hold is unknown, so the counts are left empty. The files are complete${report.artifact ? ' in the artifact' : ''}.`, '');
  }

  if (s.digestMarkdown) sections.push(`${s.digestMarkdown}\n`);

  if (report.files.length > 0) {
    // One table: what was downloaded, with what the digest read in each file when there is a digest.
    const read = new Map([...(report.digest?.files ?? []), ...(report.slow?.files ?? [])].map((f) => [f.name, f]));
    const typed = types.length > 1;
    sections.push(['### Files', '', renderFiles(report.files.map((f) => ({ name: s.redact(f.name), type: typed ? f.type : undefined, size: f.size, digest: read.get(f.name) })))].join('\n'));
  }
  if (report.missing.length > 0) {
    const rows = report.missing.map((m) => `| ${text(types.length > 1 ? `${m.type}/${m.apiName}` : m.apiName)} | ${text(m.reason)} |`);
    sections.push(['### Not downloaded', '', '| File | Why |', '| --- | --- |', ...rows, ''].join('\n'));
  }
  if (report.artifact) {
    const label = text(report.artifact.name);
    const link = s.artifactUrl ? `[${label}](${s.artifactUrl})` : label;
    const digest = report.artifact.digest ? `, SHA-256 \`${report.artifact.digest}\`` : '';
    tail.push(`**Artifact:** ${link} (${formatBytes(report.artifact.size)} zipped${digest})`, '');
  } else if (report.files.length > 0) {
    tail.push(`The files are in ${text(report.outputDir)} on the runner (no artifact uploaded).`, '');
  }
  return { head: out, sections, tail, where: report.artifact ? 'in the artifact' : `in ${text(report.outputDir)} on the runner` };
}

/**
 * GitHub refuses a step summary over 1 MiB (the step goes on without it): the summary keeps well inside, with
 * room for the redactor and for the markup rendering adds (test/action/summary-gfm.test.ts renders it).
 */
const SUMMARY_BUDGET_BYTES = 896 * 1024;

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * The summary from its parts, always within `budget` bytes. `head` (what happened) and `tail` (where the files
 * are) are kept whole; the sections between are kept whole when they fit, smallest first, and the others cut
 * to an equal share of what is left, at a line, with any code block or <details> they opened closed again.
 * A last line says what was left out and that the artifact has everything.
 */
export function fitSummary(head: string[], sections: string[], tail: string[], where: string, budget = SUMMARY_BUDGET_BYTES): string {
  const whole = [...head, ...sections, ...tail].join('\n');
  if (bytes(whole) <= budget) return whole;
  const notice = (cut: string): string =>
    `> [!NOTE]\n> This summary was cut to fit GitHub's 1 MiB limit: ${cut} left out. Every file is complete ${where}.`;
  const fixed = bytes([...head, ...tail].join('\n')) + bytes(notice('x'.repeat(NOTICE_ROOM))) + 16;
  let left = Math.max(0, budget - fixed);
  const kept: string[] = [...sections];
  const order = sections.map((s, i) => ({ i, size: bytes(s) + 1 })).sort((a, b) => a.size - b.size);
  const over: number[] = [];
  for (const { i, size } of order) {
    if (size <= left && over.length === 0) left -= size;
    else over.push(i);
  }
  const dropped: string[] = [];
  over.forEach((i, n) => {
    const share = Math.floor(left / (over.length - n));
    const r = cutSection(sections[i]!, share);
    kept[i] = r.text;
    left -= bytes(r.text) + 1;
    dropped.push(`${plural(r.droppedLines, 'line')} of ${titleOf(sections[i]!)}`);
  });
  return [...head, ...kept.filter((s) => s !== ''), notice(listed(dropped)), '', ...tail].join('\n');
}

/** Bytes the notice's list of what was left out may take: the room fitSummary keeps for it. */
const NOTICE_ROOM = 600;

/** What was left out, as many as fit in NOTICE_ROOM, then how many more (twenty instances cut would not fit). */
function listed(dropped: string[]): string {
  let out = '';
  for (let k = 0; k < dropped.length; k++) {
    const next = out === '' ? dropped[k]! : `${out}, ${dropped[k]}`;
    const rest = dropped.length - k - 1;
    // Room left for the ", and N more sections" that may have to follow.
    if (bytes(next) + (rest > 0 ? 40 : 0) > NOTICE_ROOM) return `${out === '' ? '' : `${out}, and `}${plural(dropped.length - k, 'more section')}`;
    out = next;
  }
  return out;
}

function titleOf(section: string): string {
  const m = /^#+\s+(.+)$/m.exec(section) ?? /<summary>(.*?)<\/summary>/.exec(section);
  return m ? `"${m[1]!.slice(0, 60)}"` : 'a section';
}

/** The lines of `section` that fit in `max` bytes, with the blocks they opened closed. */
function cutSection(section: string, max: number): { text: string; droppedLines: number } {
  const lines = section.split('\n');
  const out: string[] = [];
  let size = 0;
  let fence: string | undefined;
  let details = 0;
  const closing = (): string[] => [...(fence ? [fence] : []), ...Array<string>(details).fill('</details>')];
  for (const line of lines) {
    const nextFence = /^(```+|~~~+)/.exec(line)?.[1];
    const f = fence ? (nextFence && line.startsWith(fence) ? undefined : fence) : nextFence;
    const d = fence ? details : details + (line.match(/<details\b/g)?.length ?? 0) - (line.match(/<\/details>/g)?.length ?? 0);
    const closeSize = bytes([...(f ? [f] : []), ...Array<string>(Math.max(0, d)).fill('</details>')].join('\n')) + 2;
    if (size + bytes(line) + 1 + closeSize > max) break;
    out.push(line);
    size += bytes(line) + 1;
    fence = f;
    details = Math.max(0, d);
  }
  // A blank line after: an HTML block (</details>) runs on until one.
  return { text: [...out, ...closing(), ''].join('\n'), droppedLines: lines.length - out.length };
}

export interface StepSummaryInput {
  many: ManyReport;
  artifactUrl: string | undefined;
  /** An instance's digest as markdown; empty when it has none. */
  digestMarkdown: (run: InstanceRun) => string;
  /** The step's error, already free of secrets. */
  error: string | undefined;
  cancelled: boolean;
  redact: (s: string) => string;
  /** The log types fetched (default: the error log). */
  types?: readonly LogType[] | undefined;
}

/** One instance: its summary as before. Several: one row each (how it went), then a section each. */
export function renderStepSummary(s: StepSummaryInput): string {
  const { many } = s;
  const text = inline(s.redact);
  const section = (run: InstanceRun, error: string | undefined): SummaryParts => summaryParts({
    instance: run.report.instance ? `${run.report.instance.name} (${run.report.instance.id})` : instanceLabel(run.ref),
    report: run.report,
    artifactUrl: s.artifactUrl,
    digestMarkdown: s.digestMarkdown(run),
    error,
    cancelled: s.cancelled,
    types: s.types,
    redact: s.redact,
  });
  if (many.runs.length === 1) {
    const p = section(many.runs[0]!, s.error);
    return fitSummary(p.head, p.sections, p.tail, p.where);
  }

  const out: string[] = [`## RDS ${logsFetched(s.types ?? ['error'])}: ${many.runs.length} instances`, ''];
  if (s.cancelled) out.push('> [!WARNING]\n> Cancelled. The files complete by then are kept.', '');
  else if (s.error) out.push(`> [!CAUTION]\n> ${text(s.error, 4000)}`, '');
  out.push('| Instance | Status | Files | Size | ERROR | FATAL | PANIC | First error |', '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const run of many.runs) {
    const r = run.report;
    const d = r.digest;
    const status = run.error !== undefined ? `failed: ${text(errorMessage(run.error), 300)}` : !run.settled ? 'cancelled' : r.status ?? '—';
    // As the step's outputs: a count of logs not all downloaded and read is not the logs' count.
    const bound = d !== undefined && !countsKnown(r) ? '≥ ' : '';
    const count = (n: number | undefined): string => (d ? `${bound}${n ?? 0}` : '');
    const first = d?.firstError ? text(`${d.firstError.severity}: ${d.firstError.message}`, 200) : '';
    out.push(`| ${text(runLabel(run, many.runs))} | ${status} | ${r.files.length} | ${formatBytes(totalBytes(r))} | ${count(d?.bySeverity.ERROR)} | ${count(d?.bySeverity.FATAL)} | ${count(d?.bySeverity.PANIC)} | ${first} |`);
  }
  out.push('');
  // Each instance's section is one part of the budget: the step's table above stays whole.
  const sections = many.runs.map((run) => {
    const p = section(run, run.error === undefined ? undefined : s.redact(errorMessage(run.error)));
    return [...p.head, ...p.sections, ...p.tail].join('\n');
  });
  return fitSummary(out, sections, [], many.artifact ? 'in the artifact' : `in ${text(many.outputDir)} on the runner`);
}
