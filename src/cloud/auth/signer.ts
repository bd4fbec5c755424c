// AK/SK request signing for Open Telekom Cloud / Huawei Cloud APIs: the `SDK-HMAC-SHA256` scheme of the
// API Gateway (see ../shared/notes/otc-rds-api.md, section 4). A pure function of the request, the
// credentials and the clock; node:crypto only.
//
// Which headers are signed (signRequest):
// - always `host` (the request's Host header when the caller set one, otherwise `url.host`, which is what
//   node:http and fetch send: the port only when it is not the scheme's default) and `x-sdk-date`;
// - plus, when present in `req.headers`: `content-type`, `x-project-id`, `x-security-token`.
// Nothing else: transport headers (user-agent, content-length, connection, ...) are left out on purpose,
// because a proxy or the HTTP client may add or rewrite them after signing. The caller sets X-Project-Id
// and, with temporary credentials, X-Security-Token BEFORE calling signRequest so that they are signed.
//
// Canonical form (what canonicalRequest builds):
//   METHOD \n URI \n QUERY \n HEADERS \n SIGNED \n hex(sha256(body))
// - URI: every path segment percent-decoded, then percent-encoded keeping only A-Za-z0-9-_.~ (UTF-8 bytes),
//   segments joined by "/", always ending in "/".
// - QUERY: the URL's query parsed as application/x-www-form-urlencoded ("+" is a space, as a server
//   reading the query sees it), each key and value encoded with the same set as the path (space -> %20),
//   pairs sorted by key then value (UTF-8 byte order), repeated keys kept, "k=v" joined by "&"; a key
//   without "=" signs as "k=". Empty when there is no query.
// - HEADERS: "name:trimmed value\n" per signed header, names lower case, sorted; SIGNED: names joined by ";".
// Percent-escapes in the URL must decode to valid UTF-8 (anything else could not be re-encoded the way a
// byte-oriented server does): such a URL is refused with a TypeError instead of being signed wrongly.

import { createHash, createHmac } from 'node:crypto';

const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';

export interface SignableRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string | Buffer;
}

export interface AkSkCredentials {
  accessKey: string;
  secretKey: string;
}

/** Headers signed in addition to host and x-sdk-date when the caller has set them. */
const OPTIONAL_SIGNED_HEADERS = ['content-type', 'x-project-id', 'x-security-token'] as const;

/** `YYYYMMDDTHHMMSSZ` in UTC, the X-Sdk-Date format. */
export function formatSdkDate(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('signRequest: invalid date');
  // 2006-01-02T15:04:05.000Z -> 20060102T150405Z
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** Percent-encodes a string's UTF-8 bytes, keeping only A-Za-z0-9-_.~ (so space is %20, "/" is %2F). */
function encodeStrict(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** Decodes every run of %XX escapes; a lone "%" not followed by two hex digits stays literal. */
function decodePercent(text: string, what: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      throw new TypeError(`signRequest: the ${what} has percent-escapes that are not UTF-8 (${run}); refusing to sign`);
    }
  });
}

/** The canonical URI: each segment re-encoded with the strict set, always ending in "/". */
export function canonicalUri(url: URL): string {
  const encoded = url.pathname
    .split('/')
    .map((segment) => encodeStrict(decodePercent(segment, 'path')))
    .join('/');
  return encoded.endsWith('/') ? encoded : encoded + '/';
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The canonical query string: pairs sorted by key then value, both strictly encoded, repeats kept. */
export function canonicalQueryString(url: URL): string {
  // Validate the raw escapes first: URLSearchParams would silently turn bad UTF-8 into U+FFFD.
  decodePercent(url.search, 'query');
  const pairs = [...url.searchParams];
  pairs.sort(([ka, va], [kb, vb]) => compareUtf8(ka, kb) || compareUtf8(va, vb));
  return pairs.map(([key, value]) => `${encodeStrict(key)}=${encodeStrict(value)}`).join('&');
}

/** Lower-cased header map; throws when two names differ only by case (which value would be sent?). */
function lowerCaseHeaders(headers: Record<string, string>): Map<string, string> {
  const lower = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (lower.has(key)) throw new TypeError(`signRequest: header ${key} is given twice (names differing by case)`);
    lower.set(key, value);
  }
  return lower;
}

