// Issue 5 end to end: the emulator serves real PostgreSQL logs; the run shows what went wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startRig } from '../support/harness.ts';
import { realPostgresLog } from '../../emulator/rds.ts';
import { readZip } from '../support/zip.ts';
// SECRETS: the passwords in real PostgreSQL output (run E of scripts/make-pg-fixtures.sh: failing CREATE/ALTER ROLE,
// a user mapping, dblink connection strings, a token column's unique violation; every secret starts with S3cr3t).
import { CREDENTIAL_SECRETS as SECRETS, FIXTURES, PRODUCTION_FIXTURE, fixture, grepText, lineTime, textLines } from '../support/pg-fixtures.ts';

async function fixtureFiles(): Promise<Array<{ name: string; data: Buffer }>> {
  // The passwords' log (run E) and the crashes' (run F, and in German and French) have tests of their own below;
  // made last, they would hold the latest error.
  const names = (await readdir(FIXTURES)).filter((n) => n !== 'README.md' && n !== 'stderr-credentials.log' && !n.startsWith('stderr-crashes')).sort();
  return Promise.all(names.map(async (name) => ({ name, data: await readFile(fixture(name)) })));
}

/** The severity words of the fixtures' languages (stderr-de.log is German, stderr-fr.log French). */
const WORDS: Record<string, string> = { ERROR: 'ERROR|FEHLER|ERREUR', FATAL: 'FATAL', PANIC: 'PANIC|PANIK' };

/** What grep says: lines of stderr logs with the severity right after the prefix. */
function grepCount(files: Array<{ name: string; data: Buffer }>, severity: string): number {
  return files.filter((f) => f.name.endsWith('.log')).reduce((n, f) => n + grepText(f.data.toString('utf8'), new RegExp(`\\b(${WORDS[severity]}):  `)).length, 0);
}

const ENGLISH: Record<string, string> = { FEHLER: 'ERROR', ERREUR: 'ERROR', PANIK: 'PANIC' };
/** An error line of any of them: its severity word and message. */
const ANY_ERROR = new RegExp(`\\b(${Object.values(WORDS).join('|')}):  (.*)$`);

/**
 * The last error as grep finds it: the error line with the latest time at its start (an ISO time in UTC, or
 * epoch seconds), the later line of a file on a tie; as the output writes it, `SEVERITY: message`.
 */
function grepLastError(files: Array<{ name: string; data: Buffer }>): { file: string; line: number; text: string } {
  let last: { t: number; file: string; line: number; text: string } | undefined;
  const filesAtLast = new Set<string>();
  for (const f of files) {
    const lines = textLines(f.data.toString('utf8'));
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const error = ANY_ERROR.exec(line);
      if (error === null) continue;
      const [, word, message] = error;
      const t = lineTime(line);
      assert.ok(t !== undefined, `an error line starts with its time: ${line}`);
      if (last !== undefined && t < last.t) continue;
      if (last === undefined || t > last.t) filesAtLast.clear();
      filesAtLast.add(f.name);
      last = { t, file: f.name, line: i + 1, text: `${ENGLISH[word!] ?? word}: ${message}` };
    }
  }
  // Which of two files is later at the same instant is the reader's rule, not grep's: the fixtures have no such tie.
  assert.equal(filesAtLast.size, 1, `the latest error is in one file: ${[...filesAtLast].join(', ')}`);
  return last!;
}

