// Streams one pre-signed link to disk, a large file as byte ranges at once: never the whole file in memory, never
// a short file reported as complete.
import { writeSync, writevSync } from 'node:fs';
import { link, lstat, open, rename, stat, statfs, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { cannotCreateIn, FILE_MODE, NEW_NO_FOLLOW } from './writable.ts';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError, CancelledError, DiskFullError, InputError, NetworkError, NoRoomError, ResponseError, TimeoutError } from './errors.ts';
import { header, readText, type HttpResponse, type HttpTransport } from '../cloud/http.ts';
import { hostKind } from '../cloud/urls.ts';
import { linkSecrets, Redactor, redactUrl } from './redact.ts';
import { withRetry, type RetryOptions } from './retry.ts';
import { ConnectionBudget } from './pool.ts';
import { formatBytes } from './duration.ts';
import { Collector } from './memory.ts';

/** The link has expired (or its signature is refused): only fresh links from the API help. */
export class LinkExpiredError extends Error {
  constructor(fileName: string, status: number) {
    super(`the download link for '${fileName}' was refused with HTTP ${status} (expired or invalid signature)`);
    this.name = 'LinkExpiredError';
  }
}

/**
 * The API's links may lack a scheme ("host:443/file?..."): read them as https. A link is text from the API, so it
 * may point anywhere: never to a link-local address (the cloud's metadata service); to loopback or a private
 * range only when the API endpoint itself is there (the emulator, a private gateway); plain http only when the
 * endpoint itself is loopback (the emulator). Anywhere else plain http would send the signature in clear, so
 * it is upgraded.
 */
export function resolveLink(raw: string, endpoint: URL): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw.replace(/^\/+/, '')}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ResponseError('errorlog-download: a file_link is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ResponseError(`errorlog-download: a file_link has the scheme ${url.protocol}, not https`);
  }
  checkLinkHost(url, endpoint, 'a file_link');
  if (url.protocol === 'http:' && hostKind(endpoint.hostname) !== 'loopback') url.protocol = 'https:';
  return url;
}

/** Refuses a link, or a redirect of one (`what` says which), to where the API endpoint itself is not: see resolveLink. */
export function checkLinkHost(url: URL, endpoint: URL, what: 'a file_link' | "a download host's redirect"): void {
  const kind = hostKind(url.hostname);
  if (kind === 'link-local' || (kind !== 'public' && kind !== hostKind(endpoint.hostname))) {
    throw new ResponseError(`errorlog-download: ${what} points to ${url.hostname}, a ${kind} address, which the API endpoint (${endpoint.hostname}) is not: refused`);
  }
}

/**
 * Finds what would stop the files landing in `dir` before any request is made: the folder is a file, lies under
 * a file, or cannot be written (read-only disk, no permission): an empty file is created there and removed.
 */