function normaliseSignedHeaders(signedHeaders: readonly string[]): string[] {
  const names = [...new Set(signedHeaders.map((name) => name.toLowerCase()))];
  if (names.length === 0) throw new TypeError('canonicalRequest: no signed headers');
  return names.sort();
}

/**
 * The canonical request for `req` signing exactly `signedHeaders` (any case; sorted and lower-cased here).
 * Header values come from `req.headers`; `host`, when signed and not among the headers, is `req.url.host`.
 * Throws when a signed header has no value.
 */
export function canonicalRequest(req: SignableRequest, signedHeaders: readonly string[]): string {
  const headers = lowerCaseHeaders(req.headers);
  const names = normaliseSignedHeaders(signedHeaders);
  const headerLines = names.map((name) => {
    const value = headers.get(name) ?? (name === 'host' ? req.url.host : undefined);
    if (value === undefined) throw new TypeError(`canonicalRequest: signed header ${name} is not in the request`);
    return `${name}:${value.trim()}\n`;
  });
  const bodyHash = createHash('sha256').update(req.body).digest('hex');
  return [
    req.method.toUpperCase(),
    canonicalUri(req.url),
    canonicalQueryString(req.url),
    headerLines.join(''),
    names.join(';'),
    bodyHash,
  ].join('\n');
}

/** `SDK-HMAC-SHA256\n{X-Sdk-Date}\n{hex(sha256(canonical request))}`. */
export function stringToSign(canonical: string, sdkDate: string): string {
  return `${SIGNING_ALGORITHM}\n${sdkDate}\n${createHash('sha256').update(canonical, 'utf8').digest('hex')}`;
}

/**
 * The Authorization header value for `req` signing exactly `signedHeaders`. The date is the request's own
 * X-Sdk-Date header, which must be present. Exposed so tests can reproduce signatures that sign a
 * different header set than signRequest picks (the public vectors sign x-sdk-date only).
 */
export function authorizationHeader(
  req: SignableRequest,
  creds: AkSkCredentials,
  signedHeaders: readonly string[],
): string {
  const sdkDate = lowerCaseHeaders(req.headers).get('x-sdk-date');
  if (sdkDate === undefined) throw new TypeError('authorizationHeader: the request has no X-Sdk-Date header');
  const toSign = stringToSign(canonicalRequest(req, signedHeaders), sdkDate.trim());
  const signature = createHmac('sha256', creds.secretKey).update(toSign, 'utf8').digest('hex');
  const names = normaliseSignedHeaders(signedHeaders).join(';');
  return `${SIGNING_ALGORITHM} Access=${creds.accessKey}, SignedHeaders=${names}, Signature=${signature}`;
}

/**
 * Signs `req` at time `now`. Returns the headers to add: `X-Sdk-Date` and `Authorization`.
 * `req.headers` must not already carry either (a stale date or signature would travel next to the new one);
 * the body must be the exact bytes that will be sent.
 */
export function signRequest(
  req: SignableRequest,
  creds: AkSkCredentials,
  now: Date,
): Record<string, string> {
  if (!creds.accessKey || !creds.secretKey) throw new TypeError('signRequest: access key and secret key are required');
  const existing = lowerCaseHeaders(req.headers);
  for (const name of ['authorization', 'x-sdk-date']) {
    if (existing.has(name)) throw new TypeError(`signRequest: the request already has a ${name} header`);
  }
  const sdkDate = formatSdkDate(now);
  const signed = ['host', 'x-sdk-date', ...OPTIONAL_SIGNED_HEADERS.filter((name) => existing.has(name))];
  const dated: SignableRequest = { ...req, headers: { ...req.headers, 'X-Sdk-Date': sdkDate } };
  return { 'X-Sdk-Date': sdkDate, Authorization: authorizationHeader(dated, creds, signed) };
}
