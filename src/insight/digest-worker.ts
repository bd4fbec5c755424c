// Worker entry: the digest of the downloaded files (see run.ts for why a thread).
import { digestFiles, type Digest, type DigestOptions } from './digest.ts';
import { serve } from '../core/workers.ts';

export interface DigestJob {
  files: Array<{ name: string; path: string; size: number }>;
  options: DigestOptions;
}

await serve<DigestJob, Digest>((job) => digestFiles(job.files, job.options));
