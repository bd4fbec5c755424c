// The RDS emulator's side of authentication and its instance listing, asked directly over HTTP: what it
// accepts (static tokens, tokens the IAM emulator issued, AK/SK signatures checked by emulator/signature.ts)
// and what it refuses, with the codes the real gateway and RDS use.
import { spawnSync } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createIamState, type IamState } from '../../emulator/iam.ts';
import { realPostgresLog, startRdsEmulator, type RdsEmulator, type RdsEmulatorOptions } from '../../emulator/rds.ts';
import { signRequest } from '../../src/cloud/auth/signer.ts';

const AK = 'AKTEST00000000000001';
const SK = 'sk-test-secret-key-0000000000000000000001';
const DOMAIN = { id: 'dom-1', name: 'OTC-EU-DE-1' };
const OTHER_PROJECT = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

async function start(t: TestContext, o: RdsEmulatorOptions = {}): Promise<{ emu: RdsEmulator; iam: IamState }> {
  const iam = createIamState({
    users: [{ id: 'u-1', name: 'ci', password: 'pw-123456', domain: DOMAIN, accessKeys: { [AK]: SK } }],
    projects: [{ id: '0483b6b16e954cb88930a360d2c4e663', name: 'eu-de', domainId: DOMAIN.id }, { id: OTHER_PROJECT, name: 'eu-nl', domainId: 'dom-2' }],
  });
  const emu = await startRdsEmulator({ iam, creatingCalls: 0, ...o });
  t.after(() => emu.close());
  return { emu, iam };
}

interface Answer {
  status: number;
  json: { error_code?: string; error_msg?: string; instances?: Array<{ id: string; name: string; status: string; type: string; datastore: { type: string } }>; total_count?: number };
}

/** One request; `sign` adds X-Project-Id (unless told otherwise) and an AK/SK signature. */
async function call(emu: RdsEmulator, method: string, path: string, o: { token?: string; sign?: { projectId?: string | undefined; now?: Date; securityToken?: string; tamper?: boolean } } = {}): Promise<Answer> {
  const url = new URL(path, emu.url);
  let headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (o.token) headers['X-Auth-Token'] = o.token;
  if (o.sign) {
    if (o.sign.projectId) headers['X-Project-Id'] = o.sign.projectId;
    if (o.sign.securityToken) headers['X-Security-Token'] = o.sign.securityToken;
    headers = { ...headers, ...signRequest({ method, url, headers, body: '' }, { accessKey: AK, secretKey: SK }, o.sign.now ?? new Date()) };
    if (o.sign.tamper) headers['Authorization'] = headers['Authorization']!.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
  }
  const res = await fetch(url, { method, headers, ...(method === 'POST' ? { body: '' } : {}) });
  return { status: res.status, json: JSON.parse(await res.text()) };
}

const errorlog = (emu: RdsEmulator, project = emu.projectId) => `/v3/${project}/instances/${emu.instanceId}/errorlog-download`;

test('an AK/SK-signed request with X-Project-Id signed is accepted, on both calls', async (t) => {
  const { emu } = await start(t);
  const sign = { projectId: emu.projectId };
  assert.equal((await call(emu, 'POST', errorlog(emu), { sign })).status, 200);
  const listed = await call(emu, 'GET', `/v3/${emu.projectId}/instances?id=${emu.instanceId}`, { sign });
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.json.instances?.map((i) => [i.name, i.status, i.type, i.datastore.type]), [['shop-db', 'ACTIVE', 'Single', 'PostgreSQL']]);
});

test('AK/SK refusals: tampered signature, stale date, unsigned project, another account\'s project', async (t) => {
  const { emu } = await start(t);
  const p = emu.projectId;
  const cases: Array<[string, Parameters<typeof call>[3], string, number, string, RegExp]> = [
    ['tampered signature', { sign: { projectId: p, tamper: true } }, errorlog(emu), 401, 'APIG.0301', /verify aksk signature fail$/],
    ['X-Sdk-Date 16 minutes old', { sign: { projectId: p, now: new Date(Date.now() - 16 * 60_000) } }, errorlog(emu), 401, 'APIG.0301', /more than 15 minutes from the server time/],
    ['no X-Project-Id', { sign: { projectId: undefined } }, errorlog(emu), 401, 'APIG.0301', /SignedHeaders does not include x-project-id/],
    ['another account\'s project', { sign: { projectId: OTHER_PROJECT } }, errorlog(emu, OTHER_PROJECT), 403, 'DBS.200010', /does not match the credentials/],
    ['X-Project-Id of another project than the path', { sign: { projectId: OTHER_PROJECT } }, errorlog(emu), 403, 'DBS.200010', /does not match the credentials/],
  ];
  for (const [label, o, path, status, code, msg] of cases) {
    const a = await call(emu, 'POST', path, o);
    assert.equal(a.status, status, label);
    assert.equal(a.json.error_code, code, label);
    assert.match(a.json.error_msg ?? '', msg, label);
  }
});

