// The action end to end, as the runner runs it: the bundle in a node process, INPUT_* variables, the local RDS
// emulator and the local artifact service over real sockets, the real @actions/artifact client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finishedAnswer, leaked, shownText, withRig } from '../support/harness.ts';
import { DEFAULT_INSTANCE_ID } from '../../emulator/rds.ts';
import { readZip } from '../support/zip.ts';
import { fetchStackLoaded, loadedModules } from '../support/loaded-modules.ts';

const files = [
  { name: 'postgresql-2026-11-28_080000.log', data: Buffer.from('2026-11-28 08:00:01 UTC [101] ERROR:  relation "orders" does not exist\n') },
  { name: 'postgresql-2026-11-28_090000.log', data: Buffer.from('2026-11-28 09:00:01 UTC [102] FATAL:  password authentication failed for user "app"\n'.repeat(1000)) },
  { name: 'postgresql-2026-11-28_100000.log', size: 3 * 1024 * 1024 + 17 },
];

/** A one-line log whose FATAL names `w`, to tell the files apart by what was read. */
const line = (w: string): Buffer => Buffer.from(`2026-11-28 08:00:01 UTC [7] FATAL:  ${w} quorum lost\n`);

test('downloads every listed file, uploads them as one artifact, and reports it', async () => {
  await withRig({ files, creatingCalls: 2 }, async (rig) => {
    const r = await rig.run();
    assert.equal(r.code, 0, r.log);

    // Outputs
    assert.equal(r.outputs['status'], 'FINISH');
    assert.equal(r.outputs['file-count'], '3');
    const total = files.reduce((n, f) => n + rig.rds.bytesOf(f.name).length, 0);
    assert.equal(r.outputs['total-bytes'], String(total));
    const listed = JSON.parse(r.outputs['files'] ?? '[]') as Array<{ name: string; path: string; size: number }>;
    assert.deepEqual(listed.map((f) => f.name), files.map((f) => f.name));

    // Files on disk, byte for byte
    for (const f of listed) {
      assert.ok(f.path.startsWith(r.outputs['output-dir'] + '/'));
      assert.ok((await readFile(f.path)).equals(rig.rds.bytesOf(f.name)), `${f.name} differs from what was served`);
    }
    assert.deepEqual((await readdir(r.outputs['output-dir'] ?? '')).sort(), files.map((f) => f.name).sort(), 'no part files left behind');

    // The artifact: entries named by file name only, same bytes; digest and URL as promised
    const [artifact] = rig.artifacts.artifacts();
    assert.ok(artifact, 'an artifact was uploaded');
    assert.equal(r.outputs['artifact-id'], artifact.id);
    assert.equal(r.outputs['artifact-name'], artifact.name);
    assert.equal(r.outputs['artifact-digest'], createHash('sha256').update(artifact.zip).digest('hex'));
    assert.equal(r.outputs['artifact-url'], `https://github.com/acme/shop/actions/runs/4242/artifacts/${artifact.id}`);
    const entries = await readZip(artifact.zip);
    assert.deepEqual(entries.map((e) => e.name).sort(), files.map((f) => f.name).sort());
    for (const e of entries) assert.ok(e.data.equals(rig.rds.bytesOf(e.name)));

    // The summary: a table of files and the artifact link
    for (const f of files) assert.match(r.summary, new RegExp(`\\| ${f.name.replace(/_/g, '\\\\_')} \\| `));
    assert.ok(r.summary.includes(`(${r.outputs['artifact-url']})`), 'the summary links the artifact');
    // The log: grouped, a line per file
    assert.match(r.log, /::group::Waiting for RDS/);
    assert.match(r.log, /::group::Downloading 3 files/);
    for (const f of files) assert.match(r.log, new RegExp(`✓ ${f.name}: `));

    // One instance check, three calls (CREATING, CREATING, FINISH); the token went to the API only, never to the download host
    assert.equal(rig.rds.errorlogRequests().length, 3);
    assert.equal(rig.rds.apiRequests.length, 4);
    assert.match(rig.rds.apiRequests[0]?.path ?? '', new RegExp(`^/v3/${rig.rds.projectId}/instances\\?id=${rig.rds.instanceId}$`));
    assert.ok(rig.rds.apiRequests.every((q) => q.headers['x-auth-token'] === rig.rds.token));
    assert.equal(rig.rds.fileRequests.length, 3);
    assert.ok(rig.rds.fileRequests.every((q) => q.headers['x-auth-token'] === undefined && q.headers['authorization'] === undefined));
    assert.ok(rig.artifacts.requests.every((q) => !JSON.stringify(q).includes(rig.rds.token)));
    assert.equal(leaked(rig, r), undefined, 'no secret in the log, summary or outputs');
  });
});

test("reads the spec's own example shapes: progress items, lower-case statuses, links without a scheme, file_size \"0\"", async () => {
  const spec = [{ ...files[1]!, reportedSize: '0' }];
  await withRig({ files: spec, lowerCase: true, schemeless: true, creatingCalls: 1 }, async (rig) => {
    const r = await rig.run();
    assert.equal(r.code, 0, r.log);
    assert.equal(r.outputs['status'], 'FINISH');
    assert.equal(r.outputs['file-count'], '1');
    assert.equal(r.outputs['total-bytes'], String(rig.rds.bytesOf(spec[0]!.name).length), 'Content-Length counts, not file_size');
    assert.ok(rig.rds.filesOrigin.startsWith('https://'));
    assert.equal(rig.rds.fileRequests.length, 1, 'the https link was fetched');
  });
});

