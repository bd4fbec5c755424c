// Behind a proxy: the bundle as the runner runs it, with https_proxy set, against Squid (test/support/squid.ts), a
// real forward proxy on loopback that alone knows where rds.eu-de.otc.t-systems.com and the other hosts are (they
// resolve nowhere else). Every connection the action makes must go through it, as a CONNECT tunnel, so that
// credentials cross it only inside TLS; a host in no_proxy must not. What crossed it is read from Squid's own
// access.log. Loopback names would prove nothing: @actions/http-client never proxies them.
//
// The emulators listen on loopback ports, not 443, so each URL carries its port (https://rds...:PORT): Squid
// tunnels to the port the client names, as any forward proxy does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACCOUNT, IDP, iamFixture, leaked, startRig, type Rig } from '../support/harness.ts';
import { addressOf, startTlsFront, type Address } from '../support/tls-front.ts';
import { skipWithoutSquid, startSquid, type AccessEntry } from '../support/squid.ts';
import { fetchStackLoaded, loadedModules } from '../support/loaded-modules.ts';
import type { ActionRun } from '../../emulator/runner.ts';

/** A name that resolves nowhere (RFC 6761 .invalid) and that Squid's configuration does not allow. */
const NOWHERE = 'rds.emulator.invalid';
const RDS = 'rds.eu-de.otc.t-systems.com';
const OBS = 'obs.eu-de.otc.t-systems.com';
const IAM = 'iam.eu-de.otc.t-systems.com';
const RESULTS = 'results-receiver.actions.githubusercontent.com';
const BLOBS = 'artifacts.actions.githubusercontent.com';
const TOKENS = 'pipelines.actions.githubusercontent.com';

const files = [
  { name: 'postgresql-2026-11-28_080000.log', data: Buffer.from('2026-11-28 08:00:01 UTC [101] ERROR:  relation "orders" does not exist\n') },
  { name: 'postgresql-2026-11-28_090000.log', size: 300_000 },
];

// The proxy user of the tests with Basic authentication. The password has what must be percent-encoded in a URL
// ('@', ':', '/', '%', ' '): a client that forgot to decode it would send the wrong one.
const PROXY_USER = { name: 'ci-proxy', password: 'Pr0xy p@ss:w/rd%' };

const skip = skipWithoutSquid();

interface Proxied {
  rig: Rig;
  env: Record<string, string>;
  inputs: Record<string, string>;
  /** Every host:port the action should reach, each through a tunnel. */
  targets: Record<string, string>;
  /** Stops Squid; then what its access.log recorded. */
  stop(): Promise<AccessEntry[]>;
  close(): Promise<void>;
}

/** The rig behind Squid; with `user`, Squid requires Basic authentication and https_proxy carries `proxyAuth`. */
async function proxiedRig(o: { user?: typeof PROXY_USER; proxyAuth?: typeof PROXY_USER } = {}): Promise<Proxied> {
  // The fronts start first, as the artifact service hands out upload URLs that name its front's port; each learns
  // its emulator's address once the rig runs.
  let started: Rig | undefined;
  const front = (origin: (r: Rig) => string): ReturnType<typeof startTlsFront> => startTlsFront(() => addressOf(origin(started!)));
  const fronts = await Promise.all([
    front((r) => r.rds.url),
    front((r) => r.iam!.url),
    front((r) => r.artifacts.url),
    front((r) => r.oidc!.env['ACTIONS_ID_TOKEN_REQUEST_URL']!),
  ]);
  const [rdsFront, iamFront, artifactsFront, tokensFront] = fronts as [Address, Address, Address, Address];
  const rig = await startRig({
    files,
    schemeless: true,
    linkHostname: OBS,
    iam: iamFixture({ identityProviders: [{ id: IDP, domain: ACCOUNT, audience: IAM }] }),
    artifactService: { blobOrigin: `https://${BLOBS}:${artifactsFront.port}` },
  });
  started = rig;
  // The file server speaks TLS itself, on 127.0.0.2.
  const at: Record<string, Address> = {
    [RDS]: rdsFront,
    [OBS]: addressOf(rig.rds.filesOrigin),
    [IAM]: iamFront,
    [RESULTS]: artifactsFront,
    [BLOBS]: artifactsFront,
    [TOKENS]: tokensFront,
  };
  const targets = Object.fromEntries(Object.entries(at).map(([name, a]) => [name, `${name}:${a.port}`]));
  const squid = await startSquid({
    hosts: Object.fromEntries(Object.entries(at).map(([name, a]) => [name, a.host])),
    ports: [...new Set(Object.values(at).map((a) => a.port))],
    ...(o.user ? { user: o.user } : {}),
  }).catch(async (e: unknown) => {
    await Promise.all([...fronts.map((f) => f.close()), rig.close()]);
    throw e;
  });
  const proxyUrl = new URL(squid.url);
  if (o.proxyAuth) {
    proxyUrl.username = encodeURIComponent(o.proxyAuth.name);
    proxyUrl.password = encodeURIComponent(o.proxyAuth.password);
  }
  const tokenUrl = new URL(rig.oidc!.env['ACTIONS_ID_TOKEN_REQUEST_URL']!);
  return {
    rig,
    env: {
      https_proxy: proxyUrl.href,
      ACTIONS_RESULTS_URL: `https://${targets[RESULTS]}/`,
      ACTIONS_ID_TOKEN_REQUEST_URL: `https://${targets[TOKENS]}${tokenUrl.pathname}${tokenUrl.search}`,
    },
    // OIDC sign-in: the job's ID token from the runner, exchanged at IAM; then RDS and the links.
    inputs: { token: '', 'identity-provider': IDP, endpoint: `https://${targets[RDS]}`, 'iam-endpoint': `https://${targets[IAM]}` },
    targets,
    stop: () => squid.stop(),
    close: async () => {
      await Promise.all([squid.stop(), ...fronts.map((f) => f.close()), rig.close()]);
    },
  };
}

