// The action's work, free of @actions/*: sign in, check the instance, wait for the links, download every file,
// upload them as one artifact.
import { randomBytes } from 'node:crypto';
import { capital, formatCount, plural } from './plural.ts';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from './clock.ts';
import { instanceLabel, type Config, type InstanceRef } from './config.ts';
import type { ArtifactUploader, Logger, UploadedArtifact } from './ports.ts';
import type { HttpTransport } from '../cloud/http.ts';
import { linkSecrets, redactDeep, type Redactor } from './redact.ts';
import { CancelledError, DiskFullError, InputError, TimeoutError, errorMessage, inputName, requestIdNote } from './errors.ts';
import { formatBytes, formatDuration } from './duration.ts';
import { credentialsRefused, hintFor, LOG_CALL, requestLogDownload, type Authorizer, type ErrorlogAnswer, type ErrorlogItem, type HintFor, type InstanceInfo, type LogType } from '../cloud/rds.ts';
import { signIn } from '../cloud/auth/modes.ts';
import { findProjectId, type IamClient } from '../cloud/auth/iam.ts';
import { activity, describeInstance, findInstance } from '../cloud/instance.ts';
import { pollAllUntilReady, type PollFailure, type PollResult } from './poll.ts';
import { checkOutputDir, downloadFile, LinkExpiredError, resolveLink } from './download.ts';
import { compareNames, NameAllocator } from './names.ts';
import { DIR_MODE } from './writable.ts';
import { ConnectionBudget, mapSettled } from './pool.ts';
import { STATE_CODES, type RetryOptions } from './retry.ts';
import { requestIdToken, type IdTokenEndpoint } from '../cloud/auth/github-id-token.ts';
import type { RateLimit } from './limiter.ts';
import type { Digest, DigestOptions, digestFiles } from '../insight/digest.ts';
import { incompleteRead } from '../insight/incomplete.ts';
import type { SlowDigest, digestSlowFiles } from '../insight/slow.ts';
import type { LiveDigest, StartLiveDigest } from '../insight/arrivals.ts';
import { digestInThread, liveDigestInThread, slowDigestInThread } from './in-thread.ts';

export interface Deps {
  /** For the RDS API. */
  api: HttpTransport;
  /** For the pre-signed links: no credentials ever go through it. */
  files: HttpTransport;
  /** Where the job's GitHub OIDC ID token is asked for (the runner's ACTIONS_ID_TOKEN_REQUEST_*); OIDC mode only. */
  idTokenEndpoint?: IdTokenEndpoint | undefined;
  clock: Clock;
  logger: Logger;
  redactor: Redactor;
  uploader: ArtifactUploader;
  signal?: AbortSignal | undefined;
  random?: () => number;
  /** Reads the files into the digest; default: in this thread (main.ts passes one that uses a worker thread). */
  digest?: typeof digestFiles | undefined;
  /** The same for the slow-query log's digest. */
  slowDigest?: typeof digestSlowFiles | undefined;
  /** Reads the files into the digest while they download; default: in this thread (main.ts: a worker thread). */
  liveDigest?: StartLiveDigest | undefined;
  /** Holds each errorlog-download call until it fits the API's rate limit (core/many.ts shares one between instances). */
  limiter?: RateLimit | undefined;
  /** The folder for the instance's files once it is known (core/many.ts: one per instance); default output-dir. */
  folderFor?: (() => Promise<string>) | undefined;
  /** Told once the instance is found (report.instance set), before anything is downloaded (core/many.ts orders folders by it). */
  identified?: (() => void) | undefined;
  /**
   * Several instances: claims the instance the inputs named, once its id is known; returns how another input
   * named it if one already did (an instance by id and by name is one instance, fetched once).
   */
  claim?: ((id: string, ref: InstanceRef) => InstanceRef | undefined) | undefined;
  /**
   * Several instances: the others sign in only once the first one's credentials were accepted. Refused, they
   * are not sent again (an AK/SK key is locked after five refusals; a password too may be).
   */
  credentialsGate?: { wait(): Promise<void>; settle(failure: unknown): void } | undefined;
  /** Told of each download's progress as it goes (the CLI draws it); default: a log line every 10 s. */
  progress?: Progress | undefined;
}

export interface Progress {
  /** The request for the file goes out. */
  start(file: string): void;
  update(file: string, bytes: number, total: number | undefined): void;
  /** The file is complete, or failed. */
  done(file: string): void;
}

export interface FileResult {
  /** Name in output-dir and in the artifact (`error/…`, `slow/…` when both types are fetched). */
  name: string;
  type: LogType;
  /** As the API gave it. */
  apiName: string;
  path: string;
  size: number;
  seconds: number;
}

export interface MissingFile {
  apiName: string;
  type: LogType;
  reason: string;
}

/** Filled in as the run goes, so a failed or cancelled run can still say what it got. */
export interface Report {
  /** The instance as the check found it; undefined before the check, or when it was refused (403). */
  instance: InstanceInfo | undefined;
  /** FINISH once the logs were ready; undefined before. */
  status: string | undefined;
  /**
   * What RDS last answered (the `status` output): FINISH when every log type was ready, else the status of one that
   * was not (FAILED, CREATING or EXPORTING when 'timeout' came first, '' when one was never answered); undefined
   * when no call was answered.
   */
  lastStatus: string | undefined;
  /** Requests made to RDS for the log links, of every type, retried ones too. */
  polls: number;
  waitedMs: number;
  files: FileResult[];
  missing: MissingFile[];
  artifact: (UploadedArtifact & { name: string }) | undefined;
  outputDir: string;
  /** What the error logs say; undefined when there were no files or they could not be read. */
  digest: Digest | undefined;
  /** Why the digest failed (its thread died, ...): then the counts are unknown, not zero. */
  digestError: string | undefined;
  /** What the slow-query logs say; undefined when none were fetched or they could not be read (then the counts are unknown). */
  slow: SlowDigest | undefined;
}

