import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCloud } from '../../src/cli/clouds.ts';
import { InputError } from '../../src/core/errors.ts';

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
    await writeFile(join(home, '.config', 'openstack', 'secure.yaml'), 'clouds:\n  otc:\n    auth: {password: s3cret}\n');
    await writeFile(join(cwd, 'clouds.yaml'), 'clouds:\n  otc:\n    region_name: eu-nl\n    auth: {username: bot, user_domain_name: OTC-1, project_id: 0123abcd, auth_url: "https://iam.eu-nl.otc.t-systems.com:443/v3"}\n');
    const c = await loadCloud('otc', { HOME: home }, cwd);
    assert.equal(c.file, join(cwd, 'clouds.yaml'));
    assert.deepEqual(c.values, {
      username: 'bot', password: 's3cret', domain: 'OTC-1', 'project-id': '0123abcd', region: 'eu-nl',
      'iam-endpoint': 'https://iam.eu-nl.otc.t-systems.com:443',
    });
    assert.match(c.sources['password'] ?? '', /^auth\.password of cloud 'otc'/);
  });
});

test('OS_CLIENT_CONFIG_FILE comes first; access keys as python-otcextensions writes them (ak, sk)', async () => {
  await withDirs(async (cwd, home) => {
    await writeFile(join(cwd, 'clouds.yaml'), 'clouds:\n  otc: {auth: {token: not-this}}\n');
    const file = join(home, 'elsewhere.yaml');
    await writeFile(file, 'clouds:\n  otc:\n    ak: AK123\n    sk: SK456\n    security_token: ST789\n');
    const c = await loadCloud('otc', { HOME: home, OS_CLIENT_CONFIG_FILE: file }, cwd);
    assert.deepEqual(c.values, { 'access-key': 'AK123', 'secret-key': 'SK456', 'security-token': 'ST789' });
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
