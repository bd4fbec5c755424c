import { run } from './main.ts';
import { cancelOnSignals } from '../core/cancel.ts';

const signal = cancelOnSignals();
await run({ signal });
// After a cancellation a request that cannot be aborted may still hold the event loop: the report is out.
if (signal.aborted) process.exit(process.exitCode ?? 1);
