import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createIamHandler, createIamState, GITHUB_OIDC_ISSUER, validateToken } from '../../emulator/iam.ts';
import type { IamDomain, IamState } from '../../emulator/iam.ts';
import { signRequest } from '../../src/cloud/auth/signer.ts';

const DOMAIN: IamDomain = { id: 'dom-1', name: 'OTC-EU-DE-00000000001' };
const OTHER_DOMAIN: IamDomain = { id: 'dom-2', name: 'OTC-EU-DE-00000000002' };
const START = Date.parse('2025-03-01T10:00:00.000Z');
const HOUR = 60 * 60 * 1000;

interface Emulator {
  state: IamState;
  base: string;
  clock: { ms: number };
}

async function startIam(t: TestContext): Promise<Emulator> {
  const clock = { ms: START };
  const state = createIamState({
    users: [
      { id: 'u-1', name: 'ci-bot', password: 's3cret!', domain: DOMAIN, accessKeys: { AKEXAMPLE: 'SKEXAMPLE' } },
      { id: 'u-2', name: 'ci-bot', password: 'other', domain: OTHER_DOMAIN },
    ],
    projects: [
      { id: 'p-eu-de', name: 'eu-de', domainId: DOMAIN.id },
      { id: 'p-sub', name: 'eu-de_logs', domainId: DOMAIN.id },
      { id: 'p-other', name: 'eu-de', domainId: OTHER_DOMAIN.id },
    ],
    identityProviders: [{ id: 'github-oidc', domain: DOMAIN, audience: 'otc-iam' }],
    catalog: [{ type: 'rdsv3', name: 'rdsv3', url: 'http://127.0.0.1:9/v3/{project_id}' }],
    now: () => new Date(clock.ms),
  });
  const server = createServer(createIamHandler(state));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { state, base: `http://127.0.0.1:${port}`, clock };
}

interface Answer {
  status: number;
  headers: Headers;
  json: any;
}

async function call(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text === '' ? undefined : JSON.parse(text) };
}

function passwordBody(overrides: { name?: string; password?: string; domain?: string; scope?: unknown } = {}): string {
  return JSON.stringify({
    auth: {
      identity: {
        methods: ['password'],
        password: {
          user: {
            name: overrides.name ?? 'ci-bot',
            password: overrides.password ?? 's3cret!',
            domain: { name: overrides.domain ?? DOMAIN.name },
          },
        },
      },
      scope: 'scope' in overrides ? overrides.scope : { project: { name: 'eu-de' } },
    },
  });
}

const postJson = (body: string, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json;charset=utf8', ...headers },
  body,
});

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A JWT shaped like GitHub's; the signature part is filler (the emulator does not verify it). */
function githubJwt(claims: Record<string, unknown> = {}, header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT', kid: 'k1' }): string {
  const payload = {
    iss: GITHUB_OIDC_ISSUER,
    aud: 'otc-iam',
    sub: 'repo:octo/app:ref:refs/heads/main',
    iat: START / 1000 - 60,
    nbf: START / 1000 - 60,
    exp: START / 1000 + 300,
    ...claims,
  };
  return `${b64url(header)}.${b64url(payload)}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk`;
}

function oidcBody(jwt: string, scope: unknown = { project: { name: 'eu-de' } }): string {
  return JSON.stringify({ auth: { id_token: { id: jwt }, scope } });
}

const UNAUTHORIZED_BODY = {
  error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' },
  error_msg: 'The request you have made requires authentication.',
  error_code: 'IAM.0001',
};

