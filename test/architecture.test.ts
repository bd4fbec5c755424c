// The import rules that keep the tree's shape (README "Develop"): two thin doors over one core, the cloud clients
// and the log insight beside each other, not inside each other. Checked on the import graph esbuild resolves
// when it builds dist/ (runtime imports; `import type` is erased and costs nothing at run time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { buildOptions } from '../scripts/build.ts';

/** Every runtime import in the bundle's sources: importer -> its imports (src/ paths, or package names). */
async function importGraph(): Promise<Map<string, string[]>> {
  const { entryPoints } = buildOptions('unused');
  assert.ok(entryPoints);
  const { metafile } = await build({
    entryPoints, absWorkingDir: fileURLToPath(new URL('..', import.meta.url)), bundle: true, write: false, metafile: true, platform: 'node', format: 'esm',
    packages: 'external', splitting: true, outdir: 'unused', logLevel: 'silent',
  });
  const graph = new Map<string, string[]>();
  for (const [file, input] of Object.entries(metafile.inputs)) {
    graph.set(file, input.imports.filter((i) => !i.path.startsWith('node:')).map((i) => i.path));
  }
  return graph;
}

const layer = (path: string): string => (path.startsWith('src/') ? path.split('/')[1]! : 'package');

/** Where each package may be imported from: the doors own @actions/*, except the one place that speaks HTTP. */
const PACKAGES: Record<string, readonly string[]> = {
  '@actions/core': ['src/action/'],
  '@actions/artifact': ['src/action/'],
  '@actions/http-client': ['src/cloud/http.ts'],
  yaml: ['src/cli/clouds.ts'],
};

/** The modules `from` reaches, itself included. */
function reach(graph: Map<string, string[]>, from: string): Set<string> {
  const seen = new Set<string>();
  const todo = [from];
  for (let f = todo.pop(); f !== undefined; f = todo.pop()) {
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...(graph.get(f) ?? []));
  }
  return seen;
}

/** What in `graph` breaks the rules, one line each. */
function importRuleBreaks(graph: Map<string, string[]>): string[] {
  const breaks: string[] = [];
  for (const [file, imports] of graph) {
    const from = layer(file);
    for (const to of imports) {
      const target = layer(to);
      if (target === 'package') {
        const allowed = PACKAGES[to];
        if (!allowed) breaks.push(`${file} imports ${to}, a package the rules do not know (add it to PACKAGES, with where it belongs)`);
        else if (!allowed.some((a) => file.startsWith(a))) breaks.push(`${file} imports ${to}: only ${allowed.join(', ')} may`);
      } else if ((target === 'action' || target === 'cli') && from !== target) {
        breaks.push(`${file} imports ${to}: a door is imported by nothing outside it`);
      } else if ((from === 'cloud' && target === 'insight') || (from === 'insight' && target === 'cloud')) {
        breaks.push(`${file} imports ${to}: the cloud clients and the log insight do not import each other`);
      } else if ((from === 'cloud' || from === 'insight') && target === 'core') {
        const outside = [...reach(graph, to)].find((m) => layer(m) !== 'core' && layer(m) !== 'package');
        if (outside) breaks.push(`${file} imports ${to}, which reaches ${outside}: cloud/ and insight/ use only core modules that stay inside core/`);
      }
    }
  }
  return breaks;
}

test('the sources keep the import rules: doors imported by nothing, cloud and insight apart, @actions/* in the doors', async () => {
  const graph = await importGraph();
  assert.ok(graph.size > 40, `only ${graph.size} modules in the graph`);
  assert.deepEqual(importRuleBreaks(graph), []);
});

test('each rule reports the import that breaks it', () => {
  const graph = new Map<string, string[]>([
    ['src/core/run.ts', ['src/cli/args.ts', 'left-pad']],
    ['src/cloud/rds.ts', ['src/insight/render.ts', '@actions/core', 'src/core/retry.ts']],
    ['src/core/retry.ts', ['src/core/errors.ts', 'src/cloud/http.ts']],
    ['src/insight/read.ts', ['src/core/errors.ts', 'src/action/logger.ts']],
    ['src/core/errors.ts', []],
    ['src/action/logger.ts', ['@actions/core']],
  ]);
  assert.deepEqual(importRuleBreaks(graph), [
    'src/core/run.ts imports src/cli/args.ts: a door is imported by nothing outside it',
    'src/core/run.ts imports left-pad, a package the rules do not know (add it to PACKAGES, with where it belongs)',
    'src/cloud/rds.ts imports src/insight/render.ts: the cloud clients and the log insight do not import each other',
    'src/cloud/rds.ts imports @actions/core: only src/action/ may',
    'src/cloud/rds.ts imports src/core/retry.ts, which reaches src/cloud/http.ts: cloud/ and insight/ use only core modules that stay inside core/',
    'src/insight/read.ts imports src/action/logger.ts: a door is imported by nothing outside it',
  ]);
});

test("the action's start loads none of the log reader: its static imports reach only insight's text helpers", async () => {
  // The reader, the digest and their tables (translations, the WebAssembly scanner) load when a digest or the
  // report starts (dynamic imports); the step's first request does not wait for them (issue 10's start-up).
  const { metafile } = await build({
    entryPoints: ['src/action/index.ts'], absWorkingDir: fileURLToPath(new URL('..', import.meta.url)), bundle: true, write: false, metafile: true,
    platform: 'node', format: 'esm', packages: 'external', splitting: true, outdir: 'unused', logLevel: 'silent',
  });
  const statics = new Map(Object.entries(metafile.inputs).map(([file, input]) => [file, input.imports.filter((i) => i.kind === 'import-statement').map((i) => i.path)]));
  const loaded = [...reach(statics, 'src/action/index.ts')];
  assert.ok(loaded.includes('src/core/run.ts') && loaded.includes('src/cloud/rds.ts'), loaded.join());
  assert.deepEqual(loaded.filter((m) => layer(m) === 'insight').sort(), ['src/insight/files-table.ts', 'src/insight/incomplete.ts', 'src/insight/markdown.ts']);
});
