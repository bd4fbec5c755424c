// dist/licenses.txt: every bundled package with its licence, as scripts/build.ts writes it from esbuild's metafile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { licenceSection } from '../scripts/build.ts';

test("a README's licence section is found under a '#' or an underlined heading, to the next heading of its level, not in code", () => {
  assert.equal(licenceSection('# x\n\nuse it\n\n## License\n\n(MIT)\n\nCopyright (c) 2013 J.\n\n## Tests\n\nnpm test\n'), '(MIT)\n\nCopyright (c) 2013 J.');
  assert.equal(licenceSection('binary\n======\n\nparse\n\nlicense\n=======\n\nMIT\n'), 'MIT');
  assert.equal(licenceSection('# License\n\n### MIT\n\nPermission is hereby granted\n\n# Other\n'), '### MIT\n\nPermission is hereby granted');
  assert.equal(licenceSection('```sh\n# license check\n```\n\nno section here\n'), undefined);
  assert.equal(licenceSection('# readme\n\nnothing\n'), undefined);
  // A ``` line inside a ~~~ fence does not end it.
  assert.equal(licenceSection('~~~\n```\n# License\n~~~\n\nnone\n'), undefined);
});

test('dist/licenses.txt names the licence of every package it lists, and its text where the package gives one', () => {
  const text = readFileSync(new URL('../dist/licenses.txt', import.meta.url), 'utf8');
  const entries = text.split(/\n-{78}\n\n/).slice(1);
  assert.ok(entries.length > 100, `${entries.length} packages`);
  for (const e of entries) assert.match(e, /^[@\w./-]+@\d[^\n]*\n\nLicense: [^\n]+\n\n\S/, e.slice(0, 200));
  // The artifact client's tree, which ships its licence in a README, or not at all.
  assert.match(text, /\nbinary@0\.3\.0\n\nLicense: MIT\n\nFrom its README\.markdown:\n\nMIT\n/);
  assert.match(text, /\nbuffers@0\.1\.1\n\nLicense: no licence field in its package\.json\n\n\(the package ships no licence text\)\n/);
});