/** What each log type is called in messages. */
const LABEL: Record<LogType, string> = { error: 'error log', slow: 'slow-query log' };

/** Why an item RDS itself could not prepare is missing: a warning, not a failure of the run. */
const NOT_PREPARED = 'RDS reported status FAILED';
/** The 'Not downloaded' row of the files a FAILED answer may have left out of its list. */
const UNLISTED = '(any file RDS did not list)';

/** RDS answered and listed no file at all: nothing was read, so what the database logged is unknown. */
export function listedNothing(report: Report): boolean {
  return report.status !== undefined && report.files.length === 0 && report.missing.length === 0;
}

/**
 * The error-log counts stand for every error log RDS listed: each was downloaded and read to its end. Else they
 * are unknown (empty, never 0 and never the lower bound that was read): a file that did not arrive may hold the
 * very errors a gate on 'error-count' looks for.
 */
export function countsKnown(report: Report): boolean {
  const d = report.digest;
  return known(report, 'error', d, d && (['ERROR', 'FATAL', 'PANIC'] as const).some((s) => (d.untimedBySeverity[s] ?? 0) > 0));
}

/** Whether the slow-query figures are of all the slow-query logs (as countsKnown for the error counts). */
export function slowKnown(report: Report): boolean {
  return known(report, 'slow', report.slow, (report.slow?.untimed ?? 0) > 0);
}

/**
 * A type's figures are of all its logs: each fetched and read to its end, and with 'since' every counted entry's
 * time read (one whose time could not be, as a zone abbreviation no table can place, may be inside the window or not).
 */
function known(report: Report, type: LogType, d: Digest | SlowDigest | undefined, untimed: boolean | undefined): boolean {
  return d !== undefined && incompleteRead(d) === undefined && !report.missing.some((m) => m.type === type) && !(d.since !== undefined && untimed === true);
}

export function totalBytes(report: Report): number {
  return report.files.reduce((n, f) => n + f.size, 0);
}

export function newReport(outputDir: string): Report {
  return { instance: undefined, status: undefined, lastStatus: undefined, polls: 0, waitedMs: 0, files: [], missing: [], artifact: undefined, outputDir, digest: undefined, digestError: undefined, slow: undefined };
}

/**
 * `inner`, each upload bounded from its start. 'timeout' is for getting and reading the files; the upload gets
 * as long again, and at least four 'request-timeout's (it is a few requests, each of which may wait that long):
 * an artifact service that never answers would hold the step for the artifact client's retries (~16 min).
 */
export function boundedUploader(inner: ArtifactUploader, config: Config, cancel: AbortSignal | undefined): ArtifactUploader {
  const uploadMs = Math.max(config.timeoutMs, 4 * config.requestTimeoutMs);
  return {
    upload: (name, files, rootDir, options) => {
      const bound = new AbortController();
      const timer = setTimeout(() => bound.abort(new TimeoutError(`the artifact upload did not finish within ${formatDuration(uploadMs)} (as long as 'timeout', and at least four 'request-timeout's); the files are kept in ${config.outputDir}`)), uploadMs);
      timer.unref();
      const signal = cancel ? AbortSignal.any([cancel, bound.signal]) : bound.signal;
      return inner.upload(name, files, rootDir, options, signal).finally(() => clearTimeout(timer));
    },
  };
}

/** The most of 'timeout' that failing downloads leave for reading the files that came (see downloadRetry). */
const READ_RESERVE_MS = 30_000;

/** The error a run ends with when RDS would not give one log type while it gave the other (whose files are kept). */
class LostLogsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LostLogsError';
  }
}

/** The error a run ends with when some files could not be fetched (the others are still kept). */
class IncompleteError extends Error {
  constructor(missing: MissingFile[], total: number) {
    const kinds = new Set(missing.map((m) => m.type));
    const what = kinds.size === 1 ? LABEL[missing[0]!.type] : 'log';
    super(`${missing.length} of ${total} ${what} file${total > 1 ? 's' : ''} could not be downloaded: ${missing.map((m) => `${m.apiName} (${m.reason})`).join('; ')}`);
    this.name = 'IncompleteError';
  }
}

