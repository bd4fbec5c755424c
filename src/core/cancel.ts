/**
 * The runner cancels a step with SIGINT, then SIGTERM 7.5 s later. Abort what is in flight at once; if the
 * wind-down hangs on a request that cannot be aborted, leave anyway within 3 s.
 */
export function cancelOnSignals(graceMs = 2_500): AbortSignal {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) return;
    process.stderr.write(`Received ${sig}: cancelling\n`);
    controller.abort();
    setTimeout(() => process.exit(130), graceMs).unref();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return controller.signal;
}
