#!/usr/bin/env node
// The `otc-rds-logs` command: the action's engine at a terminal or in another CI system. The one place where
// errors become exit codes: 0 done, 1 failed, 2 bad usage or input, 128 + the signal's number when interrupted
// (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).
import { lstat, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { systemClock } from '../core/clock.ts';
import { DIR_MODE, FILE_MODE } from '../core/writable.ts';
import { cancelOnSignals, signalExitCode } from '../core/cancel.ts';
import { CancelledError, InputError, errorMessage, nameInputsAs } from '../core/errors.ts';
import { collectMany, newManyReport, type ManyReport } from '../core/many.ts';
import { isOwnPartFile } from '../core/run.ts';
import { stepOutputs } from '../core/outputs.ts';
import { Redactor } from '../core/redact.ts';
import { VERSION } from '../core/version.ts';
import { digestInWorker } from '../core/workers.ts';
import { runTransports } from '../core/transports.ts';
import { renderLogsMarkdown } from '../insight/render.ts';
import { guardStream } from '../core/command-guard.ts';
import { renderStepSummary } from '../core/summary.ts';
import { BadInput, HELP, parseCommandLine, UsageError, type UsedCloud } from './args.ts';
import { TerminalLog } from './log.ts';
import { jsonReport, oneLine, renderText, wantsColor } from './output.ts';

const USER_AGENT = `otc-rds-logs/${VERSION}`;
const CANCEL_GRACE_MS = 1_000;

const stderr = (s: string): void => void process.stderr.write(s);

async function main(): Promise<number> {
  // Nothing this prints (log text included) may act as a workflow command: not only where GITHUB_ACTIONS says
  // so, which `docker run`, `sudo` or `env -i` inside a step drop, nor only in GitHub (see command-guard.ts).
  guardStream(process.stdout, false);
  guardStream(process.stderr, false);

  let parsed;
  try {
    parsed = await parseCommandLine(process.argv.slice(2), process.env, process.cwd());
  } catch (e) {
    if (!(e instanceof UsageError) && !(e instanceof BadInput)) throw e;
    // Flags, OS_* values and clouds.yaml keys come from whoever called: a control character among them is shown, not run.
    stderr(`otc-rds-logs: ${oneLine(e.message, 4000)}\n${e instanceof UsageError ? "Try 'otc-rds-logs --help'.\n" : ''}`);
    // A script reading --json gets an object with the error, not an empty stdout (secrets are never flags).
    if (process.argv.some((a) => a === '--json' || a.startsWith('--json='))) await out(`${JSON.stringify({ error: e.message })}\n`);
    return 2;
  }
  if (parsed.kind === 'help') return (await out(HELP)) ? 0 : 1;
  if (parsed.kind === 'version') return (await out(parsed.json ? `${JSON.stringify({ name: 'otc-rds-logs', version: VERSION })}\n` : `otc-rds-logs ${VERSION}\n`)) ? 0 : 1;
  const { config, name } = parsed;
  // Every message the engine builds from now on names inputs as this command line takes them (--since, OS_PASSWORD).
  nameInputsAs(name);
  const redactor = new Redactor();
  for (const s of parsed.secrets) redactor.add(s);

  const signal = cancelOnSignals();
  const log = new TerminalLog({
    // No log masker reads a terminal: every message is redacted before it is cut to a line, and every line again
    // as it is written, warnings quoting an API's error_msg too.
    redact: (s) => redactor.redact(s),
    write: (s) => stderr(redactor.redact(s)),
    // A terminal that cannot move the cursor (TERM=dumb: Emacs shells, some CI consoles) gets plain lines.
    tty: process.stderr.isTTY === true && process.env['TERM'] !== 'dumb',
    // 0 columns: a pseudo-terminal nobody sized (docker -t, some CI agents).
    columns: process.stderr.columns || 100,
    color: wantsColor(process.stderr, process.env),
  });
  if (parsed.cloud) tellCloud(parsed.cloud, log);
  const { api, files } = runTransports(config, { userAgent: USER_AGENT, debug: () => undefined, signal });
  const many = newManyReport(config);
  const work = collectMany(config, {
    api,
    files,
    clock: systemClock,
    logger: log,
    redactor,
    uploader: { upload: () => Promise.reject(new Error('the command line uploads no artifact')) },
    digest: digestInWorker(import.meta.url),
    signal,
    progress: log,
  }, many).then(() => undefined, (e: unknown) => e);
  const aborted = new Promise<CancelledError>((resolve) => {
    signal.addEventListener('abort', () => setTimeout(() => resolve(new CancelledError()), CANCEL_GRACE_MS), { once: true });
  });
  let error = await Promise.race([work, aborted]);
  api.close();
  files.close();
  const cancelled = signal.aborted || error instanceof CancelledError;
  if (cancelled) await removePartFiles(many);
  // An input found wrong during the run (the output folder, say) is still a bad input (exit 2), and --json still
  // prints its report, with the message naming the flag.
  const badInput = !cancelled && error instanceof InputError;
  let message = error === undefined ? undefined
    : redactor.redact(cancelled ? 'interrupted; the files complete by then are kept' : error instanceof InputError ? error.format(name) : errorMessage(error));

  if (parsed.summaryFile) {
    const markdown = renderStepSummary({
      many,
      artifactUrl: undefined,
      digestMarkdown: (run) => renderLogsMarkdown(run.report),
      error: message,
      cancelled,
      redact: (t) => redactor.redact(t),
      types: config.logTypes,
    });
    // Only a plain file (or none yet) is this run's to remove when the write fails: not a device, /dev/stdout, or
    // a link (which a root user may well give).
    const plain = await lstat(parsed.summaryFile).then((st) => st.isFile(), () => true);
    try {
      // The owner's only, as the logs are: it quotes them.
      await mkdir(dirname(parsed.summaryFile), { recursive: true, mode: DIR_MODE });
      await writeFile(parsed.summaryFile, redactor.redact(markdown), { mode: FILE_MODE });
    } catch (e) {
      // A summary cut short (a full disk) is no summary: what was written of it goes.
      if (plain) await rm(parsed.summaryFile, { force: true }).catch(() => undefined);
      const why = `could not write the summary to ${parsed.summaryFile}: ${errorMessage(e)}`;
      // The run's own failure comes first; else this is the failure the report (--json's error too) names.
      if (message === undefined) message = redactor.redact(why);
      else stderr(`otc-rds-logs: ${redactor.redact(why)}\n`);
      error ??= e;
    }
  }
  const report = parsed.json
    ? redactor.redact(JSON.stringify(jsonReport(stepOutputs(many, undefined, redactor), many, message))) + '\n'
    : redactor.redact(renderText({
      many,
      color: wantsColor(process.stdout, process.env),
      width: Math.max(60, (process.stdout.columns ?? 120) - 40),
      redact: (t) => redactor.redact(t),
    }));
  // A report cut short (a full disk, a reader gone) is no report: a script must not read half a JSON object as done.
  const written = await writeOut(report);
  if (message !== undefined) stderr(`otc-rds-logs: ${oneLine(message, 4000)}\n`);
  if (written !== undefined) stderr(`otc-rds-logs: could not write the report to stdout: ${errorMessage(written)}\n`);
  return cancelled ? signalExitCode(signal) : badInput ? 2 : error === undefined && written === undefined ? 0 : 1;
}

/**
 * Which files the cloud's settings came from. The current folder is searched first (as openstacksdk does): a
 * clouds.yaml or secure.yaml there, in a repository just cloned, can point auth_url elsewhere and receive the
 * password. That is said as a warning, naming the file.
 */
function tellCloud(cloud: UsedCloud, log: TerminalLog): void {
  const here = cloud.inCurrentFolder;
  log.info(`Cloud '${cloud.name}' from ${[cloud.file, cloud.secureFile].filter((f) => f !== undefined).join(' and ')}`);
  if (here.length > 0) {
    log.warning(`${here.join(' and ')} ${here.length > 1 ? 'are' : 'is'} in the current folder, read before your own config folder: check that ${here.length > 1 ? 'they are' : 'it is'} yours (its auth_url receives the credentials)`);
  }
}

/** Writes `text` to stdout; false (and said on stderr) when it could not be. */
async function out(text: string): Promise<boolean> {
  const e = await writeOut(text);
  if (e !== undefined) stderr(`otc-rds-logs: could not write to stdout: ${errorMessage(e)}\n`);
  return e === undefined;
}

/** Writes `text` to stdout; resolves once it is written, with the error that stopped it if one did. */
function writeOut(text: string): Promise<unknown> {
  return new Promise((resolve) => {
    // The error also comes as an event, after the callback: handled here (left on: the process ends soon after),
    // or Node would end the process with it.
    process.stdout.once('error', (e: unknown) => resolve(e));
    process.stdout.write(text, (e) => resolve(e ?? undefined));
  });
}

/**
 * An interrupted download leaves its `.part-*` file if its request could not be aborted in time: not kept. Only this
 * run's: another run into the same folder goes on with its own, and a user's file named so is theirs.
 */
async function removePartFiles(many: ManyReport): Promise<void> {
  const dirs = new Set([many.outputDir, ...many.runs.map((r) => r.report.outputDir)]);
  for (const dir of dirs) {
    const names = await readdir(dir).catch((): string[] => []);
    await Promise.all(names.filter(isOwnPartFile).map((n) => rm(join(dir, n), { force: true })));
  }
}

try {
  process.exitCode = await main();
} catch (e) {
  stderr(`otc-rds-logs: ${errorMessage(e)}\n`);
  process.exitCode = 1;
}
// A request that cannot be aborted may still hold the event loop after an interruption: the report is out.
if (Number(process.exitCode) > 128) process.exit(process.exitCode);
