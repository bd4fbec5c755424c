// Strict parsing of the action's inputs: every problem names the input and what is allowed, before any request.
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from './errors.ts';
import { parseDuration } from './duration.ts';
import { rdsEndpointForRegion } from './endpoints.ts';

/** Reads one input as the runner passes it (already trimmed); '' when not set. */
export type InputGetter = (name: string) => string;

export interface TokenAuth {
  kind: 'token';
  token: string;
}
export type AuthConfig = TokenAuth;

export interface Config {
  projectId: string;
  instanceId: string;
  auth: AuthConfig;
  region: string;
  /** Base URL of the RDS API, no trailing slash. */
  endpoint: URL;
  pollIntervalMs: number;
  timeoutMs: number;
  /** A request that gets no data for this long is aborted (and retried). */
  requestTimeoutMs: number;
  outputDir: string;
  artifactName: string;
  upload: boolean;
  retentionDays: number | undefined;
  compressionLevel: number;
  overwrite: boolean;
  parallelDownloads: number;
  since: Date | undefined;
  recentEntries: number;
  maxAnnotations: number;
}

/** Inputs that hold secrets: masked before anything else reads them. */
export const SECRET_INPUTS = ['token'] as const;

// Project and instance ids go into the URL path: allow only what OTC ids are made of.
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
// Characters the artifact service refuses in a name.
const ARTIFACT_NAME_FORBIDDEN = /["':<>|*?\\/\r\n]/;

export function readInputs(get: InputGetter, env: NodeJS.ProcessEnv, now: Date = new Date()): Config {
  const projectId = requiredId(get, 'project-id');
  const instanceId = requiredId(get, 'instance-id');
  const auth = readAuth(get);

  const region = get('region') || 'eu-de';
  // An explicit endpoint makes the region a label only, so any region name is fine then.
  const endpoint = get('endpoint') ? parseEndpoint('endpoint', get('endpoint')) : rdsEndpointForRegion(region);

  const pollIntervalMs = duration(get, 'poll-interval', '5s', 1_000, 10 * 60_000);
  const timeoutMs = duration(get, 'timeout', '10m', 1_000, 6 * 3_600_000);
  if (pollIntervalMs > timeoutMs) {
    throw new InputError('poll-interval', `must not be longer than 'timeout' (${get('timeout') || '10m'})`);
  }

  const requestTimeoutMs = duration(get, 'request-timeout', '30s', 1_000, 10 * 60_000);

  const runnerTemp = env['RUNNER_TEMP'] || tmpdir();
  const outputDirRaw = get('output-dir');
  const outputDir = outputDirRaw
    ? resolve(env['GITHUB_WORKSPACE'] || process.cwd(), outputDirRaw)
    : join(runnerTemp, `rds-errorlogs-${instanceId}`);
  if (outputDirRaw.includes('\0')) throw new InputError('output-dir', 'must be a path');

  const artifactName = get('artifact-name') || defaultArtifactName(instanceId, env);
  if (ARTIFACT_NAME_FORBIDDEN.test(artifactName)) {
    throw new InputError('artifact-name', `'${artifactName}' contains a character the artifact service refuses (" ' : < > | * ? \\ / or a line break)`);
  }
  if (artifactName.length > 200) throw new InputError('artifact-name', 'must be at most 200 characters');

  const retentionRaw = get('retention-days');
  const retentionDays = retentionRaw === '' ? undefined : integer('retention-days', retentionRaw, 1, 400);

  return {
    projectId,
    instanceId,
    auth,
    region,
    endpoint,
    pollIntervalMs,
    timeoutMs,
    requestTimeoutMs,
    outputDir,
    artifactName,
    upload: boolean(get, 'upload', true),
    retentionDays,
    compressionLevel: integer('compression-level', get('compression-level') || '6', 0, 9),
    overwrite: boolean(get, 'overwrite', false),
    parallelDownloads: integer('parallel-downloads', get('parallel-downloads') || '4', 1, 16),
    since: since(get('since'), now),
    recentEntries: integer('recent-entries', get('recent-entries') || '20', 0, 200),
    maxAnnotations: integer('max-annotations', get('max-annotations') || '10', 0, 50),
  };
}

function readAuth(get: InputGetter): AuthConfig {
  const token = get('token');
  if (!token) throw new InputError('token', 'is required: an IAM token for the project (X-Auth-Token)');
  if (/\s/.test(token)) throw new InputError('token', 'contains white space or a line break; paste the token alone');
  return { kind: 'token', token };
}

function requiredId(get: InputGetter, name: string): string {
  const v = get(name);
  if (!v) throw new InputError(name, 'is required');
  if (!ID_PATTERN.test(v)) {
    throw new InputError(name, `'${v}' is not an id: use letters, digits, '-' and '_' only (1 to 64 characters)`);
  }
  return v;
}

export function parseEndpoint(name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(name, `'${raw}' is not a URL; give one like https://rds.eu-de.otc.t-systems.com`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError(name, `must be an https URL, not ${url.protocol}`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new InputError(name, `plain http is allowed only for a loopback host (127.0.0.0/8, ::1, localhost); use https for ${url.hostname}`);
  }
  if (url.username || url.password) throw new InputError(name, 'must not carry credentials');
  // A bare '?' or '#' leaves search and hash empty but stays in href, where it would swallow the API path.
  if (url.search || url.hash || /[?#]/.test(url.href)) throw new InputError(name, 'must not have a query or fragment');
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

function duration(get: InputGetter, name: string, fallback: string, min: number, max: number): number {
  const raw = get(name) || fallback;
  const ms = parseDuration(raw);
  if (ms === undefined) {
    throw new InputError(name, `'${raw}' is not a duration; write a number with a unit, like 500ms, 5s, 2m or 1h`);
  }
  if (ms < min || ms > max) {
    throw new InputError(name, `'${raw}' is out of range; allowed is ${describe(min)} to ${describe(max)}`);
  }
  return ms;
}

function describe(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1_000}s`;
}

function integer(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new InputError(name, `'${raw}' is not a whole number; allowed is ${min} to ${max}`);
  const n = Number(raw);
  if (n < min || n > max) throw new InputError(name, `${n} is out of range; allowed is ${min} to ${max}`);
  return n;
}

// The YAML 1.2 core schema booleans, as @actions/core accepts them.
function boolean(get: InputGetter, name: string, fallback: boolean): boolean {
  const raw = get(name);
  if (raw === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(raw)) return true;
  if (['false', 'False', 'FALSE'].includes(raw)) return false;
  throw new InputError(name, `'${raw}' is not a boolean; use true or false`);
}

function since(raw: string, now: Date): Date | undefined {
  if (!raw) return undefined;
  const ago = parseDuration(raw);
  if (ago !== undefined) return new Date(now.getTime() - ago);
  // An ISO-8601 time with a date; a time without a zone is read as UTC, as the logs are.
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(raw)) {
    const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(raw) && raw.length > 10;
    const iso = raw.replace(' ', 'T') + (hasZone || raw.length === 10 ? '' : 'Z');
    const d = new Date(iso);
    // Date rolls 2026-02-30 over to March 2: refuse a day the month does not have instead.
    const [y, m, day] = raw.slice(0, 10).split('-').map(Number) as [number, number, number];
    if (!Number.isNaN(d.getTime()) && new Date(Date.UTC(y, m - 1, day)).getUTCDate() === day) return d;
  }
  throw new InputError('since', `'${raw}' is neither an ISO-8601 time (2026-11-28T14:05:00Z) nor a duration ago (45m, 2h)`);
}

/**
 * Unique per job, matrix leg and run attempt: the job's backend id (from the runtime token the artifact
 * client uses too) tells matrix legs apart, which GITHUB_JOB alone does not.
 */
export function defaultArtifactName(instanceId: string, env: NodeJS.ProcessEnv): string {
  const parts = ['rds-errorlogs', instanceId];
  if (env['GITHUB_JOB']) parts.push(env['GITHUB_JOB']);
  const jobBackendId = jobBackendIdFrom(env['ACTIONS_RUNTIME_TOKEN']);
  if (jobBackendId) parts.push(createHash('sha256').update(jobBackendId).digest('hex').slice(0, 8));
  parts.push(`attempt${env['GITHUB_RUN_ATTEMPT'] || '1'}`);
  return parts.join('-').replace(/["':<>|*?\\/\r\n]/g, '_');
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
