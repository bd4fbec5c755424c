import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DigestBuilder, digestBytes, digestFiles } from '../../src/insight/digest.ts';
import type { Digest } from '../../src/insight/digest.ts';
import { renderDigestMarkdown, stepAnnotations } from '../../src/insight/render.ts';
import { codeBlock, cut, escapeInline } from '../../src/insight/markdown.ts';

/** One digest's annotations, alone in its step. */
const annotationsFor = (d: Digest, cap?: number): ReturnType<typeof stepAnnotations> => stepAnnotations([{ digest: d }], cap);
import type { LogEntry, Severity } from '../../src/insight/entry.ts';

import { fileLines, fixtureFile as fixture, incidentFile } from '../support/pg-fixtures.ts';
import { translatedServerLines } from '../../src/insight/translations.ts';
import { renderText } from '../../src/cli/output.ts';
import { newReport } from '../../src/core/run.ts';
import type { ManyReport } from '../../src/core/many.ts';

let n = 0;
function entry(severity: Severity, message: string, extra: Partial<LogEntry> = {}): LogEntry {
  n++;
  return { severity, message, time: new Date(Date.UTC(2024, 4, 1, 10, 0, n)), pid: 100 + n, file: 'postgresql.log', line: n, ...extra };
}

function digestOf(entries: LogEntry[], recent = 20): Digest {
  const b = new DigestBuilder({ recent });
  for (const e of entries) b.add(e);
  return b.finish([]);
}

/** Pipes that split a table cell: not escaped with a backslash. */
const cellPipes = (line: string): number => (line.match(/(?<!\\)\|/g) ?? []).length;

describe('renderDigestMarkdown: log text cannot inject markup', () => {
  const evil = [
    'relation "<script>alert(1)</script>" does not exist',
    'value | with | pipes </details> <img src=x onerror=alert(1)>',
    '**bold** _em_ `code` [link](https://example.com) ~~strike~~ @octocat',
    'bidi \u202e txet desrever and a \u0007 bell\nand a second line',
  ];
  const statement = 'SELECT 1;\n```\n</details>\n# heading\n````\nSELECT 2';
  const d = digestOf([
    ...evil.map((m) => entry('ERROR', m, { statement, detail: '<b>detail</b>', hint: '| hint |', user: '<u>', database: 'd|b' })),
    entry('FATAL', 'x'.repeat(10_000)),
  ]);
  const md = renderDigestMarkdown(d);

  test('no raw HTML from the log', () => {
    for (const bad of ['<script', '<img', '<b>', '<u>']) assert.ok(!md.includes(bad) || insideFence(md, bad), `${bad} escaped`);
    assert.ok(md.includes('&lt;script&gt;'));
    // Only the <details> blocks the renderer opens are closed.
    assert.equal(count(md, '<details>'), count(outsideFences(md), '</details>'));
  });

  test('table rows keep their columns', () => {
    const lines = md.split('\n');
    const header = lines.find((l) => l.startsWith('| Severity | Count |'))!;
    const after = lines.slice(lines.indexOf(header) + 2);
    const rows = after.slice(0, after.findIndex((l) => !l.startsWith('|')));
    assert.equal(rows.length, 5);
    for (const r of rows) assert.equal(cellPipes(r), cellPipes(header), r);
  });

  test('markdown specials are escaped, mentions defused, controls replaced', () => {
    assert.equal(escapeInline('**b** _e_ `c` [l](u) ~s~ a|b @me'), '\\*\\*b\\*\\* \\_e\\_ \\`c\\` \\[l\\](u) \\~s\\~ a\\|b @\u2060me');
    assert.ok(!md.includes('\u202e'));
    assert.ok(!md.includes('\u0007'));
    assert.equal(escapeInline('one\ntwo'), 'one ↵ two');
    // GitHub renders $...$ and $$...$$ as math: a log line must not.
    assert.equal(escapeInline('cost $$\\Huge{x}$$ and $y$'), 'cost \\$\\$\\\\Huge{x}\\$\\$ and \\$y\\$');
  });

  test('user@database copies as typed where GitHub would link nothing; a joiner only where it would', () => {
    // After a letter, digit or _ an @ starts no mention, and without a . after it no e-mail link.
    for (const plain of ['app@app', 'app@app_production', 'postgres@postgres', 'x1@db-2']) {
      assert.equal(escapeInline(plain).replaceAll('\\', ''), plain, plain);
    }
    // A mention (@ after a space, a bracket or at the start), an e-mail address (a dot after the @, also after
    // an escaped _) or a user@SHA commit reference: the joiner stays.
    for (const [text, shown] of [
      ['@octocat', '@\u2060octocat'], ['a (@team)', 'a (@\u2060team)'], ['admin@evil.example', 'admin@\u2060evil.example'],
      ['app@my_db.example', 'app@\u2060my\\_db.example'], ['app@db_.x', 'app@\u2060db\\_.x'], ['dev@deadbeef1', 'dev@\u2060deadbeef1'],
      // After punctuation (a sentence's end, a path's dot) a mention may be read: the joiner stays there too.
      ['done.@team', 'done.@\u2060team'],
    ] as const) assert.equal(escapeInline(text), shown, text);
  });

  test('statements are fenced longer than any backtick run in them', () => {
    const block = codeBlock(statement, 'sql');
    assert.ok(block.startsWith('`````sql\n'));
    assert.ok(block.endsWith('\n`````'));
    assert.ok(md.includes(block));
  });

  test('shown messages are capped', () => {
    assert.ok(!md.includes('x'.repeat(301)));
    assert.ok(md.includes(`${'x'.repeat(299)}…`));
    for (const line of md.split('\n')) assert.ok(line.length < 4000, `line of ${line.length}`);
  });
});

