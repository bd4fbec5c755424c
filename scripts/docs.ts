// Writes the README's inputs and outputs tables from action.yml (between the <!-- inputs/outputs:start/end -->
// markers), so the interface is described in one place. `npm run docs`; a test fails when README.md drifts.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { readActionMetadata, type ActionMetadata } from './action-metadata.ts';

export const readmeUrl = new URL('../README.md', import.meta.url);

/** One table cell: a single line, with the pipe escaped (GFM splits cells on `|` even inside code spans). */
function cell(value: unknown): string {
  return String(value ?? '').replace(/\s+/g, ' ').trim().replaceAll('|', '\\|');
}

function inputsTable(meta: ActionMetadata): string[] {
  const rows = Object.entries(meta.inputs ?? {}).map(([name, input]) => {
    const def = input.default === undefined || input.default === '' ? '' : `\`${cell(input.default)}\``;
    return `| \`${name}\` | ${def === '' ? '' : `${def} `}| ${cell(input.description)} |`;
  });
  return ['## Inputs', '', '| Input | Default | Description |', '| --- | --- | --- |', ...rows];
}

function outputsTable(meta: ActionMetadata): string[] {
  const rows = Object.entries(meta.outputs ?? {}).map(([name, output]) => `| \`${name}\` | ${cell(output.description)} |`);
  return ['## Outputs', '', '| Output | Description |', '| --- | --- |', ...rows];
}

/** README text with both tables replaced by what action.yml says; throws when a marker pair is missing. */
export function renderReadme(readme: string, meta: ActionMetadata): string {
  let out = readme;
  for (const [marker, lines] of [['inputs', inputsTable(meta)], ['outputs', outputsTable(meta)]] as const) {
    const start = `<!-- ${marker}:start -->`;
    const end = `<!-- ${marker}:end -->`;
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README.md needs the markers ${start} and ${end}, in that order`);
    out = `${out.slice(0, from + start.length)}\n${lines.join('\n')}\n${out.slice(to)}`;
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [readme, meta] = await Promise.all([readFile(readmeUrl, 'utf8'), readActionMetadata()]);
  const next = renderReadme(readme, meta);
  if (next === readme) console.log('README.md tables already match action.yml');
  else {
    await writeFile(readmeUrl, next);
    console.log('README.md tables rewritten from action.yml');
  }
}
