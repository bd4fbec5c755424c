// The step's outputs for several instances, from their reports: what is summed, and which error stands for all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stepOutputs } from '../../src/core/outputs.ts';
import { newReport } from '../../src/core/run.ts';
import { DigestBuilder } from '../../src/insight/digest.ts';
import type { InstanceRun, ManyReport } from '../../src/core/many.ts';
import type { LogEntry } from '../../src/insight/entry.ts';
import { Redactor } from '../../src/core/redact.ts';
import { digestSlowFiles } from '../../src/insight/slow.ts';
import { fixtureFile, tmpFiles } from '../support/pg-fixtures.ts';

const tmpFile = tmpFiles('outputs-slow-');
/** A slow-query log of `text`, as a file the digest reads. */
const slowLog = (text: string, name = 'postgresql-slow.log'): ReturnType<typeof fixtureFile> => fixtureFile(tmpFile(name, text));

function run(name: string, entries: LogEntry[]): InstanceRun {
  const report = newReport('/tmp/out');
  report.status = 'FINISH';
  const b = new DigestBuilder({});
  for (const e of entries) b.add(e);
  report.digest = b.finish([]);
  return { ref: { by: 'name', name }, report, error: undefined, settled: true };
}

test("several instances: 'first-error' is the earliest of all, 'last-error' the latest, each after its instance", () => {
  const at = (h: number): Date => new Date(Date.UTC(2026, 10, 28, h));
  const e = (message: string, time: Date | undefined): LogEntry => ({ severity: 'ERROR', message, file: 'f.log', line: 1, ...(time ? { time } : {}) });
  const many: ManyReport = {
    runs: [
      run('shop-db', [e('shop early', at(1)), e('shop late', at(5))]),
      run('audit-db', [e('audit earliest', at(0)), e('audit latest', at(9))]),
      run('billing-db', [e('billing untimed', undefined)]),
    ],
    artifact: undefined,
    outputDir: '/tmp/out',
  };
  const out = stepOutputs(many, undefined, new Redactor());
  assert.equal(out['first-error'], 'audit-db: ERROR: audit earliest');
  assert.equal(out['last-error'], 'audit-db: ERROR: audit latest');
  assert.equal(out['error-count'], '5');
  // Only untimed errors: the instance given first.
  const untimed = stepOutputs({ runs: [run('a-db', [e('a', undefined)]), run('b-db', [e('b', undefined)])], artifact: undefined, outputDir: '/tmp/out' }, undefined, new Redactor());
  assert.equal(untimed['first-error'], 'a-db: ERROR: a');
  assert.equal(untimed['last-error'], 'a-db: ERROR: a');
});

test("'first-error' and 'last-error' are cut at 1000 characters, never inside a character", () => {
  const e: LogEntry = { severity: 'ERROR', message: '\u{1F600}'.repeat(600), file: 'f.log', line: 1, time: new Date(0) };
  const out = stepOutputs({ runs: [run('shop-db', [e])], artifact: undefined, outputDir: '/tmp/out' }, undefined, new Redactor());
  for (const name of ['first-error', 'last-error']) {
    const v = out[name]!;
    assert.ok(v.length <= 1000, `${name}: ${v.length}`);
    assert.ok(v.endsWith('\u{1F600}…'), `${name} ends in a whole character, then the mark of the cut`);
  }
});

test("several instances: 'first-error' stays within 1000 characters with its instance's name before it", () => {
  const e = (message: string): LogEntry => ({ severity: 'ERROR', message, file: 'f.log', line: 1, time: new Date(0) });
  const out = stepOutputs({ runs: [run('shop-db', [e('x'.repeat(5000))]), run('audit-db', [e('y')])], artifact: undefined, outputDir: '/tmp/out' }, undefined, new Redactor());
  assert.ok(out['first-error']!.length <= 1000, `${out['first-error']!.length}`);
  assert.ok(out['first-error']!.startsWith('shop-db: ERROR: xxx'));
});

