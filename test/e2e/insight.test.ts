// Issue 5 end to end: the emulator serves real PostgreSQL logs; the run shows what went wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startRig } from '../support/harness.ts';
import { FIXTURES, fixture, grep } from '../support/pg-fixtures.ts';
import { digestFiles } from '../../src/insight/digest.ts';

async function fixtureFiles(): Promise<Array<{ name: string; data: Buffer }>> {
  const names = (await readdir(FIXTURES)).filter((n) => n !== 'README.md').sort();
  return Promise.all(names.map(async (name) => ({ name, data: await readFile(fixture(name)) })));
}

/** The severity words of the fixtures' languages (stderr-de.log is German, stderr-fr.log French). */
const WORDS: Record<string, string> = { ERROR: 'ERROR|FEHLER|ERREUR', FATAL: 'FATAL', PANIC: 'PANIC|PANIK' };

/** What grep says: lines of stderr logs with the severity right after the prefix. */
function grepCount(files: Array<{ name: string }>, severity: string): number {
  return files.filter((f) => f.name.endsWith('.log')).reduce((n, f) => n + grep(fixture(f.name), new RegExp(`\\b(${WORDS[severity]}):  `)).length, 0);
}

test('the summary explains the real logs; annotations and counts match grep', async () => {
  const files = (await fixtureFiles()).filter((f) => f.name.endsWith('.log'));
  assert.ok(files.length >= 2, 'stderr fixtures exist');
  const rig = await startRig({ files });
  try {
    const r = await rig.run({ inputs: { 'max-annotations': '4' } });
    assert.equal(r.code, 0, r.log);
    for (const sev of ['ERROR', 'FATAL', 'PANIC'] as const) {
      assert.equal(r.outputs[`${sev.toLowerCase()}-count`], String(grepCount(files, sev)), `${sev} count equals grep`);
    }
    assert.match(r.outputs['first-error'] ?? '', /^(ERROR|FATAL|PANIC): /);
    // The last error: the latest of all files, as the reader finds it (its rules are tested against grep).
    const last = (await digestFiles(files.map((f) => ({ name: f.name, path: fixture(f.name), size: 0 })), {})).lastError!;
    assert.equal(r.outputs['last-error'], `${last.severity}: ${last.message}`);
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
    for (const name of ['error-count', 'fatal-count', 'panic-count', 'first-error', 'last-error']) assert.equal(r.outputs[name], '', name);
    assert.match(r.summary, /The logs could not be digested \(.*digest-worker\.js.*\): how many errors they hold is unknown, so the counts are left empty\. The files are complete in the artifact\./);
    assert.match(r.log, /::warning title=Logs not digested::could not read the logs for the summary/);
    assert.equal(rig.artifacts.artifacts().length, 1);
  } finally {
    await rig.close();
    await rm(copy, { recursive: true, force: true });
  }
});
