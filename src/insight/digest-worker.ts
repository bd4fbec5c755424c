// Worker entry: the digest of the downloaded files, error or slow-query logs (see run.ts for why a thread).
import { digestFiles, type Digest, type DigestOptions } from './digest.ts';
import { digestSlowFiles, type SlowDigest, type SlowOptions } from './slow.ts';
import { serve } from '../core/workers.ts';

export type DigestJob =
  | { kind: 'error'; files: Array<{ name: string; path: string; size: number }>; options: DigestOptions }
  | { kind: 'slow'; files: Array<{ name: string; path: string; size: number }>; options: SlowOptions };

await serve<DigestJob, Digest | SlowDigest>((job) => (job.kind === 'slow' ? digestSlowFiles(job.files, job.options) : digestFiles(job.files, job.options)));
