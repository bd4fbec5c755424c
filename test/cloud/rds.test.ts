import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRdsEmulator, type RdsEmulator, type RdsEmulatorOptions } from '../../emulator/rds.ts';
import { createHttpTransport, type HttpResponse, type HttpTransport } from '../../src/cloud/http.ts';
import { listInstances, parseErrorlogAnswer, requestErrorlogDownload, requestIdOf, type RdsClientOptions } from '../../src/cloud/rds.ts';
import { Readable } from 'node:stream';
import { tokenAuthorizer } from '../../src/cloud/auth/modes.ts';
import { ApiError, NetworkError, ResponseError } from '../../src/core/errors.ts';
import { classify } from '../../src/core/retry.ts';

async function setup(t: TestContext, options: RdsEmulatorOptions = {}, socketTimeoutMs = 10_000): Promise<{ emu: RdsEmulator; transport: HttpTransport; client: (extra?: Partial<RdsClientOptions>) => RdsClientOptions }> {
  const emu = await startRdsEmulator(options);
  const transport = createHttpTransport({ userAgent: 'rds-test', socketTimeoutMs, followRedirects: false });
  t.after(async () => {
    transport.close();
    await emu.close();
  });
  const client = (extra: Partial<RdsClientOptions> = {}): RdsClientOptions => ({
    transport,
    endpoint: new URL(emu.url),
    projectId: emu.projectId,
    instanceId: emu.instanceId,
    authorize: tokenAuthorizer(emu.token),
    ...extra,
  });
  return { emu, transport, client };
}

test('CREATING first, then FINISH with every item, its size and link', async (t) => {
  const files = [
    { name: 'postgresql-2026-11-28_100000.log', data: Buffer.from('one\n') },
    { name: 'postgresql-2026-11-28_110000.log', size: 5_000 },
    { name: 'postgresql-2026-11-28_120000.log', size: 10, itemStatus: 'FAILED' as const },
  ];
  const { emu, client } = await setup(t, { creatingCalls: 1, files });

  const first = await requestErrorlogDownload(client());
  assert.equal(first.status, 'CREATING');
  assert.deepEqual(first.items, []);
  assert.match(first.requestId ?? '', /^[0-9a-f]{32}$/);

  const second = await requestErrorlogDownload(client());
  assert.equal(second.status, 'FINISH');
  assert.deepEqual(second.items.map((i) => [i.fileName, i.status, i.fileSize]), [
    ['postgresql-2026-11-28_100000.log', 'SUCCESS', 4],
    ['postgresql-2026-11-28_110000.log', 'SUCCESS', 5_000],
    ['postgresql-2026-11-28_120000.log', 'FAILED', 10],
  ]);
  assert.ok(second.items[0]?.fileLink?.startsWith(`${emu.filesOrigin}/`), second.items[0]?.fileLink);
  assert.match(second.items[1]?.fileLink ?? '', /Signature=/);
  assert.equal(second.items[2]?.fileLink, undefined);

  // What went over the wire: POST to the documented path, the token in X-Auth-Token.
  assert.equal(emu.apiRequests.length, 2);
  const req = emu.apiRequests[0];
  assert.equal(req?.method, 'POST');
  assert.equal(req?.path, `/v3/${emu.projectId}/instances/${emu.instanceId}/errorlog-download`);
  assert.equal(req?.headers['x-auth-token'], emu.token);
});

test("the spec's first answer (items with only workflow_id and status) is progress, not a failure", async (t) => {
  const { emu, client } = await setup(t, { creatingCalls: 0 });
  for (const list of [
    [{ workflow_id: '44fb1d85-2fcc-4d63-ad3b-c3d1ecd7000e', status: 'creating' }],
    [{ workflow_id: 'wf' }, 'not an object', null],
    'not a list either',
  ]) {
    emu.failApi({ kind: 'raw', status: 200, body: JSON.stringify({ status: 'creating', list, count: 1 }) });
    const a = await requestErrorlogDownload(client());
    assert.equal(a.status, 'CREATING');
    assert.deepEqual(a.items, []);
  }
});

test('file_size "0" (the spec\'s own example for a file with bytes) is an unknown size, not an empty file', async (t) => {
  const { client } = await setup(t, { creatingCalls: 0, files: [{ name: 'postgresql.log', data: Buffer.from('bytes\n'), reportedSize: '0' }] });
  const a = await requestErrorlogDownload(client());
  assert.equal(a.items[0]?.fileSize, undefined);
});

