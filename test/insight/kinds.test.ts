import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DigestBuilder, digestFiles } from '../../src/insight/digest.ts';
import { isCrashLog } from '../../src/insight/kinds.ts';
import { kindOf } from '../../src/insight/kind-of.ts';
import { fixture, fixtureFile, grep } from '../support/pg-fixtures.ts';

const kindsOf = async (name: string): Promise<Map<string, number>> =>
  new Map((await digestFiles([fixtureFile(name)], {})).kinds.map((k) => [k.kind, k.count]));

describe('by kind, on the real fixtures', () => {
  test('without SQLSTATE the wording gives the counts grep gives', async () => {
    const name = 'stderr-rds-prefix.log';
    const g = (re: RegExp): number => grep(fixture(name), re).length;
    const kinds = await kindsOf(name);
    assert.equal(kinds.get('missing object'), g(/:(ERROR|FATAL):  .* does not exist( at character \d+)?$/));
    assert.equal(kinds.get('authentication'), g(/:FATAL:  password authentication failed/));
    assert.equal(kinds.get('constraint violation'), g(/:ERROR:  (duplicate key value|null value in column .*) violates /));
    assert.equal(kinds.get('syntax error'), g(/:ERROR:  syntax error /));
    assert.equal(kinds.get('deadlock, lock timeout or serialization failure'), g(/:ERROR:  deadlock detected$/));
    assert.equal(kinds.get('statement timeout or cancel'), g(/:ERROR:  canceling statement due to statement timeout$/));
    assert.equal(kinds.get('terminated connection'), g(/:FATAL:  terminating connection /));
    assert.equal(kinds.get('invalid data'), g(/:ERROR:  invalid input syntax for /));
    // RAISE EXCEPTION's text is the application's own: without its SQLSTATE (P0001) nothing tells it apart.
    assert.equal(kinds.get('other'), g(/:ERROR:  migration 003 failed/));
  });

  test('with SQLSTATE (verbose stderr) the same workload gives the same kinds, and the codes are listed', async () => {
    const words = await kindsOf('stderr-rds-prefix.log');
    const d = await digestFiles([fixtureFile('stderr-epoch-verbose.log')], {});
    const codes = new Map(d.kinds.map((k) => [k.kind, k]));
    for (const [kind, n] of words) {
      if (kind === 'other') continue;
      assert.equal(codes.get(kind)?.count, n, kind);
    }
    assert.equal(codes.get('raised by the application (RAISE)')?.count, words.get('other'));
    assert.deepEqual(codes.get('missing object')?.sqlstates, ['3D000', '42703', '42P01']);
    assert.deepEqual(codes.get('authentication')?.sqlstates, ['28P01']);
  });
});

