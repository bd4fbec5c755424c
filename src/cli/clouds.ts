// clouds.yaml, found where openstacksdk finds it (its config loader, with platformdirs' folders): $OS_CLIENT_CONFIG_FILE,
// then clouds.yaml, .yml or .json in ./, the user's config folder (Linux: $XDG_CONFIG_HOME/openstack or
// ~/.config/openstack; macOS: ~/Library/Application Support/openstack; Windows: %LOCALAPPDATA%\OpenStack\openstack),
// ~/.config/openstack, the system's (Linux: each of $XDG_CONFIG_DIRS, /etc/xdg by default, + /openstack; macOS:
// /Library/Application Support/openstack; Windows: %PROGRAMDATA%\OpenStack\openstack) and /etc/openstack; the
// first file found wins, and a secure.yaml found the same way ($OS_CLIENT_SECURE_FILE, then the same folders)
// adds its secrets. One cloud's entry is mapped onto the action's input names.
import { readFile } from 'node:fs/promises';
import { dirname, join, posix, win32 } from 'node:path';
import { asGiven } from '../core/config.ts';
import { InputError } from '../core/errors.ts';
import { homeOf } from '../core/home.ts';

/** What a cloud entry gives: input name → value, and where each came from (for messages). */
export interface CloudValues {
  file: string;
  /** The secure.yaml that gave this cloud values, when one did. */
  secureFile: string | undefined;
  /** Those of the two found in the current folder by the search (not named by OS_CLIENT_*_FILE). */
  inCurrentFolder: string[];
  values: Record<string, string>;
  sources: Record<string, string>;
}

/** Credentials: when a cloud lacks one, a message names the cloud's key (the OS_* variables are not read then). */
const CREDENTIAL_INPUTS = new Set(['token', 'username', 'password', 'domain', 'access-key', 'secret-key']);

const SUFFIXES = ['.yaml', '.yml', '.json'];

/** The folders openstacksdk looks in, in its order, on `platform`. */
export function searchFolders(env: NodeJS.ProcessEnv, cwd: string, platform: NodeJS.Platform = process.platform): string[] {
  const path = platform === 'win32' ? win32 : posix;
  const home = homeOf(env, platform);
  const under = (base: string | undefined, ...parts: string[]): string | undefined => (base ? path.join(base, ...parts) : undefined);
  // platformdirs' user and site config folders for the app 'openstack' of 'OpenStack'.
  const [user, site] = platform === 'win32'
    ? [[under(env['LOCALAPPDATA'] || under(home, 'AppData', 'Local'), 'OpenStack', 'openstack')], [under(env['PROGRAMDATA'] || env['ALLUSERSPROFILE'] || 'C:\\ProgramData', 'OpenStack', 'openstack')]]
    : platform === 'darwin'
      ? [[under(home, 'Library', 'Application Support', 'openstack')], ['/Library/Application Support/openstack']]
      : [[env['XDG_CONFIG_HOME'] ? under(env['XDG_CONFIG_HOME'], 'openstack') : under(home, '.config', 'openstack')],
        (env['XDG_CONFIG_DIRS'] || '/etc/xdg').split(':').filter((d) => d !== '').map((d) => under(d, 'openstack'))];
  // ~/.config/openstack on every platform too (a snap's HOME is not the real one: SNAP_REAL_HOME is).
  const unixHome = under(env['SNAP_REAL_HOME'] || home, '.config', 'openstack');
  return [...new Set([cwd, ...user, unixHome, ...site, '/etc/openstack'].filter((d): d is string => d !== undefined))];
}

function overrideOf(env: NodeJS.ProcessEnv, base: 'clouds' | 'secure'): string | undefined {
  return env[base === 'clouds' ? 'OS_CLIENT_CONFIG_FILE' : 'OS_CLIENT_SECURE_FILE'] || undefined;
}

function searchPath(env: NodeJS.ProcessEnv, cwd: string, base: 'clouds' | 'secure'): string[] {
  const override = overrideOf(env, base);
  return [...(override ? [override] : []), ...searchFolders(env, cwd).flatMap((d) => SUFFIXES.map((s) => join(d, base + s)))];
}

/** A file's text: UTF-8 (a BOM dropped), or UTF-16 with its BOM, as Windows PowerShell 5.1's `>` writes it. */
function decode(buf: Buffer): string {
  if (buf[0] === 0xff && buf[1] === 0xfe) return buf.subarray(2).toString('utf16le');
  if (buf[0] === 0xfe && buf[1] === 0xff) return Buffer.from(buf.subarray(2, buf.length - (buf.length & 1))).swap16().toString('utf16le');
  return buf.toString('utf8').replace(/^\uFEFF/, '');
}

async function firstFile(paths: string[]): Promise<{ path: string; text: string } | undefined> {
  for (const path of paths) {
    try {
      return { path, text: decode(await readFile(path)) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ENOTDIR') {
        throw new InputError('os-cloud', `could not read ${path}: ${(e as Error).message}`);
      }
    }
  }
  return undefined;
}