test('an item with status FAILED is a warning naming the file; the others still download; the counts are unknown (empty)', async () => {
  const withFailed = [files[0]!, { name: 'postgresql-broken.log', data: Buffer.from(''), itemStatus: 'FAILED' as const }];
  await withRig({ files: withFailed }, async (rig) => {
    const r = await rig.run();
    assert.equal(r.code, 0, r.log);
    assert.match(r.log, /::warning title=Error log file not prepared::.*postgresql-broken\.log/);
    assert.equal(r.outputs['file-count'], '1');
    assert.match(r.summary, /Not downloaded[\s\S]*postgresql-broken\.log/);
    // The file RDS could not prepare may hold the errors a gate on the counts looks for.
    for (const name of ['error-count', 'fatal-count', 'panic-count', 'crash-count']) assert.equal(r.outputs[name], '', name);
  });
});

test('zero files: a warning, success, and no artifact; the counts are unknown (empty), and the summary says why', async () => {
  await withRig({ files: [] }, async (rig) => {
    const r = await rig.run();
    assert.equal(r.code, 0, r.log);
    assert.match(r.log, /::warning title=No error logs::/);
    assert.equal(r.outputs['file-count'], '0');
    assert.equal(r.outputs['error-count'], '');
    assert.match(r.summary, /RDS listed no log files for this instance, so there was nothing to read: how many errors the database logged is unknown, and the counts are left empty\./);
    assert.equal(r.outputs['artifact-id'], '');
    assert.equal(rig.artifacts.artifacts().length, 0);
  });
});

test('upload: false keeps the files on the runner and uploads nothing', async () => {
  await withRig({ files }, async (rig) => {
    const r = await rig.run({ inputs: { upload: 'false' } });
    assert.equal(r.code, 0, r.log);
    assert.equal(r.outputs['file-count'], '3');
    assert.equal(r.outputs['artifact-url'], '');
    assert.equal(rig.artifacts.requests.length, 0);
    assert.match(r.summary, /no artifact uploaded/);
  });
});

test('retention-days and compression-level reach the artifact service', async () => {
  await withRig({ files: files.slice(0, 2) }, async (rig) => {
    const r = await rig.run({ inputs: { 'retention-days': '3', 'compression-level': '0', 'artifact-name': 'db-logs' } });
    assert.equal(r.code, 0, r.log);
    const [a] = rig.artifacts.artifacts();
    assert.equal(a?.name, 'db-logs');
    const days = (Date.parse(a?.expiresAt ?? '') - Date.now()) / 86_400_000;
    assert.ok(days > 2.9 && days < 3.1, `expires in ${days} days`);
    assert.ok((await readZip(a!.zip)).every((e) => e.method === 0), 'level 0 stores entries');
  });
});

test('a name conflict fails naming the artifact and the ways out; overwrite: true replaces it', async () => {
  await withRig({ files: files.slice(0, 1) }, async (rig) => {
    const first = await rig.run({ inputs: { 'artifact-name': 'db-logs' } });
    assert.equal(first.code, 0, first.log);
    const second = await rig.run({ inputs: { 'artifact-name': 'db-logs' } });
    assert.equal(second.code, 1);
    assert.match(second.log, /::error::.*'db-logs' already exists.*overwrite: true.*artifact-name/);
    const third = await rig.run({ inputs: { 'artifact-name': 'db-logs', overwrite: 'true' } });
    assert.equal(third.code, 0, third.log);
    assert.equal(rig.artifacts.artifacts().filter((a) => a.finalized && a.name === 'db-logs').length, 1);
  });
});

