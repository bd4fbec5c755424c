// Fails when dist/ is not what src/ builds (the action runs dist/, so a stale bundle ships old code), when it
// outgrows its budget (every job that uses the action downloads all of it), or when a script in it holds a
// character past U+00FF.
import { readdir, readFile, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { bundle } from './build.ts';

async function list(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  }
  return out.sort();
}

const BUDGET = 2 * 1024 * 1024;

// Built beside dist/, at the same depth: source maps hold paths relative to their folder.
const fresh = '.dist-check';
try {
  await bundle(fresh);
  const [want, have] = await Promise.all([list(fresh), list('dist').catch((): string[] => [])]);
  const problems: string[] = [];
  let size = 0;
  for (const f of want) {
    const built = await readFile(join(fresh, f));
    size += built.length;
    if (!have.includes(f)) problems.push(`missing in dist/: ${f}`);
    else if (!built.equals(await readFile(join('dist', f)))) problems.push(`differs: dist/${f}`);
    // V8 holds a script with one character past U+00FF as a two-byte string, in every thread that loads it.
    const wide = f.endsWith('.js') ? /[^\u0000-\u00ff]/.exec(built.toString('utf8')) : null;
    if (wide) problems.push(`dist/${f} holds ${JSON.stringify(wide[0])} (U+${wide[0].codePointAt(0)!.toString(16).toUpperCase()}): the bundle is to stay within Latin-1 (see scripts/build.ts)`);
  }
  for (const f of have) if (!want.includes(f)) problems.push(`not built from src/ any more: dist/${f}`);
  if (size > BUDGET) problems.push(`dist/ is ${size} bytes, over its budget of ${BUDGET} (${BUDGET / 1024 / 1024} MiB)`);
  if (problems.length > 0) {
    console.error(`dist/ is out of date or too large (run ./dev build and commit dist/):\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`dist/ matches src/ (${want.length} files, ${size} bytes of a ${BUDGET} budget)`);
} finally {
  await rm(fresh, { recursive: true, force: true });
}
