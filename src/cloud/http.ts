// The one place that speaks HTTP. @actions/http-client gives proxy support (https_proxy, no_proxy) for free;
// everything above this file sees only HttpTransport, so core logic does not depend on it.
import { setMaxListeners } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { HttpClient, getProxyUrl } from '@actions/http-client';
import { redactUrl } from '../core/redact.ts';
import { CancelledError, NetworkError, TimeoutError } from '../core/errors.ts';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, not yet read: consume it or destroy it. */
  body: Readable;
  /** The URL that answered: the one asked for, or where its redirects led (with their own query, maybe signed). */
  url: URL;
}

export interface HttpTransport {
  request(method: string, url: URL, headers: Record<string, string>, body?: string): Promise<HttpResponse>;
  close(): void;
}

export interface TransportOptions {
  userAgent: string;
  socketTimeoutMs: number;
  /**
   * Off for the API: http-client strips only `Authorization` on a cross-host redirect, so an X-Auth-Token
   * would follow. Downloads carry no credentials in headers and may follow redirects.
   */
  followRedirects: boolean;
  /** Told of each request (method and URL without its query) and its status, for debug logging. */
  debug?: (line: string) => void;
  /**
   * The run's end: its 'timeout' (aborted with a TimeoutError) or its cancellation. Every request in flight,
   * headers or body, ends then: an idle timer alone lets a server that trickles a byte a second go on forever.
   */
  signal?: AbortSignal | undefined;
  /** Checks each redirect's target before it is followed (downloads: the link rules). */
  checkRedirect?: (url: URL) => void;
}

type RequestHandler = NonNullable<ConstructorParameters<typeof HttpClient>[1]>[number];

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/** The proxy a request to `url` goes through, host and port only (never its credentials), if any. */
function proxyHost(url: URL): string | undefined {
  try {
    const proxy = getProxyUrl(url.href);
    return proxy ? new URL(proxy).host : undefined;
  } catch {
    return undefined;
  }
}

/** The error a request ends with when the run's signal aborts: the deadline's own, or a cancellation. */
function endedBy(signal: AbortSignal, method: string, url: URL): Error {
  const reason: unknown = signal.reason;
  return reason instanceof TimeoutError ? new TimeoutError(`${reason.message} during ${method} ${redactUrl(url)}`) : new CancelledError();
}