describe('kindOf', () => {
  /** Each [message, kind]: the kind kindOf gives the message, without SQLSTATE. */
  const expectKinds = (cases: Array<[string, string]>): void => {
    for (const [message, kind] of cases) assert.equal(kindOf(message, undefined), kind, message);
  };

  test('SQLSTATE first: full code, then class, then the class name', () => {
    assert.equal(kindOf('anything', '42P01'), 'missing object');
    assert.equal(kindOf('anything', '23503'), 'constraint violation');
    assert.equal(kindOf('relation "x" does not exist', '0A000'), 'SQLSTATE class 0A (feature not supported)');
    assert.equal(kindOf('relation "x" does not exist', '00000'), 'missing object');
  });

  test('the wording of the common errors', () => {
    expectKinds([
      ['role "deployer" does not exist', 'authentication'],
      ['no pg_hba.conf entry for host "10.0.0.1", user "app", database "app", no encryption', 'authentication'],
      ['permission denied for table users', 'permission denied'],
      ['canceling statement due to lock timeout', 'deadlock, lock timeout or serialization failure'],
      ['canceling statement due to user request', 'statement timeout or cancel'],
      ['could not extend file "base/16384/16385": No space left on device', 'out of memory, disk or connections'],
      ['out of memory', 'out of memory, disk or connections'],
      ['sorry, too many clients already', 'out of memory, disk or connections'],
      ['too many connections for role "app"', 'out of memory, disk or connections'],
      ['too many connections for database "shop"', 'out of memory, disk or connections'],
      ['temporary file size exceeds temp_file_limit (1024kB)', 'out of memory, disk or connections'],
      ['pg_hba.conf rejects connection for host "10.0.0.1", user "app", database "shop", no encryption', 'authentication'],
      ['the database system is in recovery mode', 'server restart or crash'],
      ['terminating connection because of crash of another server process', 'server restart or crash'],
      ['operator does not exist: integer = text', 'missing object'],
      ['the database system is not accepting connections', 'server restart or crash'],
      // A migration adding a constraint to rows that break it; as a real server wrote them (no SQLSTATE in the prefix).
      ['could not create unique index "users_email_uq"', 'constraint violation'],
      ['column "email" of relation "users" contains null values', 'constraint violation'],
      ['check constraint "orders_total_check" of relation "orders" is violated by some row', 'constraint violation'],
      ['out of shared memory', 'out of memory, disk or connections'],
      ['could not map anonymous shared memory: Cannot allocate memory', 'out of memory, disk or connections'],
      ['could not serialize access due to concurrent update', 'deadlock, lock timeout or serialization failure'],
      ['something nobody wrote a pattern for', 'other'],
    ]);
  });

  test('a failed sign-in is FATAL: role "x" does not exist as an ERROR (GRANT, SET ROLE) is a missing object, as its 42704 says', () => {
    assert.equal(kindOf('role "deployer" does not exist', undefined, 'FATAL'), 'authentication');
    assert.equal(kindOf('role "deployer" does not exist', undefined, 'ERROR'), 'missing object');
    assert.equal(kindOf('role "deployer" does not exist', '42704', 'ERROR'), 'missing object');
    assert.equal(kindOf('Rolle »deployer« existiert nicht', undefined, 'ERROR'), 'missing object');
    assert.equal(kindOf('password authentication failed for user "app"', undefined, 'FATAL'), 'authentication');
  });

  test('a translated message gets the kind of its English original; a message only like one does not', () => {
    // As PostgreSQL 15 writes them with lc_messages ru, ja, es (the templates' text from its catalogs).
    expectKinds([
      ['роль "deployer" не существует', 'authentication'],
      ['重複したキー値は一意性制約"users_email_key"違反となります', 'constraint violation'],
      ['llave duplicada viola restricción de unicidad «users_email_key»', 'constraint violation'],
      // A value holding the text that follows it in the template.
      ['llave duplicada viola restricción de unicidad «a» viola restricción de unicidad «b»', 'constraint violation'],
      ['обнаружена взаимоблокировка', 'deadlock, lock timeout or serialization failure'],
      ['konnte Unique Index »users_email_uq« nicht erstellen', 'constraint violation'],
      ['столбец "email" отношения "users" содержит значения NULL', 'constraint violation'],
      ['NULL-Wert in Spalte »balance« von Relation »accounts« verletzt Not-Null-Constraint', 'constraint violation'],
      ['el operador no existe: integer = text', 'missing object'],
      // Templates that start with a value, found by their end.
      ['"FROM"またはその近辺で構文エラー', 'syntax error'],
      ['"integer"型の入力構文が不正です: "abc"', 'invalid data'],
      // The template's text, but not the whole message, or not at its ends.
      ['se ha detectado un deadlock en la tabla', 'other'],
      ['nota: обнаружена взаимоблокировка', 'other'],
      ['llave duplicada viola restricción', 'other'],
      ['llave duplicada viola restricción de unicidad «users_email_key» y más', 'other'],
      // Its ends, without the text between its values.
      ['NULL-Wert in Spalte »balance« verletzt Not-Null-Constraint', 'other'],
      ['x: y', 'other'],
    ]);
  });

  test('LOG lines of a crash count as server restart or crash; ordinary LOG lines do not', () => {
    const b = new DigestBuilder();
    const log = (message: string): void => b.add({ severity: 'LOG', message, file: 'f', line: 1 });
    log('server process (PID 4242) was terminated by signal 9: Killed');
    log('database system was interrupted; last known up at 2026-11-28 15:00:00 UTC');
    log('checkpoint starting: time');
    log('server process (PID 4243) exited with exit code 0');
    log('database system was not properly shut down; automatic recovery in progress');
    // The server itself killed: its recovery, with no death before it, is a crash of its own.
    log('database system was interrupted; last known up at 2026-11-28 15:01:00 UTC');
    log('database system was not properly shut down; automatic recovery in progress');
    log('database system is ready to accept connections');
    // A standby's recoveries write no 'not properly shut down' line: each start after it was up is a crash of its own.
    log('database system was interrupted while in recovery at log time 2026-11-28 15:02:00 UTC');
    log('database system is ready to accept read-only connections');
    log('database system was interrupted while in recovery at log time 2026-11-28 15:03:00 UTC');
    // A start whose recovery failed (a disk still full), then another: restarts of that crash, not crashes of their own.
    log('database system was interrupted while in recovery at 2026-11-28 15:03:00 UTC');
    log('database system was interrupted while in recovery at 2026-11-28 15:03:10 UTC');
    log('database system is ready to accept connections');
    // An immediate shutdown asked for: the recovery at the next start is the stop's.
    log('received immediate shutdown request');
    log('database system was interrupted; last known up at 2026-11-28 15:04:00 UTC');
    log('database system was not properly shut down; automatic recovery in progress');
    const d = b.finish([]);
    assert.equal(d.crashes, 4);
    assert.deepEqual(d.kinds, [{ kind: 'server restart or crash', count: 4, sqlstates: [] }]);
    assert.equal(isCrashLog('database system is ready to accept connections'), false);
  });
});
