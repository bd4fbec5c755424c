// Pre-signed download links carry their signature in the query string: a URL is only ever shown without it.

export function redactUrl(u: URL | string): string {
  let url: URL;
  try {
    url = typeof u === 'string' ? new URL(u) : u;
  } catch {
    return '<unparseable link>';
  }
  const base = `${url.protocol}//${url.host}${url.pathname}`;
  return url.search ? `${base}?<redacted>` : base;
}

/**
 * The values of a link's query parameters that sign or authorise it (signature, security token, credential):
 * decoded, and `raw` as written (`%2f` is not what encodeURIComponent writes, `%2F`, so a redaction needs both).
 */
export function linkSecrets(link: string): Array<{ value: string; raw: string }> {
  const q = link.indexOf('?');
  if (q < 0) return [];
  const out: Array<{ value: string; raw: string }> = [];
  for (const part of link.slice(q + 1).split('&')) {
    const eq = part.indexOf('=');
    if (eq < 0 || !/signature|^sig$|token|credential/i.test(part.slice(0, eq))) continue;
    const raw = part.slice(eq + 1);
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      // not percent-encoded
    }
    out.push({ value, raw });
  }
  return out;
}

/**
 * Known secret strings, replaced wherever text leaves the process (error messages, summary, outputs). Indexed by
 * their first characters, so a megabyte of summary against thousands of link signatures is one pass, not one
 * search per secret.
 */
export class Redactor {
  #secrets = new Set<string>();
  /** First PREFIX characters -> the secrets that start so, longest first. */
  #byPrefix = new Map<string, string[]>();
  /** Lists to sort, longest first, before the next use. */
  #unsorted = new Set<string>();

  add(secret: string | undefined): void {
    // Very short values would redact ordinary words; they are not credentials anyway.
    if (!secret || secret.length < MIN_LENGTH) return;
    // As it may also appear in a URL or a header: percent-encoded, and base64; and with its escapes in upper case,
    // to match a text whose escapes are (see redact).
    for (const form of [secret, upperEscapes(secret), encodeURIComponent(secret), Buffer.from(secret).toString('base64')]) {
      if (this.#secrets.has(form)) continue;
      this.#secrets.add(form);
      const key = form.slice(0, PREFIX);
      const list = this.#byPrefix.get(key);
      if (list) list.push(form);
      else this.#byPrefix.set(key, [form]);
      this.#unsorted.add(key);
    }
  }

  redact(text: string): string {
    if (this.#secrets.size === 0) return text;
    for (const key of this.#unsorted) this.#byPrefix.get(key)!.sort((a, b) => b.length - a.length);
    this.#unsorted.clear();
    // Matched on the text as it is, and on the text with its escapes in upper case (`%2b` as `%2B`, as a host may
    // echo them; the same length, so what is found there is cut from the text itself). Both: a bare `%` before
    // a secret (`LIKE '%deadbeef...'`) reads as an escape in the second.
    const seen = upperEscapes(text);
    const at = (t: string, i: number): string | undefined => this.#byPrefix.get(t.slice(i, i + PREFIX))?.find((s) => t.startsWith(s, i));
    let out = '';
    let last = 0;
    for (let i = 0; i + MIN_LENGTH <= text.length;) {
      const found = at(text, i) ?? (seen === text ? undefined : at(seen, i));
      if (found === undefined) {
        i++;
        continue;
      }
      out += `${text.slice(last, i)}***`;
      i += found.length;
      last = i;
    }
    return last === 0 ? text : out + text.slice(last);
  }
}

const MIN_LENGTH = 6;
const PREFIX = 4;

/** `s` with its percent-escapes' hex digits in upper case (the same length). */
function upperEscapes(s: string): string {
  return s.includes('%') ? s.replace(/%[0-9a-f]{2}/gi, (e) => e.toUpperCase()) : s;
}

/**
 * `value` with every string in it redacted (objects and arrays walked, Dates and other values kept). For what the
 * logs said, before anything renders it: a summary escapes text (`_` becomes `\_`) and annotations cut it, and
 * either would hide a secret from a redaction of the finished text.
 */
export function redactDeep<T>(value: T, redact: (text: string) => string): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, redact)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, redact)])) as T;
  }
  return value;
}