test("the artifact service finishes the upload but its answer is lost: the artifact is reported, not a name conflict", async () => {
  await withRig({ files: files.slice(0, 1) }, async (rig) => {
    rig.artifacts.failNext('FinalizeArtifact', -2);
    const r = await rig.run({ inputs: { 'artifact-name': 'db-logs' } });
    assert.equal(r.code, 0, r.log);
    const stored = rig.artifacts.artifacts().filter((a) => a.finalized && a.name === 'db-logs');
    assert.equal(stored.length, 1);
    assert.equal(r.outputs['artifact-id'], String(stored[0]!.id));
    assert.match(r.outputs['artifact-digest'] ?? '', /^[0-9a-f]{64}$/, 'the digest as SHA-256 hex, as on any upload');
    assert.match(r.log, /^::warning title=Artifact taken as uploaded::The artifact service's answer to the upload was lost; artifact 'db-logs' \(id \d+\), which did not exist when this upload began, is taken as this upload/m);
    assert.doesNotMatch(r.summary, /no artifact uploaded/);
  });
});

test("top-level status FAILED with no file prepared fails the step with the cause; the 'status' output says FAILED", async () => {
  await withRig({ finalStatus: 'FAILED', files: files.map((f) => ({ ...f, itemStatus: 'FAILED' as const })) }, async (rig) => {
    const r = await rig.run();
    assert.equal(r.code, 1);
    assert.match(r.log, /::error::RDS could not prepare the error logs \(status FAILED/);
    assert.equal(r.outputs['status'], 'FAILED');
    assert.equal(rig.artifacts.requests.length, 0);
  });
});

test('top-level status FAILED with some files prepared: those are downloaded, kept and read; the others named; the counts unknown', async () => {
  const some = [files[0]!, { ...files[1]!, itemStatus: 'FAILED' as const }];
  await withRig({ finalStatus: 'FAILED', files: some }, async (rig) => {
    const r = await rig.run();
    assert.equal(r.code, 0, r.log.slice(-3000));
    assert.match(r.log, /::warning title=Error logs not all prepared::RDS answered status FAILED for the error logs \(request id [0-9a-f]+\): it could not prepare every file; the 1 file it lists as prepared is downloaded/);
    assert.match(r.log, new RegExp(`::warning title=Error log file not prepared::.*${files[1]!.name.replace(/\./g, '\\.')}`));
    assert.equal(r.outputs['status'], 'FAILED');
    assert.equal(r.outputs['file-count'], '1');
    assert.equal(rig.artifacts.artifacts().length, 1, 'what came is uploaded');
    for (const name of ['error-count', 'fatal-count', 'panic-count', 'crash-count']) assert.equal(r.outputs[name], '', name);
    assert.match(r.summary, /^RDS prepared only some of the logs \(status FAILED\) in /m);
    assert.match(r.summary, /Not downloaded[\s\S]*\| RDS reported status FAILED \|/);
  });
  // FAILED, yet every file listed as prepared: all are had, and the summary says files may be missing from the list.
  await withRig({ finalStatus: 'FAILED', files }, async (rig) => {
    const r = await rig.run();
    assert.equal(r.code, 0, r.log.slice(-3000));
    assert.equal(r.outputs['file-count'], String(files.length));
    assert.equal(r.outputs['error-count'], '');
    assert.match(r.summary, /^\| \(any file RDS did not list\) \| RDS reported status FAILED \|$/m);
  });
});

test('timeout: fails saying it timed out waiting, without overrunning', async () => {
  await withRig({ creatingCalls: 1000 }, async (rig) => {
    const r = await rig.run({ inputs: { timeout: '3s', 'poll-interval': '1s' } });
    assert.equal(r.code, 1);
    assert.match(r.log, /::error::Timed out waiting for RDS to prepare the error logs: still CREATING/);
    assert.equal(r.outputs['status'], 'CREATING', 'what RDS last answered');
    const calls = rig.rds.errorlogRequests().length;
    assert.ok(calls >= 3 && calls <= 4, `${calls} calls`);
  });
});

for (const [status, code, pattern] of [
  [401, 'DBS.280056', /HTTP 401 DBS\.280056: The token is invalid/],
  [403, 'DBS.200010', /HTTP 403 DBS\.200010: .*not authorized/],
  [404, 'DBS.200002', /HTTP 404 DBS\.200002: The DB instance does not exist/],
] as const) {
  test(`HTTP ${status} fails at once with status, error_code, error_msg and request id`, async () => {
    await withRig({}, async (rig) => {
      rig.rds.failApi({ kind: 'status', status, body: { error_code: code, error_msg: status === 403 ? 'The user is not authorized.' : status === 401 ? 'The token is invalid or has expired.' : 'The DB instance does not exist.' }, headers: { 'X-Request-Id': 'req-0123456789' } });
      const r = await rig.run();
      assert.equal(r.code, 1);
      assert.match(r.log, pattern);
      assert.match(r.log, /request id req-0123456789/);
      assert.equal(rig.rds.errorlogRequests().length, 1, 'not retried');
      assert.equal((r.log.match(/::error::/g) ?? []).length, 1, 'one error, reported once');
    });
  });
}

test('a wrong token is refused by the API (403 DBS.280056, as documented) and reported as refused credentials, never retried, nothing else tried', async () => {
  await withRig({}, async (rig) => {
    const r = await rig.run({ inputs: { token: 'not-the-right-token' } });
    assert.equal(r.code, 1);
    assert.match(r.log, /^::error::RDS instance lookup failed: HTTP 403 DBS\.280056: The token is invalid or has expired\. \(request id [0-9a-f]+\)\. The credentials were refused: is the token expired/m);
    assert.doesNotMatch(r.log, /Instance not checked|lack permission/, 'not read as a missing permission');
    assert.equal(rig.rds.apiRequests.length, 1, 'the lookup only: no errorlog-download call after it');
  });
});

test('5xx and 429 with Retry-After are retried within the timeout', async () => {
  await withRig({ files: files.slice(0, 1) }, async (rig) => {
    rig.rds.failApi({ kind: 'status', status: 503, body: { error_code: 'DBS.108000', error_msg: 'System error.' } });
    rig.rds.failApi({ kind: 'status', status: 429, body: { error_code: 'APIG.0308', error_msg: 'The request is throttled.' }, headers: { 'Retry-After': '1' } });
    const r = await rig.run();
    assert.equal(r.code, 0, r.log);
    assert.match(r.log, /attempt 1 failed \(.*HTTP 503 DBS\.108000/);
    assert.match(r.log, /attempt 2 failed \(.*HTTP 429 APIG\.0308/);
    assert.equal(r.outputs['file-count'], '1');
    // The calls the log and the summary count are the requests RDS had, the retried ones too.
    const calls = rig.rds.errorlogRequests().length;
    assert.ok(calls >= 4, `${calls} calls: the two refused, two CREATING, FINISH`);
    assert.match(r.log, new RegExp(`^FINISH after \\S+ and ${calls} calls: 1 file listed$`, 'm'));
    assert.match(r.summary, new RegExp(`RDS prepared the logs in \\S+ \\(${calls} calls\\)`));
  });
});

test('bad inputs fail before any request, naming the input', async () => {
  await withRig({}, async (rig) => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ 'project-id': 'a/b' }, /Input 'project-id': 'a\/b' is not an id/],
      [{ 'instance-id': '' }, /Inputs 'instance-id' and 'instance-name': one of them is required/],
      [{ 'instance-id': '../admin' }, /Input 'instance-id': '..\/admin' is not an id/],
      [{ token: '' }, /Inputs 'token', 'access-key', 'username' and 'identity-provider': none is set/],
      [{ 'poll-interval': '5' }, /Input 'poll-interval': '5' is not a duration/],
      [{ timeout: '90d' }, /Input 'timeout': '90d' is not a duration/],
      [{ endpoint: 'http://rds.example.com' }, /Input 'endpoint': plain http is allowed only for a loopback host/],
      [{ 'compression-level': '11' }, /Input 'compression-level': 11 is out of range; allowed is 0 to 9/],
      [{ upload: 'yes' }, /Input 'upload': 'yes' is not a boolean/],
      [{ 'artifact-name': 'logs:today' }, /Input 'artifact-name': .* refuses/],
    ];
    for (const [inputs, pattern] of cases) {
      const r = await rig.run({ inputs });
      assert.equal(r.code, 1, JSON.stringify(inputs));
      assert.match(r.log, pattern);
    }
    assert.equal(rig.rds.apiRequests.length, 0, 'no request was sent');
  });
});

