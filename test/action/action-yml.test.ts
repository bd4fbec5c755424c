// action.yml is what the runner loads before any of our code runs: read it with a real YAML parser and check
// what the runner and the Marketplace need from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { parseYaml, readActionMetadata } from '../../scripts/action-metadata.ts';

const root = new URL('../../', import.meta.url);
const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

// Inputs the user picks among: one of each group is enough, so none of them may be `required: true` (the
// runner would then warn on every step that chose the other one).
const ALTERNATIVES = [
  ['instance-id', 'instance-name'],
  ['token', 'access-key', 'secret-key', 'security-token', 'username', 'password', 'domain', 'identity-provider', 'audience'],
];

test('action.yml parses with the yaml package in strict mode, with unique keys', async () => {
  await assert.doesNotReject(readActionMetadata());
});

test('the strict reader rejects what the runner rejects: a plain scalar with ": " and a repeated key', () => {
  assert.throws(() => parseYaml('inputs:\n  a:\n    description: Mode "x": the key\n', 'x.yml'), { name: 'Error', message: /x\.yml is not valid YAML:.*[Nn]ested mappings/s });
  assert.throws(() => parseYaml('inputs:\n  a:\n    description: one\n  a:\n    description: two\n', 'x.yml'), { name: 'Error', message: /x\.yml is not valid YAML:.*Map keys must be unique/s });
});

test('runs: node24 with a main file that exists', async () => {
  const meta = await readActionMetadata();
  assert.equal(meta.runs?.using, 'node24');
  assert.equal(typeof meta.runs?.main, 'string');
  await access(new URL(meta.runs!.main as string, root));
});

test('name, description and branding are set, as the Marketplace requires', async () => {
  const meta = await readActionMetadata();
  for (const key of ['name', 'description'] as const) {
    assert.ok(typeof meta[key] === 'string' && meta[key].trim() !== '', `action.yml has a ${key}`);
  }
  assert.ok(typeof meta.branding?.icon === 'string' && meta.branding.icon !== '', 'branding.icon is set');
  // The colours GitHub accepts for branding.color.
  assert.ok(['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark'].includes(meta.branding?.color as string), 'branding.color is one GitHub accepts');
});

test('every input and output has a kebab-case name, a description, and only the keys the runner knows', async () => {
  const meta = await readActionMetadata();
  assert.ok(Object.keys(meta.inputs ?? {}).length > 0 && Object.keys(meta.outputs ?? {}).length > 0);
  for (const [section, known] of [['inputs', ['description', 'required', 'default', 'deprecationMessage']], ['outputs', ['description']]] as const) {
    for (const [name, spec] of Object.entries(meta[section] ?? {})) {
      assert.match(name, KEBAB, `${section}: ${name} is kebab-case`);
      assert.ok(typeof spec?.description === 'string' && spec.description.trim() !== '', `${section}: ${name} has a description`);
      for (const key of Object.keys(spec)) assert.ok((known as readonly string[]).includes(key), `${section}: ${name} has an unknown key '${key}'`);
    }
  }
  for (const [name, spec] of Object.entries(meta.inputs ?? {})) {
    if (spec.required !== undefined) assert.equal(typeof spec.required, 'boolean', `inputs: ${name}: required is true or false`);
    if (spec.default !== undefined) assert.equal(typeof spec.default, 'string', `inputs: ${name}: default is quoted text, as the runner passes it`);
  }
});

test('no input that has an alternative is required', async () => {
  const inputs = (await readActionMetadata()).inputs ?? {};
  for (const name of ALTERNATIVES.flat()) {
    assert.ok(name in inputs, `${name} is declared`);
    assert.notEqual(inputs[name]!.required, true, `${name} has alternatives, so it cannot be required`);
  }
});
