import { constants } from 'node:os';
import { CancelledError } from './errors.ts';

/**
 * The runner cancels a step with SIGINT, then SIGTERM 7.5 s later, then kills it 2.5 s after that. On Windows it
 * sends Ctrl+C, then Ctrl+Break, which Node reports as SIGINT and SIGBREAK. Abort what is in flight at the
 * first of them; if the wind-down hangs on a request that cannot be aborted, leave anyway within 3 s, well
 * inside the 7.5 s before the second signal. A file-system call that hangs (a stalled network mount) is beyond
 * it: Node's exit waits for its thread pool, and then the runner's kill ends the step.
 * At a terminal and in other CI systems: SIGTERM is how GitLab, Jenkins and `timeout` cancel, SIGHUP a closed
 * terminal or a dropped SSH session; each winds down the same way, its part files removed.
 */
const CANCEL_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'];

/** The exit code for a run a signal ended, as shells report it: 128 + its number (130 for SIGINT, 143 for SIGTERM). */
export function signalExitCode(signal: AbortSignal): number {
  const sig = signal.reason instanceof CancelledError ? signal.reason.signal : undefined;
  return 128 + (sig ? constants.signals[sig] : constants.signals.SIGINT);
}

export function cancelOnSignals(graceMs = 2_500): AbortSignal {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) return;
    try {
      process.stderr.write(`Received ${sig}: cancelling\n`);
    } catch {
      // the terminal is gone
    }
    controller.abort(new CancelledError('cancelled', sig));
    setTimeout(() => process.exit(signalExitCode(controller.signal)), graceMs).unref();
  };
  for (const sig of CANCEL_SIGNALS) process.once(sig, onSignal);
  // A terminal that goes away makes writes to it fail (EIO), before SIGHUP reaches this process or instead of
  // it: that is the hangup, and an uncaught write error must not end the process before its part files are
  // removed. Other write errors (a closed pipe: `| head -1`) leave the output, not the run.
  const onWriteError = (e: NodeJS.ErrnoException): void => {
    if (e.code === 'EIO') onSignal('SIGHUP');
  };
  for (const s of [process.stdout, process.stderr]) s.on('error', onWriteError);
  return controller.signal;
}