async function parse(file: { path: string; text: string }): Promise<Record<string, unknown>> {
  // Loaded only when a cloud is named: the YAML parser stays out of every other run's start-up.
  const yaml: typeof import('yaml') & { default?: typeof import('yaml') } = await import('yaml');
  // The package's Node build is CommonJS: bundled, its exports may sit under `default`.
  const parseDocument = yaml.default?.parseDocument ?? yaml.parseDocument;
  // The file holds passwords: a problem is named by its place and kind, never by quoting the file (the parser's
  // messages and warnings do, and its warnings would go to stderr by themselves: a password starting with '!'
  // reads as a tag).
  const bad = (what: string): never => {
    throw new InputError('os-cloud', `${file.path} is not valid YAML: ${what}; a value that starts with ! * & or another YAML indicator must be quoted`);
  };
  const doc = parseDocument(file.text, { logLevel: 'silent' });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const at = problem.linePos?.[0];
    bad(`${problem.code.toLowerCase().replace(/_/g, ' ')}${at ? ` at line ${at.line}, column ${at.col}` : ''}`);
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch {
    bad('an alias (*name) that no anchor (&name) sets, or too many aliases');
  }
  return isObject(value) ? value : {};
}

/** IAM's address for an OpenStack auth URL: that names the Identity v3 root, and this tool adds /v3 itself. */
export function iamRoot(authUrl: string): string {
  return authUrl.replace(/\/v3\/?$/, '');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}


/**
 * The cloud's credentials and settings by the action's input names. Keys as openstacksdk reads them
 * (auth.token, auth.username, auth.password, auth.user_domain_name or auth.domain_name, auth.project_id,
 * auth.auth_url, region_name) and as python-otcextensions adds them for access keys (ak, sk, security_token).
 * Its sample cloud sets both a password in auth and ak/sk at the top level, for object storage: there the
 * top-level keys are set aside, and they sign the requests only in a cloud without a token or user in auth.
 */
export async function loadCloud(name: string, env: NodeJS.ProcessEnv, cwd: string): Promise<CloudValues> {
  const paths = searchPath(env, cwd, 'clouds');
  const found = await firstFile(paths);
  if (!found) throw new InputError('os-cloud', `names cloud '${name}', but no clouds.yaml was found (looked in ${paths.join(', ')})`);
  const clouds = (await parse(found))['clouds'];
  const entry = isObject(clouds) ? clouds[name] : undefined;
  if (!isObject(entry)) {
    const known = isObject(clouds) ? Object.keys(clouds) : [];
    throw new InputError('os-cloud', `'${name}' is not a cloud in ${found.path}${known.length ? ` (it has ${known.join(', ')})` : ' (it has no clouds: section)'}`);
  }
  const secure = await firstFile(searchPath(env, cwd, 'secure'));
  const secureClouds = secure ? (await parse(secure))['clouds'] : undefined;
  const secureEntry = isObject(secureClouds) && isObject(secureClouds[name]) ? secureClouds[name] : undefined;
  // secure.yaml's keys over clouds.yaml's, each value named by the file it came from.
  const layers = [...(secure && secureEntry ? [{ path: secure.path, entry: secureEntry }] : []), { path: found.path, entry }];
  let secureUsed = false;

  const values: Record<string, string> = {};
  const sources: Record<string, string> = {};
  /** `place`: the cloud's top level or its auth section ('' when that place is not read for this input). */
  const take = (input: string, place: 'top' | 'auth' | '', keys: string[]): void => {
    if (values[input] !== undefined) return;
    const prefix = place === 'auth' ? 'auth.' : '';
    for (const key of place === '' ? [] : keys) {
      for (const { path, entry: e } of layers) {
        const where = place === 'top' ? e : isObject(e['auth']) ? e['auth'] : {};
        const v = where[key];
        if (typeof v === 'string' || typeof v === 'number') {
          values[input] = asGiven(input, String(v));
          sources[input] = `${prefix}${key} of cloud '${name}' in ${path}`;
          if (path !== found.path) secureUsed = true;
          return;
        }
      }
    }
    // Not there: a message that it is missing names the key to add, not an OS_* variable the cloud ignores.
    if (CREDENTIAL_INPUTS.has(input)) sources[input] ??= `${prefix}${keys[0]} of cloud '${name}' in ${found.path}`;
  };
  take('token', 'auth', ['token']);
  take('username', 'auth', ['username']);
  take('password', 'auth', ['password']);
  take('domain', 'auth', ['user_domain_name', 'domain_name']);
  // The project as openstacksdk reads it (_fix_backwards_project): of the spellings in this order the last one
  // given wins, and for each the cloud's top level over auth; so, from the last, the first found.
  const project = (input: string, keys: string[]): void => {
    for (const key of [...keys].reverse()) {
      take(input, 'top', [key]);
      take(input, 'auth', [key]);
    }
  };
  project('project-id', ['tenant_id', 'tenant-id', 'project_id', 'project-id']);
  take('region', 'top', ['region_name']);
  const top = values['token'] !== undefined || values['username'] !== undefined ? '' : 'top';
  take('access-key', top, ['ak']);
  take('access-key', 'auth', ['ak', 'access_key']);
  take('secret-key', top, ['sk']);
  take('secret-key', 'auth', ['sk', 'secret_key']);
  take('security-token', top, ['security_token']);
  take('security-token', 'auth', ['security_token']);
  take('iam-endpoint', 'auth', ['auth_url']);
  if (values['iam-endpoint']) values['iam-endpoint'] = iamRoot(values['iam-endpoint']);
  project('project-name', ['tenant_name', 'tenant-name', 'project_name', 'project-name']);
  const secureFile = secureUsed ? secure?.path : undefined;
  // Found by the search there, not named by OS_CLIENT_CONFIG_FILE or OS_CLIENT_SECURE_FILE.
  const inCurrentFolder = ([[found.path, 'clouds'], [secureFile, 'secure']] as const)
    .filter(([path, base]) => path !== undefined && path !== overrideOf(env, base) && dirname(path) === cwd)
    .map(([path]) => path!);
  return { file: found.path, secureFile, inCurrentFolder, values, sources };
}