export async function collect(config: Config, deps: Deps, report: Report): Promise<Report> {
  const { logger, clock } = deps;
  // Several instances: the others wait for the first one's sign-in before their 'timeout' starts.
  await deps.credentialsGate?.wait();
  const deadline = clock.now() + config.timeoutMs;
  const retry: RetryOptions = {
    clock,
    deadline,
    log: (line) => logger.info(deps.redactor.redact(line)),
    signal: deps.signal,
    ...(deps.random ? { random: deps.random } : {}),
  };
  // The folder is checked before any request: a run that cannot keep what it fetches should not fetch.
  await checkOutputDir(config.outputDir);
  const target = await logger.group('Signing in and checking the instance', () => connect(config, deps, retry, report).then(
    (t) => { deps.credentialsGate?.settle(undefined); return t; },
    (e: unknown) => { deps.credentialsGate?.settle(e); throw e; },
  ));
  // An instance on its way back to ACTIVE (a reboot, a resize, the daily backup): RDS refuses to prepare its logs
  // meanwhile, and the calls are repeated until it stops refusing, within 'timeout'. In another state (STORAGE FULL)
  // it is asked once: a refusal for the state is final.
  const state = activity(report.instance);
  const passing = state === 'passing';
  if (passing) logger.info(`The instance is ${report.instance!.status}, not ACTIVE: while RDS refuses to prepare its logs for that, the call is repeated (within ${inputName('timeout')}, ${formatDuration(config.timeoutMs)})`);
  if (state === 'other') logger.info(`The instance is ${report.instance!.status}, not ACTIVE: RDS may refuse to prepare its logs in that state; they are asked for once`);
  const types = config.logTypes;
  /** Each type's calls, as its poll counted them (retried ones too), once it has its outcome. */
  const callsOf = new Map<LogType, number>();
  // Every call, of either type, waits for the one limiter: both types share the API's rate limit.
  const call = (type: LogType, signal: AbortSignal | undefined) => async (): Promise<ErrorlogAnswer> => {
    // The poll's own signal: a call waiting its turn is dropped when its run has ended (see stopPolling).
    await deps.limiter?.take(signal, retry.deadline);
    // Every request counts, a retried one too: the figure is what RDS was asked, as its rate limit counts.
    report.polls++;
    return requestLogDownload({
      transport: deps.api,
      endpoint: config.endpoint,
      projectId: target.projectId,
      instanceId: target.instanceId,
      authorize: target.authorize,
      hint: target.hint,
      redact: (t) => deps.redactor.redact(t),
    }, type);
  };
  const masked = new Set<string>();
  /** What each log type's call last answered, over the run (a refreshed link's polls too). */
  const statusOf = new Map<LogType, string>();
  /**
   * Waits until RDS has the files of these types ready; their answers in the same order, undefined for a type
   * RDS would not give (refused, FAILED, not ready in time) while another came: its error is in `lost`. Each
   * type's answer is told to `onSettled` as soon as it has one, while the others are still asked for.
   */
  const ask = async (wantedTypes: LogType[], lost: Array<{ type: LogType; error: unknown }>, onSettled?: (type: LogType, answer: ErrorlogAnswer | undefined) => void, signal = retry.signal): Promise<Array<ErrorlogAnswer | undefined>> => {
    const onStatus = (i: number, status: string): void => {
      statusOf.set(wantedTypes[i]!, status);
      // FINISH only when every type is ready; else the first that is not ('' for one never answered).
      report.lastStatus = types.map((t) => statusOf.get(t) ?? '').find((s) => s !== 'FINISH') ?? 'FINISH';
    };
    const answers: Array<ErrorlogAnswer | undefined> = wantedTypes.map(() => undefined);
    let settled = 0;
    const take = (i: number, p: PollResult | PollFailure): void => {
      settled++;
      callsOf.set(wantedTypes[i]!, p.polls);
      if ('error' in p) lost.push({ type: wantedTypes[i]!, error: p.error });
      else {
        report.waitedMs = Math.max(report.waitedMs, waitedBefore + p.waitedMs);
        protectLinks(p.answer.items, deps, masked, config.endpoint);
        answers[i] = p.answer;
      }
      // Prepared once every type asked for has its outcome (the summary's 'RDS prepared the logs' reads it): a run
      // ended while one is still asked for has not had its logs prepared.
      // FAILED when any said so (only some of its files prepared).
      const ready = answers.find((a) => a?.status === 'FAILED') ?? answers.find((a) => a !== undefined);
      if (settled === wantedTypes.length && ready) report.status = ready.status;
      onSettled?.(wantedTypes[i]!, answers[i]);
    };
    const waitedBefore = report.waitedMs;
    await pollAllUntilReady(
      wantedTypes.map((t) => ({ call: call(t, signal), what: LOG_CALL[t], label: LABEL[t] })),
      { ...retry, signal, intervalMs: config.pollIntervalMs, timeoutMs: config.timeoutMs, onStatus, onSettled: take, alsoRetry: passing ? STATE_CODES : undefined },
    );
    return answers;
  };

  // A log type RDS would not give does not cost the other one: its files are still fetched, read and kept, and
  // the run fails at its end, naming what was lost. A type ready first is downloaded (and its logs read) while
  // the other is still asked for: a slow-query log still exporting must not use up the error log's time.
  const lost: Array<{ type: LogType; error: unknown }> = [];
  const plurals = (ts: readonly LogType[]): string => ts.map((t) => `${LABEL[t]}s`).join(' and ');
  const labels = plurals(types);
  const settledTypes = new Map<LogType, ErrorlogAnswer | undefined>();
  let wake = (): void => undefined;
  // The polling goes on while a batch downloads; a run that ends early (a full disk) stops it, or its calls and
  // timers would hold the step until 'timeout'.
  const stopPolling = new AbortController();
  // What the logs said, redacted before anything renders it (see redactDeep).
  const redact = (t: string): string => deps.redactor.redact(t);
  const polling = ask(types, lost, (type, answer) => {
    settledTypes.set(type, answer);
    wake();
  }, deps.signal ? AbortSignal.any([deps.signal, stopPolling.signal]) : stopPolling.signal);
  polling.catch(() => undefined); // awaited below; a failure before then is not unhandled
  /** Until another type has its answer, or the polling ends (with its error, when every type failed). */
  const nextSettled = (): Promise<void> => Promise.race([new Promise<void>((r) => { wake = r; }), polling.then(() => undefined)]);
  const lostError = (): Error | undefined => (lost.length === 0 ? undefined
    : new LostLogsError(lost.map((l) => `the ${LABEL[l.type]}s could not be fetched: ${errorMessage(l.error)}`).join('; ')));

  // The types whose answers are in and handled; the folder, the connections and the live digest they share.
  const handled = new Set<LogType>();
  // Set when the first batch with files to fetch comes (undefined after the loop: nothing was wanted).
  let outputDir: string | undefined;
  // 'parallel-downloads' connections, shared: a free one goes to the file first by name (the digest's order),
  // to fetch another byte range of it if it is large, else to the next file.
  const budget = new ConnectionBudget(config.parallelDownloads);
  // Reading the logs is bounded by the step's 'timeout' too (a gzip log may hold gigabytes of text): what is
  // left at each start is the reading's budget.
  const budgetMs = (): number => Math.max(0, deadline - clock.now());
  // A download that keeps failing stops being retried a tenth of 'timeout' (at most 30 s) before its end: the files
  // that came are then read afresh (a failed file ends the reading as they arrive), and need that time.
  const downloadRetry: RetryOptions = { ...retry, deadline: deadline - Math.min(config.timeoutMs / 10, READ_RESERVE_MS) };
  const digestOptions = (): DigestOptions => ({ since: config.since, recent: config.recentEntries, budgetMs: budgetMs() });
  /**
   * The error logs' digest, started as soon as their batch has downloaded: read while they arrived, or if that was
   * given up, read afresh at once (not after the other type, which may take until 'timeout').
   */
  let errorDigest: Promise<Digest | undefined> | undefined;
  /** Each planned file's own number, over the batches: its part file's name. */
  let planIndex = 0;
  /** Each type's files that were to come: those planned, and those listed without what a download needs. */
  const expectedOf = new Map<LogType, number>();
  const waiting = (pending: LogType[]): string => `Waiting for RDS to prepare the ${plurals(pending)}`;
  let group = waiting(types);
  try {
    while (handled.size < types.length) {
      const batch = types.filter((t) => settledTypes.has(t) && !handled.has(t));
      if (batch.length === 0) {
        await logger.group(group, nextSettled);
        group = waiting(types.filter((t) => !settledTypes.has(t)));
        continue;
      }
      // A type lost is said once another has come: when every type fails, the run fails with the first's error.
      if (settledTypes.size < types.length && ![...settledTypes.values()].some((a) => a !== undefined)) {
        await logger.group(group, nextSettled);
        continue;
      }
      for (const t of batch) handled.add(t);
      for (const type of batch) {
        if (settledTypes.get(type) !== undefined) continue;
        const l = lost.find((x) => x.type === type)!;
        const others = types.filter((t) => t !== type);
        // Fetched already (their batch came first), or still to come.
        const done = others.every((t) => handled.has(t) && !batch.includes(t));
        logger.warning(`the ${LABEL[type]}s could not be had: ${redact(errorMessage(l.error))}; the ${plurals(others)} are ${done ? 'kept' : 'still fetched'}`, { title: `No ${LABEL[type]}s` });
      }
      const answers = batch.map((t) => settledTypes.get(t));
      const listed = answers.reduce((n, x) => n + (x?.items.length ?? 0), 0);
      if (answers.some((a) => a !== undefined)) {
        const what = batch.length < types.length ? ` (${plurals(batch)})` : '';
        const status = answers.some((a) => a?.status === 'FAILED') ? 'FAILED' : 'FINISH';
        const calls = batch.reduce((n, t) => n + (callsOf.get(t) ?? 0), 0);
        logger.info(`${status} after ${formatDuration(report.waitedMs)} and ${plural(calls, 'call')}${what}: ${plural(listed, 'file')} listed`);
      }
      const wanted = wantedFiles(batch, answers);
      if (wanted.length === 0) continue;
      outputDir ??= (await deps.folderFor?.()) ?? config.outputDir;
      report.outputDir = outputDir;
      errorDigest = (await downloadBatch(batch, wanted, outputDir))?.digest ?? errorDigest;
    }
  } catch (e) {
    stopPolling.abort();
    // Cancelled while another type was still asked for: what the error logs already in say is kept for the
    // summary, if they are read by now (a moment at most: a second cancel ends the step within seconds).
    if ((e instanceof CancelledError || deps.signal?.aborted) && errorDigest !== undefined) {
      const d = await Promise.race([errorDigest.catch(() => undefined), new Promise<undefined>((r) => setTimeout(() => r(undefined), CANCELLED_DIGEST_MS).unref())]);
      if (d !== undefined) report.digest = redactDeep(notKept(d, report.files.filter((f) => f.type === 'error')), redact);
    }
    throw e;
  }
  // Every type is in: the polling's end, and its error when every type failed.
  await polling;
  if (outputDir === undefined) {
    // Nothing to download: a type lost, or items listed without what a download needs, still fail the step.
    const error = endError();
    if (error) throw error;
    logger.warning(`RDS returned no ${types.map((t) => LABEL[t]).join(' or ')} files for this instance; nothing to download or upload`, { title: `No ${labels}` });
    return report;
  }
  report.files.sort((a, b) => compareNames(a.name, b.name));

  /**
   * The files of these types' answers to download. `same`: how many items of this type and name the listing had
   * before this one, to find it in a fresh listing when two files share a name.
   */
  function wantedFiles(batch: LogType[], answers: Array<ErrorlogAnswer | undefined>): Array<{ type: LogType; item: ErrorlogItem; same: number }> {
    const wanted: Array<{ type: LogType; item: ErrorlogItem; same: number }> = [];
    batch.forEach((type, t) => {
      const answer = answers[t];
      if (!answer) return;
      const items = answer.items;
      const id = requestIdNote(answer.requestId);
      if (answer.status === 'FAILED') {
        const prepared = items.filter((i) => i.status === 'SUCCESS').length;
        logger.warning(`RDS answered status FAILED for the ${LABEL[type]}s${id}: it could not prepare every file; the ${plural(prepared, 'file')} it lists as prepared ${prepared === 1 ? 'is' : 'are'} downloaded`, { title: `${capital(LABEL[type])}s not all prepared` });
        // What it could not prepare may not be listed at all: the counts cannot be known, and the summary says why.
        if (!items.some((i) => i.status === 'FAILED')) report.missing.push({ apiName: UNLISTED, type, reason: NOT_PREPARED });
      }
      // Said, not acted on: what `count` counts is not documented beyond 'the number of links'.
      if (answer.countDiffers !== undefined) logger.info(`RDS's answer counts ${plural(answer.countDiffers, `${LABEL[type]} file`)} but lists ${plural(items.length, 'file')}${id}; the listed ones are downloaded`);
      const seen = new Map<string, number>();
      for (const item of items) {
        const same = seen.get(item.fileName) ?? 0;
        seen.set(item.fileName, same + 1);
        if (item.defect) {
          logger.warning(`RDS listed the ${LABEL[type]} file '${item.fileName}' ${item.defect}${id}: it cannot be downloaded; the other files are still downloaded`, { title: `${capital(LABEL[type])} file listed without what it needs` });
          report.missing.push({ apiName: item.fileName, type, reason: `RDS listed it ${item.defect}${id}` });
          expectedOf.set(type, (expectedOf.get(type) ?? 0) + 1);
        } else if (item.status === 'FAILED') {
          logger.warning(`RDS could not prepare the ${LABEL[type]} file '${item.fileName}' (item status FAILED); the other files are still downloaded`, { title: `${capital(LABEL[type])} file not prepared` });
          report.missing.push({ apiName: item.fileName, type, reason: NOT_PREPARED });
        } else {
          wanted.push({ type, item, same });
        }
      }
      if (types.length > 1 && !items.some((i) => i.status !== 'FAILED')) {
        logger.warning(`RDS returned no ${LABEL[type]} files for this instance`, { title: `No ${LABEL[type]}s` });
      }
    });
    return wanted;
  }

  /**
   * Downloads one batch's files (their link refreshed once if it expired); the digest of its error logs, if it
   * has any.
   */
  async function downloadBatch(batch: LogType[], wanted: Array<{ type: LogType; item: ErrorlogItem; same: number }>, outputDir: string): Promise<{ digest: Promise<Digest | undefined> } | undefined> {
    // One type: the files at the top of output-dir, as always. Both: error/ and slow/ inside it.
    const folder = (type: LogType): string => (types.length > 1 ? type : '');
    // Each type's names, allocated for its whole listing at once, are handed out in the listing's order; its
    // allocator gives another where a name is taken meanwhile (another run into the same folder).
    const allocated = new Map<LogType, Iterator<string>>();
    const allocators = new Map<LogType, NameAllocator>();
    for (const type of batch) {
      const dir = join(outputDir, folder(type));
      // Folders it makes are its owner's only, as the logs are (see FILE_MODE); an existing one is left as it is.
      await mkdir(dir, { recursive: true, mode: DIR_MODE });
      const names = new NameAllocator(await readdir(dir));
      allocators.set(type, names);
      allocated.set(type, names.allocateAll(wanted.filter((w) => w.type === type).map((w) => w.item.fileName)).values());
    }
    const inFolder = (type: LogType, base: string): string => (folder(type) ? `${folder(type)}/${base}` : base);
    const otherName = (type: LogType, apiName: string): string => inFolder(type, allocators.get(type)!.allocate(apiName));
    const planned = wanted.map(({ type, item, same }, i) => ({ item, type, same, index: planIndex + i, name: inFolder(type, allocated.get(type)!.next().value!) }));
    planIndex += planned.length;
    for (const p of planned) expectedOf.set(p.type, (expectedOf.get(p.type) ?? 0) + 1);
    const byName = [...planned].sort((a, b) => compareNames(a.name, b.name));
    const order = new Map(byName.map((p, i) => [p.index, i]));
    // The digest reads each error log as it arrives, in that order; it is given up (and the files read after the
    // downloads, as before) if any download fails or starts over.
    const liveFiles = byName.filter((p) => p.type === 'error');
    const liveAt = new Map(liveFiles.map((p, i) => [p.index, i]));
    const live = liveFiles.length === 0 ? undefined
      : (deps.liveDigest ?? liveDigestInThread)(liveFiles.map((p) => ({ name: p.name, path: join(outputDir, p.name), partPath: partPathFor(outputDir, p.index) })), digestOptions());
    // Its failure (a thread that cannot start) may come before anyone awaits it: handled below, never unhandled.
    live?.result.catch(() => undefined);

    // Whatever ends the downloads early (cancellation) must end the live digest too: it waits for bytes otherwise.
    const giveUp = (): void => live?.note({ abandon: true });
    deps.signal?.addEventListener('abort', giveUp, { once: true });
    const before = report.files.length;
    await logger.group(`Downloading ${planned.length} file${planned.length > 1 ? 's' : ''} to ${outputDir}`, async () => {
      let pending = planned;
      let refreshed = false;
      for (;;) {
        const results = await mapSettled(pending, config.parallelDownloads, (p) => fetchOne(p.item, p.type, p.index, p.name, outputDir, config, deps, downloadRetry, budget, order.get(p.index) ?? 0, tellLive(live, liveAt.get(p.index)), () => otherName(p.type, p.item.fileName)));
        const expired: typeof pending = [];
        results.forEach((r, i) => {
          const p = pending[i]!;
          if (r.status === 'fulfilled') {
            report.files.push(r.value);
            logger.info(`✓ ${r.value.name}: ${formatBytes(r.value.size)} in ${formatDuration(r.value.seconds * 1000)} (${formatBytes(Math.round(r.value.size / Math.max(r.value.seconds, 0.001)))}/s)`);
          } else if (r.reason instanceof CancelledError || deps.signal?.aborted) {
            report.missing.push({ apiName: p.item.fileName, type: p.type, reason: 'cancelled' });
          } else if (r.reason instanceof LinkExpiredError && !refreshed) {
            expired.push(p);
          } else {
            const reason = deps.redactor.redact(errorMessage(r.reason));
            // A line, not an annotation: the step's one error (IncompleteError) names every missing file.
            logger.info(`✗ ${p.item.fileName}: ${reason}`);
            report.missing.push({ apiName: p.item.fileName, type: p.type, reason });
          }
        });
        if (deps.signal?.aborted) throw new CancelledError();
        // A full disk ends the run at once, named: every other file would fail the same way.
        const full = results.find((r) => r.status === 'rejected' && r.reason instanceof DiskFullError);
        if (full) throw (full as PromiseRejectedResult).reason;
        if (expired.length === 0) break;
        // Links are valid for minutes only; a slow run may outlive them. Ask once for fresh ones.
        refreshed = true;
        logger.info(`${expired.length} download link${expired.length > 1 ? 's' : ''} expired; asking RDS for fresh links`);
        const again = batch.filter((t) => expired.some((p) => p.type === t));
        const refusal: Array<{ type: LogType; error: unknown }> = [];
        // Asked for alone, a type RDS refuses is thrown rather than returned: either way its files are missing.
        const fresh = await ask(again, refusal).catch((e: unknown) => {
          if (e instanceof CancelledError || deps.signal?.aborted) throw e;
          for (const type of again) refusal.push({ type, error: e });
          return again.map(() => undefined);
        });
        // An export named by its time (as the spec's example is) may come back under a new name: when the fresh
        // answer lists none of the earlier names and as many new ones, each file is matched to the one in its place.
        // Not when only some names changed: a log that rotated meanwhile (08 gone, 10 new) is another file.
        const renamed = new Map<ErrorlogItem, ErrorlogItem>();
        for (const type of again) {
          const current = fresh[again.indexOf(type)]?.items ?? [];
          const earlier = settledTypes.get(type)?.items ?? [];
          const [currentNames, earlierNames] = [current, earlier].map((l) => new Set(l.map((it) => it.fileName)));
          const gone = earlier.filter((it) => !currentNames!.has(it.fileName));
          const arrived = current.filter((it) => !earlierNames!.has(it.fileName));
          if (gone.length === earlier.length && arrived.length === earlier.length) gone.forEach((it, i) => renamed.set(it, arrived[i]!));
        }
        pending = expired.flatMap((p) => {
          const answer = fresh[again.indexOf(p.type)];
          const item = answer?.items.filter((it) => it.fileName === p.item.fileName)[p.same];
          if (downloadable(item)) return [{ ...p, item }];
          const successor = renamed.get(p.item);
          if (downloadable(successor)) {
            // Another object: it is fetched from its first byte (a failed download leaves no part file to resume).
            const name = otherName(p.type, successor.fileName);
            logger.info(`${p.item.fileName} is no longer listed; the fresh answer lists ${successor.fileName} in its place (a new export?): downloading that as ${name}`);
            return [{ ...p, item: successor, name }];
          }
          const why = item?.defect ? `its link expired and the fresh answer lists it ${item.defect}`
            : answer ? 'its link expired and the fresh answer no longer lists it'
            : `its link expired and RDS gave no fresh one (${errorMessage(refusal.find((r) => r.type === p.type)?.error)})`;
          report.missing.push({ apiName: p.item.fileName, type: p.type, reason: deps.redactor.redact(why) });
          return [];
        });
      }
    }).catch((e: unknown) => {
      giveUp();
      throw e;
    }).finally(() => deps.signal?.removeEventListener('abort', giveUp));
    const kept = report.files.slice(before).filter((f) => f.type === 'error');
    if (kept.length !== liveFiles.length) giveUp();
    if (live === undefined) return undefined;
    // Oldest first, so "recent" means the newest entries: PostgreSQL names its files by start time.
    kept.sort((a, b) => compareNames(a.name, b.name));
    // Given up, or failed (its code or thread): the files are read afresh, the other way.
    const digest = live.result.catch(() => undefined).then((d) => (d ?? (kept.length > 0 ? (deps.digest ?? digestInThread)(kept, digestOptions()) : undefined)));
    digest.catch(() => undefined); // awaited with the upload; a failure before then is not unhandled
    return { digest };
  }

  // The digest and the upload both read the files, one for the summary, one for the artifact: they run at the
  // same time (the digest in its own thread when main.ts provides one), so the digest adds no wall time.
  // Oldest first, so "recent" means the newest entries: PostgreSQL names its files by start time.
  const errorFiles = report.files.filter((f) => f.type === 'error');
  const slowFiles = report.files.filter((f) => f.type === 'slow');
  const settled = <T>(p: Promise<T>, keep: (d: T) => void): Promise<unknown> => p.then((d) => { keep(d); return undefined; }, (e: unknown) => e);
  // The error logs were read while they arrived, or right after their batch (downloadBatch): a batch that kept
  // error files always started their digest.
  const digesting = errorFiles.length > 0
    ? settled(errorDigest!.then((d) => d!), (d) => { report.digest = redactDeep(notKept(d, errorFiles), redact); })
    : (errorDigest ?? Promise.resolve()).then(() => undefined, () => undefined);
  const slowDigesting = slowFiles.length > 0
    ? settled((deps.slowDigest ?? slowDigestInThread)(slowFiles, { since: config.since, budgetMs: budgetMs() }), (d) => { report.slow = redactDeep(d, redact); })
    : Promise.resolve(undefined);
  try {
    if (config.upload && report.files.length > 0) {
      await logger.group(`Uploading artifact ${config.artifactName}`, async () => {
        const uploaded = await deps.uploader.upload(
          config.artifactName,
          report.files.map((f) => f.path),
          config.outputDir,
          { retentionDays: config.retentionDays, compressionLevel: config.compressionLevel, overwrite: config.overwrite },
        );
        report.artifact = { ...uploaded, name: config.artifactName };
        logger.info(`artifact ${config.artifactName} (id ${uploaded.id}, ${formatBytes(uploaded.size)} zipped)`);
      });
    }
  } finally {
    const [failure, slowFailure] = await Promise.all([digesting, slowDigesting]);
    if (report.files.length > 0) {
      await logger.group('What the logs say', async () => {
        const d = report.digest;
        if (errorFiles.length > 0 && (failure !== undefined || !d)) {
          // The files are what matters; a digest that fails must not cost the user the artifact. What the logs
          // hold is then unknown: the outputs and the summary must not read as "no errors".
          report.digestError = deps.redactor.redact(errorMessage(failure ?? 'no digest'));
          logger.warning(`could not read the logs for the summary (${report.digestError}); the error counts are unknown`, { title: 'Logs not digested' });
        } else if (d) {
          const partial = incompleteRead(d);
          if (partial !== undefined) logger.warning(`${partial}; the error counts are unknown (what was read is shown)`, { title: 'Logs not fully read' });
          logger.info(`${plural(d.entries, 'entry', 'entries')}: ${formatCount(d.bySeverity.ERROR ?? 0)} ERROR, ${formatCount(d.bySeverity.FATAL ?? 0)} FATAL, ${formatCount(d.bySeverity.PANIC ?? 0)} PANIC; ${plural(d.messages.length, 'distinct error message')}`);
          if (d.untimed > 0) logger.info(`${d.untimed} entries have no readable time${config.since ? ' and are left out of the window' : ''}`);
          if (d.unparsedLines > 0) logger.info(`${d.unparsedLines} lines could not be placed in an entry; they are counted, and kept in the files`);
        }
        const slow = report.slow;
        if (slowFiles.length > 0 && (slowFailure !== undefined || !slow)) {
          logger.warning(`could not read the slow-query logs for the summary (${deps.redactor.redact(errorMessage(slowFailure ?? 'no digest'))}); the slow-query counts are unknown`, { title: 'Slow-query logs not digested' });
        } else if (slow) {
          const partial = incompleteRead(slow);
          if (partial !== undefined) logger.warning(`${partial}; the slow-query counts are unknown`, { title: 'Slow-query logs not fully read' });
          logger.info(`${slow.count} statement durations, ${slow.statements.length} distinct statements; the slowest took ${slow.slowest ? `${slow.slowest.duration} ms` : '—'}`);
        }
      });
    }
  }

  const error = endError();
  if (error) throw error;
  return report;

  /** What the run ends with when a type was lost or files are missing (not those RDS could not prepare). */
  function endError(): Error | undefined {
    const failed = report.missing.filter((m) => m.reason !== NOT_PREPARED);
    // Of how many: the files of the types that lost some ('1 of 7 error log files', not of the 8 of both types).
    const total = [...new Set(failed.map((m) => m.type))].reduce((n, t) => n + (expectedOf.get(t) ?? 0), 0);
    const incomplete = failed.length > 0 ? new IncompleteError(failed, total) : undefined;
    const gone = lostError();
    return gone && incomplete ? new LostLogsError(`${gone.message}; ${incomplete.message}`) : gone ?? incomplete;
  }
}

