// Test rig: an RDS emulator and an artifact service, and the action run against both as the runner would.
// With `iam`, also the IAM emulator (the action's 'iam-endpoint') and the runner's OIDC token endpoint.
import { rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { actionInputs, DEFAULT_PROJECT_ID, startRdsEmulator, type RdsEmulator, type RdsEmulatorOptions } from '../../emulator/rds.ts';
import { startArtifactService, type ArtifactService } from '../../emulator/artifact-service.ts';
import { createIamHandler, createIamState, type IamConfig, type IamDomain, type IamState } from '../../emulator/iam.ts';
import { startGithubOidc, type GithubOidc, type GithubOidcOptions } from '../../emulator/github-oidc.ts';
import { runAction, type ActionRun, type RunOptions } from '../../emulator/runner.ts';

export { runAction, parseOutputs, ROOT, ENTRY, type ActionRun, type RunOptions } from '../../emulator/runner.ts';

export interface RigOptions extends Omit<RdsEmulatorOptions, 'iam'> {
  /** Starts the IAM emulator with this configuration and points 'iam-endpoint' at it. */
  iam?: IamConfig;
  /** The runner's OIDC token endpoint (started with `iam`): claims and clock. */
  githubOidc?: GithubOidcOptions;
  artifactService?: Parameters<typeof startArtifactService>[0];
}

export interface Rig {
  rds: RdsEmulator;
  artifacts: ArtifactService;
  /** Present when the rig was started with `iam`. */
  iam: { state: IamState; url: string } | undefined;
  oidc: GithubOidc | undefined;
  /** Inputs that point the action at the emulators (token auth, fast polling). */
  inputs: Record<string, string>;
  /** Environment for the artifact service, the emulator's CA and the OIDC token endpoint. */
  env: Record<string, string>;
  run(extra?: { inputs?: Record<string, string>; env?: Record<string, string>; onSpawn?: RunOptions['onSpawn']; timeoutMs?: number; entry?: string; wrap?: string[] }): Promise<ActionRun>;
  close(): Promise<void>;
}

/** The account of the IAM fixture: a CI user with a password and an access key, and GitHub as identity provider. */
export const ACCOUNT: IamDomain = { id: 'd2b6f7e0c3a94c51b1a1f5e3c0a8d7e1', name: 'OTC-EU-DE-00000000001000012345' };
export const CI_USER = { name: 'ci-bot', password: 'Ci-bot-passw0rd!', accessKey: 'AKEMULATOR0000000001', secretKey: 'SkEmulatorSecretKey00000000000000000001' };
export const IDP = 'github-actions';

/** IAM with the RDS emulator's project as the account's eu-de project. The IdP's audience is the rig's IAM host. */
export function iamFixture(extra: Partial<IamConfig> = {}): IamConfig {
  return {
    users: [{ id: 'u-ci-bot', name: CI_USER.name, password: CI_USER.password, domain: ACCOUNT, accessKeys: { [CI_USER.accessKey]: CI_USER.secretKey } }],
    projects: [
      { id: DEFAULT_PROJECT_ID, name: 'eu-de', domainId: ACCOUNT.id },
      { id: '9f1e2d3c4b5a69788796a5b4c3d2e1f0', name: 'eu-nl', domainId: ACCOUNT.id },
    ],
    identityProviders: [{ id: IDP, domain: ACCOUNT, audience: '127.0.0.1' }],
    ...extra,
  };
}

/** An RDS emulator plus an artifact service (and IAM with `iam`), and a way to run the action against them. */
export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const { iam: iamConfig, githubOidc, artifactService, ...rdsOptions } = options;
  const state = iamConfig ? createIamState(iamConfig) : undefined;
  const rds = await startRdsEmulator({ creatingCalls: 1, ...rdsOptions, ...(state ? { iam: state } : {}) });
  const artifacts = await startArtifactService(artifactService);
  const iamServer = state ? createServer(createIamHandler(state)) : undefined;
  let iam: Rig['iam'];
  if (iamServer && state) {
    await new Promise<void>((resolve) => iamServer.listen(0, '127.0.0.1', resolve));
    iam = { state, url: `http://127.0.0.1:${(iamServer.address() as AddressInfo).port}` };
  }
  const oidc = state ? await startGithubOidc(githubOidc) : undefined;
  const temps: string[] = [];
  const inputs: Record<string, string> = {
    ...actionInputs(rds),
    timeout: '30s',
    ...(iam ? { 'iam-endpoint': iam.url } : {}),
  };
  const env = { ...artifacts.env, NODE_EXTRA_CA_CERTS: rds.caFile, ...oidc?.env };
  return {
    rds,
    artifacts,
    iam,
    oidc,
    inputs,
    env,
    async run(extra = {}) {
      const r = await runAction({
        inputs: { ...inputs, ...extra.inputs },
        env: { ...env, ...extra.env },
        ...(extra.onSpawn ? { onSpawn: extra.onSpawn } : {}),
        ...(extra.timeoutMs ? { timeoutMs: extra.timeoutMs } : {}),
        ...(extra.entry ? { entry: extra.entry } : {}),
        ...(extra.wrap ? { wrap: extra.wrap } : {}),
      });
      temps.push(r.temp);
      return r;
    },
    async close() {
      iamServer?.closeAllConnections();
      await Promise.all([
        rds.close(),
        artifacts.close(),
        oidc?.close(),
        iamServer && new Promise<void>((resolve) => iamServer.close(() => resolve())),
      ]);
      await Promise.all(temps.map((t) => rm(t, { recursive: true, force: true })));
    },
  };
}

