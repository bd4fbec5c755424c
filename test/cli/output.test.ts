// The command line's report words what the engine marks: a file the timeout stopped names --timeout, in the text
// and in --json, while the action's wording stays as it was. (Each test file runs in its own process: the door's
// naming set here does not reach the others.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { digestBytes } from '../../src/insight/digest.ts';
import { OUT_OF_TIME } from '../../src/insight/incomplete.ts';
import { renderDigestMarkdown, stepAnnotations } from '../../src/insight/render.ts';
import { readFileSync } from 'node:fs';
import { fixture } from '../support/pg-fixtures.ts';
import { nameInputsAs } from '../../src/core/errors.ts';
import { newReport } from '../../src/core/run.ts';
import { jsonReport, renderText } from '../../src/cli/output.ts';
import type { ManyReport } from '../../src/core/many.ts';
import type { Digest } from '../../src/insight/digest.ts';

/** One instance's report that holds this digest, as the run leaves it for the doors. */
function manyOf(digest: Digest): ManyReport {
  return { runs: [{ ref: { by: 'id', id: 'abc' }, report: { ...newReport('/tmp/out'), digest }, error: undefined, settled: true }], artifact: undefined, outputDir: '/tmp/out' };
}

test("a file the timeout stopped: the action says 'timeout', the command line --timeout, in its text and its --json", async () => {
  const d = await digestBytes([Buffer.from('2026-11-28 08:00:01 UTC [1] ERROR:  x\n')], 'postgresql.log');
  d.files[0]!.stopped = OUT_OF_TIME;
  const many = manyOf(d);
  assert.match(renderDigestMarkdown(d), /was not read to the end \(the step's 'timeout' came first\)/);

  nameInputsAs((n) => `--${n}`);
  assert.match(renderText({ many, color: false, width: 100, redact: (t) => t }), /^postgresql\.log was not read to the end \(--timeout came first\); the file is kept as downloaded\.$/m);
  const json = JSON.parse(JSON.stringify(jsonReport({}, many, undefined))) as { digest: { files: Array<{ stopped: string }> } };
  assert.equal(json.digest.files[0]!.stopped, '--timeout came first');
  // The report's own digest is left as read.
  assert.equal(d.files[0]!.stopped, OUT_OF_TIME);
});

test("an error raised inside a function: its QUERY and CONTEXT (where in the function) are shown, in the command line's report and the annotation", async () => {
  const log = readFileSync(fixture('stderr-rds-prefix.log'));
  const d = await digestBytes([log], 'stderr-rds-prefix.log', { recent: 50 });
  const text = renderText({ many: manyOf(d), color: false, width: 200, redact: (t) => t });
  assert.match(text, /^ {4}QUERY: INSERT INTO audit_log VALUES \(1\)\n {4}CONTEXT: PL\/pgSQL function inline_code_block line 1 at EXECUTE$/m);
  // That entry alone (its group's example is another occurrence, and the fixture's FATALs take the ten annotations).
  const lines = log.toString('latin1').split('\n');
  const at = lines.findIndex((l) => l.endsWith('ERROR:  relation "audit_log" does not exist at character 13'));
  const one = await digestBytes([Buffer.from(lines.slice(at, at + 4).join('\n') + '\n', 'latin1')], 'stderr-rds-prefix.log');
  const [a] = stepAnnotations([{ digest: one }]);
  assert.ok(a, 'its annotation');
  assert.match(a.message, /\nQUERY: INSERT INTO audit_log VALUES \(1\)\nCONTEXT: /);
});
