// The adapter between GitHub Actions and the core: inputs, masking, log groups, outputs, summary, one setFailed.
import * as core from '@actions/core';
import { systemClock, type Clock } from '../core/clock.ts';
import { readInputs } from './inputs.ts';
import { SECRET_INPUTS, type Config } from '../core/config.ts';
import type { HttpTransport } from '../cloud/http.ts';
import { runTransports } from '../core/transports.ts';
import { Redactor } from '../core/redact.ts';
import { collectMany, newManyReport, runLabel, type ManyReport } from '../core/many.ts';
import { stepOutputs } from '../core/outputs.ts';
import { ArtifactError } from './artifact.ts';
import { redactingLogger } from './logger.ts';
import { defuse, printed } from '../core/command-guard.ts';
import { digestInWorker, liveDigestInWorker, runWorker, slowDigestInWorker, workerUrl } from '../core/workers.ts';
import type { UploadJob } from './upload-worker.ts';
import { renderStepSummary } from '../core/summary.ts';
import { escapeInline } from '../insight/markdown.ts';
import { CancelledError, errorMessage } from '../core/errors.ts';
import type { ArtifactUploader, Logger, UploadedArtifact } from '../core/ports.ts';
import { VERSION } from '../core/version.ts';
import { publicNote, repositoryIsPublic } from './visibility.ts';
import type { IdTokenEndpoint } from '../cloud/auth/github-id-token.ts';

export interface RunDeps {
  env: NodeJS.ProcessEnv;
  clock: Clock;
  /** Cancels the run (the runner's SIGINT/SIGTERM in production). */
  signal: AbortSignal | undefined;
  random: () => number;
  /** Transports: tests inject none; the real ones are built from the inputs. */
  transports: { api: HttpTransport; files: HttpTransport } | undefined;
}

const CANCEL_GRACE_MS = 1_000;

// Young generations of 4 MiB: garbage is collected sooner instead of growing the heap (see core/workers.ts).
const UPLOAD_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 512 };

const workerUploader: ArtifactUploader = {
  upload: (name, files, rootDir, options, signal) =>
    runWorker<UploadedArtifact>(workerUrl(import.meta.url, 'upload'), { name, files, rootDir, options } satisfies UploadJob, UPLOAD_LIMITS, undefined, signal)
      .catch((e: unknown) => {
        // Errors cross the thread as name and message; keep the artifact's own kind.
        throw e instanceof Error && e.name === 'ArtifactError' ? new ArtifactError(e.message) : e;
      }),
};

/** Resolves to a CancelledError `graceMs` after the signal aborts; never otherwise (and holds no timer). */
function afterAbort(signal: AbortSignal | undefined, graceMs: number): Promise<CancelledError> {
  return new Promise((resolve) => {
    signal?.addEventListener('abort', () => setTimeout(() => resolve(new CancelledError()), graceMs), { once: true });
  });
}

const USER_AGENT = `otc-rds-errorlogs-action/${VERSION}`;

/** Runs the action; returns the report. Never throws: a failure is reported once, with setFailed. */
export async function run(partial: Partial<RunDeps> = {}): Promise<ManyReport | undefined> {
  const deps: RunDeps = {
    env: process.env,
    clock: systemClock,
    signal: undefined,
    random: Math.random,
    transports: undefined,
    ...partial,
  };
  const redactor = new Redactor();
  const logger = redactingLogger((t) => redactor.redact(t));
  // The step's one failure line: redacted, then defused like every other message.
  const fail = (message: string): void => core.setFailed(defuse(redactor.redact(message)));
  // Secrets first, before anything can print them.
  for (const name of SECRET_INPUTS) {
    const value = core.getInput(name);
    if (value) {
      core.setSecret(value);
      redactor.add(value);
    }
  }

  let config: Config;
  try {
    config = readInputs((name) => core.getInput(name), deps.env, new Date(deps.clock.now()));
  } catch (e) {
    fail(errorMessage(e));
    return undefined;
  }

  const transports = deps.transports ?? runTransports(config, { userAgent: USER_AGENT, debug: core.debug, signal: deps.signal });
  const report = newManyReport(config);
  const work = collectMany(config, {
    api: transports.api,
    files: transports.files,
    idTokenEndpoint: idTokenEndpoint(deps.env),
    clock: deps.clock,
    logger,
    redactor,
    uploader: workerUploader,
    digest: digestInWorker(import.meta.url),
    slowDigest: slowDigestInWorker(import.meta.url),
    liveDigest: liveDigestInWorker(import.meta.url),
    signal: deps.signal,
    random: deps.random,
  }, report).then(() => undefined, (e: unknown) => e);
  // On cancellation, what is in flight gets a moment to clean up (part files), then the summary is written
  // from what the report holds: a request that cannot be aborted must not hold the step past the runner's kill.
  const error = await Promise.race([work, afterAbort(deps.signal, CANCEL_GRACE_MS)]);
  if (!deps.transports) {
    transports.api.close();
    transports.files.close();
  }

  const cancelled = deps.signal?.aborted === true || error instanceof CancelledError;
  const message = error === undefined ? undefined : redactor.redact(cancelled ? 'The run was cancelled; the files complete by then are kept' : errorMessage(error));
  try {
    await finish(config, report, deps.env, redactor, logger, message, cancelled);
  } catch (e) {
    // Outputs could not be written (GITHUB_OUTPUT missing or unwritable): a step that reports nothing has failed.
    // When the run failed too, its error is the step's, and this one still said.
    if (message !== undefined) logger.warning(`could not write the step's outputs: ${errorMessage(e)}`);
    fail(message ?? `could not write the step's outputs: ${errorMessage(e)}`);
    return report;
  }
  if (message !== undefined) fail(message);
  return report;
}