test('the emulator\'s clock decides what is stale: shifted 20 minutes, a fresh signature is refused', async (t) => {
  const { emu } = await start(t, { now: () => Date.now() + 20 * 60_000 });
  const a = await call(emu, 'POST', errorlog(emu), { sign: { projectId: emu.projectId } });
  assert.equal(a.status, 401);
  assert.match(a.json.error_msg ?? '', /more than 15 minutes/);
});

test('temporary keys: the configured security token must come, signed', async (t) => {
  const { emu } = await start(t, { securityTokens: { [AK]: 'st-good-0001' } });
  const p = emu.projectId;
  assert.equal((await call(emu, 'POST', errorlog(emu), { sign: { projectId: p, securityToken: 'st-good-0001' } })).status, 200);
  for (const o of [{ projectId: p }, { projectId: p, securityToken: 'st-bad-0002' }]) {
    const a = await call(emu, 'POST', errorlog(emu), { sign: o });
    assert.equal(a.status, 401, JSON.stringify(o));
    assert.match(a.json.error_msg ?? '', /security token/);
  }
});

test('tokens: static ones for the emulator\'s project, IAM-issued ones for theirs, others refused', async (t) => {
  const { emu, iam } = await start(t);
  assert.equal((await call(emu, 'POST', errorlog(emu), { token: emu.token })).status, 200);
  iam.tokens.set('issued-token-0001', {
    token: 'issued-token-0001', methods: ['password'], userId: 'u-1', userName: 'ci', domain: DOMAIN,
    project: { id: emu.projectId, name: 'eu-de', domainId: DOMAIN.id }, issuedAt: new Date(), expiresAt: new Date(Date.now() + 60_000),
  });
  assert.equal((await call(emu, 'POST', errorlog(emu), { token: 'issued-token-0001' })).status, 200);
  const foreign = await call(emu, 'POST', errorlog(emu, OTHER_PROJECT), { token: 'issued-token-0001' });
  assert.deepEqual([foreign.status, foreign.json.error_code], [403, 'DBS.200010']);
  const unknown = await call(emu, 'POST', errorlog(emu), { token: 'never-issued' });
  assert.deepEqual([unknown.status, unknown.json.error_code], [403, 'DBS.280056']);
  const none = await call(emu, 'POST', errorlog(emu));
  assert.deepEqual([none.status, none.json.error_code], [401, 'APIG.0301']);
});

test('instances: filters by id and exact name, a leading * matches fuzzily; errorlog-download wants ACTIVE', async (t) => {
  const instances = [
    { id: 'i-1', name: 'shop-db', status: 'ACTIVE', datastore: { type: 'PostgreSQL', version: '15' } },
    { id: 'i-2', name: 'shop-db-replica', status: 'REBOOTING', datastore: { type: 'PostgreSQL', version: '15' } },
  ];
  const { emu } = await start(t, { instances });
  const ids = async (query: string) => (await call(emu, 'GET', `/v3/${emu.projectId}/instances${query}`, { token: emu.token })).json.instances?.map((i) => i.id);
  assert.deepEqual(await ids(''), ['i-1', 'i-2']);
  assert.deepEqual(await ids('?name=shop-db'), ['i-1']);
  assert.deepEqual(await ids('?name=shop'), []);
  assert.deepEqual(await ids('?name=*shop'), ['i-1', 'i-2']);
  assert.deepEqual(await ids('?id=i-2'), ['i-2']);
  const rebooting = await call(emu, 'POST', `/v3/${emu.projectId}/instances/i-2/errorlog-download`, { token: emu.token });
  assert.deepEqual([rebooting.status, rebooting.json.error_code], [400, 'DBS.201014']);
  const unknown = await call(emu, 'POST', `/v3/${emu.projectId}/instances/i-9/errorlog-download`, { token: emu.token });
  assert.deepEqual([unknown.status, unknown.json.error_code], [404, 'DBS.200002']);
});

