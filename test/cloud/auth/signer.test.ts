import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  authorizationHeader,
  canonicalQueryString,
  canonicalRequest,
  canonicalUri,
  formatSdkDate,
  signRequest,
  stringToSign,
} from '../../../src/cloud/auth/signer.ts';
import type { SignableRequest } from '../../../src/cloud/auth/signer.ts';

// Public test vectors: huaweicloud-sdk-go-v3, core/auth/signer/signer_test.go (quoted in
// ../shared/notes/otc-rds-api.md, section 4). They sign x-sdk-date only, hence authorizationHeader()
// with an explicit header list rather than signRequest(), which always signs host as well.
const VECTOR_CREDS = { accessKey: 'AccessKey', secretKey: 'SecretKey' };
const VECTOR_DATE = '20060102T150405Z';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
// sha256 of {"Name":"test","Id":1}\n (Go's json.Encoder ends the body with a newline)
const POST_BODY_SHA256 = 'a29d7b4c5efd1a22011d69fd7b7aee76fe51e4083c609244228de258afd61289';

function vectorGet(): SignableRequest {
  return {
    method: 'GET',
    url: new URL('https://example.huaweicloud.com/path?limit=1'),
    headers: { 'X-Sdk-Date': VECTOR_DATE },
    body: '',
  };
}

function vectorPost(): SignableRequest {
  return {
    method: 'POST',
    url: new URL('https://example.huaweicloud.com/path?key=value'),
    // The Go test sends Content-Type too, unsigned: the vector's SignedHeaders is x-sdk-date only.
    headers: { 'X-Sdk-Date': VECTOR_DATE, 'Content-Type': 'application/json' },
    body: '{"Name":"test","Id":1}\n',
  };
}

test('GET vector: canonical request and string to sign match the SDK test exactly', () => {
  const canonical = canonicalRequest(vectorGet(), ['x-sdk-date']);
  assert.equal(canonical, `GET\n/path/\nlimit=1\nx-sdk-date:${VECTOR_DATE}\n\nx-sdk-date\n${EMPTY_SHA256}`);
  assert.equal(
    stringToSign(canonical, VECTOR_DATE),
    `SDK-HMAC-SHA256\n${VECTOR_DATE}\n85c3b7730f308aee452b16138a42a914397e43a8f0d732dfa521c0ef2afa98a4`,
  );
});

test('GET vector: Authorization matches the SDK test exactly', () => {
  assert.equal(
    authorizationHeader(vectorGet(), VECTOR_CREDS, ['x-sdk-date']),
    'SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, ' +
      'Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624',
  );
});

test('POST vector: canonical request and Authorization match the SDK test exactly', () => {
  assert.equal(
    canonicalRequest(vectorPost(), ['x-sdk-date']),
    `POST\n/path/\nkey=value\nx-sdk-date:${VECTOR_DATE}\n\nx-sdk-date\n${POST_BODY_SHA256}`,
  );
  assert.equal(
    authorizationHeader(vectorPost(), VECTOR_CREDS, ['x-sdk-date']),
    'SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, ' +
      'Signature=cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59',
  );
  // The same bytes as a Buffer sign the same.
  const asBuffer = { ...vectorPost(), body: Buffer.from('{"Name":"test","Id":1}\n') };
  assert.equal(
    authorizationHeader(asBuffer, VECTOR_CREDS, ['x-sdk-date']),
    authorizationHeader(vectorPost(), VECTOR_CREDS, ['x-sdk-date']),
  );
});

test('canonical query vector: sorted, repeated keys kept, strict encoding with %20', () => {
  const url = new URL('https://example.huaweicloud.com/');
  url.searchParams.append('limit', '1');
  url.searchParams.append('enable', 'true');
  url.searchParams.append('test', '一 (&=?!#%.*)');
  url.searchParams.append('path', '/tmp/123');
  for (const n of ['1', '2', '3']) url.searchParams.append('multi', n);
  assert.equal(
    canonicalQueryString(url),
    'enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29',
  );
});

test('canonical query: sorts by key then value, reads + as space, keeps bare keys, empty without query', () => {
  assert.equal(canonicalQueryString(new URL('https://h/p?b=2&a=z&a=y&c')), 'a=y&a=z&b=2&c=');
  assert.equal(canonicalQueryString(new URL('https://h/p?q=a+b&r=a%20b&s=%2B0800')), 'q=a%20b&r=a%20b&s=%2B0800');
  assert.equal(canonicalQueryString(new URL('https://h/p')), '');
  assert.equal(canonicalQueryString(new URL('https://h/p?')), '');
  // Keys are not case-folded: upper case sorts before lower case (byte order).
  assert.equal(canonicalQueryString(new URL('https://h/p?b=1&B=2&a=3')), 'B=2&a=3&b=1');
});

