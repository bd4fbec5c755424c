// The summary's budget: whatever the sections hold, the summary fits GitHub's 1 MiB and says what it left out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitSummary } from '../../src/core/summary.ts';

const bytes = (s: string): number => Buffer.byteLength(s);

test('a summary that fits is left whole, with no notice', () => {
  const s = fitSummary(['# head', ''], ['### A\n\nsmall'], ['tail'], 'in the artifact', 1000);
  assert.equal(s, '# head\n\n### A\n\nsmall\ntail');
});

test('over the budget: head and tail kept, small sections whole, the big one cut at a line with its blocks closed', () => {
  const code = ['### Big', '', '<details><summary>Entries</summary>', '', '```sql', ...Array.from({ length: 5000 }, (_, i) => `SELECT ${i}; -- ${'é'.repeat(40)}`), '```', '</details>'].join('\n');
  const small = '### Small\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n';
  const s = fitSummary(['# head', ''], [code, small], ['**Artifact:** link'], 'in the artifact', 64 * 1024);
  assert.ok(bytes(s) <= 64 * 1024, `${bytes(s)} bytes`);
  assert.ok(s.startsWith('# head\n'));
  assert.ok(s.endsWith('**Artifact:** link'));
  assert.ok(s.includes(small), 'the small section is whole');
  const notice = /> This summary was cut to fit GitHub's 1 MiB limit: ([\d,]+) lines of "Big" left out\. Every file is complete in the artifact\./.exec(s);
  assert.ok(notice, s.slice(-500));
  // The notice is outside the code block and the <details>: every fence and tag opened before it is closed.
  const before = s.slice(0, notice.index);
  assert.equal((before.match(/^```/gm) ?? []).length % 2, 0, 'code fence closed');
  assert.equal((before.match(/<details>/g) ?? []).length, (before.match(/<\/details>/g) ?? []).length, '<details> closed');
  assert.match(before, /<\/details>\n\n/, 'a blank line ends the HTML block');
  assert.ok(Number(notice[1]!.replaceAll(',', '')) > 1000);
});

test('thirty sections cut: the notice names what fits and counts the rest, and the summary stays in its budget', () => {
  const section = (i: number): string => [`### Instance ${'ü'.repeat(50)} ${i}`, '', ...Array.from({ length: 400 }, (_, k) => `line ${k} ${'x'.repeat(100)}`)].join('\n');
  const sections = Array.from({ length: 30 }, (_, i) => section(i));
  const budget = 256 * 1024;
  const s = fitSummary(['# head', ''], sections, ['tail'], 'in the artifact', budget);
  assert.ok(bytes(s) <= budget, `${bytes(s)} bytes of ${budget}`);
  const notice = /> This summary was cut to fit GitHub's 1 MiB limit: (.*) left out\./.exec(s);
  assert.ok(notice, s.slice(-800));
  assert.match(notice[1]!, /^[\d,]+ lines of "Instance ü+ ?\d*", .*, and \d+ more sections$/);
  assert.ok(bytes(notice[1]!) <= 600);
});

test('a cut inside a ``` block whose text has a ~~~ line still closes the ``` block (a ~~~ line does not end it)', () => {
  // A log's statement may hold a line of tildes: inside a ``` block it is text, not a fence.
  const code = ['### Big', '', '```', '~~~', ...Array.from({ length: 3000 }, (_, i) => `SELECT ${i}; -- ${'x'.repeat(40)}`), '```'].join('\n');
  const s = fitSummary(['# head', ''], [code], ['tail'], 'in the artifact', 16 * 1024);
  const notice = s.indexOf('> [!NOTE]');
  assert.ok(notice > 0, s.slice(-300));
  assert.equal((s.slice(0, notice).match(/^```/gm) ?? []).length, 2, 'the ``` block opened is closed before the notice');
});

test('a summary exactly at its budget is left whole', () => {
  const whole = '# head\n\n### A\n\nsmall\ntail';
  assert.equal(fitSummary(['# head', ''], ['### A\n\nsmall'], ['tail'], 'in the artifact', bytes(whole)), whole);
});