export function createHttpTransport(opts: TransportOptions): HttpTransport {
  // Node aborts a request given a signal (socket and all); bodies already being read are ended first, with the
  // run's own error, so the reader learns why.
  const inner = new AbortController();
  setMaxListeners(1000, inner.signal); // one listener per request in flight
  const reading = new Map<Readable, { method: string; url: URL }>();
  opts.signal?.addEventListener('abort', () => {
    for (const [body, r] of reading) body.destroy(endedBy(opts.signal!, r.method, r.url));
    inner.abort();
  }, { once: true });
  const withSignal: RequestHandler = {
    prepareRequest: (o) => { o.signal = inner.signal; },
    canHandleAuthentication: () => false,
    handleAuthentication: () => Promise.reject(new Error('not used')),
  };
  const client = new HttpClient(opts.userAgent, [withSignal], {
    socketTimeout: opts.socketTimeoutMs,
    // Redirects are followed here, not by http-client: it cannot resolve a relative Location.
    allowRedirects: false,
    allowRetries: false,
    keepAlive: true,
  });

  async function once(method: string, url: URL, headers: Record<string, string>, body: string | undefined): Promise<HttpResponse> {
    if (opts.signal?.aborted) throw endedBy(opts.signal, method, url);
    let res;
    try {
      res = await client.request(method, url.href, body ?? null, headers);
    } catch (e) {
      if (opts.signal?.aborted) throw endedBy(opts.signal, method, url);
      throw toNetworkError(e, url);
    }
    const message = res.message;
    reading.set(message, { method, url });
    // Once the answer is handed over, http-client's socket timeout only ends the socket, which reads as a reset
    // (ECONNRESET 'aborted'): the body is ended here with what happened, nothing came for that long.
    const socket = message.socket;
    const idle = (): void => void message.destroy(new NetworkError('ESTALL', url, `no data for ${opts.socketTimeoutMs / 1000}s`));
    socket?.on('timeout', idle);
    message.once('close', () => { reading.delete(message); socket?.off('timeout', idle); });
    opts.debug?.(`${method} ${redactUrl(url)} -> ${message.statusCode ?? 0}`);
    return { status: message.statusCode ?? 0, headers: message.headers, body: message, url };
  }

  return {
    async request(method, url, headers, body) {
      let current = url;
      for (let hops = 0; ; hops++) {
        const res = await once(method, current, headers, body);
        const location = header(res, 'location');
        if (!opts.followRedirects || !REDIRECTS.has(res.status) || location === undefined) return res;
        res.body.destroy();
        if (hops >= MAX_REDIRECTS) throw new NetworkError('EREDIRECT', url, `more than ${MAX_REDIRECTS} redirects`);
        let next: URL;
        try {
          next = new URL(location, current); // relative to the URL that answered
        } catch {
          throw new NetworkError('EREDIRECT', current, 'a redirect to something that is not a URL');
        }
        if (current.protocol === 'https:' && next.protocol !== 'https:') {
          throw new NetworkError('EREDIRECT', current, 'refused a redirect from https to plain http');
        }
        opts.checkRedirect?.(next);
        current = next;
      }
    },
    close: () => client.dispose(),
  };
}

function toNetworkError(e: unknown, url: URL): Error {
  const err = e as NodeJS.ErrnoException;
  // http-client's own timeout error quotes the request path with its query (the link's signature): drop it.
  if (typeof err?.message === 'string' && err.message.startsWith('Request timeout')) {
    return new NetworkError('ETIMEDOUT', url, 'socket timeout');
  }
  if (typeof err?.message === 'string' && err.message.startsWith('Redirect from HTTPS to HTTP')) {
    return new NetworkError('EREDIRECT', url, 'refused a redirect from https to plain http');
  }
  // tunnel, http-client's agent through https_proxy, ends a CONNECT the proxy refused as ECONNRESET (retried), the
  // proxy's status only in its text. A 4xx is the proxy's decision (its credentials, a host it does not let
  // through), which no retry mends: it fails at once; but 408 and 429 (a proxy timing out or throttling) and a 5xx
  // (the proxy could not reach the host) are retried.
  const refused = typeof err?.message === 'string' ? /^tunneling socket could not be established, statusCode=(4(?!08|29)\d\d)$/.exec(err.message)?.[1] : undefined;
  if (refused !== undefined) {
    const proxy = proxyHost(url);
    const which = proxy ? `the proxy ${proxy}` : 'the proxy';
    if (refused === '407') {
      return new NetworkError('EPROXYAUTH', url, `${which} refused the connection: HTTP 407 Proxy Authentication Required; check the user and password in https_proxy (special characters percent-encoded)`);
    }
    return new NetworkError('EPROXY', url, `${which} refused the connection: HTTP ${refused}${refused === '403' ? ', it does not let this host through' : ''}`);
  }
  return new NetworkError(err?.code ?? 'ENETWORK', url, err?.code ? `${err.code}${err.message && !err.message.includes('?') ? `: ${err.message}` : ''}` : 'network error');
}

/** Reads a body as text, at most `limit` bytes: an endless or huge answer must not fill memory. */
export async function readText(res: HttpResponse, limit: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      chunks.push(chunk.subarray(0, chunk.length - (size - limit)));
      res.body.destroy();
      return { text: Buffer.concat(chunks).toString('utf8'), truncated: true };
    }
    chunks.push(chunk);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated: false };
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Retry-After as seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1_000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
