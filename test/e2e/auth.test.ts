// Authentication end to end: the bundle as the runner runs it, against the RDS emulator, the IAM emulator and
// the runner's OIDC token endpoint over real sockets. Each mode works; each failure is refused by the
// emulators (never judged by the client), reported with its code, and never retried; no secret is printed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { ACCOUNT, CI_USER, IDP, iamFixture, leaked, SUB_PROJECT, subProjectIam, withRig, type Rig } from '../support/harness.ts';
import type { ActionRun } from '../support/harness.ts';

const NO_TOKEN = { token: '' };
const AKSK = { ...NO_TOKEN, 'access-key': CI_USER.accessKey, 'secret-key': CI_USER.secretKey };
const PASSWORD = { ...NO_TOKEN, username: CI_USER.name, password: CI_USER.password, domain: ACCOUNT.name };
const OIDC = { ...NO_TOKEN, 'identity-provider': IDP };

function errors(r: ActionRun): string[] {
  return r.log.split('\n').filter((l) => l.startsWith('::error::'));
}

function assertSucceeded(rig: Rig, r: ActionRun): void {
  assert.equal(r.code, 0, r.log.slice(-3000));
  assert.equal(r.outputs['status'], 'FINISH');
  assert.equal(r.outputs['file-count'], '1');
  assert.equal(leaked(rig, r), undefined, 'no secret in the log, summary or outputs');
}

/** Exactly one error line, matching `pattern`; nothing printed that is secret. */
function assertFailed(rig: Rig, r: ActionRun, pattern: RegExp, secrets: Array<[string, string]> = []): void {
  assert.equal(r.code, 1, r.log.slice(-3000));
  const lines = errors(r);
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0]!, pattern);
  assert.equal(leaked(rig, r, secrets), undefined, 'no secret in the log, summary or outputs');
}

/** The signed header names of an SDK-HMAC-SHA256 Authorization header. */
function signedHeaders(h: IncomingHttpHeaders): string[] {
  return /SignedHeaders=([^,]+)/.exec(h.authorization ?? '')?.[1]?.split(';') ?? [];
}

/** A project-scoped token from the IAM emulator, as a user would paste into 'token'. */
async function issuedToken(rig: Rig, project = 'eu-de'): Promise<string> {
  const body = { auth: { identity: { methods: ['password'], password: { user: { name: CI_USER.name, password: CI_USER.password, domain: { name: ACCOUNT.name } } } }, scope: { project: { name: project } } } };
  const res = await fetch(`${rig.iam!.url}/v3/auth/tokens`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 201);
  rig.iam!.state.requests.length = 0;
  return res.headers.get('x-subject-token') ?? '';
}

describe('auth mode token', { concurrency: 4 }, () => {
  test('without project-id: the project id is looked up in IAM with the token, among its own projects (no permission needed)', async () => {
    // Credentials that may not list the account's projects: GET /v3/auth/projects needs no permission.
    await withRig({ iam: iamFixture({ listProjectsDenied: true }) }, async (rig) => {
      const token = await issuedToken(rig);
      const r = await rig.run({ inputs: { token, 'project-id': '' } });
      assertSucceeded(rig, r);
      const [lookup, ...more] = rig.iam!.state.requests;
      assert.equal(more.length, 0, 'one IAM request');
      assert.equal(lookup?.method, 'GET');
      assert.equal(lookup?.path, '/v3/auth/projects');
      assert.equal(lookup?.headers['x-auth-token'], token);
      assert.match(r.log, new RegExp(`Project ${rig.rds.projectId}, found by its name 'eu-de'`));
      assert.ok(rig.rds.apiRequests.every((q) => q.path.startsWith(`/v3/${rig.rds.projectId}/`) && q.headers['x-auth-token'] === token));
    });
  });

  test('project-id given: IAM is not asked', async () => {
    await withRig({ iam: iamFixture() }, async (rig) => {
      const r = await rig.run();
      assertSucceeded(rig, r);
      assert.equal(rig.iam!.state.requests.length, 0);
    });
  });
});

