// URL rules shared by the inputs, the API clients and the downloader; pure, no I/O.

/** 127.0.0.0/8, ::1 or localhost: the only hosts plain http (and the emulator) may use. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** `path` under a base URL that may have a path of its own (no trailing slash needed). */
export function apiUrl(base: URL, path: string): URL {
  return new URL(`${base.href.replace(/\/+$/, '')}${path}`);
}
