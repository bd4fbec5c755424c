// Heavy, allocation-hungry work (reading gigabytes of logs, zipping and uploading them) runs in worker threads
// with a small young generation. The runner starts `node dist/index.js` with no flags, so this is the one way
// to keep V8 from growing its heap (and the runner's RSS) by tens of MiB while garbage flows through.
import { MessageChannel, Worker, type ResourceLimits, type Transferable } from 'node:worker_threads';
import type { Digest, DigestOptions } from '../insight/digest.ts';
import type { DigestJob, LiveDigestJob } from '../insight/digest-worker.ts';
import type { SlowDigest, SlowOptions } from '../insight/slow.ts';
import type { ArrivalNote, StartLiveDigest } from '../insight/arrivals.ts';

export type WorkerReply<T> = { ok: true; value: T } | { ok: false; name: string; message: string };

/** Where each worker's source lives, relative to src/ (the bundle puts `<name>-worker.js` beside index.js). */
const WORKER_SOURCES = { digest: '../insight/digest-worker.ts', upload: '../action/upload-worker.ts' } as const;

/**
 * The worker's file: the bundled one beside dist/index.js, or the TypeScript source when run from src/. The
 * path decides, not the whole URL: loaders such as @github/local-action's (quibble) add a query to it.
 */
export function workerUrl(base: string, name: keyof typeof WORKER_SOURCES): URL {
  return new URL(base).pathname.endsWith('.ts') ? new URL(WORKER_SOURCES[name], import.meta.url) : new URL(`./${name}-worker.js`, base);
}

/** Runs a worker to its answer; `signal` stops it (the thread is terminated) and rejects with the signal's reason. */
export function runWorker<T>(url: URL, data: unknown, limits: ResourceLimits, transferList?: Transferable[], signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // The worker's output is piped here and the answer given only once it has all arrived: lines the worker
    // printed (the artifact client's) must not land after the log group that holds them has closed.
    const worker = new Worker(url, { workerData: data, resourceLimits: limits, stdout: true, stderr: true, ...(transferList ? { transferList } : {}) });
    worker.stdout.pipe(process.stdout, { end: false });
    worker.stderr.pipe(process.stderr, { end: false });
    const drained = Promise.all([worker.stdout, worker.stderr].map((s) => new Promise((r) => s.once('end', r).once('error', r))));
    let reply: WorkerReply<T> | undefined;
    let failure: Error | undefined;
    worker.once('message', (m: WorkerReply<T>) => { reply = m; });
    worker.once('error', (e) => { failure = e; });
    const stop = (): void => {
      reject(signal?.reason);
      void worker.terminate();
    };
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', stop, { once: true });
    worker.once('exit', (code) => {
      signal?.removeEventListener('abort', stop);
      void drained.then(() => {
        if (reply?.ok) resolve(reply.value);
        else if (reply) reject(Object.assign(new Error(reply.message), { name: reply.name }));
        else reject(failure ?? new Error(`the worker thread stopped (exit code ${code}) before it answered`));
      });
    });
  });
}

/** For a worker's entry: run fn on the worker data and post its result or error back. */
export async function serve<I, O>(fn: (input: I) => Promise<O>): Promise<void> {
  const { parentPort, workerData } = await import('node:worker_threads');
  let reply: WorkerReply<O>;
  try {
    reply = { ok: true, value: await fn(workerData as I) };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    reply = { ok: false, name: err.name, message: err.message };
  }
  parentPort?.postMessage(reply);
  // Done: sockets the work left open (keep-alive agents) must not keep the thread alive.
  process.exit(0);
}

// Young generations of 4 MiB: garbage is collected sooner instead of growing the heap.
const DIGEST_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 256 };

/** The digest in its own thread, for an entry at `base` (each door's import.meta.url). */
export function digestInWorker(base: string): (files: DigestJob['files'], options?: DigestOptions) => Promise<Digest> {
  return (files, options) => runWorker<Digest>(workerUrl(base, 'digest'), { kind: 'error', files, options: options ?? {} } satisfies DigestJob, DIGEST_LIMITS);
}

/** The same for the slow-query logs' digest. */
export function slowDigestInWorker(base: string): (files: DigestJob['files'], options?: SlowOptions) => Promise<SlowDigest> {
  return (files, options) => runWorker<SlowDigest>(workerUrl(base, 'digest'), { kind: 'slow', files, options: options ?? {} } satisfies DigestJob, DIGEST_LIMITS);
}

/** The digest in its own thread, read while the files download: the notes go to it over a message port. */
export function liveDigestInWorker(base: string): StartLiveDigest {
  return (files, options) => {
    const { port1, port2 } = new MessageChannel();
    const job: LiveDigestJob = { kind: 'live', files, options, port: port2 };
    const result = runWorker<Digest | undefined>(workerUrl(base, 'digest'), job, DIGEST_LIMITS, [port2]).finally(() => port1.close());
    return { note: fewerNotes((m) => port1.postMessage(m)), result };
  };
}

/** Progress a file makes before the digest thread is told of it (its end and a new start are told at once). */
const NOTE_EVERY = 1024 * 1024;

/**
 * A message to the digest thread per write (64 KiB) cost the downloading thread a quarter of a second a GiB;
 * the digest, reading in pieces of 256 KiB, gains nothing from knowing sooner than every MiB.
 */
export function fewerNotes(post: (m: ArrivalNote) => void): (m: ArrivalNote) => void {
  const told = new Map<number, number>();
  return (m) => {
    if ('bytes' in m) {
      const last = told.get(m.i) ?? 0;
      if (m.bytes >= last && m.bytes - last < NOTE_EVERY) return;
      told.set(m.i, m.bytes);
    }
    post(m);
  };
}
