import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inEnglish, translatedStarts } from '../../src/insight/in-english.ts';
import { translatedServerLines } from '../../src/insight/translations.ts';

/** printf as the server does it, for the few conversions of these messages: `%s`, `%d` and `%X`. */
function printf(format: string, values: string[]): string {
  let next = 0;
  return format.replace(/%[sdX]/g, () => values[next++]!);
}

test('every translated line of a crash, a stop or a start reads back as its English, with the values it was written with', () => {
  const lines = translatedServerLines();
  // What the catalogs of PostgreSQL 15 have: 27 English lines, 282 translations (3 left out: the catalog gives them to another message too) of them.
  assert.deepEqual([lines.length, lines.reduce((n, [, ts]) => n + ts.length, 0)], [27, 282]);
  for (const [english, translations] of lines) {
    // Values as the server's: numbers, a hexadecimal code, a time, a signal's name with a colon and spaces in it.
    const values = [...english.matchAll(/%([sdX])/g)].map(([, c], i) => (c === 'd' ? String(4242 + i) : c === 'X' ? 'C0000005' : `2026-12-01 02:14:0${i} UTC: x y`));
    for (const t of translations) assert.equal(inEnglish(printf(t, values)), printf(english, values), t);
  }
});

test("a process's name is read back too; a line only like a translated one stays as it was", () => {
  assert.equal(inEnglish('Serverprozess (PID 13887) wurde von Signal 9 beendet: Getötet'), 'server process (PID 13887) was terminated by signal 9: Getötet');
  assert.equal(inEnglish('Background-Worker »logical replication launcher« (PID 13961) beendete mit Status 1'),
    'background worker "logical replication launcher" (PID 13961) exited with exit code 1');
  assert.equal(inEnglish('サーバープロセス (PID 5)はシグナル9で終了しました: Killed'), 'server process (PID 5) was terminated by signal 9: Killed');
  // A name no catalog has stays as written.
  assert.equal(inEnglish('Irgendwas (PID 1) wurde von Signal 9 beendet: Getötet'), 'Irgendwas (PID 1) was terminated by signal 9: Getötet');
  for (const m of ['Serverprozess (PID x) wurde von Signal 9 beendet: Getötet', 'schnelles Herunterfahren verlangt, sagt RAISE LOG',
    'Datenbanksystem wurde am 2026-12-01 heruntergefahren', 'database system is shut down', '']) {
    assert.equal(inEnglish(m), m, m);
  }
  // A long line of a translation's pieces that never ends as one: each text looked for once, the line left as it was.
  const hostile = `processus serveur${' (PID 1) a été arrêté par le signal 9'.repeat(20_000)}`;
  assert.ok(inEnglish(hostile) === hostile);
});

test("the starts the reader keeps: every translation's first line begins with one, unless it begins with a process's name", () => {
  const starts = translatedStarts();
  for (const [english, translations] of translatedServerLines()) {
    for (const t of translations) {
      const before = t.split('%')[0]!.split('\n')[0]!;
      // A line that starts with a process's name starts with one of the names' translations.
      if (before === '') assert.ok(english.startsWith('%s '), t);
      else assert.ok(starts.some((s) => before.startsWith(s)), t);
    }
  }
  assert.ok(starts.includes('Serverprozess') && starts.includes('schnelles Herunterfahren verlang'), 'at most 32 bytes of each');
  assert.ok(starts.every((s) => s !== '' && !s.includes('\n')), 'the reader compares a start with a line');
});
