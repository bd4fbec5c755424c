// The digests in this thread, for a door that gives no worker thread (the command line, tests): their code is
// loaded when a digest first starts, so the step's first request does not wait for the reader to load.
import type { digestFiles } from '../insight/digest.ts';
import type { digestSlowFiles } from '../insight/slow.ts';
import type { ArrivalNote, LiveDigest, StartLiveDigest } from '../insight/arrivals.ts';

export const digestInThread: typeof digestFiles = async (files, opts, sourceOf) => (await import('../insight/digest.ts')).digestFiles(files, opts, sourceOf);

export const slowDigestInThread: typeof digestSlowFiles = async (files, opts) => (await import('../insight/slow.ts')).digestSlowFiles(files, opts);

/** The downloads' notes that come before the code has loaded are passed on once it has, in their order. */
export const liveDigestInThread: StartLiveDigest = (files, options) => {
  const early: ArrivalNote[] = [];
  let live: LiveDigest | undefined;
  const result = import('../insight/arrivals.ts').then((m) => {
    live = m.liveDigestInThread(files, options);
    for (const n of early) live.note(n);
    return live.result;
  });
  return { note: (m) => (live !== undefined ? live.note(m) : void early.push(m)), result };
};
