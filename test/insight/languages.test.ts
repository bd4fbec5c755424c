// Real logs of the same server incidents written in English and in each language of PostgreSQL's catalogs
// (scripts/make-pg-language-logs.sh, test/fixtures/pg-languages/): a log in any of them must tell the same
// crashes, stops and kinds of error as the English one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { digestFiles, type Digest } from '../../src/insight/digest.ts';
import { inEnglish } from '../../src/insight/in-english.ts';
import { fixtureFile } from '../support/pg-fixtures.ts';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'pg-languages');
const LANGUAGES = ['de', 'es', 'fr', 'it', 'ja', 'ka', 'ko', 'ru', 'sv', 'uk', 'zh_CN'];

/** What a digest says happened, without what differs between two runs of a server: times, PIDs, line numbers, LOG lines. */
function shape(d: Digest): unknown {
  // A line as English, its numbers and the signal's name (the C library's words, not the catalog's) left out.
  const line = (m: string | undefined): string | undefined => m === undefined ? undefined : inEnglish(m).replace(/\d+/g, 'N').replace(/(signal N): .*$/s, '$1');
  const stop = (s: Digest['firstStop']): unknown => s && { line: line(s.entry.message), gaveUp: s.gaveUp, afterCrash: s.afterCrash, upAgain: s.upAgain !== undefined, ended: s.ended };
  return {
    crashes: d.crashes, stops: d.stops, startsGivenUp: d.startsGivenUp, kinds: d.kinds,
    firstCrash: line(d.firstCrash?.message), lastCrash: line(d.lastCrash?.message), firstStop: stop(d.firstStop), lastStop: stop(d.lastStop),
  };
}

for (const [scenario, expected] of [
  // A backend killed, a background worker killed, an immediate stop, a fast stop whose checkpoint was killed, the
  // whole server killed, a start given up, a backend of a standby killed: six crashes, six stops.
  ['incidents', { crashes: 6, stops: 6, startsGivenUp: 1 }],
  // The checkpointer, background writer, WAL writer, autovacuum launcher and archiver each killed.
  ['names', { crashes: 5, stops: 1, startsGivenUp: 0 }],
  // A standby restarted cleanly, twice: no crash (Georgian once wrote its `shut down in recovery` as a crash's words).
  ['standby', { crashes: 0, stops: 3, startsGivenUp: 0 }],
] as const) {
  test(`${scenario}: every language's log tells what the English one does`, async () => {
    const digest = (lang: string): Promise<Digest> => digestFiles([fixtureFile(join(DIR, `${scenario}-${lang}.log`))], {});
    const english = await digest('en');
    assert.deepEqual({ crashes: english.crashes, stops: english.stops, startsGivenUp: english.startsGivenUp }, expected);
    for (const lang of LANGUAGES) assert.deepEqual(shape(await digest(lang)), shape(english), lang);
  });
}
