// Run by the release workflow on a pushed tag: the tag must be `v` + package.json's version, and CHANGELOG.md
// must have that version's section, which it prints (the release's notes). Usage: node scripts/release-check.ts vX.Y.Z
import { readFile } from 'node:fs/promises';

/** The notes of `tag`'s release: its section of the changelog, without the heading; throws naming what is wrong. */
export function releaseNotes(tag: string, packageVersion: string, changelog: string): string {
  const m = /^v(\d+\.\d+\.\d+)$/.exec(tag);
  if (!m) throw new Error(`tag '${tag}' is not a release tag: vMAJOR.MINOR.PATCH, e.g. v1.2.3`);
  const version = m[1]!;
  if (version !== packageVersion) throw new Error(`tag '${tag}' is not package.json's version (${packageVersion}): bump it (and src/core/version.ts) in a commit, then tag that`);
  const lines = changelog.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`## [${version}]`));
  if (start < 0) throw new Error(`CHANGELOG.md has no section '## [${version}]': rename '## [Unreleased]' to it, with the date`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  const notes = lines.slice(start + 1, end < 0 ? undefined : end).join('\n').trim();
  if (notes === '') throw new Error(`CHANGELOG.md's section for ${version} is empty: say what changed`);
  return `${notes}\n`;
}

if (import.meta.main) {
  const root = new URL('../', import.meta.url);
  try {
    const pkg = JSON.parse(await readFile(new URL('package.json', root), 'utf8')) as { version: string };
    process.stdout.write(releaseNotes(process.argv[2] ?? '', pkg.version, await readFile(new URL('CHANGELOG.md', root), 'utf8')));
  } catch (e) {
    process.stderr.write(`release-check: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