test('lower-case statuses from the API are read as upper case', async (t) => {
  const { client } = await setup(t, { creatingCalls: 0, lowerCase: true });
  const a = await requestErrorlogDownload(client());
  assert.equal(a.status, 'FINISH');
  assert.equal(a.items[0]?.status, 'SUCCESS');
});

test('an invalid token (403 DBS.280056): ApiError with status, error_code, error_msg and the request id in the message', async (t) => {
  const { client } = await setup(t);
  await assert.rejects(requestErrorlogDownload(client({ authorize: tokenAuthorizer('expired-token') })), (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.status, 403);
    assert.equal(e.errorCode, 'DBS.280056');
    assert.equal(e.errorMsg, 'The token is invalid or has expired.');
    assert.match(e.requestId ?? '', /^[0-9a-f]{32}$/);
    assert.ok(e.message.includes('HTTP 403'), e.message);
    assert.ok(e.message.includes('DBS.280056'), e.message);
    assert.ok(e.message.includes('The token is invalid or has expired.'), e.message);
    assert.ok(e.message.includes(`request id ${e.requestId}`), e.message);
    assert.match(e.message, /token expired/);
    assert.equal(classify(e).retry, false);
    return true;
  });
});

test('404 for an unknown instance names the inputs to check', async (t) => {
  const { client } = await setup(t);
  await assert.rejects(requestErrorlogDownload(client({ instanceId: 'no-such-instance' })), (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.status, 404);
    assert.equal(e.errorCode, 'DBS.200002');
    assert.match(e.message, /'instance-id'/);
    return true;
  });
});

test('429 with Retry-After: the wait is carried on the error and the call is retried', async (t) => {
  const { emu, client } = await setup(t);
  emu.failApi({ kind: 'status', status: 429, body: { error_code: 'APIG.0308', error_msg: 'The request is throttled.' }, headers: { 'Retry-After': '12' } });
  await assert.rejects(requestErrorlogDownload(client()), (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.retryAfterMs, 12_000);
    assert.deepEqual(classify(e), { retry: true, reason: e.message, afterMs: 12_000 });
    return true;
  });
});

test('a 200 whose body is not JSON is a transient ResponseError (worth another try)', async (t) => {
  const { emu, client } = await setup(t);
  emu.failApi({ kind: 'raw', status: 200, body: '<html><body>502 Bad Gateway</body></html>', headers: { 'Content-Type': 'text/html' } });
  await assert.rejects(requestErrorlogDownload(client()), (e: unknown) => {
    assert.ok(e instanceof ResponseError, String(e));
    assert.equal(e.transient, true);
    assert.match(e.message, /not JSON/);
    assert.match(e.message, /request id [0-9a-f]{32}/);
    assert.equal(classify(e).retry, true);
    return true;
  });
  // The next call gets the real answer.
  assert.equal((await requestErrorlogDownload(client())).status, 'CREATING');
});

test('a 200 with an empty body is transient too', async (t) => {
  const { emu, client } = await setup(t);
  emu.failApi({ kind: 'raw', status: 200, body: '' });
  await assert.rejects(requestErrorlogDownload(client()), (e: unknown) => e instanceof ResponseError && e.transient && /empty body/.test(e.message));
});

test("a FINISH answer without 'list' is a ResponseError naming the field, not retried", async (t) => {
  const { emu, client } = await setup(t);
  emu.failApi({ kind: 'raw', status: 200, body: JSON.stringify({ status: 'FINISH', count: 1 }), headers: { 'Content-Type': 'application/json' } });
  await assert.rejects(requestErrorlogDownload(client()), (e: unknown) => {
    assert.ok(e instanceof ResponseError, String(e));
    assert.equal(e.transient, false);
    assert.match(e.message, /'list'/);
    assert.equal(classify(e).retry, false);
    return true;
  });
});

