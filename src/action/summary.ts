// What the user reads first: the job summary, as markdown. Pure: the text comes from the report alone.
import { totalBytes, type Report } from '../core/run.ts';
import { formatBytes, formatDuration } from '../core/duration.ts';
import { escapeInline, renderFiles } from '../insight/render.ts';
import { instanceLabel } from '../core/config.ts';
import { errorMessage } from '../core/errors.ts';
import { runLabel, type InstanceRun, type ManyReport } from '../core/many.ts';

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
}

// Text from the API, the inputs or an error: escaped by the same rules as the log text in the digest, and never
// put inside a `code span`, where markdown would show the escapes themselves.
const text = (s: string, max = 1000): string => escapeInline(s, max);

export function renderSummary(s: SummaryInput): string {
  const { report } = s;
  const total = totalBytes(report);
  const out: string[] = [`## RDS error logs: instance ${text(s.instance)}`, ''];

  if (s.cancelled) out.push(`> [!WARNING]\n> Cancelled. ${report.files.length} file(s) were complete and are kept; the rest were not fetched.`, '');
  else if (s.error) out.push(`> [!CAUTION]\n> ${text(s.error, 4000)}`, '');

  if (report.status) {
    const got = `${report.files.length} file${report.files.length === 1 ? '' : 's'}, ${formatBytes(total)}`;
    out.push(`RDS prepared the logs in ${formatDuration(report.waitedMs)} (${report.polls} call${report.polls === 1 ? '' : 's'}); downloaded ${got}.`, '');
  }

  if (s.digestMarkdown) out.push(s.digestMarkdown, '');

  if (report.files.length > 0) {
    // One table: what was downloaded, with what the digest read in each file when there is a digest.
    const read = new Map((report.digest?.files ?? []).map((f) => [f.name, f]));
    out.push('### Files', '', renderFiles(report.files.map((f) => ({ name: f.name, size: f.size, digest: read.get(f.name) }))));
  }
  if (report.missing.length > 0) {
    out.push('### Not downloaded', '', '| File | Why |', '| --- | --- |');
    for (const m of report.missing) out.push(`| ${text(m.apiName)} | ${text(m.reason)} |`);
    out.push('');
  }
  if (report.artifact) {
    const label = text(report.artifact.name);
    const link = s.artifactUrl ? `[${label}](${s.artifactUrl})` : label;
    const digest = report.artifact.digest ? `, SHA-256 \`${report.artifact.digest}\`` : '';
    out.push(`**Artifact:** ${link} (${formatBytes(report.artifact.size)} zipped${digest})`, '');
  } else if (report.files.length > 0) {
    out.push(`The files are in ${text(report.outputDir)} on the runner (no artifact uploaded).`, '');
  }
  return out.join('\n');
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
}

/** One instance: its summary as before. Several: one row each (how it went), then a section each. */
export function renderStepSummary(s: StepSummaryInput): string {
  const { many } = s;
  const section = (run: InstanceRun, error: string | undefined): string => renderSummary({
    instance: run.report.instance ? `${run.report.instance.name} (${run.report.instance.id})` : instanceLabel(run.ref),
    report: run.report,
    artifactUrl: s.artifactUrl,
    digestMarkdown: s.digestMarkdown(run),
    error,
    cancelled: s.cancelled,
  });
  if (many.runs.length === 1) return section(many.runs[0]!, s.error);

  const out: string[] = [`## RDS error logs: ${many.runs.length} instances`, ''];
  if (s.cancelled) out.push('> [!WARNING]\n> Cancelled. Complete files are kept; the rest were not fetched.', '');
  else if (s.error) out.push(`> [!CAUTION]\n> ${text(s.error, 4000)}`, '');
  out.push('| Instance | Status | Files | Size | ERROR | FATAL | First error |', '| --- | --- | ---: | ---: | ---: | ---: | --- |');
  for (const run of many.runs) {
    const r = run.report;
    const d = r.digest;
    const status = run.error !== undefined ? `failed: ${text(s.redact(errorMessage(run.error)), 300)}` : !run.settled ? 'cancelled' : r.status ?? '—';
    const count = (n: number | undefined): string => (d ? String(n ?? 0) : '');
    const first = d?.firstError ? text(s.redact(`${d.firstError.severity}: ${d.firstError.message}`), 200) : '';
    out.push(`| ${text(runLabel(run))} | ${status} | ${r.files.length} | ${formatBytes(totalBytes(r))} | ${count(d?.bySeverity.ERROR)} | ${count(d?.bySeverity.FATAL)} | ${first} |`);
  }
  out.push('');
  for (const run of many.runs) out.push(section(run, run.error === undefined ? undefined : s.redact(errorMessage(run.error))));
  return out.join('\n');
}