describe('renderDigestMarkdown on a real fixture', () => {
  test('severity table, top messages, recent entries with DETAIL/HINT/STATEMENT, files', async () => {
    const d = await digestFiles([fixture('stderr-debian-prefix.log')], { recent: 20 });
    const md = renderDigestMarkdown(d);
    assert.match(md, new RegExp(`\\| ERROR \\| ${d.bySeverity.ERROR} \\|`));
    assert.match(md, new RegExp(`\\| FATAL \\| ${d.bySeverity.FATAL} \\|`));
    assert.match(md, /\| PANIC \| 0 \|/);
    assert.match(md, /\| FATAL \| 3 \| [^|]+ \| [^|]+ \| password authentication failed for user "app" \|/);
    // The same message for a role that does not exist: its own row, with the DETAIL that says so.
    assert.match(md, /\| FATAL \| 1 \| [^|]+ \| [^|]+ \| password authentication failed for user "deployer"; DETAIL: Role "deployer" does not exist\. \|/);
    const warnPlus = (['WARNING', 'ERROR', 'FATAL', 'PANIC'] as const).reduce((k, s) => k + (d.bySeverity[s] ?? 0), 0);
    assert.match(md, new RegExp(`<details><summary>Last ${Math.min(20, warnPlus)} entries`));
    assert.match(md, /DETAIL:\n\n```text\nKey \(email\)=\(alice@example\.com\) already exists\.\n```/);
    assert.match(md, /STATEMENT:\n\n```sql\nSELECT pg_sleep\(30\) \/\* long running migration \*\/\n```/);
    // The files table is the summary's (renderFiles), not the digest's: one table, not two.
    assert.doesNotMatch(md, /\| File \|/);
    assert.ok(md.startsWith('### '));
  });

  test('an empty digest and the notes about what was not counted', () => {
    const empty = renderDigestMarkdown(digestOf([]));
    assert.match(empty, /No log entries in 0 files\./);
    const b = new DigestBuilder({ since: new Date('2024-05-01T10:00:00Z') });
    b.add({ severity: 'ERROR', message: 'untimed', file: 'f', line: 1 });
    const md = renderDigestMarkdown(b.finish([]));
    assert.match(md, /1 entry had no readable time and could not be placed in the window/);
  });
});