export async function checkOutputDir(dir: string): Promise<void> {
  let at = resolve(dir);
  for (;;) {
    let info;
    try {
      info = await stat(at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') throw new InputError('output-dir', `'${dir}' lies under a file, not a folder`);
      if (code !== 'ENOENT' || dirname(at) === at) throw new InputError('output-dir', `'${dir}' cannot be used (${code ?? String(e)})`);
      // A link to nothing is there, and mkdir cannot make the folder it names.
      if ((await lstat(at).catch(() => undefined))?.isSymbolicLink()) {
        throw new InputError('output-dir', at === resolve(dir) ? `'${dir}' is a link to nothing` : `'${dir}' lies under ${at}, a link to nothing`);
      }
      at = dirname(at); // not there yet: it will be created in the nearest folder that is
      continue;
    }
    if (!info.isDirectory()) throw new InputError('output-dir', at === resolve(dir) ? `'${dir}' is a file, not a folder` : `'${dir}' lies under ${at}, which is a file`);
    const why = await cannotCreateIn(at);
    if (why !== undefined) throw new InputError('output-dir', `'${dir}' cannot be written: ${at} is not writable (${why})`);
    return;
  }
}

export interface DownloadOptions {
  transport: HttpTransport;
  /**
   * Another path for the file when its name was taken while it downloaded (another run into the same folder);
   * without it, a taken name fails the file.
   */
  otherPath?: (() => string) | undefined;
  retry: RetryOptions;
  /** Abort a transfer that receives nothing for this long; it is then resumed. */
  stallMs: number;
  signal?: AbortSignal | undefined;
  onProgress?: (bytes: number, total: number | undefined) => void;
  /**
   * Told how many bytes from the start of the file are on disk, as that grows (to read the file while it
   * arrives); 0 again if the server made the download start over.
   */
  onContiguous?: ((bytes: number) => void) | undefined;
  /** The connections this file shares with the others (default: one of its own, i.e. one stream). */
  budget?: ConnectionBudget | undefined;
  /** The file's place in the list: a free connection goes to the earliest file that wants one (default 0). */
  order?: number | undefined;
  /** A file larger than this is fetched as several byte ranges at once, when the budget allows (default 32 MiB). */
  splitAbove?: number | undefined;
  /** The size of each byte range (default 16 MiB). */
  rangeBytes?: number | undefined;
  /** The size RDS listed (file_size), when it gave one above 0: the bound of a download that announces none. */
  listedSize?: number | undefined;
}

export interface Downloaded {
  bytes: number;
  /** Where the file is: finalPath, or another (otherPath) when that name was taken meanwhile. */
  path: string;
  /** Retries of this file (after stalls, resets, short transfers), over all its ranges. */
  retries: number;
}

/**
 * The sink's highWaterMark. Its writes are synchronous, so a chunk is on disk before the next is taken and none
 * queue: this only keeps pipeline() from pausing for 'drain' after each socket chunk (about 64 KiB). Batching
 * chunks into larger writes bought nothing (1 GiB: 0.26 s in 64 KiB writes, 0.24 s in 256 KiB).
 */
const WRITE_BUFFER = 256 * 1024;
/**
 * Each chunk on disk is garbage: collected every 1 MiB, while young (see memory.ts). A 2 GiB step peaked at
 * 119 MiB this way and at 131 MiB with every 4 MiB, for the same CPU time; every 256 or 512 KiB cost more CPU.
 */
const written = new Collector({
  minorEvery: 1024 * 1024,
  // What lived through those young collections (requests, ranges, their promises) waits in the old generation:
  // all of the heap every 256 MiB, 2 GiB peaked 3 MiB lower.
  majorEvery: 256 * 1024 * 1024,
});
const SPLIT_ABOVE = 32 * 1024 * 1024;
/**
 * Ranges are handed out in order, a few connections at a time, so the start of the file is complete early and
 * grows steadily. 16 MiB: on a link of 100 MiB/s per connection a request's latency costs a few percent.
 */
const RANGE_BYTES = 16 * 1024 * 1024;

/**
 * What a download leaves free on its disk: the runner, later steps and the artifact's upload need room too.
 * 256 MiB, or a twentieth of a small disk. A size announced past the free space less this is refused before a
 * byte is written; a disk that fills anyway (several files at once, a size not announced) ends in ENOSPC, and
 * the part files are removed.
 */
const KEEP_FREE = 256 * 1024 * 1024;
/**
 * RDS's file_size is bytes by its documentation and KiB by Terraform's: a size announced past 1024 times it
 * (and 1 MiB) is no version of that file.
 */
const LISTED_SLACK = 1024;

/**
 * The least a short range answer must bring to be followed at once by a request for the rest: a host may serve
 * a file in pieces of a few hundred KiB; one that answers in crumbs is backed off.
 */
const MIN_RANGE_ANSWER = 64 * 1024;

/** What a download has learnt of the file so far: how much of it is on disk, and which version of it. */
interface FileState {
  written: number;
  /** The size the host announced, once it did: a resume answered with another size is another file. */
  total?: number | undefined;
  /** What names the first answer's version, sent with each range: another version answers 412. */
  validator?: Validator | undefined;
}

/** The server answered a range request with another range or with the whole file: ranges cannot be trusted. */
class RangeIgnoredError extends Error {
  constructor(answer: string) {
    super(`byte ranges cannot be used (${answer})`);
    this.name = 'RangeIgnoredError';
  }
}

/** A range of the file [start, end) and how far it is on disk. */
interface Piece {
  start: number;
  end: number;
  pos: number;
}

// New files (the part file, the name reserved without hard links) are created by NEW_NO_FOLLOW (core/writable.ts):
// O_CREAT with O_EXCL fails with EEXIST on any existing entry, a symlink included, and does not follow it (POSIX
// says so; Windows maps it to CREATE_NEW, which fails the same way); O_NOFOLLOW is added where it exists.

/**
 * Downloads `url` to `partPath` (created exclusively, never through a symlink), resuming with Range after an
 * interruption, then gives it the name `finalPath` only once complete (settle). On any failure the part file is removed.
 * A large file is fetched as byte ranges on as many connections as the budget gives it, each range resumed on
 * its own; if the server stops honouring ranges, the rest comes in one stream.
 */
export async function downloadFile(fileName: string, url: URL, partPath: string, finalPath: string, o: DownloadOptions): Promise<Downloaded> {
  const budget = o.budget ?? new ConnectionBudget(1);
  const release = await budget.acquire(o.order ?? 0, o.signal);
  let fh: FileHandle | undefined;
  let done = false;
  try {
    // Owner only: a log may hold what the database was told (passwords in a failing CREATE ROLE); a shared host's
    // other users must not read it. (The umask may narrow it further, never widen it.)
    fh = await open(partPath, NEW_NO_FOLLOW, FILE_MODE);
    const transfer = new Transfer(fileName, url, fh, o, budget, dirname(partPath));
    const bytes = await transfer.run(release);
    await fh.close();
    const path = await settleFree(partPath, finalPath, bytes, o.otherPath);
    done = true;
    // The file is complete under its name; a part file that cannot be removed (a scanner holding it) is left.
    await unlink(partPath).catch(() => {});
    return { bytes, retries: transfer.retries, path };
  } finally {
    release();
    if (!done && fh) {
      await fh.close().catch(() => {});
      await unlink(partPath).catch(() => {});
    }
  }
}

/** Names tried, at most, when others keep taking them first. */
const NAME_TRIES = 100;

/** settle() under finalPath, or under the next path `otherPath` gives while the one tried is taken. */
async function settleFree(partPath: string, finalPath: string, bytes: number, otherPath: (() => string) | undefined): Promise<string> {
  for (let path = finalPath, tries = 1; ; path = otherPath!(), tries++) {
    try {
      await settle(partPath, path, bytes);
      return path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || otherPath === undefined || tries >= NAME_TRIES) throw e;
    }
  }
}