test('parallel-downloads is how many files download at once: the peak the download host saw', async () => {
  // Six files of 48 KiB sent at 2 KiB per 10 ms: each takes a quarter of a second, so the allowed ones overlap.
  const slow = Array.from({ length: 6 }, (_, i) => ({ name: `postgresql-2026-11-28_0${i}0000.log`, size: 48 * 1024 }));
  for (const parallel of [3, 1]) {
    await withRig({ files: slow, creatingCalls: 0 }, async (rig) => {
      for (const f of slow) rig.rds.failFile(f.name, { kind: 'slow', bytesPer10ms: 2048 });
      const r = await rig.run({ inputs: { 'parallel-downloads': String(parallel), upload: 'false' } });
      assert.equal(r.code, 0, r.log);
      assert.equal(r.outputs['file-count'], '6');
      assert.equal(rig.rds.peakDownloads(), parallel);
    });
  }
});

test('every secret input is masked before the action prints anything else, even when the inputs are refused', async () => {
  await withRig({ files: files.slice(0, 1) }, async (rig) => {
    const secrets = { token: rig.rds.token, 'access-key': 'AK-masked-0001', 'secret-key': 'SK-masked-0002', 'security-token': 'ST-masked-0003', password: 'PW-masked-0004' };
    const runs = [
      // Accepted (token mode) and refused (four modes at once): either way the masks come first.
      { inputs: { token: secrets.token }, masked: [secrets.token], code: 0 },
      { inputs: { ...secrets, username: 'ci', domain: 'd' }, masked: Object.values(secrets), code: 1 },
    ];
    for (const run of runs) {
      const r = await rig.run({ inputs: run.inputs });
      assert.equal(r.code, run.code, r.log);
      const lines = r.stdout.split('\n');
      const firstOther = lines.findIndex((l) => !l.startsWith('::add-mask::'));
      const maskedFirst = lines.slice(0, firstOther).map((l) => l.slice('::add-mask::'.length));
      for (const v of run.masked) assert.ok(maskedFirst.includes(v), `::add-mask:: for ${v} before "${lines[firstOther]}"`);
    }
  });
});

test('hostile file names land inside output-dir, unique, and the artifact accepts them', async () => {
  const hostile = [
    { name: '../../../../tmp/escape.log', data: Buffer.from('one\n') },
    { name: 'dir/sub\\name:1.log', data: Buffer.from('two\n') },
    { name: 'same.log', data: Buffer.from('three\n') },
    { name: 'SAME.log', data: Buffer.from('four\n') },
    { name: '.hidden\u0007bell', data: Buffer.from('five\n') },
  ];
  await withRig({ files: hostile }, async (rig) => {
    const r = await rig.run();
    assert.equal(r.code, 0, r.log);
    const listed = JSON.parse(r.outputs['files'] ?? '[]') as Array<{ name: string; path: string }>;
    assert.equal(listed.length, hostile.length);
    const dir = r.outputs['output-dir'] ?? '';
    for (const f of listed) {
      assert.equal(join(dir, f.name), f.path);
      assert.ok(!f.name.includes('/') && !f.name.includes('\\') && !f.name.startsWith('.'), f.name);
    }
    assert.equal(new Set(listed.map((f) => f.name.toLowerCase())).size, hostile.length, 'names are unique');
    const zipNames = (await readZip(rig.artifacts.artifacts()[0]!.zip)).map((e) => e.name);
    assert.ok(zipNames.every((n) => !n.includes('/')), zipNames.join(', '));
  });
});

