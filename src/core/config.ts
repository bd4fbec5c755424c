// The run's configuration and the checks both doors apply to it: every problem names the input and what is allowed.
import { homeOf } from './home.ts';
import { resolve } from 'node:path';
import { parseDuration } from './duration.ts';
import { InputError, type NameInput } from './errors.ts';
import { iamEndpointForRegion, rdsEndpointForRegion, regionConfirmed } from '../cloud/endpoints.ts';
import { CLOUD_ID, isLoopbackHost } from '../cloud/urls.ts';
import type { LogType } from '../cloud/rds.ts';

/**
 * Reads one input by its action name, trimmed (a door may keep a password's spaces: asGiven); '' when not set.
 * Each door maps its own names to these.
 */
export type InputGetter = (name: string) => string;

export interface TokenAuth {
  kind: 'token';
  token: string;
}
export interface AkSkAuth {
  kind: 'aksk';
  accessKey: string;
  secretKey: string;
  /** Set for temporary access keys. */
  securityToken: string | undefined;
}
export interface PasswordAuth {
  kind: 'password';
  username: string;
  password: string;
  /** The account (domain) name. */
  domain: string;
}
export interface OidcAuth {
  kind: 'oidc';
  /** The OpenID Connect identity provider's id in OTC IAM, sent as X-Idp-Id. */
  identityProvider: string;
  /** The `aud` the GitHub ID token is requested for. */
  audience: string;
}
export type AuthConfig = TokenAuth | AkSkAuth | PasswordAuth | OidcAuth;

/** The instance as the user named it: by id, or by name (looked up). */
export type InstanceRef = { by: 'id'; id: string } | { by: 'name'; name: string };

export interface Config {
  /** Undefined: taken from the IAM token, or looked up by `projectName`. */
  projectId: string | undefined;
  /** The project to sign in to or look up when `projectId` is not set: 'project-name', else the region's name. */
  projectName: string;
  /** Every instance named, in the order given (instance-id's first): at least one. */
  instances: readonly InstanceRef[];
  /** The instance one run fetches: the first of `instances`; core/many.ts sets it to each in turn. */
  instance: InstanceRef;
  auth: AuthConfig;
  region: string;
  /** Base URL of the RDS API, no trailing slash. */
  endpoint: URL;
  /** The endpoint is the region's by a guess the public docs do not confirm (no 'endpoint' given). */
  endpointGuessed: boolean;
  /** Base URL of IAM; undefined when the region is unknown and 'iam-endpoint' is not set (then IAM is not needed). */
  iamEndpoint: URL | undefined;
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
  /** Which logs to fetch: the error log, the slow-query log, or both (in this order). */
  logTypes: LogType[];
}

/** Inputs that hold secrets: masked before anything else reads them. */
export const SECRET_INPUTS = ['token', 'access-key', 'secret-key', 'security-token', 'password'] as const;

/**
 * An input's value as a door that reads it raw takes it (the command line, from OS_* or clouds.yaml): trimmed, but
 * a password as written (keystoneauth sends its spaces too); no token or key has white space in it.
 */
export function asGiven(input: string, raw: string): string {
  return input === 'password' ? raw : raw.trim();
}

