// The step's outputs as name → text, for both doors: the action sets them, the CLI prints them with --json.
import type { Redactor } from './redact.ts';
import { runLabel, type InstanceRun, type ManyReport } from './many.ts';
import { countsKnown, slowKnown, totalBytes } from './run.ts';
import { cut } from '../insight/markdown.ts';

export type Outputs = Record<string, string>;

export interface FileEntry {
  /** The instance's name (its id when the name is unknown). */
  instance: string;
  /** Its id: two instances may share a name. */
  'instance-id': string;
  name: string;
  /** `error` or `slow`: which log it is. */
  type: string;
  path: string;
  size: number;
}

function files(run: InstanceRun): FileEntry[] {
  const of = { instance: runLabel(run), 'instance-id': instanceId(run) };
  return run.report.files.map((f) => ({ ...of, name: f.name, type: f.type, path: f.path, size: f.size }));
}

function instanceId(run: InstanceRun): string {
  return run.report.instance?.id ?? (run.ref.by === 'id' ? run.ref.id : '');
}

/** One instance's outputs; `artifactUrl` is the door's link to the step's artifact, if it has one. */
function instanceOutputs(run: InstanceRun, many: ManyReport, artifactUrl: string | undefined, redactor: Redactor): Outputs {
  const { report } = run;
  const d = report.digest;
  const known = countsKnown(report);
  const slowOk = slowKnown(report);
  const count = (n: number | undefined): string => (known ? String(n ?? 0) : '');
  return {
    status: report.lastStatus ?? '',
    'file-count': String(report.files.length),
    'total-bytes': String(totalBytes(report)),
    files: JSON.stringify(files(run)),
    'files-truncated': 'false',
    'output-dir': report.outputDir,
    'artifact-name': many.artifact ? many.artifact.name : '',
    'artifact-id': many.artifact ? String(many.artifact.id) : '',
    'artifact-url': artifactUrl ?? '',
    'artifact-digest': many.artifact?.digest ?? '',
    'error-count': count(d?.bySeverity.ERROR),
    'fatal-count': count(d?.bySeverity.FATAL),
    'panic-count': count(d?.bySeverity.PANIC),
    'crash-count': count(d?.crashes),
    // Redacted, then cut (never inside a character of two UTF-16 units).
    'first-error': d?.firstError ? cut(redactor.redact(`${d.firstError.severity}: ${d.firstError.message}`), 1000) : '',
    'last-error': d?.lastError ? cut(redactor.redact(`${d.lastError.severity}: ${d.lastError.message}`), 1000) : '',
    // Unknown (empty) unless every slow-query log was fetched and read (see slowKnown), as the error counts.
    'slow-query-count': slowOk ? String(report.slow!.count) : '',
    // The slowest as logged, empty when none; unknown (empty) as the count is.
    'slowest-query-ms': slowOk ? report.slow!.slowest?.duration ?? '' : '',
  };
}

const COUNTS = ['file-count', 'total-bytes', 'error-count', 'fatal-count', 'panic-count', 'crash-count', 'slow-query-count'] as const;

/**
 * The step's outputs: one instance's own, or for several the sums (a count unknown for any instance is
 * unknown for the step: empty), every file with its instance, and the earliest first and latest last error. Both
 * carry `instances`, each instance's outputs, as a JSON array.
 */
export function stepOutputs(many: ManyReport, artifactUrl: string | undefined, redactor: Redactor): Outputs {
  return withinLimits(allOutputs(many, artifactUrl, redactor), many);
}

/** GitHub refuses an output over 1 MB: the lists of files are the outputs that can grow that far. */
const OUTPUT_BUDGET_BYTES = 900_000;

/**
 * `files` cut to the files that fit (then `files-truncated` is 'true'), and `instances` without its lists of
 * files when it would not fit (then each instance's `files-truncated` is; the step's only when `files` was cut
 * too). The other outputs are small.
 */
function withinLimits(out: Outputs, many: ManyReport): Outputs {
  const all = many.runs.flatMap(files);
  const items: string[] = [];
  let size = 2;
  for (const f of all) {
    const item = JSON.stringify(f);
    size += Buffer.byteLength(item) + 1;
    if (size > OUTPUT_BUDGET_BYTES) break;
    items.push(item);
  }
  const filesCut = items.length < all.length;
  if (!filesCut && Buffer.byteLength(out['instances'] ?? '') <= OUTPUT_BUDGET_BYTES) return out;
  const instances = (JSON.parse(out['instances'] ?? '[]') as Array<Record<string, unknown>>).map((i) => ({ ...i, files: [], 'files-truncated': 'true' }));
  const cutFiles = filesCut ? { files: `[${items.join(',')}]`, 'files-truncated': 'true' } : {};
  return { ...out, ...cutFiles, instances: JSON.stringify(instances) };
}

function allOutputs(many: ManyReport, artifactUrl: string | undefined, redactor: Redactor): Outputs {
  const each = many.runs.map((run) => ({ run, outputs: instanceOutputs(run, many, artifactUrl, redactor) }));
  const instances = JSON.stringify(each.map(({ run, outputs }) => ({
    instance: runLabel(run),
    'instance-id': instanceId(run),
    ...outputs,
    files: files(run),
  })));
  if (each.length === 1) return { ...each[0]!.outputs, instances };

  const out: Outputs = { ...each[0]!.outputs, instances, 'output-dir': many.outputDir };
  for (const name of COUNTS) {
    const values = each.map((e) => e.outputs[name] ?? '');
    out[name] = values.includes('') ? '' : String(values.reduce((n, v) => n + Number(v), 0));
  }
  out['files'] = JSON.stringify(many.runs.flatMap(files));
  // Every instance FINISH: FINISH; else the first other status (or empty when one never got an answer).
  out['status'] = each.map((e) => e.outputs['status'] ?? '').find((s) => s !== 'FINISH') ?? 'FINISH';
  const slowest = each.map((e) => e.outputs['slowest-query-ms'] ?? '').filter((v) => v !== '');
  out['slowest-query-ms'] = slowest.length > 0 ? slowest.reduce((a, b) => (Number(b) > Number(a) ? b : a)) : '';
  // The earliest of the instances' first errors and the latest of their last ones (an untimed one only when
  // none has a time; on a tie, the instance given first), each after its instance's name.
  const pick = (name: 'first-error' | 'last-error'): string => {
    const later = name === 'last-error';
    const timeOf = (e: { run: InstanceRun }): number => {
      const d = e.run.report.digest;
      return (later ? d?.lastError : d?.firstError)?.time?.getTime() ?? (later ? -Infinity : Infinity);
    };
    const best = each.filter((e) => e.outputs[name]).reduce<(typeof each)[number] | undefined>((a, e) => (a === undefined || (later ? timeOf(e) > timeOf(a) : timeOf(e) < timeOf(a)) ? e : a), undefined);
    return best ? cut(`${runLabel(best.run, many.runs)}: ${best.outputs[name]}`, 1000) : '';
  };
  out['first-error'] = pick('first-error');
  out['last-error'] = pick('last-error');
  return out;
}