describe('auth mode AK/SK', { concurrency: 4 }, () => {
  test('every RDS request is signed, with X-Project-Id signed too; no token is sent, IAM is not asked', async () => {
    await withRig({ iam: iamFixture() }, async (rig) => {
      const r = await rig.run({ inputs: AKSK });
      assertSucceeded(rig, r);
      assert.equal(rig.rds.apiRequests.length, 3, 'instance check, CREATING, FINISH');
      for (const q of rig.rds.apiRequests) {
        assert.match(q.headers.authorization ?? '', new RegExp(`^SDK-HMAC-SHA256 Access=${CI_USER.accessKey}, SignedHeaders=`));
        assert.deepEqual(signedHeaders(q.headers), ['content-type', 'host', 'x-project-id', 'x-sdk-date']);
        assert.equal(q.headers['x-project-id'], rig.rds.projectId);
        assert.equal(q.headers['x-auth-token'], undefined);
      }
      assert.equal(rig.iam!.state.requests.length, 0);
      assert.ok(rig.rds.fileRequests.every((q) => q.headers.authorization === undefined), 'no signature to the download host');
    });
  });

  test('without project-id: the project lookup in IAM is signed (without X-Project-Id)', async () => {
    await withRig({ iam: iamFixture() }, async (rig) => {
      const r = await rig.run({ inputs: { ...AKSK, 'project-id': '' } });
      assertSucceeded(rig, r);
      const [lookup] = rig.iam!.state.requests;
      assert.equal(rig.iam!.state.requests.length, 1);
      assert.equal(`${lookup?.path}?${lookup?.query}`, '/v3/projects?name=eu-de');
      assert.equal(lookup?.status, 200);
      assert.deepEqual(signedHeaders(lookup!.headers), ['content-type', 'host', 'x-sdk-date']);
      assert.equal(rig.rds.apiRequests[0]?.headers['x-project-id'], rig.rds.projectId);
    });
  });

  test('temporary keys: X-Security-Token is sent and signed; a wrong one is refused once', async () => {
    const securityToken = 'gQpjbi1ub3J0aC00RU1VTEFUT1JTRUNVUklUWVRPS0VO';
    await withRig({ iam: iamFixture(), securityTokens: { [CI_USER.accessKey]: securityToken } }, async (rig) => {
      const r = await rig.run({ inputs: { ...AKSK, 'security-token': securityToken } });
      assertSucceeded(rig, r);
      assert.ok(rig.rds.apiRequests.every((q) => q.headers['x-security-token'] === securityToken && signedHeaders(q.headers).includes('x-security-token')));
      assert.equal(leaked(rig, r, [['the security token', securityToken]]), undefined);

      rig.rds.apiRequests.length = 0;
      const wrong = 'gQpjbi1ub3J0aC00V1JPTkdTRUNVUklUWVRPS0VO';
      const bad = await rig.run({ inputs: { ...AKSK, 'security-token': wrong } });
      assertFailed(rig, bad, /HTTP 401 APIG\.0301: Incorrect IAM authentication information: the security token/, [['the wrong security token', wrong]]);
      assert.equal(rig.rds.apiRequests.length, 1, 'not retried');
    });
  });

  test('a wrong secret key (a signature that does not verify) is refused: HTTP 401 APIG.0301, one request', async () => {
    const wrongKey = 'SkEmulatorSecretKey00000000000000000002';
    await withRig({ iam: iamFixture() }, async (rig) => {
      const r = await rig.run({ inputs: { ...AKSK, 'secret-key': wrongKey } });
      assertFailed(rig, r, /RDS instance lookup failed: HTTP 401 APIG\.0301: Incorrect IAM authentication information: verify aksk signature fail .*The AK\/SK signature was refused: check 'access-key' and 'secret-key'.*Five failures lock the key/, [['the wrong secret key', wrongKey]]);
      assert.equal(rig.rds.apiRequests.length, 1, 'exactly one request: a failed signature is never retried');
      assert.doesNotMatch(r.log, /retrying/);
    });
  });

  test('an unknown access key is refused once, and the key is not printed', async () => {
    await withRig({ iam: iamFixture() }, async (rig) => {
      const r = await rig.run({ inputs: { ...AKSK, 'access-key': 'AKUNKNOWN00000000001' } });
      // The gateway's message quotes the access key; the action masks it like any credential.
      assertFailed(rig, r, /HTTP 401 APIG\.0301: Incorrect IAM authentication information: Get secretKey failed,ak:\*\*\*,err:ak not exist/, [['the access key', 'AKUNKNOWN00000000001']]);
      assert.equal(rig.rds.apiRequests.length, 1);
    });
  });

  test('a stale X-Sdk-Date (the API clock 20 minutes ahead) is refused: HTTP 401 APIG.0301, one request', async () => {
    await withRig({ iam: iamFixture(), now: () => Date.now() + 20 * 60_000 }, async (rig) => {
      const r = await rig.run({ inputs: AKSK });
      assertFailed(rig, r, /HTTP 401 APIG\.0301: Incorrect IAM authentication information: verify aksk signature fail, x-sdk-date \d{8}T\d{6}Z is more than 15 minutes from the server time.*clock of the machine it runs on \(in a workflow, the runner's/);
      assert.equal(rig.rds.apiRequests.length, 1);
    });
  });

  test('the same clock skew within 15 minutes is accepted', async () => {
    await withRig({ iam: iamFixture(), now: () => Date.now() + 10 * 60_000 }, async (rig) => {
      assertSucceeded(rig, await rig.run({ inputs: AKSK }));
    });
  });
});

describe('auth mode IAM password', { concurrency: 4 }, () => {
  test('without project-id: a token scoped to the region\'s project; the project id comes from the token', async () => {
    await withRig({ iam: iamFixture() }, async (rig) => {
      const r = await rig.run({ inputs: { ...PASSWORD, 'project-id': '' } });
      assertSucceeded(rig, r);
      assert.equal(rig.iam!.state.requests.length, 1, 'one sign-in, no project lookup');
      const [signIn] = rig.iam!.state.requests;
      assert.equal(`${signIn?.method} ${signIn?.path}?${signIn?.query}`, 'POST /v3/auth/tokens?nocatalog=true');
      assert.equal(signIn?.status, 201);
      const [token] = rig.iam!.state.tokens.values();
      assert.equal(token?.project.name, 'eu-de');
      assert.ok(rig.rds.apiRequests.every((q) => q.headers['x-auth-token'] === token?.token));
      assert.match(r.log, new RegExp(`Signed in with IAM user 'ci-bot' of account '${ACCOUNT.name}'`));
      assert.match(r.log, new RegExp(`Project ${rig.rds.projectId}, from the token`));
      assert.match(r.log, new RegExp(`::add-mask::${token?.token}`), 'the issued token is masked');
    });
  });

  test('with project-id: the token is scoped by that id', async () => {
    await withRig({ iam: iamFixture() }, async (rig) => {
      const r = await rig.run({ inputs: PASSWORD });
      assertSucceeded(rig, r);
      const [token] = rig.iam!.state.tokens.values();
      assert.equal(token?.project.id, rig.rds.projectId);
    });
  });

  test('a wrong password fails naming the IAM error, after one IAM call and no RDS call', async () => {
    await withRig({ iam: iamFixture() }, async (rig) => {
      const r = await rig.run({ inputs: { ...PASSWORD, password: 'Not-the-passw0rd' } });
      assertFailed(rig, r, /IAM password sign-in failed: HTTP 401 IAM\.0001: The request you have made requires authentication\. \(request id [0-9a-f]{32}\)\. IAM refused the sign-in: check 'username', 'password' and 'domain'/, [['the wrong password', 'Not-the-passw0rd']]);
      assert.equal(rig.iam!.state.requests.length, 1);
      assert.equal(rig.rds.apiRequests.length, 0);
    });
  });

  test('a region whose project the account lacks fails at sign-in, naming the project scope', async () => {
    await withRig({ iam: iamFixture({ projects: [] }) }, async (rig) => {
      const r = await rig.run({ inputs: { ...PASSWORD, 'project-id': '' } });
      assertFailed(rig, r, /IAM password sign-in failed: HTTP 401 IAM\.0001.*the project exists in that account/);
      assert.equal(rig.iam!.state.requests.length, 1);
    });
  });
});

describe('a sub-project by name (project-name)', { concurrency: 4 }, () => {
  // The instance lives in the sub-project; the region's own project is another one, so using it fails.
  const SUB = SUB_PROJECT;
  const subRig = { projectId: SUB.id, iam: subProjectIam() };
  const BY_NAME = { 'project-id': '', 'project-name': SUB.name };

  test('password: the token is scoped to the sub-project by its name; its id comes from the token', async () => {
    await withRig(subRig, async (rig) => {
      const r = await rig.run({ inputs: { ...PASSWORD, ...BY_NAME } });
      assertSucceeded(rig, r);
      const [token] = rig.iam!.state.tokens.values();
      assert.equal(token?.project.name, SUB.name);
      assert.match(r.log, new RegExp(`Project ${SUB.id}, from the token`));
      assert.ok(rig.rds.apiRequests.every((q) => q.path.startsWith(`/v3/${SUB.id}/`)));
    });
  });

  test('token: the sub-project is found among the token\'s own projects by its name', async () => {
    await withRig(subRig, async (rig) => {
      const token = await issuedToken(rig, SUB.name);
      const r = await rig.run({ inputs: { token, ...BY_NAME } });
      assertSucceeded(rig, r);
      assert.equal(rig.iam!.state.requests[0]?.path, '/v3/auth/projects');
      assert.match(r.log, new RegExp(`Project ${SUB.id}, found by its name '${SUB.name}'`));
      assert.ok(rig.rds.apiRequests.every((q) => q.path.startsWith(`/v3/${SUB.id}/`)));
    });
  });

  test('AK/SK: the lookup asks IAM for the sub-project\'s name', async () => {
    await withRig(subRig, async (rig) => {
      const r = await rig.run({ inputs: { ...AKSK, ...BY_NAME } });
      assertSucceeded(rig, r);
      const [lookup] = rig.iam!.state.requests;
      assert.equal(`${lookup?.path}?${lookup?.query}`, `/v3/projects?name=${SUB.name}`);
      assert.ok(rig.rds.apiRequests.every((q) => q.headers['x-project-id'] === SUB.id));
    });
  });

  test('a name the credentials do not have fails at the lookup, naming it; a name of another region before any request', async () => {
    await withRig(subRig, async (rig) => {
      const r = await rig.run({ inputs: { ...AKSK, 'project-id': '', 'project-name': 'eu-de_missing' } });
      assertFailed(rig, r, /IAM lists no project named 'eu-de_missing' for these credentials; check 'project-name'/);
      assert.equal(rig.rds.apiRequests.length, 0);
      rig.iam!.state.requests.length = 0;
      const other = await rig.run({ inputs: { ...AKSK, 'project-id': '', 'project-name': 'eu-nl_reporting' } });
      assertFailed(rig, other, /Input 'project-name': 'eu-nl_reporting' is not a project of region 'eu-de': its projects are named 'eu-de' or 'eu-de_<name>'; set 'region' to the project's region/);
      assert.equal(rig.iam!.state.requests.length + rig.rds.apiRequests.length, 0, 'no request');
    });
  });
});

describe('auth mode OIDC', { concurrency: 4 }, () => {
  test("an answer that names no project (OTC's own example): the project is found among the token's own, with no permission to list the account's", async () => {
    await withRig({ iam: iamFixture({ oidcBodyWithoutProject: true, listProjectsDenied: true }) }, async (rig) => {
      const r = await rig.run({ inputs: { ...OIDC, 'project-id': '' } });
      assertSucceeded(rig, r);
      assert.deepEqual(rig.iam!.state.requests.map((q) => `${q.method} ${q.path} ${q.status}`), ['POST /v3.0/OS-AUTH/id-token/tokens 201', 'GET /v3/auth/projects 200']);
      assert.match(r.log, new RegExp(`Project ${rig.rds.projectId}, found by its name 'eu-de'`));
    });
  });

  test('the job\'s GitHub ID token is exchanged at IAM with X-Idp-Id', async () => {
    await withRig({ iam: iamFixture() }, async (rig) => {
      const r = await rig.run({ inputs: { ...OIDC, 'project-id': '' } });
      assertSucceeded(rig, r);
      // The default audience is the IAM endpoint's host name: here the loopback IAM emulator's.
      assert.deepEqual(rig.oidc!.requests, [{ audience: '127.0.0.1', authorized: true }]);
      const [exchange, ...more] = rig.iam!.state.requests;
      assert.equal(more.length, 0);
      assert.equal(`${exchange?.method} ${exchange?.path}`, 'POST /v3.0/OS-AUTH/id-token/tokens');
      assert.equal(exchange?.headers['x-idp-id'], IDP);
      assert.equal(exchange?.status, 201);
      const [token] = rig.iam!.state.tokens.values();
      assert.equal(token?.methods[0], 'mapped');
      assert.ok(rig.rds.apiRequests.every((q) => q.headers['x-auth-token'] === token?.token));
      assert.match(r.log, /Signed in with GitHub OIDC through identity provider 'github-actions' \(audience '127\.0\.0\.1'\)/);
      assert.equal(rig.oidc!.issued.length, 1);
    });
  });

  test('an audience the identity provider does not expect is refused by IAM, and the error says what to check', async () => {
    await withRig({ iam: iamFixture() }, async (rig) => {
      const r = await rig.run({ inputs: { ...OIDC, audience: 'sts.example' } });
      assertFailed(rig, r, /IAM OIDC sign-in failed: HTTP 401 IAM\.0001.*client ID 'sts\.example' \(from 'audience'\)/);
      assert.deepEqual(rig.oidc!.requests.map((q) => q.audience), ['sts.example']);
      assert.equal(rig.iam!.state.requests.length, 1);
      assert.equal(rig.rds.apiRequests.length, 0);
    });
  });

  test('an unknown identity provider: 404 naming the input', async () => {
    await withRig({ iam: iamFixture() }, async (rig) => {
      const r = await rig.run({ inputs: { ...OIDC, 'identity-provider': 'gitlab' } });
      assertFailed(rig, r, /IAM OIDC sign-in failed: HTTP 404 IAM\.0004.*knows no identity provider 'gitlab': check 'identity-provider'/);
    });
  });

  test('the ID-token request is retried by the action\'s own policy: a 503 from the runner is logged and tried again', async () => {
    await withRig({ iam: iamFixture(), githubOidc: { faults: [503] } }, async (rig) => {
      const r = await rig.run({ inputs: { ...OIDC, 'project-id': '' } });
      assertSucceeded(rig, r);
      assert.equal(rig.oidc!.requests.length, 2);
      assert.match(r.log, /GitHub's OIDC ID-token request failed: HTTP 503.*retrying/i);
    });
  });

  test('the ID-token request is bounded by request-timeout and timeout: an endpoint that never answers fails the step naming it', async () => {
    await withRig({ iam: iamFixture(), githubOidc: { faults: ['stall', 'stall', 'stall', 'stall', 'stall', 'stall'] } }, async (rig) => {
      const r = await rig.run({ inputs: { ...OIDC, timeout: '5s', 'request-timeout': '1s' } });
      // An attempt begun just before 'timeout' (5 s) may still be waiting when the deadline (6 s) ends it.
      assertFailed(rig, r, /GitHub's OIDC ID-token request: gave up after \d+ attempts.*socket timeout|'timeout' \(5s\) and one 'request-timeout' \(1s\) ran out during GET http:\/\/127\.0\.0\.1:\d+\/_apis\/distributedtask\/hubs\/Actions\/.*idtoken/);
      // Stalled attempts were ended by the socket timer and tried again, not waited on for ever.
      assert.ok(rig.oidc!.requests.length >= 2, `requests: ${rig.oidc!.requests.length}`);
      assert.equal(rig.iam!.state.requests.length + rig.rds.apiRequests.length, 0);
    });
  });

  test('a runner that refuses the ID-token request (403) is not retried, and the error says what to check', async () => {
    await withRig({ iam: iamFixture(), githubOidc: { faults: [403] } }, async (rig) => {
      const r = await rig.run({ inputs: OIDC });
      assertFailed(rig, r, /HTTP 403.*permissions: id-token: write/);
      assert.equal(rig.oidc!.requests.length, 1);
    });
  });

  test('without ACTIONS_ID_TOKEN_REQUEST_URL (no id-token: write) it fails before any request, saying so', async () => {
    await withRig({ iam: iamFixture() }, async (rig) => {
      const r = await rig.run({ inputs: OIDC, env: { ACTIONS_ID_TOKEN_REQUEST_URL: '' } });
      assertFailed(rig, r, /Input 'identity-provider': .*ACTIONS_ID_TOKEN_REQUEST_URL is not set: add `permissions: id-token: write`/);
      assert.equal(rig.oidc!.requests.length + rig.iam!.state.requests.length + rig.rds.apiRequests.length, 0);
    });
  });
});

test('wrong combinations of inputs fail before any request, naming the inputs', async () => {
  await withRig({ iam: iamFixture() }, async (rig) => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ 'access-key': CI_USER.accessKey }, /Inputs 'token' and 'access-key': belong to 2 auth modes \(token, AK\/SK\)/],
      [{ ...NO_TOKEN, 'access-key': CI_USER.accessKey }, /Input 'secret-key': is required with 'access-key' \(AK\/SK auth\)/],
      [{ ...NO_TOKEN, username: CI_USER.name }, /Inputs 'password' and 'domain': are required with 'username'/],
      [{ ...PASSWORD, 'identity-provider': IDP }, /belong to 2 auth modes \(IAM password, OIDC\)/],
      [{ ...NO_TOKEN, 'security-token': 'st-123456' }, /Inputs 'access-key' and 'secret-key': are required with 'security-token'/],
      [NO_TOKEN, /none is set/],
      [{ 'instance-id': `${rig.rds.instanceId},${rig.rds.instanceId}` }, /Input 'instance-id': names '\w+' twice/],
    ];
    for (const [inputs, pattern] of cases) {
      const r = await rig.run({ inputs });
      assertFailed(rig, r, pattern);
    }
    assert.equal(rig.rds.apiRequests.length, 0, 'no request reached RDS');
    assert.equal(rig.iam!.state.requests.length, 0, 'no request reached IAM');
    assert.equal(rig.oidc!.requests.length, 0, 'no ID token was asked for');
  });
});
