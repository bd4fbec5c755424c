/**
 * The runner cancels a step with SIGINT, then SIGTERM 7.5 s later, then kills it 2.5 s after that. On Windows it
 * sends Ctrl+C, then Ctrl+Break, which Node reports as SIGINT and SIGBREAK. Abort what is in flight at the
 * first of them; if the wind-down hangs on a request that cannot be aborted, leave anyway within 3 s, well
 * inside the 7.5 s before the second signal. A file-system call that hangs (a stalled network mount) is beyond
 * it: Node's exit waits for its thread pool, and then the runner's kill ends the step.
 */
const CANCEL_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGBREAK'];

export function cancelOnSignals(graceMs = 2_500): AbortSignal {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) return;
    process.stderr.write(`Received ${sig}: cancelling\n`);
    controller.abort();
    setTimeout(() => process.exit(130), graceMs).unref();
  };
  for (const sig of CANCEL_SIGNALS) process.once(sig, onSignal);
  return controller.signal;
}