test("'files-truncated' says whether 'files' lists them all, even when only 'instances' had to drop its lists", () => {
  // Files that fit in 'files' once, but not twice ('instances' lists them again, with each instance's outputs).
  const many = (n: number): ManyReport => {
    const r = run('shop-db', []);
    r.report.files = Array.from({ length: n }, (_, i) => ({ name: `postgresql-${i}-${'x'.repeat(120)}.log`, type: 'error', apiName: 'a', path: `/tmp/out/postgresql-${i}-${'x'.repeat(120)}.log`, size: 1000, seconds: 1 }));
    return { runs: [r], artifact: undefined, outputDir: '/tmp/out' };
  };
  // The first count of files at which 'instances' (the files and each instance's outputs) no longer fits.
  let n = 2000;
  let out = stepOutputs(many(n), undefined, new Redactor());
  const dropped = (o: typeof out): boolean => (JSON.parse(o['instances']!) as Array<{ files: unknown[] }>)[0]!.files.length === 0;
  assert.ok(!dropped(out), `the search starts where 'instances' still fits (n=${n})`);
  while (!dropped(out)) out = stepOutputs(many(++n), undefined, new Redactor());
  assert.equal((JSON.parse(out['files']!) as unknown[]).length, n, `'files' lists all ${n}`);
  assert.equal(out['files-truncated'], 'false');
  const [inst] = JSON.parse(out['instances']!) as Array<{ files: unknown[]; 'files-truncated': string }>;
  assert.equal(inst!['files-truncated'], 'true', "the instance's own list was dropped");
  // More than fit: 'files' is cut and says so.
  const more = stepOutputs(many(8000), undefined, new Redactor());
  assert.equal(more['files-truncated'], 'true');
  assert.ok((JSON.parse(more['files']!) as unknown[]).length < 8000);
});

test("'slow-query-count' is unknown (empty) when a slow-query log file was not had, as the error counts are for error logs", async () => {
  const r = run('shop-db', []);
  r.report.slow = await digestSlowFiles([slowLog('2026-11-28 10:00:00 UTC [1] LOG:  duration: 1200.5 ms  statement: SELECT pg_sleep(1.2)\n')], {});
  const outputs = (): Record<string, string> => stepOutputs({ runs: [r], artifact: undefined, outputDir: '/tmp/out' }, undefined, new Redactor());
  const out = (): string | undefined => outputs()['slow-query-count'];
  assert.equal(out(), '1');
  r.report.missing.push({ apiName: 'postgresql-slow-2.log', type: 'slow', reason: 'RDS reported status FAILED' });
  assert.equal(out(), '');
  assert.equal(outputs()['slowest-query-ms'], '', 'the slowest is unknown too');
  // With 'since', a statement whose time cannot be read (a zone no table places) may be inside the window or not.
  r.report.missing = [];
  r.report.slow = await digestSlowFiles([slowLog('2026-11-28 10:00:00 UTC [1] LOG:  duration: 1200.5 ms  statement: SELECT 1\n2026-11-28 10:00:01 CST [1] LOG:  duration: 8000.0 ms  statement: SELECT 2\n')], { since: new Date('2026-11-28T09:00:00Z') });
  assert.equal(out(), '');
});

test("'first-error' is redacted before it is cut: a secret across the cut leaves none of its characters", () => {
  const secret = 'S3cretT0kenValue9876';
  const redactor = new Redactor();
  redactor.add(secret);
  const e: LogEntry = { severity: 'ERROR', message: `${'x'.repeat(980)}${secret} tail`, file: 'f.log', line: 1, time: new Date(0) };
  const out = stepOutputs({ runs: [run('shop-db', [e])], artifact: undefined, outputDir: '/tmp/out' }, undefined, redactor);
  // Redacted first, the text is short enough to stay whole; cut first, 12 characters of the secret would be left.
  assert.equal(out['first-error'], `ERROR: ${'x'.repeat(980)}*** tail`);
});

test("several instances: 'slowest-query-ms' is the slowest by number (1200 ms beats 900 ms, as text it would not)", async () => {
  const slowRun = async (name: string, ms: string): Promise<InstanceRun> => {
    const r = run(name, []);
    r.report.slow = await digestSlowFiles([slowLog(`2026-11-28 10:00:00 UTC [1] LOG:  duration: ${ms} ms  statement: SELECT 1\n`, `postgresql-${name}.log`)], {});
    return r;
  };
  const out = stepOutputs({ runs: [await slowRun('a-db', '900.000'), await slowRun('b-db', '1200.000')], artifact: undefined, outputDir: '/tmp/out' }, undefined, new Redactor());
  assert.equal(Number(out['slowest-query-ms']), 1200);
});