/** The runner sets both only for a job with `permissions: id-token: write`. */
function idTokenEndpoint(env: NodeJS.ProcessEnv): IdTokenEndpoint | undefined {
  const url = env['ACTIONS_ID_TOKEN_REQUEST_URL'];
  const token = env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
  return url && token ? { url, token } : undefined;
}

function artifactUrl(env: NodeJS.ProcessEnv, id: number): string | undefined {
  const server = (env['GITHUB_SERVER_URL'] || 'https://github.com').replace(/\/+$/, '');
  const repo = env['GITHUB_REPOSITORY'];
  const runId = env['GITHUB_RUN_ID'];
  return repo && runId ? `${server}/${repo}/actions/runs/${runId}/artifacts/${id}` : undefined;
}

/** Outputs and summary, written whether the run succeeded or not: a failed run still says what it got. */
async function finish(config: Config, many: ManyReport, env: NodeJS.ProcessEnv, redactor: Redactor, logger: Logger, error: string | undefined, cancelled: boolean): Promise<void> {
  const url = many.artifact ? artifactUrl(env, many.artifact.id) : undefined;
  const outputs = stepOutputs(many, url, redactor);
  // Without GITHUB_OUTPUT @actions/core falls back to the retired `::set-output`, which the command gate stops:
  // every output would be lost without a word. The summary is still written; then the step fails, saying so.
  // (GitHub's local-action has its own @actions/core, and no runner.)
  const noOutputFile = env['GITHUB_ACTIONS'] === 'true' && !env['GITHUB_OUTPUT'];
  if (!noOutputFile) for (const [name, value] of Object.entries(outputs)) core.setOutput(name, value);
  if (outputs['files-truncated'] === 'true') {
    const all = many.runs.reduce((n, r) => n + r.report.files.length, 0);
    const listed = (JSON.parse(outputs['files'] ?? '[]') as unknown[]).length;
    logger.warning(`The 'files' output lists ${listed} of the ${all} files: GitHub caps an output at 1 MB. All are in 'output-dir'${many.artifact ? ' and the artifact' : ''}`, { title: 'Output files truncated' });
  }

  // The reports' code is loaded now, not before the first request: the step's start does not wait for it. A
  // bundle missing its chunk (a damaged checkout of the action) still writes the summary, saying what it left out;
  // the outputs above are written already.
  let render: typeof import('../insight/render.ts') | undefined;
  let unrendered = '';
  try {
    render = await import('../insight/render.ts');
  } catch (e) {
    unrendered = `The report of what the logs say could not be made: its code did not load (${errorMessage(e)}). The outputs have the counts.`;
    logger.warning(unrendered, { title: 'No report of the logs' });
  }
  // 'max-annotations' and GitHub's 10 of each level are for the step: instances share them, and what the step
  // printed already (the gate counts every thread's, the artifact client's too) and its failure line keep their places.
  const several = many.runs.length > 1;
  const digests = many.runs.flatMap((run) => (run.report.digest ? [{ label: several ? runLabel(run, many.runs) : undefined, digest: run.report.digest }] : []));
  const used = { error: printed.error + (error !== undefined ? 1 : 0), warning: printed.warning };
  for (const a of render?.stepAnnotations(digests, config.maxAnnotations, used) ?? []) logger[a.level](a.message, { title: a.title });

  const markdown = renderStepSummary({
    many,
    artifactUrl: url,
    digestMarkdown: (run) => (render !== undefined ? render.renderLogsMarkdown(run.report) : run.report.digest || run.report.slow ? escapeInline(unrendered, 1000) : ''),
    error,
    cancelled,
    redact: (t) => redactor.redact(t),
    types: config.logTypes,
  });
  if (env['GITHUB_STEP_SUMMARY']) {
    try {
      const note = (await repositoryIsPublic(env)) ? `\n${publicNote(many.artifact !== undefined)}\n` : '';
      await core.summary.addRaw(redactor.redact(markdown + note), true).write();
    } catch (e) {
      logger.warning(`could not write the job summary: ${errorMessage(e)}`);
    }
  }
  if (noOutputFile) throw new Error('GITHUB_OUTPUT is not set: the step was not started by a GitHub runner that writes outputs');
}
