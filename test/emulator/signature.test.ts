import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apigErrorBody, MAX_SDK_DATE_SKEW_MS, verifySignature } from '../../emulator/signature.ts';
import type { SignatureCheck, SignedRequestView } from '../../emulator/signature.ts';
import { signRequest } from '../../src/cloud/auth/signer.ts';

// The public vectors of huaweicloud-sdk-go-v3 (core/auth/signer/signer_test.go), rebuilt as the requests
// a server would receive. They sign x-sdk-date only, so these checks relax the host requirement.
const KEYS = new Map([['AccessKey', 'SecretKey']]);
const VECTOR_TIME = new Date('2006-01-02T15:04:05Z');
const VECTOR_OPTIONS = { now: VECTOR_TIME, requiredSignedHeaders: ['x-sdk-date'] };
const GET_SIGNATURE = '5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624';
const POST_SIGNATURE = 'cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59';
const POST_BODY = Buffer.from('{"Name":"test","Id":1}\n');

function vectorRequest(method: 'GET' | 'POST', signature: string): SignedRequestView {
  return {
    method,
    url: method === 'GET' ? '/path?limit=1' : '/path?key=value',
    headers: {
      host: 'example.huaweicloud.com',
      'x-sdk-date': '20060102T150405Z',
      'content-type': 'application/json',
      authorization: `SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=${signature}`,
    },
  };
}

function withHeaders(req: SignedRequestView, headers: IncomingHttpHeaders): SignedRequestView {
  return { ...req, headers: { ...req.headers, ...headers } };
}

function assertRejected(result: SignatureCheck, messagePart: RegExp, label = 'expected a rejection'): void {
  assert.equal(result.ok, false, label);
  if (result.ok) return;
  assert.equal(result.status, 401);
  assert.equal(result.code, 'APIG.0301');
  assert.match(result.message, /^Incorrect IAM authentication information: /);
  assert.match(result.message, messagePart);
}

test('accepts the public GET and POST vectors', () => {
  assert.deepEqual(verifySignature(vectorRequest('GET', GET_SIGNATURE), Buffer.alloc(0), KEYS, VECTOR_OPTIONS), {
    ok: true,
    accessKey: 'AccessKey',
  });
  assert.deepEqual(verifySignature(vectorRequest('POST', POST_SIGNATURE), POST_BODY, KEYS, VECTOR_OPTIONS), {
    ok: true,
    accessKey: 'AccessKey',
  });
});

test('by default requires host among the signed headers, so the vectors alone do not pass', () => {
  const result = verifySignature(vectorRequest('GET', GET_SIGNATURE), Buffer.alloc(0), KEYS, { now: VECTOR_TIME });
  assertRejected(result, /SignedHeaders does not include host/);
});

test('rejects a tampered signature', () => {
  const flipped = (GET_SIGNATURE[0] === '5' ? '6' : '5') + GET_SIGNATURE.slice(1);
  const result = verifySignature(vectorRequest('GET', flipped), Buffer.alloc(0), KEYS, VECTOR_OPTIONS);
  assertRejected(result, /verify aksk signature fail$/);
  // The emulator keeps its canonical request for debugging, the same text the signer tests pin.
  assert.equal(
    !result.ok && result.canonicalRequest,
    'GET\n/path/\nlimit=1\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\n' +
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  );
  for (const bad of ['', GET_SIGNATURE.slice(1), GET_SIGNATURE.toUpperCase(), GET_SIGNATURE + '00']) {
    assertRejected(verifySignature(vectorRequest('GET', bad), Buffer.alloc(0), KEYS, VECTOR_OPTIONS), /signature fail/);
  }
});

test('rejects a tampered body, path, query, method or signed header', () => {
  const post = vectorRequest('POST', POST_SIGNATURE);
  const cases: Array<[string, SignedRequestView, Buffer]> = [
    ['body', post, Buffer.from('{"Name":"test","Id":2}\n')],
    ['body without its newline', post, Buffer.from('{"Name":"test","Id":1}')],
    ['path', { ...post, url: '/path2?key=value' }, POST_BODY],
    ['query', { ...post, url: '/path?key=value2' }, POST_BODY],
    ['extra query', { ...post, url: '/path?key=value&x=1' }, POST_BODY],
    ['method', { ...post, method: 'PUT' }, POST_BODY],
  ];
  for (const [what, req, body] of cases) {
    assertRejected(verifySignature(req, body, KEYS, VECTOR_OPTIONS), /verify aksk signature fail/, what);
  }
  // An unsigned header may change freely.
  const retyped = withHeaders(post, { 'content-type': 'text/plain' });
  assert.equal(verifySignature(retyped, POST_BODY, KEYS, VECTOR_OPTIONS).ok, true);
});

test('rejects an X-Sdk-Date more than 15 minutes from the server clock, either way', () => {
  const get = vectorRequest('GET', GET_SIGNATURE);
  const at = (offsetMs: number) =>
    verifySignature(get, Buffer.alloc(0), KEYS, { ...VECTOR_OPTIONS, now: new Date(VECTOR_TIME.getTime() + offsetMs) });
  assertRejected(at(16 * 60 * 1000), /more than 15 minutes/);
  assertRejected(at(-16 * 60 * 1000), /more than 15 minutes/);
  assert.equal(at(MAX_SDK_DATE_SKEW_MS).ok, true, 'exactly 15 minutes is still accepted');
  assert.equal(at(-MAX_SDK_DATE_SKEW_MS).ok, true);
  assertRejected(at(MAX_SDK_DATE_SKEW_MS + 1000), /more than 15 minutes/);
});

