// The release workflow's check (scripts/release-check.ts): a tag is published only as package.json's version, with
// its section of the changelog as the release's notes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { releaseNotes } from '../scripts/release-check.ts';

const changelog = '# Changelog\n\nIntro.\n\n## [Unreleased]\n\n- next\n\n## [1.2.0] - 2026-12-01\n\n- inputs: `since`\n- faster\n\n## [1.1.0] - 2026-11-01\n\n- older\n';

test("a release's notes are its changelog section, without the heading or the next section", () => {
  assert.equal(releaseNotes('v1.2.0', '1.2.0', changelog), '- inputs: `since`\n- faster\n');
  assert.equal(releaseNotes('v1.1.0', '1.1.0', changelog), '- older\n');
});

test('a tag that is not vX.Y.Z, not package.json\'s version, or without its section is refused, naming what to do', () => {
  assert.throws(() => releaseNotes('v1.2', '1.2.0', changelog), { message: /^tag 'v1\.2' is not a release tag: vMAJOR\.MINOR\.PATCH/ });
  assert.throws(() => releaseNotes('v1.2.0-rc1', '1.2.0', changelog), { message: /is not a release tag/ });
  assert.throws(() => releaseNotes('v1.3.0', '1.2.0', changelog), { message: /^tag 'v1\.3\.0' is not package\.json's version \(1\.2\.0\): bump it/ });
  assert.throws(() => releaseNotes('v1.3.0', '1.3.0', changelog), { message: /^CHANGELOG\.md has no section '## \[1\.3\.0\]': rename '## \[Unreleased\]'/ });
  assert.throws(() => releaseNotes('v2.0.0', '2.0.0', '## [2.0.0] - 2026-12-02\n\n## [1.0.0]\n- x\n'), { message: /section for 2\.0\.0 is empty/ });
});

test('the script, as the workflow runs it: the notes on stdout; a wrong tag fails with the reason on stderr', async () => {
  const script = new URL('../scripts/release-check.ts', import.meta.url).pathname;
  const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  const wrong = spawnSync(process.execPath, [script, `v${version}9`], { encoding: 'utf8' });
  assert.equal(wrong.status, 1);
  assert.equal(wrong.stdout, '');
  assert.match(wrong.stderr, new RegExp(`^release-check: tag 'v${version.replaceAll('.', '\\.')}9' is not package\\.json's version`));
  const changes = await readFile(new URL('../CHANGELOG.md', import.meta.url), 'utf8');
  assert.match(changes, /^## \[Unreleased\]$|^## \[\d+\.\d+\.\d+\] - \d{4}-\d{2}-\d{2}$/m, 'CHANGELOG.md has a section the next release can take');
});