/** What a file system without hard links answers (FAT and exFAT, older ReFS, many SMB, NAS and FUSE mounts). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EISDIR']);

/**
 * Gives the complete part file its final name, never over an existing entry: a hard link (fails if the name
 * exists, unlike rename), or where the file system has none, a rename over an empty file created exclusively
 * under that name first (it reserves the name; rename replaces that entry, never following it). No copy: a copy
 * needs the disk twice, and a copy read back short on FAT by FUSE was once taken for the file. Either way the
 * file under its name must have the size downloaded.
 */
async function settle(partPath: string, finalPath: string, bytes: number): Promise<void> {
  try {
    await link(partPath, finalPath);
  } catch (e) {
    if (!NO_HARD_LINKS.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
    await (await open(finalPath, NEW_NO_FOLLOW, FILE_MODE)).close();
    try {
      await rename(partPath, finalPath);
    } catch (r) {
      await unlink(finalPath).catch(() => {});
      throw r;
    }
  }
  const size = (await stat(finalPath)).size;
  if (size !== bytes) {
    await unlink(finalPath).catch(() => {});
    throw new Error(`'${finalPath}' holds ${size} bytes after it was named, not the ${bytes} downloaded`);
  }
}

class Transfer {
  retries = 0;
  readonly #name: string;
  readonly #url: URL;
  readonly #fh: FileHandle;
  readonly #o: DownloadOptions;
  readonly #budget: ConnectionBudget;
  /** The folder of the file, for the message when its disk is full. */
  readonly #dir: string;
  #compressedTold = false;

  constructor(name: string, url: URL, fh: FileHandle, o: DownloadOptions, budget: ConnectionBudget, dir: string) {
    this.#name = name;
    this.#url = url;
    this.#fh = fh;
    this.#o = o;
    this.#budget = budget;
    this.#dir = dir;
  }

  /**
   * The file is kept byte for byte as served: one compressed by the host although none was asked for (Accept-Encoding:
   * identity) stays so, and the person who opens it is told why it does not read as text.
   */
  #tellCompressed(res: HttpResponse): void {
    const encoding = header(res, 'content-encoding')?.trim().toLowerCase();
    if (encoding === undefined || encoding === '' || encoding === 'identity' || this.#compressedTold) return;
    this.#compressedTold = true;
    const named = /^[a-z0-9-]{1,20}$/.test(encoding) ? encoding : 'not named';
    const reads = named === 'gzip' ? 'gunzip reads it, as the digest does' : 'the digest cannot read it as a log';
    this.#o.retry.log(`download ${this.#name}: the host sent it compressed (Content-Encoding: ${named}) though none was asked for; it is kept as sent (${reads})`);
  }

  /** Fetches the whole file; `release` gives back the connection it was started with. Returns the size. */
  async run(release: () => void): Promise<number> {
    const state: FileState = { written: 0 };
    const large = await this.#stream(state, true);
    if (!large) return state.written;
    const stopped = await this.#ranges(large.res, large.total, state.validator, release);
    if (stopped === undefined) return large.total;
    // Ranges cannot be used (ignored, or the file changed): what is on disk from the start stays, the rest comes
    // in one stream (which starts over if the file changed).
    this.#o.retry.log(`download ${this.#name}: ${stopped.why}; fetching the rest in one stream`);
    state.written = stopped.at;
    await this.#stream(state, false);
    // Ranges past where the stream ended (a file that shrank comes again from zero, but be sure) are not the file.
    await this.#fh.truncate(state.written);
    return state.written;
  }

  /** Forgets what is on disk and which version it was: the next request asks for the whole file. */
  async #restart(state: FileState): Promise<void> {
    state.written = 0;
    state.total = undefined;
    state.validator = undefined;
    await this.#fh.truncate(0);
    this.#o.onContiguous?.(0);
  }

  /** Refuses a size no version of the listed file has, or one the disk cannot take. */
  async #admit(total: number, written: number): Promise<void> {
    const listed = this.#o.listedSize;
    if (listed !== undefined && total > listed * LISTED_SLACK + 1024 * 1024) {
      throw new ResponseError(`the download host announced ${total} bytes for '${this.#name}', which RDS listed at ${listed}: no version of that file, refused`);
    }
    const fs = await statfs(this.#dir).catch(() => undefined);
    if (!fs) return;
    const free = fs.bavail * fs.bsize;
    const keep = Math.min(KEEP_FREE, Math.floor((fs.blocks * fs.bsize) / 20));
    if (total - written > free - keep) {
      throw new NoRoomError(this.#dir, `'${this.#name}' is ${formatBytes(total)}, ${formatBytes(Math.max(0, free))} is free and ${formatBytes(keep)} of that stays free`);
    }
  }

  /** One stream from `state.written` to the end, resumed after interruptions; or the answer of a large file to split. */
  async #stream(state: FileState, maySplit: boolean): Promise<{ res: HttpResponse; total: number } | undefined> {
    for (;;) {
      const got = await this.#retrying(`download ${this.#name}`, this.#o.signal, () => this.#streamOnce(state, maySplit));
      if (got !== 'more') return got;
      maySplit = false;
    }
  }

  /** withRetry, counting each attempt after the first in `retries` (the file's total over all its ranges). */
  #retrying<T>(what: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    let attempt = 0;
    return withRetry(what, () => {
      if (attempt++ > 0) this.retries++;
      return fn();
    }, { ...this.#o.retry, signal });
  }

  /** One request and its answer to the file; 'more' when the host answered a range short of the end, as it may. */
  async #streamOnce(state: FileState, maySplit: boolean): Promise<{ res: HttpResponse; total: number } | 'more' | undefined> {
    const o = this.#o;
    if (o.signal?.aborted) throw new CancelledError();
    const ranged = state.written > 0;
    const res = await o.transport.request('GET', this.#url, ranged ? rangeHeaders(`bytes=${state.written}-`, state.validator) : rangeHeaders());

    let start: number;
    let total: number | undefined;
    // Where this answer ends: a 206 may announce less than the rest of the file (then the rest is asked for next).
    let end: number | undefined;
    if (res.status === 412) {
      // Not the version the bytes on disk are of: all of it again.
      res.body.destroy();
      await this.#restart(state);
      throw new NetworkError('EPREMATURE', this.#url, 'the file changed on the host (HTTP 412); restarting from zero');
    }
    if (res.status === 206) {
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header(res, 'content-range') ?? '');
      total = m?.[3] === '*' ? undefined : Number(m?.[3]);
      end = m ? Number(m[2]) + 1 : undefined;
      // A range we did not ask for, or of another version of the file (another size, or a range that ends past
      // it): start over rather than stitch bytes in the wrong place.
      if (!m || Number(m[1]) !== state.written || end! <= state.written || (total !== undefined && (end! > total || (state.total !== undefined && total !== state.total)))) {
        res.body.destroy();
        await this.#restart(state);
        throw new NetworkError('EPREMATURE', this.#url, `the server answered a different range (${header(res, 'content-range') ?? 'none'}); restarting from zero`);
      }
      start = state.written;
    } else if (res.status === 200) {
      // The server ignored Range (or this is the first try): the body is the whole file.
      start = 0;
      if (state.written > 0) {
        await this.#fh.truncate(0);
        o.onContiguous?.(0);
      }
      state.written = 0;
      const len = header(res, 'content-length');
      total = len !== undefined && /^\d+$/.test(len) ? Number(len) : undefined;
      state.validator = validatorOf(res);
    } else {
      return refuse(res, this.#name, this.#url);
    }
    this.#tellCompressed(res);
    if (total !== undefined && total !== state.total) {
      await this.#admit(total, state.written).catch((e: unknown) => {
        res.body.destroy();
        throw e;
      });
      state.total = total;
    }
    if (res.status === 200 && maySplit && !ranged && total !== undefined && total > (o.splitAbove ?? SPLIT_ABOVE) && this.#budget.size > 1 && header(res, 'accept-ranges') !== 'none') {
      return { res, total };
    }
    // Never more than announced (Content-Length, Content-Range) or, without an announcement, than RDS listed; a
    // download bounded by neither is refused rather than allowed to fill the disk.
    const limit = end !== undefined && total !== undefined ? end : total ?? o.listedSize;
    if (limit === undefined) {
      res.body.destroy();
      throw new ResponseError(`the download host announced no size for '${this.#name}' (no Content-Length) and RDS listed none: refused, as it could fill the disk`);
    }
    const over = total === undefined
      ? () => new ResponseError(`the download host sent more than ${limit} bytes for '${this.#name}' (the size RDS listed): stopped`)
      : undefined;
    // A range that ends before the file does is cut where it says it ends, whatever more the host sends. The
    // rest is asked for at once when the answer brought at least MIN_RANGE_ANSWER; a host that answers in crumbs
    // is retried with backoff like a transfer cut short, not hammered with a request per crumb.
    const short = end !== undefined && total !== undefined && end < total;
    state.written = await this.#pump(res, start, limit, (pos) => { state.written = pos; }, o.signal, (pos) => { o.onProgress?.(pos, total); o.onContiguous?.(pos); }, short, over);
    if (short && state.written === end && end - start >= MIN_RANGE_ANSWER) return 'more';
    if (total !== undefined && state.written !== total) {
      throw new NetworkError('EPREMATURE', this.#url, `transfer ended after ${state.written} of ${total} bytes`);
    }
    return undefined;
  }

  /**
   * The file in ranges of RANGE_BYTES, handed out in order to as many connections as the budget gives this
   * file; `head` (the first answer, the whole file) serves the first range. Returns undefined when complete,
   * or, when ranges could not be used (ignored, or the file changed), where the complete start of the file ends
   * and why.
   */
  async #ranges(head: HttpResponse, total: number, validator: Validator | undefined, release: () => void): Promise<{ at: number; why: string } | undefined> {
    const o = this.#o;
    const size = Math.max(1, o.rangeBytes ?? RANGE_BYTES);
    const pieces: Piece[] = [];
    for (let s = 0; s < total; s += size) pieces.push({ start: s, end: Math.min(s + size, total), pos: s });
    let next = 0;
    let ignored: RangeIgnoredError | undefined;
    let failure: unknown;
    // Stops every range: on the run's cancellation, on a failure of one range, or when ranges are ignored.
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.signal?.aborted) stop.abort();
    // Kept as they grow, not summed over every piece at each write (a large file has hundreds of pieces): the
    // bytes on disk, and the first piece not yet complete (pieces only grow, so it only moves on).
    let bytes = 0;
    let earliest = 0;
    const progress = (p: Piece, pos: number): void => {
      bytes += pos - p.pos;
      p.pos = pos;
      while (earliest < pieces.length && pieces[earliest]!.pos >= pieces[earliest]!.end) earliest++;
      o.onProgress?.(bytes, total);
      o.onContiguous?.(pieces[earliest]?.pos ?? total);
    };

    const worker = async (lease: (() => void) | undefined, first: HttpResponse | undefined): Promise<void> => {
      try {
        for (;;) {
          // One connection per range, given back after it: the budget decides who gets it next.
          lease ??= await this.#budget.acquire(o.order ?? 0, stop.signal);
          const piece = pieces[next];
          if (!piece) return;
          next++;
          await this.#piece(piece, total, validator, first, stop.signal, progress);
          first = undefined;
          lease();
          lease = undefined;
        }
      } catch (e) {
        if (e instanceof RangeIgnoredError) ignored = e;
        else if (!stop.signal.aborted) failure = e;
        stop.abort();
      } finally {
        first?.body.destroy();
        lease?.();
      }
    };
    const extra = Math.min(this.#budget.size, pieces.length) - 1;
    await Promise.all([worker(release, head), ...Array.from({ length: extra }, () => worker(undefined, undefined))]);
    o.signal?.removeEventListener('abort', onAbort);

    if (o.signal?.aborted) throw new CancelledError();
    if (failure !== undefined) throw failure;
    const incomplete = pieces.find((p) => p.pos < p.end);
    if (!incomplete) return undefined;
    if (!ignored) throw new Error(`download ${this.#name}: a byte range was left incomplete`); // cannot happen
    return { at: incomplete.pos, why: ignored.message };
  }

  /** One range, resumed from where it got to after an interruption. */
  async #piece(p: Piece, total: number, validator: Validator | undefined, first: HttpResponse | undefined, signal: AbortSignal, progress: (p: Piece, pos: number) => void): Promise<void> {
    await this.#retrying(`download ${this.#name} (bytes ${p.start}-${p.end - 1})`, signal, async () => {
      let res = first;
      const whole = first !== undefined;
      first = undefined;
      if (!res) {
        if (signal.aborted) throw new CancelledError();
        res = await this.#o.transport.request('GET', this.#url, rangeHeaders(`bytes=${p.pos}-${p.end - 1}`, validator));
        const range = header(res, 'content-range');
        if (res.status === 200 || res.status === 412 || (res.status === 206 && range !== `bytes ${p.pos}-${p.end - 1}/${total}`)) {
          res.body.destroy();
          throw new RangeIgnoredError(res.status === 200 ? 'HTTP 200, the whole file' : res.status === 412 ? 'HTTP 412, the file changed' : `Content-Range ${range ?? 'missing'}`);
        }
        if (res.status !== 206) return refuse(res, this.#name, this.#url);
      }
      // progress() moves p.pos with every write, so a retry resumes where the file got to: no onSettle needed.
      await this.#pump(res, p.pos, p.end, undefined, signal, (pos) => progress(p, pos), whole);
    });
  }

  /**
   * Streams `res` to the file from `start`, at most up to `limit`; returns the file offset reached. `onSettle`
   * learns that offset before a failure is thrown, so the retry resumes there. `cut`: the answer goes on past
   * `limit` (the whole file serving the first range) and is dropped there.
   */
  async #pump(res: HttpResponse, start: number, limit: number | undefined, onSettle: ((pos: number) => void) | undefined, signal: AbortSignal | undefined, onWrite: (pos: number) => void, cut: boolean, over?: () => Error): Promise<number> {
    const url = this.#url;
    const stallMs = this.#o.stallMs;
    // Resume from what reached the file, not from what was received: bytes still buffered on the way to the
    // file are lost when the transfer fails, and resuming past them would leave a hole of zeros.
    const sink = new FileSink(this.#fh, start, limit, stallMs, {
      onStall: () => res.body.destroy(new NetworkError('ESTALL', url, `no data for ${stallMs / 1000}s`)),
      onFull: () => { if (cut) res.body.destroy(); },
      onWrite,
      ...(over ? { onOver: over } : {}),
    });
    const onAbort = (): void => void res.body.destroy(new CancelledError());
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort(); // while the answer's headers were on their way
    try {
      await pipeline(res.body, sink);
    } catch (e) {
      onSettle?.(sink.pos);
      // Over the size, the run's deadline, a cancellation: not a network fault to retry.
      if (e instanceof ResponseError || e instanceof TimeoutError || e instanceof CancelledError) throw e;
      if (limit !== undefined && sink.pos >= limit) return sink.pos; // the rest of the answer was not wanted
      if (signal?.aborted) throw new CancelledError();
      if (e instanceof NetworkError) throw e;
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOSPC' || err.code === 'EDQUOT') throw new DiskFullError(this.#dir, err.code);
      // Node says ECONNRESET 'aborted' for a connection closed (cleanly or not) before the length the answer gave.
      const why = err.code === 'ECONNRESET' && err.message === 'aborted' ? 'the connection closed before the answer\'s end' : err.code ?? err.message;
      throw new NetworkError(err.code === 'ERR_STREAM_PREMATURE_CLOSE' ? 'EPREMATURE' : (err.code ?? 'ECONNRESET'), url, `transfer interrupted after ${sink.pos - start} bytes (${why})`);
    } finally {
      sink.stop();
      signal?.removeEventListener('abort', onAbort);
    }
    onSettle?.(sink.pos);
    if (limit !== undefined && sink.pos < limit) {
      throw new NetworkError('EPREMATURE', url, `transfer ended ${limit - sink.pos} bytes short of the range's end`);
    }
    return sink.pos;
  }
}

