// Logs not written in English: a real server with lc_messages German or French, the same workload as
// the English fixture; the digest must read them the same (issue 11 part 3).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { digestFiles, type Digest } from '../../src/insight/digest.ts';
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
