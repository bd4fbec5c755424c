// The action's entry: `node dist/index.js` as the runner starts it; run() is exported for GitHub's local-action,
// which imports the entry and calls run() itself.
import { run as runAction } from './main.ts';
import { cancelOnSignals } from '../core/cancel.ts';
import { guardStream } from '../core/command-guard.ts';
import { tuneMemory } from '../core/memory.ts';

export async function run(): Promise<void> {
  tuneMemory();
  // Before anything prints: every line of this process, and of the worker threads piped into it, passes the gate.
  guardStream(process.stdout, true);
  guardStream(process.stderr, false);
  const signal = cancelOnSignals();
  await runAction({ signal });
  // After a cancellation a request that cannot be aborted may still hold the event loop: the report is out.
  if (signal.aborted) process.exit(process.exitCode ?? 1);
}

// Imported (local-action) it waits to be called; started by the runner, it runs. Only an explicit `false`
// holds it back, so a Node that does not set import.meta.main still runs the action.
if (import.meta.main !== false) await run();
