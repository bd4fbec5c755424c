import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { digestSlowFiles, normalizeStatement, parseDuration, SlowDigestBuilder } from '../../src/insight/slow.ts';
import { renderSlowMarkdown } from '../../src/insight/render.ts';
import { fixture, fixtureFile, grep, fileLines, tmpFiles } from '../support/pg-fixtures.ts';
import { readFileSync } from 'node:fs';

const SLOW = 'slowlog-rds-prefix.log';
const tmpFile = tmpFiles('insight-slow-');
const path = fixture(SLOW);
const ms = (line: string): number => Number(/duration: (\d+\.\d+) ms/.exec(line)![1]);
/** The time a line of the fixture starts with (seconds, UTC). */
const at = (l: string): number => Date.parse(l.slice(0, 19).replace(' ', 'T') + 'Z');
const sum = (lines: string[]): number => Math.round(lines.reduce((n, l) => n + ms(l), 0) * 1000) / 1000;

describe('the slow-query log fixture, against grep', () => {
  test('count, total and the slowest as logged', async () => {
    const d = await digestSlowFiles([fixtureFile(SLOW)]);
    const lines = grep(path, /:LOG: {2}duration: /);
    assert.equal(d.count, lines.length);
    assert.equal(d.totalMs, sum(lines));
    const slowest = lines.reduce((a, b) => (ms(b) > ms(a) ? b : a));
    assert.equal(d.slowest?.duration, /duration: (\d+\.\d+) ms/.exec(slowest)![1]);
    assert.equal(d.slowest?.statement, slowest.slice(slowest.indexOf(': SELECT') + 2));
    // Its parameters: the DETAIL line right after it.
    const all = fileLines(path);
    assert.equal(d.slowest?.detail, all[all.indexOf(slowest) + 1]!.replace(/^.*:DETAIL: {2}/, ''));
    assert.equal(d.slowest?.line, all.indexOf(slowest) + 1);
  });

  test('the file counts every entry in it, however many share one millisecond', async () => {
    const d = await digestSlowFiles([fixtureFile(SLOW)]);
    // An entry is a line with a severity; its DETAIL/STATEMENT lines belong to it.
    const entries = grep(path, /:(LOG|ERROR|FATAL|WARNING|PANIC): {2}/);
    assert.equal(d.files[0]!.entries, entries.length);
    assert.equal(d.files[0]!.inWindow, entries.length);
  });

  test('statements grouped across literals, parameters and protocols, ranked by total time', async () => {
    const d = await digestSlowFiles([fixtureFile(SLOW)]);
    // Each group as grep finds it, by its own pattern over the raw lines.
    const groups = [
      { key: 'SELECT pg_sleep(? / ?), count(*) FROM orders WHERE customer = ?', step: 'run', lines: grep(path, /duration: \S+ ms {2}execute (P_\d+|<unnamed>): SELECT pg_sleep\(\$1 \/ 1000\.0\)/) },
      { key: 'SELECT pg_sleep(?), count(*) FROM orders WHERE customer = ?', step: 'run', lines: grep(path, /duration: \S+ ms {2}statement: SELECT pg_sleep\(0\.\d+\), count\(\*\) FROM orders WHERE customer = \d+$/) },
      { key: '/* report: monthly revenue */ SELECT pg_sleep(?), sum(total) FROM orders WHERE created_at > ?', step: 'run', lines: grep(path, /statement: \/\* report: monthly revenue \*\/$/) },
      { key: 'SELECT pg_sleep(?), count(*) FROM orders WHERE extract(year FROM created_at) = ?', step: 'run', lines: grep(path, /execute P_\d+: SELECT pg_sleep\(3\)/) },
      { key: 'SELECT pg_sleep(? / ?), count(*) FROM orders WHERE customer = ?', step: 'bind', lines: grep(path, /duration: \S+ ms {2}bind P_\d+: /) },
      { key: 'SELECT pg_sleep(? / ?), count(*) FROM orders WHERE customer = ?', step: 'parse', lines: grep(path, /duration: \S+ ms {2}parse P_\d+: /) },
    ];
    assert.ok(groups.every((g) => g.lines.length > 0));
    assert.ok(groups[0]!.lines.length >= 10 && groups[1]!.lines.length === 3);
    for (const g of groups) {
      const s = d.statements.find((x) => x.key === g.key && x.step === g.step);
      assert.ok(s, `${g.step} ${g.key}`);
      assert.equal(s.calls, g.lines.length, g.key);
      assert.equal(s.totalMs, sum(g.lines), g.key);
      assert.equal(s.maxMs, Math.max(...g.lines.map(ms)), g.key);
    }
    // The ranking: by total time, as grep's sums order them.
    const expected = [...groups].sort((a, b) => sum(b.lines) - sum(a.lines)).map((g) => `${g.step} ${g.key}`);
    const got = d.statements.map((s) => `${s.step} ${s.key}`).filter((k) => expected.includes(k));
    assert.deepEqual(got, expected);
    for (let i = 1; i < d.statements.length; i++) assert.ok(d.statements[i - 1]!.totalMs >= d.statements[i]!.totalMs);
    // Every duration is in exactly one group.
    assert.equal(d.statements.reduce((n, s) => n + s.calls, 0), d.count);
  });

  test('since: durations before it are not counted', async () => {
    const lines = grep(path, /:LOG: {2}duration: /);
    const since = new Date(at(lines[Math.floor(lines.length / 2)]!));
    const d = await digestSlowFiles([fixtureFile(SLOW)], { since });
    const inWindow = lines.filter((l) => at(l) >= since.getTime());
    assert.equal(d.count, inWindow.length);
    assert.equal(d.beforeWindow, lines.length - inWindow.length);
  });

  test('since: a long log counts the entries of the window in its file, not those before it', async () => {
    // Eight copies: past the first 64 KiB piece the reader counts LOG lines in runs (the WebAssembly scanner).
    const text = readFileSync(path, 'utf8').repeat(8);
    const entries = text.split('\n').filter((l) => /:(LOG|ERROR|FATAL|WARNING|PANIC): {2}/.test(l));
    const since = new Date(at(entries[Math.floor(entries.length / 16)]!));
    const file = tmpFile('postgresql-slow.log', text);
    const d = await digestSlowFiles([{ name: 'postgresql-slow.log', path: file, size: text.length }], { since });
    assert.equal(d.files[0]!.entries, entries.length);
    assert.equal(d.files[0]!.inWindow, entries.filter((l) => at(l) >= since.getTime()).length);
  });
});

