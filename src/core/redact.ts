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

/** Known secret strings, replaced wherever text leaves the process (error messages, summary, outputs). */
export class Redactor {
  #secrets = new Set<string>();

  add(secret: string | undefined): void {
    // Very short values would redact ordinary words; they are not credentials anyway.
    if (secret && secret.length >= 6) this.#secrets.add(secret);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.#secrets) if (out.includes(s)) out = out.split(s).join('***');
    return out;
  }
}