test('faults can be aimed at the instance listing or at errorlog-download; errorlogRequests counts the latter', async (t) => {
  const { emu } = await start(t);
  emu.failApi({ kind: 'status', status: 503, body: { error_code: 'DBS.108000', error_msg: 'x' } }, 1, 'instances');
  assert.equal((await call(emu, 'POST', errorlog(emu), { token: emu.token })).status, 200, 'the fault waits for a listing');
  assert.equal((await call(emu, 'GET', `/v3/${emu.projectId}/instances`, { token: emu.token })).status, 503);
  emu.failApi({ kind: 'status', status: 500, body: {} });
  assert.equal((await call(emu, 'POST', errorlog(emu), { token: emu.token })).status, 500);
  assert.equal(emu.apiRequests.length, 3);
  assert.equal(emu.errorlogRequests().length, 2);
});

test('repeat: a real log served at any size, seekable: a range is the same bytes as in the whole file', async (t) => {
  const log = realPostgresLog();
  const size = 3 * 1024 * 1024 + 5; // over the emulator's 1 MiB tile, so ranges cross copies of the log
  const { emu } = await start(t, { files: [{ name: 'big.log', size, repeat: log }] });
  const answer = await fetch(new URL(`/v3/${emu.projectId}/instances/${emu.instanceId}/errorlog-download`, emu.url), { method: 'POST', headers: { 'X-Auth-Token': emu.token } });
  const link = ((await answer.json()) as { list: Array<{ file_link: string }> }).list[0]!.file_link;
  const whole = Buffer.from(await (await fetch(link)).arrayBuffer());
  assert.equal(whole.length, size);
  // The real log, copy after copy: line for line what the PostgreSQL server wrote.
  assert.ok(whole.subarray(0, log.length).equals(log));
  assert.ok(whole.subarray(5 * log.length, 6 * log.length).equals(log));
  assert.ok(whole.equals(emu.bytesOf('big.log')));
  const from = 1024 * 1024 - 100;
  const part = await fetch(link, { headers: { Range: `bytes=${from}-${from + 999_999}` } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes ${from}-${from + 999_999}/${size}`);
  assert.ok(Buffer.from(await part.arrayBuffer()).equals(whole.subarray(from, from + 1_000_000)));
  // As object storage: a range of this version (If-Match with its ETag) is served, of another one is 412.
  const etag = (await fetch(link, { method: 'HEAD' })).headers.get('etag') ?? '';
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  const same = await fetch(link, { headers: { Range: 'bytes=0-9', 'If-Match': etag } });
  assert.equal(same.status, 206);
  await same.arrayBuffer();
  const other = await fetch(link, { headers: { Range: 'bytes=0-9', 'If-Match': '"0123456789abcdef0123456789abcdef"' } });
  assert.equal(other.status, 412);
  assert.match(await other.text(), /<Code>PreconditionFailed<\/Code>/);
});

test('slowlog-download: a slow-query log given by size is generated and served like an error log', async (t) => {
  const size = 300_001;
  const { emu } = await start(t, { files: [], slowFiles: [{ name: 'slow.log', size }], exportingCalls: 0 });
  const answer = await fetch(new URL(`/v3/${emu.projectId}/instances/${emu.instanceId}/slowlog-download`, emu.url), { method: 'POST', headers: { 'X-Auth-Token': emu.token, 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(answer.status, 200);
  const link = ((await answer.json()) as { list: Array<{ file_link: string }> }).list[0]!.file_link;
  const whole = Buffer.from(await (await fetch(link)).arrayBuffer());
  assert.equal(whole.length, size);
  assert.ok(whole.equals(emu.bytesOf('slow.log')));
});

test('the emulator as a command: --help says how to use it; an unknown flag is refused with the usage, exit 2', () => {
  const script = new URL('../../emulator/rds.ts', import.meta.url).pathname;
  const help = spawnSync(process.execPath, [script, '--help'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: node emulator\/rds\.ts \[--port N\] \[--files-dir DIR\]/);
  const bad = spawnSync(process.execPath, [script, '--nope'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /Unknown option '--nope'[\s\S]*Usage: /);
});
