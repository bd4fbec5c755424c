import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { NameAllocator, safeFileName } from '../../src/core/names.ts';

const OUT = resolve('/home/runner/_temp/rds-errorlogs');

/** The name lands directly inside the output folder, as one plain, visible file. */
function assertPlain(name: string, raw: string): void {
  assert.ok(name.length > 0, `empty name for ${JSON.stringify(raw)}`);
  assert.doesNotMatch(name, /[\/\\:"<>|*?\u0000-\u001f\u007f]/, `${JSON.stringify(raw)} → ${JSON.stringify(name)}`);
  assert.ok(!name.startsWith('.'), `${JSON.stringify(raw)} → ${JSON.stringify(name)} is hidden`);
  assert.equal(dirname(join(OUT, name)), OUT, `${JSON.stringify(raw)} → ${JSON.stringify(name)} leaves the folder`);
  assert.ok(Buffer.byteLength(name) <= 200, `${Buffer.byteLength(name)} bytes`);
  // Windows drops a trailing dot or space: the file would not be the one written (nor removable by most tools).
  assert.doesNotMatch(name, /[.\s]$/, `${JSON.stringify(raw)} → ${JSON.stringify(name)} ends in a dot or space`);
  assert.ok(name.isWellFormed(), `${JSON.stringify(raw)} → ${JSON.stringify(name)} holds half a surrogate pair`);
}

test('path traversal names stay inside the output folder', () => {
  for (const raw of ['../../etc/passwd', '..', '../', '/etc/passwd', '..\\..\\windows\\system32', 'logs/../../x.log']) {
    assertPlain(safeFileName(raw), raw);
  }
  assert.equal(safeFileName('../../etc/passwd'), '_.._etc_passwd');
});

test('slashes and backslashes become underscores, keeping the rest of the name', () => {
  assert.equal(safeFileName('a/b\\c'), 'a_b_c');
  assert.equal(safeFileName('pg/postgresql-2026-11-28_100000.log'), 'pg_postgresql-2026-11-28_100000.log');
});

test('control characters and characters the artifact service refuses are replaced', () => {
  assert.equal(safeFileName('a\u0000b\nc\rd\te\u001bf\u007fg.log'), 'a_b_c_d_e_f_g.log');
  assert.equal(safeFileName('10:00:00.log'), '10_00_00.log');
  assert.equal(safeFileName('what*is?this.log'), 'what_is_this.log');
  assert.equal(safeFileName('a"b<c>d|e.log'), 'a_b_c_d_e.log');
});

test('leading dots are dropped (no hidden files), and trailing dots and spaces too', () => {
  assert.equal(safeFileName('.bashrc'), 'bashrc');
  assert.equal(safeFileName('...postgresql.log'), 'postgresql.log');
  assert.equal(safeFileName('postgresql.log. '), 'postgresql.log');
});

test('Windows device names, with or without an extension or trailing spaces, become plain file names', () => {
  for (const raw of ['CON', 'con', 'NUL.log', 'nul.tar.gz', 'COM1', 'com9.log', 'LPT1', 'Lpt3.txt', 'PRN', 'AUX.csv', 'CON .log', 'COM¹.log', 'CONIN$', 'conout$.txt']) {
    const name = safeFileName(raw);
    assert.doesNotMatch(name.split('.')[0]!.trimEnd(), /^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]|CONIN\$|CONOUT\$)$/i, `${raw} → ${name}`);
    assertPlain(name, raw);
  }
  assert.equal(safeFileName('NUL.log'), '_NUL.log');
  assert.equal(safeFileName('com1'), '_com1');
  // Only the whole first part is a device: these are ordinary names.
  for (const raw of ['CONSOLE.log', 'nullable.log', 'COM10.log', 'LPT.log', 'postgresql-CON.log']) assert.equal(safeFileName(raw), raw);
});

test('trailing dots and spaces (which Windows drops, making two names one) are removed', () => {
  assert.equal(safeFileName('postgresql.log...'), 'postgresql.log');
  assert.equal(safeFileName('postgresql.log   '), 'postgresql.log');
  const names = new NameAllocator();
  assert.deepEqual(['a.log', 'a.log.', 'A.LOG '].map((n) => names.allocate(n)), ['a.log', 'a-2.log', 'A-3.LOG']);
});

