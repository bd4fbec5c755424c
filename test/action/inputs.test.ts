import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { homedir } from 'node:os';
import * as core from '@actions/core';
import { readInputs } from '../../src/action/inputs.ts';
import type { Config, InputGetter } from '../../src/core/config.ts';
import { InputError } from '../../src/core/errors.ts';
import { errorlogDownloadUrl } from '../../src/cloud/rds.ts';
import { setEnvFor } from '../support/env.ts';

const NOW = new Date('2026-11-28T15:00:00Z');
const REQUIRED = { 'project-id': '0483b6b16e954cb88930a360d2c4e663', 'instance-id': '3d39c18788b54a919bab633874c159dfin03', token: 'MIIxyz-token' };

function getter(values: Record<string, string>): InputGetter {
  return (name) => values[name] ?? '';
}

function read(extra: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}): Config {
  return readInputs(getter({ ...REQUIRED, ...extra }), env, NOW);
}

/** What the errorlog-download URL is built from, with the ids as given. */
function target(c: Config): { endpoint: URL; projectId: string; instanceId: string } {
  return { endpoint: c.endpoint, projectId: c.projectId ?? '', instanceId: c.instance.by === 'id' ? c.instance.id : '' };
}

/** Asserts that reading these inputs fails with an InputError naming `input` (in the field and in the message). */
function rejects(input: string, extra: Record<string, string>, messagePart?: RegExp, env: NodeJS.ProcessEnv = {}): InputError {
  let caught: unknown;
  try {
    read(extra, env);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof InputError, `expected an InputError for ${JSON.stringify(extra)}, got ${String(caught)}`);
  assert.equal(caught.input, input);
  assert.match(caught.message, new RegExp(`^Inputs? '${input}'( and|,|:) `));
  if (messagePart) assert.match(caught.message, messagePart);
  return caught;
}

