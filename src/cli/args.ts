// The command line and the environment → Config: flags are the action's input names, credentials come from
// OS_* variables or clouds.yaml (never from argv, which `ps` and shell history show), checked by core/config.ts.
import { lstat, stat } from 'node:fs/promises';
import { cannotCreateIn, cannotWrite } from '../core/writable.ts';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { asGiven, readConfig, SECRET_INPUTS, withHome, type Config } from '../core/config.ts';
import { homeOf } from '../core/home.ts';
import { InputError, type NameInput } from '../core/errors.ts';
import { iamRoot, loadCloud, type CloudValues } from './clouds.ts';

/** The action's inputs the CLI takes as flags (artifact and annotation inputs are GitHub's alone). */
export const FLAG_INPUTS = [
  'instance-id', 'instance-name', 'project-id', 'project-name', 'region', 'endpoint', 'iam-endpoint', 'poll-interval', 'timeout',
  'request-timeout', 'output-dir', 'since', 'recent-entries', 'parallel-downloads', 'log-type',
] as const;

/** Where each credential input comes from in the environment: the names OpenStack and OTC tools use. */
const ENV_INPUTS: Record<string, readonly string[]> = {
  token: ['OS_AUTH_TOKEN', 'OS_TOKEN'],
  'access-key': ['OS_ACCESS_KEY'],
  'secret-key': ['OS_SECRET_KEY'],
  'security-token': ['OS_SECURITY_TOKEN'],
  username: ['OS_USERNAME'],
  password: ['OS_PASSWORD'],
  domain: ['OS_USER_DOMAIN_NAME', 'OS_DOMAIN_NAME'],
  'project-id': ['OS_PROJECT_ID'],
  'project-name': ['OS_PROJECT_NAME', 'OS_TENANT_NAME'],
  region: ['OS_REGION_NAME'],
  'iam-endpoint': ['OS_AUTH_URL'],
};

/** Wrong use of the command line itself (unknown flag, stray argument): exit code 2 with a pointer to --help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A bad input, its message naming it the CLI's way (a flag, a variable, a clouds.yaml key): exit code 2. */
export class BadInput extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadInput';
  }
}

export type Parsed =
  | { kind: 'help' }
  | { kind: 'version'; json: boolean }
  | { kind: 'run'; config: Config; json: boolean; summaryFile: string | undefined; secrets: string[]; name: NameInput; cloud: UsedCloud | undefined };

/** The cloud of clouds.yaml a run took its settings from, and the files they came from (clouds.yaml, secure.yaml). */
export type UsedCloud = { name: string } & Pick<CloudValues, 'file' | 'secureFile' | 'inCurrentFolder'>;