describe('annotationsFor', () => {
  test('one error per distinct FATAL/PANIC, one warning per distinct ERROR, errors first, capped', () => {
    const entries: LogEntry[] = [];
    for (let i = 0; i < 8; i++) entries.push(entry('ERROR', `error kind ${'abcdefgh'[i]}`));
    for (let i = 0; i < 7; i++) entries.push(entry('FATAL', `fatal kind ${'abcdefg'[i]}`));
    entries.push(entry('PANIC', 'could not write to file "pg_wal/xlogtemp.1": No space left on device'));
    const d = digestOf(entries);
    const a = annotationsFor(d);
    assert.equal(a.length, 10);
    // Errors first, with three of the ten kept for ERROR messages: a migration's ERROR is often the cause its
    // FATALs (logins refused while the server restarted) only echo.
    assert.deepEqual(a.map((x) => x.level), [...Array(7).fill('error'), ...Array(3).fill('warning')]);
    assert.match(a[6]!.message, /…and 1 more distinct FATAL\/PANIC message in the job summary\.$/);
    assert.match(a[0]!.title, /^PostgreSQL PANIC: could not write to file/);
    assert.equal(annotationsFor(d, 3).length, 3);
    assert.ok(annotationsFor(d, 3).every((x) => x.level === 'error'));
    assert.equal(annotationsFor(d, 100).length, 16);
    assert.equal(annotationsFor(d, 0).length, 0);
  });

  test('titles read well, on one line', async () => {
    const d = await digestFiles([fixture('stderr-debian-prefix.log')], {});
    const a = annotationsFor(d);
    const titles = a.map((x) => x.title);
    assert.ok(titles.includes('PostgreSQL FATAL ×3: password authentication failed for user "app"'), titles.join('\n'));
    assert.ok(titles.includes('PostgreSQL FATAL: password authentication failed for user "deployer"; DETAIL: Role "deployer" does not exist.'), titles.join('\n'));
    assert.ok(titles.includes('PostgreSQL ERROR ×2: duplicate key value violates unique constraint "users_email_key"'));
    assert.ok(titles.includes('PostgreSQL FATAL: terminating connection due to administrator command'));
    for (const x of a) {
      assert.ok(!x.title.includes('\n'));
      assert.ok(x.title.length <= 200);
    }
    const pw = a.find((x) => x.title.includes('password'))!;
    assert.equal(pw.level, 'error');
    assert.match(pw.message, /^password authentication failed for user "app"\nDETAIL: Connection matched pg_hba\.conf/);
    const dup = a.find((x) => x.title.includes('duplicate key'))!;
    assert.equal(dup.level, 'warning');
    assert.match(dup.message, /STATEMENT: INSERT INTO users/);
  });
});

describe('stepAnnotations: one budget for the step', () => {
  test('digests share cap and room, errors of all before warnings, and the note counts what all left out', () => {
    const two = (tag: string): Digest => digestOf([
      ...['a', 'b', 'c'].map((w) => entry('FATAL', `${tag} ${w} quorum lost`)),
      ...['a', 'b'].map((w) => entry('ERROR', `${tag} ${w} check failed`)),
    ]);
    const a = stepAnnotations([{ label: 'one', digest: two('x') }, { label: 'two', digest: two('y') }], 10, { error: 6, warning: 0 });
    assert.deepEqual(a.map((x) => [x.level, x.title.slice(0, x.title.indexOf(':'))]), [
      ['error', 'one'], ['error', 'one'], ['error', 'one'], ['error', 'two'],
      ['warning', 'one'], ['warning', 'one'], ['warning', 'two'], ['warning', 'two'],
    ]);
    assert.match(a[3]!.message, /…and 2 more distinct FATAL\/PANIC messages in the job summary\.$/);
    assert.ok(a.filter((x) => x.message.includes('…and')).length === 1, 'only the error level left some out');
    // An instance's label does not take a title past what GitHub takes (255).
    const long = stepAnnotations([{ label: 'l'.repeat(64), digest: digestOf([entry('FATAL', 'm'.repeat(400))]) }]);
    assert.ok(long[0]!.title.length <= 255, `${long[0]!.title.length} characters`);
    assert.ok(long[0]!.title.startsWith(`${'l'.repeat(64)}: PostgreSQL FATAL`));
    // A level the step has used up: none of it, and the cap goes to the other.
    assert.deepEqual(stepAnnotations([{ digest: two('x') }], 3, { error: 10, warning: 0 }).map((x) => x.level), ['warning', 'warning']);
  });
});

describe('first and last error', () => {
  test('the headline names the last error too, when it is another', () => {
    const two = renderDigestMarkdown(digestOf([entry('ERROR', 'relation "orders" does not exist'), entry('FATAL', 'the migration gave up')]));
    assert.match(two, /^First error: .* \*\*ERROR\*\* relation "orders" does not exist/m);
    assert.match(two, /^Last error: .* \*\*FATAL\*\* the migration gave up/m);
    const one = renderDigestMarkdown(digestOf([entry('ERROR', 'only this')]));
    assert.match(one, /^First error: /m);
    assert.doesNotMatch(one, /^Last error: /m);
  });
});

