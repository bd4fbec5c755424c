// The one place that speaks HTTP. @actions/http-client gives proxy support (https_proxy, no_proxy) for free;
// everything above this file sees only HttpTransport, so core logic does not depend on it.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { HttpClient } from '@actions/http-client';
import { redactUrl } from '../core/redact.ts';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, not yet read: consume it or destroy it. */
  body: Readable;
}

export interface HttpTransport {
  request(method: string, url: URL, headers: Record<string, string>, body?: string): Promise<HttpResponse>;
  close(): void;
}

/** A failure below HTTP: connection refused or reset, DNS, socket timeout. Its message never holds a query string. */
export class NetworkError extends Error {
  readonly code: string;
  constructor(code: string, url: URL, detail?: string) {
    super(`${detail ?? code} (${redactUrl(url)})`);
    this.name = 'NetworkError';
    this.code = code;
  }
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
}

export function createHttpTransport(opts: TransportOptions): HttpTransport {
  const client = new HttpClient(opts.userAgent, [], {
    socketTimeout: opts.socketTimeoutMs,
    allowRedirects: opts.followRedirects,
    allowRedirectDowngrade: false,
    allowRetries: false,
    keepAlive: true,
  });
  return {
    async request(method, url, headers, body) {
      try {
        const res = await client.request(method, url.href, body ?? null, headers);
        opts.debug?.(`${method} ${redactUrl(url)} -> ${res.message.statusCode ?? 0}`);
        return { status: res.message.statusCode ?? 0, headers: res.message.headers, body: res.message };
      } catch (e) {
        throw toNetworkError(e, url);
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
