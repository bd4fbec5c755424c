// Several instances in one step: each is fetched by run.ts with its own Report, all at once; one rate limit
// for their errorlog-download calls, one folder each, and one artifact with every instance's folder.
import { join } from 'node:path';
import { instanceLabel, type Config, type InstanceRef } from './config.ts';
import { ApiError, PreconditionError, errorMessage } from './errors.ts';
import { credentialsRefused } from '../cloud/rds.ts';
import { errorlogLimit } from './limiter.ts';
import { wait } from './clock.ts';
import { NameAllocator } from './names.ts';
import { boundedUploader, collect, newReport, type Deps, type Report } from './run.ts';
import type { ArtifactUploader, Logger, UploadedArtifact, UploadOptions } from './ports.ts';

/** One instance's part of the step. */
export interface InstanceRun {
  ref: InstanceRef;
  report: Report;
  /** Why this instance failed; undefined while running and when it succeeded. */
  error: unknown;
  settled: boolean;
}

/** Filled in as the step goes, like Report: a cancelled step still says what each instance got. */
export interface ManyReport {
  runs: InstanceRun[];
  /** The step's artifact (every instance's folder); undefined when none was uploaded. */
  artifact: (UploadedArtifact & { name: string }) | undefined;
  outputDir: string;
}

export function newManyReport(config: Config): ManyReport {
  return {
    runs: config.instances.map((ref) => ({ ref, report: newReport(config.outputDir), error: undefined, settled: false })),
    artifact: undefined,
    outputDir: config.outputDir,
  };
}

/**
 * What names the instance to people: its name once the check found it, else as the inputs named it; with its id
 * after the name when another of `among` has that name too.
 */
export function runLabel(run: InstanceRun, among: readonly InstanceRun[] = []): string {
  const name = (r: InstanceRun): string => r.report.instance?.name ?? instanceLabel(r.ref);
  // Two instances may share a name (RDS allows it): then the id tells them apart.
  const id = run.report.instance?.id;
  return id !== undefined && among.some((o) => o !== run && name(o) === name(run)) ? `${name(run)} (${id})` : name(run);
}

/** The step's error when some instances failed: each one named with its cause. */
class InstancesFailedError extends Error {
  constructor(failed: InstanceRun[], all: readonly InstanceRun[]) {
    super(`${failed.length} of ${all.length} instances failed: ${failed.map((r) => `${runLabel(r, all)}: ${errorMessage(r.error)}`).join('; ')}`);
    this.name = 'InstancesFailedError';
  }
}

/**
 * Fetches every instance. One instance is exactly run.ts's collect (its files straight in output-dir); with
 * several, a failure of one keeps the others going, and the step fails after the upload, naming each failure.
 */