test('password token, project by name: 201, X-Subject-Token, project, expiry and catalog', async (t) => {
  const { state, base } = await startIam(t);
  const answer = await call(`${base}/v3/auth/tokens`, postJson(passwordBody()));
  assert.equal(answer.status, 201);
  const token = answer.headers.get('x-subject-token') ?? '';
  assert.match(token, /^[0-9a-f]{64}$/);
  assert.match(answer.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
  const body = answer.json.token;
  assert.deepEqual(body.methods, ['password']);
  assert.deepEqual(body.project, { id: 'p-eu-de', name: 'eu-de', domain: DOMAIN });
  assert.equal(body.user.id, 'u-1');
  assert.equal(body.user.name, 'ci-bot');
  assert.deepEqual(body.user.domain, DOMAIN);
  assert.equal(body.issued_at, '2025-03-01T10:00:00.000000Z');
  assert.equal(body.expires_at, '2025-03-02T10:00:00.000000Z');
  assert.equal(Date.parse(body.expires_at), START + 24 * HOUR);
  const rds = body.catalog.find((s: { type: string }) => s.type === 'rdsv3');
  assert.equal(rds.endpoints[0].url, 'http://127.0.0.1:9/v3/p-eu-de');
  assert.equal(rds.endpoints[0].region, 'eu-de');
  const identity = body.catalog.find((s: { type: string }) => s.type === 'identity');
  assert.equal(identity.endpoints[0].url, `${base}/v3`);
  assert.deepEqual(validateToken(state, token), { projectId: 'p-eu-de', domainId: 'dom-1' });
});

test('password token, project by id; nocatalog with any non-empty value drops the catalog', async (t) => {
  const { state, base } = await startIam(t);
  const byId = await call(`${base}/v3/auth/tokens?nocatalog=true`, postJson(passwordBody({ scope: { project: { id: 'p-sub' } } })));
  assert.equal(byId.status, 201);
  assert.deepEqual(byId.json.token.project, { id: 'p-sub', name: 'eu-de_logs', domain: DOMAIN });
  assert.equal('catalog' in byId.json.token, false);
  assert.equal(validateToken(state, byId.headers.get('x-subject-token') ?? '')?.projectId, 'p-sub');
  // The sub-project's region is the part before "_".
  const withCatalog = await call(`${base}/v3/auth/tokens?nocatalog=`, postJson(passwordBody({ scope: { project: { id: 'p-sub' } } })));
  assert.equal(withCatalog.json.token.catalog[0].endpoints[0].region, 'eu-de');
  const yes = await call(`${base}/v3/auth/tokens?nocatalog=1`, postJson(passwordBody()));
  assert.equal('catalog' in yes.json.token, false);
  // The same user name in another domain is another user with another project of the same name.
  const other = await call(`${base}/v3/auth/tokens`, postJson(passwordBody({ password: 'other', domain: OTHER_DOMAIN.name })));
  assert.equal(other.status, 201);
  assert.equal(other.json.token.project.id, 'p-other');
});

test('wrong password, unknown user or wrong domain: 401 with the Keystone and IAM error shapes, no token', async (t) => {
  const { state, base } = await startIam(t);
  for (const overrides of [{ password: 'wrong' }, { name: 'nobody' }, { domain: 'OTC-EU-DE-nope' }]) {
    const answer = await call(`${base}/v3/auth/tokens`, postJson(passwordBody(overrides)));
    assert.equal(answer.status, 401, JSON.stringify(overrides));
    assert.deepEqual(answer.json, UNAUTHORIZED_BODY);
    assert.equal(answer.headers.get('x-subject-token'), null);
  }
  assert.equal(state.tokens.size, 0);
  assert.deepEqual(
    state.requests.map((r) => r.reason),
    ['wrong password for ci-bot', 'no user nobody in domain OTC-EU-DE-00000000001', 'no user ci-bot in domain OTC-EU-DE-nope'],
  );
});

test('a scope naming a project outside the user\'s domain, or no project, is refused', async (t) => {
  const { state, base } = await startIam(t);
  const foreign = await call(`${base}/v3/auth/tokens`, postJson(passwordBody({ scope: { project: { id: 'p-other' } } })));
  assert.equal(foreign.status, 401);
  assert.deepEqual(foreign.json, UNAUTHORIZED_BODY);
  const unknown = await call(`${base}/v3/auth/tokens`, postJson(passwordBody({ scope: { project: { name: 'eu-nl' } } })));
  assert.equal(unknown.status, 401);
  assert.match(state.requests[1]?.reason ?? '', /no project eu-nl/);
  const domainScope = await call(`${base}/v3/auth/tokens`, postJson(passwordBody({ scope: { domain: { name: DOMAIN.name } } })));
  assert.equal(domainScope.status, 400);
  assert.equal(domainScope.json.error_code, 'IAM.0007');
  const noScope = await call(`${base}/v3/auth/tokens`, postJson(passwordBody({ scope: undefined })));
  assert.equal(noScope.status, 400);
  assert.equal(state.tokens.size, 0);
});

test('malformed password requests: 400 IAM.0011', async (t) => {
  const { base } = await startIam(t);
  const bodies = [
    'not json',
    '{}',
    JSON.stringify({ auth: { identity: { methods: ['token'], password: {} } } }),
    JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'ci-bot', domain: { name: DOMAIN.name } } } } } }),
  ];
  for (const body of bodies) {
    const answer = await call(`${base}/v3/auth/tokens`, postJson(body));
    assert.equal(answer.status, 400, body);
    assert.deepEqual(answer.json, {
      error: { code: 400, message: 'Request body is invalid.', title: 'Bad Request' },
      error_msg: 'Request body is invalid.',
      error_code: 'IAM.0011',
    });
  }
});

