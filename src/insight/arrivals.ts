// The digest of files while they download: each file is read from its start as far as the download says its
// bytes are on disk, in the digest's order, so reading the logs ends soon after the last byte arrives.
import { open, type FileHandle } from 'node:fs/promises';
import { readSync } from 'node:fs';
import { digestFiles, type Digest, type DigestOptions } from './digest.ts';
import { READ_SIZE, freeOnceRead } from './read.ts';

/** What the downloads tell the digest: file i has `bytes` from its start on disk; is complete; or give up. */
export type ArrivalNote = { i: number; bytes: number } | { i: number; size: number } | { abandon: true };

/** A file to read as it arrives: in its part file while it downloads, under its name once complete. */
export interface ArrivingFile {
  name: string;
  path: string;
  partPath: string;
}

/** A digest being read while the files download; `result` is undefined when it was given up. */
export interface LiveDigest {
  note(m: ArrivalNote): void;
  result: Promise<Digest | undefined>;
}

export type StartLiveDigest = (files: ArrivingFile[], options: DigestOptions) => LiveDigest;

class Abandoned extends Error {}


/** How far each file is on disk, and a way to wait until that changes. */
export class Arrivals {
  readonly #bytes: number[];
  readonly #size: Array<number | undefined>;
  #abandoned = false;
  #wake: Array<() => void> = [];

  constructor(count: number) {
    this.#bytes = new Array<number>(count).fill(0);
    this.#size = new Array<number | undefined>(count).fill(undefined);
  }

  get abandoned(): boolean {
    return this.#abandoned;
  }

  size(i: number): number | undefined {
    return this.#size[i];
  }

  note(m: ArrivalNote): void {
    if ('abandon' in m) this.#abandoned = true;
    else if ('size' in m) {
      this.#bytes[m.i] = m.size;
      this.#size[m.i] = m.size;
    } else if (m.bytes < (this.#bytes[m.i] ?? 0)) {
      // The download started the file again from zero: what was read may be gone. The caller reads it afresh.
      this.#abandoned = true;
    } else this.#bytes[m.i] = m.bytes;
    const wake = this.#wake;
    this.#wake = [];
    for (const w of wake) w();
  }

  async #until(ready: () => boolean): Promise<void> {
    for (;;) {
      if (this.#abandoned) throw new Abandoned('given up');
      if (ready()) return;
      await new Promise<void>((r) => this.#wake.push(r));
    }
  }

  /**
   * Reads into `buf` at `pos`: through the thread pool, so that a thread that also downloads (the command line's)
   * goes on serving its sockets and timers between reads. The digest's worker, which does nothing else, reads
   * synchronously (SyncArrivals).
   */
  protected async read(fh: FileHandle, buf: Buffer, n: number, pos: number): Promise<number> {
    return (await fh.read(buf, 0, n, pos)).bytesRead;
  }

  /** Bytes a read asks for: large, as each read through the pool is a round trip. */
  protected readonly readSize: number = READ_SIZE;

  /** File i's bytes from its start, each as soon as the download has put it on disk. */
  async *follow(i: number, file: ArrivingFile): AsyncGenerator<Buffer> {
    let fh: FileHandle | undefined;
    try {
      await this.#until(() => this.#bytes[i]! > 0 || this.#size[i] !== undefined);
      // A complete file has left its part file (linked to its name); one still downloading is read in its part file.
      fh = this.#size[i] !== undefined ? await open(file.path, 'r') : await open(file.partPath, 'r').catch(() => open(file.path, 'r'));
      let pos = 0;
      for (;;) {
        await this.#until(() => pos < this.#bytes[i]! || this.#size[i] !== undefined);
        const end = this.#bytes[i]!;
        if (pos >= end) return;
        const n = Math.min(end - pos, this.readSize);
        // A fresh buffer each time, the reader's alone: it frees it once read (digestArriving marks the source
        // freeOnceRead()). Not from Buffer's shared pool (reads under 32 KiB would be), whose slices cannot be freed one
        // by one. (A short read's view of it is not freed: left to the collector.)
        const buf = Buffer.allocUnsafeSlow(n);
        const bytesRead = await this.read(fh, buf, n, pos);
        if (bytesRead === 0) throw new Error(`'${file.name}' is shorter on disk than its download said`);
        pos += bytesRead;
        yield bytesRead === n ? buf : buf.subarray(0, bytesRead);
      }
    } finally {
      await fh?.close();
    }
  }
}

/**
 * Arrivals read synchronously, for a thread that only digests (the action's worker): a round trip through the
 * thread pool per read cost more than the copy from the page cache, the data moving to another core and back
 * (as for the writes in download.ts). Only this thread waits, and it has nothing else to do meanwhile.
 */
export class SyncArrivals extends Arrivals {
  /**
   * A synchronous read has no round trip to amortise, and smaller reads keep the thread's allocator small: a
   * 2 GiB step peaked at 111-113 MiB with reads of 256 KiB and at 118-120 MiB with 1 MiB, for the same CPU time.
   */
  protected override readonly readSize = 256 * 1024;

  protected override async read(fh: FileHandle, buf: Buffer, n: number, pos: number): Promise<number> {
    return readSync(fh.fd, buf, 0, n, pos);
  }
}

/** Reads `files` in order as they arrive; undefined if given up (a download failed or started over). */
export async function digestArriving(files: ArrivingFile[], options: DigestOptions, arrivals: Arrivals): Promise<Digest | undefined> {
  let d: Digest;
  try {
    // follow() reads into fresh buffers, the reader's alone: it frees each once read.
    d = await digestFiles(files.map((f) => ({ name: f.name, path: f.path, size: 0 })), options, (_, i) => freeOnceRead(arrivals.follow(i, files[i]!)));
  } catch (e) {
    if (arrivals.abandoned) return undefined;
    throw e;
  }
  if (arrivals.abandoned) return undefined;
  d.files.forEach((f, i) => { f.size = arrivals.size(i) ?? f.bytes; });
  return d;
}

/** The live digest in this thread (tests, local runs); main.ts runs it in a worker thread instead. */
export const liveDigestInThread: StartLiveDigest = (files, options) => {
  const arrivals = new Arrivals(files.length);
  return { note: (m) => arrivals.note(m), result: digestArriving(files, options, arrivals) };
};