test('a name stays within what NTFS allows for one name (255 UTF-16 units), whatever its script', () => {
  for (const raw of ['ж'.repeat(300), '日志'.repeat(200), '😀'.repeat(100), 'x'.repeat(1000), `${'x'.repeat(199)} ${'y'.repeat(50)}`, `${'x'.repeat(198)}. .${'y'.repeat(50)}`, `${'x'.repeat(300)}.abcdefghijklmn xyz`, `${'x'.repeat(300)}.abcdefghijklmn😀`]) {
    const name = safeFileName(raw);
    assert.ok(name.length <= 255, `${name.length} UTF-16 units`);
    assertPlain(name, raw);
  }
});

test('an empty or all-dots name gets a usable placeholder', () => {
  for (const raw of ['', '.', '...', '   ', ' . ']) assert.equal(safeFileName(raw), 'errorlog', JSON.stringify(raw));
});

test('a 300-byte name is cut to at most 200 bytes, keeping its extension', () => {
  const raw = `${'x'.repeat(296)}.log`;
  const name = safeFileName(raw);
  assert.ok(Buffer.byteLength(name) <= 200, `${Buffer.byteLength(name)} bytes`);
  assert.ok(name.endsWith('.log'), name);
  assert.ok(name.startsWith('xxxx'), name);
});

test('a long multi-byte name is cut on a character boundary', () => {
  const raw = `${'é'.repeat(150)}.log`; // 304 bytes
  const name = safeFileName(raw);
  assert.ok(Buffer.byteLength(name) <= 200, `${Buffer.byteLength(name)} bytes`);
  assert.ok(name.endsWith('.log'), name);
  assert.doesNotMatch(name, /\uFFFD/);
  assert.equal(Buffer.from(name, 'utf8').toString('utf8'), name);
  assert.match(name, /^é+\.log$/);
});

test('NFD and NFC spellings of the same name give the same file name', () => {
  assert.equal(safeFileName('cafe\u0301.log'), safeFileName('caf\u00e9.log'));
});

test('duplicates get -2, -3 before the extension', () => {
  const a = new NameAllocator();
  assert.equal(a.allocate('postgresql.log'), 'postgresql.log');
  assert.equal(a.allocate('postgresql.log'), 'postgresql-2.log');
  assert.equal(a.allocate('postgresql.log'), 'postgresql-3.log');
  assert.equal(a.allocate('noext'), 'noext');
  assert.equal(a.allocate('noext'), 'noext-2');
});

test('names that differ only in case are duplicates (case-insensitive file systems)', () => {
  const a = new NameAllocator();
  assert.equal(a.allocate('Postgresql.LOG'), 'Postgresql.LOG');
  assert.equal(a.allocate('postgresql.log'), 'postgresql-2.log');
  assert.equal(a.allocate('POSTGRESQL-2.LOG'), 'POSTGRESQL-2-2.LOG');
});

test('names that become equal once made safe are duplicates too', () => {
  const a = new NameAllocator();
  assert.equal(a.allocate('a/b.log'), 'a_b.log');
  assert.equal(a.allocate('a:b.log'), 'a_b-2.log');
  assert.equal(a.allocate('a_b.log'), 'a_b-3.log');
});

test('files already in the output folder are not reused', () => {
  const a = new NameAllocator(['postgresql.log', 'POSTGRESQL-2.log']);
  assert.equal(a.allocate('postgresql.log'), 'postgresql-3.log');
});

test('a duplicate of a long name still fits in 200 bytes and keeps its extension', () => {
  const a = new NameAllocator();
  const raw = `${'x'.repeat(296)}.log`;
  const names = [a.allocate(raw), a.allocate(raw), a.allocate(raw)];
  assert.equal(new Set(names.map((n) => n.toLowerCase())).size, 3);
  for (const n of names) {
    assert.ok(Buffer.byteLength(n) <= 200, `${Buffer.byteLength(n)} bytes: ${n}`);
    assert.ok(n.endsWith('.log'), n);
  }
});

test("a listing's own names come first: a suffix never takes a name the API gave another file", () => {
  const a = new NameAllocator();
  assert.deepEqual(a.allocateAll(['dup.log', 'dup.log', 'dup-2.log']), ['dup.log', 'dup-3.log', 'dup-2.log']);
  assert.deepEqual(new NameAllocator(['dup.log']).allocateAll(['dup.log', 'dup-2.log']), ['dup-3.log', 'dup-2.log']);
});

test('bidi controls, line separators and C1 controls are replaced: a name reads as what it is', () => {
  assert.equal(safeFileName('postgresql\u202Egol.exe'), 'postgresql_gol.exe');
  assert.equal(safeFileName('a\u2066b\u2069c\u200fd\u061ce.log'), 'a_b_c_d_e.log');
  assert.equal(safeFileName('a\u0085b\u009bc\u2028d.log'), 'a_b_c_d.log');
});
