// The fault-injection table: each row a fault and the outcome the action guarantees. Run by
// test/e2e/faults.test.ts; README's "Reliability" section lists the rows (checked by that test).
import assert from 'node:assert/strict';
import { finishedAnswer, type ActionRun, type Rig } from './harness.ts';
import { readZip } from './zip.ts';
import { INJECTIONS, MARKER } from './runner-commands.ts';
import type { EmulatorFile, RdsEmulatorOptions } from '../../emulator/rds.ts';

export const MiB = 1024 * 1024;
export const FILES: EmulatorFile[] = [
  { name: 'postgresql-2026-11-28_080000.log', size: 2 * MiB + 123 },
  { name: 'postgresql-2026-11-28_090000.log', data: Buffer.from('2026-11-28 09:00:01 UTC [7] ERROR:  relation "orders" does not exist\n'.repeat(500)) },
];
export const BIG = FILES[0]!.name;
const TRICKLE_INPUTS = { timeout: '1s', 'poll-interval': '1s', 'request-timeout': '4s' };

export interface Scenario {
  fault: string;
  /**
   * transient: the run succeeds and every byte arrives; permanent: it fails fast with the cause named; hostile:
   * text from a server tries to be a workflow command (every form in runner-commands.ts), and none runs.
   */
  kind: 'transient' | 'permanent' | 'hostile';
  emulator?: RdsEmulatorOptions;
  inputs?: Record<string, string>;
  setup?: (rig: Rig) => void | Promise<void>;
  /** For permanent faults: the error the step reports. */
  error?: RegExp;
  /** For permanent faults that may yet pass: tried again until 'timeout' leaves no time (any other is not retried). */
  retried?: true;
  /** The step is killed (and the row fails) if still running after this long; the runner's default is 60 s. */
  killAfterMs?: number;
  check?: (rig: Rig, r: ActionRun) => void | Promise<void>;
}

const apiError = (status: number, code: string, msg: string, headers: Record<string, string> = {}) =>
  ({ kind: 'status' as const, status, body: { error_code: code, error_msg: msg }, headers });

/** Every way to smuggle a command, one per line of one string, behind some ordinary text. */
const SMUGGLED = `x\n${INJECTIONS.join('\n')}`;
const smuggledData = Buffer.from('2026-11-28 09:00:01 UTC [7] ERROR:  relation "orders" does not exist\n');

/** A log whose every entry carries long DETAIL, HINT and STATEMENT fields: a summary of its last 200 is megabytes. */
const verbose = Buffer.from(Array.from({ length: 250 }, (_, i) =>
  `2026-11-28 09:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} UTC [7] ERROR:  value ${i} violates check constraint "c${i}"\n` +
  `2026-11-28 09:00:00 UTC [7] DETAIL:  ${'d'.repeat(1990)}\n2026-11-28 09:00:00 UTC [7] HINT:  ${'h'.repeat(1990)}\n` +
  `2026-11-28 09:00:00 UTC [7] STATEMENT:  INSERT INTO t VALUES (${'9,'.repeat(990)}9)\n`).join(''));
/** A thousand files with long names in a deep output-dir: listed in full, the 'files' output passes 1 MB. */
const MANY = Array.from({ length: 1000 }, (_, i) => ({ name: `postgresql-2026-11-28_${String(i).padStart(6, '0')}-${'x'.repeat(160)}.log`, data: i === 999 ? verbose : smuggledData }));
// Deep, but within macOS's 1024-byte PATH_MAX with the file's name.
const DEEP = Array.from({ length: 3 }, (_, i) => `${i}${'d'.repeat(199)}`).join('/');

/** An IAM token is kilobytes of base64: longer than any cut of an error body. */
const LONG_TOKEN = `MIIT${Buffer.from(Array.from({ length: 360 }, (_, i) => i % 251)).toString('base64').replace(/[+/=]/g, 'x')}`;