/** What a successful run through the proxy must have done: reached each service, each only through a tunnel. */
function assertAllTunnelled(p: Proxied, r: ActionRun, entries: AccessEntry[], user: string): void {
  assert.equal(r.code, 0, r.log.slice(-3000));
  assert.equal(r.outputs['file-count'], '2');
  assert.match(r.outputs['artifact-id'] ?? '', /^\d+$/, 'the artifact was uploaded through the proxy');

  // Each service was reached, and could only have been through the proxy: these names resolve nowhere else.
  assert.ok(p.rig.oidc!.requests.length > 0, 'GitHub OIDC token endpoint');
  assert.ok(p.rig.iam!.state.requests.length > 0, 'IAM');
  assert.ok(p.rig.rds.apiRequests.length > 0, 'RDS API');
  assert.equal(p.rig.rds.fileRequests.length, 2, 'download links');
  assert.ok(p.rig.artifacts.requests.some((q) => q.path.includes('CreateArtifact')), 'artifact service');
  assert.ok(p.rig.artifacts.requests.some((q) => q.path.includes('comp=block') || q.method === 'PUT'), 'artifact blob upload');

  // Squid's record: tunnels only (a plain-http request would show its method and whole URL), each one opened.
  assert.deepEqual(entries.filter((e) => e.method !== 'CONNECT'), [], 'nothing crossed the proxy in clear');
  assert.deepEqual(entries.filter((e) => e.status !== 200 || e.result !== 'TCP_TUNNEL' || e.user !== user), [], `every tunnel opened, as ${user}`);
  assert.deepEqual([...new Set(entries.map((e) => e.target))].sort(), Object.values(p.targets).sort(), 'each service through the proxy');
}

/**
 * A run the proxy refuses: it fails, and without a retry. 'timeout' as by default, so a refusal retried as a
 * network fault would hold the step that long (the run is killed at 30 s instead).
 */
async function failsAtOnce(p: Proxied, inputs: Record<string, string> = {}): Promise<ActionRun> {
  const r = await p.rig.run({ inputs: { ...p.inputs, ...inputs, timeout: '10m' }, env: p.env, timeoutMs: 30_000 });
  assert.equal(r.code, 1, r.log.slice(-3000));
  assert.doesNotMatch(r.log, /retrying/, 'no retry');
  return r;
}

test('behind https_proxy (Squid) every connection goes through the proxy, each a CONNECT tunnel (credentials only inside TLS)', { skip }, async () => {
  const p = await proxiedRig();
  try {
    let r!: ActionRun;
    // Each thread's built-in modules too: with https_proxy set, nothing may build a proxy dispatcher for fetch()
    // (undici is not bundled), nor load Node's own fetch stack (see test/e2e/action.test.ts).
    const lists = await loadedModules(async (env) => { r = await p.rig.run({ inputs: p.inputs, env: { ...p.env, ...env } }); });
    assert.equal(r.code, 0, r.log.slice(-3000));
    assert.deepEqual(fetchStackLoaded(lists), {});
    assertAllTunnelled(p, r, await p.stop(), '-');
    assert.equal(leaked(p.rig, r), undefined, 'no secret in the log, summary or outputs');
  } finally {
    await p.close();
  }
});