test('an API file name cannot smuggle a workflow command into the log', async () => {
  const evil = [{ name: 'x\n::add-mask::everything\n::error::forged', data: Buffer.from('') }];
  await withRig({ files: evil }, async (rig) => {
    rig.rds.failFile(evil[0]!.name, { kind: 'status', status: 404 }, 10);
    const r = await rig.run();
    assert.equal(r.code, 1);
    const lines = r.log.split('\n');
    assert.ok(!lines.includes('::add-mask::everything'), 'no forged mask command');
    assert.ok(!lines.some((l) => l.startsWith('::error::forged')), 'no forged error command');
  });
});

test('the summary renders names and paths as written: no escape code shows up inside a code span', async () => {
  // GitHub's RUNNER_TEMP is /home/runner/work/_temp: an underscore in a path is the common case.
  await withRig({ files: files.slice(0, 1) }, async (rig) => {
    const r = await rig.run({ inputs: { upload: 'false', 'output-dir': 'work/_temp/db_logs' } });
    assert.equal(r.code, 0, r.log);
    // Inside `code`, markdown shows an entity or a backslash escape literally, as "&#95;" or "\_".
    const spans = [...r.summary.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
    for (const s of spans) assert.doesNotMatch(s, /&#?\w+;|\\[_*[\]|`]/, `escape code in a code span: ${s}`);
    assert.match(r.summary, /work\/\\_temp\/db\\_logs/, 'the folder is named, escaped for markdown outside code');
  });
});

test("a failing step keeps one of GitHub's 10 error annotations for its failure", async () => {
  // 12 distinct FATAL messages in one file; the other file is gone (404): the step fails, and says why.
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];
  const log = words.map((w, i) => `2026-11-28 08:00:${String(i).padStart(2, '0')} UTC [10${i}] FATAL:  ${w} quorum lost\n`).join('');
  const two = [{ name: 'postgresql-2026-11-28_080000.log', data: Buffer.from(log) }, { name: 'postgresql-2026-11-28_090000.log', size: 1000 }];
  await withRig({ files: two }, async (rig) => {
    rig.rds.failFile(two[1]!.name, { kind: 'status', status: 404 }, 10);
    const r = await rig.run({ inputs: { 'max-annotations': '50', upload: 'false' } });
    assert.equal(r.code, 1, r.log);
    const lines = r.log.split('\n');
    const errors = lines.filter((l) => l.startsWith('::error'));
    assert.equal(errors.length, 10, errors.join('\n'));
    assert.match(errors.at(-1)!, /^::error::1 of 2 error log files could not be downloaded/);
    assert.match(errors.at(-2)!, /…and 3 more distinct FATAL\/PANIC messages in the job summary\.$/);
  });
});

test('a secret in the logs is redacted before the summary escapes it and before an annotation cuts it', async () => {
  // Markdown punctuation in the token: escaped (`\_`), a redaction of the finished summary would miss it. Far
  // into a long message: an annotation cuts it, and a redaction after the cut would miss the prefix.
  const token = `MIIT_${'ab_cd*ef'.repeat(6)}`;
  const log = [
    `2026-11-28 08:00:01 UTC [7] ERROR:  ${'x'.repeat(490)} ${token} tail`,
    `2026-11-28 08:00:02 UTC [7] FATAL:  login with ${token} refused`,
    `2026-11-28 08:00:02 UTC [7] DETAIL:  ${'d'.repeat(280)} ${token}`,
    `2026-11-28 08:00:03 UTC [8] ERROR:  syntax error`,
    `2026-11-28 08:00:03 UTC [8] STATEMENT:  SELECT '${token}'`,
  ].join('\n') + '\n';
  await withRig({ files: [{ name: 'postgresql-2026-11-28_080000.log', data: Buffer.from(log) }], tokens: [token] }, async (rig) => {
    const r = await rig.run({ inputs: { 'max-annotations': '50' } });
    assert.equal(r.code, 0, r.log);
    // (The mask command that tells the runner the secret carries it, as it must.)
    const everything = shownText(r);
    // No piece of it that could be told apart: 8 characters, raw or as the summary escapes them.
    for (let i = 0; i + 8 <= token.length; i++) {
      const piece = token.slice(i, i + 8);
      assert.ok(!everything.includes(piece), `'${piece}' printed: ${everything.slice(Math.max(0, everything.indexOf(piece) - 300), everything.indexOf(piece) + 50)}`);
      assert.ok(!everything.includes(piece.replace(/[_*]/g, (c) => `\\${c}`)), `'${piece}' printed, escaped`);
    }
    assert.ok(r.summary.includes('login with \\*\\*\\* refused'), 'the redacted secret, escaped');
  });
});

test('an API that echoes the token (as the instance name, in the names of files it could not prepare) gets it redacted before a cut or an escape', async () => {
  const token = `MIIT_${'ab_cd*ef'.repeat(12)}`;
  const files = [
    { name: 'postgresql-2026-11-28_080000.log', data: Buffer.from('2026-11-28 08:00:01 UTC [7] ERROR:  boom\n') },
    { name: `echo ${token} end`, itemStatus: 'FAILED' as const },
    { name: `${'x'.repeat(985)} ${token}`, itemStatus: 'FAILED' as const },
  ];
  const instances = [{ id: DEFAULT_INSTANCE_ID, name: token, status: 'ACTIVE', datastore: { type: 'PostgreSQL', version: '15' } }];
  await withRig({ files, instances, tokens: [token] }, async (rig) => {
    const r = await rig.run({ inputs: { token } });
    const everything = shownText(r);
    assert.ok(r.summary.includes('| echo \\*\\*\\* end |'), r.summary);
    for (let i = 0; i + 8 <= token.length; i++) {
      const piece = token.slice(i, i + 8);
      assert.ok(!everything.includes(piece), `'${piece}' printed: ${everything.slice(Math.max(0, everything.indexOf(piece) - 300), everything.indexOf(piece) + 50)}`);
      assert.ok(!everything.includes(piece.replace(/[_*]/g, (c) => `\\${c}`)), `'${piece}' printed, escaped`);
    }
  });
});

test("warnings printed by the artifact client in the upload thread count against GitHub's 10 too", async () => {
  // retention-days above the repository's maximum: @actions/artifact warns (in the upload thread) and uses 90.
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];
  const log = words.map((w, i) => `2026-11-28 08:00:${String(i).padStart(2, '0')} UTC [10${i}] ERROR:  ${w} check failed\n`).join('');
  await withRig({ files: [{ name: 'postgresql-2026-11-28_080000.log', data: Buffer.from(log) }] }, async (rig) => {
    const r = await rig.run({ inputs: { 'max-annotations': '50', 'retention-days': '400' }, env: { GITHUB_RETENTION_DAYS: '90' } });
    assert.equal(r.code, 0, r.log);
    const warnings = r.log.split('\n').filter((l) => l.startsWith('::warning'));
    assert.ok(warnings.some((l) => !l.includes('PostgreSQL ERROR')), `the artifact client warned:\n${warnings.join('\n')}`);
    assert.equal(warnings.length, 10, warnings.join('\n'));
    assert.match(warnings.at(-1)!, /…and 3 more distinct ERROR messages in the job summary\.$/);
  });
});

