// Worker entry: the artifact upload through @actions/artifact (see run.ts for why a thread). The client's own
// log lines (progress, masks) go to this thread's stdout, which Node forwards to the process's.
import { createArtifactUploader } from './artifact.ts';
import { systemClock } from '../core/clock.ts';
import { actionsLogger } from './logger.ts';
import type { UploadedArtifact, UploadOptions } from '../core/ports.ts';
import { serve } from '../core/workers.ts';
import { alignBlobProxy } from './blob-proxy.ts';

export interface UploadJob {
  name: string;
  files: string[];
  rootDir: string;
  options: UploadOptions;
}

// Before the first upload: the SDK reads the variables when it makes its first client.
alignBlobProxy(process.env);

await serve<UploadJob, UploadedArtifact>((job) =>
  createArtifactUploader(actionsLogger, systemClock).upload(job.name, job.files, job.rootDir, job.options));
