import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cancelOnSignals } from '../../src/core/cancel.ts';

// The runner's cancel on Windows is Ctrl+C then Ctrl+Break (actions/runner ProcessInvoker: SendCtrlSignal
// CTRL_C, then CTRL_BREAK), which Node reports as SIGINT and SIGBREAK. Neither can be sent to a process on
// Linux, so the events are emitted here the way Node's signal handling emits them.
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGBREAK'] as const;

for (const sig of SIGNALS) {
  test(`${sig} cancels the run`, (t) => {
    const before = new Map(SIGNALS.map((s) => [s, process.listeners(s)]));
    // A grace far beyond the test: the exit timer must not end the test process.
    const signal = cancelOnSignals(2_000_000_000);
    const write = t.mock.method(process.stderr, 'write', () => true);
    process.emit(sig, sig);
    assert.equal(signal.aborted, true);
    assert.deepEqual(write.mock.calls.map((c) => c.arguments[0]), [`Received ${sig}: cancelling\n`]);
    // Leave the process as it was: the handlers still waiting for the other signals go.
    for (const s of SIGNALS) for (const l of process.listeners(s)) if (!before.get(s)?.includes(l)) process.removeListener(s, l as () => void);
  });
}