// Characters the artifact service refuses in a name.
export const ARTIFACT_NAME_FORBIDDEN = /["':<>|*?\\/\r\n]/g;
/** The artifact service's longest name, in characters. */
export const ARTIFACT_NAME_MAX = 256;

/** What differs between the doors: where files go by default, what the artifact is called, whether OIDC can work. */
export interface Surroundings {
  /** A relative 'output-dir' is resolved against this. */
  workDir: string;
  /** The folder when 'output-dir' is not set, for the instance's folder-safe label. */
  defaultOutputDir: (label: string) => string;
  /** The artifact's name when 'artifact-name' is not set, for the instance's label. */
  defaultArtifactName: (label: string) => string;
  /** Why OIDC sign-in cannot work here; undefined when it can. */
  oidcUnavailable: string | undefined;
  /** Why the artifact upload cannot work here (GitHub Enterprise Server); undefined when it can. */
  uploadUnavailable?: string | undefined;
  /** The home folder a leading `~` stands for (default: this process's, homeOf()); undefined when there is none. */
  home?: () => string | undefined;
  /**
   * For the message when no credentials are given: whether this door has OIDC sign-in at all (the command line
   * has not), and what else it can take (the command line: a cloud from clouds.yaml).
   */
  credentials?: { oidc: boolean; other?: string };
}

/** The region when none is given. */
const DEFAULT_REGION = 'eu-de';

/** The one validation both doors use: inputs by their action names in, a checked Config out. */
export function readConfig(get: InputGetter, around: Surroundings, now: Date = new Date()): Config {
  const projectIdRaw = get('project-id');
  const projectId = projectIdRaw ? cloudName('project-id', projectIdRaw) : undefined;
  const instances = readInstances(get);
  const instance = instances[0]!;
  const label = instancesLabel(instances);

  const region = get('region') || DEFAULT_REGION;
  const projectName = readProjectName(get('project-name'), projectId, region);
  // An explicit endpoint makes the region a label only, so any region name is fine then.
  const endpoint = get('endpoint') ? parseEndpoint('endpoint', get('endpoint')) : rdsEndpointForRegion(region);
  const endpointGuessed = !get('endpoint') && !regionConfirmed(region);
  const iamEndpoint = get('iam-endpoint') ? parseEndpoint('iam-endpoint', get('iam-endpoint')) : iamEndpointForRegion(region);
  const auth = readAuth(get, around, iamEndpoint);
  const iamUse = whyIam(auth, projectId);
  if (iamUse && !iamEndpoint) {
    throw new InputError('iam-endpoint', (n) => `is required for ${iamUse(n)}: region '${region}' is not one known here, so its IAM endpoint is unknown`);
  }

  const pollIntervalMs = duration(get, 'poll-interval', '5s', 1_000, 10 * 60_000);
  const timeoutMs = duration(get, 'timeout', '10m', 1_000, 6 * 3_600_000);
  if (pollIntervalMs > timeoutMs) {
    // Named after the one that was set: a short timeout alone meets the default interval.
    if (get('poll-interval') === '') throw new InputError('timeout', (n) => `'${get('timeout')}' is shorter than ${n('poll-interval')} (5s when not set): set it to at least that, or set ${n('poll-interval')} lower`);
    // The runner passes every default, so in the action a short timeout alone lands here too: say both values.
    throw new InputError('poll-interval', (n) => `${get('poll-interval') || '5s'} is longer than ${n('timeout')} (${get('timeout') || '10m'}): raise ${n('timeout')} or lower ${n('poll-interval')} (5s by default)`);
  }

  const requestTimeoutMs = duration(get, 'request-timeout', '30s', 1_000, 10 * 60_000);

  const outputDirRaw = get('output-dir');
  // No shell reads a workflow's `with:`: `~/logs` would be a folder named `~` (actions/upload-artifact expands it too).
  const outputDirGiven = withHome(outputDirRaw, 'output-dir', around.home);
  const outputDir = outputDirGiven ? resolve(around.workDir, outputDirGiven) : around.defaultOutputDir(safeLabel(label));
  if (outputDirRaw.includes('\0')) throw new InputError('output-dir', 'must be a path');

  const artifactName = get('artifact-name') || around.defaultArtifactName(label);
  if (artifactName.search(ARTIFACT_NAME_FORBIDDEN) >= 0) {
    throw new InputError('artifact-name', `'${artifactName}' contains a character the artifact service refuses (" ' : < > | * ? \\ / or a line break)`);
  }
  const length = [...artifactName].length;
  if (length > ARTIFACT_NAME_MAX) throw new InputError('artifact-name', `is ${length} characters long; the artifact service allows 1 to ${ARTIFACT_NAME_MAX}`);

  const retentionRaw = get('retention-days');
  const retentionDays = retentionRaw === '' ? undefined : integer('retention-days', retentionRaw, 1, 400);

  return {
    projectId,
    projectName,
    instances,
    instance,
    auth,
    region,
    endpoint,
    endpointGuessed,
    iamEndpoint,
    pollIntervalMs,
    timeoutMs,
    requestTimeoutMs,
    outputDir,
    artifactName,
    upload: upload(get, around.uploadUnavailable),
    retentionDays,
    compressionLevel: integer('compression-level', get('compression-level') || '6', 0, 9),
    overwrite: boolean(get, 'overwrite', false),
    parallelDownloads: integer('parallel-downloads', get('parallel-downloads') || '4', 1, 16),
    since: since(get('since'), now),
    recentEntries: integer('recent-entries', get('recent-entries') || '20', 0, 200),
    maxAnnotations: integer('max-annotations', get('max-annotations') || '10', 0, 50),
    logTypes: logTypes(get('log-type')),
  };
}

/** 'upload', refused before any request where it cannot work: not after the downloads. */
function upload(get: InputGetter, unavailable: string | undefined): boolean {
  const on = boolean(get, 'upload', true);
  if (on && unavailable) throw new InputError('upload', unavailable);
  return on;
}

/** The auth modes and their inputs: a mode's `required` inputs are set together, its `optional` ones may join them. */
const AUTH_MODES = [
  { kind: 'token', label: 'token', required: ['token'], optional: [] },
  { kind: 'aksk', label: 'AK/SK', required: ['access-key', 'secret-key'], optional: ['security-token'] },
  { kind: 'password', label: 'IAM password', required: ['username', 'password', 'domain'], optional: [] },
  { kind: 'oidc', label: 'OIDC', required: ['identity-provider'], optional: ['audience'] },
] as const;

/** Exactly one auth mode, chosen by which inputs are set; every clash or missing partner is named. */
function readAuth(get: InputGetter, around: Surroundings, iamEndpoint: URL | undefined): AuthConfig {
  const oidcUnavailable = around.oidcUnavailable;
  const given: Record<string, string> = Object.fromEntries(
    AUTH_MODES.flatMap((m) => [...m.required, ...m.optional]).map((n) => [n, get(n)]),
  );
  const chosen = AUTH_MODES.filter((m) => [...m.required, ...m.optional].some((n) => given[n]));
  if (chosen.length === 0) {
    const oidc = around.credentials?.oidc ?? true;
    const other = around.credentials?.other;
    const modes = AUTH_MODES.filter((m) => oidc || m.kind !== 'oidc');
    throw new InputError(
      modes.map((m) => m.required[0]),
      (n) => {
        const ways = [n('token'), `${n('access-key')} + ${n('secret-key')}`, `${n('username')} + ${n('password')} + ${n('domain')}`];
        if (oidc) ways.push(`${n('identity-provider')} (GitHub OIDC)`);
        if (other) ways.push(other);
        return `none is set; credentials of one auth mode are needed: ${ways.slice(0, -1).join('; ')}; or ${ways.at(-1)}. See the README, section Authentication`;
      },
    );
  }
  if (chosen.length > 1) {
    const set = chosen.flatMap((m) => [...m.required, ...m.optional].filter((n) => given[n]));
    throw new InputError(set, `belong to ${chosen.length} auth modes (${chosen.map((m) => m.label).join(', ')}); set those of one mode only`);
  }
  const mode = chosen[0]!;
  const setNames = [...mode.required, ...mode.optional].filter((n) => given[n]);
  const missing = mode.required.filter((n) => !given[n]);
  if (missing.length > 0) {
    throw new InputError(missing, (n) => `${missing.length > 1 ? 'are' : 'is'} required with ${setNames.map(n).join(' and ')} (${mode.label} auth)`);
  }
  const single = (name: string, what: string): string => {
    const v = given[name] ?? '';
    if (/\s/.test(v)) throw new InputError(name, `contains white space or a line break; paste the ${what} alone`);
    // Sent in a header (or a URL): only visible ASCII can be, and no token or key has anything else.
    const bad = /[^\x21-\x7e]/u.exec(v);
    // Where, not what: a letter may be a secret's own, mistyped (ö for o). An invisible one (a no-break space, NEL)
    // is pasting's, and its code point is what finds it.
    if (bad) {
      const invisible = /[\p{C}\p{Z}]/u.test(bad[0]) ? ` (U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}, invisible)` : '';
      // In characters as a person counts them (an emoji is one), not UTF-16 units; all before `bad` is ASCII.
      throw new InputError(name, `has a character other than visible ASCII at position ${bad.index + 1} of ${[...v].length}${invisible}: ${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what} is ASCII letters, digits and punctuation only`);
    }
    return v;
  };
  const text = (name: string): string => {
    const v = given[name] ?? '';
    if (/[\u0000-\u001f\u007f]/.test(v)) throw new InputError(name, 'contains a line break or a control character');
    return v;
  };
  switch (mode.kind) {
    case 'token':
      return { kind: 'token', token: single('token', 'token') };
    case 'aksk': {
      const accessKey = single('access-key', 'access key');
      if (!/^[A-Za-z0-9]+$/.test(accessKey)) throw new InputError('access-key', 'is not an access key: letters and digits only (the AK, not the secret key)');
      return { kind: 'aksk', accessKey, secretKey: single('secret-key', 'secret key'), securityToken: given['security-token'] ? single('security-token', 'security token') : undefined };
    }
    case 'password':
      return { kind: 'password', username: text('username'), password: text('password'), domain: text('domain') };
    case 'oidc': {
      const identityProvider = single('identity-provider', 'identity provider id');
      // It goes into IAM's URL path: the characters IAM allows in a provider's name, nothing that would change the path.
      cloudName('identity-provider', identityProvider, 'an identity provider name');
      if (oidcUnavailable) throw new InputError('identity-provider', oidcUnavailable);
      const audience = given['audience'] ? single('audience', 'audience') : iamEndpoint?.hostname ?? '';
      return { kind: 'oidc', identityProvider, audience };
    }
  }
}

// IAM's project names: the region's own project is named like the region, a sub-project '<region>_<name>';
// made of what ids are (they go into IAM's query).

/** 'project-name', checked against the region (a project belongs to one); the region's name when not set. */
function readProjectName(raw: string, projectId: string | undefined, region: string): string {
  if (raw === '') return region;
  if (projectId !== undefined) throw new InputError(['project-id', 'project-name'], 'are both set; set the ID, or the name to look the ID up by');
  cloudName('project-name', raw, 'a project name');
  if (raw !== region && !raw.startsWith(`${region}_`)) {
    throw new InputError('project-name', (n) => `'${raw}' is not a project of region '${region}': its projects are named '${region}' or '${region}_<name>'; set ${n('region')} to the project's region`);
  }
  return raw;
}

/** What the run needs IAM for, if anything. */
function whyIam(auth: AuthConfig, projectId: string | undefined): ((n: NameInput) => string) | undefined {
  if (auth.kind === 'password') return () => 'password sign-in';
  if (auth.kind === 'oidc') return () => 'OIDC sign-in';
  if (projectId === undefined) return (n) => `looking up the project id (${n('project-id')} is not set)`;
  return undefined;
}

/** Most instances one step fetches: beyond that a matrix (a job per instance, retried apart) serves better. */
const MAX_INSTANCES = 20;

/** One value per line or comma-separated (RDS names and ids have no commas); both inputs may be mixed. */
function listOf(raw: string): string[] {
  return raw.split(/[\n,]/).map((v) => v.trim()).filter((v) => v !== '');
}

function readInstances(get: InputGetter): InstanceRef[] {
  const refs: InstanceRef[] = [
    // A YAML folded block (>) joins lines with spaces: the ids were meant to be several.
    ...listOf(get('instance-id')).map((v): InstanceRef => ({ by: 'id', id: cloudName('instance-id', v, 'an id', /\s/.test(v) ? '; give several one per line (a | block) or comma-separated' : '') })),
    ...listOf(get('instance-name')).map((v): InstanceRef => ({ by: 'name', name: instanceName(v) })),
  ];
  if (refs.length === 0) throw new InputError(['instance-id', 'instance-name'], 'one of them is required');
  const seen = new Set<string>();
  for (const ref of refs) {
    const key = `${ref.by}:${instanceLabel(ref)}`;
    if (seen.has(key)) throw new InputError(ref.by === 'id' ? 'instance-id' : 'instance-name', `names '${instanceLabel(ref)}' twice`);
    seen.add(key);
  }
  if (refs.length > MAX_INSTANCES) {
    throw new InputError(['instance-id', 'instance-name'], `name ${refs.length} instances; at most ${MAX_INSTANCES} are fetched in one step (use a matrix for more)`);
  }
  return refs;
}

function instanceName(v: string): string {
  if (v.length > 64 || /[\u0000-\u001f\u007f]/.test(v)) {
    throw new InputError('instance-name', 'is not an RDS instance name: at most 64 characters, no line breaks');
  }
  // The API reads a leading '*' as "names containing what follows".
  if (v.startsWith('*')) throw new InputError('instance-name', "must not start with '*': give the exact name");
  return v;
}

/** What names the instance in file and artifact names before its id is known. */
export function instanceLabel(ref: InstanceRef): string {
  return ref.by === 'id' ? ref.id : ref.name;
}

/** What names several instances in default folder and artifact names: all labels when short, else the first and a count. */
function instancesLabel(refs: readonly InstanceRef[]): string {
  const all = refs.map(instanceLabel).join('+');
  return refs.length === 1 || all.length <= 80 ? all : `${instanceLabel(refs[0]!)}+${refs.length - 1}-more`;
}

/** One folder-name-safe path component (it follows a prefix): an instance name is the user's text. */
function safeLabel(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** An id or name the user gave that goes into a URL path or IAM's query: only what OTC ids are made of. */
function cloudName(name: string, v: string, what = 'an id', hint = ''): string {
  if (CLOUD_ID.test(v)) return v;
  throw new InputError(name, `'${v}' is not ${what}: 1 to 64 letters, digits, '-' and '_'${hint}`);
}

function parseEndpoint(name: string, raw: string): URL {
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
  // The calls add their version themselves: a base ending in one would ask for /v3/v3/..., which the gateway
  // answers with a 404 that reads like a wrong instance.
  const version = /\/(v\d+(\.\d+)?)$/i.exec(url.pathname)?.[1];
  if (version) throw new InputError(name, `'${raw}' ends in /${version}: give the base URL without it (each call adds its own version), ${url.origin}${url.pathname.slice(0, -version.length - 1)}`);
  return url;
}

function duration(get: InputGetter, name: string, fallback: string, min: number, max: number): number {
  const raw = get(name) || fallback;
  const ms = parseDuration(raw);
  if (ms === undefined) {
    throw new InputError(name, `'${raw}' is not a duration; write a number with a unit, like 5s, 2m or 1m30s`);
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

const LOG_TYPES: Record<string, LogType[]> = { error: ['error'], slow: ['slow'], all: ['error', 'slow'] };

function logTypes(raw: string): LogType[] {
  if (raw === '') return ['error'];
  const types = Object.hasOwn(LOG_TYPES, raw) ? LOG_TYPES[raw] : undefined;
  if (!types) throw new InputError('log-type', `'${raw}' is not a log type; use error (the error log), slow (the slow-query log) or all (both)`);
  return [...types];
}

function since(raw: string, now: Date): Date | undefined {
  const d = parseSince(raw, now);
  // A minute of leeway for a runner's clock; after that the window would be empty and the counts a lie.
  if (d !== undefined && d.getTime() > now.getTime() + 60_000) {
    throw new InputError('since', `'${raw}' is in the future (now is ${now.toISOString()}): no log entry can be newer than now`);
  }
  return d;
}

function parseSince(raw: string, now: Date): Date | undefined {
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

/** A path with a leading `~/` read as the home folder (core/home.ts); a container's user may have none. */
export function withHome(path: string, input: string, homeFolder: () => string | undefined = homeOf): string {
  if (!/^~(?=$|[\\/])/.test(path)) return path;
  const home = homeFolder();
  if (home === undefined) throw new InputError(input, "starts with '~', but this user has no home folder (HOME is empty or unset, and the system knows none): give a full path");
  return home + path.slice(1);
}
