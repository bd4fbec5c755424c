// Worker entry: the digest of the downloaded files, error or slow-query logs (see run.ts for why a thread); with
// a port, error logs read while they download, as the notes on the port say they arrive (arrivals.ts).
import type { MessagePort } from 'node:worker_threads';
import { digestFiles, type Digest, type DigestOptions } from './digest.ts';
import { digestSlowFiles, type SlowDigest, type SlowOptions } from './slow.ts';
import { SyncArrivals, digestArriving, type ArrivalNote, type ArrivingFile } from './arrivals.ts';
import { serve } from '../core/workers.ts';
import { Collector } from '../core/memory.ts';

/**
 * The files read as they arrive, collected as they pass (see memory.ts): the young generation after every 2 MiB
 * read, as a log of mostly LOG lines makes few objects and the read chunks would otherwise wait dead for the next
 * young collection (64 MiB runs peaked 98-122 MiB, now 98-103; 2 GiB 106 -> 103 MiB, for 3 % more CPU; every
 * 1 MiB: 1 MiB less for 5 %); all of it after every 64 MiB, for the chunks that lived through a young collection.
 */
class CollectingArrivals extends SyncArrivals {
  readonly #read = new Collector(64 * 1024 * 1024, 'major');
  readonly #young = new Collector(2 * 1024 * 1024, 'minor');

  override async *follow(i: number, file: ArrivingFile): AsyncGenerator<Buffer> {
    for await (const chunk of super.follow(i, file)) {
      yield chunk;
      this.#read.passed(chunk.length);
      this.#young.passed(chunk.length);
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