/** An item a download can be made of: listed with its link, prepared, nothing amiss in how it was listed. */
function downloadable(item: ErrorlogItem | undefined): item is ErrorlogItem & { fileLink: string } {
  return item?.fileLink !== undefined && item.status !== 'FAILED' && item.defect === undefined;
}

interface Target {
  projectId: string;
  instanceId: string;
  authorize: Authorizer;
  hint: HintFor;
}

/** Credentials, project id and instance id, each from the inputs or found out; the instance checked. */
async function connect(config: Config, deps: Deps, retry: RetryOptions, report: Report): Promise<Target> {
  const { logger, clock } = deps;
  const protect = (secret: string): void => protectSecret(deps, secret);
  if (deps.idTokenEndpoint) protect(deps.idTokenEndpoint.token);
  const iam: IamClient | undefined = config.iamEndpoint && { transport: deps.api, endpoint: config.iamEndpoint, retry, protect, now: () => clock.now(), redact: (t) => deps.redactor.redact(t) };
  // Before the first request: a wrong guess ends in a DNS error that names no input.
  if (config.endpointGuessed) logger.info(`The APIs of region ${config.region} are taken to be at ${config.endpoint.host}${iam ? ` and ${iam.endpoint.host}` : ''}, which the public docs do not confirm; if they cannot be reached, set ${inputName('endpoint')}${iam ? ` and ${inputName('iam-endpoint')}` : ''}`);
  const creds = await signIn(config.auth, {
    iam,
    projectId: config.projectId,
    projectName: config.projectName,
    getIdToken: deps.idTokenEndpoint && ((audience) => requestIdToken(
      { transport: deps.api, endpoint: deps.idTokenEndpoint!, retry, now: () => clock.now(), redact: (t) => deps.redactor.redact(t) },
      audience,
    )),
    protect,
    now: () => clock.now(),
  });
  logger.info(creds.checked ? `Signed in with ${creds.label}` : `Using ${creds.label}; RDS checks it with the first request`);

  let projectId = config.projectId ?? creds.projectId;
  if (projectId !== undefined) {
    logger.info(`Project ${projectId}${config.projectId ? '' : ', from the token'}`);
  } else {
    // inputs.ts refuses a missing 'project-id' without an IAM endpoint; this is the type system's assurance.
    if (!iam) throw new InputError('iam-endpoint', (n) => `is required to look up the project id when ${n('project-id')} is not set`);
    projectId = await findProjectId(iam, config.projectName, creds.authorizer(undefined), { userToken: config.auth.kind !== 'aksk' });
    logger.info(`Project ${projectId}, found by its name '${config.projectName}'`);
  }

  const authorize = creds.authorizer(projectId);
  const hint: HintFor = (status, code) => (credentialsRefused(status, code) ? creds.refused : hintFor(status, code));
  const rds = { transport: deps.api, endpoint: config.endpoint, projectId, authorize, hint, region: config.region, retry, logger, now: () => clock.now(), redact: (t: string) => deps.redactor.redact(t) };
  const instance = await findInstance(config.instance, rds);
  const other = deps.claim?.(instance.id, config.instance);
  if (other) {
    const inputs = [...new Set([other, config.instance].map((r) => (r.by === 'id' ? 'instance-id' : 'instance-name')))];
    throw new InputError(inputs, `'${instanceLabel(other)}' and '${instanceLabel(config.instance)}' are one instance (id ${instance.id}): it is fetched once, for '${instanceLabel(other)}'`);
  }
  report.instance = instance.info;
  deps.identified?.();
  if (instance.info) logger.info(`Instance ${describeInstance(instance.info)}`);
  return { projectId, instanceId: instance.id, authorize, hint };
}

