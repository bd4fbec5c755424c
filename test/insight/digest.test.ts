import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DigestBuilder, digestBytes, digestFiles, normalizeMessage, type MessageGroup } from '../../src/insight/digest.ts';
import { incompleteRead } from '../../src/insight/incomplete.ts';
import { translatedServerLines } from '../../src/insight/translations.ts';
import { OUT_OF_TIME } from '../../src/insight/incomplete.ts';
import { digestSlowFiles } from '../../src/insight/slow.ts';
import { groupExamples, groupText, renderSlowMarkdown } from '../../src/insight/render.ts';
import type { LogEntry } from '../../src/insight/entry.ts';

import { readFileSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { PRODUCTION_FIXTURE, STDERR_FIXTURES, fileLines, fixture, fixtureFile as file, grep, lineTime, tmpFiles } from '../support/pg-fixtures.ts';

const tmpFile = tmpFiles('insight-digest-');

describe('digest of the real fixtures', () => {
  test('severity counts equal grep over the stderr files', async () => {
    const names = [...STDERR_FIXTURES, PRODUCTION_FIXTURE];
    const paths = names.map((n) => fixture(n));
    const d = await digestFiles(names.map(file), {});
    for (const sev of ['ERROR', 'FATAL', 'PANIC', 'WARNING', 'LOG'] as const) {
      const expected = paths.reduce((n, p) => n + grep(p, new RegExp(`\\b${sev}:  `)).length, 0);
      assert.equal(d.bySeverity[sev] ?? 0, expected, sev);
    }
    const entries = paths.reduce((n, p) => n + grep(p, /\b(DEBUG[1-5]|INFO|NOTICE|WARNING|ERROR|LOG|FATAL|PANIC):  /).length, 0);
    assert.equal(d.entries, entries);
    assert.equal(d.untimed, 0);
    assert.equal(d.unparsedLines, 0);
    // Every ERROR+ entry is in exactly one message group.
    const errors = paths.reduce((n, p) => n + grep(p, /\b(ERROR|FATAL|PANIC):  /).length, 0);
    assert.equal(d.messages.reduce((n, g) => n + g.count, 0), errors);
    assert.equal(d.overflowMessages, 0);
  });

  test('csvlog and jsonlog counts equal grep over those files', async () => {
    const csv = fixture('csvlog.csv');
    const json = fixture('jsonlog.json');
    const d = await digestFiles([file('csvlog.csv'), file('jsonlog.json')], {});
    for (const sev of ['ERROR', 'FATAL', 'WARNING', 'LOG'] as const) {
      // csvlog: error_severity is the 12th column; the 11 before it hold no commas in these files.
      const inCsv = grep(csv, new RegExp(`^(?:"[^"]*"|[^,"]*)(?:,(?:"[^"]*"|[^,"]*)){10},${sev},`)).length;
      const inJson = grep(json, new RegExp(`"error_severity":"${sev}"`)).length;
      assert.equal(d.bySeverity[sev] ?? 0, inCsv + inJson, sev);
    }
  });

  test("a crash's line of two lines in a language (French) is read whole: the reader keeps it by its first", async () => {
    const english = 'database system was not properly shut down; automatic recovery in progress';
    const translations = translatedServerLines().find(([e]) => e === english)![1];
    assert.ok(translations.some((t) => t.includes('\n')), 'a translation of two lines');
    for (const t of [english, ...translations]) {
      // As stderr writes a message of several lines: the next ones start with a tab.
      const log = `2026-12-01 02:14:12 UTC::@:[1]:LOG:  ${t.replaceAll('\n', '\n\t')}\n2026-12-01 02:14:13 UTC::@:[2]:LOG:  checkpoint starting\n`;
      const d = await digestBytes([Buffer.from(log)], 'postgresql.log', { recent: 0 });
      assert.equal(d.crashes, 1, t);
    }
  });

  test('a missing role is told from a wrong password by the DETAIL, in every format and language of the real logs', async () => {
    for (const name of ['stderr-rds-prefix.log', 'stderr-epoch-verbose.log', 'csvlog.csv', 'jsonlog.json', 'stderr-de.log', 'stderr-fr.log']) {
      const d = await digestFiles([file(name)], {});
      const fatal = (g: MessageGroup): boolean => g.severity === 'FATAL' && g.kind === 'authentication';
      const groups = d.messages.filter(fatal).map((g) => [g.count, g.reason === undefined ? '' : groupText(g).slice(groupText(g).indexOf('; DETAIL: '))]);
      // Three wrong passwords for app (SCRAM says no more), one role that does not exist, in the server's words.
      assert.deepEqual(groups.map(([n]) => n), [3, 1], name);
      assert.equal(groups[0]![1], '', name);
      assert.match(String(groups[1]![1]), /^; DETAIL: (Role "deployer" does not exist\.|Rolle »deployer« existiert nicht\.|Le rôle « deployer » n'existe pas\.)/, name);
    }
  });

  test("a reason's values vary as a message's do: one group, the reason folded; what it hides stays hidden", () => {
    const b = new DigestBuilder({});
    const fatal = (user: string, detail: string, sqlstate?: string): void => b.add({ severity: 'FATAL', message: `password authentication failed for user "${user}"`, detail, sqlstate, file: 'f', line: 1 });
    fatal('ghost', 'Role "ghost" does not exist.\nConnection matched pg_hba.conf line 2: "host all all 0.0.0.0/0 md5"');
    fatal('phantom', 'Role "phantom" does not exist.');
    fatal('app', 'User "app" has an expired password.', '28P01');
    // Two of one hostile reason that differ: shown folded, so the fold is what must hide the secret.
    fatal('app', 'User "app" has password=Sup3rS3cret', '28P01');
    fatal('api', 'User "api" has password=Sup3rS3cret', '28P01');
    fatal('app', 'Role "app" does not exist.', '28000'); // another code: not a password failure, no reason
    const d = b.finish([]);
    const texts = d.messages.map(groupText).sort();
    assert.deepEqual(texts.map((t) => t.replace(/Sup3rS3cret/, 'LEAK')), [
      'password authentication failed for user "?"; DETAIL: Role "?" does not exist.',
      'password authentication failed for user "?"; DETAIL: User "?" has password=***',
      'password authentication failed for user "app"',
      'password authentication failed for user "app"; DETAIL: User "app" has an expired password.',
    ]);
    assert.ok(texts.every((t) => !t.includes('Sup3rS3cret')));
  });

  test('messages are normalised, ranked by count, with first/last seen and an example with its statement', async () => {
    const path = fixture('stderr-debian-prefix.log');
    const d = await digestFiles([file('stderr-debian-prefix.log')], {});
    const byKey = new Map(d.messages.map((g) => [`${g.severity} ${g.key}`, g]));

    // A wrong password (app, three times) and a role that does not exist (deployer): one message, which only the
    // DETAIL tells apart (`Role "deployer" does not exist.`); two groups.
    const pwLines = grep(path, /FATAL:  password authentication failed for user "/);
    const [pw, noRole, ...more] = d.messages.filter((g) => g.key === 'password authentication failed for user "?"');
    assert.ok(pw && noRole && more.length === 0);
    assert.deepEqual([pw.count, pw.uniform, pw.reason, pw.example.message], [pwLines.length - 1, true, undefined, 'password authentication failed for user "app"']);
    assert.deepEqual([noRole.count, noRole.reason, noRole.example.message], [1, { key: 'Role "?" does not exist.', same: true }, 'password authentication failed for user "deployer"']);
    const appLines = pwLines.filter((l) => l.endsWith('"app"'));
    assert.equal(pw.firstSeen?.getTime(), lineTime(appLines[0]!));
    assert.equal(pw.lastSeen?.getTime(), lineTime(appLines.at(-1)!));

    const rel = byKey.get('ERROR relation "?" does not exist');
    assert.ok(rel);
    assert.equal(rel.count, grep(path, /ERROR:  relation "[^"]+" does not exist/).length);
    assert.equal(rel.example.statement, 'SELECT count(*) FROM orders');

    const dup = byKey.get('ERROR duplicate key value violates unique constraint "?"');
    assert.ok(dup);
    assert.equal(dup.count, grep(path, /ERROR:  duplicate key value violates unique constraint/).length);
    assert.equal(dup.uniform, true);
    assert.equal(dup.example.detail, 'Key (email)=(alice@example.com) already exists.');

    assert.ok(byKey.has('ERROR syntax error at or near "?"'));
    assert.ok(byKey.has('ERROR migration ? failed: ? rows invalid'));
    assert.ok(byKey.has('FATAL terminating connection due to administrator command'));
    for (let i = 1; i < d.messages.length; i++) assert.ok(d.messages[i - 1]!.count >= d.messages[i]!.count, 'ranked by count');
  });

  test('firstError, recent ring and per-file facts come from the file', async () => {
    for (const name of STDERR_FIXTURES) {
      const path = fixture(name);
      const lines = fileLines(path);
      const d = await digestFiles([file(name)], { recent: 5 });
      const firstErr = lines.findIndex((l) => /\b(ERROR|FATAL|PANIC):  /.test(l));
      assert.equal(d.firstError?.line, firstErr + 1, `${name} firstError`);
      assert.match(d.firstError!.message, /^syntax error at or near ";"/);
      const warnPlus = lines.map((l, i) => [l, i + 1] as const).filter(([l]) => /\b(WARNING|ERROR|FATAL|PANIC):  /.test(l)).map(([, n]) => n);
      assert.deepEqual(d.recent.map((e) => e.line), warnPlus.slice(-5), `${name} recent`);
      assert.ok(d.recent.some((e) => e.statement !== undefined || e.detail !== undefined));
      const f = d.files[0]!;
      assert.equal(f.size, statSync(path).size);
      assert.equal(f.bytes, f.size);
      assert.equal(f.lines, lines.length);
      assert.equal(f.entries, d.entries);
      assert.equal(f.inWindow, d.entries);
      assert.equal(f.unparsedLines, 0);
      const times = lines.filter((l) => l[0] !== '\t').map(lineTime).filter((t) => t !== undefined);
      assert.equal(f.firstTime?.getTime(), Math.min(...times));
      assert.equal(f.lastTime?.getTime(), Math.max(...times));
    }
  });

  test('the window: entries before `since` are not counted', async () => {
    const path = fixture('stderr-debian-prefix.log');
    const deadlock = grep(path, /ERROR:  deadlock detected/)[0]!;
    const since = new Date(lineTime(deadlock)!);
    const all = await digestFiles([file('stderr-debian-prefix.log')], {});
    const d = await digestFiles([file('stderr-debian-prefix.log')], { since });
    const starts = grep(path, /\b(WARNING|ERROR|LOG|FATAL|PANIC):  /);
    const inWindow = starts.filter((l) => lineTime(l)! >= since.getTime());
    assert.equal(d.entries, inWindow.length);
    assert.equal(d.beforeWindow, all.entries - d.entries);
    for (const sev of ['ERROR', 'FATAL', 'LOG'] as const) {
      assert.equal(d.bySeverity[sev] ?? 0, inWindow.filter((l) => l.includes(` ${sev}:  `)).length, sev);
    }
    assert.equal(d.firstError?.message, 'deadlock detected');
    assert.deepEqual(d.messages.map((g) => g.key).sort(), ['deadlock detected', 'terminating connection due to administrator command']);
    assert.equal(d.since, since);
    assert.equal(d.files[0]!.inWindow, d.entries);
    assert.equal(d.files[0]!.entries, all.entries);
  });
});

describe('digest on synthetic logs', () => {
  test('untimed entries are counted apart with a window, and counted in without one', async () => {
    const path = tmpFile('untimed.log', [
      '2024-05-01 10:00:00 UTC [1] ERROR:  early',
      '2024-05-01 12:00:00 UTC [1] ERROR:  late',
      '[2] ERROR:  no time here',
      '[2] FATAL:  nor here',
      '2024-05-01 12:00:01 CST [3] ERROR:  a zone we cannot place',
    ].join('\n') + '\n');
    const since = new Date('2024-05-01T11:00:00Z');
    const d = await digestFiles([file(path)], { since });
    assert.equal(d.entries, 1);
    assert.deepEqual(d.bySeverity, { ERROR: 1 });
    assert.equal(d.untimed, 3);
    assert.deepEqual(d.untimedBySeverity, { ERROR: 2, FATAL: 1 });
    assert.equal(d.beforeWindow, 1);
    assert.deepEqual(d.messages.map((g) => g.example.message), ['late']);
    assert.equal(d.files[0]!.untimed, 3);
    assert.deepEqual(d.files[0]!.unknownZones, ['CST']);

    const all = await digestFiles([file(path)], {});
    assert.equal(all.entries, 5);
    assert.equal(all.untimed, 3);
    assert.deepEqual(all.bySeverity, { ERROR: 4, FATAL: 1 });
    assert.equal(all.firstError?.message, 'early', 'a timed error wins over untimed ones');
  });

  test('unparsed lines show up in the digest and its file', async () => {
    const path = tmpFile('junk.log', '2024-05-01 10:00:00 UTC [1] ERROR:  x\nrandom noise\nmore noise\n');
    const d = await digestFiles([file(path)], {});
    assert.equal(d.unparsedLines, 2);
    assert.equal(d.files[0]!.unparsedLines, 2);
    assert.deepEqual(d.files[0]!.unparsedSamples.map((s) => s.text), ['random noise', 'more noise']);
  });

  test('a file that cannot be read is reported; the others still count', async () => {
    const d = await digestFiles([{ name: 'gone.log', path: fixture('no-such-file.log'), size: 10 }, file('stderr-rds-prefix.log')], {});
    assert.match(d.files[0]!.error ?? '', /ENOENT/);
    assert.equal(d.files[1]!.error, undefined);
    assert.ok((d.bySeverity.ERROR ?? 0) > 0);
  });

  test('firstError is the earliest by time, whatever the file order', async () => {
    const a = tmpFile('a.log', '2024-05-01 12:00:00 UTC [1] ERROR:  later\n');
    const b = tmpFile('b.log', '2024-05-01 10:00:00 UTC [1] FATAL:  earlier\n');
    const d = await digestFiles([file(a), file(b)], {});
    assert.equal(d.firstError?.message, 'earlier');
    assert.equal(d.firstError?.file, 'b.log');
  });

  test('ring and group caps bound memory', () => {
    const b = new DigestBuilder({ recent: 3, maxGroups: 5 });
    const entry = (i: number, sev: LogEntry['severity']): LogEntry => ({
      severity: sev, message: `error kind ${'abcdefghijklmnopqrstuvwxyz'[i % 26]}${'xyz'[i % 3]} ${i}`, time: new Date(Date.UTC(2024, 0, 1, 0, 0, i)), file: 'f', line: i + 1,
    });
    for (let i = 0; i < 30; i++) b.add(entry(i, i % 2 === 0 ? 'ERROR' : 'LOG'));
    const d = b.finish([]);
    assert.equal(d.messages.length, 5);
    assert.equal(d.overflowMessages, 15 - 5);
    assert.deepEqual(d.recent.map((e) => e.line), [25, 27, 29], 'only the last 3 of the recent severities, oldest first');
    assert.equal(d.entries, 30);
    assert.deepEqual(d.bySeverity, { ERROR: 15, LOG: 15 });
  });
});

describe('normalizeMessage', () => {
  const cases: Array<[string, string]> = [
    ['relation "users" does not exist', 'relation "?" does not exist'],
    ['relation "users" does not exist at character 15', 'relation "?" does not exist'],
    ['duplicate key value violates unique constraint "users_email_key"', 'duplicate key value violates unique constraint "?"'],
    ['password authentication failed for user "app"', 'password authentication failed for user "?"'],
    ["invalid input syntax for type integer: 'a''b'", "invalid input syntax for type integer: '?'"],
    ['column "a""b" does not exist', 'column "?" does not exist'],
    ['value too long for type character varying(50)', 'value too long for type character varying(?)'],
    ['could not extend file "base/16384/2619": wrote only 4096 of 8192 bytes at block 12', 'could not extend file "?": wrote only ? of ? bytes at block ?'],
    ['canceling statement due to statement timeout', 'canceling statement due to statement timeout'],
    ['table users_2024 has  -3.5   rows', 'table users_2024 has ? rows'],
  ];
  for (const [input, want] of cases) test(input, () => assert.equal(normalizeMessage(input), want));

  test('long messages are cut before folding (bounded work)', () => {
    assert.ok(normalizeMessage('x'.repeat(100_000)).length <= 500);
    // An unterminated quote does not swallow or blow up.
    assert.equal(normalizeMessage('bad "quote 1'), 'bad "quote ?');
  });
});

describe('groups show what their occurrences share', () => {
  const at = (i: number): Date => new Date(Date.UTC(2024, 4, 1, 10, 0, i));
  const groupOf = (messages: string[]): MessageGroup => {
    const b = new DigestBuilder();
    messages.forEach((message, i) => b.add({ severity: 'ERROR', message, time: at(i), file: 'f', line: i + 1 }));
    const d = b.finish([]);
    assert.equal(d.messages.length, 1);
    return d.messages[0]!;
  };

  test('the same table at different character positions: shown literally', () => {
    const g = groupOf(['relation "users" does not exist at character 23', 'relation "users" does not exist at character 22', 'relation "users" does not exist']);
    assert.equal(g.uniform, true);
    assert.equal(groupText(g), 'relation "users" does not exist');
    assert.equal(groupExamples(g), '');
  });

  test('only what varies is folded, with its values as examples', () => {
    const g = groupOf([
      'null value in column "email" of relation "users" violates not-null constraint',
      'null value in column "name" of relation "users" violates not-null constraint',
      'null value in column "email" of relation "users" violates not-null constraint',
    ]);
    assert.equal(g.uniform, false);
    assert.equal(groupText(g), 'null value in column "?" of relation "users" violates not-null constraint');
    assert.equal(groupExamples(g), '"email", "name"');
  });

  test('at most three examples a place, then …; each varying place has its list', () => {
    const g = groupOf(['e', 'd', 'c', 'b', 'a'].map((t, i) => `relation "${t}" has ${i % 2} rows in "s"`));
    assert.equal(groupText(g), 'relation "?" has ? rows in "s"');
    assert.equal(groupExamples(g), '"c", "d", "e", …; 0, 1');
  });

  test('three values, each seen many times, are all shown, with no … after them', () => {
    const g = groupOf(['a', 'b', 'c', 'a', 'b', 'c', 'c'].map((t) => `relation "${t}" does not exist`));
    assert.equal(groupExamples(g), '"a", "b", "c"');
  });

  test('the three stderr fixtures: relation "?" with the tables grep finds', async () => {
    const d = await digestFiles(STDERR_FIXTURES.map(file), {});
    const g = d.messages.find((m) => m.key === 'relation "?" does not exist')!;
    const tables = new Set(STDERR_FIXTURES.flatMap((n) => grep(fixture(n), /ERROR:  relation "[^"]+" does not exist/))
      .map((l) => /relation ("[^"]+")/.exec(l)![1]!));
    assert.equal(tables.size, 3);
    assert.equal(groupExamples(g), [...tables].sort().join(', '));
    assert.equal(groupExamples(g), '"audit_log", "invoices", "orders"');
    // One table, named the same each time: literal, though its ` at character N` is logged too.
    const col = d.messages.find((m) => m.key === 'column "?" does not exist')!;
    assert.ok(STDERR_FIXTURES.some((n) => grep(fixture(n), /column "nam" does not exist at character \d+$/).length > 0));
    assert.equal(groupText(col), 'column "nam" does not exist');
  });
});

describe('digestBytes: a log from memory', () => {
  test('in any pieces, the same digest as the file read from disk', async () => {
    for (const name of [...STDERR_FIXTURES, PRODUCTION_FIXTURE]) {
      const bytes = readFileSync(fixture(name));
      const onDisk = await digestFiles([file(name)], { since: new Date(lineTime(fileLines(fixture(name))[40]!)!) });
      const pieces = [bytes.subarray(0, 1000), bytes.subarray(1000, 1001), bytes.subarray(1001)];
      const inMemory = await digestBytes(pieces, name, { since: onDisk.since });
      assert.deepEqual({ ...inMemory, files: [] }, { ...onDisk, files: [] }, name);
      assert.equal(inMemory.files[0]!.bytes, bytes.length);
      assert.equal(inMemory.files[0]!.lines, onDisk.files[0]!.lines);
    }
  });

  test('LOG lines of a crash are still seen when the reader only counts LOG lines', async () => {
    const t = '2024-05-01 10:00:00 UTC [1] ';
    const log = [`${t}LOG:  checkpoint starting: time`, `${t}LOG:  server process (PID 4242) was terminated by signal 9: Killed`,
      `${t}LOG:  database system was interrupted; last known up at 2024-05-01 09:59:00 UTC`, `${t}LOG:  checkpoint complete`].join('\n');
    const d = await digestBytes([Buffer.from(log)], 'crash.log', { recent: 0 });
    assert.equal(d.bySeverity.LOG, 4);
    // One crash: the death, then the recovery it caused.
    assert.deepEqual([d.crashes, d.firstCrash?.message], [1, 'server process (PID 4242) was terminated by signal 9: Killed']);
    assert.deepEqual(d.kinds, [{ kind: 'server restart or crash', count: 1, sqlstates: [] }]);
  });

  test("a real server's two crashes count as two, however many lines each wrote; what the killed process ran is kept", async () => {
    const name = 'stderr-crashes.log';
    // Run F of make-pg-fixtures.sh: a backend killed with signal 9 (a death, then its recovery's two lines), then the
    // whole server killed and started again (the recovery's two lines, no death): five lines a line count would count.
    const deaths = grep(fixture(name), /:LOG: {2}server process \(PID \d+\) was terminated by signal 9: Killed$/);
    const recoveries = grep(fixture(name), /:LOG: {2}database system was (interrupted;|not properly shut down;)/);
    assert.deepEqual([deaths.length, recoveries.length], [1, 4]);
    const refused = grep(fixture(name), /:FATAL: {2}the database system is (in recovery mode|not yet accepting connections)$/).length;
    assert.ok(refused > 0, 'connections were refused during the recovery');
    const d = await digestFiles([file(name)], {});
    assert.equal(d.crashes, 2);
    assert.equal(d.firstCrash?.message, deaths[0]!.slice(deaths[0]!.indexOf('LOG:  ') + 6));
    assert.match(d.firstCrash?.detail ?? '', /^Failed process was running: INSERT INTO orders SELECT g, repeat\('x', 200\) FROM generate_series/);
    assert.match(d.lastCrash?.message ?? '', /^database system was interrupted; last known up at /);
    assert.ok(d.lastCrash!.line > d.firstCrash!.line);
    // The kinds table: the crashes and the connections refused meanwhile.
    assert.deepEqual(d.kinds.find((k) => k.kind === 'server restart or crash')?.count, 2 + refused);
  });

  test('the same crashes and stop written in German and French count as in English: by the words the server wrote them in', async () => {
    // Runs f-de and f-fr of make-pg-fixtures.sh: run F with lc_messages German and French. Nothing in them is English
    // but the severity word LOG and the values.
    const english = await digestFiles([file('stderr-crashes.log')], {});
    const shape = (d: typeof english): unknown => ({ crashes: d.crashes, stops: d.stops, startsGivenUp: d.startsGivenUp, kinds: d.kinds,
      firstCrash: d.firstCrash?.line, lastCrash: d.lastCrash?.line, firstStop: d.firstStop?.entry.line, upAgain: d.firstStop?.upAgain === undefined });
    assert.deepEqual([english.crashes, english.stops, english.startsGivenUp, english.kinds.length], [2, 1, 0, 1]);
    for (const [name, death, restart, stop, failed] of [
      ['stderr-crashes-de.log', /LOG: {2}Serverprozess \(PID \d+\) wurde von Signal 9 beendet: /, /LOG: {2}Datenbanksystem wurde unterbrochen; /,
        /LOG: {2}schnelles Herunterfahren verlangt$/, /^Der fehlgeschlagene Prozess führte aus: INSERT INTO orders /],
      // French gives `database system was interrupted; last known up at %s` the words of another message (`database
      // system shutdown was interrupted; ...`): it is not read, and the recovery's next line, of two lines, counts.
      ['stderr-crashes-fr.log', /LOG: {2}processus serveur \(PID \d+\) a été arrêté par le signal 9 : /, /LOG: {2}le système de bases de données n'a pas été arrêté proprement ; restauration$/,
        /LOG: {2}a reçu une demande d'arrêt rapide$/, /^Le processus qui a échoué exécutait : INSERT INTO orders /],
    ] as const) {
      const lines = fileLines(fixture(name));
      const at = (re: RegExp): number => lines.findIndex((l) => re.test(l)) + 1;
      const d = await digestFiles([file(name)], {});
      // Where in this file: its death line, the last start of a recovery (the whole server killed), its fast stop.
      assert.deepEqual(shape(d), { ...(shape(english) as object), firstCrash: at(death), lastCrash: lines.findLastIndex((l) => restart.test(l)) + 1,
        firstStop: at(stop) }, name);
      assert.ok(at(death) > 0 && at(stop) > 0, name);
      // Shown as the server wrote it.
      assert.equal(d.firstCrash?.message, lines[at(death) - 1]!.slice(lines[at(death) - 1]!.indexOf('LOG:  ') + 6), name);
      assert.match(d.firstCrash?.detail ?? '', failed, name);
    }
  });
});

test('the last error: the latest by time in any file order, the later read on a tie, untimed only when none has a time', async () => {
  const at = (s: number): Date => new Date(Date.UTC(2026, 10, 28, 8, 0, s));
  const e = (severity: LogEntry['severity'], message: string, line: number, time?: Date): LogEntry => ({ severity, message, line, file: 'f.log', ...(time ? { time } : {}) });
  const last = (entries: LogEntry[]): string | undefined => {
    const b = new DigestBuilder({});
    for (const x of entries) b.add(x);
    b.settle();
    return b.finish([]).lastError?.message;
  };
  assert.equal(last([e('ERROR', 'late', 1, at(30)), e('FATAL', 'early', 2, at(10)), e('WARNING', 'not an error', 3, at(40))]), 'late');
  assert.equal(last([e('ERROR', 'one', 1, at(10)), e('PANIC', 'two', 2, at(10))]), 'two');
  assert.equal(last([e('ERROR', 'timed', 1, at(10)), e('ERROR', 'untimed', 2)]), 'timed');
  assert.equal(last([e('ERROR', 'a', 1), e('FATAL', 'b', 2)]), 'b');
  assert.equal(last([e('LOG', 'fine', 1, at(5))]), undefined);
  // On a real log: the last ERROR/FATAL/PANIC line grep finds (the fixture is in time order).
  const d = await digestFiles([file('stderr-rds-prefix.log')], {});
  const lines = grep(fixture('stderr-rds-prefix.log'), /:(ERROR|FATAL|PANIC): {2}/);
  assert.equal(`${d.lastError?.severity}:  ${d.lastError?.message}`, /:((ERROR|FATAL|PANIC): {2}.*)$/.exec(lines.at(-1)!)![1]);
});

test("the reading stops when its budget (the step's 'timeout') is spent: what was read counts, the rest is said to be unread", async () => {
  const f = file(PRODUCTION_FIXTURE);
  const whole = await digestFiles([f], { budgetMs: 60_000 });
  assert.equal(whole.files[0]!.stopped, undefined);
  assert.equal(incompleteRead(whole), undefined);
  assert.ok(whole.entries > 0);

  const none = await digestFiles([f, f], { budgetMs: 0 });
  assert.deepEqual(none.files.map((x) => x.stopped), [OUT_OF_TIME, OUT_OF_TIME]);
  assert.equal(none.entries, 0);
  assert.match(incompleteRead(none) ?? '', /was not read to the end \(the step's 'timeout' came first\)/);
  const slow = await digestSlowFiles([f], { budgetMs: 0 });
  assert.equal(slow.files[0]!.stopped, OUT_OF_TIME);
});

test('a slow-query log not read to its end says so where its figures are shown', async () => {
  const slow = await digestSlowFiles([file(PRODUCTION_FIXTURE)], { budgetMs: 0 });
  const md = renderSlowMarkdown(slow);
  assert.match(md, /\*\*Not all of the slow-query logs could be read\*\*: '.*' was not read to the end \(the step's 'timeout' came first\)/);
  assert.match(md, /No statements with a duration were read in 1 file\./);
});

test('a csvlog record may quote log lines; an unbalanced quote that misaligns the records after it is a misread', async () => {
  const rec = (i: number, msg: string, stmt: string): string =>
    `2026-11-28 10:00:${String(i % 60).padStart(2, '0')}.123 UTC,"app","shop",4242,"10.0.0.1:5432",6565f00d.1092,${i},"SELECT",2026-11-28 09:00:00 UTC,3/${i},0,ERROR,42P01,"${msg}",,,,,,"${stmt.replace(/"/g, '""')}",15,,"psql","client backend",,0\n`;
  const base = (n: number): string => Array.from({ length: n }, (_, i) => rec(i, `relation t${i} does not exist`, 'select *\nfrom t')).join('');
  // A statement that carries two csvlog lines as data: well-formed, and read as such.
  const quoting = base(50) + rec(50, 'x', `insert into audit values ('\n${rec(1, 'a', '').trim()}\n${rec(2, 'b', '').trim()}\n')`) + base(50);
  const read = await digestBytes([Buffer.from(quoting)], 'postgresql-2026-11-28_100000.csv');
  assert.equal(incompleteRead(read), undefined);
  assert.equal(read.bySeverity.ERROR, 101);
  // Quoted log text as the last line of a field: the record's own closing quote and fields follow on that line.
  const atEnd = base(20) + rec(20, 'x', `insert into audit values ('\n${rec(1, 'a', '').trim()}')`).repeat(2) + base(20);
  assert.equal(incompleteRead(await digestBytes([Buffer.from(atEnd)], 'postgresql-2026-11-28_100000.csv')), undefined);
  // A record cut inside a quoted field: each record after it is read misaligned, taking in the next one's start.
  const broken = base(10) + rec(10, 'cut', '').slice(0, 60) + '\n' + base(300);
  assert.match(incompleteRead(await digestBytes([Buffer.from(broken)], 'postgresql-2026-11-28_100000.csv')) ?? '', /an unbalanced quote in the record from line \d+ took \d+ records after it into one field/);
  // Closed again by a later record's opening quote (its statement spans two lines): still a misread, blamed on the cut.
  const cutInMessage = ((r: string): string => r.slice(0, r.indexOf(',"cut') + 3))(rec(10, 'cut', ''));
  const closed = base(10) + cutInMessage + '\n' + Array.from({ length: 300 }, (_, i) => rec(i, 'x', 'one line')).join('') + rec(400, 'y', 'select *\nfrom t');
  assert.match(incompleteRead(await digestBytes([Buffer.from(closed)], 'postgresql-2026-11-28_100000.csv')) ?? '', /the record from line 21 took 30\d records after it/);
  // One line of NUL bytes, or of HTML, is no log; one short line that starts as one is a file just rotated.
  assert.match(incompleteRead(await digestBytes([Buffer.alloc(5000)], 'postgresql-2026-11-28_100000.log')) ?? '', /none of its lines is a PostgreSQL log line/);
  assert.match(incompleteRead(await digestBytes([Buffer.from('<html><body>Service Unavailable</body></html>\n')], 'postgresql-2026-11-28_100000.log')) ?? '', /none of its lines/);
  assert.equal(incompleteRead(await digestBytes([Buffer.from('2026-11-28 10:00:00.123 UTC [42')], 'postgresql-2026-11-28_100000.log')), undefined);
  assert.equal(incompleteRead(await digestBytes([Buffer.from('< 2026-11-28 10:00:00.123 UTC > [42')], 'postgresql-2026-11-28_100000.log')), undefined);
  for (const body of ['{"error":"NoSuchKey"}', '<Error><Code>NoSuchKey</Code></Error>', 'Forbidden']) {
    assert.match(incompleteRead(await digestBytes([Buffer.from(body)], 'postgresql-2026-11-28_100000.log')) ?? '', /none of its lines/, body);
  }
});

test('background records cut and swallowed are caught even when their messages start with a quoted name; status lines are no log', async () => {
  // An autovacuum worker's record: no user or database, a message that starts with a quoted relation name.
  const bg = (i: number): string => `2026-11-28 10:00:${String(i % 60).padStart(2, '0')}.123 UTC,,,4243,,6565f00d.10,${i},,2026-11-28 09:00:00 UTC,5/0,0,LOG,00000,"""public.t${i}"": index scans: 0",,,,,,,,,"","autovacuum worker",,0\n`;
  const cut = ((r: string): string => r.slice(0, r.indexOf(',"""') + 6))(bg(3));
  const text = [0, 1, 2].map(bg).join('') + cut + '\n' + Array.from({ length: 30 }, (_, i) => bg(i + 4)).join('');
  assert.match(incompleteRead(await digestBytes([Buffer.from(text)], 'postgresql-2026-11-28_100000.csv')) ?? '', /the record from line 4 took 30 records after it/);
  for (const body of ['403 Forbidden', '404 page not found', '{"timestamp":"2026-11-28T10:00:00.000+00:00","status":403,"error":"Forbidden"}']) {
    assert.match(incompleteRead(await digestBytes([Buffer.from(body)], 'postgresql-2026-11-28_100000.log')) ?? '', /none of its lines/, body);
  }
  assert.equal(incompleteRead(await digestBytes([Buffer.from('{"timestamp":"2026-11-28 10:00:00.123 UTC","user":"a')], 'postgresql-2026-11-28_100000.json')), undefined);
});

test("a zone of hours only before RDS's ':' and the client's address: the address is not read as the zone's minutes", async () => {
  const log = [
    '2024-05-01 10:00:00 -03:10.0.0.5(5432):app@app:[123]:ERROR:  boom',
    '2024-05-01 10:00:01 -03:[local]:app@app:[124]:ERROR:  boom2',
    '2024-05-01 10:00:02 +04:192.168.0.1(5432):app@app:[125]:LOG:  x',
    '2024-05-01 10:00:03 +05:30:10.0.0.5(5432):app@app:[126]:ERROR:  half an hour east',
    '2024-05-01 10:00:04 -03:10-244-1-5.ns.pod.cluster.local(5432):app@app:[127]:ERROR:  a host name',
    '2024-05-01 10:00:05 -03:45app@db:[128]:ERROR:  a user name',
  ].join('\n') + '\n';
  const d = await digestBytes([Buffer.from(log)], 'zones.log', { recent: 10 });
  const times = d.recent.map((e) => [e.message, e.time?.toISOString()]);
  assert.deepEqual(times, [
    ['boom', '2024-05-01T13:00:00.000Z'],
    ['boom2', '2024-05-01T13:00:01.000Z'],
    ['half an hour east', '2024-05-01T04:30:03.000Z'],
    ['a host name', '2024-05-01T13:00:04.000Z'],
    ['a user name', '2024-05-01T13:00:05.000Z'],
  ]);
  // The LOG line (10:00:02 +04 is 06:00:02Z) sits between the +05:30 line and the -03 ones.
  assert.deepEqual([d.files[0]?.firstTime?.toISOString(), d.files[0]?.lastTime?.toISOString()], ['2024-05-01T04:30:03.000Z', '2024-05-01T13:00:05.000Z']);
  assert.equal(d.entries, 6);
});

test('a message that starts with five capitals and a colon is no SQLSTATE unless its class is one (ERROR:, USER1: are words)', async () => {
  const t = '2024-05-01 10:00:00 UTC [1] app@shop ';
  const log = [`${t}ERROR:  ERROR: payment 42 failed`, `${t}ERROR:  USER1: not allowed`, `${t}ERROR:  42P01: relation "x" does not exist`].join('\n') + '\n';
  const d = await digestBytes([Buffer.from(log)], 'words.log', { recent: 10 });
  assert.deepEqual(d.recent.map((e) => [e.message, e.sqlstate]), [
    ['ERROR: payment 42 failed', undefined],
    ['USER1: not allowed', undefined],
    ['relation "x" does not exist', '42P01'],
  ]);
});

test('a log line after a run of NUL bytes (what a crash or a power loss leaves) is read, in one piece or several', async () => {
  const t = '2024-05-01 10:00:00 UTC [1] ';
  const log = Buffer.concat([
    Buffer.from(`${t}LOG:  checkpoint starting: time\n`.repeat(3)),
    Buffer.alloc(5000, 0),
    Buffer.from(`${t}LOG:  database system was interrupted; last known up at 2024-05-01 09:59:00 UTC\n`),
    Buffer.alloc(60_000, 0), // up to the longest line read (64 KiB); a longer run is a cut line
    Buffer.from(`${t}FATAL:  the database system is in recovery mode\n${t}LOG:  checkpoint complete\n`),
  ]);
  for (const pieces of [[log], [log.subarray(0, 4000), log.subarray(4000, 40_000), log.subarray(40_000)]]) {
    const d = await digestBytes(pieces, 'crash.log', { recent: 10 });
    assert.equal(d.bySeverity.FATAL, 1);
    assert.equal(d.bySeverity.LOG, 5);
    assert.deepEqual(d.recent.map((e) => e.message), ['the database system is in recovery mode']);
  }
});

test('an archive (zip, tar, tar.gz, xz, bzip2, zstd, made by the real tools) is named as one and not read as a log; the counts are unknown', async () => {
  const log = tmpFile('postgresql.log', readFileSync(fixture('stderr-rds-prefix.log')));
  const dir = dirname(log);
  const tools: Array<[string, string, string[]]> = [
    ['zip', 'logs.zip', ['zip', '-q', 'logs.zip', 'postgresql.log']],
    ['tar', 'logs.tar', ['tar', '-cf', 'logs.tar', 'postgresql.log']],
    ['tar', 'logs.tar.gz', ['tar', '-czf', 'logs.tar.gz', 'postgresql.log']],
    ['xz', 'postgresql.log.xz', ['xz', '-k', 'postgresql.log']],
    ['bzip2', 'postgresql.log.bz2', ['bzip2', '-k', 'postgresql.log']],
    ['zstd', 'postgresql.log.zst', ['zstd', '-q', 'postgresql.log']],
  ];
  // Each tool the machine has (tar always: Debian's essential packages); the others are checked where present.
  const made = tools.filter(([tool]) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0);
  assert.ok(made.some(([tool]) => tool === 'tar'), 'tar is there');
  for (const [kind, name, argv] of made) {
    const r = spawnSync(argv[0]!, argv.slice(1), { cwd: dir });
    assert.equal(r.status, 0, String(r.stderr));
    const d = await digestFiles([file(join(dir, name))], {});
    const f = d.files[0]!;
    assert.match(f.misread ?? '', new RegExp(`^it is a ${kind} archive${name.endsWith('.gz') ? ' \\(gzipped\\)' : ''}, not a log: the logs may be inside it`), name);
    assert.match(incompleteRead(d) ?? '', /could not be read as a log/, name);
    assert.equal(f.lines, 0, `${name}: nothing read as lines`);
  }
  // The log itself is no archive.
  const plain = await digestFiles([file(log)], {});
  assert.equal(plain.files[0]!.misread, undefined);
  assert.ok(plain.entries > 0);
});

test('the recent entries are the latest by time across files, whatever order their names give them', async () => {
  const late = Buffer.from('2026-11-30 18:00:01 UTC [1] ERROR:  late one\n2026-11-30 18:00:02 UTC [1] ERROR:  late two\n');
  const early = Buffer.from('2026-11-30 01:00:01 UTC [2] ERROR:  early one\n2026-11-30 01:00:02 UTC [2] ERROR:  early two\n2026-11-30 01:00:03 UTC [2] WARNING:  early three\n');
  // Read in name order: the later log first.
  const files = [file(tmpFile('recent-a.log', late)), file(tmpFile('recent-b.log', early))];
  const d = await digestFiles(files, { recent: 3 });
  assert.deepEqual(d.recent.map((e) => e.message), ['early three', 'late one', 'late two']);
  // In one file, as read.
  const one = await digestFiles([files[1]!], { recent: 2 });
  assert.deepEqual(one.recent.map((e) => e.message), ['early two', 'early three']);
});

test('the first error is the earliest by time: a timed one read after an untimed one takes its place', () => {
  const b = new DigestBuilder({});
  b.add({ severity: 'ERROR', message: 'no time', file: 'f.log', line: 1 });
  b.add({ severity: 'ERROR', message: 'at noon', file: 'f.log', line: 2, time: new Date('2026-11-28T12:00:00Z') });
  const d = b.finish([]);
  assert.equal(d.firstError?.message, 'at noon');
});
