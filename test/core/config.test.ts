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
  assert.equal(e.message, "Input 'poll-interval': must not be longer than 'timeout' (2m)");
  assert.equal(e.format(flag), '--poll-interval: must not be longer than --timeout (2m)');
});

test('the one-mode rule names the clashing inputs in each door', () => {
  const e = failure({ 'access-key': 'AK1', 'secret-key': 'sk' });
  assert.deepEqual(e.inputs, ['token', 'access-key', 'secret-key']);
  assert.equal(e.format(flag), '--token, --access-key and --secret-key: belong to 2 auth modes (token, AK/SK); set the inputs of one mode only');
  const missing = failure({ token: '', 'access-key': 'AK1' });
  assert.equal(missing.format((n) => (n === 'secret-key' ? 'OS_SECRET_KEY' : n === 'access-key' ? 'OS_ACCESS_KEY' : n)), 'OS_SECRET_KEY: is required with OS_ACCESS_KEY (AK/SK auth)');
});

test('defaults come from the door: output folder and artifact name by the instance label', () => {
  const c = readConfig((n) => BASE[n] ?? '', AROUND);
  assert.equal(c.outputDir, '/tmp/out-i1');
  assert.equal(c.artifactName, 'a-i1');
  assert.equal(readConfig((n) => ({ ...BASE, 'output-dir': 'x' })[n] ?? '', AROUND).outputDir, '/work/x');
});