/** A runtime token shaped like the runner's: its scp claim names the run's and the job's backend ids. */
function runtimeToken(runId: string, jobId: string): string {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ typ: 'JWT', alg: 'RS256' })}.${part({ scp: `Actions.ExampleScope Actions.Results:${runId}:${jobId}` })}.c2lnbmF0dXJl`;
}

test('the minimal set of inputs gives the documented defaults', () => {
  const c = read();
  assert.equal(c.projectId, REQUIRED['project-id']);
  assert.deepEqual(c.instance, { by: 'id', id: REQUIRED['instance-id'] });
  assert.deepEqual(c.auth, { kind: 'token', token: REQUIRED.token });
  assert.equal(c.region, 'eu-de');
  assert.equal(c.endpoint.origin, 'https://rds.eu-de.otc.t-systems.com');
  assert.equal(c.pollIntervalMs, 5_000);
  assert.equal(c.timeoutMs, 600_000);
  assert.equal(c.upload, true);
  assert.equal(c.overwrite, false);
  assert.equal(c.compressionLevel, 6);
  assert.equal(c.retentionDays, undefined);
  assert.equal(c.since, undefined);
});

test('each required input, when missing, is named in the error', () => {
  rejects('instance-id', { 'instance-id': '' }, /^Inputs 'instance-id' and 'instance-name': one of them is required$/);
  rejects('token', { token: '' }, /^Inputs 'token', 'access-key', 'username' and 'identity-provider': none is set.*'access-key' \+ 'secret-key'.*'username' \+ 'password' \+ 'domain'.*'identity-provider'/);
});

test('project-id is optional; when set it must be an id', () => {
  assert.equal(read({ 'project-id': '' }).projectId, undefined);
  rejects('project-id', { 'project-id': 'a/b' }, /not an id/);
});

test('the real @actions/core getInput feeds readInputs (INPUT_* variables, trimmed)', (t) => {
  const vars: Record<string, string> = {
    'INPUT_PROJECT-ID': `  ${REQUIRED['project-id']}\n`,
    'INPUT_INSTANCE-ID': REQUIRED['instance-id'],
    INPUT_TOKEN: REQUIRED.token,
    'INPUT_POLL-INTERVAL': '2s',
    INPUT_UPLOAD: 'false',
  };
  const saved = new Map(Object.keys(vars).map((k) => [k, process.env[k]]));
  t.after(() => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  Object.assign(process.env, vars);
  const c = readInputs((n) => core.getInput(n), {}, NOW);
  assert.equal(c.projectId, REQUIRED['project-id']);
  assert.deepEqual(c.instance, { by: 'id', id: REQUIRED['instance-id'] });
  assert.equal(c.pollIntervalMs, 2_000);
  assert.equal(c.upload, false);

  delete process.env['INPUT_INSTANCE-ID'];
  assert.throws(() => readInputs((n) => core.getInput(n), {}, NOW), (e: unknown) => e instanceof InputError && e.input === 'instance-id');
});

test('ids that would change the request path are refused', () => {
  for (const bad of ['../other', 'a/b', 'a?b', 'a#b', 'a%2Fb', 'a b', 'ä', 'x'.repeat(65)]) {
    rejects('project-id', { 'project-id': bad }, /not an id/);
    rejects('instance-id', { 'instance-id': bad }, /not an id/);
  }
  assert.deepEqual(read({ 'instance-id': 'abc_DEF-123' }).instance, { by: 'id', id: 'abc_DEF-123' });
});

test('durations: every unit and compounds are read', () => {
  assert.equal(read({ 'poll-interval': '5s', timeout: '2m' }).pollIntervalMs, 5_000);
  assert.equal(read({ timeout: '2m' }).timeoutMs, 120_000);
  assert.equal(read({ timeout: '1h' }).timeoutMs, 3_600_000);
  assert.equal(read({ 'poll-interval': '1m30s' }).pollIntervalMs, 90_000);
  assert.equal(read({ 'poll-interval': '1500ms' }).pollIntervalMs, 1_500);
  // 500ms parses, but polling faster than once a second would break the API's 60 calls a minute.
  rejects('poll-interval', { 'poll-interval': '500ms' }, /out of range; allowed is 1s to 10m/);
});

test('durations without a unit, negative or not numbers are refused, naming the input', () => {
  for (const bad of ['5', '-1s', 'abc', '5 minutes']) {
    rejects('poll-interval', { 'poll-interval': bad }, /is not a duration/);
    rejects('timeout', { timeout: bad }, /is not a duration/);
  }
});

test('durations out of range are refused with the allowed range', () => {
  rejects('timeout', { timeout: '7h' }, /out of range; allowed is 1s to 6h/);
  rejects('timeout', { timeout: '0s' }, /out of range/);
  rejects('poll-interval', { 'poll-interval': '11m', timeout: '1h' }, /out of range; allowed is 1s to 10m/);
});

test('a poll-interval longer than the timeout is refused', () => {
  rejects('poll-interval', { 'poll-interval': '2m', timeout: '1m' }, /2m is longer than 'timeout' \(1m\): raise 'timeout' or lower 'poll-interval'/);
  assert.equal(read({ 'poll-interval': '1m', timeout: '1m' }).pollIntervalMs, 60_000);
});

test('endpoint: https anywhere; the path is kept without a trailing slash', () => {
  const c = read({ endpoint: 'https://rds.example.com/proxy/' });
  assert.equal(c.endpoint.href, 'https://rds.example.com/proxy');
  assert.equal(errorlogDownloadUrl(target(c)).href, `https://rds.example.com/proxy/v3/${REQUIRED['project-id']}/instances/${REQUIRED['instance-id']}/errorlog-download`);
});

test('endpoint: plain http only for loopback hosts', () => {
  for (const ok of ['http://127.0.0.1:8080', 'http://127.4.5.6', 'http://[::1]:9000', 'http://localhost:3000']) {
    assert.equal(read({ endpoint: ok }).endpoint.protocol, 'http:', ok);
  }
  for (const bad of ['http://rds.eu-de.otc.t-systems.com', 'http://localhost.evil.example', 'http://127.0.0.1.nip.io', 'http://10.0.0.1']) {
    rejects('endpoint', { endpoint: bad }, /plain http is allowed only for a loopback host/);
  }
});