/** A secret the run has learnt: masked in the log and redacted from every message, before anything prints it. */
function protectSecret(deps: Deps, secret: string): void {
  deps.logger.mask(secret);
  deps.redactor.add(secret);
}

/**
 * A link's signature (and any security token in it) is masked for the runner, decoded (the runner masks its
 * URL-escaped and base64 forms itself), once per distinct value: 10 000 links give 10 000 masks, and the same
 * token in every link gives one. Only links that will be fetched, and only values that look like a signature
 * (16 or more visible ASCII characters): the API must not choose words (ERROR, or 'e') that the runner then hides
 * in every later line of the job. They are not added to the run's redactor, which the API could then load with
 * thousands of look-alike values that make every redaction slow; a link's values can only come back in what its
 * own download host answers, which download.ts redacts against that link.
 */
function protectLinks(items: ErrorlogItem[], deps: Deps, masked: Set<string>, endpoint: URL): void {
  for (const item of items) {
    if (item.status === 'FAILED' || !fetchable(item.fileLink ?? '', endpoint)) continue;
    for (const { value } of linkSecrets(item.fileLink ?? '')) {
      if (!looksSigned(value) || masked.has(value)) continue;
      masked.add(value);
      deps.logger.mask(value);
    }
  }
}

/** A link the downloads would fetch (resolveLink refuses the others before any request). */
function fetchable(link: string, endpoint: URL): boolean {
  try {
    resolveLink(link, endpoint);
    return true;
  } catch {
    return false;
  }
}

