// Streams one pre-signed link to disk: never the whole file in memory, never a short file reported as complete.
import { constants } from 'node:fs';
import { link, open, unlink, type FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError, CancelledError, ResponseError } from './errors.ts';
import { header, NetworkError, readText, type HttpTransport } from '../cloud/http.ts';
import { isLoopbackHost } from '../cloud/urls.ts';
import { redactUrl } from './redact.ts';
import { withRetry, type RetryOptions } from './retry.ts';

/** The link has expired (or its signature is refused): only fresh links from the API help. */
export class LinkExpiredError extends Error {
  constructor(fileName: string, status: number) {
    super(`the download link for '${fileName}' was refused with HTTP ${status} (expired or invalid signature)`);
    this.name = 'LinkExpiredError';
  }
}

/**
 * The API's links may lack a scheme ("host:443/file?..."): read them as https. Plain http is accepted only on
 * loopback (the emulator); anywhere else it would send the signature in clear, so it is upgraded.
 */
export function resolveLink(raw: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw.replace(/^\/+/, '')}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ResponseError('errorlog-download: a file_link is not a URL');
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) url.protocol = 'https:';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ResponseError(`errorlog-download: a file_link has the scheme ${url.protocol}, not https`);
  }
  return url;
}

export interface DownloadOptions {
  transport: HttpTransport;
  retry: RetryOptions;
  /** Abort a transfer that receives nothing for this long; it is then resumed. */
  stallMs: number;
  signal?: AbortSignal | undefined;
  onProgress?: (bytes: number, total: number | undefined) => void;
}

export interface Downloaded {
  bytes: number;
  /** Retries of this file (after stalls, resets, short transfers). */
  retries: number;
}

const WRITE_BUFFER = 1024 * 1024;

/**
 * Creates a new file, never opening what is there: O_CREAT with O_EXCL fails with EEXIST on any existing entry,
 * a symlink included, and does not follow it (POSIX says so; Windows maps it to CREATE_NEW, which fails the
 * same way). That is what keeps the no-symlink promise; O_NOFOLLOW, which Windows lacks, is only added where
 * it exists. The finished file then gets its name by link(), which also fails on any existing entry.
 */
export const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;

/**
 * Downloads `url` to `partPath` (created exclusively, never through a symlink), resuming with Range after an
 * interruption, then links it to `finalPath` only once complete. On any failure the part file is removed.
 */
export async function downloadFile(fileName: string, url: URL, partPath: string, finalPath: string, o: DownloadOptions): Promise<Downloaded> {
  const fh = await open(partPath, CREATE_NEW | (constants.O_NOFOLLOW ?? 0), 0o644);
  let done = false;
  let attempts = 0;
  try {
    const state = { written: 0 };
    await withRetry(`download ${fileName}`, async () => {
      attempts++;
      await transferOnce(fileName, url, fh, state, o);
    }, { ...o.retry, signal: o.signal });
    await fh.close();
    await link(partPath, finalPath); // fails if the name exists, unlike rename
    await unlink(partPath);
    done = true;
    return { bytes: state.written, retries: attempts - 1 };
  } finally {
    if (!done) {
      await fh.close().catch(() => {});
      await unlink(partPath).catch(() => {});
    }
  }
}

