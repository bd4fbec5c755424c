// Logs not written in English: a real server with lc_messages German or French, the same workload as
// the English fixture; the digest must read them the same (issue 11 part 3).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { digestBytes, digestFiles, type Digest } from '../../src/insight/digest.ts';
import { groupText } from '../../src/insight/render.ts';
import { fixture, fixtureFile, grep } from '../support/pg-fixtures.ts';

/**
 * What "the same digest" means when the messages themselves are in another language. LOG lines
 * are left out: their number differs between runs of the fixture script (its readiness polls are
 * connections, and each is logged), not between languages.
 */
function shape(d: Digest) {
  const f = d.files[0]!;
  const { LOG: _log, ...bySeverity } = d.bySeverity;
  return {
    format: f.format, bySeverity, unparsedLines: d.unparsedLines, untimed: d.untimed,
    // Groups are message texts, so: how many, and the [severity, count] of each, most frequent first.
    groups: d.messages.map((g) => [g.severity, g.count]),
    firstError: d.firstError && {
      severity: d.firstError.severity, statement: d.firstError.statement !== undefined, detail: d.firstError.detail !== undefined,
      hint: d.firstError.hint !== undefined, user: d.firstError.user, database: d.firstError.database,
    },
  };
}

const WORDS = {
  'stderr-de.log': { ERROR: 'FEHLER', WARNING: 'WARNUNG', FATAL: 'FATAL', STATEMENT: 'ANWEISUNG', HINT: 'TIPP', DETAIL: 'DETAIL', CONTEXT: 'ZUSAMMENHANG', QUERY: 'ANFRAGE' },
  'stderr-fr.log': { ERROR: 'ERREUR', WARNING: 'ATTENTION', FATAL: 'FATAL', STATEMENT: 'INSTRUCTION ', HINT: 'ASTUCE ', DETAIL: 'DÉTAIL', CONTEXT: 'CONTEXTE ', QUERY: 'REQUÊTE ' },
};

describe('logs in German and French (lc_messages), made by a real server', () => {
  for (const name of Object.keys(WORDS)) {
    test(`${name}: without SQLSTATE, the same kinds as the English run of the workload`, async () => {
      const kinds = async (n: string) => (await digestFiles([fixtureFile(n)])).kinds;
      const english = await kinds('stderr-debian-prefix.log');
      assert.ok(english.length >= 8, 'the English run has kinds to compare');
      assert.deepEqual(await kinds(name), english);
    });
  }

  test('kinds in other languages: the position after the message in any form, a message over two lines, a short one', async () => {
    // As PostgreSQL 15 writes them (message texts from its catalogs). ru and zh put text after the position's
    // number, ja no space before it; the French message breaks its line where the catalog does.
    const line = (word: string, message: string): string => `2026-11-28 15:33:04.000 UTC [4759] app@app ${word}:  ${message}\n`;
    const log = line('ОШИБКА', 'отношение "orders" не существует (символ 15)')
      + line('ОШИБКА', 'ошибка синтаксиса (примерное положение: "FROM") (символ 8)')
      + line('ERROR', 'リレーション"orders"は存在しません(15文字目)')
      + line('错误', '关系 "orders" 不存在 第 15 个字符处')
      + line('错误', '检测到死锁')
      + line('ERREUR', 'une instruction insert ou update sur la table « orders » viole la contrainte de clé') + '\tétrangère « orders_user_id_fkey »\n';
    const d = await digestBytes([Buffer.from(log)], 'postgresql.log');
    assert.equal(d.bySeverity.ERROR, 6);
    assert.deepEqual(new Map(d.kinds.map((k) => [k.kind, k.count])), new Map([
      ['missing object', 3], ['syntax error', 1], ['deadlock, lock timeout or serialization failure', 1], ['constraint violation', 1],
    ]));
    // The summary shows the message without the position, as it does an English one; the entry keeps it.
    const ru = d.messages.find((g) => g.example.message.startsWith('отношение'))!;
    assert.equal(ru.example.message, 'отношение "orders" не существует (символ 15)');
    assert.equal(groupText(ru), 'отношение "orders" не существует');
  });

  for (const [name, words] of Object.entries(WORDS)) {
    test(`${name}: severities and fields read as grep finds them`, async () => {
      const d = await digestFiles([fixtureFile(name)]);
      assert.equal(d.unparsedLines, 0);
      for (const sev of ['ERROR', 'WARNING', 'FATAL'] as const) {
        assert.equal(d.bySeverity[sev], grep(fixture(name), new RegExp(`\\] \\S+@\\S+ ${words[sev]}:  |\\] ${words[sev]}:  `)).length, sev);
      }
      // A field line is part of its entry: the German first error carries its ANWEISUNG as statement.
      const stmt = grep(fixture(name), new RegExp(`${words.STATEMENT}:  `))[0]!;
      assert.equal(d.firstError!.statement!.split('\n')[0], stmt.slice(stmt.indexOf(`${words.STATEMENT}:  `) + words.STATEMENT.length + 3));
    });

    test(`${name}: the digest equals the English run of the same workload (counts, groups, first error)`, async () => {
      const english = shape(await digestFiles([fixtureFile('stderr-debian-prefix.log')]));
      const other = shape(await digestFiles([fixtureFile(name)]));
      assert.deepEqual(other, english);
    });
  }
});