/**
 * A value that may be a signature, a security token or a credential: 16 or more characters of what they are
 * written with (base64, hex, percent-encoding, '/'), at least two of lower case, upper case and digits. Words
 * and names ('idle_in_transaction_session_timeout') are not masked however a link carries them.
 */
function looksSigned(value: string): boolean {
  if (!/^[A-Za-z0-9+/=%_.~-]{16,}$/.test(value)) return false;
  return [/[a-z]/, /[A-Z]/, /[0-9]/].filter((r) => r.test(value)).length >= 2;
}

/**
 * Part files' names carry the process and this: the process id is the same run after run where it is 1 (a CLI in
 * a container), and a part file left by a killed run must not make the next one fail on its name.
 */
const RUN_TAG = randomBytes(3).toString('hex');

/**
 * The digest's files that are not among those downloaded: read while they arrived, until the step's timeout ended
 * both the reading and their downloads at once (a download failing earlier gives the live digest up, and the files
 * kept are read afresh).
 */
function notKept(d: Digest, kept: readonly FileResult[]): Digest {
  const names = new Set(kept.map((f) => f.name));
  for (const f of d.files) if (!names.has(f.name)) f.notKept = true;
  return d;
}

/** How long a cancelled run waits for the digest of error logs it has (the command line's grace is a second). */
const CANCELLED_DIGEST_MS = 500;

