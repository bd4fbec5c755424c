// The action's inputs: INPUT_* and the runner's environment mapped onto the shared Config (core/config.ts checks it).
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARTIFACT_NAME_FORBIDDEN, ARTIFACT_NAME_MAX, readConfig, type Config, type InputGetter, type Surroundings } from '../core/config.ts';

export function readInputs(get: InputGetter, env: NodeJS.ProcessEnv, now: Date = new Date()): Config {
  return readConfig(get, runnerSurroundings(env), now);
}

/** Where the runner puts things: the workspace, RUNNER_TEMP, the job's artifact names, the job's ID token. */
function runnerSurroundings(env: NodeJS.ProcessEnv): Surroundings {
  return {
    workDir: env['GITHUB_WORKSPACE'] || process.cwd(),
    defaultOutputDir: (label) => join(env['RUNNER_TEMP'] || tmpdir(), `rds-errorlogs-${label}`),
    defaultArtifactName: (label) => defaultArtifactName(label, env),
    // The runner sets the variable only for a job granted the permission; core.getIDToken would just say "unable to get" it.
    oidcUnavailable: env['ACTIONS_ID_TOKEN_REQUEST_URL']
      ? undefined
      : 'OIDC sign-in needs the job\'s GitHub ID token, but ACTIONS_ID_TOKEN_REQUEST_URL is not set: add `permissions: id-token: write` ' +
        'to the workflow or the job (pull requests from forks never get an ID token)',
    uploadUnavailable: enterpriseServer(env)
      ? `is true, but ${env['GITHUB_SERVER_URL']} is GitHub Enterprise Server, which has no artifact service for this action's client (the one of actions/upload-artifact@v4): set 'upload' to false and keep 'output-dir' with actions/upload-artifact@v3`
      : undefined,
  };
}

/** GitHub Enterprise Server, as @actions/artifact tells it (it refuses to upload there): not github.com, GHE.com or a local test host. */
function enterpriseServer(env: NodeJS.ProcessEnv): boolean {
  let host: string;
  try {
    host = new URL(env['GITHUB_SERVER_URL'] || 'https://github.com').hostname.toLowerCase();
  } catch {
    return false; // the artifact client judges a URL it cannot read
  }
  return host !== 'github.com' && !host.endsWith('.ghe.com') && !host.endsWith('.localhost');
}

/**
 * Unique per job, matrix leg and run attempt: the job's backend id (from the runtime token the artifact
 * client uses too) tells matrix legs apart, which GITHUB_JOB alone does not.
 */
export function defaultArtifactName(instance: string, env: NodeJS.ProcessEnv): string {
  const head = ['rds-errorlogs', instance];
  if (env['GITHUB_JOB']) head.push(env['GITHUB_JOB']);
  const tail: string[] = [];
  const jobBackendId = jobBackendIdFrom(env['ACTIONS_RUNTIME_TOKEN']);
  if (jobBackendId) tail.push(hash8(jobBackendId));
  tail.push(`attempt${env['GITHUB_RUN_ATTEMPT'] || '1'}`);
  const safe = (parts: string[]): string[] => parts.map((p) => p.replace(ARTIFACT_NAME_FORBIDDEN, '_'));
  let start = safe(head).join('-');
  const end = `-${safe(tail).join('-')}`;
  // Within the service's limit whatever the job and instance are called: a long start is cut and keeps a
  // hash of the whole, so two long names that differ only past the cut still differ.
  if ([...start].length + [...end].length > ARTIFACT_NAME_MAX) {
    start = `${[...start].slice(0, ARTIFACT_NAME_MAX - [...end].length - 9).join('')}-${hash8(start)}`;
  }
  return start + end;
}

function hash8(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 8);
}

function jobBackendIdFrom(token: string | undefined): string | undefined {
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { scp?: unknown };
    const scopes = typeof claims.scp === 'string' ? claims.scp.split(' ') : [];
    for (const s of scopes) {
      const m = /^Actions\.Results:[^:]+:([^:]+)$/.exec(s);
      if (m) return m[1];
    }
  } catch {
    // Not our token to judge; the artifact client reports a bad one itself.
  }
  return undefined;
}