test('endpoint: credentials, a query, a fragment or a non-URL are refused', () => {
  rejects('endpoint', { endpoint: 'https://user:secret@rds.example.com' }, /credentials/);
  rejects('endpoint', { endpoint: 'https://rds.example.com/?x=1' }, /query/);
  rejects('endpoint', { endpoint: 'https://rds.example.com#top' }, /fragment/);
  rejects('endpoint', { endpoint: 'rds.example.com' }, /not a URL/);
  // The calls add the version: a base with one would ask for /v3/v3/... (a 404 that reads like a wrong instance).
  rejects('endpoint', { endpoint: 'https://rds.example.com/v3/' }, /'https:\/\/rds\.example\.com\/v3\/' ends in \/v3: give the base URL without it \(each call adds its own version\), https:\/\/rds\.example\.com$/);
  rejects('endpoint', { endpoint: 'https://gateway.example.com/otc-rds/v3' }, /give the base URL without it \(each call adds its own version\), https:\/\/gateway\.example\.com\/otc-rds$/);
  rejects('iam-endpoint', { 'iam-endpoint': 'https://iam.example.com/v3', 'project-id': '', 'project-name': 'eu-de' }, /ends in \/v3/);
  assert.equal(read({ endpoint: 'https://gateway.example.com/otc/rds' }).endpoint.href, 'https://gateway.example.com/otc/rds', 'a path of a gateway stays');
  rejects('endpoint', { endpoint: 'ftp://rds.example.com' }, /https/);
});

test('endpoint: a bare "?" or "#" does not move the API path into the query string or fragment', () => {
  for (const endpoint of ['https://rds.example.com/?', 'https://rds.example.com#', 'http://127.0.0.1:8080/?']) {
    let url: URL;
    try {
      url = errorlogDownloadUrl(target(read({ endpoint })));
    } catch (e) {
      assert.ok(e instanceof InputError && e.input === 'endpoint', String(e));
      continue;
    }
    // Accepting it is fine only if the request still goes to the API path.
    assert.match(url.pathname, /\/errorlog-download$/, endpoint);
    assert.equal(url.search + url.hash, '', endpoint);
  }
});

test('region maps to the service endpoint', () => {
  assert.equal(read({ region: 'eu-de' }).endpoint.host, 'rds.eu-de.otc.t-systems.com');
  assert.equal(read({ region: 'eu-nl' }).endpoint.host, 'rds.eu-nl.otc.t-systems.com');
  assert.equal(read({ region: 'eu-ch2' }).endpoint.host, 'rds.eu-ch2.sc.otc.t-systems.com');
  assert.equal(read({ region: 'ap-southeast-1' }).endpoint.host, 'rds.ap-southeast-1.myhuaweicloud.com');
  for (const c of [read({ region: 'eu-nl' }), read({ region: 'ap-southeast-1' })]) assert.equal(c.endpoint.protocol, 'https:');
});

test('an unknown region is refused with the list of known ones', () => {
  const e = rejects('region', { region: 'eu-dee' });
  for (const known of ['eu-de', 'eu-nl', 'eu-ch2']) assert.ok(e.message.includes(known), e.message);
  rejects('region', { region: 'EU-DE' });
  rejects('region', { region: 'eu-de.evil.example/x' });
});

test('with an explicit endpoint the region is only a label', () => {
  const c = read({ region: 'my-lab', endpoint: 'https://rds.lab.example' });
  assert.equal(c.region, 'my-lab');
  assert.equal(c.endpoint.host, 'rds.lab.example');
});

test('booleans are strict: true/false only, never yes or 1', () => {
  assert.equal(read({ upload: 'false' }).upload, false);
  assert.equal(read({ upload: 'TRUE' }).upload, true);
  assert.equal(read({ overwrite: 'True' }).overwrite, true);
  for (const bad of ['yes', '1', 'no', '0', 'on', 'ture']) {
    rejects('upload', { upload: bad }, /not a boolean/);
    rejects('overwrite', { overwrite: bad }, /not a boolean/);
  }
});