test('a host in no_proxy is connected to directly, never through the proxy', { skip }, async () => {
  const p = await proxiedRig();
  try {
    // A name that resolves nowhere (RFC 6761 .invalid): a direct attempt fails on DNS, naming the host.
    const direct = NOWHERE;
    const r = await p.rig.run({ inputs: { ...p.inputs, endpoint: `https://${direct}`, timeout: '2s', 'poll-interval': '1s' }, env: { ...p.env, no_proxy: 'emulator.invalid' } });
    assert.equal(r.code, 1, r.log.slice(-3000));
    assert.match(r.log, /::error::.*(ENOTFOUND|EAI_AGAIN).*rds\.emulator\.invalid/);
    const entries = await p.stop();
    assert.deepEqual(entries.filter((e) => e.target.includes(direct)), []);
    // The others still went through it.
    assert.ok(entries.some((e) => e.method === 'CONNECT' && e.target === p.targets[IAM]), JSON.stringify(entries));
  } finally {
    await p.close();
  }
});

test('the artifact upload follows the variables every other connection follows: https_proxy, not a different HTTPS_PROXY', { skip }, async () => {
  const p = await proxiedRig();
  try {
    // Port 9 (discard) refuses: a blob upload that took HTTPS_PROXY, as the Azure SDK inside the artifact client
    // does by itself, would fail after its retries.
    const r = await p.rig.run({ inputs: p.inputs, env: { ...p.env, HTTPS_PROXY: 'http://127.0.0.1:9' } });
    assertAllTunnelled(p, r, await p.stop(), '-');
  } finally {
    await p.close();
  }
});

test('behind a proxy with Basic authentication (credentials in https_proxy, percent-encoded) every connection goes through it; its password is never shown', { skip }, async () => {
  const p = await proxiedRig({ user: PROXY_USER, proxyAuth: PROXY_USER });
  try {
    const r = await p.rig.run({ inputs: p.inputs, env: p.env });
    assertAllTunnelled(p, r, await p.stop(), PROXY_USER.name);
    const basic = Buffer.from(`${PROXY_USER.name}:${PROXY_USER.password}`).toString('base64');
    assert.equal(leaked(p.rig, r, [
      ['the proxy password', PROXY_USER.password],
      ['the proxy password, percent-encoded', encodeURIComponent(PROXY_USER.password)],
      ['the proxy credentials, as sent', basic],
    ]), undefined, 'no secret in the log, summary or outputs');
    // tunnel's Basic credentials were built with the deprecated Buffer(), a DEP0005 warning in the step's log.
    assert.doesNotMatch(r.log, /DeprecationWarning|DEP0005/);
  } finally {
    await p.close();
  }
});

test('a wrong proxy password fails the step at once, saying the proxy refused it (407)', { skip }, async () => {
  const wrong = { name: PROXY_USER.name, password: 'not-the-Pr0xy-password' };
  const p = await proxiedRig({ user: PROXY_USER, proxyAuth: wrong });
  try {
    const r = await failsAtOnce(p);
    assert.match(r.log, /::error::could not get the job's GitHub OIDC ID token for audience 'iam\.eu-de\.otc\.t-systems\.com': the proxy 127\.0\.0\.1:\d+ refused the connection: HTTP 407 Proxy Authentication Required; check the user and password in https_proxy/);
    // The first connection, to GitHub's token endpoint, was refused by Squid itself, once; nothing else was tried.
    assert.deepEqual(await p.stop(), [{ method: 'CONNECT', target: p.targets[TOKENS], status: 407, user: PROXY_USER.name, result: 'TCP_DENIED' }]);
    assert.equal(leaked(p.rig, r, [['the proxy password', wrong.password], ['the proxy password', PROXY_USER.password]]), undefined);
  } finally {
    await p.close();
  }
});

test('a host the proxy does not let through fails the step at once, saying the proxy refused it (403)', { skip }, async () => {
  const p = await proxiedRig();
  try {
    // A name Squid's configuration does not allow, as a corporate allow-list would not.
    const refused = NOWHERE;
    const r = await failsAtOnce(p, { endpoint: `https://${refused}` });
    assert.match(r.log, /::error::the proxy 127\.0\.0\.1:\d+ refused the connection: HTTP 403, it does not let this host through \(https:\/\/rds\.emulator\.invalid\//);
    const entries = await p.stop();
    assert.deepEqual(entries.filter((e) => e.status !== 200), [{ method: 'CONNECT', target: `${refused}:443`, status: 403, user: '-', result: 'TCP_DENIED' }]);
  } finally {
    await p.close();
  }
});
