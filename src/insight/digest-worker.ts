// Worker entry: the digest of the downloaded files, error or slow-query logs (see run.ts for why a thread); with
// a port, error logs read while they download, as the notes on the port say they arrive (arrivals.ts).
import type { MessagePort } from 'node:worker_threads';
import { digestFiles, type Digest, type DigestOptions } from './digest.ts';
import { digestSlowFiles, type SlowDigest, type SlowOptions } from './slow.ts';
import { SyncArrivals, digestArriving, type ArrivalNote, type ArrivingFile } from './arrivals.ts';
import { serve } from '../core/workers.ts';
import { Collector } from '../core/memory.ts';

/**
 * The files read as they arrive, all of this thread's heap collected after every 64 MiB of them (see memory.ts):
 * what lives through young collections meanwhile (the chunks' objects, the reader's) waits in the old generation
 * otherwise (2 GiB: 1-2 MiB lower peak with it). The chunks' memory itself the reader frees once read (digestArriving
 * marks the source freeOnceRead()).
 */
class CollectingArrivals extends SyncArrivals {
  readonly #read = new Collector({ majorEvery: 64 * 1024 * 1024 });

  override async *follow(i: number, file: ArrivingFile): AsyncGenerator<Buffer> {
    for await (const chunk of super.follow(i, file)) {
      const n = chunk.length; // read before the yield: the reader frees the chunk once read
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
