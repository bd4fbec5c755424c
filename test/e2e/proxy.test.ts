// Behind a proxy: the bundle as the runner runs it, with https_proxy set, against a real forward proxy on
// loopback that alone knows where rds.eu-de.otc.t-systems.com and the other hosts are (they resolve nowhere
// else). Every connection the action makes must go through it, as a CONNECT tunnel, so that credentials cross
// it only inside TLS; a host in no_proxy must not. Loopback names would prove nothing: @actions/http-client
// never proxies them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACCOUNT, IDP, iamFixture, leaked, startRig, type Rig } from '../support/harness.ts';
import { addressOf, startForwardProxy, startTlsFront } from '../support/proxy.ts';
import { fetchStackLoaded, loadedModules } from '../support/loaded-modules.ts';
import type { ActionRun } from '../../emulator/runner.ts';

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

async function proxiedRig(): Promise<{ rig: Rig; env: Record<string, string>; inputs: Record<string, string>; seen: () => Array<{ kind: string; target: string }>; close(): Promise<void> }> {
  const rig = await startRig({
    files,
    schemeless: true,
    linkHost: OBS,
    iam: iamFixture({ identityProviders: [{ id: IDP, domain: ACCOUNT, audience: IAM }] }),
    artifactService: { blobOrigin: `https://${BLOBS}` },
  });
  const fronts = await Promise.all([rig.rds.url, rig.iam!.url, rig.artifacts.url, rig.oidc!.env['ACTIONS_ID_TOKEN_REQUEST_URL']!].map((u) => startTlsFront(addressOf(u))));
  const [rdsFront, iamFront, artifactsFront, tokensFront] = fronts;
  const proxy = await startForwardProxy({
    [`${RDS}:443`]: rdsFront!,
    [`${OBS}:443`]: addressOf(rig.rds.filesOrigin),
    [`${IAM}:443`]: iamFront!,
    [`${RESULTS}:443`]: artifactsFront!,
    [`${BLOBS}:443`]: artifactsFront!,
    [`${TOKENS}:443`]: tokensFront!,
  });
  const tokenUrl = new URL(rig.oidc!.env['ACTIONS_ID_TOKEN_REQUEST_URL']!);
  return {
    rig,
    env: {
      https_proxy: proxy.url,
      ACTIONS_RESULTS_URL: `https://${RESULTS}/`,
      ACTIONS_ID_TOKEN_REQUEST_URL: `https://${TOKENS}${tokenUrl.pathname}${tokenUrl.search}`,
    },
    // OIDC sign-in: the job's ID token from the runner, exchanged at IAM; then RDS and the links.
    inputs: { token: '', 'identity-provider': IDP, endpoint: `https://${RDS}`, 'iam-endpoint': `https://${IAM}` },
    seen: () => proxy.seen,
    close: async () => {
      await proxy.close();
      await Promise.all(fronts.map((f) => f.close()));
      await rig.close();
    },
  };
}

test('behind https_proxy every connection goes through the proxy, each a CONNECT tunnel (credentials only inside TLS)', async () => {
  const p = await proxiedRig();
  try {
    let r!: ActionRun;
    // Each thread's built-in modules too: with https_proxy set, nothing may build a proxy dispatcher for fetch()
    // (undici is not bundled), nor load Node's own fetch stack (see test/e2e/action.test.ts).
    const lists = await loadedModules(async (env) => { r = await p.rig.run({ inputs: p.inputs, env: { ...p.env, ...env } }); });
    assert.equal(r.code, 0, r.log.slice(-3000));
    assert.deepEqual(fetchStackLoaded(lists), {});
    assert.equal(r.outputs['file-count'], '2');
    assert.match(r.outputs['artifact-id'] ?? '', /^\d+$/, 'the artifact was uploaded through the proxy');

    // Each service was reached, and could only have been through the proxy: these names resolve nowhere else.
    assert.ok(p.rig.oidc!.requests.length > 0, 'GitHub OIDC token endpoint');
    assert.ok(p.rig.iam!.state.requests.length > 0, 'IAM');
    assert.ok(p.rig.rds.apiRequests.length > 0, 'RDS API');
    assert.equal(p.rig.rds.fileRequests.length, 2, 'download links');
    assert.ok(p.rig.artifacts.requests.some((q) => q.path.includes('CreateArtifact')), 'artifact service');
    assert.ok(p.rig.artifacts.requests.some((q) => q.path.includes('comp=block') || q.method === 'PUT'), 'artifact blob upload');

    const seen = p.seen();
    assert.deepEqual(seen.filter((s) => s.kind !== 'connect'), [], 'nothing crossed the proxy in clear');
    assert.deepEqual([...new Set(seen.map((s) => s.target))].sort(), [RDS, OBS, IAM, RESULTS, BLOBS, TOKENS].map((h) => `${h}:443`).sort());
    assert.equal(leaked(p.rig, r), undefined, 'no secret in the log, summary or outputs');
  } finally {
    await p.close();
  }
});

test('a host in no_proxy is connected to directly, never through the proxy', async () => {
  const p = await proxiedRig();
  try {
    // A name that resolves nowhere (RFC 6761 .invalid): a direct attempt fails on DNS, naming the host.
    const direct = 'rds.emulator.invalid';
    const r = await p.rig.run({ inputs: { ...p.inputs, endpoint: `https://${direct}`, timeout: '2s', 'poll-interval': '1s' }, env: { ...p.env, no_proxy: 'emulator.invalid' } });
    assert.equal(r.code, 1, r.log.slice(-3000));
    assert.match(r.log, /::error::.*(ENOTFOUND|EAI_AGAIN).*rds\.emulator\.invalid/);
    assert.ok(p.seen().every((s) => !s.target.startsWith(direct)), JSON.stringify(p.seen()));
    // The others still went through it.
    assert.ok(p.seen().some((s) => s.target === `${IAM}:443`));
  } finally {
    await p.close();
  }
});