test('tokens expire: after 24 h validateToken refuses them and GET /v3/projects answers IAM.0066', async (t) => {
  const { state, base, clock } = await startIam(t);
  const token = (await call(`${base}/v3/auth/tokens`, postJson(passwordBody()))).headers.get('x-subject-token') ?? '';
  clock.ms += 24 * HOUR - 1;
  assert.equal(validateToken(state, token)?.projectId, 'p-eu-de');
  clock.ms += 1;
  assert.equal(validateToken(state, token), undefined);
  const answer = await call(`${base}/v3/projects?name=eu-de`, { headers: { 'X-Auth-Token': token } });
  assert.equal(answer.status, 401);
  assert.equal(answer.json.error_code, 'IAM.0066');
  assert.equal(validateToken(state, 'f'.repeat(64)), undefined);
});

test('OIDC: a GitHub-shaped ID token for the configured provider gets a federated, project-scoped token', async (t) => {
  const { state, base } = await startIam(t);
  const answer = await call(`${base}/v3.0/OS-AUTH/id-token/tokens`, postJson(oidcBody(githubJwt()), { 'X-Idp-Id': 'github-oidc' }));
  assert.equal(answer.status, 201);
  const token = answer.headers.get('x-subject-token') ?? '';
  assert.match(token, /^[0-9a-f]{64}$/);
  const body = answer.json.token;
  assert.deepEqual(body.methods, ['mapped']);
  assert.deepEqual(body.project, { id: 'p-eu-de', name: 'eu-de', domain: DOMAIN });
  assert.deepEqual(body.user['OS-FEDERATION'], { identity_provider: { id: 'github-oidc' }, protocol: { id: 'oidc' }, groups: [] });
  assert.equal(body.user.name, 'FederationUser');
  assert.ok(Array.isArray(body.catalog));
  assert.deepEqual(validateToken(state, token), { projectId: 'p-eu-de', domainId: 'dom-1' });
  // aud may be an array; the scope may name the project by id; nocatalog works here too.
  const arrayAud = await call(
    `${base}/v3.0/OS-AUTH/id-token/tokens?nocatalog=true`,
    postJson(oidcBody(githubJwt({ aud: ['other', 'otc-iam'] }), { project: { id: 'p-sub' } }), { 'X-Idp-Id': 'github-oidc' }),
  );
  assert.equal(arrayAud.status, 201);
  assert.equal(arrayAud.json.token.project.id, 'p-sub');
  assert.equal('catalog' in arrayAud.json.token, false);
});