test('the summary explains the real logs; annotations and counts match grep', async () => {
  // The production log holds the latest error. Another file, larger and named after it, holds older ones: it
  // is read last (by name or by when it arrives), so the last error read is not the latest.
  const fixtures = (await fixtureFiles()).filter((f) => f.name.endsWith('.log'));
  const older = fixtures.find((f) => f.name === 'stderr-rds-prefix.log');
  const production = fixtures.find((f) => f.name === PRODUCTION_FIXTURE);
  assert.ok(older && production, 'the fixtures exist');
  const files = [...fixtures, { name: 'zz-stderr-rds-prefix-repeated.log', data: Buffer.concat(Array(150).fill(older.data)) }];
  assert.ok(files.at(-1)!.data.length > production.data.length * 2, 'the older log is the larger');
  const rig = await startRig({ files });
  try {
    const r = await rig.run({ inputs: { 'max-annotations': '4' } });
    assert.equal(r.code, 0, r.log);
    for (const sev of ['ERROR', 'FATAL', 'PANIC'] as const) {
      assert.equal(r.outputs[`${sev.toLowerCase()}-count`], String(grepCount(files, sev)), `${sev} count equals grep`);
    }
    assert.match(r.outputs['first-error'] ?? '', /^(ERROR|FATAL|PANIC): /);
    // Known, and none: the servers were started and stopped cleanly.
    assert.equal(r.outputs['crash-count'], '0');
    // The last error: the latest of all files, not the last one read.
    const last = grepLastError(files);
    assert.equal(last.file, PRODUCTION_FIXTURE);
    assert.equal(r.outputs['last-error'], last.text);
    // Other files end with the same words: the summary says which line it is.
    assert.ok(r.summary.includes(`(${last.file.replaceAll('_', '\\_')}:${last.line})`), r.summary.split('\n').find((l) => l.startsWith('Last error')));
    assert.notEqual(r.outputs['last-error'], r.outputs['first-error']);

    // The digest is in the summary, with the provoked errors and their statements
    assert.match(r.summary, /### What the PostgreSQL logs say/);
    // The three tables vary, so the message is folded and they are its examples (escaped: `_` is markdown).
    assert.ok(r.summary.includes('relation "?" does not exist (e.g. "audit\\_log", "invoices", "orders")'), r.summary);
    // The one files table: every downloaded file, with what the digest read in it.
    assert.equal(r.summary.split('\n').filter((l) => l.startsWith('| File |')).length, 1);
    for (const f of files) assert.match(r.summary, new RegExp(`^\\| ${f.name.replace(/[-.]/g, '\\$&').replace(/_/g, '\\\\_')} \\| [^|]+ \\| stderr \\|`, 'm'));
    assert.match(r.summary, /#### By kind/);
    assert.match(r.summary, /#### Over time/);
    assert.match(r.summary, /password authentication failed for user/);
    assert.match(r.summary, /duplicate key value violates unique constraint/);
    assert.match(r.summary, /INSERT INTO users/);
    assert.match(r.summary, /<details>/);

    // Annotations: capped, errors (FATAL/PANIC) before warnings (ERROR), titled
    const annotations = r.log.split('\n').filter((l) => /^::(error|warning) title=PostgreSQL/.test(l));
    assert.equal(annotations.length, 4);
    const levels = annotations.map((l) => l.slice(2, l.indexOf(' ')));
    assert.deepEqual([...levels].sort((a, b) => (a === b ? 0 : a === 'error' ? -1 : 1)), levels, 'errors first');
    assert.ok(annotations.some((l) => l.startsWith('::error title=PostgreSQL FATAL')));
  } finally {
    await rig.close();
  }
});

test('since: the digest speaks of the window only; the files are still uploaded whole', async () => {
  const files = (await fixtureFiles()).filter((f) => f.name.endsWith('.log'));
  const rig = await startRig({ files });
  try {
    const r = await rig.run({ inputs: { since: '1m' } }); // the last minute: after every entry of the fixtures
    assert.equal(r.code, 0, r.log);
    assert.equal(r.outputs['error-count'], '0');
    assert.equal(r.outputs['fatal-count'], '0');
    assert.equal(r.outputs['first-error'], '');
    assert.equal(r.outputs['last-error'], '');
    assert.equal(r.outputs['file-count'], String(files.length));
    assert.equal(rig.artifacts.artifacts().length, 1);
  } finally {
    await rig.close();
  }
});

test('since, and errors whose zone no table can place (CST): the counts are unknown (empty), not 0', async () => {
  const log = '2024-01-15 10:00:00 CST:10.0.0.1(5432):app@shop:[1]:ERROR:  relation "x" does not exist\n' +
    '2024-01-15 10:00:05 CST:10.0.0.1(5432):app@shop:[2]:FATAL:  password authentication failed for user "app"\n';
  const rig = await startRig({ files: [{ name: 'postgresql-cst.log', data: Buffer.from(log) }] });
  try {
    const r = await rig.run({ inputs: { since: '1m', upload: 'false' } });
    assert.equal(r.code, 0, r.log);
    for (const name of ['error-count', 'fatal-count', 'panic-count', 'crash-count']) assert.equal(r.outputs[name], '', name);
    // The summary does not say "no errors" without them.
    assert.match(r.summary, /No log entries with a readable time since .* in 1 file; \*\*1 FATAL, 1 ERROR\*\* could not be placed in the window: their time could not be read \(below\)\./);
    // Without 'since' every entry counts, timed or not.
    const all = await rig.run({ inputs: { upload: 'false' } });
    assert.deepEqual([all.outputs['error-count'], all.outputs['fatal-count']], ['1', '1']);
  } finally {
    await rig.close();
  }
});

test('a digest that fails (its thread cannot start): the counts are empty, not 0, and the summary says why', async () => {
  const files = (await fixtureFiles()).filter((f) => f.name.endsWith('.log'));
  assert.ok(grepCount(files, 'ERROR') > 0, 'the logs do hold errors');
  // The bundle as shipped, but without the digest's worker file: the thread dies before it reads a byte.
  const copy = await mkdtemp(join(tmpdir(), 'dist-'));
  await cp(join(ROOT, 'dist'), copy, { recursive: true });
  await rm(join(copy, 'digest-worker.js'));
  const rig = await startRig({ files });
  try {
    const r = await rig.run({ entry: join(copy, 'index.js') });
    assert.equal(r.code, 0, `the files are still fetched and uploaded:\n${r.log.slice(-2000)}`);
    assert.equal(r.outputs['file-count'], String(files.length));
    for (const name of ['error-count', 'fatal-count', 'panic-count', 'crash-count', 'first-error', 'last-error']) assert.equal(r.outputs[name], '', name);
    assert.match(r.summary, /The logs could not be digested \(.*digest-worker\.js.*\): how many errors they hold is unknown, so the counts are left empty\. The files are complete in the artifact\./);
    assert.match(r.log, /::warning title=Logs not digested::could not read the logs for the summary/);
    assert.equal(rig.artifacts.artifacts().length, 1);
  } finally {
    await rig.close();
    await rm(copy, { recursive: true, force: true });
  }
});

test("a bundle missing its report's code: the outputs and the summary are written, the summary saying what it left out", async () => {
  const files = (await fixtureFiles()).filter((f) => f.name === 'stderr-rds-prefix.log');
  // The bundle as shipped, but without the chunk of the report (loaded when the step writes its summary).
  const copy = await mkdtemp(join(tmpdir(), 'dist-'));
  await cp(join(ROOT, 'dist'), copy, { recursive: true });
  const chunk = (await readdir(join(copy, 'chunks'))).find((n) => n.startsWith('render-'));
  assert.ok(chunk, 'the report is a chunk of its own');
  await rm(join(copy, 'chunks', chunk));
  const rig = await startRig({ files });
  try {
    const r = await rig.run({ entry: join(copy, 'index.js'), inputs: { upload: 'false' } });
    assert.equal(r.code, 0, r.log.slice(-2000));
    assert.equal(r.outputs['error-count'], String(grepCount(files, 'ERROR')));
    assert.doesNotMatch(r.log, /could not write the step's outputs/);
    assert.match(r.log, /::warning title=No report of the logs::The report of what the logs say could not be made: its code did not load \(.*render-/);
    assert.match(r.summary, /The report of what the logs say could not be made: its code did not load/);
    assert.match(r.summary, /### Files/);
  } finally {
    await rig.close();
    await rm(copy, { recursive: true, force: true });
  }
});

test('logs that cannot be read to the end, or read as a log, give unknown counts, said so, never "No errors"', async () => {
  const { gzipSync } = await import('node:zlib');
  const errors = Array.from({ length: 100 }, (_, i) => `2026-11-28 08:00:${String(i % 60).padStart(2, '0')} UTC [7] ERROR:  relation "t${i}" does not exist`).join('\n') + '\n';
  const csvErrors = Array.from({ length: 500 }, (_, i) => `2026-11-28 08:00:01.000 UTC,"u","d",7,"h",a.1,${i + 2},"SELECT",2026-11-28 08:00:00 UTC,1/1,0,ERROR,42P01,"relation ""t${i}"" does not exist",,,,,,,,,"psql","client backend",,0`).join('\n') + '\n';
  const json = (i: number): string => JSON.stringify({ timestamp: `2026-11-28 08:00:0${i % 10}.000 UTC`, pid: 7, error_severity: 'LOG', message: 'checkpoint starting' });
  const cases: Array<{ what: string; data: Buffer; name?: string; count: string; reason?: RegExp }> = [
    // A stray JSON line at the top of a stderr log: the lines vote, and all 100 ERRORs are read.
    { what: 'one stray JSON line', data: Buffer.from(`${json(0)}\n${errors}`), count: '100' },
    // Thirty of them: JSON wins the vote, and the 100 lines it cannot read make the counts unknown.
    { what: 'a JSON head', data: Buffer.from(`${Array.from({ length: 30 }, (_, i) => json(i)).join('\n')}\n${errors}`), count: '', reason: /'postgresql-2026-11-28\\_080000\.log' could not be read as a log: 100 of its 130 lines were not read, and they are log lines of another format than jsonlog/ },
    // A csvlog record cut inside a quoted field (a crash mid-write) takes in the 500 records after it.
    { what: 'a csvlog record left open', name: 'postgresql-2026-11-28_080000.csv', data: Buffer.from(`2026-11-28 08:00:00.000 UTC,"u","d",7,"h",a.1,1,"",2026-11-28 08:00:00 UTC,1/1,0,LOG,00000,"cut ""here\n${csvErrors}`), count: '', reason: /an unbalanced quote in the record from line 1 took 500 records after it into one field/ },
    // A csvlog fetched while the server writes it: its last record is cut. That is the file's end, not a misreading.
    { what: 'a csvlog cut at its end', name: 'postgresql-2026-11-28_080000.csv', data: Buffer.from(`${csvErrors}2026-11-28 08:00:09.000 UTC,"u","d",7,"h",a.1,999,"SELECT",2026-11-28 08:00:00 UTC,1/1,0,ERROR,42601,"syntax error",,,,,,"SELECT a,\n  b,\n  c`), count: '501' },
    // Lines of another program in a real log (a restore_command's), most of the file: still read, counts known.
    { what: 'another program\'s lines', data: Buffer.from(`${Array.from({ length: 200 }, (_, i) => `cp: cannot stat '/archive/0000000100000000000000${i}': No such file or directory`).join('\n')}\n${errors}`), count: '100' },
    { what: 'a gzip file that is not one', name: 'postgresql-2026-11-28_080000.log.gz', data: Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0]), Buffer.alloc(200, 7)]), count: '', reason: /could not be read to the end/ },
    { what: 'a gzip file cut short', name: 'postgresql-2026-11-28_080000.log.gz', data: ((z: Buffer) => z.subarray(0, z.length >> 1))(gzipSync(Buffer.from(errors))), count: '', reason: /could not be read to the end/ },
  ];
  for (const c of cases) {
    const rig = await startRig({ files: [{ name: c.name ?? 'postgresql-2026-11-28_080000.log', data: c.data }] });
    try {
      const r = await rig.run({ inputs: { upload: 'false' } });
      assert.equal(r.code, 0, `${c.what}: ${r.log}`);
      assert.equal(r.outputs['error-count'], c.count, c.what);
      assert.equal(r.outputs['fatal-count'], c.count === '' ? '' : '0', c.what);
      if (c.reason) {
        assert.match(r.log, /^::warning title=Logs not fully read::/m, c.what);
        assert.match(r.summary, /\*\*Not all of the logs could be read\*\*/, c.what);
        assert.match(r.summary, c.reason, c.what);
        assert.doesNotMatch(r.summary, /^No errors(?! in what was read)/m, c.what);
      } else {
        assert.doesNotMatch(r.log, /Logs not fully read/, c.what);
      }
    } finally {
      await rig.close();
    }
  }
});

test("'timeout' during a download: what arrived was read and says the file is not kept; a file not read shows no count", async () => {
  // The reader follows big.log (first by name) as it arrives at 2 MB/s; 'timeout' ends the reading, then, a
  // 'request-timeout' later, the download. small.log arrived at once and is kept, not read. Ready at the first call,
  // and 5 s: the download has begun well before the timeout on a machine busy with other tests too (40 MB take 20 s).
  const small = await readFile(fixture('stderr-rds-prefix.log'));
  const rig = await startRig({
    files: [{ name: 'big.log', size: 40_000_000, repeat: realPostgresLog(PRODUCTION_FIXTURE) }, { name: 'small.log', data: small }],
    bytesPerSecondPerConnection: 2_000_000,
    creatingCalls: 0,
  });
  try {
    const r = await rig.run({ inputs: { timeout: '5s', 'request-timeout': '2s', 'poll-interval': '1s', upload: 'false' } });
    assert.equal(r.code, 1, r.log);
    assert.match(r.summary, /could not be downloaded: big\.log/);
    assert.deepEqual(await readdir(r.outputs['output-dir'] ?? ''), ['small.log']);
    assert.match(r.summary, /^> big\.log was not read to the end \(the step's 'timeout' came first\); its download did not complete either: what arrived is counted, and the file is not kept\. {2}$/m);
    assert.doesNotMatch(r.summary, /big\.log[^\n]*the file is kept as downloaded/);
    // Nothing of small.log was read: its entries are unknown, not 0.
    assert.match(r.summary, /^\| small\.log \| 17\.8 KiB \| stderr \| — \|/m);
    for (const name of ['error-count', 'fatal-count', 'panic-count', 'crash-count']) assert.equal(r.outputs[name], '', name);
  } finally {
    await rig.close();
  }
});


test('a server that crashed: crash-count counts crashes, not their lines; the summary and the first annotation say what was killed', async () => {
  const data = await readFile(fixture('stderr-crashes.log'));
  const text = data.toString('utf8');
  // Five LOG lines of two crashes (run F): one death and its recovery, then a recovery alone.
  assert.equal(grepText(text, /:LOG: {2}(server process .* terminated by signal|database system was (interrupted|not properly shut down))/).length, 5);
  const rig = await startRig({ files: [{ name: 'postgresql-2026-11-30_180717.log', data }] });
  try {
    const r = await rig.run({ inputs: { upload: 'false' } });
    assert.equal(r.code, 0, r.log);
    assert.equal(r.outputs['crash-count'], '2');
    assert.equal(r.outputs['fatal-count'], String(grepText(text, /:FATAL: {2}/).length));
    assert.match(r.summary, /^First of 2 server crashes: .* server process \(PID \d+\) was terminated by signal 9: Killed .*; DETAIL: Failed process was running: INSERT INTO orders /m);
    const annotations = r.log.split('\n').filter((l) => /^::(error|warning) /.test(l));
    assert.match(annotations[0] ?? '', /^::error title=PostgreSQL server crash ×2%3A database system was interrupted; last known up at /);
  } finally {
    await rig.close();
  }
});

test('the same server crashing with lc_messages German: crash-count and the summary as in English, the lines as written', async () => {
  const data = await readFile(fixture('stderr-crashes-de.log'));
  const rig = await startRig({ files: [{ name: 'postgresql-2026-12-01_021403.log', data }] });
  try {
    const r = await rig.run({ inputs: { upload: 'false' } });
    assert.equal(r.code, 0, r.log);
    assert.equal(r.outputs['crash-count'], '2');
    assert.match(r.summary, /^First of 2 server crashes: .* Serverprozess \(PID \d+\) wurde von Signal 9 beendet: Getötet .*; DETAIL: Der fehlgeschlagene Prozess führte aus: INSERT INTO orders /m);
    assert.match(r.summary, /^Server stop: .* schnelles Herunterfahren verlangt /m);
    const annotations = r.log.split('\n').filter((l) => /^::(error|warning) /.test(l));
    assert.match(annotations[0] ?? '', /^::error title=PostgreSQL server crash ×2%3A Datenbanksystem wurde unterbrochen; letzte bekannte Aktion am /);
  } finally {
    await rig.close();
  }
});

test('passwords the logs hold are *** in the summary, annotations and outputs; the artifact keeps the files as they are', async () => {
  const data = await readFile(fixture('stderr-credentials.log'));
  assert.ok(grepText(data.toString('utf8'), SECRETS).length >= 10, 'the fixture holds the secrets');
  const rig = await startRig({ files: [{ name: 'postgresql-2026-11-30_155055.log', data }] });
  try {
    const r = await rig.run({ inputs: { 'recent-entries': '200' } });
    assert.equal(r.code, 0, r.log);
    assert.doesNotMatch(r.summary, SECRETS);
    assert.doesNotMatch(r.log, SECRETS);
    for (const [name, value] of Object.entries(r.outputs)) assert.doesNotMatch(value, SECRETS, name);
    // What was hidden is still shown, each value as ***, so the entry can still be read.
    for (const shown of ["CREATE ROLE app PASSWORD '\\*\\*\\*'", "OPTIONS \\(user 'app', password '\\*\\*\\*'\\)", 'password=\\*\\*\\*', 'postgresql://app:\\*\\*\\*@', 'Key \\(api_token\\)=\\(\\*\\*\\*\\)', "WHERE api_token = '\\*\\*\\*'"]) {
      assert.match(r.summary, new RegExp(shown), shown);
    }
    assert.equal(r.outputs['error-count'], String(grepText(data.toString('utf8'), /:ERROR: {2}/).length));
    const [artifact] = rig.artifacts.artifacts();
    const [entry] = await readZip(artifact!.zip);
    assert.ok(entry!.data.equals(data), 'the artifact holds the log byte for byte');
  } finally {
    await rig.close();
  }
});
