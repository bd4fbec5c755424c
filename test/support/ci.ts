// Whether the tests run in CI, as CI systems say it (CI=true, CI=1): there a test whose real peer is missing
// (Squid, exFAT by FUSE) fails instead of skipping, so an image without it cannot pass silently.
export function inCi(): boolean {
  const ci = process.env['CI'] ?? '';
  return ci !== '' && ci !== 'false' && ci !== '0';
}

/**
 * For a test's `skip` when a real peer may be missing (`missing` says what and how to install it): skipped on a
 * developer's machine, run (and so failed) in CI.
 */
export function skipUnlessCi(missing: string | undefined): string | false {
  return missing !== undefined && !inCi() ? missing : false;
}
