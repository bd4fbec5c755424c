// Issue 11 end to end: log-type slow and all against the emulator, which serves a real slow-query log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { withRig } from '../support/harness.ts';
import { fixture, grep } from '../support/pg-fixtures.ts';
import { readZip } from '../support/zip.ts';

const SLOW = 'slowlog-rds-prefix.log';
const ERRORS = 'stderr-rds-prefix.log';
const durations = (): string[] => grep(fixture(SLOW), /:LOG: {2}duration: /).map((l) => /duration: (\d+\.\d+) ms/.exec(l)![1]!);

interface FileOut { name: string; type: string; path: string; size: number }

test('log-type slow: slowlog-download with {}, the files at the top level, the slow-statement digest and outputs', async () => {
  const data = await readFile(fixture(SLOW));
  await withRig({ files: [], slowFiles: [{ name: 'postgresql-slow.log', data }] }, async (rig) => {
    const r = await rig.run({ inputs: { 'log-type': 'slow' } });
    assert.equal(r.code, 0, r.log);
    // Only the slow-query log was asked for, with the body PostgreSQL needs; past CREATING and EXPORTING.
    assert.equal(rig.rds.errorlogRequests().length, 0);
    const calls = rig.rds.slowlogRequests();
    assert.ok(calls.length >= 3, 'CREATING, EXPORTING, FINISH');
    for (const c of calls) assert.equal(c.body, '{}');
    assert.match(r.log, /still exporting them \(EXPORTING\)/);

    const files = JSON.parse(r.outputs['files'] ?? '') as FileOut[];
    assert.deepEqual(files.map((f) => [f.name, f.type, f.size]), [['postgresql-slow.log', 'slow', data.length]]);
    assert.deepEqual(await readFile(files[0]!.path), data);

    const all = durations();
    assert.equal(r.outputs['slow-query-count'], String(all.length));
    const slowest = all.reduce((a, b) => (Number(b) > Number(a) ? b : a));
    assert.equal(r.outputs['slowest-query-ms'], slowest);
    assert.match(r.summary, /^## RDS slow-query logs: instance /m);
    assert.match(r.summary, /### Slow statements/);
    // As logged, with the tables' thousands separators.
    const digits = slowest.split('.')[1]?.length ?? 0;
    assert.ok(r.summary.includes(`Slowest: **${Number(slowest).toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })} ms**`), r.summary);
    assert.match(r.summary, /Parameters:\n\n```text\n\$1 = '2026'\n```/);
    assert.doesNotMatch(r.summary, /### What the PostgreSQL logs say/);
    assert.equal(r.summary.split('\n').filter((l) => l.startsWith('| File |')).length, 1);
  });
});

test('log-type all: both fetched, files in error/ and slow/ (output-dir and artifact), one files table with types', async () => {
  const errors = await readFile(fixture(ERRORS));
  const slow = await readFile(fixture(SLOW));
  // The same file name in both: the folders keep them apart.
  await withRig({ files: [{ name: 'postgresql.log', data: errors }], slowFiles: [{ name: 'postgresql.log', data: slow }] }, async (rig) => {
    const r = await rig.run({ inputs: { 'log-type': 'all' } });
    assert.equal(r.code, 0, r.log);
    assert.equal(r.outputs['status'], 'FINISH');
    const files = JSON.parse(r.outputs['files'] ?? '') as FileOut[];
    assert.deepEqual(files.map((f) => [f.name, f.type]), [['error/postgresql.log', 'error'], ['slow/postgresql.log', 'slow']]);
    assert.deepEqual(await readFile(files[0]!.path), errors);
    assert.deepEqual(await readFile(files[1]!.path), slow);
    assert.ok(files[0]!.path.startsWith(r.outputs['output-dir'] ?? '?'));
    const [artifact] = rig.artifacts.artifacts();
    assert.ok(artifact);
    assert.deepEqual((await readZip(artifact.zip)).map((e) => e.name).sort(), ['error/postgresql.log', 'slow/postgresql.log']);

    // The two downloads shared the rate: never two calls within one poll interval (1s).
    const times = rig.rds.apiRequests.filter((q) => /log-download/.test(q.path)).map((q) => q.at);
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 900, `calls ${i - 1} and ${i}: ${times[i]! - times[i - 1]!} ms apart`);
    assert.ok(rig.rds.errorlogRequests().length > 0 && rig.rds.slowlogRequests().length > 0);

    assert.equal(r.outputs['error-count'], String(grep(fixture(ERRORS), /:ERROR: {2}/).length));
    assert.equal(r.outputs['slow-query-count'], String(durations().length));
    assert.match(r.summary, /^## RDS error and slow-query logs: instance /m);
    assert.match(r.summary, /### What the PostgreSQL logs say/);
    assert.match(r.summary, /### Slow statements/);
    const header = r.summary.split('\n').filter((l) => l.startsWith('| File |'));
    assert.deepEqual(header.length, 1);
    assert.match(header[0]!, /^\| File \| Type \| Size \|/);
    assert.match(r.summary, /^\| error\/postgresql\.log \| error \| [^|]+ \| stderr \|/m);
    assert.match(r.summary, /^\| slow\/postgresql\.log \| slow \| [^|]+ \| stderr \|/m);
  });
});

test('log-type all: the slow-query log refused (slow logging off) does not cost the error logs: fetched, read, uploaded; the step fails naming it', async () => {
  const errors = await readFile(fixture(ERRORS));
  await withRig({ files: [{ name: 'postgresql.log', data: errors }] }, async (rig) => {
    rig.rds.failApi({ kind: 'status', status: 400, body: { error_code: 'DBS.280011', error_msg: 'Slow query log is not enabled.' } }, 10, 'slowlog-download');
    const r = await rig.run({ inputs: { 'log-type': 'all' } });
    assert.equal(r.code, 1, r.log);
    assert.equal(r.outputs['status'], '', 'not FINISH: the slow-query log was never answered');
    const files = JSON.parse(r.outputs['files'] ?? '') as FileOut[];
    assert.deepEqual(files.map((f) => [f.name, f.type]), [['error/postgresql.log', 'error']]);
    assert.deepEqual(await readFile(files[0]!.path), errors);
    assert.equal(r.outputs['error-count'], String(grep(fixture(ERRORS), /:ERROR: {2}/).length));
    assert.equal(r.outputs['slow-query-count'], '');
    const [artifact] = rig.artifacts.artifacts();
    assert.deepEqual((await readZip(artifact!.zip)).map((e) => e.name), ['error/postgresql.log']);
    assert.match(r.log, /::warning title=No slow-query logs::the slow-query logs could not be had: slowlog-download failed: HTTP 400 DBS\.280011: Slow query log is not enabled\./);
    assert.match(r.log, /^::error::the slow-query logs could not be fetched: slowlog-download failed: HTTP 400 DBS\.280011/m);
    assert.match(r.summary, /### What the PostgreSQL logs say/);
  });
});

test("log-type all: a slow-query log still exporting at 'timeout' does not cost the error logs their time: downloaded and read as soon as ready", async () => {
  const errors = await readFile(fixture(ERRORS));
  await withRig({ files: [{ name: 'postgresql.log', data: errors }], slowFiles: [{ name: 'postgresql-slow.log', size: 1000 }], exportingCalls: 1000 }, async (rig) => {
    const r = await rig.run({ inputs: { 'log-type': 'all', timeout: '4s', 'poll-interval': '1s' } });
    assert.equal(r.code, 1, r.log);
    // The error log was fetched while the slow-query log was still asked for, and read to its end.
    const fetched = r.log.indexOf('✓ error/postgresql.log');
    const given = r.log.indexOf('::warning title=No slow-query logs::');
    assert.ok(fetched > 0 && given > fetched, r.log);
    assert.match(r.log.slice(fetched, given), /slow-query logs: still FINISH with files EXPORTING/);
    // By then the error logs are in hand: not 'still fetched'.
    assert.match(r.log, /::warning title=No slow-query logs::the slow-query logs could not be had: .*; the error logs are kept$/m);
    assert.equal(r.outputs['error-count'], String(grep(fixture(ERRORS), /:ERROR: {2}/).length));
    assert.doesNotMatch(r.summary, /not read to the end/);
    const [artifact] = rig.artifacts.artifacts();
    assert.deepEqual((await readZip(artifact!.zip)).map((e) => e.name), ['error/postgresql.log']);
    assert.match(r.log, /^::error::the slow-query logs could not be fetched: Timed out waiting for RDS to prepare the slow-query logs: still FINISH with files EXPORTING/m);
  });
});

test('log-type all: an error log read afresh (a file of its batch lost) is read right after its batch, not after the slow-query log gave up', async () => {
  const errors = await readFile(fixture(ERRORS));
  await withRig({ files: [{ name: 'postgresql-a.log', data: errors }, { name: 'postgresql-b.log', data: errors }], slowFiles: [{ name: 'postgresql-slow.log', size: 1000 }], exportingCalls: 1000 }, async (rig) => {
    rig.rds.failFile('postgresql-b.log', { kind: 'status', status: 404 }, 10);
    const r = await rig.run({ inputs: { 'log-type': 'all', timeout: '4s', 'poll-interval': '1s', upload: 'false' } });
    assert.equal(r.code, 1, r.log);
    assert.doesNotMatch(r.summary, /not read to the end/);
    // Its row has its count: it was read to its end.
    assert.match(r.summary, /^\| error\/postgresql-a\.log \| error \| 17\.8 KiB \| stderr \| [\d,]+ \|/m);
  });
});

test('log-type all: both types refused: the run fails naming the first, with no word that the other is still fetched', async () => {
  await withRig({ files: [{ name: 'postgresql.log', data: Buffer.from('x\n') }] }, async (rig) => {
    rig.rds.failApi({ kind: 'status', status: 400, body: { error_code: 'DBS.280011', error_msg: 'Slow query log is not enabled.' } }, 10, 'slowlog-download');
    rig.rds.failApi({ kind: 'status', status: 400, body: { error_code: 'DBS.201014', error_msg: 'The instance is not active.' } }, 10, 'errorlog-download');
    const r = await rig.run({ inputs: { 'log-type': 'all' } });
    assert.equal(r.code, 1, r.log);
    assert.match(r.log, /^::error::errorlog-download failed: HTTP 400 DBS\.201014/m);
    assert.doesNotMatch(r.log, /still fetched/);
  });
});

test('log-type all: a lost error log file is counted among the error log files, not among both types\'', async () => {
  const errors = await readFile(fixture(ERRORS));
  const slow = await readFile(fixture(SLOW));
  await withRig({ files: [{ name: 'postgresql-a.log', data: errors }, { name: 'postgresql-b.log', data: errors }], slowFiles: [{ name: 'postgresql-slow.log', data: slow }] }, async (rig) => {
    rig.rds.failFile('postgresql-b.log', { kind: 'status', status: 404 }, 10);
    const r = await rig.run({ inputs: { 'log-type': 'all', upload: 'false' } });
    assert.equal(r.code, 1, r.log);
    assert.match(r.log, /^::error::1 of 2 error log files could not be downloaded: postgresql-b\.log /m);
  });
});

test('log-type: a bad value fails before any request, naming the input and what is allowed', async () => {
  await withRig({}, async (rig) => {
    const r = await rig.run({ inputs: { 'log-type': 'slowlog' } });
    assert.notEqual(r.code, 0);
    assert.match(r.log, /::error::Input 'log-type': 'slowlog' is not a log type; use error \(the error log\), slow \(the slow-query log\) or all \(both\)/);
    assert.equal(rig.rds.apiRequests.length, 0);
  });
});

test("files still EXPORTING when 'timeout' comes: the step fails, and 'status' says EXPORTING, not FINISH", async () => {
  await withRig({ files: [], slowFiles: [{ name: 'postgresql-slow.log', size: 1000 }], creatingCalls: 0, exportingCalls: 1000 }, async (rig) => {
    const r = await rig.run({ inputs: { 'log-type': 'slow', timeout: '2s', 'poll-interval': '1s' } });
    assert.equal(r.code, 1, r.log);
    assert.match(r.log, /::error::Timed out waiting for RDS to prepare the slow-query logs: still FINISH with files EXPORTING/);
    assert.equal(r.outputs['status'], 'EXPORTING');
  });
});