test('compression-level is a whole number from 0 to 9', () => {
  assert.equal(read({ 'compression-level': '0' }).compressionLevel, 0);
  assert.equal(read({ 'compression-level': '9' }).compressionLevel, 9);
  for (const bad of ['10', '-1', '1.5', 'max', '6 ']) rejects('compression-level', { 'compression-level': bad }, /0 to 9/);
});

test('retention-days is a whole number from 1 to 400, or unset for the repository default', () => {
  assert.equal(read({ 'retention-days': '1' }).retentionDays, 1);
  assert.equal(read({ 'retention-days': '400' }).retentionDays, 400);
  assert.equal(read({}).retentionDays, undefined);
  for (const bad of ['0', '401', '-5', '7d', '3.5']) rejects('retention-days', { 'retention-days': bad }, /1 to 400/);
});

test('default artifact name differs per matrix leg (job backend id) and per attempt', () => {
  const base = { GITHUB_JOB: 'fetch-logs', GITHUB_RUN_ATTEMPT: '1' };
  const run = 'ce7f54c7-61c7-4aae-887f-30da475f5f1a';
  const legA = read({}, { ...base, ACTIONS_RUNTIME_TOKEN: runtimeToken(run, 'ca395085-040a-526b-2ce8-bdc85f692774') }).artifactName;
  const legB = read({}, { ...base, ACTIONS_RUNTIME_TOKEN: runtimeToken(run, '0f1e2d3c-040a-526b-2ce8-bdc85f692774') }).artifactName;
  assert.notEqual(legA, legB);
  // Stable for the same job: a re-read gives the same name.
  assert.equal(read({}, { ...base, ACTIONS_RUNTIME_TOKEN: runtimeToken(run, 'ca395085-040a-526b-2ce8-bdc85f692774') }).artifactName, legA);
  const attempt2 = read({}, { ...base, GITHUB_RUN_ATTEMPT: '2', ACTIONS_RUNTIME_TOKEN: runtimeToken(run, 'ca395085-040a-526b-2ce8-bdc85f692774') }).artifactName;
  assert.notEqual(attempt2, legA);
  for (const name of [legA, legB, attempt2]) {
    assert.ok(name.includes(REQUIRED['instance-id']), name);
    assert.doesNotMatch(name, /["':<>|*?\\/\r\n]/);
    assert.ok(name.length <= 256);
  }
});

test('default artifact name stays free of forbidden characters whatever the environment holds', () => {
  const name = read({}, { GITHUB_JOB: 'a:b/c', GITHUB_RUN_ATTEMPT: '3' }).artifactName;
  assert.doesNotMatch(name, /["':<>|*?\\/\r\n]/);
  assert.match(name, /attempt3/);
});

test('default artifact name stays within 256 characters whatever GITHUB_JOB and the instance are called', () => {
  const longName = 'shop-' + 'd'.repeat(59);
  const names = ['x', 'y'].map((last) => read({ 'instance-name': longName, 'instance-id': '' }, {
    GITHUB_JOB: `${'deploy:to/prod|'.repeat(20)}${last}`,
    GITHUB_RUN_ATTEMPT: '12',
    ACTIONS_RUNTIME_TOKEN: runtimeToken('ce7f54c7-61c7-4aae-887f-30da475f5f1a', 'ca395085-040a-526b-2ce8-bdc85f692774'),
  }).artifactName);
  for (const name of names) {
    assert.ok(name.length >= 1 && name.length <= 256, `${name.length}: ${name}`);
    assert.doesNotMatch(name, /["':<>|*?\\/\r\n]/);
    assert.match(name, /^rds-errorlogs-shop-d+-deploy_to_prod_/);
    assert.match(name, /-[0-9a-f]{8}-attempt12$/, 'the matrix leg and attempt survive the cut');
  }
  assert.notEqual(names[0], names[1], 'jobs that differ only past the cut still get different names');
});

test('an artifact-name the artifact service would refuse is refused up front', () => {
  for (const bad of ['logs:prod', 'a/b', 'a\\b', 'what?', 'a*', 'a|b', 'a"b', 'x\ny']) {
    rejects('artifact-name', { 'artifact-name': bad }, /refuses/);
  }
  rejects('artifact-name', { 'artifact-name': 'x'.repeat(257) }, /is 257 characters long; the artifact service allows 1 to 256/);
  assert.equal(read({ 'artifact-name': 'x'.repeat(256) }).artifactName.length, 256);
  assert.equal(read({ 'artifact-name': 'pg-logs-prod' }).artifactName, 'pg-logs-prod');
});

test('since: an ISO time (with or without a zone) or a duration ago', () => {
  assert.equal(read({ since: '2026-11-28T14:05:00Z' }).since?.toISOString(), '2026-11-28T14:05:00.000Z');
  assert.equal(read({ since: '2026-11-28T14:05:00+02:00' }).since?.toISOString(), '2026-11-28T12:05:00.000Z');
  // No zone: UTC, as the logs are.
  assert.equal(read({ since: '2026-11-28 14:05' }).since?.toISOString(), '2026-11-28T14:05:00.000Z');
  assert.equal(read({ since: '2026-11-28' }).since?.toISOString(), '2026-11-28T00:00:00.000Z');
  assert.equal(read({ since: '45m' }).since?.toISOString(), '2026-11-28T14:15:00.000Z');
  assert.equal(read({ since: '500ms' }).since?.getTime(), NOW.getTime() - 500);
  for (const bad of ['yesterday', '2026-13-01', '28.11.2026', '-45m']) rejects('since', { since: bad }, /neither an ISO-8601 time/);
});

test('since: an impossible calendar date is refused, not moved to another day', () => {
  rejects('since', { since: '2026-02-30' });
  rejects('since', { since: '2026-04-31T10:00:00Z' });
});

test('a token with white space or a line break is refused (a pasted header or two tokens)', () => {
  for (const bad of ['abc def', 'abc\ndef', 'abc\tdef']) rejects('token', { token: bad }, /white space/);
});

test('output-dir: relative to the workspace; default under RUNNER_TEMP per instance', () => {
  const env = { GITHUB_WORKSPACE: '/home/runner/work/shop', RUNNER_TEMP: '/home/runner/_temp' };
  assert.equal(read({ 'output-dir': 'logs' }, env).outputDir, resolve('/home/runner/work/shop', 'logs'));
  assert.equal(read({}, env).outputDir, join('/home/runner/_temp', `rds-errorlogs-${REQUIRED['instance-id']}`));
});

// ---- Auth modes: exactly one, chosen by which inputs are set -------------------------------------------------

const NO_TOKEN = { token: '' };
const AKSK = { ...NO_TOKEN, 'access-key': 'AKEXAMPLE0000000001', 'secret-key': 'sk-example-secret' };
const PASSWORD = { ...NO_TOKEN, username: 'ci-bot', password: 'pass word!', domain: 'OTC-EU-DE-00000000001000012345' };
const OIDC = { ...NO_TOKEN, 'identity-provider': 'github-actions' };
const OIDC_ENV = { ACTIONS_ID_TOKEN_REQUEST_URL: 'https://pipelines.example/idtoken?api-version=2.0', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x' };

/** The error for these inputs, which must name exactly `inputs`. */
function rejectsInputs(inputs: string[], extra: Record<string, string>, messagePart: RegExp, env: NodeJS.ProcessEnv = {}): void {
  const e = rejects(inputs[0]!, extra, messagePart, env);
  assert.deepEqual(e.inputs, inputs);
}

test('each auth mode is read from its inputs', () => {
  assert.deepEqual(read(AKSK).auth, { kind: 'aksk', accessKey: 'AKEXAMPLE0000000001', secretKey: 'sk-example-secret', securityToken: undefined });
  assert.deepEqual(read({ ...AKSK, 'security-token': 'temp-token-xyz' }).auth, { kind: 'aksk', accessKey: 'AKEXAMPLE0000000001', secretKey: 'sk-example-secret', securityToken: 'temp-token-xyz' });
  // A password may hold spaces: only line breaks and control characters are refused.
  assert.deepEqual(read(PASSWORD).auth, { kind: 'password', username: 'ci-bot', password: 'pass word!', domain: 'OTC-EU-DE-00000000001000012345' });
  assert.deepEqual(read(OIDC, OIDC_ENV).auth, { kind: 'oidc', identityProvider: 'github-actions', audience: 'iam.eu-de.otc.t-systems.com' });
  assert.deepEqual(read({ ...OIDC, audience: 'my-client-id' }, OIDC_ENV).auth, { kind: 'oidc', identityProvider: 'github-actions', audience: 'my-client-id' });
});

test('OIDC: the default audience is the host name of the IAM endpoint in use', () => {
  assert.equal((read({ ...OIDC, region: 'eu-nl' }, OIDC_ENV).auth as { audience: string }).audience, 'iam.eu-nl.otc.t-systems.com');
  assert.equal((read({ ...OIDC, region: 'eu-ch2' }, OIDC_ENV).auth as { audience: string }).audience, 'iam-pub.eu-ch2.sc.otc.t-systems.com');
  assert.equal((read({ ...OIDC, 'iam-endpoint': 'https://iam.proxy.example:8443/x' }, OIDC_ENV).auth as { audience: string }).audience, 'iam.proxy.example');
});

test('two auth modes at once are refused, naming every input set', () => {
  rejectsInputs(['token', 'access-key', 'secret-key'], { ...AKSK, token: 'MIIxyz-token' }, /belong to 2 auth modes \(token, AK\/SK\); set those of one mode only/);
  rejectsInputs(['token', 'password'], { password: 'x' }, /belong to 2 auth modes \(token, IAM password\)/);
  rejectsInputs(['access-key', 'secret-key', 'username', 'password', 'domain', 'identity-provider'], { ...AKSK, ...PASSWORD, ...OIDC }, /3 auth modes \(AK\/SK, IAM password, OIDC\)/, OIDC_ENV);
  rejectsInputs(['security-token', 'audience'], { ...NO_TOKEN, 'security-token': 't', audience: 'a' }, /2 auth modes/);
});

test('a mode with a partner missing names the missing input and the one that was set', () => {
  rejectsInputs(['secret-key'], { ...NO_TOKEN, 'access-key': 'AKEXAMPLE' }, /^Input 'secret-key': is required with 'access-key' \(AK\/SK auth\)$/);
  rejectsInputs(['access-key'], { ...NO_TOKEN, 'secret-key': 'sk' }, /is required with 'secret-key' \(AK\/SK auth\)/);
  rejectsInputs(['access-key', 'secret-key'], { ...NO_TOKEN, 'security-token': 'st' }, /^Inputs 'access-key' and 'secret-key': are required with 'security-token' \(AK\/SK auth\)$/);
  rejectsInputs(['password', 'domain'], { ...NO_TOKEN, username: 'ci-bot' }, /are required with 'username' \(IAM password auth\)/);
  rejectsInputs(['username'], { ...PASSWORD, username: '' }, /is required with 'password' and 'domain'/);
  rejectsInputs(['identity-provider'], { ...NO_TOKEN, audience: 'aud' }, /is required with 'audience' \(OIDC auth\)/, OIDC_ENV);
});

test('OIDC without the runner\'s ID token variables says that id-token: write is needed', () => {
  rejects('identity-provider', OIDC, /ACTIONS_ID_TOKEN_REQUEST_URL is not set: add `permissions: id-token: write`/, {});
});

test('credentials with white space or line breaks are refused without echoing them', () => {
  for (const [name, extra] of [
    ['secret-key', { ...AKSK, 'secret-key': 'sk secret' }],
    ['security-token', { ...AKSK, 'security-token': 'st\nx' }],
    ['access-key', { ...AKSK, 'access-key': 'AK EXAMPLE' }],
    ['identity-provider', { ...OIDC, 'identity-provider': 'git hub' }],
  ] as const) {
    const e = rejects(name, extra, /white space or a line break/, OIDC_ENV);
    assert.ok(!e.message.includes((extra as Record<string, string>)[name]!), e.message);
  }
  rejects('access-key', { ...AKSK, 'access-key': 'AK=x,Signature=y' }, /letters and digits only/);
  rejects('password', { ...PASSWORD, password: 'line\nbreak' }, /line break/);
});

test('instance-name instead of instance-id, or several instances by both, one per line or comma-separated', () => {
  assert.deepEqual(read({ 'instance-id': '', 'instance-name': 'shop-db' }).instance, { by: 'name', name: 'shop-db' });
  const id = REQUIRED['instance-id'];
  assert.deepEqual(read({ 'instance-name': 'shop-db\n reporting-db ,\n' }).instances, [
    { by: 'id', id }, { by: 'name', name: 'shop-db' }, { by: 'name', name: 'reporting-db' },
  ]);
  assert.deepEqual(read({ 'instance-id': `${id},abc_123` }).instances.map((r) => r.by === 'id' && r.id), [id, 'abc_123']);
  rejects('instance-id', { 'instance-id': `${id}\n${id}` }, /names '3d39\w+' twice/);
  rejects('instance-id', { 'instance-id': `${id},bad/id` }, /'bad\/id' is not an id/);
  rejectsInputs(['instance-id', 'instance-name'], { 'instance-id': '', 'instance-name': Array.from({ length: 21 }, (_, i) => `db-${i}`).join(',') }, /at most 20 .*matrix/);
  rejects('instance-name', { 'instance-id': '', 'instance-name': '*shop' }, /must not start with '\*'/);
  rejects('instance-name', { 'instance-id': '', 'instance-name': 'x'.repeat(65) }, /at most 64/);
});

test('instance-name names the default output-dir and artifact, made safe for a path', () => {
  const env = { RUNNER_TEMP: '/home/runner/_temp', GITHUB_JOB: 'deploy' };
  const c = read({ 'instance-id': '', 'instance-name': '../../shop db' }, env);
  assert.equal(c.outputDir, join('/home/runner/_temp', 'rds-errorlogs-.._.._shop_db'));
  assert.ok(c.outputDir.startsWith('/home/runner/_temp/'));
  assert.match(c.artifactName, /^rds-errorlogs-\.\._\.\._shop db-deploy-attempt1$/);
});

test('IAM endpoint: from the region, or iam-endpoint (https unless loopback); required only when IAM is needed', () => {
  assert.equal(read().iamEndpoint?.href, 'https://iam.eu-de.otc.t-systems.com/');
  assert.equal(read({ region: 'eu-ch2' }).iamEndpoint?.host, 'iam-pub.eu-ch2.sc.otc.t-systems.com');
  assert.equal(read({ region: 'ap-southeast-1' }).iamEndpoint?.host, 'iam.ap-southeast-1.myhuaweicloud.com');
  assert.equal(read({ 'iam-endpoint': 'http://127.0.0.1:5000/' }).iamEndpoint?.href, 'http://127.0.0.1:5000/');
  rejects('iam-endpoint', { 'iam-endpoint': 'http://iam.example.com' }, /plain http is allowed only for a loopback host/);
  rejects('iam-endpoint', { 'iam-endpoint': 'https://iam.example.com/?x' }, /query/);
  // A lab region (a label only, with an explicit endpoint): fine as long as nothing needs IAM.
  const lab = { region: 'my-lab', endpoint: 'https://rds.lab.example' };
  assert.equal(read(lab).iamEndpoint, undefined);
  rejects('iam-endpoint', { ...lab, 'project-id': '' }, /is required for looking up the project id/);
  rejects('iam-endpoint', { ...lab, ...PASSWORD }, /is required for password sign-in: region 'my-lab' is not one known here/);
  assert.equal(read({ ...lab, ...PASSWORD, 'iam-endpoint': 'https://iam.lab.example' }).iamEndpoint?.host, 'iam.lab.example');
});

test('credentials sent in a header are visible ASCII, named when not; the provider fits in a URL path; since is not in the future', () => {
  // Where the character is, never the character itself: it is part of a secret.
  rejects('token', { token: 'MIIt\u00f6ken' }, /^(?!.*ö).*has a character other than visible ASCII at position 5 of 8: a token is ASCII letters, digits and punctuation only/);
  rejects('access-key', { token: '', 'access-key': 'AK\u00dfEY', 'secret-key': 'sk' }, /^(?!.*ß).*at position 3 of 5: an access key is/);
  // An invisible one is pasting's, not the secret's: its code point finds it.
  rejects('token', { token: 'MIItok\u0085en' }, /at position 7 of 9 \(U\+0085, invisible\)/);
  // A visible character outside the BMP is one character, visible: not named.
  rejects('token', { token: 'MIIt\u{1F600}ken' }, /^(?!.*(U\+|invisible)).*at position 5 of 8: a token/);
  rejects('security-token', { ...AKSK, 'security-token': 'temp\u20actoken' }, /^(?!.*(€|U\+20AC)).*at position 5 of 10: a security token/);
  rejects('identity-provider', { ...OIDC, 'identity-provider': 'github/../x' }, /not an identity provider name: 1 to 64 letters, digits, '-' and '_'/, OIDC_ENV);
  rejects('audience', { ...OIDC, audience: 'cl\u00efent' }, /at position 3 of 6: an audience/, OIDC_ENV);
  rejects('since', { since: '2026-11-28T16:00:00Z' }, /is in the future \(now is 2026-11-28T15:00:00.000Z\)/);
  assert.equal(read({ since: '2026-11-28T15:00:30Z' }).since?.toISOString(), '2026-11-28T15:00:30.000Z', 'a minute of clock skew is allowed');
});

test("on GitHub Enterprise Server 'upload' is refused before any request (the artifact client cannot upload there); upload: false runs", () => {
  const ghes = { GITHUB_SERVER_URL: 'https://github.bank.example' };
  rejects('upload', {}, /github\.bank\.example is GitHub Enterprise Server, .*set 'upload' to false and keep 'output-dir' with actions\/upload-artifact@v3/, ghes);
  assert.equal(read({ upload: 'false' }, ghes).upload, false);
  // github.com and GHE.com (data residency) have the service.
  for (const url of ['https://github.com', 'https://octo.ghe.com', '']) assert.equal(read({}, { GITHUB_SERVER_URL: url }).upload, true, url);
});

test("'output-dir' with a leading ~/ is in the home folder (no shell reads `with:`); '~x' is a folder of that name", () => {
  assert.equal(read({ 'output-dir': '~/logs' }, { GITHUB_WORKSPACE: '/work/space' }).outputDir, join(homedir(), 'logs'));
  assert.equal(read({ 'output-dir': '~' }, { GITHUB_WORKSPACE: '/work/space' }).outputDir, homedir());
  assert.equal(read({ 'output-dir': '~x/logs' }, { GITHUB_WORKSPACE: '/work/space' }).outputDir, resolve('/work/space', '~x/logs'));
});

test("'output-dir: ~/logs' for a user with no home folder (a container's: HOME empty) is refused, not made /logs", (t) => {
  // os.homedir() reads this process's HOME: '' is what a container without one may hand down.
  setEnvFor(t, 'HOME', '');
  rejects('output-dir', { 'output-dir': '~/logs' }, /starts with '~', but this user has no home folder/);
  assert.equal(read({ 'output-dir': '/abs/logs' }).outputDir, '/abs/logs');
});

test("'instance-id' folded by YAML's > into one line of ids: the error says how several are given", () => {
  rejects('instance-id', { 'instance-id': '3d39c18788b54a919bab633874c159dfin03 a1b2c3d4e5f60718293a4b5c6d7e8f90in03' }, /is not an id: 1 to 64 letters, digits, '-' and '_'; give several one per line \(a \| block\) or comma-separated$/);
});

test("a region whose RDS host the public docs do not confirm (eu-ch2, Huawei Cloud) is marked a guess, unless 'endpoint' is set", () => {
  assert.equal(read({ region: 'eu-de' }).endpointGuessed, false);
  assert.equal(read({ region: 'eu-ch2' }).endpointGuessed, true);
  assert.equal(read({ region: 'ap-southeast-1' }).endpointGuessed, true);
  assert.equal(read({ region: 'eu-ch2', endpoint: 'https://rds.example.com' }).endpointGuessed, false);
});