describe('crashes', () => {
  test('a real log of two crashes: both named before the errors they caused, with what the killed process ran; the annotation leads', async () => {
    const name = 'stderr-crashes.log';
    const lines = fileLines(fixture(name).path);
    const at = (re: RegExp): number => lines.findIndex((l) => re.test(l)) + 1;
    const death = at(/LOG: {2}server process \(PID \d+\) was terminated by signal 9/);
    // The whole server killed: the last crash is the start of its recovery.
    const restart = lines.findLastIndex((l) => /LOG: {2}database system was interrupted;/.test(l)) + 1;
    const d = await digestFiles([fixture(name)], {});
    const md = renderDigestMarkdown(d);
    const first = md.split('\n').findIndex((l) => l.startsWith('First of 2 server crashes: '));
    assert.ok(first > 0 && first < md.split('\n').findIndex((l) => l.startsWith('First error: ')), md);
    assert.match(md, new RegExp(`^First of 2 server crashes: .* \\*\\*LOG\\*\\* server process \\(PID \\d+\\) was terminated by signal 9: Killed \\(stderr-crashes\\.log:${death}\\); DETAIL: Failed process was running: INSERT INTO orders SELECT g`, 'm'));
    assert.match(md, new RegExp(`^Last server crash: .* \\*\\*LOG\\*\\* database system was interrupted; last known up at .* \\(stderr-crashes\\.log:${restart}\\)$`, 'm'));
    const [a] = stepAnnotations([{ digest: d }]);
    assert.equal(a?.level, 'error');
    assert.match(a?.title ?? '', /^PostgreSQL server crash ×2: database system was interrupted; last known up at /);
    // One crash: named once, with no count.
    const one = renderDigestMarkdown(digestOf([{ severity: 'LOG', message: 'server process (PID 7) was terminated by signal 11: Segmentation fault', detail: 'Failed process was running: SELECT 1', file: 'f', line: 3 }]));
    assert.match(one, /^Server crash: .* \*\*LOG\*\* server process \(PID 7\) was terminated by signal 11: Segmentation fault \(f:3\); DETAIL: Failed process was running: SELECT 1$/m);
    assert.doesNotMatch(renderDigestMarkdown(digestOf([entry('ERROR', 'x')])), /crash/i);
  });

  test('the same crashes and stop in German and French: the summary tells them as in English, in the words the server wrote', async () => {
    // The summary's lines of crashes, stops and errors and its kinds, their times, places, messages and DETAILs left
    // out: what it says happened. (The French run's server wrote two WARNINGs more, of a DROP DATABASE's cleanup.)
    const top = (md: string): string => md.split('\n').filter((l) => /^(First|Last|Server|\| [a-z])/.test(l)).join('\n')
      .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/g, 'T').replace(/\*\*(LOG|FATAL)\*\* [^\n]*? \(stderr-crashes(?:-de|-fr)?\.log:\d+\)/g, '**$1** … (place)')
      .replace(/; DETAIL: .*/g, '; DETAIL: …');
    const md = async (name: string): Promise<string> => renderDigestMarkdown(await digestFiles([fixture(name)], {}));
    const english = top(await md('stderr-crashes.log'));
    assert.match(english, /^First of 2 server crashes: T \*\*LOG\*\* … \(place\); DETAIL: …$/m);
    assert.match(english, /^Server stop: T \*\*LOG\*\* … \(place\); not seen accepting connections again in these logs\.$/m);
    assert.match(english, /^\| server restart or crash \| 7 \| — \|$/m);
    for (const name of ['stderr-crashes-de.log', 'stderr-crashes-fr.log']) assert.equal(top(await md(name)), english, name);
    assert.match(await md('stderr-crashes-de.log'), /^First of 2 server crashes: .* \*\*LOG\*\* Serverprozess \(PID \d+\) wurde von Signal 9 beendet: Getötet \(stderr-crashes-de\.log:\d+\); DETAIL: Der fehlgeschlagene Prozess/m);
  });

  test('real incidents: a restart cut short by a full disk is the same crash; an immediate stop is none; a crash without errors leads the headline', async () => {
    // One backend died (signal 6), and the two starts after it whose recovery ran out of disk are its restarts.
    const full = await digestFiles([incidentFile('stderr-wal-full-restarts.log')], {});
    assert.equal(full.crashes, 1);
    assert.equal(full.firstCrash?.message, full.lastCrash?.message);
    assert.match(full.lastCrash?.message ?? '', /^server process \(PID 5406\) was terminated by signal 6: Aborted$/);
    const [a] = stepAnnotations([{ digest: full }]);
    assert.match(a?.title ?? '', /^PostgreSQL server crash: server process \(PID 5406\) was terminated by signal 6/);
    assert.match(a?.message ?? '', /Failed process was running: INSERT INTO t SELECT .*backfill/);
    // Asked for: not a crash.
    const stop = await digestFiles([incidentFile('stderr-immediate-stop.log')], {});
    assert.equal(stop.crashes, 0);
    assert.doesNotMatch(renderDigestMarkdown(stop), /crash/i);
    // The OOM killer's kind of crash, with no error logged: the headline says so first.
    const oom = await digestFiles([incidentFile('stderr-oom-kill-no-errors.log')], {});
    assert.equal(oom.crashes, 1);
    const md = renderDigestMarkdown(oom);
    assert.match(md, /^No ERROR, FATAL or PANIC, but \*\*1 server crash\*\*: \d+ entries in 1 file/m);
    assert.doesNotMatch(md, /^No errors/m);
  });

  test('several instances: every instance\'s crash is annotated before any instance\'s errors', () => {
    const crashed = (): Digest => digestOf([
      entry('LOG', 'server process (PID 7) was terminated by signal 9: Killed'),
      // Twelve distinct messages (words, not values: values would fold into one).
      ...Array.from({ length: 12 }, (_, i) => entry('FATAL', `setup step ${'abcdefghijkl'[i]} failed`)),
    ]);
    const a = stepAnnotations([{ label: 'db-a', digest: crashed() }, { label: 'db-b', digest: crashed() }]);
    assert.deepEqual(a.slice(0, 2).map((x) => x.title), ['db-a: PostgreSQL server crash: server process (PID 7) was terminated by signal 9: Killed', 'db-b: PostgreSQL server crash: server process (PID 7) was terminated by signal 9: Killed']);
    assert.equal(a.filter((x) => x.level === 'error').length, 10);
    assert.match(a.filter((x) => x.level === 'error').at(-1)!.message, /\n…and 16 more distinct FATAL\/PANIC messages in the job summary\.$/);
    // More crashed instances than a step shows annotations: those left out are counted, not dropped unsaid.
    const many = stepAnnotations(Array.from({ length: 12 }, (_, i) => ({ label: `db-${i}`, digest: crashed() })));
    const errors = many.filter((x) => x.level === 'error');
    assert.equal(errors.length, 10);
    assert.ok(errors.every((x) => / PostgreSQL server crash: /.test(x.title)));
    assert.match(errors.at(-1)!.message, /\n…and 2 more instances' server crashes and 144 more distinct FATAL\/PANIC messages in the job summary\.$/);
    // The room kept for ERROR messages comes after the crashes, never out of them.
    const withError = (): Digest => digestOf([entry('LOG', 'server process (PID 7) was terminated by signal 9: Killed'), entry('FATAL', 'f'), entry('ERROR', 'x')]);
    const crashedWithErrors = stepAnnotations(Array.from({ length: 10 }, (_, i) => ({ label: `db-${i}`, digest: withError() })));
    assert.deepEqual(crashedWithErrors.map((x) => x.level), Array(10).fill('error'));
    assert.ok(crashedWithErrors.every((x) => / PostgreSQL server crash: /.test(x.title)));
    // The ERROR messages that got no room at all are still counted, on the last annotation.
    assert.match(crashedWithErrors.at(-1)!.message, /\n…and 10 more distinct FATAL\/PANIC messages in the job summary\.\n…and 10 more distinct ERROR messages in the job summary\.$/);
    // A cap of 4: three crashes, then 30% of 4 rounded down (one) for ERROR messages, none for FATAL.
    const small = stepAnnotations(Array.from({ length: 3 }, (_, i) => ({ label: `db-${i}`, digest: withError() })), 4);
    assert.deepEqual(small.map((x) => x.level), ['error', 'error', 'error', 'warning']);
    const eleven = stepAnnotations(Array.from({ length: 11 }, (_, i) => ({ label: `db-${i}`, digest: digestOf([entry('LOG', 'server process (PID 7) was terminated by signal 9: Killed')]) })));
    assert.match(eleven.at(-1)!.message, /\n…and 1 more instance's server crashes in the job summary\.$/);
  });
});

describe('server stops, on real logs', () => {
  test("a fast shutdown is named above the FATALs it caused, with when the server was up again", async () => {
    const d = await digestFiles([incidentFile('stderr-fast-stop.log')], {});
    assert.equal(d.stops, 2);
    const md = renderDigestMarkdown(d);
    const stop = md.split('\n').findIndex((l) => l.startsWith('First of 2 server stops: '));
    assert.ok(stop > 0 && stop < md.split('\n').findIndex((l) => l.startsWith('First error: ')), md);
    // Its two FATALs `terminating connection due to administrator command` (lines 8 and 10, before its `database
    // system is shut down`) read like pg_terminate_backend's: said to be its own.
    const lines = fileLines(incidentFile('stderr-fast-stop.log').path);
    const down = lines.findIndex((l) => l.endsWith('LOG:  database system is shut down'));
    assert.equal(lines.slice(5, down).filter((l) => l.includes('FATAL:  terminating connection due to administrator command')).length, 2);
    assert.match(md, /^First of 2 server stops: 2026-11-30 20:22:01 UTC \*\*LOG\*\* received fast shutdown request \(stderr-fast-stop\.log:6\); it ended 2 connections \(those FATALs are the stop's, not a pg_terminate_backend\); accepting connections again at 2026-11-30 20:22:01 UTC\.$/m);
    assert.match(md, /^Last server stop: .* \(stderr-fast-stop\.log:22\); not seen accepting connections again in these logs\.$/m);
    // A pg_terminate_backend a second before a stop is not the stop's (the real log of run B).
    const b = await digestFiles([fixture('stderr-rds-prefix.log')], {});
    assert.equal(b.lastError?.message, 'terminating connection due to administrator command');
    assert.equal(b.firstStop?.ended, 0);
    assert.match(renderDigestMarkdown(b), /^Server stop: .* \(stderr-rds-prefix\.log:136\); not seen accepting connections again in these logs\.$/m);
  });

  test('starts given up are stops of their own, once each; a crash loop\'s failed recoveries too, and the server up again after them', async () => {
    const starts = await digestFiles([incidentFile('stderr-failed-starts.log')], {});
    assert.equal(starts.stops, 4, 'a fast stop, two starts given up, a fast stop');
    // The two between the first stop and the last are what went wrong: the first line says they are there.
    assert.equal(starts.startsGivenUp, 2);
    assert.match(renderDigestMarkdown(starts), /^First of 4 server stops, 2 of them starts given up: .* received fast shutdown request \(stderr-failed-starts\.log:6\)/m);
    const wal = await digestFiles([incidentFile('stderr-wal-full-restarts.log')], {});
    assert.equal(wal.stops, 3, 'two starts given up (each one line and its shut down), the last fast stop');
    assert.equal(wal.firstStop?.gaveUp, true);
    assert.equal(wal.firstStop?.upAgain?.toISOString(), '2026-11-30T20:18:53.000Z');
    // Nobody started that server: after the PANIC's crash its recovery failed (the disk still full); said so.
    assert.equal(wal.firstStop?.afterCrash, true);
    assert.equal(wal.startsGivenUp, 0, 'recoveries, not starts');
    assert.match(renderDigestMarkdown(wal), /^First of 3 server stops: .* shutting down due to startup process failure \(stderr-wal-full-restarts\.log:22\) \(the recovery from the crash given up: the FATAL before it says why\); accepting connections again at 2026-11-30 20:18:53 UTC\.$/m);
    // A start given up after a fast stop (no crash before it) is a start: its lines 13-14 alone.
    const lines = fileLines(incidentFile('stderr-failed-starts.log').path);
    const start = await digestBytes([Buffer.from(`${lines.slice(12, 14).join('\n')}\n`)], 'postgresql-start.log');
    assert.deepEqual([start.firstStop?.gaveUp, start.firstStop?.afterCrash], [true, false]);
    assert.match(renderDigestMarkdown(start), /^Server stop: .* database system is shut down \(postgresql-start\.log:2\) \(a start given up: the FATAL before it says why\)/m);
    // The command line says the same.
    const many: ManyReport = { runs: [{ ref: { by: 'id', id: 'abc' }, report: { ...newReport('/tmp/out'), digest: wal }, error: undefined, settled: true }], artifact: undefined, outputDir: '/tmp/out' };
    assert.match(renderText({ many, color: false, width: 200, redact: (t) => t }), /^First of 3 server stops: .*shutting down due to startup process failure .*\(the recovery from the crash given up: the FATAL before it says why\); accepting connections again at 2026-11-30 20:18:53 UTC\.$/m);
  });
});

describe('server stops, built', () => {
  const log = (b: DigestBuilder, message: string, more: Partial<LogEntry> = {}): void => b.add({ severity: 'LOG', message, file: 'f', line: 1, time: new Date('2026-11-30T10:00:00Z'), ...more });

  test('a shutdown escalated (smart, then fast, then immediate) is one stop', () => {
    const b = new DigestBuilder();
    log(b, 'received smart shutdown request');
    log(b, 'received fast shutdown request');
    log(b, 'received immediate shutdown request');
    log(b, 'database system is shut down');
    assert.equal(b.finish([]).stops, 1);
  });

  test("the connections a fast stop ended, in any language the catalogs have or by SQLSTATE; the same FATAL outside a stop is not", () => {
    const fatal = (b: DigestBuilder, message: string, more: Partial<LogEntry> = {}): void => log(b, message, { severity: 'FATAL', ...more });
    const admin = translatedServerLines().find(([english]) => english === 'terminating connection due to administrator command')![1];
    assert.ok(admin.includes('Verbindung wird abgebrochen aufgrund von Anweisung des Administrators'), admin.join());
    const b = new DigestBuilder();
    fatal(b, 'terminating connection due to administrator command'); // a pg_terminate_backend before the stop
    log(b, 'received fast shutdown request');
    for (const m of admin) fatal(b, m);
    fatal(b, 'terminating connection due to administrator command', { sqlstate: '57P01' }); // csvlog, jsonlog
    // 57P01 ends workers too (csvlog, jsonlog): by the words, not the code; a code that is not 57P01 rules it out.
    fatal(b, 'terminating autovacuum process due to administrator command', { sqlstate: '57P01' });
    fatal(b, 'terminating logical replication worker due to administrator command', { sqlstate: '57P01' });
    fatal(b, 'terminating connection due to administrator command', { sqlstate: '57P05' });
    fatal(b, 'terminating connection due to idle-session timeout');
    log(b, 'database system is shut down');
    fatal(b, 'terminating connection due to administrator command'); // after it
    const d = b.finish([]);
    assert.equal(d.firstStop?.ended, admin.length + 1);
    assert.match(renderDigestMarkdown(d), new RegExp(`; it ended ${admin.length + 1} connections \\(those FATALs are the stop's, not a pg_terminate_backend\\); not seen`));
    // A smart stop ends none itself (it waits for them): a FATAL then is someone's pg_terminate_backend, counted
    // only once a fast stop is asked for on top of it.
    const smart = new DigestBuilder();
    log(smart, 'received smart shutdown request');
    fatal(smart, 'terminating connection due to administrator command');
    fatal(smart, 'terminating connection due to administrator command');
    log(smart, 'received fast shutdown request');
    fatal(smart, 'terminating connection due to administrator command');
    log(smart, 'database system is shut down');
    const ds = smart.finish([]);
    assert.deepEqual([ds.stops, ds.firstStop?.ended], [1, 1]);
    // A start given up ends none: the server never took any.
    const gaveUp = new DigestBuilder();
    log(gaveUp, 'shutting down due to startup process failure');
    fatal(gaveUp, 'terminating connection due to administrator command');
    assert.equal(gaveUp.finish([]).firstStop?.ended, 0);
  });

  test("a stop's entry goes through the secrets check, as a crash's does", () => {
    const b = new DigestBuilder();
    const detail = 'pg_dumpall --dbname=postgresql://admin:Sup3rS3cret@db/app';
    log(b, 'received fast shutdown request', { detail });
    log(b, 'server process (PID 9) was terminated by signal 9: Killed', { detail });
    const d = b.finish([]);
    const md = renderDigestMarkdown(d);
    assert.doesNotMatch(md, /Sup3rS3cret/);
    assert.equal(d.firstStop?.entry.detail, 'pg_dumpall --dbname=postgresql://admin:***@db/app');
  });
});

describe('grouping, on a real log', () => {
  test("apostrophes are not quotes (two messages stay two); UUIDs are values (one message with three is one)", async () => {
    const d = await digestFiles([incidentFile('stderr-raise-apostrophes-uuids.log')], {});
    assert.deepEqual(d.messages.map((g) => [g.key, g.count]).sort(), [
      ["can't refund payment ?: customer's address is missing", 1],
      ["can't ship order ?: customer's address is missing", 1],
      ['order ? not found', 3],
    ]);
  });
});

describe('large counts', () => {
  test('read with thousands separators in the headline, the severity table and the annotations', () => {
    const entries: LogEntry[] = [];
    for (let i = 0; i < 1234; i++) entries.push(entry('ERROR', 'deadlock detected'));
    const d = digestOf(entries);
    const md = renderDigestMarkdown(d);
    assert.match(md, /\*\*1,234 ERROR\*\*/);
    assert.match(md, /^\| ERROR \| 1,234 \|$/m);
    const [a] = annotationsFor(d);
    assert.equal(a!.title, 'PostgreSQL ERROR ×1,234: deadlock detected');
    assert.match(a!.message, /Seen 1,234 times/);
  });
});

describe('within GitHub\'s annotation limits', () => {
  const entries: LogEntry[] = [];
  const letters = 'abcdefghijklm';
  for (let i = 0; i < 13; i++) entries.push(entry('ERROR', `error kind ${letters[i]}`));
  for (let i = 0; i < 12; i++) entries.push(entry('FATAL', `fatal kind ${letters[i]}`));
  const d = digestOf(entries);

  test('at most 10 of each level; the last of a level says how many more the summary lists', () => {
    const a = annotationsFor(d, 50);
    assert.equal(a.filter((x) => x.level === 'error').length, 10);
    assert.equal(a.filter((x) => x.level === 'warning').length, 10);
    const lastError = a.filter((x) => x.level === 'error').at(-1)!;
    const lastWarning = a.at(-1)!;
    assert.match(lastError.message, /\n…and 2 more distinct FATAL\/PANIC messages in the job summary\.$/);
    assert.match(lastWarning.message, /\n…and 3 more distinct ERROR messages in the job summary\.$/);
    assert.equal(a.filter((x) => x.message.includes('…and')).length, 2);
    // Nothing is left out when everything fits.
    assert.ok(annotationsFor(digestOf(entries.slice(0, 3)), 50).every((x) => !x.message.includes('…and')));
  });

  test('the summary does list every message the annotations leave out', () => {
    const md = renderDigestMarkdown(d);
    for (const x of entries) assert.ok(md.includes(`| ${x.message} |`), x.message);
    assert.match(md, /#### Most frequent errors \(10 of 25 distinct\)/);
    assert.match(md, /<details><summary>15 more distinct errors<\/summary>/);
  });
});

describe('by kind and over time, on a real fixture', () => {
  test('a kinds table and one chart row per severity, as long as the buckets', async () => {
    const d = await digestFiles([fixture('stderr-rds-prefix.log')], {});
    const md = renderDigestMarkdown(d);
    assert.match(md, /#### By kind\n\n\| Kind \| Entries \| SQLSTATE \|/);
    assert.match(md, /\| missing object \| 5 \| — \|/);
    const t = d.timeline!;
    const buckets = t.series['ERROR']!.length;
    for (const sev of ['ERROR', 'FATAL', 'WARNING'] as const) {
      const row = new RegExp(`\\| ${sev} \\| \`([·▁▂▃▄▅▆▇█]+)\` \\| (\\d+) \\|`).exec(md);
      assert.ok(row, sev);
      assert.equal(row[1]!.length, buckets);
      assert.equal(t.series[sev]!.reduce((n, c) => n + c, 0), d.bySeverity[sev], `${sev}: every entry in a bucket`);
      assert.equal(Number(row[2]), Math.max(...t.series[sev]!));
    }
    assert.doesNotMatch(md, /\| PANIC \| `/);
  });
});

function count(s: string, what: string): number {
  return s.split(what).length - 1;
}

/** The markdown without the contents of fenced code blocks. */
function outsideFences(md: string): string {
  const out: string[] = [];
  let fence = '';
  for (const line of md.split('\n')) {
    const m = /^(`{3,})/.exec(line);
    if (fence === '') {
      if (m) fence = m[1]!;
      else out.push(line);
    } else if (m && line.trim() === fence) fence = '';
  }
  return out.join('\n');
}

function insideFence(md: string, what: string): boolean {
  return md.includes(what) && !outsideFences(md).includes(what);
}

test('cut never leaves half of a character of two UTF-16 units', () => {
  assert.equal(cut(`${'a'.repeat(8)}\u{1F600}b`, 10), `${'a'.repeat(8)}…`);
  assert.equal(cut(`${'a'.repeat(7)}\u{1F600}bc`, 10), `${'a'.repeat(7)}\u{1F600}…`);
});