async function transferOnce(fileName: string, url: URL, fh: FileHandle, state: { written: number }, o: DownloadOptions): Promise<void> {
  if (o.signal?.aborted) throw new CancelledError();
  const headers: Record<string, string> = { 'Accept-Encoding': 'identity' };
  if (state.written > 0) headers['Range'] = `bytes=${state.written}-`;
  const res = await o.transport.request('GET', url, headers);

  let start: number;
  let total: number | undefined;
  if (res.status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header(res, 'content-range') ?? '');
    if (!m || Number(m[1]) !== state.written) {
      // A range we did not ask for: start over rather than stitch bytes in the wrong place.
      res.body.destroy();
      state.written = 0;
      await fh.truncate(0);
      throw new NetworkError('EPREMATURE', url, `the server answered a different range (${header(res, 'content-range') ?? 'none'}); restarting from zero`);
    }
    start = state.written;
    total = m[3] === '*' ? undefined : Number(m[3]);
  } else if (res.status === 200) {
    // The server ignored Range (or this is the first try): the body is the whole file.
    start = 0;
    if (state.written > 0) await fh.truncate(0);
    state.written = 0;
    const len = header(res, 'content-length');
    total = len !== undefined && /^\d+$/.test(len) ? Number(len) : undefined;
  } else {
    const { text } = await readText(res, 64 * 1024);
    if (res.status === 403 || (res.status === 400 && /expire/i.test(text))) throw new LinkExpiredError(fileName, res.status);
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
    throw new ApiError(`download of '${fileName}' from ${redactUrl(url)}`, { status: res.status, errorCode: code, requestId: header(res, 'x-obs-request-id') ?? header(res, 'x-request-id') });
  }

  // Resume from what reached the file, not from what was received: bytes still buffered on the way to the
  // file are lost when the transfer fails, and resuming past them would leave a hole of zeros.
  const sink = new FileSink(fh, start, total, o.stallMs, () => res.body.destroy(new NetworkError('ESTALL', url, `no data for ${o.stallMs / 1000}s`)), o.onProgress);
  const onAbort = () => res.body.destroy(new CancelledError());
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await pipeline(res.body, sink);
  } catch (e) {
    if (o.signal?.aborted) throw new CancelledError();
    await sink.settled();
    state.written = sink.pos;
    if (e instanceof NetworkError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOSPC' || err.code === 'EDQUOT') throw new Error(`writing '${fileName}' failed: the disk is full (${err.code})`);
    throw new NetworkError(err.code === 'ERR_STREAM_PREMATURE_CLOSE' ? 'EPREMATURE' : (err.code ?? 'ECONNRESET'), url, `transfer interrupted after ${state.written} bytes (${err.code ?? err.message})`);
  } finally {
    sink.stop();
    o.signal?.removeEventListener('abort', onAbort);
  }
  state.written = sink.pos;
  if (total !== undefined && state.written !== total) {
    throw new NetworkError('EPREMATURE', url, `transfer ended after ${state.written} of ${total} bytes`);
  }
}

/**
 * The one stream stage between the socket and the file: writes batches at explicit positions through a handle it
 * does not own (a retry goes on through the same handle), counts what reached the file, reports progress, and
 * fires `onStall` when nothing arrives for `stallMs`. One stage, not a counting Transform plus a writer: each
 * stage costs per-chunk work on a path that moves gigabytes.
 * (FileHandle.createWriteStream with autoClose off keeps a reference that makes close() wait forever.)
 */
class FileSink extends Writable {
  /** File offset up to which bytes are on disk. */
  pos: number;
  #fh: FileHandle;
  #total: number | undefined;
  #stallMs: number;
  #onStall: () => void;
  #onProgress: ((bytes: number, total: number | undefined) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #inflight: Promise<unknown> = Promise.resolve();

  constructor(fh: FileHandle, start: number, total: number | undefined, stallMs: number, onStall: () => void, onProgress?: (bytes: number, total: number | undefined) => void) {
    super({ highWaterMark: WRITE_BUFFER });
    this.#fh = fh;
    this.pos = start;
    this.#total = total;
    this.#stallMs = stallMs;
    this.#onStall = onStall;
    this.#onProgress = onProgress;
    this.#arm();
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#onStall, this.#stallMs);
    this.#timer.unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  /** Resolves once the write in flight (if any) has finished, so `pos` is final. */
  settled(): Promise<void> {
    return this.#inflight.then(() => undefined, () => undefined);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (error?: Error | null) => void): void {
    this.#arm();
    const bufs = chunks.map((c) => c.chunk);
    let n = 0;
    for (const b of bufs) n += b.length;
    this.#inflight = this.#fh.writev(bufs, this.pos).then(({ bytesWritten }) => {
      if (bytesWritten !== n) return cb(new Error(`short write (${bytesWritten} of ${n} bytes)`));
      this.pos += n;
      this.#onProgress?.(this.pos, this.#total);
      cb();
    }, cb);
  }

  override _final(cb: (error?: Error | null) => void): void {
    this.stop();
    cb();
  }
}
