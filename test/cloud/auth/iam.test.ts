// The IAM client against a hostile IAM on a real socket: what it answers must not pick another project, nor put
// anything but an id into the RDS API's path.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { findProjectId, passwordSignIn, type IamClient } from '../../../src/cloud/auth/iam.ts';
import { requestIdToken } from '../../../src/cloud/auth/github-id-token.ts';
import { createHttpTransport } from '../../../src/cloud/http.ts';
import { ResponseError } from '../../../src/core/errors.ts';
import { fakeClock } from '../../support/fake-clock.ts';

async function hostileIam(t: TestContext, answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ client: IamClient; protected: string[] }> {
  const server = createServer(answer);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const transport = createHttpTransport({ userAgent: 'iam-test', socketTimeoutMs: 5_000, followRedirects: false });
  t.after(() => { transport.close(); server.close(); });
  const clock = fakeClock();
  const secrets: string[] = [];
  const client: IamClient = {
    transport,
    endpoint: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    retry: { clock, deadline: clock.now() + 60_000, log: () => undefined, random: () => 0 },
    protect: (s) => secrets.push(s),
    now: () => clock.now(),
  };
  return { client, protected: secrets };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

test('the project lookup takes the project of that name, not the first one listed', async (t) => {
  const { client } = await hostileIam(t, (_req, res) => json(res, 200, { projects: [
    { id: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', name: 'eu-de' },
    { id: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', name: 'eu-de_prod' },
  ] }));
  assert.equal(await findProjectId(client, 'eu-de_prod', async () => ({}), { userToken: false }), 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
  await assert.rejects(findProjectId(client, 'eu-de_test', async () => ({}), { userToken: false }), /IAM lists no project named 'eu-de_test'/);
});

test('two projects of the name asked for: neither is taken, and the message says to set project-id', async (t) => {
  const { client } = await hostileIam(t, (_req, res) => json(res, 200, { projects: [
    { id: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', name: 'eu-de_prod' },
    { id: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', name: 'eu-de_prod' },
  ] }));
  await assert.rejects(findProjectId(client, 'eu-de_prod', async () => ({}), { userToken: false }),
    (e: unknown) => e instanceof ResponseError && /IAM lists 2 projects named 'eu-de_prod'; set 'project-id'/.test(e.message));
});

test('an id from IAM that is not an id (a dot segment, a slash) is refused before it reaches a path', async (t) => {
  for (const bad of ['..', 'a/b', '%2e%2e', '']) {
    const { client } = await hostileIam(t, (req, res) => {
      if (req.method === 'POST') return json(res, 201, { token: { project: { id: bad } } }, { 'X-Subject-Token': 'MIIT-a-token-long-enough' });
      return json(res, 200, { projects: [{ id: bad, name: 'eu-de' }] });
    });
    const signedIn = passwordSignIn(client, { username: 'u', password: 'p', domain: 'd' }, { name: 'eu-de' });
    const lookedUp = findProjectId(client, 'eu-de', async () => ({}), { userToken: false });
    // With a user's token, IAM lists the token's own projects: the same check.
    const ownLookedUp = findProjectId(client, 'eu-de', async () => ({}), { userToken: true });
    if (bad === '') {
      // No id at all: the project is then looked up (sign-in) or missing (lookup), as before.
      assert.equal((await signedIn).projectId, undefined);
      await assert.rejects(lookedUp, /IAM lists no project named 'eu-de'/);
      await assert.rejects(ownLookedUp, /IAM lists no project named 'eu-de'/);
      continue;
    }
    await assert.rejects(signedIn, (e: unknown) => e instanceof ResponseError && /the token's project id: ".*" is not an id/.test(e.message));
    await assert.rejects(lookedUp, (e: unknown) => e instanceof ResponseError && /the id of project 'eu-de': ".*" is not an id/.test(e.message));
    await assert.rejects(ownLookedUp, (e: unknown) => e instanceof ResponseError && /own projects\): the id of project 'eu-de': ".*" is not an id/.test(e.message));
  }
});

test('a sign-in answer whose token is a few characters is refused, not masked (the runner would hide them everywhere)', async (t) => {
  const iam = await hostileIam(t, (_req, res) => json(res, 201, { token: { project: { id: 'p1' } } }, { 'X-Subject-Token': 'e' }));
  await assert.rejects(passwordSignIn(iam.client, { username: 'u', password: 'p', domain: 'd' }, { name: 'eu-de' }), /with an X-Subject-Token of 1 character, not a token/);
  assert.deepEqual(iam.protected, []);
  // 16 characters at least: fewer is no token.
  const short = await hostileIam(t, (_req, res) => json(res, 201, { token: { project: { id: 'p1' } } }, { 'X-Subject-Token': 'e'.repeat(15) }));
  await assert.rejects(passwordSignIn(short.client, { username: 'u', password: 'p', domain: 'd' }, { name: 'eu-de' }), /with an X-Subject-Token of 15 characters, not a token/);
});

test("the runner's ID token endpoint answering a token of a few characters is refused too", async (t) => {
  const iam = await hostileIam(t, (_req, res) => json(res, 200, { value: 'e' }));
  const id = { transport: iam.client.transport, endpoint: { url: `${iam.client.endpoint.href}token?api-version=2.0`, token: 'runner-request-token' }, retry: iam.client.retry, now: iam.client.now };
  await assert.rejects(requestIdToken(id, 'aud'), /with a 'value' of 1 character, not a token/);
});