describe('normalizeStatement', () => {
  const cases: Array<[string, string]> = [
    ["SELECT * FROM t WHERE a = 'x''y' AND b = 42", 'SELECT * FROM t WHERE a = ? AND b = ?'],
    ['SELECT pg_sleep($1 / 1000.0), count(*) FROM orders WHERE customer = $2;', 'SELECT pg_sleep(? / ?), count(*) FROM orders WHERE customer = ?'],
    ['/* app: billing, job 42 */ SELECT 1', '/* app: billing, job 42 */ SELECT ?'],
    ["SELECT 1 -- the answer is 42\n  FROM t", 'SELECT ? -- the answer is 42 FROM t'],
    ['SELECT "Table 2".col3, t2.x FROM "Table 2" t2 WHERE y > -1.5e3', 'SELECT "Table 2".col3, t2.x FROM "Table 2" t2 WHERE y > -?'],
    ["SELECT E'it\\'s', $$body 'with' $1$$, $tag$x$tag$", 'SELECT ?, ?, ?'],
    ['UPDATE   t\n\tSET a = .5\nWHERE id IN (1, 2, 3) ;', 'UPDATE t SET a = ? WHERE id IN (?, ?, ?)'],
  ];
  for (const [sql, want] of cases) test(sql, () => assert.equal(normalizeStatement(sql), want));

  test('bounded work on a huge statement, and an unterminated literal', () => {
    assert.ok(normalizeStatement(`SELECT '${'x'.repeat(100_000)}`).length < 100);
    assert.ok(normalizeStatement('SELECT ' + 'a, '.repeat(50_000)).length <= 4000);
  });
});

describe('parseDuration', () => {
  test('the forms PostgreSQL logs', () => {
    assert.deepEqual(parseDuration('duration: 1301.927 ms  statement: SELECT 1'), { duration: '1301.927', step: 'statement', name: undefined, statement: 'SELECT 1' });
    assert.deepEqual(parseDuration('duration: 0.5 ms  execute <unnamed>/C_1: SELECT $1'), { duration: '0.5', step: 'execute', name: '<unnamed>/C_1', statement: 'SELECT $1' });
    assert.deepEqual(parseDuration('duration: 2.000 ms  execute fetch from P_1/C_2: SELECT 2'), { duration: '2.000', step: 'execute', name: 'P_1/C_2', statement: 'SELECT 2' });
    assert.deepEqual(parseDuration('duration: 0.052 ms'), { duration: '0.052', step: undefined, name: undefined, statement: undefined });
    assert.equal(parseDuration('connection authorized: user=app'), undefined);
    assert.equal(parseDuration('duration: fast'), undefined);
  });

  test('log_duration lines are counted, not ranked', () => {
    const b = new SlowDigestBuilder();
    b.add({ severity: 'LOG', message: 'duration: 0.052 ms', file: 'f', line: 1 });
    b.add({ severity: 'LOG', message: 'duration: 60.5 ms  statement: SELECT 1', file: 'f', line: 2 });
    const d = b.finish([]);
    assert.equal(d.count, 2);
    assert.equal(d.withoutText, 1);
    assert.equal(d.statements.length, 1);
    assert.equal(d.slowest?.duration, '60.5');
  });
});

describe('renderSlowMarkdown', () => {
  test('the ranking table and the slowest execution in full, log text escaped', async () => {
    const d = await digestSlowFiles([fixtureFile(SLOW)]);
    const md = renderSlowMarkdown(d);
    const rows = md.split('\n').filter((l) => /^\| \d/.test(l));
    assert.equal(rows.length, Math.min(10, d.statements.length));
    assert.ok(rows[0]!.endsWith(`| ${d.statements[0]!.key.replace(/[*_]/g, '\\$&').replace(/>/g, '&gt;')} |`), rows[0]);
    assert.match(md, /<details><summary>The slowest execution in full<\/summary>/);
    assert.ok(md.includes('```sql\n' + d.slowest!.statement + '\n```'));
    assert.match(md, /Parameters:\n\n```text\n\$1 = '2026'\n```/);

    const b = new SlowDigestBuilder();
    b.add({ severity: 'LOG', message: "duration: 99.000 ms  statement: SELECT '|' AS \"<b>x</b>\" /* ``` @here */", file: 'f', line: 1, time: new Date(0) });
    const evil = renderSlowMarkdown(b.finish([]));
    const row = evil.split('\n').find((l) => /^\| 1 \|/.test(l))!;
    assert.equal((row.match(/(?<!\\)\|/g) ?? []).length, 8, row);
    assert.ok(!/<b>/.test(row) && row.includes('&lt;b&gt;') && !row.includes('@here'), row);
  });
});