test('OIDC: refuses a wrong issuer, audience, expired or not-yet-valid token, and malformed JWTs', async (t) => {
  const { state, base } = await startIam(t);
  const cases: Array<[string, string, RegExp]> = [
    ['wrong iss', githubJwt({ iss: 'https://accounts.google.com' }), /iss/],
    ['wrong aud', githubJwt({ aud: 'sts.amazonaws.com' }), /aud/],
    ['no aud', githubJwt({ aud: undefined }), /aud/],
    ['expired', githubJwt({ exp: START / 1000 }), /expired/],
    ['no exp', githubJwt({ exp: 'soon' }), /exp/],
    ['nbf in the future', githubJwt({ nbf: START / 1000 + 60 }), /nbf/],
    ['alg none', githubJwt({}, { alg: 'none' }), /alg/],
    ['two parts', githubJwt().split('.').slice(0, 2).join('.'), /three base64url parts/],
    ['empty signature', githubJwt().replace(/\.[^.]+$/, '.'), /three base64url parts/],
    ['not base64url', githubJwt().replace('.', '.+'), /three base64url parts/],
    ['payload not JSON', `${b64url({ alg: 'RS256' })}.${Buffer.from('nope').toString('base64url')}.c2ln`, /JSON/],
  ];
  for (const [what, jwt, reason] of cases) {
    const answer = await call(`${base}/v3.0/OS-AUTH/id-token/tokens`, postJson(oidcBody(jwt), { 'X-Idp-Id': 'github-oidc' }));
    assert.equal(answer.status, 401, what);
    assert.deepEqual(answer.json, UNAUTHORIZED_BODY, what);
    assert.match(state.requests.at(-1)?.reason ?? '', reason, what);
  }
  assert.equal(state.tokens.size, 0);
});

test('OIDC: X-Idp-Id missing (400), unknown (404), no id_token (400)', async (t) => {
  const { base } = await startIam(t);
  const missing = await call(`${base}/v3.0/OS-AUTH/id-token/tokens`, postJson(oidcBody(githubJwt())));
  assert.equal(missing.status, 400);
  assert.equal(missing.json.error_code, 'IAM.0007');
  assert.equal(missing.json.error_msg, 'Request parameter X-Idp-Id is invalid.');
  const unknown = await call(`${base}/v3.0/OS-AUTH/id-token/tokens`, postJson(oidcBody(githubJwt()), { 'X-Idp-Id': 'gitlab' }));
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.error_code, 'IAM.0004');
  assert.equal(unknown.json.error_msg, 'Could not find identity_provider: gitlab.');
  const noToken = await call(`${base}/v3.0/OS-AUTH/id-token/tokens`, postJson('{"auth":{"id_token":{}}}', { 'X-Idp-Id': 'github-oidc' }));
  assert.equal(noToken.status, 400);
  assert.equal(noToken.json.error_code, 'IAM.0011');
});

test('GET /v3/projects?name= with an X-Auth-Token lists the caller\'s domain only', async (t) => {
  const { base } = await startIam(t);
  const token = (await call(`${base}/v3/auth/tokens`, postJson(passwordBody()))).headers.get('x-subject-token') ?? '';
  const answer = await call(`${base}/v3/projects?name=eu-de`, { headers: { 'X-Auth-Token': token } });
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.json.projects, [
    {
      is_domain: false,
      description: '',
      links: { self: `${base}/v3/projects/p-eu-de` },
      enabled: true,
      id: 'p-eu-de',
      parent_id: 'dom-1',
      domain_id: 'dom-1',
      name: 'eu-de',
    },
  ]);
  assert.deepEqual(answer.json.links, { self: `${base}/v3/projects?name=eu-de`, previous: null, next: null });
  const all = await call(`${base}/v3/projects`, { headers: { 'X-Auth-Token': token } });
  assert.deepEqual(all.json.projects.map((p: { id: string }) => p.id), ['p-eu-de', 'p-sub']);
  const none = await call(`${base}/v3/projects?name=eu-nl`, { headers: { 'X-Auth-Token': token } });
  assert.deepEqual(none.json.projects, []);
});

