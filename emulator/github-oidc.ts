// A stand-in for the Actions runtime's OIDC token endpoint, so that the action's real core.getIDToken runs:
// it GETs `${ACTIONS_ID_TOKEN_REQUEST_URL}&audience=<aud>` with `Authorization: Bearer
// ${ACTIONS_ID_TOKEN_REQUEST_TOKEN}` and reads `{"value": "<JWT>"}`. The JWT carries GitHub's issuer and the
// claims a workflow run's token has (repository, ref, sub, ...); its signature is filler, as the IAM emulator
// does not verify signatures. Loopback only.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GITHUB_OIDC_ISSUER } from './iam.ts';

export interface GithubOidcOptions {
  /** Claims to add or override (repository, ref, ...). */
  claims?: Record<string, unknown>;
  /** The emulator's clock, for iat/nbf/exp. */
  now?: () => number;
  /** Faults for the next requests, one each in order: an HTTP status to answer with, or 'stall' (never answer). */
  faults?: Array<number | 'stall'>;
}

export interface GithubOidc {
  /** ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN, as the runner sets them. */
  env: Record<string, string>;
  /** Every request: the audience asked for, and whether the bearer token was right. */
  requests: Array<{ audience: string | null; authorized: boolean }>;
  /** Every JWT handed out (secrets: none may be printed). */
  issued: string[];
  close(): Promise<void>;
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export async function startGithubOidc(o: GithubOidcOptions = {}): Promise<GithubOidc> {
  const requestToken = randomBytes(24).toString('hex');
  const requests: GithubOidc['requests'] = [];
  const issued: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://oidc.invalid');
    const authorized = req.headers.authorization === `Bearer ${requestToken}`;
    const audience = url.searchParams.get('audience');
    requests.push({ audience, authorized });
    const fault = o.faults?.shift();
    if (fault === 'stall') return; // headers never come: only the client's own timers end this request
    if (fault !== undefined) {
      res.writeHead(fault, { 'Content-Type': 'application/json' });
      return void res.end(`{"message":"fault ${fault}"}`);
    }
    if (!authorized) {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      return void res.end('{"message":"bad request token"}');
    }
    const now = Math.floor((o.now ?? Date.now)() / 1000);
    const claims = {
      iss: GITHUB_OIDC_ISSUER,
      // Without ?audience GitHub's default is the repository owner's URL.
      aud: audience ?? 'https://github.com/acme',
      sub: 'repo:acme/shop:ref:refs/heads/main',
      repository: 'acme/shop',
      repository_owner: 'acme',
      ref: 'refs/heads/main',
      workflow: 'deploy',
      event_name: 'push',
      jti: randomBytes(8).toString('hex'),
      iat: now,
      nbf: now - 5,
      exp: now + 300,
      ...o.claims,
    };
    const jwt = `${b64url({ alg: 'RS256', typ: 'JWT', kid: 'emulator' })}.${b64url(claims)}.${randomBytes(64).toString('base64url')}`;
    issued.push(jwt);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ count: 1, value: jwt }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    env: {
      // The real URL carries its own query (api-version), to which core.getIDToken appends '&audience='.
      ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/_apis/distributedtask/hubs/Actions/plans/p1/jobs/j1/idtoken?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
    },
    requests,
    issued,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