test('canonical URI: each segment strictly re-encoded, always ending in /', () => {
  assert.equal(canonicalUri(new URL('https://h')), '/');
  assert.equal(canonicalUri(new URL('https://h/')), '/');
  assert.equal(canonicalUri(new URL('https://h/v3/p1/instances')), '/v3/p1/instances/');
  assert.equal(canonicalUri(new URL('https://h/v3/p1/instances/')), '/v3/p1/instances/');
  assert.equal(canonicalUri(new URL('https://h/a b/ü/%7E/x:y@z/a%2Fb')), '/a%20b/%C3%BC/~/x%3Ay%40z/a%2Fb/');
  assert.equal(canonicalUri(new URL("https://h/it's(1)*!")), '/it%27s%281%29%2A%21/');
  assert.equal(canonicalUri(new URL('https://h/a//b')), '/a//b/');
  // A lone % that is no escape is a literal percent sign.
  assert.equal(canonicalUri(new URL('https://h/100%/x')), '/100%25/x/');
});

test('URLs whose escapes are not UTF-8 are refused rather than signed wrongly', () => {
  const creds = { accessKey: 'AK', secretKey: 'SK' };
  const base = { method: 'GET', headers: {}, body: '' };
  assert.throws(() => signRequest({ ...base, url: new URL('https://h/a%FFb') }, creds, new Date()), TypeError);
  assert.throws(() => signRequest({ ...base, url: new URL('https://h/a?x=%C3') }, creds, new Date()), TypeError);
});

test('formatSdkDate is UTC YYYYMMDDTHHMMSSZ', () => {
  assert.equal(formatSdkDate(new Date('2006-01-02T15:04:05.999Z')), '20060102T150405Z');
  assert.equal(formatSdkDate(new Date('2024-12-31T23:59:59+02:00')), '20241231T215959Z');
  assert.throws(() => formatSdkDate(new Date('nonsense')), RangeError);
});

// Golden values for signRequest (which signs host and the optional headers too). The expected signatures
// were computed outside this code base: a 10-line Python script (hashlib/hmac) hashing the canonical
// request literals written out below, so a shared mistake cannot hide here.
const NOW = new Date('2024-05-06T07:08:09.123Z');
const CREDS = { accessKey: 'AK-example', secretKey: 'SK-example' };

test('signRequest: signs host, x-sdk-date and the present optional headers (golden)', () => {
  const req: SignableRequest = {
    method: 'post',
    url: new URL('https://rds.eu-de.otc.t-systems.com/v3/0123abcd/instances/inst-1/errorlog-download'),
    headers: { 'Content-Type': 'application/json', 'X-Project-Id': '0123abcd', 'User-Agent': 'not-signed/1.0' },
    body: '',
  };
  assert.equal(
    canonicalRequest({ ...req, headers: { ...req.headers, 'X-Sdk-Date': '20240506T070809Z' } }, [
      'x-sdk-date',
      'host',
      'X-Project-Id',
      'content-type',
    ]),
    'POST\n/v3/0123abcd/instances/inst-1/errorlog-download/\n\ncontent-type:application/json\n' +
      'host:rds.eu-de.otc.t-systems.com\nx-project-id:0123abcd\nx-sdk-date:20240506T070809Z\n\n' +
      `content-type;host;x-project-id;x-sdk-date\n${EMPTY_SHA256}`,
  );
  assert.deepEqual(signRequest(req, CREDS, NOW), {
    'X-Sdk-Date': '20240506T070809Z',
    Authorization:
      'SDK-HMAC-SHA256 Access=AK-example, SignedHeaders=content-type;host;x-project-id;x-sdk-date, ' +
      'Signature=68f4091ce3063ffd4138b546ebf897eaadbe8533c4fedef95727f38799e01049',
  });
});

test('signRequest: query encoding, non-default port in host, trimmed security token (golden)', () => {
  const url = new URL('http://127.0.0.1:8443/v3/p1/errorlog');
  url.searchParams.set('start_date', '2024-05-01T00:00:00+0800');
  url.searchParams.set('level', 'ERROR');
  url.searchParams.set('end_date', '2024-05-06T00:00:00+0800');
  const req: SignableRequest = { method: 'GET', url, headers: { 'x-security-token': '  tok en ' }, body: '' };
  assert.deepEqual(signRequest(req, CREDS, NOW), {
    'X-Sdk-Date': '20240506T070809Z',
    Authorization:
      'SDK-HMAC-SHA256 Access=AK-example, SignedHeaders=host;x-sdk-date;x-security-token, ' +
      'Signature=f44eab323444b66bed13874bb29315e1d4be9d67ed39efdc58b64ddbd51f6c81',
  });
});