export async function collectMany(config: Config, deps: Deps, many: ManyReport): Promise<ManyReport> {
  const limiter = deps.limiter ?? errorlogLimit(deps.clock);
  // The upload is bounded once, from when it starts: with several instances, when the shared one does.
  const uploader = boundedUploader(deps.uploader, config, deps.signal);
  if (many.runs.length === 1) {
    const run = many.runs[0]!;
    try {
      await collect({ ...config, instance: run.ref }, { ...deps, limiter, uploader }, run.report);
    } catch (e) {
      run.error = e;
      throw e;
    } finally {
      run.settled = true;
      many.artifact = run.report.artifact;
    }
    return many;
  }

  // One upload for all, bounded from when it starts (when the last instance gets there), not from each asking.
  const upload = new SharedUpload(uploader, many.runs.length, config.outputDir);
  // Each instance's folder, in the order the inputs named them whichever is ready first: two instances of one name
  // are `shop-db` and `shop-db-2` in that order. Told when each is found, or has ended without.
  const found = many.runs.map(() => Promise.withResolvers<void>());
  const identified = new Set<number>();
  const handed: string[] = [];
  const folderOf = async (i: number): Promise<string> => {
    // For one 'request-timeout' at most: an earlier instance slow to be found must not hold this one's files (its
    // links are ready and its 'timeout' runs). One still unknown then takes a free name when it comes.
    const earlier = Promise.all(found.slice(0, i).map((f) => f.promise));
    const bound = new AbortController();
    await Promise.race([earlier, wait(deps.clock, config.requestTimeoutMs, bound.signal).catch(() => undefined)]);
    bound.abort();
    // The same names in the same order each time, so each instance's folder is the one the others count on.
    const folders = new NameAllocator([]);
    let folder = '';
    for (let j = 0; j <= i; j++) if (identified.has(j)) folder = folders.allocate(runLabel(many.runs[j]!));
    // Unless a later instance, not kept waiting so, holds it already.
    if (handed.some((h) => h.toLowerCase() === folder.toLowerCase())) folder = new NameAllocator(handed).allocate(runLabel(many.runs[i]!));
    handed.push(folder);
    return folder;
  };
  // An instance given by id and by name is one instance: the id's run has it (ids are known before any lookup).
  const claimed = new Map<string, InstanceRef>(many.runs.flatMap((r): Array<[string, InstanceRef]> => (r.ref.by === 'id' ? [[r.ref.id, r.ref]] : [])));
  // The first instance signs in alone; the others once its credentials were accepted (see Deps.credentialsGate).
  const accepted = Promise.withResolvers<void>();
  accepted.promise.catch(() => undefined);
  const gate = (i: number): NonNullable<Deps['credentialsGate']> => (i === 0
    ? {
      wait: () => Promise.resolve(),
      settle: (e) => (e instanceof ApiError && credentialsRefused(e.status, e.errorCode)
        ? accepted.reject(new PreconditionError(`not tried: the same credentials were refused for ${instanceLabel(many.runs[0]!.ref)} (each refusal counts towards locking an AK/SK key)`))
        : accepted.resolve()),
    }
    : { wait: () => accepted.promise, settle: () => undefined });
  const claim = (id: string, ref: InstanceRef): InstanceRef | undefined => {
    const other = claimed.get(id);
    if (other !== undefined && other !== ref) return other;
    claimed.set(id, ref);
    return undefined;
  };
  await Promise.all(many.runs.map(async (run, i) => {
    const prefix = `[${instanceLabel(run.ref)}]`;
    try {
      await collect({ ...config, instance: run.ref }, {
        ...deps,
        limiter,
        claim,
        credentialsGate: gate(i),
        logger: prefixed(deps.logger, prefix),
        uploader: upload.for(i),
        folderFor: async () => join(config.outputDir, await folderOf(i)),
        identified: () => {
          identified.add(i);
          found[i]!.resolve();
        },
        progress: deps.progress && {
          start: (file) => deps.progress!.start(`${prefix} ${file}`),
          update: (file, bytes, total) => deps.progress!.update(`${prefix} ${file}`, bytes, total),
          done: (file) => deps.progress!.done(`${prefix} ${file}`),
        },
      }, run.report);
    } catch (e) {
      run.error = e;
    } finally {
      run.settled = true;
      found[i]!.resolve();
      upload.arrive(i);
      // However the first run ended (before signing in, too: its folder refused), the others are not held.
      if (i === 0) accepted.resolve();
    }
  }));
  many.artifact = many.runs.find((r) => r.report.artifact)?.report.artifact;
  const failed = many.runs.filter((r) => r.error !== undefined);
  if (failed.length > 0) throw new InstancesFailedError(failed, many.runs);
  return many;
}

/**
 * One artifact for all instances: each instance's upload call waits until every instance has either asked to
 * upload or ended, then all files go up at once, with output-dir as the root (so the folders stay).
 */
class SharedUpload {
  readonly #files: string[] = [];
  readonly #arrived = new Set<number>();
  #request: { name: string; options: UploadOptions } | undefined;
  #result: Promise<UploadedArtifact> | undefined;
  readonly #ready = Promise.withResolvers<void>();

  readonly #inner: ArtifactUploader;
  readonly #count: number;
  readonly #rootDir: string;

  constructor(inner: ArtifactUploader, count: number, rootDir: string) {
    this.#inner = inner;
    this.#count = count;
    this.#rootDir = rootDir;
  }

  /** Instance `i`'s uploader. */
  for(i: number): ArtifactUploader {
    return {
      upload: (name, files, _rootDir, options) => {
        this.#files.push(...files);
        this.#request = { name, options };
        this.arrive(i);
        return this.#ready.promise.then(() => {
          const { name: n, options: o } = this.#request!;
          this.#result ??= this.#inner.upload(n, [...this.#files].sort(), this.#rootDir, o);
          return this.#result;
        });
      },
    };
  }

  /** Instance `i` is done with its part: it asked to upload, or it ended (no files, or failed before). */
  arrive(i: number): void {
    this.#arrived.add(i);
    if (this.#arrived.size === this.#count) this.#ready.resolve();
  }
}

/** Lines of one instance among several: prefixed, and groups as plain lines (groups of concurrent runs cannot nest). */
function prefixed(logger: Logger, prefix: string): Logger {
  return {
    info: (m) => logger.info(`${prefix} ${m}`),
    warning: (m, p) => logger.warning(`${prefix} ${m}`, p),
    error: (m, p) => logger.error(`${prefix} ${m}`, p),
    debug: (m) => logger.debug(`${prefix} ${m}`),
    mask: (s) => logger.mask(s),
    group: async (name, fn) => {
      logger.info(`${prefix} ${name}`);
      return fn();
    },
  };
}
