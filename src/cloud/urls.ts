// URL rules shared by the inputs, the API clients and the downloader; pure, no I/O.
import { ResponseError } from '../core/errors.ts';

/** 127.0.0.0/8, ::1 or localhost: the only hosts plain http (and the emulator) may use. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Where a host is, as far as its name or address tells: what decides which links the action may fetch. */
export type HostKind = 'loopback' | 'link-local' | 'private' | 'public';

/**
 * The kind of a URL's hostname (WHATWG-normalised: IPv4 in dotted decimal, IPv6 in brackets). Link-local covers
 * the cloud metadata services (169.254.169.254, fd00:ec2::254, 100.100.100.200); private covers 10/8,
 * 172.16/12, 192.168/16, 100.64/10 (shared), fc00::/7 and 0.0.0.0. A name other than localhost is public:
 * what it resolves to is not known here.
 */
export function hostKind(host: string): HostKind {
  let h = host.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h) ?? /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h);
  if (mapped) h = mapped.length === 2 ? mapped[1]! : [parseInt(mapped[1]!, 16) >> 8, parseInt(mapped[1]!, 16) & 255, parseInt(mapped[2]!, 16) >> 8, parseInt(mapped[2]!, 16) & 255].join('.');
  if (isLoopbackHost(h) || h.endsWith('.localhost')) return 'loopback';
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h)?.slice(1).map(Number);
  if (v4) {
    const [a, b] = v4 as [number, number];
    if (a === 169 && b === 254) return 'link-local';
    if (a === 100 && b === 100 && v4[2] === 100 && v4[3] === 200) return 'link-local';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || a === 0) return 'private';
    return 'public';
  }
  if (h.includes(':')) {
    if (/^fe[89ab][0-9a-f]?:/.test(h) || h === 'fd00:ec2::254') return 'link-local';
    if (/^f[cd][0-9a-f]{0,2}:/.test(h) || h === '::') return 'private';
  }
  return 'public';
}

/** `path` under a base URL that may have a path of its own (no trailing slash needed). */
export function apiUrl(base: URL, path: string): URL {
  return new URL(`${base.href.replace(/\/+$/, '')}${path}`);
}

/**
 * What OTC project and instance ids are made of, and so all that may go into a URL path segment: `..` or `%2F`
 * from an answer would move the request elsewhere (`new URL` folds dot segments even when encoded).
 */
export const CLOUD_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** An id a cloud answer gave, checked before it goes into a path; what else it is named in the error. */
export function cloudId(value: string, what: string, requestId?: string): string {
  if (CLOUD_ID.test(value)) return value;
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  throw new ResponseError(`${what}: ${JSON.stringify(shown)} is not an id (1 to 64 letters, digits, '-' and '_')`, { requestId });
}