const OPTIONS = {
  ...Object.fromEntries(FLAG_INPUTS.map((n) => [n, { type: 'string', multiple: n === 'instance-id' || n === 'instance-name' }])),
  'os-cloud': { type: 'string' },
  json: { type: 'boolean' },
  summary: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/** How the CLI names an input in a message: a flag, a variable, or a clouds.yaml key. */
function namer(sources: Record<string, string>): NameInput {
  return (input) => {
    if (sources[input]) return sources[input];
    if (Object.hasOwn(OPTIONS, input)) return `--${input}`;
    const vars = ENV_INPUTS[input];
    if (vars) return vars.join(' or ');
    return `the action's '${input}' (GitHub Actions only)`;
  };
}

export async function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv, cwd: string, now = new Date()): Promise<Parsed> {
  for (const arg of argv) {
    const flag = /^--([a-z-]+)(=|$)/.exec(arg)?.[1];
    if (flag && (SECRET_INPUTS as readonly string[]).includes(flag)) {
      throw new UsageError(`--${flag}: secrets are never taken on the command line (ps and shell history would show them); set ${ENV_INPUTS[flag]?.join(' or ')} or use --os-cloud`);
    }
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values as Record<string, string | string[] | boolean | undefined>;
  if (v['help']) return { kind: 'help' };
  if (v['version']) return { kind: 'version', json: v['json'] === true };

  const sources: Record<string, string> = {};
  try {
    return await fromValues(v, env, cwd, now, sources);
  } catch (e) {
    if (e instanceof InputError) throw new BadInput(e.format(namer(sources)));
    throw e;
  }
}

async function fromValues(
  v: Record<string, string | string[] | boolean | undefined>,
  env: NodeJS.ProcessEnv,
  cwd: string,
  now: Date,
  sources: Record<string, string>,
): Promise<Parsed> {
  const values: Record<string, string> = {};
  const given = (n: string): string | undefined => (typeof v[n] === 'string' && v[n].trim() !== '' ? v[n].trim() : undefined);
  const cloudFlag = given('os-cloud');
  const cloudName = cloudFlag ?? env['OS_CLOUD'];
  let used: UsedCloud | undefined;
  if (cloudName) {
    if (cloudFlag === undefined) sources['os-cloud'] = 'OS_CLOUD';
    const cloud = await loadCloud(cloudName, env, cwd);
    Object.assign(values, cloud.values);
    Object.assign(sources, cloud.sources);
    used = { name: cloudName, file: cloud.file, secureFile: cloud.secureFile, inCurrentFolder: cloud.inCurrentFolder };
  } else {
    // As openstacksdk: a named cloud brings its own credentials; the OS_* variables count without one.
    for (const [input, vars] of Object.entries(ENV_INPUTS)) {
      const set = vars.find((n) => env[n]);
      if (set) {
        const value = asGiven(input, env[set]!);
        values[input] = input === 'iam-endpoint' ? iamRoot(value) : value;
        sources[input] = set;
      }
    }
  }
  // The project by ID and by name, as openrc files and clouds.yaml often give both: the ID is used (as
  // keystoneauth does), unless a flag names the project the other way; then the environment's is set aside.
  // An empty flag ("$UNSET") names nothing, and sets nothing aside.
  const setAside = given('project-id') !== undefined ? 'project-name'
    : given('project-name') !== undefined ? 'project-id'
    : values['project-id'] ? 'project-name' : undefined;
  if (setAside) delete values[setAside];
  for (const input of FLAG_INPUTS) {
    // An empty flag (`--region "$UNSET"`) sets nothing: what the environment or the cloud says stands.
    const value = Array.isArray(v[input]) ? v[input].join('\n') : given(input);
    if (value === undefined) continue;
    values[input] = value;
    delete sources[input];
  }
  // The action's own inputs the CLI has no use for: nothing is uploaded, no annotations are written.
  values['upload'] = 'false';

  const name = namer(sources);
  const config = readConfig((input) => values[input] ?? '', {
    workDir: cwd,
    defaultOutputDir: (label) => resolve(cwd, `rds-logs-${label}`),
    defaultArtifactName: () => '',
    oidcUnavailable: 'OIDC sign-in works inside GitHub Actions only',
    home: () => homeOf(env),
    // With a cloud named, its own keys are what is missing; without one, clouds.yaml is another way in.
    credentials: cloudName ? { oidc: false } : { oidc: false, other: 'a cloud from clouds.yaml (--os-cloud or OS_CLOUD)' },
  }, now);
  const secrets = SECRET_INPUTS.map((n) => values[n] ?? '').filter((s) => s !== '');
  const summaryFlag = given('summary');
  // `--summary=~/s.md` reaches no shell that would expand it: read as --output-dir reads it.
  const summaryFile = summaryFlag !== undefined ? resolve(cwd, withHome(summaryFlag, 'summary', () => homeOf(env))) : undefined;
  if (summaryFile !== undefined) await checkWritable(summaryFile);
  return { kind: 'run', config, json: v['json'] === true, summaryFile, secrets, name, cloud: used };
}

/**
 * --summary's file can be written: said before any request, not after the downloads. Its folder may not exist
 * yet (it may be the output folder the run creates): then the nearest folder that exists must be writable.
 */
async function checkWritable(file: string): Promise<void> {
  const link = await lstat(file).catch(() => undefined);
  const existing = await stat(file).catch(() => undefined);
  if (link?.isSymbolicLink() && !existing) throw new InputError('summary', `'${file}' is a link to nothing`);
  if (existing?.isDirectory()) throw new InputError('summary', `'${file}' is a folder, not a file`);
  let dir = dirname(file);
  let found = await stat(dir).catch(() => undefined);
  while (!found && dirname(dir) !== dir) {
    dir = dirname(dir);
    found = await stat(dir).catch(() => undefined);
  }
  if (found && !found.isDirectory()) throw new InputError('summary', `'${file}' cannot be written: ${dir} is a file, not a folder`);
  const why = existing ? await cannotWrite(file) : await cannotCreateIn(dir);
  if (why !== undefined) throw new InputError('summary', `'${file}' cannot be written: ${existing ? 'it' : dir} is not writable (${why})`);
}

export const HELP = `Usage: otc-rds-logs --instance-id ID [options]
       otc-rds-logs --instance-name NAME [options]

Fetches PostgreSQL error logs from Open Telekom Cloud RDS, prints what they say, and keeps the files.

Instance
  --instance-id ID          the instance's ID; repeat it, or give several comma-separated
  --instance-name NAME      the instance's name (looked up), instead of or besides --instance-id
  --project-id ID           default: OS_PROJECT_ID, or from the token, or looked up by --project-name
  --project-name NAME       a sub-project (eu-de_prod), looked up (default: OS_PROJECT_NAME or OS_TENANT_NAME,
                            else the region's)
  --region NAME             default: OS_REGION_NAME, else eu-de
  --endpoint URL            the RDS API (default: the region's)
  --iam-endpoint URL        IAM (default: OS_AUTH_URL without its /v3, else the region's)
  --os-cloud NAME           a cloud from clouds.yaml (default: OS_CLOUD); its entry then stands for every OS_*
                            variable (project_id, project_name, region_name, auth_url, credentials)

What and how
  --log-type TYPE           error (the error log, default), slow (the slow-query log) or all (both)
  --since WHEN              only entries since an ISO-8601 time (without a zone: UTC, not local time) or a
                            duration ago (45m, 2h)
  --output-dir DIR          where the files go (default: ./rds-logs-<instance>)
  --timeout D               how long the run may take: polling, downloads, reading (default 10m; at least
                            --poll-interval, at most 6h); a request still running gets one --request-timeout more
  --poll-interval D         between calls while RDS prepares the logs (default 5s; 1s to 10m)
  --request-timeout D       abort a request that gets nothing for this long (default 30s; 1s to 10m)
  --parallel-downloads N    files downloaded at once (default 4)
  --recent-entries N        last entries shown with their details (default 20)

Output
  --json                    one JSON report on stdout (the action's outputs and the digest), nothing else
  --summary FILE            also write the Markdown the action puts in the job summary
  -h, --help                this text
  -V, --version             the version

Credentials (from the environment or clouds.yaml, never flags), one mode of:
  OS_AUTH_TOKEN (or OS_TOKEN)
  OS_ACCESS_KEY + OS_SECRET_KEY (+ OS_SECURITY_TOKEN for a temporary key)
  OS_USERNAME + OS_PASSWORD + OS_USER_DOMAIN_NAME (or OS_DOMAIN_NAME)

Exit codes: 0 done, 1 failed, 2 bad usage or input; interrupted: 130 (Ctrl-C), 143 (SIGTERM),
129 (SIGHUP), partial files removed.
`;
