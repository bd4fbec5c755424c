// Streams one pre-signed link to disk: never the whole file in memory, never a short file reported as complete.
import { constants } from 'node:fs';
import { link, open, unlink, type FileHandle } from 'node:fs/promises';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CancelledError, ResponseError } from './errors.ts';
import { header, NetworkError, readText, type HttpTransport } from './http.ts';
import { isLoopbackHost } from './inputs.ts';
import { redactUrl } from './redact.ts';
import { ApiError } from './errors.ts';
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

const WRITE_BUFFER = 256 * 1024;

/**
 * Downloads `url` to `partPath` (created exclusively, never through a symlink), resuming with Range after an
 * interruption, then links it to `finalPath` only once complete. On any failure the part file is removed.
 */
export async function downloadFile(fileName: string, url: URL, partPath: string, finalPath: string, o: DownloadOptions): Promise<Downloaded> {
  const fh = await open(partPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  let done = false;
  let attempts = 0;
  try {
    const state = { written: 0 };
    await withRetry(`download ${fileName}`, async () => {
      attempts++;
      await transferOnce(fileName, url, fh, state, o);
    }, { ...o.retry, signal: o.signal });
    await fh.sync();
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

  const counter = new ByteCounter(start, total, o.stallMs, () => res.body.destroy(new NetworkError('ESTALL', url, `no data for ${o.stallMs / 1000}s`)), o.onProgress);
  const onAbort = () => res.body.destroy(new CancelledError());
  o.signal?.addEventListener('abort', onAbort, { once: true });
  // Resume from what reached the file, not from what was received: bytes still buffered between the counter
  // and the file are lost when the pipeline fails, and resuming past them left a hole of zeros.
  const disk = { pos: start, inflight: Promise.resolve() as Promise<unknown> };
  const sink = fhWriteStream(fh, disk);
  try {
    await pipeline(res.body, counter, sink);
  } catch (e) {
    if (o.signal?.aborted) throw new CancelledError();
    await disk.inflight.catch(() => {});
    state.written = disk.pos;
    if (e instanceof NetworkError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOSPC' || err.code === 'EDQUOT') throw new Error(`writing '${fileName}' failed: the disk is full (${err.code})`);
    throw new NetworkError(err.code === 'ERR_STREAM_PREMATURE_CLOSE' ? 'EPREMATURE' : (err.code ?? 'ECONNRESET'), url, `transfer interrupted after ${state.written} bytes (${err.code ?? err.message})`);
  } finally {
    counter.stop();
    o.signal?.removeEventListener('abort', onAbort);
  }
  state.written = disk.pos;
  if (total !== undefined && state.written !== total) {
    throw new NetworkError('EPREMATURE', url, `transfer ended after ${state.written} of ${total} bytes`);
  }
}

/**
 * Writes at explicit positions through a handle it does not own: a retry goes on through the same handle.
 * (FileHandle.createWriteStream with autoClose off keeps a reference that makes close() wait forever.)
 */
function fhWriteStream(fh: FileHandle, disk: { pos: number; inflight: Promise<unknown> }): Writable {
  return new Writable({
    highWaterMark: WRITE_BUFFER,
    writev(chunks, cb) {
      const bufs = chunks.map((c) => c.chunk as Buffer);
      const n = bufs.reduce((a, b) => a + b.length, 0);
      disk.inflight = fh.writev(bufs, disk.pos).then(({ bytesWritten }) => {
        if (bytesWritten !== n) return cb(new Error(`short write (${bytesWritten} of ${n} bytes)`));
        disk.pos += n;
        cb();
      }, cb);
    },
  });
}

/** Counts bytes, reports progress, and fires `onStall` when no chunk arrives for `stallMs`. */
class ByteCounter extends Transform {
  received = 0;
  #start: number;
  #total: number | undefined;
  #stallMs: number;
  #onStall: () => void;
  #onProgress: ((bytes: number, total: number | undefined) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(start: number, total: number | undefined, stallMs: number, onStall: () => void, onProgress?: (bytes: number, total: number | undefined) => void) {
    super({ highWaterMark: WRITE_BUFFER });
    this.#start = start;
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

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.received += chunk.length;
    this.#arm();
    this.#onProgress?.(this.#start + this.received, this.#total);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.stop();
    cb();
  }
}