test('FAILED: the files it lists as prepared (SUCCESS, with a link) are read; an item without a status is taken as not prepared, one without a name as one that cannot be fetched; an unreadable list is none', async (t) => {
  const { emu, client } = await setup(t);
  const link = 'https://obs.example/a.log?Expires=1&Signature=x';
  emu.failApi({ kind: 'raw', status: 200, body: JSON.stringify({ status: 'failed', list: [
    { file_name: 'a.log', status: 'success', file_size: '10', file_link: link },
    { file_name: 'b.log', status: 'FAILED', file_size: '0', file_link: '' },
    { file_name: 'c.log', file_size: '3', file_link: link },
  ] }) });
  const a = await requestErrorlogDownload(client());
  assert.equal(a.status, 'FAILED');
  assert.deepEqual(a.items.map((i) => [i.fileName, i.status, i.fileLink]), [['a.log', 'SUCCESS', link], ['b.log', 'FAILED', undefined], ['c.log', 'FAILED', link]]);
  emu.failApi({ kind: 'raw', status: 200, body: JSON.stringify({ status: 'FAILED', list: [{ status: 'SUCCESS' }] }) });
  assert.deepEqual((await requestErrorlogDownload(client())).items.map((i) => [i.fileName, i.defect]), [['item 1 of 1', 'without a file_name']]);
  emu.failApi({ kind: 'raw', status: 200, body: JSON.stringify({ status: 'FAILED', list: 'none' }) });
  assert.deepEqual((await requestErrorlogDownload(client())).items, []);
  emu.failApi({ kind: 'raw', status: 200, body: JSON.stringify({ status: 'FAILED' }) });
  assert.deepEqual((await requestErrorlogDownload(client())).items, []);
});

test('an item without a name or (listed SUCCESS) without a link is kept as one that cannot be fetched, saying why; the others are as listed', async (t) => {
  const { emu, client } = await setup(t);
  const good = { file_name: 'b.log', status: 'SUCCESS', file_size: '10', file_link: 'https://obs.example/b.log?Signature=x' };
  const body = { status: 'FINISH', count: 3, list: [{ file_name: 'postgresql.log', status: 'SUCCESS', file_size: '10', file_link: '' }, { ...good, file_name: '' }, good] };
  emu.failApi({ kind: 'raw', status: 200, body: JSON.stringify(body) });
  const { items } = await requestErrorlogDownload(client());
  assert.deepEqual(items.map((i) => [i.fileName, i.defect]), [
    ['postgresql.log', 'as prepared (SUCCESS), but without a file_link'],
    ['item 2 of 3', 'without a file_name'],
    ['b.log', undefined],
  ]);
});

test("a count other than the items listed is kept (to be said), the items as listed; a count that is not a whole number is not", async (t) => {
  const { emu, client } = await setup(t);
  const item = { file_name: 'b.log', status: 'SUCCESS', file_size: '10', file_link: 'https://obs.example/b.log?Signature=x' };
  for (const [count, differs] of [[5, 5], [1, undefined], ['5', undefined], [1.5, undefined], [undefined, undefined]] as const) {
    emu.failApi({ kind: 'raw', status: 200, body: JSON.stringify({ status: 'FINISH', count, list: [item] }) });
    const a = await requestErrorlogDownload(client());
    assert.equal(a.countDiffers, differs, String(count));
    assert.deepEqual(a.items.map((i) => i.fileName), ['b.log']);
  }
});

test("FINISH with no list: no files when the count is 0 or absent (a serialiser's null), a ResponseError when the count says there are some", async (t) => {
  const { emu, client } = await setup(t);
  for (const body of [{ status: 'finish', list: null, count: 0 }, { status: 'FINISH' }, { status: 'FINISH', list: null }]) {
    emu.failApi({ kind: 'raw', status: 200, body: JSON.stringify(body) });
    assert.deepEqual((await requestErrorlogDownload(client())).items, [], JSON.stringify(body));
  }
  emu.failApi({ kind: 'raw', status: 200, body: JSON.stringify({ status: 'FINISH', list: null, count: 2 }) });
  await assert.rejects(requestErrorlogDownload(client()), (e: unknown) => e instanceof ResponseError && /status is FINISH but field 'list' is missing \(count: 2\)/.test(e.message));
});

test('an answer larger than the limit is refused', async (t) => {
  const { emu, client } = await setup(t);
  const big = JSON.stringify({ status: 'CREATING', list: [], pad: 'x'.repeat(4 * 1024 * 1024) });
  emu.failApi({ kind: 'raw', status: 200, body: big });
  await assert.rejects(requestErrorlogDownload(client()), (e: unknown) => e instanceof ResponseError && /larger than 4194304 bytes/.test(e.message));
});