test("link signatures: masked for the links it fetches only, and only values that look like one; the API's look-alikes do not slow the step", async () => {
  // A log of long runs of one letter, and thousands of FAILED items whose "signatures" are runs of the same
  // letter: a redactor fed with them compared each at every position of every text (minutes, not seconds).
  const log = Array.from({ length: 40 }, (_, i) => `2026-11-28 08:00:${String(i).padStart(2, '0')} UTC [7] ERROR:  ${'A'.repeat(3000)}\n`).join('');
  await withRig({ files: [{ name: 'postgresql-2026-11-28_080000.log', data: Buffer.from(log) }], creatingCalls: 0 }, async (rig) => {
    const real = (await finishedAnswer(rig.rds)).list[0]!;
    const signature = new URL(String(real['file_link'])).searchParams.get('Signature') ?? '';
    assert.ok(signature.length >= 16, 'the emulator signs its links');
    const failed = (link: string, i: number): Record<string, unknown> => ({ workflow_id: `wf-${i}`, file_name: `gone-${i}.log`, status: 'FAILED', file_size: '1', file_link: link });
    const words = failed('http://127.0.0.1:1/x?X-Amz-Signature=e&X-Amz-Security-Token=ERROR&sig=FATAL&Credential=%20', 0);
    const lookalikes = Array.from({ length: 8000 }, (_, i) => failed(`http://127.0.0.1:1/x?X-Amz-Signature=${'A'.repeat(60)}${i}`, i + 1));
    // Short words as the signature of a link that is fetched: not masked either.
    const fetchedShort = { ...real, file_name: 'short.log', file_link: `${String(real['file_link']).replace(/Signature=[^&]*/, 'Signature=ERROR')}` };
    // A word of 16 letters and more is not a signature; nor is the signature of a link that would not be fetched.
    const fetchedWord = { ...real, file_name: 'word.log', file_link: `${String(real['file_link']).replace(/Signature=[^&]*/, 'Signature=idle_in_transaction_session_timeout')}` };
    const refused = { ...real, file_name: 'refused.log', file_link: 'ftp://10.0.0.1/x?X-Amz-Signature=AbCdEf0123456789XyZ' };
    rig.rds.failApi({ kind: 'status', status: 200, body: { status: 'FINISH', count: 8005, list: [real, fetchedShort, fetchedWord, refused, words, ...lookalikes] } }, 10);

    const r = await rig.run({ inputs: { timeout: '5s', upload: 'false', 'max-annotations': '0' }, timeoutMs: 60_000 });
    assert.equal(r.signal, null, 'the step ended by itself');
    const masks = r.stdout.split('\n').filter((l) => l.startsWith('::add-mask::')).map((l) => l.slice('::add-mask::'.length));
    assert.ok(masks.includes(signature), 'the fetched link\'s signature is masked');
    for (const word of ['e', 'ERROR', 'FATAL', ' ', '', 'idle_in_transaction_session_timeout', 'AbCdEf0123456789XyZ']) assert.ok(!masks.includes(word), `'${word}' masked`);
    assert.ok(!masks.some((m) => m.startsWith('AAAA')), 'no mask for links that are not fetched');
    // The real file was fetched and read (its counts unknown: other listed files are missing); the one whose link
    // was tampered with failed, by the emulator's check.
    assert.equal(r.outputs['file-count'], '1', r.log.slice(-2000));
    assert.match(r.outputs['first-error'] ?? '', /^ERROR: A{900}/);
    assert.equal(r.outputs['error-count'], '');
    assert.match(r.log, /short\.log: the download link for 'short\.log' was refused with HTTP 403/);
  });
});