test('GET /v3/auth/projects lists the token\'s own projects, even when listing projects is denied', async (t) => {
  const { base, state } = await startIam(t);
  const token = (await call(`${base}/v3/auth/tokens`, postJson(passwordBody()))).headers.get('x-subject-token') ?? '';
  state.listProjectsDenied = true;
  const denied = await call(`${base}/v3/projects?name=eu-de`, { headers: { 'X-Auth-Token': token } });
  assert.equal(denied.status, 403);
  const own = await call(`${base}/v3/auth/projects`, { headers: { 'X-Auth-Token': token } });
  assert.equal(own.status, 200);
  assert.deepEqual(own.json.projects.map((p: { id: string; name: string }) => [p.id, p.name]), [['p-eu-de', 'eu-de'], ['p-sub', 'eu-de_logs']]);
  const none = await call(`${base}/v3/auth/projects`);
  assert.equal(none.status, 401);
});

test('GET /v3/projects with an AK/SK signature from src/auth/signer.ts', async (t) => {
  const { base, clock } = await startIam(t);
  const signedGet = async (accessKey: string, secretKey: string, signedAt: number): Promise<Answer> => {
    const url = new URL(`${base}/v3/projects?name=eu-de`);
    const headers: Record<string, string> = { 'Content-Type': 'application/json;charset=utf8' };
    Object.assign(headers, signRequest({ method: 'GET', url, headers, body: '' }, { accessKey, secretKey }, new Date(signedAt)));
    return call(url.href, { headers });
  };
  const ok = await signedGet('AKEXAMPLE', 'SKEXAMPLE', clock.ms);
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json.projects.map((p: { id: string }) => p.id), ['p-eu-de']);

  const badKey = await signedGet('AKEXAMPLE', 'wrong-secret', clock.ms);
  assert.equal(badKey.status, 401);
  assert.deepEqual(badKey.json, {
    error_msg: 'Incorrect IAM authentication information: verify aksk signature fail',
    error_code: 'APIG.0301',
    request_id: badKey.headers.get('x-request-id'),
  });
  const unknown = await signedGet('AKUNKNOWN', 'SKEXAMPLE', clock.ms);
  assert.equal(unknown.status, 401);
  assert.match(unknown.json.error_msg, /ak not exist/);
  const stale = await signedGet('AKEXAMPLE', 'SKEXAMPLE', clock.ms - 16 * 60 * 1000);
  assert.equal(stale.status, 401);
  assert.match(stale.json.error_msg, /15 minutes/);
});

test('GET /v3/projects without credentials or with an unknown token: 401', async (t) => {
  const { base } = await startIam(t);
  const none = await call(`${base}/v3/projects?name=eu-de`);
  assert.equal(none.status, 401);
  assert.deepEqual(none.json, UNAUTHORIZED_BODY);
  const unknown = await call(`${base}/v3/projects?name=eu-de`, { headers: { 'X-Auth-Token': 'deadbeef' } });
  assert.equal(unknown.status, 401);
  assert.equal(unknown.json.error_code, 'IAM.0067');
});

test('unknown routes and methods: 404 IAM.0004', async (t) => {
  const { base } = await startIam(t);
  for (const [method, path] of [['GET', '/v3/auth/tokens'], ['POST', '/v3/projects'], ['GET', '/v3/users']] as const) {
    const answer = await call(`${base}${path}`, { method });
    assert.equal(answer.status, 404);
    assert.equal(answer.json.error_code, 'IAM.0004');
  }
});

test('every request is recorded with method, path, query, headers and status', async (t) => {
  const { state, base } = await startIam(t);
  await call(`${base}/v3/auth/tokens?nocatalog=true`, postJson(passwordBody()));
  await call(`${base}/v3/projects?name=eu-de`, { headers: { 'X-Auth-Token': 'nope' } });
  await call(`${base}/nowhere`);
  assert.deepEqual(
    state.requests.map(({ method, path, query, status }) => ({ method, path, query, status })),
    [
      { method: 'POST', path: '/v3/auth/tokens', query: 'nocatalog=true', status: 201 },
      { method: 'GET', path: '/v3/projects', query: 'name=eu-de', status: 401 },
      { method: 'GET', path: '/nowhere', query: '', status: 404 },
    ],
  );
  assert.equal(state.requests[0]?.headers['content-type'], 'application/json;charset=utf8');
  assert.equal(state.requests[1]?.headers['x-auth-token'], 'nope');
  assert.equal(state.requests[0]?.reason, undefined);
});