// A client that never hung up would leave the server pumping: the test's own timeout ends that.
test('an endless answer is refused without reading it all', { timeout: 10_000 }, async (t) => {
  let sent = 0;
  let closed = false;
  let hungUp!: () => void;
  const hangUp = new Promise<void>((resolve) => { hungUp = resolve; });
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('{"status":"CREATING","list":[],"pad":"');
    res.on('close', () => { closed = true; hungUp(); });
    const pump = (): void => {
      while (!closed && sent < 1024 * 1024 * 1024) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const transport = createHttpTransport({ userAgent: 'rds-test', socketTimeoutMs: 10_000, followRedirects: false });
  t.after(() => transport.close());
  const { port } = server.address() as AddressInfo;
  await assert.rejects(
    requestErrorlogDownload({ transport, endpoint: new URL(`http://127.0.0.1:${port}`), projectId: 'p', instanceId: 'i', authorize: tokenAuthorizer('t') }),
    (e: unknown) => e instanceof ResponseError && !e.transient && /the answer is larger than \d+ bytes/.test(e.message),
  );
  await hangUp;
  assert.ok(sent < 256 * 1024 * 1024, `the server sent ${sent} bytes before the client hung up`);
});

test('a dropped connection is a NetworkError worth retrying', async (t) => {
  const { emu, client } = await setup(t);
  emu.failApi({ kind: 'reset' });
  await assert.rejects(requestErrorlogDownload(client()), (e: unknown) => {
    assert.ok(e instanceof NetworkError, String(e));
    assert.equal(classify(e).retry, true, e.code);
    return true;
  });
  assert.equal((await requestErrorlogDownload(client())).status, 'CREATING');
});

test('an API that never answers runs into the socket timeout, a NetworkError worth retrying', async (t) => {
  const { emu, client } = await setup(t, {}, 300);
  emu.failApi({ kind: 'hang' });
  await assert.rejects(requestErrorlogDownload(client()), (e: unknown) => {
    assert.ok(e instanceof NetworkError, String(e));
    assert.equal(e.code, 'ETIMEDOUT');
    assert.equal(classify(e).retry, true);
    return true;
  });
});

test('instances: listed by id or by name; a malformed answer is a ResponseError naming the field', async (t) => {
  const instances = [
    { id: 'i-1', name: 'shop-db', status: 'ACTIVE', datastore: { type: 'PostgreSQL', version: '15' } },
    { id: 'i-2', name: 'shop-db-replica', status: 'BUILD', datastore: { type: 'PostgreSQL', version: '15' } },
    // RDS allows 64 characters: such a name is shown whole; 65 (never given by RDS) is cut to 64 with the mark.
    { id: 'i-3', name: 'n'.repeat(64), status: 'ACTIVE', datastore: { type: 'PostgreSQL', version: '15' } },
    { id: 'i-4', name: 'n'.repeat(65), status: 'ACTIVE', datastore: { type: 'PostgreSQL', version: '15' } },
  ];
  const { emu, transport } = await setup(t, { instances });
  const list = (filter: { id: string } | { name: string }) =>
    listInstances({ transport, endpoint: new URL(emu.url), projectId: emu.projectId, authorize: tokenAuthorizer(emu.token), filter });
  assert.deepEqual(await list({ name: 'shop-db' }), [{ id: 'i-1', name: 'shop-db', status: 'ACTIVE', datastoreType: 'PostgreSQL', datastoreVersion: '15' }]);
  assert.equal(emu.apiRequests[0]?.path, `/v3/${emu.projectId}/instances?name=shop-db`);
  assert.equal(emu.apiRequests[0]?.headers['x-auth-token'], emu.token);
  assert.deepEqual((await list({ id: 'i-2' })).map((i) => i.status), ['BUILD']);
  assert.equal((await list({ id: 'i-3' }))[0]?.name, 'n'.repeat(64));
  assert.equal((await list({ id: 'i-4' }))[0]?.name, `${'n'.repeat(63)}…`);
  assert.deepEqual(await list({ name: 'nope' }), []);
  emu.failApi({ kind: 'raw', status: 200, body: '{"total_count":0}' }, 1, 'instances');
  await assert.rejects(list({ id: 'i-1' }), (e: unknown) => e instanceof ResponseError && /field 'instances' is missing/.test(e.message));
});

test('a JSON error with terminal escapes and a megabyte error_msg: the message has no control character and is cut', async (t) => {
  const { emu, client } = await setup(t);
  const evil = '\u001b]8;;http://evil.example\u0007click\u001b]8;;\u0007 \u001b[2J';
  emu.failApi({ kind: 'status', status: 400, body: { error_code: `DBS.\u001b[31m1`, error_msg: `${evil} ${'y'.repeat(2_000_000)}` } });
  await assert.rejects(requestErrorlogDownload(client()), (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.doesNotMatch(e.message, /[\u0000-\u001f\u007f]/);
    assert.match(e.message, /^errorlog-download failed: HTTP 400 DBS\. \[31m1: +\]8;;http:\/\/evil\.example click \]8;; +\[2J y+ \(request id [0-9a-f]+\)$/);
    assert.ok(e.message.length < 1200, `${e.message.length} characters`);
    return true;
  });
});

test('JSON nested thousands deep (as a hostile answer could be) is refused before it is parsed', async (t) => {
  const { emu, client } = await setup(t);
  const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
  emu.failApi({ kind: 'raw', status: 200, body: deep, headers: { 'Content-Type': 'application/json' } });
  await assert.rejects(requestErrorlogDownload(client()), (e: unknown) => e instanceof ResponseError && /HTTP 200 with JSON nested deeper than 32 levels/.test(e.message));
  // As an error body: read as text, not parsed.
  emu.failApi({ kind: 'raw', status: 500, body: `{"error_code":"X","pad":${deep}}`, headers: { 'Content-Type': 'application/json' } });
  await assert.rejects(requestErrorlogDownload(client()), (e: unknown) => e instanceof ApiError && e.status === 500 && e.errorCode === undefined);
  // 32 levels are read (and this one is no answer), 33 are not.
  for (const [levels, refused] of [[32, false], [33, true]] as const) {
    emu.failApi({ kind: 'raw', status: 200, body: `${'['.repeat(levels)}${']'.repeat(levels)}`, headers: { 'Content-Type': 'application/json' } });
    await assert.rejects(requestErrorlogDownload(client()), (e: unknown) => e instanceof ResponseError && /nested deeper than 32 levels/.test(e.message) === refused);
  }
  // Brackets inside strings do not count.
  emu.failApi({ kind: 'raw', status: 200, body: JSON.stringify({ status: 'CREATING', list: [], note: '['.repeat(100) }), headers: { 'Content-Type': 'application/json' } });
  assert.equal((await requestErrorlogDownload(client())).status, 'CREATING');
});

test("the gateway's 404 for a path that is no API (an endpoint with a path too many) points at 'endpoint', not at the instance", async (t) => {
  const { emu, client } = await setup(t);
  await assert.rejects(requestErrorlogDownload(client({ endpoint: new URL(`${emu.url}/rds`) })), (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.match(e.message, /HTTP 404 APIG\.0101: .*The API gateway has no such API: check 'endpoint' \(the RDS API's base URL\) and 'region'$/);
    return true;
  });
});

test("a newer gateway's 404 (APIGW.0101) points at 'endpoint' too; IAM's request id (X-IAM-Trace-Id) is read", async (t) => {
  const { emu, client } = await setup(t);
  emu.failApi({ kind: 'raw', status: 404, body: JSON.stringify({ error_code: 'APIGW.0101', error_msg: 'The API does not exist or has not been published in the environment' }), headers: { 'Content-Type': 'application/json' } });
  await assert.rejects(requestErrorlogDownload(client()), (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.match(e.message, /HTTP 404 APIGW\.0101: .*The API gateway has no such API: check 'endpoint'/);
    return true;
  });
  const answer = (headers: Record<string, string>): HttpResponse => ({ status: 400, headers, body: Readable.from([]), url: new URL(emu.url) });
  assert.equal(requestIdOf(answer({ 'x-iam-trace-id': 'trace-7f3a' })), 'trace-7f3a');
  assert.equal(requestIdOf(answer({ 'x-request-id': 'req-1', 'x-iam-trace-id': 'trace-7f3a' })), 'req-1');
});

test('a status the spec does not name (QUEUED) is progress: its list is not read, whatever it holds', () => {
  assert.deepEqual(parseErrorlogAnswer({ status: 'QUEUED', list: 'not a list' }, 'req-1'), { status: 'QUEUED', items: [], requestId: 'req-1' });
});
