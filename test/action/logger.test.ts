// The gate in front of stdout and stderr: no line from hostile text is a workflow command by the runner's rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { defuse } from '../../src/core/command-guard.ts';
import { INJECTIONS, MARKER, injected, runnerCommands } from '../support/runner-commands.ts';

test('defuse: no form of command survives, at the start of a message or on any later line', () => {
  for (const form of INJECTIONS) {
    for (const message of [form, `shop-db\n${form}`, `shop-db\r${form}`, `shop-db\r\n${form}`, `a\n\nb ${form}`]) {
      assert.deepEqual(injected(defuse(message)), [], JSON.stringify(message));
    }
  }
  // The text stays readable: only the smuggling characters change.
  assert.equal(defuse('shop-db\n\t::add-mask::x'), 'shop-db\n\t: :add-mask::x');
  assert.equal(defuse('postgresql##[stop-commands]x.log'), 'postgresql## [stop-commands]x.log');
  assert.equal(defuse('a: b :: c'), 'a: b :: c');
  assert.equal(defuse('postgresql\u202Egol.exe \u009b2J'), 'postgresql\ufffdgol.exe \ufffd2J', 'bidi and C1 controls shown as U+FFFD');
});

// URLs, not paths: an import of a Windows path (C:\...) is not a URL.
const logger = new URL('../../src/action/logger.ts', import.meta.url).href;
const gate = new URL('../../src/core/command-guard.ts', import.meta.url).href;
const core = import.meta.resolve('@actions/core');

/** A process with the gate installed, as dist/index.js does; `body` prints through it. Its stdout and stderr. */
async function gated(body: string): Promise<{ stdout: string; stderr: string }> {
  const script = `
    import { actionsLogger } from ${JSON.stringify(logger)};
    import { guardStream } from ${JSON.stringify(gate)};
    import * as core from ${JSON.stringify(core)};
    import { Worker } from 'node:worker_threads';
    guardStream(process.stdout, true);
    guardStream(process.stderr, false);
    ${body}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(code, 0, stderr);
  return { stdout, stderr };
}

test('the gate: lines from the logger, from raw writes in pieces and from a worker thread are defused; core commands pass', async () => {
  const forms = JSON.stringify(INJECTIONS);
  const { stdout, stderr } = await gated(`
    const forms = ${forms};
    core.setSecret('s3cret-value');
    core.debug('a debug line');
    core.warning('an annotation', { title: 'T' });
    for (const f of forms) actionsLogger.info('name ' + f + '\\n' + f);
    for (const f of forms) { process.stdout.write(f.slice(0, 3)); process.stdout.write(f.slice(3) + '\\n'); }
    process.stdout.write('x #'); process.stdout.write('#[stop-commands]${MARKER}\\n');
    process.stdout.write(Buffer.from('caf\\u00e9 ').subarray(0, 4)); process.stdout.write(Buffer.from('caf\\u00e9 \\n').subarray(4));
    for (const f of forms) process.stderr.write(f + '\\n');
    // The upload thread's output reaches stdout the way core/workers.ts pipes it.
    const w = new Worker(\`for (const f of \${JSON.stringify(forms)}) process.stdout.write(f + '\\\\n');\`, { eval: true, stdout: true });
    w.stdout.pipe(process.stdout, { end: false });
    await new Promise((r) => w.stdout.once('end', r));
  `);
  assert.deepEqual(injected(stdout), [], stdout);
  assert.deepEqual(injected(stderr), [], stderr);
  assert.deepEqual(runnerCommands(stdout).map((c) => `${c.name} ${c.data}`), ['add-mask s3cret-value', 'debug a debug line', 'warning an annotation']);
  assert.match(stdout, /café \n/, 'a character cut between two writes arrives whole');
  assert.equal(stdout.split(MARKER).length - 1, INJECTIONS.length * 4 + 1, 'every line still printed, only defused');
});

test("annotations: the logger defuses their message and title too, not only the gate's line starts", async () => {
  // Inside an annotation the runner reads neither form (its line is the annotation), but what the action says
  // of itself holds for every message: no '##[' and no line-starting '::' from hostile text, shown or not.
  const { stdout } = await gated(`
    actionsLogger.warning('x ##[add-path]/tmp/evil\\n::set-env name=A::b', { title: 'T ##[stop-commands]${MARKER}' });
    actionsLogger.error('y ##[add-path]/tmp/evil', { title: '##[add-mask]z' });
  `);
  const lines = stdout.split('\n').filter((l) => l.startsWith('::warning') || l.startsWith('::error'));
  assert.equal(lines.length, 2, stdout);
  for (const l of lines) assert.doesNotMatch(l, /##\[/, l);
  assert.match(lines[0]!, /## \[add-path\]\/tmp\/evil%0A: :set-env name=A::b$/);
  assert.match(lines[0]!, /title=T ## \[stop-commands\]/);
});
