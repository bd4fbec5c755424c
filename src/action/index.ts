import { run } from './main.ts';
import { cancelOnSignals } from '../core/cancel.ts';
import { guardStream } from './logger.ts';

// Before anything prints: every line of this process, and of the worker threads piped into it, passes the gate.
guardStream(process.stdout, true);
guardStream(process.stderr, false);
const signal = cancelOnSignals();
await run({ signal });
// After a cancellation a request that cannot be aborted may still hold the event loop: the report is out.
if (signal.aborted) process.exit(process.exitCode ?? 1);
