import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readConfig, type Surroundings } from '../../src/core/config.ts';
import { InputError } from '../../src/core/errors.ts';

const AROUND: Surroundings = { workDir: '/work', defaultOutputDir: (l) => `/tmp/out-${l}`, defaultArtifactName: (l) => `a-${l}`, oidcUnavailable: undefined };
const BASE: Record<string, string> = { 'project-id': 'p1', 'instance-id': 'i1', token: 't' };

function failure(values: Record<string, string>): InputError {
  try {
    readConfig((n) => ({ ...BASE, ...values })[n] ?? '', AROUND);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  assert.fail('expected an InputError');
}

const flag = (n: string): string => `--${n}`;

test('an input error names every input the way the door calls it, including inputs named inside the message', () => {
  const e = failure({ 'poll-interval': '5m', timeout: '2m' });
  assert.equal(e.message, "Input 'poll-interval': 5m is longer than 'timeout' (2m): raise 'timeout' or lower 'poll-interval' (5s by default)");
  assert.equal(e.format(flag), '--poll-interval: 5m is longer than --timeout (2m): raise --timeout or lower --poll-interval (5s by default)');
});

test('a timeout shorter than the default poll interval names the timeout, the one that was set', () => {
  const e = failure({ timeout: '2s' });
  assert.equal(e.format(flag), "--timeout: '2s' is shorter than --poll-interval (5s when not set): set it to at least that, or set --poll-interval lower");
});

test('the one-mode rule names the clashing inputs in each door', () => {
  const e = failure({ 'access-key': 'AK1', 'secret-key': 'sk' });
  assert.deepEqual(e.inputs, ['token', 'access-key', 'secret-key']);
  assert.equal(e.format(flag), '--token, --access-key and --secret-key: belong to 2 auth modes (token, AK/SK); set those of one mode only');
  const missing = failure({ token: '', 'access-key': 'AK1' });
  assert.equal(missing.format((n) => (n === 'secret-key' ? 'OS_SECRET_KEY' : n === 'access-key' ? 'OS_ACCESS_KEY' : n)), 'OS_SECRET_KEY: is required with OS_ACCESS_KEY (AK/SK auth)');
});

test('defaults come from the door: output folder and artifact name by the instance label', () => {
  const c = readConfig((n) => BASE[n] ?? '', AROUND);
  assert.equal(c.outputDir, '/tmp/out-i1');
  assert.equal(c.artifactName, 'a-i1');
  assert.equal(readConfig((n) => ({ ...BASE, 'output-dir': 'x' })[n] ?? '', AROUND).outputDir, '/work/x');
});

test('project-name: a sub-project of the region, or the region\'s own; checked before any request', () => {
  const by = (values: Record<string, string>): string => readConfig((n) => ({ ...BASE, 'project-id': '', ...values })[n] ?? '', AROUND).projectName;
  assert.equal(by({}), 'eu-de', 'the region\'s own project when not set');
  assert.equal(by({ region: 'eu-nl' }), 'eu-nl');
  assert.equal(by({ 'project-name': 'eu-de_prod' }), 'eu-de_prod');
  assert.equal(by({ 'project-name': 'eu-de' }), 'eu-de');
  assert.equal(failure({ 'project-name': 'eu-de_prod' }).message, "Inputs 'project-id' and 'project-name': are both set; set the ID, or the name to look the ID up by");
  assert.equal(failure({ 'project-id': '', 'project-name': 'eu-nl_prod' }).format(flag), "--project-name: 'eu-nl_prod' is not a project of region 'eu-de': its projects are named 'eu-de' or 'eu-de_<name>'; set --region to the project's region");
  // 'eu-devel' starts with the region's letters, not with its name and '_'.
  assert.match(failure({ 'project-id': '', 'project-name': 'eu-devel' }).message, /'eu-devel' is not a project of region 'eu-de'/);
  assert.equal(failure({ 'project-id': '', 'project-name': 'eu-de_a/../b' }).message, "Input 'project-name': 'eu-de_a/../b' is not a project name: 1 to 64 letters, digits, '-' and '_'");
});
