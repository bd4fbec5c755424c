import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { newStats } from '../../src/insight/entry.ts';
import type { LogEntry, ReaderStats } from '../../src/insight/entry.ts';
import { readEntries, readBatches, freeOnceRead, detectLineFormat } from '../../src/insight/read.ts';
import type { Severity } from '../../src/insight/entry.ts';
import { parsePrefix } from '../../src/insight/formats/stderr.ts';
import { parseCsvRecord } from '../../src/insight/formats/csvlog.ts';

import { PRODUCTION_FIXTURE, STDERR_FIXTURES, fileLines, fixture, grep, lineTime, tmpFiles } from '../support/pg-fixtures.ts';
import { keptBy, ownCopy, readCounting, sorted, strip, tally } from '../support/read-two-ways.ts';

async function readAll(path: string, opts: Parameters<typeof readEntries>[1] = {}): Promise<{ entries: LogEntry[]; stats: ReaderStats }> {
  const stats = newStats(path, opts.name);
  const entries: LogEntry[] = [];
  for await (const e of readEntries(path, { ...opts, stats })) entries.push(e);
  return { entries, stats };
}

const count = (entries: LogEntry[], ...sev: string[]): number => entries.filter((e) => sev.includes(e.severity)).length;

const tmpFile = tmpFiles('insight-reader-');

