import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCloud, searchFolders } from '../../src/cli/clouds.ts';
import { InputError } from '../../src/core/errors.ts';
import { setEnvFor } from '../support/env.ts';

async function withDirs(fn: (cwd: string, home: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'clouds-'));
  const cwd = join(root, 'work');
  const home = join(root, 'home');
  await mkdir(join(home, '.config', 'openstack'), { recursive: true });
  await mkdir(cwd);
  try {
    await fn(cwd, home);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test("as openstacksdk: ./clouds.yaml wins over ~/.config/openstack's; secure.yaml adds the secrets", async () => {
  await withDirs(async (cwd, home) => {
    await writeFile(join(home, '.config', 'openstack', 'clouds.yaml'), 'clouds:\n  otc:\n    auth: {token: from-home}\n');
    await writeFile(join(home, '.config', 'openstack', 'secure.yaml'), 'clouds:\n  otc:\n    auth: {password: " s3cret "}\n');
    await writeFile(join(cwd, 'clouds.yaml'), 'clouds:\n  otc:\n    region_name: eu-nl\n    auth: {username: bot, user_domain_name: OTC-1, project_id: 0123abcd, auth_url: "https://iam.eu-nl.otc.t-systems.com:443/v3"}\n');
    const c = await loadCloud('otc', { HOME: home }, cwd);
    assert.equal(c.file, join(cwd, 'clouds.yaml'));
    // Found by the search in the current folder: the command line warns of it.
    assert.deepEqual(c.inCurrentFolder, [join(cwd, 'clouds.yaml')]);
    assert.deepEqual(c.values, {
      // A password as written, its spaces too (keystoneauth sends them; trimmed, it could never sign in).
      username: 'bot', password: ' s3cret ', domain: 'OTC-1', 'project-id': '0123abcd', region: 'eu-nl',
      'iam-endpoint': 'https://iam.eu-nl.otc.t-systems.com:443',
    });
    // Each value named by the file it came from: the password by secure.yaml, not by the clouds.yaml found first.
    const secure = join(home, '.config', 'openstack', 'secure.yaml');
    assert.equal(c.sources['password'], `auth.password of cloud 'otc' in ${secure}`);
    assert.equal(c.sources['username'], `auth.username of cloud 'otc' in ${join(cwd, 'clouds.yaml')}`);
    assert.equal(c.secureFile, secure);
  });
});

test('OS_CLIENT_CONFIG_FILE comes first; access keys as python-otcextensions writes them (ak, sk)', async () => {
  await withDirs(async (cwd, home) => {
    await writeFile(join(cwd, 'clouds.yaml'), 'clouds:\n  otc: {auth: {token: not-this}}\n');
    const file = join(home, 'elsewhere.yaml');
    await writeFile(file, 'clouds:\n  otc:\n    ak: AK123\n    sk: SK456\n    security_token: ST789\n');
    const c = await loadCloud('otc', { HOME: home, OS_CLIENT_CONFIG_FILE: file }, cwd);
    assert.deepEqual(c.values, { 'access-key': 'AK123', 'secret-key': 'SK456', 'security-token': 'ST789' });
    // Named by the variables, files in the current folder are the user's choice: no warning. Found there, both are.
    await writeFile(join(cwd, 'secure.yaml'), 'clouds:\n  otc: {auth: {password: pw}}\n');
    const named = await loadCloud('otc', { HOME: home, OS_CLIENT_CONFIG_FILE: join(cwd, 'clouds.yaml'), OS_CLIENT_SECURE_FILE: join(cwd, 'secure.yaml') }, cwd);
    assert.deepEqual([named.secureFile, named.inCurrentFolder], [join(cwd, 'secure.yaml'), []]);
    const found = await loadCloud('otc', { HOME: home }, cwd);
    assert.deepEqual(found.inCurrentFolder, [join(cwd, 'clouds.yaml'), join(cwd, 'secure.yaml')]);
  });
});

test('no such cloud, no file, or no YAML: an InputError naming os-cloud and what it found', async () => {
  await withDirs(async (cwd, home) => {
    await assert.rejects(loadCloud('otc', { HOME: home }, cwd), (e: unknown) => e instanceof InputError && e.input === 'os-cloud' && /no clouds\.yaml was found/.test(e.message));
    await writeFile(join(cwd, 'clouds.json'), '{"clouds": {"a": {}, "b": {}}}');
    await assert.rejects(loadCloud('otc', { HOME: home }, cwd), (e: unknown) => e instanceof InputError && /'otc' is not a cloud in .*clouds\.json \(it has a, b\)/.test(e.message));
    await writeFile(join(cwd, 'clouds.yaml'), 'clouds: [unclosed\n');
    await assert.rejects(loadCloud('otc', { HOME: home }, cwd), (e: unknown) => e instanceof InputError && /clouds\.yaml is not valid YAML/.test(e.message));
  });
});

test('the project as openstacksdk reads it: of tenant_id, tenant-id, project_id, project-id the last wins, each top level over auth', async () => {
  await withDirs(async (cwd, home) => {
    await writeFile(join(cwd, 'clouds.yaml'), [
      'clouds:',
      '  legacy: {tenant_id: aaaa, auth: {token: t, project_id: bbbb}}',
      '  dash: {project_id: aaaa, auth: {token: t, project-id: bbbb}}',
      '  top: {project_id: aaaa, auth: {token: t, project_id: bbbb}}',
      '  names: {tenant_name: eu-de_old, auth: {token: t, project_name: eu-de_new}}',
    ].join('\n'));
    const got = async (cloud: string): Promise<[string | undefined, string | undefined, string | undefined]> => {
      const c = await loadCloud(cloud, { HOME: home }, cwd);
      return [c.values['project-id'], c.values['project-name'], c.sources['project-id'] ?? c.sources['project-name']];
    };
    assert.deepEqual(await got('legacy'), ['bbbb', undefined, `auth.project_id of cloud 'legacy' in ${join(cwd, 'clouds.yaml')}`]);
    assert.deepEqual((await got('dash')).slice(0, 2), ['bbbb', undefined]);
    assert.deepEqual(await got('top'), ['aaaa', undefined, `project_id of cloud 'top' in ${join(cwd, 'clouds.yaml')}`]);
    assert.deepEqual((await got('names')).slice(0, 2), [undefined, 'eu-de_new']);
  });
});

test("python-otcextensions' sample cloud (a password in auth, ak and sk at the top for object storage) signs in with the password", async () => {
  await withDirs(async (cwd, home) => {
    await writeFile(join(cwd, 'clouds.yaml'), [
      'clouds:',
      '  otc:',
      '    profile: otc',
      '    auth:',
      "      username: 'bot'",
      "      password: 'pw'",
      "      project_name: 'eu-de_shop'",
      "      user_domain_name: 'OTC00000000001000000001'",
      "    interface: 'public'",
      '    identity_api_version: 3',
      "    ak: 'AK123'",
      "    sk: 'SK456'",
      '',
    ].join('\n'));
    const c = await loadCloud('otc', { HOME: home }, cwd);
    assert.deepEqual(c.values, { username: 'bot', password: 'pw', domain: 'OTC00000000001000000001', 'project-name': 'eu-de_shop' });
  });
});

test('a password YAML cannot read is never quoted: not in the error, not in a warning on stderr', async () => {
  await withDirs(async (cwd, home) => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      for (const [password, kind] of [['!Xk9#pQ2w', /tag resolve failed at line 5, column 17/], ['*Xk9pQ2w', /an alias \(\*name\) that no anchor/]] as const) {
        await writeFile(join(cwd, 'clouds.yaml'), `clouds:\n  otc:\n    auth:\n      username: bob\n      password: ${password}\n`);
        await assert.rejects(loadCloud('otc', { HOME: home }, cwd), (e: unknown) => {
          assert.ok(e instanceof InputError && e.input === 'os-cloud', String(e));
          assert.match(e.message, kind);
          assert.match(e.message, /must be quoted/);
          assert.ok(!e.message.includes(password.slice(1)), e.message);
          return true;
        });
      }
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(warnings, []);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

test('as openstacksdk: $XDG_CONFIG_HOME/openstack before ~/.config/openstack; a secure.yaml of OS_CLIENT_SECURE_FILE', async () => {
  await withDirs(async (cwd, home) => {
    const xdg = join(home, 'xdg');
    await mkdir(join(xdg, 'openstack'), { recursive: true });
    await writeFile(join(home, '.config', 'openstack', 'clouds.yaml'), 'clouds:\n  otc: {auth: {token: from-home}}\n');
    await writeFile(join(xdg, 'openstack', 'clouds.yaml'), 'clouds:\n  otc: {auth: {username: from-xdg}}\n');
    const secure = join(home, 'vault.yaml');
    await writeFile(secure, 'clouds:\n  otc: {auth: {password: s3cret}}\n');
    const c = await loadCloud('otc', { HOME: home, XDG_CONFIG_HOME: xdg, OS_CLIENT_SECURE_FILE: secure }, cwd);
    assert.equal(c.file, join(xdg, 'openstack', 'clouds.yaml'));
    assert.deepEqual(c.values, { username: 'from-xdg', password: 's3cret' });
  });
});

test("no home folder (a container's user: HOME empty): ./clouds.yaml is still found, no relative '.config' is searched", async (t) => {
  setEnvFor(t, 'HOME', '');
  await withDirs(async (cwd) => {
    await writeFile(join(cwd, 'clouds.yaml'), 'clouds:\n  otc: {auth: {token: from-cwd}}\n');
    const c = await loadCloud('otc', { HOME: '' }, cwd);
    assert.equal(c.file, join(cwd, 'clouds.yaml'));
    await rm(join(cwd, 'clouds.yaml'));
    await assert.rejects(loadCloud('otc', { HOME: '' }, cwd), (e: unknown) => e instanceof InputError && /no clouds\.yaml was found/.test(e.message) && !/[(, ]\.config\//.test(e.message));
  });
});

test("as openstacksdk on each platform: platformdirs' user and site folders, then ~/.config/openstack and /etc/openstack", () => {
  assert.deepEqual(searchFolders({ USERPROFILE: 'C:\\Users\\ci', HOME: '/c/Users/ci', LOCALAPPDATA: 'C:\\Users\\ci\\AppData\\Local', PROGRAMDATA: 'C:\\ProgramData' }, 'D:\\work', 'win32'), [
    'D:\\work', 'C:\\Users\\ci\\AppData\\Local\\OpenStack\\openstack', 'C:\\Users\\ci\\.config\\openstack', 'C:\\ProgramData\\OpenStack\\openstack', '/etc/openstack',
  ]);
  assert.deepEqual(searchFolders({ HOME: '/Users/ci' }, '/w', 'darwin'), [
    '/w', '/Users/ci/Library/Application Support/openstack', '/Users/ci/.config/openstack', '/Library/Application Support/openstack', '/etc/openstack',
  ]);
  assert.deepEqual(searchFolders({ HOME: '/home/ci', XDG_CONFIG_DIRS: '/opt/xdg:/etc/xdg' }, '/w', 'linux'), [
    '/w', '/home/ci/.config/openstack', '/opt/xdg/openstack', '/etc/xdg/openstack', '/etc/openstack',
  ]);
  // A snap's HOME is its own folder; the real home's ~/.config/openstack is searched.
  assert.ok(searchFolders({ HOME: '/home/ci/snap/openstackclients/12', SNAP_REAL_HOME: '/home/ci' }, '/w', 'linux').includes('/home/ci/.config/openstack'));
});

test('a clouds.yaml saved as UTF-16 (Windows PowerShell 5.1) or with a UTF-8 BOM and CRLF reads as the same cloud', async () => {
  await withDirs(async (cwd, home) => {
    const text = 'clouds:\r\n  otc:\r\n    auth: {token: from-utf16}\r\n';
    for (const bytes of [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]), Buffer.from(`\uFEFF${text}`)]) {
      await writeFile(join(cwd, 'clouds.yaml'), bytes);
      assert.deepEqual((await loadCloud('otc', { HOME: home }, cwd)).values, { token: 'from-utf16' });
    }
  });
});