test('signRequest: an explicit Host header wins over url.host', () => {
  const base: SignableRequest = { method: 'GET', url: new URL('https://10.0.0.1/v3/x'), headers: {}, body: '' };
  const viaUrl = signRequest({ ...base, url: new URL('https://rds.example/v3/x') }, CREDS, NOW);
  const viaHeader = signRequest({ ...base, headers: { Host: 'rds.example' } }, CREDS, NOW);
  assert.equal(viaHeader['Authorization'], viaUrl['Authorization']);
});

test('the signature changes when the body, path, query, method, a signed header, the key or the date changes', () => {
  const base: SignableRequest = {
    method: 'POST',
    url: new URL('https://rds.eu-de.otc.t-systems.com/v3/p1/instances/i1/errorlog-download?a=1'),
    headers: { 'X-Project-Id': 'p1', 'Content-Type': 'application/json' },
    body: '{}',
  };
  const signature = (req: SignableRequest, creds = CREDS, now = NOW): string => {
    const auth = signRequest(req, creds, now)['Authorization'] ?? '';
    return auth.slice(auth.indexOf('Signature=') + 'Signature='.length);
  };
  const original = signature(base);
  assert.match(original, /^[0-9a-f]{64}$/);
  assert.equal(signature({ ...base }), original, 'deterministic');
  const variants: Record<string, string> = {
    body: signature({ ...base, body: '{ }' }),
    'body bytes': signature({ ...base, body: Buffer.from('{}\n') }),
    path: signature({ ...base, url: new URL('https://rds.eu-de.otc.t-systems.com/v3/p1/instances/i2/errorlog-download?a=1') }),
    query: signature({ ...base, url: new URL('https://rds.eu-de.otc.t-systems.com/v3/p1/instances/i1/errorlog-download?a=2') }),
    host: signature({ ...base, url: new URL('https://rds.eu-nl.otc.t-systems.com/v3/p1/instances/i1/errorlog-download?a=1') }),
    method: signature({ ...base, method: 'PUT' }),
    'x-project-id': signature({ ...base, headers: { ...base.headers, 'X-Project-Id': 'p2' } }),
    'content-type': signature({ ...base, headers: { ...base.headers, 'Content-Type': 'text/plain' } }),
    'header dropped': signature({ ...base, headers: { 'Content-Type': 'application/json' } }),
    'secret key': signature(base, { ...CREDS, secretKey: 'SK-other' }),
    date: signature(base, CREDS, new Date(NOW.getTime() + 1000)),
  };
  for (const [what, changed] of Object.entries(variants)) assert.notEqual(changed, original, what);
  // An unsigned header does not change it.
  assert.equal(signature({ ...base, headers: { ...base.headers, 'User-Agent': 'x' } }), original);
});

test('signRequest refuses a request that already carries Authorization or X-Sdk-Date, and empty keys', () => {
  const req = (headers: Record<string, string>): SignableRequest => ({
    method: 'GET',
    url: new URL('https://h/'),
    headers,
    body: '',
  });
  assert.throws(() => signRequest(req({ authorization: 'x' }), CREDS, NOW), { name: 'TypeError', message: /already has a authorization header/ });
  assert.throws(() => signRequest(req({ 'X-SDK-DATE': '20240506T070809Z' }), CREDS, NOW), { name: 'TypeError', message: /already has a x-sdk-date header/ });
  assert.throws(() => signRequest(req({ 'x-project-id': 'a', 'X-Project-Id': 'b' }), CREDS, NOW), { name: 'TypeError', message: /header x-project-id is given twice/ });
  assert.throws(() => signRequest(req({}), { accessKey: '', secretKey: 'SK' }, NOW), TypeError);
});

test('canonicalRequest refuses a signed header that the request does not carry', () => {
  assert.throws(() => canonicalRequest(vectorGet(), ['x-sdk-date', 'x-project-id']), { name: 'TypeError', message: /signed header x-project-id is not in the request/ });
});

test('query keys are sorted by their UTF-8 bytes: U+FF21 (EF BC A1) before U+1F600 (F0 9F 98 80), which UTF-16 would put first', () => {
  assert.equal(canonicalQueryString(new URL('https://h/p?\u{1F600}=1&\uFF21=2')), '%EF%BC%A1=2&%F0%9F%98%80=1');
});