describe('real fixtures: counts agree with grep over the files', () => {
  for (const name of [...STDERR_FIXTURES, PRODUCTION_FIXTURE]) {
    test(name, async () => {
      const path = fixture(name);
      const { entries, stats } = await readAll(path);
      assert.equal(stats.format, 'stderr');
      assert.equal(stats.lines, fileLines(path).length);
      assert.equal(stats.unparsedLines, 0);
      assert.equal(stats.truncatedLines, 0);
      assert.equal(stats.untimedEntries, 0);
      for (const sev of ['ERROR', 'FATAL', 'PANIC', 'WARNING', 'LOG']) {
        assert.equal(count(entries, sev), grep(path, new RegExp(`\\b${sev}:  `)).length, sev);
      }
      assert.equal(count(entries, 'ERROR', 'FATAL', 'PANIC'), grep(path, /\b(ERROR|FATAL|PANIC):  /).length);
      // Every line is accounted for: a line that starts an entry, a DETAIL/HINT/... line of one, or a tab continuation.
      const starts = grep(path, /\b(DEBUG[1-5]|INFO|NOTICE|WARNING|ERROR|LOG|FATAL|PANIC):  /).length;
      const continuations = grep(path, /\b(DETAIL|HINT|QUERY|CONTEXT|STATEMENT|LOCATION):  /).length;
      const tabs = grep(path, /^\t/).length;
      assert.equal(entries.length, starts);
      assert.equal(starts + continuations + tabs, stats.lines);
    });
  }

  test('csvlog.csv and jsonlog.json hold the same events as stderr-debian-prefix.log (one run, three destinations)', async () => {
    const stderrPath = fixture('stderr-debian-prefix.log');
    const csv = await readAll(fixture('csvlog.csv'));
    const json = await readAll(fixture('jsonlog.json'));
    assert.equal(csv.stats.format, 'csvlog');
    assert.equal(json.stats.format, 'jsonlog');
    for (const r of [csv, json]) {
      assert.equal(r.stats.unparsedLines, 0);
      for (const sev of ['ERROR', 'FATAL', 'WARNING', 'LOG']) {
        assert.equal(count(r.entries, sev), grep(stderrPath, new RegExp(`\\b${sev}:  `)).length, `${r.stats.file} ${sev}`);
      }
    }
    // csvlog: one record per line that starts with a log_time; jsonlog: one object per line.
    assert.equal(csv.entries.length, grep(fixture('csvlog.csv'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC,/).length);
    assert.equal(json.entries.length, fileLines(fixture('jsonlog.json')).length);
    assert.equal(count(json.entries, 'ERROR'), grep(fixture('jsonlog.json'), /"error_severity":"ERROR"/).length);
    // Same timestamps, pids and messages in the same order.
    const stderr = (await readAll(stderrPath)).entries;
    for (const r of [csv, json]) {
      assert.deepEqual(r.entries.map((e) => [e.time?.getTime(), e.pid, e.severity, e.user, e.database]),
        stderr.map((e) => [e.time?.getTime(), e.pid, e.severity, e.user, e.database]));
      assert.deepEqual(r.entries.map((e) => e.message), stderr.map((e) => e.message.replace(/ at character \d+$/, '')));
      assert.deepEqual(r.entries.map((e) => [e.detail, e.hint, e.statement, e.context, e.query]),
        stderr.map((e) => [e.detail, e.hint, e.statement, e.context, e.query]));
    }
  });
});

describe('real fixtures: the provoked errors are there with their details', () => {
  const ALL = [...STDERR_FIXTURES, 'csvlog.csv', 'jsonlog.json'];
  for (const name of ALL) {
    test(name, async () => {
      const { entries } = await readAll(fixture(name));
      const find = (sev: string, re: RegExp): LogEntry[] => entries.filter((e) => e.severity === sev && re.test(e.message));

      const syntax = find('ERROR', /^syntax error at or near ";"/);
      assert.equal(syntax.length, 1);
      assert.equal(syntax[0]!.statement, 'ALTER TABLE users\n    ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),\n    ADD COLUMN ;');
      assert.equal(syntax[0]!.user, 'app');
      assert.equal(syntax[0]!.database, 'app');

      const dup = find('ERROR', /^duplicate key value violates unique constraint "users_email_key"$/);
      assert.deepEqual(dup.map((e) => e.detail), ['Key (email)=(alice@example.com) already exists.', 'Key (email)=(bob@example.com) already exists.']);
      assert.equal(dup[0]!.statement, "INSERT INTO users (email, name) VALUES ('alice@example.com', 'Alice again')");

      assert.deepEqual(find('ERROR', /^relation "\w+" does not exist/).map((e) => e.statement),
        ['SELECT count(*) FROM orders', 'SELECT * FROM invoices WHERE id = 1', "DO $$ BEGIN EXECUTE 'INSERT INTO audit_log VALUES (1)'; END $$"]);
      const audit = find('ERROR', /^relation "audit_log"/)[0]!;
      assert.equal(audit.query, 'INSERT INTO audit_log VALUES (1)');
      assert.equal(audit.context, 'PL/pgSQL function inline_code_block line 1 at EXECUTE');

      assert.equal(find('ERROR', /^column "nam" does not exist/)[0]!.hint, 'Perhaps you meant to reference the column "users.name".');
      const raise = find('ERROR', /^migration 003 failed: 42 rows invalid$/)[0]!;
      assert.equal(raise.detail, 'row ids: 7, 9');
      assert.equal(raise.hint, 'Fix the data, then rerun the migration.');

      const deadlock = find('ERROR', /^deadlock detected$/);
      assert.equal(deadlock.length, 1);
      assert.equal(deadlock[0]!.detail!.split('\n').length, 4);
      assert.match(deadlock[0]!.detail!, /^Process \d+ waits for ShareLock on transaction \d+; blocked by process \d+\.\nProcess \d+ waits/);
      assert.equal(deadlock[0]!.hint, 'See server log for query details.');
      assert.match(deadlock[0]!.statement!, /^BEGIN; UPDATE accounts/);

      const password = find('FATAL', /^password authentication failed for user "(app|deployer)"$/);
      assert.equal(password.length, 4);
      assert.match(password[3]!.detail!, /^Role "deployer" does not exist\.\nConnection matched pg_hba\.conf line \d+/);
      assert.equal(find('FATAL', /^database "app_production" does not exist$/).length, 1);

      const killed = find('FATAL', /^terminating connection due to administrator command$/);
      assert.equal(killed.length, 1);
      assert.equal(killed[0]!.statement, 'SELECT pg_sleep(30) /* long running migration */');
      assert.equal(find('WARNING', /^there is no transaction in progress$/).length, 1);
      assert.equal(find('ERROR', /^invalid input syntax for type integer: "<b>bold<\/b> \| pipe `tick` \*star\*"/).length, 1);
    });
  }

  test('entry line numbers, times and pids match the raw lines', async () => {
    for (const name of STDERR_FIXTURES) {
      const path = fixture(name);
      const raw = fileLines(path);
      const { entries } = await readAll(path);
      for (const e of entries) {
        const line = raw[e.line - 1]!;
        assert.ok(line.includes(`${e.severity}:  `), `${name}:${e.line}`);
        assert.ok(line.includes(`[${e.pid}]`), `${name}:${e.line} pid`);
        // The time, read independently of the reader: the line's first token(s).
        const expected = lineTime(line);
        assert.ok(expected !== undefined, `${name}:${e.line} has a time`);
        assert.equal(e.time?.getTime(), expected, `${name}:${e.line} time`);
      }
    }
  });

  test('verbose stderr: SQLSTATE split off the message, LOCATION kept', async () => {
    const { entries } = await readAll(fixture('stderr-epoch-verbose.log'));
    const dup = entries.find((e) => e.message.startsWith('duplicate key'))!;
    assert.equal(dup.sqlstate, '23505');
    assert.match(dup.location!, /^_bt_check_unique, nbtinsert\.c:\d+$/);
    assert.ok(entries.every((e) => e.location !== undefined), 'every entry of a verbose log has a LOCATION');
  });
});

describe('prefix detection on synthetic lines', () => {
  const t = (s: string): number => Date.parse(s);
  const cases: Array<[string, string, Partial<{ ms: number; pid: number; user: string; database: string }>]> = [
    ['%t [%p] ', '2024-05-01 10:00:00 UTC [123] ', { ms: t('2024-05-01T10:00:00Z'), pid: 123 }],
    ['%m [%p] %q%u@%d ', '2024-05-01 10:00:00.123 UTC [77] app@shop ', { ms: t('2024-05-01T10:00:00.123Z'), pid: 77, user: 'app', database: 'shop' }],
    ['%m [%p] %q%u@%d (background)', '2024-05-01 10:00:00.123 UTC [77] ', { ms: t('2024-05-01T10:00:00.123Z'), pid: 77 }],
    ['%t:%r:%u@%d:[%p]:', '2024-05-01 10:00:00 UTC:10.1.2.3(54321):app@shop:[4242]:', { ms: t('2024-05-01T10:00:00Z'), pid: 4242, user: 'app', database: 'shop' }],
    ['%t:%r:%u@%d:[%p]: (background)', '2024-05-01 10:00:00 UTC::@:[4242]:', { ms: t('2024-05-01T10:00:00Z'), pid: 4242 }],
    ['%t:%r:%u@%d:[%p]: [local]', '2024-05-01 10:00:00 UTC:[local]:postgres@postgres:[9]:', { ms: t('2024-05-01T10:00:00Z'), pid: 9, user: 'postgres', database: 'postgres' }],
    ['%n [%p] ', '1714557600.250 [5] ', { ms: 1714557600250, pid: 5 }],
    ['%t [%p-%l] ', '2024-05-01 10:00:00 UTC [123-4] ', { ms: t('2024-05-01T10:00:00Z'), pid: 123 }],
    ['pgBadger', '2024-05-01 10:00:00 UTC [123]: [4-1] user=app,db=shop,app=psql,client=10.0.0.1 ', { ms: t('2024-05-01T10:00:00Z'), pid: 123, user: 'app', database: 'shop' }],
    ['< %m >', '< 2024-05-01 12:00:00.5 CEST > ', { ms: t('2024-05-01T10:00:00.500Z') }],
    ['numeric zone', '2024-05-01 12:30:00 +0230 [1] ', { ms: t('2024-05-01T10:00:00Z'), pid: 1 }],
    ['numeric zone with colon', '2024-05-01 05:00:00.000-05:00 [1] ', { ms: t('2024-05-01T10:00:00Z'), pid: 1 }],
    ['[unknown]@[unknown]', '2024-05-01 10:00:00 UTC [8] [unknown]@[unknown] ', { ms: t('2024-05-01T10:00:00Z'), pid: 8 }],
    ['%c session id is not a pid', '2024-05-01 10:00:00 UTC [6632a8f0.1a2b] ', { ms: t('2024-05-01T10:00:00Z') }],
    ['no time', '[123] ', { pid: 123 }],
    // As a real server wrote them (a DBA's review): a role with an '@' (a Kerberos principal, an e-mail style name),
    // and an application name with one after pgBadger's user= and db=.
    ['%t:%r:%u@%d:[%p]: a role with an @', '2026-11-30 20:20:44 UTC:127.0.0.1(56554):alice@corp.example@app:[7371]:', { ms: t('2026-11-30T20:20:44Z'), pid: 7371, user: 'alice@corp.example', database: 'app' }],
    ['%m [%p] %u@%d/%a: an application name with an @ after the database', '2026-11-30 20:16:06.000 UTC [42] app@shop/deploy@v2.3 ', { ms: t('2026-11-30T20:16:06Z'), pid: 42, user: 'app', database: 'shop' }],
    // A '/' in user= or db= is theirs (a Kerberos principal's instance, a tenant's database).
    ['pgBadger, a principal with a /', '2026-11-30 20:16:06 UTC [2157]: user=alice/admin@CORP.EXAMPLE,db=tenant/eu,app=psql ', { ms: t('2026-11-30T20:16:06Z'), pid: 2157, user: 'alice/admin@CORP.EXAMPLE', database: 'tenant/eu' }],
    ['pgBadger, an application name with an @', '2026-11-30 20:16:06 UTC [2157]: user=app,db=app,app=deploy@v2.3,client=127.0.0.1 ', { ms: t('2026-11-30T20:16:06Z'), pid: 2157, user: 'app', database: 'app' }],
  ];
  for (const [label, prefix, want] of cases) {
    test(label, () => {
      const p = parsePrefix(prefix + 'LOG:  x', prefix.length);
      assert.equal(Number.isNaN(p.ms) ? undefined : p.ms, want.ms, 'time');
      assert.equal(p.pid, want.pid, 'pid');
      assert.equal(p.user, want.user, 'user');
      assert.equal(p.database, want.database, 'database');
    });
  }

  test('an ambiguous zone (CST) is not guessed', () => {
    const p = parsePrefix('2024-05-01 10:00:00 CST [1] ', 28);
    assert.ok(Number.isNaN(p.ms));
    assert.equal(p.badZone, 'CST');
    assert.equal(p.pid, 1);
  });

  test('mixed prefixes in one file, each line read on its own', async () => {
    const path = tmpFile('mixed.log', [
      '2024-05-01 10:00:00 UTC [1] ERROR:  one',
      '2024-05-01 10:00:01.5 UTC [2] app@db ERROR:  two',
      '2024-05-01 10:00:02 UTC:1.2.3.4(5):u@d:[3]:FATAL:  three',
      '',
      '1714557603.000 [4] WARNING:  four',
    ].join('\n') + '\n');
    const { entries, stats } = await readAll(path);
    assert.deepEqual(entries.map((e) => [e.severity, e.message, e.pid, e.time?.toISOString()]), [
      ['ERROR', 'one', 1, '2024-05-01T10:00:00.000Z'],
      ['ERROR', 'two', 2, '2024-05-01T10:00:01.500Z'],
      ['FATAL', 'three', 3, '2024-05-01T10:00:02.000Z'],
      ['WARNING', 'four', 4, '2024-05-01T10:00:03.000Z'],
    ]);
    assert.equal(stats.unparsedLines, 1, 'the empty line in the middle is not PostgreSQL output');
  });
});

describe('grouping, unparsed and odd lines', () => {
  test('lines that cannot be placed are counted and sampled, never dropped silently', async () => {
    const path = tmpFile('junk.log', [
      '\torphan continuation before any entry',
      '2024-05-01 10:00:00 UTC [1] ERROR:  boom',
      'sh: 1: something printed to stderr by a library',
      '2024-05-01 10:00:00 UTC [1] STATEMENT:  SELECT 1',
      "cp: cannot stat '/archive/000000010000000000000001': No such file or directory",
      '2024-05-01 10:00:01 UTC [2] LOG:  fine',
    ].join('\n'));
    const { entries, stats } = await readAll(path);
    assert.equal(stats.lines, 6);
    assert.deepEqual(entries.map((e) => e.message), ['boom', 'fine']);
    assert.equal(entries[0]!.statement, 'SELECT 1', 'a junk line does not end the entry');
    assert.deepEqual(stats.unparsedSamples.map((s) => s.line), [1, 3, 5]);
    assert.equal(stats.unparsedSamples[2]!.text, "cp: cannot stat '/archive/000000010000000000000001': No such file or directory");
    assert.equal(stats.unparsedLines, 3);
  });

  test('a severity word with a letter or digit right before or after it is no severity; after a sign or a colon it is one', async () => {
    const path = tmpFile('glued.log', [
      '2024-05-01 10:00:00 UTC [1] xERROR:  a word goes on before it',
      '2024-05-01 10:00:00 UTC [1] 7FATAL:  a digit',
      '2024-05-01 10:00:00 UTC [1] FEHLERX:  a word goes on after it',
      '2024-05-01 10:00:00 UTC [1] _WARNING:  after a sign',
      '2024-05-01 10:00:00 UTC [1]:FEHLER:  a translated one, after a colon',
    ].join('\n'));
    const { entries, stats } = await readAll(path);
    assert.deepEqual(entries.map((e) => [e.severity, e.message]), [['WARNING', 'after a sign'], ['ERROR', 'a translated one, after a colon']]);
    assert.deepEqual(stats.unparsedSamples.map((s) => s.line), [1, 2, 3]);
  });

  test('an orphaned DETAIL (its entry is in the previous file) becomes an entry of its own', async () => {
    const path = tmpFile('orphan.log', '2024-05-01 10:00:00 UTC [7] DETAIL:  Key (id)=(1) already exists.\n2024-05-01 10:00:00 UTC [8] LOG:  x\n');
    const { entries } = await readAll(path);
    assert.equal(entries[0]!.severity, 'DETAIL');
    assert.equal(entries[0]!.detail, 'Key (id)=(1) already exists.');
    assert.equal(entries[1]!.severity, 'LOG');
  });

  test('a DETAIL from another pid does not attach to the entry before it', async () => {
    const path = tmpFile('pids.log', '2024-05-01 10:00:00 UTC [7] ERROR:  a\n2024-05-01 10:00:00 UTC [8] DETAIL:  b\n');
    const { entries } = await readAll(path);
    assert.equal(entries.length, 2);
    assert.equal(entries[0]!.detail, undefined);
  });

  test('CRLF line ends and a last line without newline', async () => {
    const path = tmpFile('crlf.log', '2024-05-01 10:00:00 UTC [1] ERROR:  a\r\n2024-05-01 10:00:00 UTC [1] HINT:  h\r\n2024-05-01 10:00:01 UTC [1] LOG:  last');
    const { entries } = await readAll(path);
    assert.deepEqual(entries.map((e) => [e.message, e.hint]), [['a', 'h'], ['last', undefined]]);
  });

  test('runs of empty lines, \\n and \\r\\n, across read pieces: every line counted, line numbers kept', async () => {
    const e = (n: number): string => `2024-05-01 10:00:0${n} UTC [1] ERROR:  e${n}`;
    // Runs longer than a read piece (64 KiB), odd lengths, \r\n and \n mixed, before and after the format is known.
    const text = '\r\n'.repeat(40_001) + `${e(1)}\r\n` + '\n'.repeat(70_003) + '\r\n'.repeat(3) + `${e(2)}\n` + '\r\n\n'.repeat(30_000) + `${e(3)}\r\n\r\n`;
    const path = tmpFile('blank-runs.log', text);
    const { entries, stats } = await readAll(path);
    const lines = text.split('\n');
    const lineOf = (msg: string): number => lines.findIndex((l) => l.endsWith(`ERROR:  ${msg}\r`) || l.endsWith(`ERROR:  ${msg}`)) + 1;
    assert.deepEqual(entries.map((x) => [x.message, x.line]), [['e1', lineOf('e1')], ['e2', lineOf('e2')], ['e3', lineOf('e3')]]);
    assert.equal(stats.lines, lines.length - 1);
    assert.equal(stats.unparsedLines, lines.length - 1 - 3);
  });

  test('a very long line is cut at maxLineLength and counted; the next line is read normally', async () => {
    const long = 'x'.repeat(300_000);
    const path = tmpFile('long.log', `2024-05-01 10:00:00 UTC [1] ERROR:  ${long}\n2024-05-01 10:00:01 UTC [1] LOG:  after\n`);
    const { entries, stats } = await readAll(path, { maxLineLength: 4096 });
    assert.equal(stats.truncatedLines, 1);
    assert.equal(entries.length, 2);
    assert.ok(entries[0]!.message.length < 4096);
    assert.equal(entries[1]!.message, 'after');
  });

  test('a line carried from one read piece to the next is cut as one that is not: at maxLineLength, \\r aside, whole characters', async () => {
    const line = `2024-05-01 10:00:00 UTC [1] ERROR:  ${'x'.repeat(219)}é${'y'.repeat(50)}`;
    // A line of exactly maxLineLength bytes then \r\n (the \r may end a piece), and one cut inside the é.
    const bytes = Buffer.from(`${'a'.repeat(256)}\r\nb\n${line}\n`);
    const read = (pieces: number[]) => readCounting(bytes, { pieces, maxLineLength: 256 });
    const whole = await read([1 << 16]);
    assert.equal(whole.stats.truncatedLines, 1, 'only the long log line is cut');
    assert.equal(whole.entries.at(-1)!.message, 'x'.repeat(219));
    for (const pieces of [[7], [100], [257], [258]]) {
      const r = await read(pieces);
      assert.deepEqual([r.stats.truncatedLines, r.entries.map((e) => e.message)], [whole.stats.truncatedLines, whole.entries.map((e) => e.message)], `pieces of ${pieces[0]}`);
    }
  });

  test('a first line that is only a byte order mark is a blank line, whether the format is found or given', async () => {
    const bytes = Buffer.from('\ufeff\r\n2024-05-01 10:00:00 UTC [1] LOG:  a\n');
    const found = await readCounting(bytes, { pieces: [1 << 16] });
    const given = await readCounting(bytes, { pieces: [1 << 16], format: 'stderr' });
    assert.deepEqual(strip(given.stats), strip(found.stats));
    assert.deepEqual([found.stats.lines, found.stats.unparsedLines, found.stats.foreignChecked], [2, 1, 0]);
  });

  test('a statement with endless continuation lines is capped too', async () => {
    const lines = ['2024-05-01 10:00:00 UTC [1] ERROR:  e', '2024-05-01 10:00:00 UTC [1] STATEMENT:  SELECT'];
    for (let i = 0; i < 5000; i++) lines.push(`\t, column_${i}`);
    const { entries, stats } = await readAll(tmpFile('bigstmt.log', lines.join('\n')), { maxLineLength: 1000 });
    assert.equal(entries.length, 1);
    assert.ok(entries[0]!.statement!.length <= 1000);
    assert.equal(stats.truncatedLines, 1);
    assert.equal(stats.unparsedLines, 0);
  });

  test('no time in the prefix: entries are untimed and counted so', async () => {
    const { entries, stats } = await readAll(tmpFile('notime.log', '[1] ERROR:  a\n[2] LOG:  b\n'));
    assert.equal(entries.length, 2);
    assert.ok(entries.every((e) => e.time === undefined));
    assert.equal(stats.untimedEntries, 2);
    assert.equal(stats.firstTime, undefined);
  });

  test('an unknown zone makes the entry untimed and is reported', async () => {
    const { entries, stats } = await readAll(tmpFile('cst.log', '2024-05-01 10:00:00 CST [1] ERROR:  a\n'));
    assert.equal(entries[0]!.time, undefined);
    assert.deepEqual(stats.unknownZones, ['CST']);
  });

  test('a multi-byte character split across read chunks survives', async () => {
    const head = '2024-05-01 10:00:00 UTC [1] LOG:  ';
    // Put "é" (2 bytes) and "€" (3 bytes) across byte 1 MiB: a read chunk boundary (any power of two up to 1 MiB).
    const fill = 'a'.repeat((1 << 20) - Buffer.byteLength(head) - 1);
    const text = `${head}${fill}é€ end\n${head}next\n`;
    const { entries } = await readAll(tmpFile('utf8.log', text), { maxLineLength: 2 << 20 });
    assert.equal(entries.length, 2);
    assert.ok(entries[0]!.message.endsWith('aé€ end'));
    assert.equal(entries[1]!.message, 'next');
  });

  test('a byte order mark does not hide the first line', async () => {
    const { entries } = await readAll(tmpFile('bom.csv', '\ufeff' + readFileSync(fixture('csvlog.csv'), 'utf8')));
    assert.ok(entries[0]!.time instanceof Date);
    assert.equal(entries[0]!.line, 1);
  });

  test('stopping early closes the file; a cut gzip file fails after what it could read', async () => {
    for await (const e of readEntries(fixture('stderr-rds-prefix.log'))) {
      assert.equal(e.severity, 'LOG');
      break;
    }
    const gz = gzipSync(readFileSync(fixture('stderr-rds-prefix.log')));
    const path = tmpFile('cut.log.gz', gz.subarray(0, gz.length >> 1));
    const seen: LogEntry[] = [];
    // zlib's own error for a cut stream, passed on as it is.
    await assert.rejects(async () => { for await (const e of readEntries(path)) seen.push(e); }, { name: 'Error', code: 'Z_BUF_ERROR', message: /unexpected end of file/ });
  });

  test('a gzip-compressed file from a source marked freeOnceRead is read whole: its chunks are not freed while gunzip reads them', async () => {
    const text = readFileSync(fixture('stderr-rds-prefix.log'));
    const gz = gzipSync(text);
    // Fresh buffers of 100 bytes: gunzip takes several before it gives text back.
    const chunks = Array.from({ length: Math.ceil(gz.length / 100) }, (_, i) => ownCopy(gz.subarray(i * 100, i * 100 + 100)));
    const stats = newStats('x.log.gz', 'x.log.gz');
    const entries: LogEntry[] = [];
    for await (const b of readBatches(freeOnceRead(chunks), { stats })) entries.push(...b);
    assert.equal(stats.compressed, true);
    assert.equal(stats.lines, fileLines(fixture('stderr-rds-prefix.log')).length);
    assert.equal(count(entries, 'ERROR', 'FATAL'), grep(fixture('stderr-rds-prefix.log'), /\b(ERROR|FATAL):  /).length);
    assert.ok(chunks.every((c) => c.length > 0), 'the compressed chunks were left alone');
  });

  test('gzip-compressed files are read', async () => {
    const text = readFileSync(fixture('stderr-rds-prefix.log'));
    const path = tmpFile('postgresql.log.gz', gzipSync(text));
    const { entries, stats } = await readAll(path);
    assert.equal(stats.compressed, true);
    assert.equal(count(entries, 'ERROR', 'FATAL'), grep(fixture('stderr-rds-prefix.log'), /\b(ERROR|FATAL):  /).length);
  });
});

describe('the fast path: only kept severities become entries, the rest is counted', () => {
  // Lines the fast path must place exactly as the full path does: continuation lines of counted
  // entries (same pid: attached; other pid: an orphan), times in the same and the next second,
  // fractions, numeric and unknown zones, text before the time, epoch stamps, no time at all.
  const tricky = [
    '2024-05-01 10:00:00.120 UTC [1] LOG:  a',
    '2024-05-01 10:00:00.120 UTC [1] DETAIL:  attached to the LOG',
    '\tand its tab line',
    '2024-05-01 10:00:00.130 UTC [2] DETAIL:  an orphan: other pid',
    '2024-05-01 10:00:00.5 UTC [3] ERROR:  e1',
    '2024-05-01 10:00:00.5 UTC [3] STATEMENT:  SELECT 1',
    '2024-05-01 10:00:00.999 UTC [1] LOG:  b',
    '2024-05-01 10:00:01.001 UTC [1] LOG:  c',
    // Lines that are not log lines, more than the samples kept of them, between log lines.
    ...Array.from({ length: 8 }, (_, i) => `a stray line ${i}, no severity in it`),
    '2024-05-01 10:00:01.002 UTC [1] LOG:  d',
    ...Array.from({ length: 3 }, (_, i) => `another stray line ${i}`),
    // Once the samples are kept: blank lines, and an overlong line (maxLineLength is 300 here) that is not a log line.
    '2024-05-01 10:00:01.003 UTC [1] LOG:  h',
    '',
    '',
    'u'.repeat(400),
    '2024-05-01 10:00:01 +02 [1] LOG:  numeric zone',
    '2024-05-01 10:00:01 +02:30 [1] LOG:  numeric zone with minutes',
    '2024-05-01 10:00:01 CST [1] LOG:  unknown zone',
    'not a log line:  at all',
    '',
    'time=2024-05-01 10:00:02 UTC [4] LOG:  text before the time',
    'time=2024-05-01 10:00:03 UTC [4] WARNING:  w',
    '1714557604.250 [5] LOG:  epoch',
    '1714557605.750 [5] LOG:  epoch later',
    '[6] LOG:  no time',
    '2024-05-01 10:00:05.000 UTC [7] FATAL:  f',
    '2024-04-30 23:00:00.000 UTC [8] LOG:  earlier than all',
    '2024-05-01 10:00:06.123456 UTC [9] LOG:  microseconds',
    '2024-05-01 10:00:06.123 UTC [9] xLOG:  not a severity: a word goes on before it',
    '2024-05-01 10:00:06.124 UTC [9] LOG:  database system was interrupted; last known up at 2024-05-01 09:59:00 UTC',
    '\tits tab line',
    '2024-05-01 10:00:06.125 UTC [9] LOG:  databases are many: not a kept start, though its first bytes are',
    '2024-05-01 10:00:07.000 UTC [9] LOG:  00000: database system was interrupted (log_error_verbosity = verbose)',
    `2024-05-01 10:00:07.001 UTC [9] LOG:  a line longer than maxLineLength ${'x'.repeat(400)}`,
    '2024-05-01 10:00:08 -05 [1] LOG:  numeric zone west of UTC: later than all',
    '2024-05-01 10:00:07.002 UTC [9] LOG:  back to UTC',
    '2024-05-01 10:00:09.000 UTC [9] LOG:  e',
    '2024-05-02 10:00:09.001 UTC [9] LOG:  the next day, in the same minute and second',
    // A DETAIL line written with the prefix of an earlier LOG line (f), after another (g): an orphan, not g's.
    '2024-05-02 10:00:09.1000 UTC [10] LOG:  f',
    '2024-05-02 10:00:09.200 UTC [111] LOG:  g',
    '2024-05-02 10:00:09.1000 UTC [10] DETAIL:  written with the prefix of f, after g: an orphan',
    '2024-05-02 10:00:09.200 UTC [111] HINT:  belongs to g',
  ].join('\n') + '\n';

  // Lines that are not log lines, of a few bytes to more than maxLineLength (300), empty, tab lines, \r, with a
  // `:  ` after no severity (early, or past 16 bytes), and log lines with no prefix: the scanner reads these
  // 16 bytes at a time.
  const otherLines = [
    'x', 'ab', '\t', '\tq', '', 'a:  b', '\r', 'z\r', '12', '\t\t', 'FATAL:  f', 'LOG:  l', 'y'.repeat(40), 'y'.repeat(400),
    `${'k'.repeat(30)}:  v`, `\t${'w'.repeat(50)}:  x`, 'z'.repeat(17), `${'q'.repeat(15)}\r`, `${'r'.repeat(299)}\r`, `${'e'.repeat(14)}:  `,
    // Log lines whose severity comes past the first 16 bytes: kept or counted, never taken for other lines.
    `${'k'.repeat(30)} ERROR:  v`, `[${'7'.repeat(20)}] LOG:  w`, `${'m'.repeat(12)} FATAL:  x`, `${'k'.repeat(30)} ERROR:  ${'v'.repeat(40)}`,
  ];
  const shortLines = Array.from({ length: 1200 }, (_, i) => otherLines[(i * 7) % otherLines.length]).join('\n') + '\n';
  const inputs: Array<[string, Buffer]> = [
    ...[...STDERR_FIXTURES, PRODUCTION_FIXTURE, 'stderr-de.log', 'stderr-fr.log'].map((n): [string, Buffer] => [n, readFileSync(fixture(n))]),
    ['tricky', Buffer.from(tricky)],
    // Tab lines with no entry before them (no log line yet): not log lines. Past the samples and the foreign-format
    // checks (1000 lines) the scanner counts them too; one is longer than maxLineLength, some end in \r. Then
    // other lines that are not log lines, with no entry before them and after the log.
    ['tricky, after orphan tab lines', Buffer.from(Array.from({ length: 1500 }, (_, i) => (i === 1207 ? `\t${'t'.repeat(400)}` : i % 3 ? `\ttab line ${i}\r` : '\t')).join('\n') + '\n'
      + shortLines + tricky + shortLines)],
  ];
  for (const [name, bytes] of inputs) {
    test(`${name}: same entries, counts, times and stats as reading every entry`, async () => {
      // A short maxLineLength for the tricky lines, one of which is longer (a field joined past it would be
      // cut only in kept entries, so not for the real logs).
      const maxLen = name.startsWith('tricky') ? 300 : undefined;
      const full = await readCounting(bytes, { pieces: [1 << 16], maxLineLength: maxLen });
      assert.equal(full.counted.size, 0);
      // No window, and one that starts at the middle entry's time (times within a second of it on both sides).
      const timed = full.entries.filter((e) => e.time !== undefined);
      const middle = timed[timed.length >> 1]?.time?.getTime() ?? NaN;
      let scanned = 0;
      for (const since of [NaN, middle]) {
        for (const keep of [new Set<Severity>(['ERROR', 'FATAL', 'PANIC', 'WARNING']), new Set<Severity>()]) {
          // Pieces of 7 bytes split nearly every line, of 257 bytes some; a large log is cut into 4099-byte
          // pieces (still one split a piece), and into 256 KiB ones.
          for (const piece of bytes.length > 100_000 ? [1 << 16, 4099, 1 << 18] : [1 << 16, 257, 7]) {
            // Without and with message starts that keep an entry of another severity (as the digest's crash
            // lines); the format found from the first lines, or given (then the fast path starts at once).
            for (const [keepWhen, format] of [[[], undefined], [['database system was', 'server process'], undefined], [[], 'stderr']] as const) {
              const kept = keptBy(keep, keepWhen);
              // Pieces of 257, 4099 and 256 KiB (cut in 64 KiB by the reader, as the digest thread's reads are) come
              // from a source marked freeOnceRead(): each freed once read. 64 KiB and 7-byte pieces are not, so the
              // reading without freeing stays covered too.
              const freed = piece !== 1 << 16 && piece !== 7;
              const fast = await readCounting(bytes, { pieces: [piece], keep, since, keepWhen, maxLineLength: maxLen, format, freed });
              const how = `pieces of ${piece}, keepWhen ${keepWhen.length}, format ${format}, since ${since}, freed ${freed}`;
              assert.deepEqual(fast.entries, full.entries.filter(kept), `kept entries, ${how}`);
              assert.deepEqual(sorted(fast.counted), sorted(tally(full.entries.filter((e) => !kept(e)), since)), `counted entries, ${how}`);
              assert.deepEqual(strip(fast.stats), strip(full.stats), `stats, ${how}`);
              scanned += fast.scanned;
              // Every stderr reading in pieces the scanner can work in reaches it, not only some.
              if (format === 'stderr' && piece !== 7) assert.ok(fast.scanned > 0, `the scanner counted lines, ${how}`);
            }
          }
        }
      }
      // The comparison is of the scanner with JavaScript, not of JavaScript with itself.
      assert.ok(scanned > 0, 'the WebAssembly scanner counted lines');
    });
  }
});

describe('csvlog and jsonlog', () => {
  test('RFC 4180 fields: quotes, commas and newlines inside quotes', () => {
    assert.deepEqual(parseCsvRecord('a,"b,c","d ""e""",,"line1\nline2",'), ['a', 'b,c', 'd "e"', '', 'line1\nline2', '']);
    assert.deepEqual(parseCsvRecord('"unterminated'), ['unterminated']);
  });

  test('a csvlog record spread over lines, and one that is not csvlog', async () => {
    const row = (sev: string, msg: string, stmt: string): string =>
      `2024-05-01 10:00:00.000 UTC,"app","shop",42,"10.0.0.1:5555",abc.1,1,"INSERT",2024-05-01 09:00:00 UTC,3/4,0,${sev},23505,"${msg}","Key (id)=(1) already exists.",,,,,"${stmt}",,,"psql","client backend",,0`;
    const text = [
      row('ERROR', 'duplicate key value violates unique constraint ""t_pkey""', 'INSERT INTO t\nVALUES (1, ""a,b"")'),
      'not,a,log,record',
      row('LOG', 'x', ''),
    ].join('\n') + '\n';
    const { entries, stats } = await readAll(tmpFile('pg.csv', text));
    assert.equal(stats.format, 'csvlog');
    assert.equal(entries.length, 2);
    assert.equal(entries[0]!.message, 'duplicate key value violates unique constraint "t_pkey"');
    assert.equal(entries[0]!.statement, 'INSERT INTO t\nVALUES (1, "a,b")');
    assert.equal(entries[0]!.line, 1);
    assert.equal(entries[0]!.pid, 42);
    assert.equal(entries[0]!.sqlstate, '23505');
    assert.equal(entries[1]!.line, 4);
    assert.equal(stats.unparsedLines, 1);
  });

  test('a csvlog line cut at maxLineLength: the quotes in what was cut still close its record', async () => {
    // The message's closing quote and the quoted fields after it are past the cut: counted, they balance the
    // record, so the next line is a record of its own and not part of this one.
    const long = `2024-05-01 10:00:00.000 UTC,"app","shop",42,"10.0.0.1:5555",abc.1,1,"INSERT",2024-05-01 09:00:00 UTC,3/4,0,ERROR,23505,"${'m'.repeat(400)}",,,,,,,,,,"psql","client backend",,0`;
    const next = '2024-05-01 10:00:01.000 UTC,"app","shop",42,"10.0.0.1:5555",abc.1,2,"idle",2024-05-01 09:00:00 UTC,3/4,0,LOG,00000,"next record",,,,,,,,,,"psql","client backend",,0';
    const { entries, stats } = await readAll(tmpFile('cut.csv', `${long}\n${next}\n`), { maxLineLength: 300 });
    assert.deepEqual(entries.map((e) => [e.severity, e.line]), [['ERROR', 1], ['LOG', 2]]);
    assert.equal(entries[1]!.message, 'next record');
    assert.equal(stats.truncatedLines, 1);
  });

  test('jsonlog: a line cut at maxLineLength still yields its leading fields; broken JSON is counted', async () => {
    const big = JSON.stringify({ timestamp: '2024-05-01 10:00:00.000 UTC', pid: 9, error_severity: 'ERROR', message: 'm "q"', statement: 's'.repeat(5000) });
    const text = `${big}\n{"broken":\n${JSON.stringify({ timestamp: '2024-05-01 10:00:01.000 UTC', error_severity: 'LOG', message: 'ok' })}\n`;
    const { entries, stats } = await readAll(tmpFile('pg.json', text), { maxLineLength: 1000 });
    assert.deepEqual(entries.map((e) => [e.severity, e.message, e.pid]), [['ERROR', 'm "q"', 9], ['LOG', 'ok', undefined]]);
    assert.equal(stats.truncatedLines, 1);
    assert.equal(stats.unparsedLines, 1);
  });

  test('jsonlog: lines that are not JSON objects, bytes that are not UTF-8 among them, are counted and sampled as written', async () => {
    const entry = (i: number): string => JSON.stringify({ timestamp: `2024-05-01 10:00:0${i}.000 UTC`, error_severity: 'ERROR', message: `e${i}` });
    const junk = Buffer.concat([Buffer.from('not json at all\n'), Buffer.from([0xff, 0xfe, 0x41, 0x0a]), Buffer.from('[1,2]\n"a string"\n')]);
    const bytes = Buffer.concat([Buffer.from(`${entry(1)}\n`), junk, Buffer.from(`${entry(2)}\n`)]);
    const { entries, stats } = await readAll(tmpFile('junk.json', bytes));
    assert.deepEqual(entries.map((e) => e.message), ['e1', 'e2']);
    assert.equal(stats.unparsedLines, 4);
    assert.deepEqual(stats.unparsedSamples.map((u) => u.text), ['not json at all', '\ufffd\ufffdA', '[1,2]', '"a string"']);
  });

  test('format detection looks at the content; the name is only a hint', async () => {
    assert.equal(detectLineFormat('2024-05-01 10:00:00 UTC [1] LOG:  x'), 'stderr');
    assert.equal(detectLineFormat('{"timestamp":"2024-05-01 10:00:00.000 UTC","error_severity":"LOG","message":"x"}'), 'jsonlog');
    assert.equal(detectLineFormat('hello'), undefined);
    // A .log file with csvlog content, an empty .csv file.
    const csvAsLog = tmpFile('postgresql-2024.log', readFileSync(fixture('csvlog.csv')));
    assert.equal((await readAll(csvAsLog)).stats.format, 'csvlog');
    assert.equal((await readAll(tmpFile('empty.csv', ''))).stats.format, 'csvlog');
    assert.equal((await readAll(tmpFile('empty.log', ''))).stats.format, 'stderr');
  });
});

test('log_error_verbosity = verbose: the SQLSTATE before the message is read, even before a message of one character', async () => {
  const { entries } = await readAll(tmpFile('verbose.log', '2026-11-28 10:00:00 UTC [1] ERROR:  42P01: x\n'));
  assert.deepEqual([entries[0]!.sqlstate, entries[0]!.message], ['42P01', 'x']);
});