/** A precondition header naming one version of the file. */
type Validator = readonly ['If-Match' | 'If-Unmodified-Since', string];

/** A request's headers: the bytes as stored; for a range, only of the version `validator` names. */
function rangeHeaders(range?: string, validator?: Validator): Record<string, string> {
  const h: Record<string, string> = { 'Accept-Encoding': 'identity' };
  if (range !== undefined) h['Range'] = range;
  if (range !== undefined && validator !== undefined) h[validator[0]] = validator[1];
  return h;
}

/**
 * The version of the file an answer is: its strong ETag (a weak one never matches), else its Last-Modified.
 * If-Match and If-Unmodified-Since, not If-Range: object stores (S3, OBS) honour those and ignore If-Range.
 */
function validatorOf(res: HttpResponse): Validator | undefined {
  const etag = header(res, 'etag');
  if (etag !== undefined && /^"[\x21\x23-\x7e]*"$/.test(etag)) return ['If-Match', etag];
  const modified = Date.parse(header(res, 'last-modified') ?? '');
  return Number.isNaN(modified) ? undefined : ['If-Unmodified-Since', new Date(modified).toUTCString()];
}

/** An answer that is neither the file nor a range of it: the link is refused, or the storage failed. */
async function refuse(res: HttpResponse, fileName: string, url: URL): Promise<never> {
  const { text } = await readText(res, 64 * 1024);
  if (res.status === 403 || (res.status === 400 && /expire/i.test(text))) throw new LinkExpiredError(fileName, res.status);
  // The host may echo the link's signature (S3-like hosts quote it in SignatureDoesNotMatch); it is not printed.
  // The link's own, and those of where its redirects led (a redirect may carry a signature of its own).
  const own = new Redactor();
  for (const secret of [...new Set([url.href, res.url.href])].flatMap(linkSecrets)) {
    own.add(secret.value);
    own.add(secret.raw);
  }
  const echo = (t: string | undefined): string | undefined => (t === undefined ? undefined : own.redact(t));
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
  throw new ApiError(`download of '${fileName}' from ${redactUrl(url)}`, { status: res.status, errorCode: echo(code), requestId: echo(header(res, 'x-obs-request-id') ?? header(res, 'x-amz-request-id') ?? header(res, 'x-request-id')) });
}