test('a link expired and RDS refuses a fresh one: that file is missing, named with why; the others are kept and uploaded', async () => {
  await withRig({ files: [{ name: 'a.log', data: line('alpha') }, { name: 'b.log', data: line('bravo') }], creatingCalls: 0 }, async (rig) => {
    // The step's first call gets the listing; the one asking for a fresh link is refused.
    rig.rds.failApi({ kind: 'status', status: 200, body: await finishedAnswer(rig.rds) }, 1);
    rig.rds.failApi({ kind: 'status', status: 403, body: { error_code: 'DBS.200010', error_msg: 'The user is not authorized.' } }, 1);
    rig.rds.failFile('b.log', { kind: 'status', status: 403, body: 'Request has expired' }, 1);
    const r = await rig.run();
    assert.equal(r.code, 1, r.log);
    assert.match(r.log, /^::error::1 of 2 error log files could not be downloaded: b\.log \(its link expired and RDS gave no fresh one \(errorlog-download failed: HTTP 403 DBS\.200010/m);
    const [artifact] = rig.artifacts.artifacts();
    assert.deepEqual((await readZip(artifact!.zip)).map((e) => e.name), ['a.log'], 'the file that came is uploaded');
    assert.match(r.summary, /Not downloaded[\s\S]*b\.log/);
  });
});

test('two files of one name whose links expired: the fresh links fetch each its own file', async () => {
  await withRig({ files: [{ name: 'dup.log', data: line('alpha') }, { name: 'dup.log', data: line('bravo') }] }, async (rig) => {
    rig.rds.failFile('dup.log', { kind: 'status', status: 403, body: 'Request has expired' }, 2);
    const r = await rig.run({ inputs: { upload: 'false' } });
    assert.equal(r.code, 0, r.log);
    assert.match(r.log, /2 download links expired; asking RDS for fresh links/);
    const listed = JSON.parse(r.outputs['files'] ?? '[]') as Array<{ path: string }>;
    const contents = await Promise.all(listed.map((f) => readFile(f.path, 'utf8')));
    assert.deepEqual(contents.map((c) => /FATAL: {2}(\w+)/.exec(c)?.[1]).sort(), ['alpha', 'bravo']);
    assert.equal(r.outputs['fatal-count'], '2');
  });
});

test('a link expired and the fresh answer names the export anew (as the spec names it, by its time): the file is fetched under its new name', async () => {
  const exported = /^[0-9a-f]{32}_errorlog_download_\d{17}$/;
  await withRig({ files: [{ name: 'a', data: line('alpha') }, { name: 'b', data: line('bravo') }], exportNames: true }, async (rig) => {
    rig.rds.failFile('b', { kind: 'status', status: 403, body: 'Request has expired' }, 1);
    const r = await rig.run({ inputs: { upload: 'false' } });
    assert.equal(r.code, 0, r.log);
    const [, before, after] = /(\w+) is no longer listed; the fresh answer lists (\w+) in its place/.exec(r.log) ?? [];
    assert.match(before ?? '', exported, r.log);
    assert.match(after ?? '', exported);
    assert.notEqual(before, after);
    const listed = JSON.parse(r.outputs['files'] ?? '[]') as Array<{ name: string; path: string }>;
    assert.equal(listed.length, 2);
    assert.ok(listed.some((f) => f.name === after), 'the file is kept under the name RDS gives it now');
    assert.ok(!listed.some((f) => f.name === before));
    const contents = await Promise.all(listed.map((f) => readFile(f.path, 'utf8')));
    assert.deepEqual(contents.map((c) => /FATAL: {2}(\w+)/.exec(c)?.[1]).sort(), ['alpha', 'bravo']);
    assert.deepEqual((await readdir(r.outputs['output-dir'] ?? '')).sort(), listed.map((f) => f.name).sort(), 'no part file left behind');
    assert.equal(r.outputs['fatal-count'], '2');
  });
});

test('a link expired and the fresh answer keeps some names (a log rotated meanwhile) or lists more new ones: nothing is guessed, the file is missing', async () => {
  // [a, b] first; then a stays and b is gone, beside one new name (a rotation: b's successor is not b) or two.
  for (const fresh of [['c.log'], ['c.log', 'd.log']]) {
    await withRig({ files: [{ name: 'a.log', data: line('alpha') }, { name: 'b.log', data: line('bravo') }], creatingCalls: 0 }, async (rig) => {
      const first = await finishedAnswer(rig.rds);
      rig.rds.failApi({ kind: 'status', status: 200, body: first }, 1);
      const b = first.list[1]!;
      const list = [first.list[0], ...fresh.map((file_name) => ({ ...b, file_name }))];
      rig.rds.failApi({ kind: 'status', status: 200, body: { ...first, list, count: list.length } }, 1);
      rig.rds.failFile('b.log', { kind: 'status', status: 403, body: 'Request has expired' }, 1);
      const r = await rig.run({ inputs: { upload: 'false' } });
      assert.equal(r.code, 1, r.log);
      assert.match(r.log, /^::error::1 of 2 error log files could not be downloaded: b\.log \(its link expired and the fresh answer no longer lists it\)/m, fresh.join());
      assert.doesNotMatch(r.log, /in its place/);
    });
  }
});

test('every listed item lacks what a download needs (the one export file of the spec without its link): the step fails naming it, not green with no files', async () => {
  const item = { workflow_id: 'w', file_name: 'abc_errorlog_download_20200515080614589', status: 'SUCCESS', file_size: '10', file_link: '' };
  const named = {
    FINISH: /1 of 1 error log file could not be downloaded: abc_errorlog_download_20200515080614589 \(RDS listed it as prepared \(SUCCESS\), but without a file_link \(request id [0-9a-f]+\)\)/,
    // Nothing prepared that can be had: as a FAILED answer with no file prepared.
    FAILED: /RDS could not prepare the error logs \(status FAILED after 1 call, request id [0-9a-f]+\)/,
  };
  for (const [status, error] of Object.entries(named)) {
    await withRig({ files, creatingCalls: 0 }, async (rig) => {
      rig.rds.failApi({ kind: 'raw', status: 200, body: JSON.stringify({ status, count: 1, list: [item] }) }, 10);
      const r = await rig.run({ inputs: { upload: 'false', timeout: '3s', 'poll-interval': '1s' } });
      assert.equal(r.code, 1, r.log);
      const errors = r.log.split('\n').filter((l) => l.startsWith('::error::'));
      assert.equal(errors.length, 1, errors.join('\n'));
      assert.match(errors[0]!, error);
      assert.doesNotMatch(r.log, /nothing to download or upload/);
      assert.equal(r.outputs['error-count'], '');
    });
  }
});

test("RDS's count disagreeing with its list is said, with the request id; the listed files come and are counted", async () => {
  await withRig({ files: files.slice(0, 2), creatingCalls: 0 }, async (rig) => {
    rig.rds.failApi({ kind: 'status', status: 200, body: { ...(await finishedAnswer(rig.rds)), count: 5 }, headers: { 'X-Request-Id': 'req-count-5' } }, 1);
    const r = await rig.run({ inputs: { upload: 'false' } });
    assert.equal(r.code, 0, r.log);
    assert.match(r.log, /^RDS's answer counts 5 error log files but lists 2 files \(request id req-count-5\); the listed ones are downloaded$/m);
    assert.equal(r.outputs['file-count'], '2');
    assert.equal(r.outputs['error-count'], '1');
  });
});

test("no thread of the action loads Node's fetch stack (undici, http2, web streams): it costs memory and is never used", async () => {
  // An ESM import of 'http' reads every export of the module, and three of them load Node's undici (see
  // scripts/build.ts): 6 MiB more peak RSS for the action.
  let uploaded = 0;
  const lists = await loadedModules((env) => withRig({ files }, async (rig) => {
    const r = await rig.run({ env });
    assert.equal(r.code, 0, r.log);
    uploaded = rig.artifacts.artifacts().length;
  }));
  assert.equal(uploaded, 1, 'the upload thread ran too');
  assert.ok(lists.get('0')?.includes('NativeModule http'), "thread 0's list is the action's main thread's (it downloads over http)");
  assert.deepEqual(fetchStackLoaded(lists), {});
});

test("a runner without GITHUB_OUTPUT (older than 2.297) fails the step saying so, instead of losing every output", async () => {
  await withRig({ files }, async (rig) => {
    const r = await rig.run({ inputs: { upload: 'false' }, env: { GITHUB_OUTPUT: '' } });
    assert.equal(r.code, 1, r.log);
    assert.match(r.log, /^::error::could not write the step's outputs: GITHUB_OUTPUT is not set: the step was not started by a GitHub runner that writes outputs/m);
    assert.doesNotMatch(r.log, /set-output/);
    assert.match(r.summary, /## RDS error logs/, 'the summary is still written');
  });
});

test("in a public repository (the runner's event says so) the summary ends with a note on who can see it", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'event-'));
  try {
    const event = async (repository: Record<string, unknown>): Promise<string> => {
      const path = join(dir, `event-${Object.values(repository).join('-')}.json`);
      await writeFile(path, JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'acme/shop', ...repository } }));
      return path;
    };
    await withRig({ files: [{ name: 'postgresql.log', size: 1000 }], creatingCalls: 0 }, async (rig) => {
      const publicEvent = await event({ private: false, visibility: 'public' });
      const open = await rig.run({ env: { GITHUB_EVENT_PATH: publicEvent } });
      assert.equal(open.code, 0, open.log);
      assert.match(open.summary, /> \[!NOTE\]\n> This repository is public: anyone can read this summary, the annotations and the step's log, and any signed-in GitHub user can download the artifact .* the artifact holds the files as logged, passwords included/);
      // No artifact, none promised.
      const kept = await rig.run({ inputs: { upload: 'false' }, env: { GITHUB_EVENT_PATH: publicEvent } });
      assert.match(kept.summary, /> This repository is public: anyone can read this summary, the annotations and the step's log\. They show the database's log text with passwords as `\*\*\*`/);
      for (const repository of [{ private: true, visibility: 'private' }, { private: true, visibility: 'internal' }]) {
        const closed = await rig.run({ inputs: { upload: 'false' }, env: { GITHUB_EVENT_PATH: await event(repository) } });
        assert.doesNotMatch(closed.summary, /This repository is public/, JSON.stringify(repository));
      }
      // No event file (the command line, another CI): nothing is said.
      assert.doesNotMatch((await rig.run({ inputs: { upload: 'false' } })).summary, /This repository is public/);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
