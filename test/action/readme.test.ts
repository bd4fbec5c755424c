// The README is where users read the interface: its tables must say what action.yml says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

const root = new URL('../../', import.meta.url);

/** The inputs or outputs of action.yml: name → default (undefined when none). A reader for this file's shape only. */
function actionSection(yml: string, section: 'inputs' | 'outputs'): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  const lines = yml.split('\n');
  let inside = false;
  let current: string | undefined;
  for (const line of lines) {
    if (/^\S/.test(line)) {
      inside = line.startsWith(`${section}:`);
      continue;
    }
    if (!inside) continue;
    const key = /^ {2}([a-z0-9-]+):\s*$/.exec(line);
    if (key) {
      current = key[1]!;
      out.set(current, undefined);
      continue;
    }
    const def = /^ {4}default:\s*(.*)$/.exec(line);
    if (def && current) out.set(current, def[1]!.replace(/^'(.*)'$/, '$1'));
  }
  return out;
}

function readmeTable(md: string, marker: 'inputs' | 'outputs'): Map<string, string> {
  const start = md.indexOf(`<!-- ${marker}:start -->`);
  const end = md.indexOf(`<!-- ${marker}:end -->`);
  assert.ok(start >= 0 && end > start, `README has the ${marker} markers`);
  const rows = new Map<string, string>();
  for (const line of md.slice(start, end).split('\n')) {
    const m = /^\| `([a-z0-9-]+)` \| ?([^|]*?) ?\|/.exec(line);
    if (m) rows.set(m[1]!, m[2]!.trim());
  }
  return rows;
}

test('README inputs table lists exactly the inputs of action.yml, with the same defaults', async () => {
  const [yml, md] = await Promise.all([readFile(new URL('action.yml', root), 'utf8'), readFile(new URL('README.md', root), 'utf8')]);
  const inputs = actionSection(yml, 'inputs');
  const table = readmeTable(md, 'inputs');
  assert.deepEqual([...table.keys()].sort(), [...inputs.keys()].sort());
  for (const [name, def] of inputs) {
    if (def !== undefined) assert.equal(table.get(name), `\`${def}\``, `default of ${name}`);
  }
});

test('README outputs table lists exactly the outputs of action.yml', async () => {
  const [yml, md] = await Promise.all([readFile(new URL('action.yml', root), 'utf8'), readFile(new URL('README.md', root), 'utf8')]);
  assert.deepEqual([...readmeTable(md, 'outputs').keys()].sort(), [...actionSection(yml, 'outputs').keys()].sort());
});

test('outputs in action.yml are outputs: a description, no input keys such as default or required', async () => {
  const yml = await readFile(new URL('action.yml', root), 'utf8');
  const section = yml.slice(yml.indexOf('\noutputs:'), yml.indexOf('\nruns:'));
  assert.doesNotMatch(section, /^ {4}(default|required):/m, 'an input was declared among the outputs');
});

test('every input the code reads is declared in action.yml', async () => {
  const yml = await readFile(new URL('action.yml', root), 'utf8');
  const declared = actionSection(yml, 'inputs');
  const src = await readFile(new URL('src/action/inputs.ts', root), 'utf8');
  const read = new Set([...src.matchAll(/get\('([a-z0-9-]+)'\)|(?:requiredId|duration|boolean)\(get, '([a-z0-9-]+)'|integer\('([a-z0-9-]+)'/g)].map((m) => m[1] ?? m[2] ?? m[3]));
  for (const name of read) assert.ok(declared.has(name!), `input '${name}' is read but not declared`);
});