/**
 * The one stream stage between the socket and the file: writes batches at explicit positions through a handle it
 * does not own (retries and other ranges go on through the same handle), stops at `limit`, counts what reached
 * the file, and fires `onStall` when nothing arrives for `stallMs`. One stage, not a counting Transform plus a
 * writer: each stage costs per-chunk work on a path that moves gigabytes.
 * (FileHandle.createWriteStream with autoClose off keeps a reference that makes close() wait forever.)
 */
class FileSink extends Writable {
  /** File offset up to which bytes are on disk. */
  pos: number;
  #fh: FileHandle;
  #limit: number;
  #stallMs: number;
  #on: { onStall: () => void; onFull: () => void; onWrite: (pos: number) => void; onOver?: () => Error };
  #timer: NodeJS.Timeout | undefined;

  constructor(fh: FileHandle, start: number, limit: number | undefined, stallMs: number, on: { onStall: () => void; onFull: () => void; onWrite: (pos: number) => void; onOver?: () => Error }) {
    super({ highWaterMark: WRITE_BUFFER });
    this.#fh = fh;
    this.pos = start;
    this.#limit = limit ?? Infinity;
    this.#stallMs = stallMs;
    this.#on = on;
    this.#arm();
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#on.onStall, this.#stallMs);
    this.#timer.unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (error?: Error | null) => void): void {
    // Past the range: dropped while the source is being stopped; past the only size known (onOver): an error.
    if (this.pos >= this.#limit) return cb(this.#on.onOver?.());
    this.#arm();
    const bufs: Buffer[] = [];
    let n = 0;
    for (const { chunk } of chunks) {
      const take = Math.min(chunk.length, this.#limit - this.pos - n);
      if (take <= 0) break;
      if (take < chunk.length && this.#on.onOver) return cb(this.#on.onOver());
      bufs.push(take === chunk.length ? chunk : chunk.subarray(0, take));
      n += take;
    }
    try {
      this.#write(bufs, n);
    } catch (e) {
      return cb(e as Error);
    }
    cb();
    if (this.pos >= this.#limit) this.#on.onFull();
  }

  /**
   * Synchronous, as curl writes: into the page cache, a write is a copy, and a round trip through the thread
   * pool cost more than the copy (1 GiB in 256 KiB writes: 0.24 s here, 0.6-1.5 s through the pool, the data
   * moving between cores). Only this thread waits, a write at a time, with nothing else it could do meanwhile
   * but take in more data that could not be written either.
   */
  #write(bufs: Buffer[], n: number): void {
    const fd = this.#fh.fd;
    const bytesWritten = writevSync(fd, bufs, this.pos);
    // A disk that fills up takes part of a write and says nothing: write the rest, and the next write names
    // the cause (ENOSPC, EDQUOT), instead of a "short write" that reads as a network fault.
    if (bytesWritten < n) {
      const rest = Buffer.concat(bufs).subarray(bytesWritten);
      for (let off = 0; off < rest.length;) {
        const w = writeSync(fd, rest, off, rest.length - off, this.pos + bytesWritten + off);
        if (w === 0) throw Object.assign(new Error('the disk took no more bytes'), { code: 'ENOSPC' });
        off += w;
      }
    }
    this.pos += n;
    written.passed(n);
    this.#on.onWrite(this.pos);
  }

  override _final(cb: (error?: Error | null) => void): void {
    this.stop();
    cb();
  }
}
