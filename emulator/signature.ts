// The emulators' verifier of AK/SK (`SDK-HMAC-SHA256`) signatures, as the API Gateway in front of
// RDS and IAM applies it (../shared/notes/otc-rds-api.md, section 4).
//
// Written on purpose WITHOUT src/cloud/auth/signer.ts and with a different structure: it works on what arrives
// on the wire (the raw request-target, node's lower-cased header map, the body bytes) and does its
// percent-decoding and encoding on bytes, where the client signer works on WHATWG URL objects and
// strings. A bug shared by both would otherwise pass every test.
//
// What it checks, in order (the first failure is returned):
//   1. an Authorization header `SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=<64 hex>`;
//   2. the access key is known;
//   3. SignedHeaders is lower case, sorted, without repeats, and includes the required names
//      (host and x-sdk-date unless told otherwise), and every signed header is in the request;
//   4. X-Sdk-Date is `YYYYMMDDTHHMMSSZ` and within 15 minutes (either way) of the emulator's clock;
//   5. the signature, recomputed from the request, equals the one sent (constant-time comparison).
//
// Error codes. Real APIG answers every IAM-authentication failure of an API with HTTP 401 and
// `APIG.0301` ("Incorrect IAM authentication information: ..."), varying only the message: "verify aksk
// signature fail", "Get secretKey failed,ak:...,err:ak not exist", "decrypt token fail" (public APIG FAQ
// "Common Errors Related to IAM Authentication Information", OTC api-gateway docs). APIG.0303 is the
// *app* authentication failure (app key/secret), not what an IAM-authenticated API such as RDS returns, so
// a stale X-Sdk-Date is also APIG.0301 here: the APIG FAQ lists the 15-minute window under "verify aksk
// signature fail". The messages keep the real prefixes and add which check failed (*unsure* whether the
// real gateway says as much). 403 (APIG.0302, "The IAM user is not authorized to access the API") is an
// authorization decision, left to the emulator using this verifier: nothing here returns it.

import type { IncomingHttpHeaders } from 'node:http';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The part of a node:http IncomingMessage the verifier reads. */
export interface SignedRequestView {
  method?: string | undefined;
  /** The raw request-target, e.g. `/v3/p1/instances?limit=1` (IncomingMessage.url). */
  url?: string | undefined;
  headers: IncomingHttpHeaders;
}

export type SignatureCheck =
  | { ok: true; accessKey: string }
  | {
      ok: false;
      status: 401 | 403;
      code: string;
      message: string;
      /** The canonical request the emulator computed, for debugging a mismatch (never sent to clients). */
      canonicalRequest?: string;
    };

export interface VerifyOptions {
  /** The emulator's clock; default: the real one. */
  now?: Date;
  /** Names SignedHeaders must include; default host and x-sdk-date. */
  requiredSignedHeaders?: readonly string[];
}

/** How far X-Sdk-Date may be from the server's clock, either way. */
export const MAX_SDK_DATE_SKEW_MS = 15 * 60 * 1000;
export const IAM_AUTH_FAILED = 'APIG.0301';
const PREFIX = 'Incorrect IAM authentication information: ';
const DEFAULT_REQUIRED: readonly string[] = ['host', 'x-sdk-date'];

type Failure = Extract<SignatureCheck, { ok: false }>;

function fail(detail: string, canonicalRequest?: string): Failure {
  const failure: Failure = { ok: false, status: 401, code: IAM_AUTH_FAILED, message: PREFIX + detail };
  if (canonicalRequest !== undefined) failure.canonicalRequest = canonicalRequest;
  return failure;
}

/** The APIG error body for a failed check: `{error_msg, error_code, request_id}`. */
export function apigErrorBody(failure: { code: string; message: string }, requestId: string) {
  return { error_msg: failure.message, error_code: failure.code, request_id: requestId };
}

interface ParsedAuthorization {
  access: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(value: string): ParsedAuthorization | string {
  const scheme = 'SDK-HMAC-SHA256 ';
  if (!value.startsWith(scheme)) return 'Authorization is not SDK-HMAC-SHA256';
  const fields = new Map<string, string>();
  for (const part of value.slice(scheme.length).split(',')) {
    const item = part.trim();
    const eq = item.indexOf('=');
    if (eq <= 0) return `Authorization has a malformed field "${item}"`;
    const name = item.slice(0, eq);
    if (fields.has(name)) return `Authorization repeats ${name}`;
    fields.set(name, item.slice(eq + 1));
  }
  const access = fields.get('Access');
  const signed = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!access || !signed || signature === undefined || fields.size !== 3) {
    return 'Authorization must have exactly Access, SignedHeaders and Signature';
  }
  return { access, signedHeaders: signed.split(';'), signature };
}

function checkSignedHeaderList(names: string[], required: readonly string[]): string | undefined {
  for (let i = 0; i < names.length; i++) {
    const name = names[i] ?? '';
    if (name === '' || name !== name.toLowerCase()) return `SignedHeaders has an empty or upper-case name "${name}"`;
    const previous = names[i - 1];
    if (previous !== undefined && !(previous < name)) return 'SignedHeaders is not sorted or repeats a name';
  }
  for (const name of required) {
    if (!names.includes(name)) return `SignedHeaders does not include ${name}`;
  }
  return undefined;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(',') : value;
}

