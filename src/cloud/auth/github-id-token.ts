// The job's GitHub OIDC ID token, asked of the runner's token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL) through the
// action's own transport and retry policy: bounded by 'request-timeout' and 'timeout', retried as every other call
// is, through the proxy the others use. (@actions/core's getIDToken has no timeout and retries ten times, silently.)
import { ResponseError } from '../../core/errors.ts';
import { withRetry, type RetryOptions } from '../../core/retry.ts';
import type { HttpTransport } from '../http.ts';
import { callJson, checkedToken, requestIdOf } from '../rds.ts';

/** What the runner gives a job that may ask for an ID token (`permissions: id-token: write`). */
export interface IdTokenEndpoint {
  /** ACTIONS_ID_TOKEN_REQUEST_URL: carries its own query (api-version); the audience is appended. */
  url: string;
  /** ACTIONS_ID_TOKEN_REQUEST_TOKEN: a secret, sent only to that URL. */
  token: string;
}

export interface IdTokenClient {
  transport: HttpTransport;
  endpoint: IdTokenEndpoint;
  retry: RetryOptions;
  now: () => number;
  redact?: ((text: string) => string) | undefined;
}

export function requestIdToken(c: IdTokenClient, audience: string): Promise<string> {
  const url = new URL(c.endpoint.url);
  url.searchParams.set('audience', audience);
  const what = "GitHub's OIDC ID-token request";
  return withRetry(what, async () => {
    const { json, res } = await callJson({
      transport: c.transport,
      method: 'GET',
      url,
      authorize: undefined,
      what,
      headers: { Authorization: `Bearer ${c.endpoint.token}` },
      hint: (status) => (status === 401 || status === 403
        ? 'the runner refused to issue an ID token: does the job have `permissions: id-token: write`?'
        : undefined),
      now: c.now,
      redact: c.redact,
    });
    const value = json !== null && typeof json === 'object' ? (json as { value?: unknown }).value : undefined;
    if (typeof value !== 'string' || value === '') throw new ResponseError(`${what}: HTTP ${res.status} without a token in 'value'`, { requestId: requestIdOf(res) });
    return checkedToken(value, what, "a 'value'", res);
  }, c.retry);
}