test('rejects a malformed or impossible X-Sdk-Date', () => {
  for (const date of ['2006-01-02T15:04:05Z', '20060102T150405', '20061302T150405Z', '20060230T150405Z', '']) {
    // The signature is irrelevant: the date is checked first.
    const req = withHeaders(vectorRequest('GET', GET_SIGNATURE), { 'x-sdk-date': date });
    assertRejected(verifySignature(req, Buffer.alloc(0), KEYS, VECTOR_OPTIONS), /x-sdk-date/);
  }
});

test('rejects an unknown access key with the "ak not exist" message', () => {
  const req = vectorRequest('GET', GET_SIGNATURE);
  const result = verifySignature(req, Buffer.alloc(0), new Map([['OtherKey', 'SecretKey']]), VECTOR_OPTIONS);
  assertRejected(result, /Get secretKey failed,ak:AccessKey,err:ak not exist/);
});

test('rejects a missing or malformed Authorization header', () => {
  const get = vectorRequest('GET', GET_SIGNATURE);
  const { authorization: _dropped, ...withoutAuth } = get.headers;
  assertRejected(verifySignature({ ...get, headers: withoutAuth }, Buffer.alloc(0), KEYS, VECTOR_OPTIONS), /not found/);
  const malformed = [
    `AWS4-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=${GET_SIGNATURE}`,
    `SDK-HMAC-SHA256 Access=AccessKey, Signature=${GET_SIGNATURE}`,
    `SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=${GET_SIGNATURE}, Extra=1`,
    `SDK-HMAC-SHA256 Access=AccessKey, Access=AccessKey, SignedHeaders=x-sdk-date, Signature=${GET_SIGNATURE}`,
    `SDK-HMAC-SHA256 Access=, SignedHeaders=x-sdk-date, Signature=${GET_SIGNATURE}`,
    'SDK-HMAC-SHA256 garbage',
  ];
  for (const authorization of malformed) {
    assertRejected(verifySignature(withHeaders(get, { authorization }), Buffer.alloc(0), KEYS, VECTOR_OPTIONS), /Authorization/);
  }
});

test('rejects a signed header missing from the request, and an unsorted or upper-case SignedHeaders list', () => {
  const get = vectorRequest('GET', GET_SIGNATURE);
  const auth = (signed: string) => `SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=${signed}, Signature=${GET_SIGNATURE}`;
  assertRejected(
    verifySignature(withHeaders(get, { authorization: auth('x-project-id;x-sdk-date') }), Buffer.alloc(0), KEYS, VECTOR_OPTIONS),
    /signed header x-project-id is not in the request/,
  );
  assertRejected(
    verifySignature(withHeaders(get, { authorization: auth('x-sdk-date;host') }), Buffer.alloc(0), KEYS, VECTOR_OPTIONS),
    /not sorted/,
  );
  assertRejected(
    verifySignature(withHeaders(get, { authorization: auth('host;host;x-sdk-date') }), Buffer.alloc(0), KEYS, VECTOR_OPTIONS),
    /not sorted or repeats/,
  );
  assertRejected(
    verifySignature(withHeaders(get, { authorization: auth('X-Sdk-Date') }), Buffer.alloc(0), KEYS, VECTOR_OPTIONS),
    /upper-case/,
  );
});

test('apigErrorBody renders the APIG error shape', () => {
  const result = verifySignature(vectorRequest('GET', GET_SIGNATURE), Buffer.alloc(0), new Map(), VECTOR_OPTIONS);
  assert.ok(!result.ok);
  assert.deepEqual(apigErrorBody(result, 'req-1'), {
    error_msg: 'Incorrect IAM authentication information: Get secretKey failed,ak:AccessKey,err:ak not exist',
    error_code: 'APIG.0301',
    request_id: 'req-1',
  });
});

// Cross-check: requests signed by src/auth/signer.ts and sent over a real loopback socket verify here.
test('round trip: signRequest over node:http verifies, and a byte changed in transit does not', async (t) => {
  const keys = new Map([['AK-round-trip', 'SK-round-trip']]);
  const results: SignatureCheck[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      results.push(verifySignature(req, Buffer.concat(chunks), keys));
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;

  const send = async (url: URL, method: string, body: string, extra: Record<string, string>, mangle?: (h: Record<string, string>) => void) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Project-Id': 'p-1', ...extra };
    Object.assign(headers, signRequest({ method, url, headers, body }, { accessKey: 'AK-round-trip', secretKey: 'SK-round-trip' }, new Date()));
    mangle?.(headers);
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(url, { method, headers }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(body);
    });
  };

  const url = new URL(`http://127.0.0.1:${port}/v3/p-1/instances/ä b/errorlog`);
  url.searchParams.append('start_date', '2024-05-01T00:00:00+0800');
  url.searchParams.append('level', 'ALL');
  url.searchParams.append('b', 'x y');
  url.searchParams.append('a', '2');
  url.searchParams.append('a', '1');
  url.searchParams.append('Ü', '/~*');
  await send(url, 'GET', '', {});
  await send(new URL(`http://127.0.0.1:${port}/v3/p-1/instances/i-1/errorlog-download`), 'POST', '{"x":"ü"}', {
    'X-Security-Token': 'temporary',
  });
  await send(new URL(`http://127.0.0.1:${port}/v3/p-1/instances/i-1/errorlog-download`), 'POST', '{}', {}, (h) => {
    h['X-Project-Id'] = 'p-2';
  });
  await send(new URL(`http://127.0.0.1:${port}/x?plus=a+b`), 'GET', '', {});

  assert.deepEqual(results[0], { ok: true, accessKey: 'AK-round-trip' });
  assert.deepEqual(results[1], { ok: true, accessKey: 'AK-round-trip' });
  assert.equal(results[2]?.ok, false, 'a signed header changed after signing must fail');
  assert.deepEqual(results[3], { ok: true, accessKey: 'AK-round-trip' });
});