/** Parses `YYYYMMDDTHHMMSSZ` strictly; undefined when malformed or not a real date. */
function parseSdkDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(ms);
  const same =
    back.getUTCFullYear() === year &&
    back.getUTCMonth() === month - 1 &&
    back.getUTCDate() === day &&
    back.getUTCHours() === hour &&
    back.getUTCMinutes() === minute &&
    back.getUTCSeconds() === second;
  return same ? ms : undefined;
}

const HEX = '0123456789ABCDEF';

function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    byte === 0x2d || byte === 0x5f || byte === 0x2e || byte === 0x7e // - _ . ~
  );
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  return -1;
}

/** Percent-decodes raw wire text to bytes; `%` not followed by two hex digits stays a literal `%`. */
function percentDecode(raw: string, plusIsSpace: boolean): Buffer {
  const input = Buffer.from(raw, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const byte = input[i] as number;
    if (byte === 0x25) {
      const hi = hexValue(input[i + 1]);
      const lo = hexValue(input[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out.push(plusIsSpace && byte === 0x2b ? 0x20 : byte);
  }
  return Buffer.from(out);
}

/** Encodes bytes keeping only A-Za-z0-9-_.~, upper-case hex otherwise. */
function percentEncode(bytes: Buffer): string {
  let out = '';
  for (const byte of bytes) {
    out += isUnreserved(byte) ? String.fromCharCode(byte) : '%' + HEX[byte >> 4] + HEX[byte & 15];
  }
  return out;
}

function splitTarget(target: string): { path: string; query: string } {
  // Absolute-form (a proxy request) carries scheme and authority before the path.
  const originForm = target.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/, '') || '/';
  const q = originForm.indexOf('?');
  return q < 0 ? { path: originForm, query: '' } : { path: originForm.slice(0, q), query: originForm.slice(q + 1) };
}

function canonicalPath(path: string): string {
  let out = '';
  let segmentStart = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i === path.length || path[i] === '/') {
      out += percentEncode(percentDecode(path.slice(segmentStart, i), false));
      if (i < path.length) out += '/';
      segmentStart = i + 1;
    }
  }
  return out.endsWith('/') ? out : out + '/';
}

function canonicalQuery(query: string): string {
  const pairs: Array<{ key: Buffer; value: Buffer }> = [];
  for (const piece of query.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const rawKey = eq < 0 ? piece : piece.slice(0, eq);
    const rawValue = eq < 0 ? '' : piece.slice(eq + 1);
    pairs.push({ key: percentDecode(rawKey, true), value: percentDecode(rawValue, true) });
  }
  pairs.sort((a, b) => Buffer.compare(a.key, b.key) || Buffer.compare(a.value, b.value));
  return pairs.map((p) => `${percentEncode(p.key)}=${percentEncode(p.value)}`).join('&');
}

/**
 * Verifies the AK/SK signature of an incoming request. `body` is the raw body exactly as received;
 * `secretKeys` maps access key to secret key.
 */
export function verifySignature(
  req: SignedRequestView,
  body: Buffer,
  secretKeys: ReadonlyMap<string, string>,
  options: VerifyOptions = {},
): SignatureCheck {
  const authorization = headerValue(req.headers, 'authorization');
  if (authorization === undefined) return fail('Authorization header not found');
  const parsed = parseAuthorization(authorization);
  if (typeof parsed === 'string') return fail(parsed);

  const secretKey = secretKeys.get(parsed.access);
  if (secretKey === undefined) return fail(`Get secretKey failed,ak:${parsed.access},err:ak not exist`);

  const listProblem = checkSignedHeaderList(parsed.signedHeaders, options.requiredSignedHeaders ?? DEFAULT_REQUIRED);
  if (listProblem !== undefined) return fail(`verify aksk signature fail, ${listProblem}`);
  const headerLines: string[] = [];
  for (const name of parsed.signedHeaders) {
    const value = headerValue(req.headers, name);
    if (value === undefined) return fail(`verify aksk signature fail, signed header ${name} is not in the request`);
    headerLines.push(`${name}:${value.trim()}\n`);
  }

  const sdkDate = (headerValue(req.headers, 'x-sdk-date') ?? '').trim();
  const signedAt = parseSdkDate(sdkDate);
  if (signedAt === undefined) return fail(`verify aksk signature fail, x-sdk-date "${sdkDate}" is not YYYYMMDDTHHMMSSZ`);
  const now = (options.now ?? new Date()).getTime();
  if (Math.abs(now - signedAt) > MAX_SDK_DATE_SKEW_MS) {
    return fail(`verify aksk signature fail, x-sdk-date ${sdkDate} is more than 15 minutes from the server time`);
  }

  const { path, query } = splitTarget(req.url ?? '/');
  const canonical =
    `${(req.method ?? 'GET').toUpperCase()}\n${canonicalPath(path)}\n${canonicalQuery(query)}\n` +
    `${headerLines.join('')}\n${parsed.signedHeaders.join(';')}\n` +
    createHash('sha256').update(body).digest('hex');
  const digest = createHash('sha256').update(canonical).digest('hex');
  const expected = createHmac('sha256', secretKey)
    .update(`SDK-HMAC-SHA256\n${sdkDate}\n${digest}`)
    .digest();
  const sent = /^[0-9a-f]{64}$/.test(parsed.signature) ? Buffer.from(parsed.signature, 'hex') : Buffer.alloc(0);
  if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
    return fail('verify aksk signature fail', canonical);
  }
  return { ok: true, accessKey: parsed.access };
}
