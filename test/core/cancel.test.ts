import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cancelOnSignals, signalExitCode } from '../../src/core/cancel.ts';

// The runner's cancel on Windows is Ctrl+C then Ctrl+Break (actions/runner ProcessInvoker: SendCtrlSignal
// CTRL_C, then CTRL_BREAK), which Node reports as SIGINT and SIGBREAK. Neither can be sent to a process on
// Linux, so the events are emitted here the way Node's signal handling emits them.
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGBREAK'] as const;

/** After the test (passed or not), the process as it was: only the listeners cancelOnSignals added go. */
function keepListeners(t: TestContext): void {
  const signals = [...SIGNALS, 'SIGHUP'] as const;
  const before = new Map(signals.map((s) => [s, process.listeners(s)]));
  const streams = [process.stdout, process.stderr];
  const errorsBefore = streams.map((s) => s.listeners('error'));
  t.after(() => {
    for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)!.includes(l)) process.removeListener(s, l as () => void);
    streams.forEach((s, i) => { for (const l of s.listeners('error')) if (!errorsBefore[i]!.includes(l)) s.removeListener('error', l as () => void); });
  });
}

for (const sig of SIGNALS) {
  test(`${sig} cancels the run`, (t) => {
    keepListeners(t);
    // A grace far beyond the test: the exit timer must not end the test process.
    const signal = cancelOnSignals(2_000_000_000);
    const write = t.mock.method(process.stderr, 'write', () => true);
    process.emit(sig, sig);
    assert.equal(signal.aborted, true);
    assert.deepEqual(write.mock.calls.map((c) => c.arguments[0]), [`Received ${sig}: cancelling\n`]);
  });
}

test('a write that fails with EIO (the terminal gone, before its SIGHUP arrives) cancels as a hangup, not as a crash', (t) => {
  keepListeners(t);
  const signal = cancelOnSignals(2_000_000_000);
  t.mock.method(process.stderr, 'write', () => true);
  process.stderr.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' }));
  assert.equal(signal.aborted, true);
  assert.equal(signalExitCode(signal), 129);
});

test('a wind-down that hangs on something that cannot be aborted still ends the process, with 130', async () => {
  // A real process: cancelOnSignals with a short grace, then a handle that never closes (a request that ignores
  // the abort). SIGINT must end it by itself, with the interrupted exit code, not wait for the runner's kill.
  const script = `import { cancelOnSignals } from ${JSON.stringify(new URL('../../src/core/cancel.ts', import.meta.url).href)};
cancelOnSignals(300);
setInterval(() => {}, 1_000);
process.stdout.write('ready\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdout.once('data', () => child.kill('SIGINT'));
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code, signal] = await once(child, 'exit') as [number | null, NodeJS.Signals | null];
  clearTimeout(killer);
  assert.equal(signal, null, `killed (${signal}): ${stderr}`);
  assert.equal(code, 130, stderr);
  assert.match(stderr, /^Received SIGINT: cancelling$/m);
});