export const scenarios: Scenario[] = [
  // The RDS API, transient
  { fault: 'API answers 500 once', kind: 'transient', setup: (r) => r.rds.failApi(apiError(500, 'DBS.108000', 'System error.')) },
  { fault: 'API answers 502 and 504', kind: 'transient', setup: (r) => { r.rds.failApi({ kind: 'raw', status: 502, body: '<html>Bad Gateway</html>' }); r.rds.failApi({ kind: 'raw', status: 504, body: '' }); } },
  { fault: 'API answers 503 with Retry-After in seconds', kind: 'transient', setup: (r) => r.rds.failApi(apiError(503, 'DBS.108000', 'busy', { 'Retry-After': '2' })),
    check: (_rig, r) => assert.match(r.log, /errorlog-download: attempt 1 failed \(.*\); retrying in 2s$/m, 'waits as asked') },
  { fault: 'API answers 429 with Retry-After as an HTTP date', kind: 'transient', setup: (r) => r.rds.failApi(apiError(429, 'APIG.0308', 'The request is throttled.', { 'Retry-After': new Date(Date.now() + 2000).toUTCString() })) },
  { fault: 'API answers 408', kind: 'transient', setup: (r) => r.rds.failApi(apiError(408, 'APIG.0201', 'Request timeout.')) },
  { fault: 'API answers 409 DBS.200011 (another operation in progress)', kind: 'transient', setup: (r) => r.rds.failApi(apiError(409, 'DBS.200011', 'Another operation is being performed on the DB instance.')) },
  { fault: 'API answers 409 DBS.201202', kind: 'transient', setup: (r) => r.rds.failApi(apiError(409, 'DBS.201202', 'Operation conflict.')) },
  { fault: 'API resets the connection', kind: 'transient', setup: (r) => r.rds.failApi({ kind: 'reset' }, 2) },
  { fault: 'API answers 200 with an empty body', kind: 'transient', setup: (r) => r.rds.failApi({ kind: 'raw', status: 200, body: '' }) },
  { fault: 'API answers 200 with cut-off JSON', kind: 'transient', setup: (r) => r.rds.failApi({ kind: 'raw', status: 200, body: '{"list":[{"file_na' }) },
  { fault: 'API does not answer at all (socket timeout)', kind: 'transient', inputs: { 'request-timeout': '1s' }, setup: (r) => r.rds.failApi({ kind: 'hang' }) },
  // Downloads, transient
  { fault: 'download reset mid-file', kind: 'transient', setup: (r) => r.rds.failFile(BIG, { kind: 'reset-after', bytes: 700_000 }),
    check: (rig) => assert.ok(rig.rds.fileRequests.some((q) => /^bytes=[1-9]\d*-$/.test(q.headers.range ?? '')), 'resumed with Range') },
  { fault: 'download reset twice, resumed each time', kind: 'transient', setup: (r) => { r.rds.failFile(BIG, { kind: 'reset-after', bytes: 300_000 }); r.rds.failFile(BIG, { kind: 'reset-after', bytes: 300_000 }); } },
  { fault: 'download reset, then the server ignores Range', kind: 'transient', setup: (r) => { r.rds.failFile(BIG, { kind: 'reset-after', bytes: 500_000 }); r.rds.failFile(BIG, { kind: 'ignore-range' }); } },
  { fault: 'download ends early but cleanly (short body)', kind: 'transient', setup: (r) => r.rds.failFile(BIG, { kind: 'short', bytes: 1_000_000 }) },
  { fault: 'download stalls mid-file', kind: 'transient', inputs: { 'request-timeout': '1s' }, setup: (r) => r.rds.failFile(BIG, { kind: 'stall-after', bytes: 400_000 }),
    check: (_rig, r) => {
      // Named as what happened (the host went quiet), whichever of the two watchdogs noticed it first.
      assert.match(r.log, /attempt 1 failed \(no data for 1s \(/);
      assert.doesNotMatch(r.log, /closed before the answer's end/);
    } },
  { fault: 'download answers 503 once', kind: 'transient', setup: (r) => r.rds.failFile(BIG, { kind: 'status', status: 503 }) },
  { fault: 'download answers 500 twice', kind: 'transient', setup: (r) => r.rds.failFile(BIG, { kind: 'status', status: 500 }, 2) },
  { fault: 'download link expired: fresh links are asked for once', kind: 'transient', setup: (r) => r.rds.failFile(BIG, { kind: 'status', status: 403, body: 'Request has expired' }),
    check: (rig) => assert.equal(rig.rds.errorlogRequests().length, 3, 'CREATING, FINISH, then FINISH again for fresh links') },
  { fault: 'download trickles slowly', kind: 'transient', emulator: { files: [{ name: 'slow.log', size: 200_000 }] }, setup: (r) => r.rds.failFile('slow.log', { kind: 'slow', bytesPer10ms: 8_000 }) },
  // Artifact service, transient
  { fault: 'artifact service answers 500 on CreateArtifact once', kind: 'transient', setup: (r) => r.artifacts.failNext('CreateArtifact', 500) },
  { fault: 'artifact service resets the connection on CreateArtifact', kind: 'transient', setup: (r) => r.artifacts.failNext('CreateArtifact', 0) },
  { fault: 'artifact block upload answers 500 once', kind: 'transient', setup: (r) => r.artifacts.failNext('UploadBlock', 500) },

  // Permanent: fail fast, name the cause
  { fault: 'API answers 401 (token expired)', kind: 'permanent', setup: (r) => r.rds.failApi(apiError(401, 'DBS.280056', 'The token is invalid or has expired.')), error: /HTTP 401 DBS\.280056: The token is invalid or has expired\. \(request id [0-9a-f]+\)/,
    check: (rig) => assert.equal(rig.rds.errorlogRequests().length, 1, 'never retried') },
  { fault: 'API answers 403 (not authorized)', kind: 'permanent', setup: (r) => r.rds.failApi(apiError(403, 'DBS.200010', 'Not authorized.')), error: /HTTP 403 DBS\.200010: Not authorized/ },
  { fault: 'API answers 404 (no such instance)', kind: 'permanent', setup: (r) => r.rds.failApi(apiError(404, 'DBS.200002', 'The DB instance does not exist.')), error: /HTTP 404 DBS\.200002: The DB instance does not exist/ },
  { fault: 'API answers 400 DBS.201014 (instance state)', kind: 'permanent', setup: (r) => r.rds.failApi(apiError(400, 'DBS.201014', 'The DB instance status does not allow this operation.')), error: /HTTP 400 DBS\.201014.*must be ACTIVE/ },
  { fault: 'API redirects to another host', kind: 'permanent', setup: (r) => r.rds.failApi({ kind: 'raw', status: 302, body: '', headers: { Location: `${r.rds.filesOrigin}/steal` } }), error: /HTTP 302/,
    check: (rig) => assert.equal(rig.rds.fileRequests.length, 0, 'the redirect was not followed, so the token went nowhere else') },
  { fault: 'API answers a body over 4 MiB', kind: 'permanent', setup: (r) => r.rds.failApi({ kind: 'raw', status: 200, body: `{"status":"FINISH","list":[],"x":"${'a'.repeat(5 * MiB)}"}` }), error: /larger than 4194304 bytes/ },
  { fault: "API's FINISH answer lacks 'list' (its count says 1)", kind: 'permanent', setup: (r) => r.rds.failApi({ kind: 'raw', status: 200, body: '{"status":"FINISH","count":1}' }), error: /status is FINISH but field 'list' is missing/ },
  { fault: "an item of the API's answer has no 'file_name': the other files are still kept", kind: 'permanent', emulator: { files: [...FILES, { name: '', data: Buffer.from('x\n') }] },
    error: /1 of 3 error log files could not be downloaded: item 3 of 3 \(RDS listed it without a file_name \(request id [0-9a-f]+\)\)/,
    check: async (rig, r) => {
      assert.equal(r.outputs['file-count'], '2');
      assert.deepEqual(await readZipNames(rig), FILES.map((f) => f.name), 'the listed files were uploaded');
      assert.equal(r.outputs['error-count'], '', 'unknown: a file is missing');
    } },
  { fault: "an item listed SUCCESS has no 'file_link': the other files are still kept", kind: 'permanent',
    setup: async (r) => {
      const answer = await finishedAnswer(r.rds);
      answer.list[0]!['file_link'] = '';
      r.rds.failApi({ kind: 'status', status: 200, body: answer });
      r.rds.apiRequests.length = 0;
    },
    error: /1 of 2 error log files could not be downloaded: postgresql-2026-11-28_080000\.log \(RDS listed it as prepared \(SUCCESS\), but without a file_link \(request id [0-9a-f]+\)\)/,
    check: async (rig, r) => {
      assert.equal(r.outputs['file-count'], '1');
      assert.deepEqual(await readZipNames(rig), [FILES[1]!.name]);
    } },
  { fault: 'API keeps answering non-JSON', kind: 'permanent', retried: true, inputs: { timeout: '4s' }, setup: (r) => r.rds.failApi({ kind: 'raw', status: 200, body: '<html>maintenance</html>' }, 100), error: /gave up after \d+ attempts.*not JSON/ },
  { fault: 'API reports top-level FAILED', kind: 'permanent', emulator: { finalStatus: 'FAILED', files: FILES.map((f) => ({ ...f, itemStatus: 'FAILED' as const })) }, error: /RDS could not prepare the error logs \(status FAILED/ },
  { fault: 'a file is gone (404 NoSuchKey): the others are still kept', kind: 'permanent', setup: (r) => r.rds.failFile(BIG, { kind: 'status', status: 404 }, 10), error: /1 of 2 error log files could not be downloaded: postgresql-2026-11-28_080000\.log \(.*HTTP 404 NoSuchKey/,
    check: async (rig, r) => {
      assert.equal(r.outputs['file-count'], '1');
      assert.equal((await readZipNames(rig)).join(), FILES[1]!.name, 'the complete file was uploaded, the missing one not');
      assert.match(r.summary, /Not downloaded[\s\S]*postgresql-2026-11-28\\_080000\.log/);
    } },
  { fault: 'links keep expiring, even fresh ones', kind: 'permanent', emulator: { linkTtlMs: -60_000 }, error: /link for 'postgresql-2026-11-28_080000\.log' was refused with HTTP 403/ },
  { fault: 'artifact name already taken (409)', kind: 'permanent', inputs: { 'artifact-name': 'taken' },
    setup: async (r) => { await r.run({ inputs: { 'artifact-name': 'taken' } }); r.rds.apiRequests.length = 0; r.rds.fileRequests.length = 0; },
    error: /an artifact named 'taken' already exists in this workflow run\. Set 'overwrite: true'.*'artifact-name'/ },
  { fault: 'artifact service refuses FinalizeArtifact (400)', kind: 'permanent', setup: (r) => r.artifacts.failNext('FinalizeArtifact', 400), error: /uploading artifact '.*' failed: .*400/ },

  // Hostile text: each path by which text from a server reaches a log line, carrying every form of command
  { fault: 'file names carry workflow commands', kind: 'hostile',
    emulator: { files: [
      { name: `postgresql##[stop-commands]${MARKER}.log`, data: smuggledData },
      { name: `a${SMUGGLED}.log`, data: smuggledData },
      { name: `b${SMUGGLED}.log`, data: smuggledData, itemStatus: 'FAILED' },
    ] },
    setup: (r) => r.rds.failFile(`a${SMUGGLED}.log`, { kind: 'status', status: 404 }, 10),
    check: (_rig, r) => assert.match(r.log, /✗ a/, 'the API name was printed in a failure line') },
  { fault: 'instance name and datastore version carry workflow commands', kind: 'hostile',
    setup: (r) => { r.rds.instances[0]!.name = `shop-db${SMUGGLED}`; r.rds.instances[0]!.datastore.version = `15${SMUGGLED}`; },
    check: (_rig, r) => assert.match(r.log, /Instance 'shop-db/) },
  { fault: 'an undocumented status carries workflow commands', kind: 'hostile',
    setup: (r) => r.rds.failApi({ kind: 'raw', status: 200, body: JSON.stringify({ status: `preparing${SMUGGLED}`, list: [] }) }),
    check: (_rig, r) => assert.match(r.log, /does not document/) },
  { fault: 'error_msg in a retry line carries workflow commands', kind: 'hostile', setup: (r) => r.rds.failApi(apiError(500, 'DBS.108000', `busy${SMUGGLED}`)),
    check: (_rig, r) => assert.match(r.log, /attempt 1 failed .*busy/) },
  { fault: "the download host's XML error code carries workflow commands", kind: 'hostile', setup: (r) => r.rds.failFile(BIG, { kind: 'status', status: 500, code: `Busy${SMUGGLED}` }),
    check: (_rig, r) => assert.match(r.log, /attempt 1 failed .*Busy/) },
  // Seconds of work alone (1000 downloads, part files, a zip): 'timeout' and the kill are far off, for a busy machine.
  { fault: 'a thousand files with long names and paths, entries with long DETAIL fields', kind: 'hostile', emulator: { files: MANY }, inputs: { 'recent-entries': '200', 'output-dir': DEEP, timeout: '3m' }, killAfterMs: 240_000,
    check: async (rig, r) => {
      assert.equal(r.code, 0, r.log.slice(-2000));
      assert.ok(Buffer.byteLength(r.summary) < 1024 * 1024, `summary of ${Buffer.byteLength(r.summary)} bytes`);
      assert.match(r.summary, /cut to fit GitHub's 1 MiB limit: .*left out\. Every file is complete in the artifact/);
      assert.match(r.summary, /\*\*Artifact:\*\* \[/, 'the artifact link is kept');
      assert.ok(Buffer.byteLength(r.outputs['files'] ?? '') < 1_000_000, `files output of ${Buffer.byteLength(r.outputs['files'] ?? '')} bytes`);
      assert.equal(r.outputs['files-truncated'], 'true');
      const listed = JSON.parse(r.outputs['files'] ?? '') as Array<{ name: string }>;
      assert.ok(listed.length > 100 && listed.length < MANY.length, `${listed.length} listed`);
      assert.match(r.log, new RegExp(`::warning title=Output files truncated::The 'files' output lists ${listed.length} of the ${MANY.length} files`));
      assert.equal((await readZipNames(rig)).length, MANY.length, 'every file uploaded');
      const masks = r.log.split('\n').filter((l) => l.startsWith('::add-mask::')).length;
      assert.ok(masks <= MANY.length + 5, `${masks} ::add-mask:: lines for ${MANY.length} links`);
    } },

  // Slow or unbounded servers: 'timeout' bounds every request, headers and body; no download exceeds its size
  // The byte every 100 ms keeps the idle timer ('request-timeout', 4s) from firing even when a busy machine holds
  // the emulator back for a second or two; only the deadline ('timeout' + 'request-timeout', 5s) ends them. A
  // step that outlives it sixfold is killed, and the row fails.
  { fault: 'API trickles its headers ten bytes a second', kind: 'permanent', inputs: TRICKLE_INPUTS, killAfterMs: 30_000,
    setup: (r) => r.rds.failApi({ kind: 'trickle', part: 'headers' }, 10), error: /'timeout' \(1s\) and one 'request-timeout' \(4s\) ran out during POST http:\/\/127\.0\.0\.1:\d+\/v3\/.*errorlog-download/ },
  { fault: 'API trickles its body ten bytes a second', kind: 'permanent', inputs: TRICKLE_INPUTS, killAfterMs: 30_000,
    setup: (r) => r.rds.failApi({ kind: 'trickle', part: 'body' }, 10), error: /'timeout' \(1s\) and one 'request-timeout' \(4s\) ran out during POST/ },
  { fault: 'download trickles ten bytes a second', kind: 'permanent', inputs: TRICKLE_INPUTS, killAfterMs: 30_000, emulator: { creatingCalls: 0 },
    setup: (r) => r.rds.failFile(BIG, { kind: 'trickle' }, 10), error: /could not be downloaded: postgresql-2026-11-28_080000\.log \(.*'timeout' \(1s\) and one 'request-timeout' \(4s\) ran out during GET/ },
  { fault: 'download has no Content-Length and goes on past the listed size', kind: 'permanent',
    setup: (r) => r.rds.failFile(BIG, { kind: 'unbounded' }), error: /sent more than 2097275 bytes for 'postgresql-2026-11-28_080000\.log' \(the size RDS listed\): stopped/ },
  { fault: 'download redirects with a relative Location', kind: 'transient', setup: (r) => r.rds.failFile(BIG, { kind: 'redirect-relative' }),
    check: (rig) => assert.ok(rig.rds.fileRequests.filter((q) => q.path.includes('errorlog-0-')).length >= 2, 'the redirect was followed') },
  // Secrets in error bodies: redacted before the body is cut, so no prefix of one is left
  { fault: 'a non-JSON error body quotes a long token across the cut', kind: 'permanent', emulator: { tokens: [LONG_TOKEN] }, inputs: { token: LONG_TOKEN },
    setup: (r) => r.rds.failApi({ kind: 'raw', status: 400, body: `Bad request: the token ${LONG_TOKEN} is not valid for this project` }),
    error: /HTTP 400: Bad request: the token \*\*\* is not valid/,
    check: (_rig, r) => assert.ok(!`${r.log.replace(/^::add-mask::.*$/gm, '')}${r.summary}`.includes(LONG_TOKEN.slice(0, 40)), 'no prefix of the token shown') },
  // Links to internal hosts
  { fault: 'a link points to the cloud metadata address', kind: 'permanent',
    setup: (r) => r.rds.failApi({ kind: 'raw', status: 200, body: JSON.stringify({ status: 'FINISH', count: 1, list: [{ file_name: 'meta.log', status: 'SUCCESS', file_size: '10', file_link: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/?Signature=x' }] }) }, 5),
    error: /meta\.log \(.*points to 169\.254\.169\.254, a link-local address.*refused/ },
  { fault: 'a listed file is not a log (an error page)', kind: 'hostile',
    emulator: { files: [{ name: 'postgresql-2026-11-28_080000.log', data: Buffer.from(`<html><body>\n${'<p>internal-page secret-ish text</p>\n'.repeat(20)}</body></html>\n`) }, FILES[1]!] },
    check: (_rig, r) => {
      assert.equal(r.code, 0, r.log.slice(-2000));
      assert.doesNotMatch(r.summary, /internal-page/, 'no line of a file that is not a log is quoted');
    } },
];

export async function readZipNames(rig: Rig): Promise<string[]> {
  const art = rig.artifacts.artifacts().find((a) => a.finalized);
  return art ? (await readZip(art.zip)).map((e) => e.name).sort() : [];
}