/** What ends the name of each of this process's part files (see RUN_TAG). */
const OWN_PART_END = `-${process.pid}-${RUN_TAG}`;

/** Where a file downloads to until it is complete (the same path for the download and the live digest). */
export function partPathFor(outputDir: string, index: number): string {
  return join(outputDir, `.part-${index}${OWN_PART_END}`);
}

/** Is this a part file of this process's (partPathFor)? Another run's, or a user's `.part-notes`, is not its to remove. */
export function isOwnPartFile(name: string): boolean {
  return /^\.part-\d+-/.test(name) && name.endsWith(OWN_PART_END);
}

/** What one download tells the live digest of its file; undefined when the digest does not read that file live. */
type FileNote = (m: { bytes: number } | { size: number } | { abandon: true }) => void;

function tellLive(live: LiveDigest | undefined, at: number | undefined): FileNote | undefined {
  return live === undefined || at === undefined ? undefined : (m) => live.note('abandon' in m ? m : { i: at, ...m });
}

async function fetchOne(item: ErrorlogItem, type: LogType, index: number, name: string, outputDir: string, config: Config, deps: Deps, retry: RetryOptions, budget: ConnectionBudget, order: number, note: FileNote | undefined,
  otherName: () => string): Promise<FileResult> {
  const url = resolveLink(item.fileLink ?? '', config.endpoint);
  const path = join(outputDir, name);
  const started = deps.clock.now();
  let lastReport = started;
  deps.progress?.start(name);
  let result: Awaited<ReturnType<typeof downloadFile>>;
  // The name the file has in the end: another when its own was taken meanwhile (otherPath).
  let finalName = name;
  try {
    result = await downloadFile(item.fileName, url, partPathFor(outputDir, index), path, {
      transport: deps.files,
      otherPath: () => join(outputDir, (finalName = otherName())),
      retry,
      budget,
      order,
      onContiguous: note && ((bytes) => note({ bytes })),
      stallMs: config.requestTimeoutMs,
      listedSize: item.fileSize !== undefined && item.fileSize > 0 ? item.fileSize : undefined,
      signal: deps.signal,
      onProgress: (bytes, total) => {
        if (deps.progress) return deps.progress.update(name, bytes, total);
        const now = deps.clock.now();
        if (now - lastReport < 10_000) return;
        lastReport = now;
        deps.logger.info(`… ${name}: ${formatBytes(bytes)}${total ? ` of ${formatBytes(total)} (${Math.floor((bytes / total) * 100)}%)` : ''}`);
      },
    }).finally(() => deps.progress?.done(name));
  } catch (e) {
    note?.({ abandon: true });
    throw e;
  }
  if (finalName !== name) {
    // Its name was taken meanwhile: it is under another, which the live digest does not know (it reads them afresh).
    note?.({ abandon: true });
    deps.logger.info(`${name} was taken meanwhile (another run into the same folder?); the file is ${finalName}`);
  } else note?.({ size: result.bytes });
  return { name: finalName, type, apiName: item.fileName, path: result.path, size: result.bytes, seconds: (deps.clock.now() - started) / 1000 };
}
