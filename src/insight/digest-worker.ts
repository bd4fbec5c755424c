// Worker entry: the digest of the downloaded files, error or slow-query logs (see run.ts for why a thread); with
// a port, error logs read while they download, as the notes on the port say they arrive (arrivals.ts).
import type { MessagePort } from 'node:worker_threads';
import { digestFiles, type Digest, type DigestOptions } from './digest.ts';
import { digestSlowFiles, type SlowDigest, type SlowOptions } from './slow.ts';
import { SyncArrivals, digestArriving, type ArrivalNote, type ArrivingFile } from './arrivals.ts';
import { serve } from '../core/workers.ts';
import { Collector } from '../core/memory.ts';

/**
 * The files read as they arrive, all of this thread's heap collected after every 64 MiB of them (see memory.ts).
 * The chunks themselves are freed by the reader once read (read.ts owned()): before that they waited, dead, for a
 * young collection, which a log of LOG lines (few objects) triggers rarely; 64 MiB runs peaked anywhere from 98
 * to 122 MiB. A young collection every 2 MiB read held that to 98-103 for 3 % more CPU; freeing holds it to
 * 92-96 with none (2 GiB: 101-102 MiB -> 98-99).
 */
class CollectingArrivals extends SyncArrivals {
  readonly #read = new Collector(64 * 1024 * 1024, 'major');

  override async *follow(i: number, file: ArrivingFile): AsyncGenerator<Buffer> {
    for await (const chunk of super.follow(i, file)) {
      const n = chunk.length; // the reader frees the chunk once read (read.ts owned())
      yield chunk;
      this.#read.passed(n);
    }
  }
}

export type DigestJob =
  | { kind: 'error'; files: Array<{ name: string; path: string; size: number }>; options: DigestOptions }
  | { kind: 'slow'; files: Array<{ name: string; path: string; size: number }>; options: SlowOptions };

export interface LiveDigestJob {
  kind: 'live';
  files: ArrivingFile[];
  options: DigestOptions;
  port: MessagePort;
}

await serve<DigestJob | LiveDigestJob, Digest | SlowDigest | undefined>((job) => {
  if (job.kind === 'slow') return digestSlowFiles(job.files, job.options);
  if (job.kind === 'error') return digestFiles(job.files, job.options);
  const arrivals = new CollectingArrivals(job.files.length);
  job.port.on('message', (m: ArrivalNote) => arrivals.note(m));
  return digestArriving(job.files, job.options, arrivals).finally(() => job.port.close());
});
