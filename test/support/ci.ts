// Whether the tests run in CI, as CI systems say it (CI=true, CI=1): there a test whose real peer is missing
// (Squid, exFAT by FUSE) fails instead of skipping, so an image without it cannot pass silently.
export function inCi(): boolean {
  const ci = process.env['CI'] ?? '';
  return ci !== '' && ci !== 'false' && ci !== '0';
}