/** Runs `fn` with a fresh rig, closed afterwards whatever happens. */
/** An errorlog-download answer as the emulator gives a client once ready (at most 10 calls), for a test to replay it changed. */
export interface ListedAnswer { status: string; count: number; list: Array<Record<string, unknown> & { file_name: string }> }
export async function finishedAnswer(rds: RdsEmulator): Promise<ListedAnswer> {
  for (let i = 0; i < 10; i++) {
    const res = await fetch(`${rds.url}/v3/${rds.projectId}/instances/${rds.instanceId}/errorlog-download`, { method: 'POST', headers: { 'X-Auth-Token': rds.token, 'Content-Type': 'application/json' }, body: '{}' });
    const answer = (await res.json()) as ListedAnswer;
    if (answer.status.toUpperCase() === 'FINISH') return answer;
  }
  throw new Error('the emulator did not finish in 10 calls');
}

export async function withRig(options: RigOptions, fn: (rig: Rig) => Promise<void>): Promise<void> {
  const rig = await startRig(options);
  try {
    await fn(rig);
  } finally {
    await rig.close();
  }
}

/** Every secret the rig knows of, by what it is: none may appear in a log, summary or output. */
export function rigSecrets(rig: Rig): Array<[string, string]> {
  const out: Array<[string, string]> = [['the token', rig.rds.token]];
  for (const q of rig.rds.fileRequests) {
    const sig = new URL(q.path, 'http://x').searchParams.get('Signature');
    if (sig) out.push(['a link signature', sig], ['a link signature', encodeURIComponent(sig)]);
  }
  for (const u of rig.iam?.state.users ?? []) {
    out.push(['a password', u.password]);
    for (const [ak, sk] of Object.entries(u.accessKeys ?? {})) out.push(['an access key', ak], ['a secret key', sk]);
  }
  for (const t of rig.iam?.state.tokens.keys() ?? []) out.push(['an IAM-issued token', t]);
  for (const jwt of rig.oidc?.issued ?? []) out.push(['a GitHub ID token', jwt]);
  if (rig.oidc) out.push(['the OIDC request token', rig.oidc.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'] ?? '']);
  return out.filter(([, v]) => v !== '');
}

/** What a run showed: its log (mask commands aside: they carry secrets, as they must), summary and outputs. */
export function shownText(r: ActionRun): string {
  return [r.log.replace(/^::add-mask::.*$/gm, ''), r.summary, ...Object.values(r.outputs)].join('\n');
}

/** What leaked into the log (mask commands aside), the summary or the outputs, if anything. */
export function leaked(rig: Rig, r: ActionRun, extra: Array<[string, string]> = []): string | undefined {
  const seen = shownText(r) + JSON.stringify(r.outputs);
  return [...rigSecrets(rig), ...extra].find(([, v]) => seen.includes(v))?.[0];
}

/** A sub-project of the region's, and IAM knowing it beside the fixture's projects. */
export const SUB_PROJECT = { id: '5b7c0d1e2f3a4b5c6d7e8f9a0b1c2d3e', name: 'eu-de_reporting' };
export function subProjectIam(): IamConfig {
  return iamFixture({ projects: [...iamFixture().projects!, { ...SUB_PROJECT, domainId: ACCOUNT.id }] });
}
