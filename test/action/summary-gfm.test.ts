// The job summary as GitHub shows it: parsed and rendered by a real GFM implementation (micromark with its
// GFM extension, the parser behind mdast), not by looking for the escapes we wrote. Log text, file names and
// fields come from the database and the API: whatever they contain must stay text on the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { withRig } from '../support/harness.ts';

type Node = { type: string; value?: string; url?: string; children?: Node[] };

const parse = (md: string): Node => fromMarkdown(md, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] }) as Node;
/** HTML as GitHub's renderer makes it before sanitizing: raw HTML passes (GitHub keeps <details>, <summary>). */
const html = (md: string): string => micromark(md, { allowDangerousHtml: true, extensions: [gfm()], htmlExtensions: [gfmHtml()] });

function* walk(node: Node, ancestors: Node[] = []): Generator<[Node, Node[]]> {
  yield [node, ancestors];
  for (const child of node.children ?? []) yield* walk(child, [...ancestors, node]);
}
const textOf = (node: Node): string => [...walk(node)].map(([n]) => (n.type === 'text' || n.type === 'inlineCode' ? n.value ?? '' : '')).join('');

// What GitHub turns into a mention or an issue link after rendering, in text outside code and links
// (html-pipeline's MentionFilter and issue-reference filters; written wider here: any @ or # that starts a name).
const MENTION = /(?:^|[^\w`])@[a-z0-9]/i;
const ISSUE_REF = /(?:^|[^\w&])#\d|\bGH-\d/i;
// user@SHA: GitHub links it to that commit (seven hex digits or more).
const COMMIT_REF = /[a-z0-9]@[0-9a-f]{7}/i;

// Each payload is something log text may contain; none may become markup.
const PAYLOADS = [
  'a | pipe | split',
  'tick ` and ``double`` code',
  '<script>alert(1)</script>',
  '<details><summary>opened by a log</summary>',
  '</details></td></tr></table>',
  '[click](javascript:alert(1))',
  '![img](https://evil.example/x.png)',
  '<img src=x onerror=alert(1)>',
  'ping @octocat and @github/security',
  'see #123 and GH-7',
  '::error::injected ::set-output name=x::y',
  'https://evil.example/phish and www.evil.example',
  // GFM starts a www autolink after _ * ~ ( as well as after a space, escaped or not.
  'reset at_www.evil.example/a *www.evil.example/b (www.evil.example/c ~www.evil.example/d x_GH-12',
  'mail admin@evil.example or app@my_db.example; commit app@deadbeefcafe',
  '*em* _em_ ~~del~~ **bold**',
  '&lt;b&gt;entity&lt;/b&gt; &#64;octocat',
  // A rule where the message starts a quoted line.
  '---',
  '- - -',
];
const LINE = PAYLOADS.join(' ');

const csv = (fields: Array<string | number>): string => fields.map((f) => (typeof f === 'number' ? String(f) : `"${f.replaceAll('"', '""')}"`)).join(',');
/** One csvlog entry (PostgreSQL 15's 26 columns) with hostile text in every field a person reads. */
function csvEntry(i: number, severity: string, message: string): string {
  const t = `2026-11-28 15:33:${String(10 + i).padStart(2, '0')}.000 UTC`;
  return csv([t, `@octocat|${i}`, `<script>db</script>#${i}`, 4700 + i, '127.0.0.1:5000', '6b0af42e.1', i, 'SELECT', t, '3/1', 0, severity, '42P01',
    message, `DETAIL ${LINE}\n\`\`\`\nfence closed?`, `HINT ${LINE}`, '', '', `CONTEXT ${LINE}`, `SELECT '${LINE}'`, '', '', `app ${LINE}`, 'client backend', '', 0]) + '\n';
}

const hostileFiles = [
  {
    name: 'postgresql-2026-11-28_150000.csv',
    // Messages that would open a block where the summary quotes them at a line start (> message).
    data: Buffer.from(csvEntry(1, 'ERROR', `relation ${LINE}`) + csvEntry(2, 'FATAL', `- listed ${LINE}`) + csvEntry(3, 'WARNING', `1. numbered ${LINE}`)
      + csvEntry(4, 'ERROR', `# heading ${LINE}`) + csvEntry(5, 'ERROR', `+ plus ${LINE}`)),
  },
  {
    name: 'postgresql-2026-11-28_160000.log',
    // Also each payload as a message of its own, short enough to be shown whole (a message is cut at 300).
    data: Buffer.from(`2026-11-28 16:00:01 UTC [101] ERROR:  stderr ${LINE}\n2026-11-28 16:00:01 UTC [101] STATEMENT:  SELECT '${LINE}'\nnot a log line: ${LINE}\n`
      + PAYLOADS.map((p, i) => `2026-11-28 16:00:02 UTC [${200 + i}] ERROR:  ${p}\n`).join('')
      // A crash, shown above the errors with what the process that died was running.
      + `2026-11-28 16:00:03 UTC [1] LOG:  server process (PID 7) was terminated by signal 9: ${LINE}\n2026-11-28 16:00:03 UTC [1] DETAIL:  Failed process was running: ${LINE}\n`),
  },
  { name: 'postgresql-see_www.evil.example.log', data: Buffer.from('2026-11-28 17:00:01 UTC [102] ERROR:  named\n') },
];

test('log text, fields and file names render as literal text: no element, link, mention or issue link', async () => {
  await withRig({ files: hostileFiles }, async (rig) => {
    const r = await rig.run({ inputs: { 'max-annotations': '0', 'recent-entries': '50' } });
    assert.equal(r.code, 0, r.log);
    const tree = parse(r.summary);
    const rendered = html(r.summary);

    // The summary did render what the logs say (so the checks below look at something).
    assert.ok(textOf(tree).includes('relation a | pipe | split'), 'the message is on the page, pipes and all');
    assert.ok(textOf(tree).includes('<script>alert(1)</script>'), 'the tag is shown as text');
    assert.ok(textOf(tree).includes('was terminated by signal 9: a | pipe | split'), 'the crash is on the page');
    assert.ok(textOf(tree).includes('DETAIL: Failed process was running: a | pipe | split'), 'with what it was running');
    // Every payload reaches the page somewhere, so each is checked below, not cut off before it.
    const shown = textOf(tree).replaceAll('\u2060', '');
    for (const p of PAYLOADS) assert.ok(shown.includes(p), `on the page: ${p}`);

    // No link but the artifact's, no image, and raw HTML only as the summary itself writes it.
    const links = [...walk(tree)].filter(([n]) => n.type === 'link' || n.type === 'linkReference' || n.type === 'image' || n.type === 'imageReference' || n.type === 'definition');
    assert.deepEqual(links.map(([n]) => n.url), [r.outputs['artifact-url']]);
    for (const [n] of walk(tree)) {
      if (n.type !== 'html') continue;
      assert.match(n.value ?? '', /^(<details><summary>[^<>@#]*<\/summary>|<\/details>)$/, `raw HTML from the summary only: ${n.value}`);
    }
    assert.doesNotMatch(rendered, /<(script|img|iframe)\b|href="javascript:/i);
    // Blocks only as the summary writes them: no heading, list or rule opened by log text.
    const blocks = [...walk(tree)].filter(([n]) => n.type === 'list' || n.type === 'heading');
    for (const [n] of blocks) assert.doesNotMatch(textOf(n), /listed|numbered|heading|plus/, `a ${n.type} from log text`);
    // The summary's rules separate the recent entries; none inside a quote, where a message stands.
    for (const [n, ancestors] of walk(tree)) assert.ok(n.type !== 'thematicBreak' || !ancestors.some((a) => a.type === 'blockquote'), 'a rule from log text');
    assert.equal((rendered.match(/<details>/g) ?? []).length, (rendered.match(/<\/details>/g) ?? []).length, '<details> balanced');

    // Mentions, issue and commit links: GitHub adds them to text outside code and links.
    for (const [n, ancestors] of walk(tree)) {
      if (n.type !== 'text' || ancestors.some((a) => a.type === 'link')) continue;
      assert.doesNotMatch(n.value ?? '', MENTION, `a mention in text: ${n.value}`);
      assert.doesNotMatch(n.value ?? '', ISSUE_REF, `an issue link in text: ${n.value}`);
      assert.doesNotMatch(n.value ?? '', COMMIT_REF, `a commit link in text: ${n.value}`);
    }
    // Workflow commands are a log matter, but the summary must not carry one at a line start either.
    assert.doesNotMatch(r.summary, /^::/m);
  });
});

test('every table of the summary has as many cells in each row as in its header', async () => {
  await withRig({ files: hostileFiles }, async (rig) => {
    const r = await rig.run();
    assert.equal(r.code, 0, r.log);
    const tables = [...walk(parse(r.summary))].filter(([n]) => n.type === 'table').map(([n]) => n);
    assert.ok(tables.length >= 3, `tables rendered: ${tables.length}`);
    for (const t of tables) {
      const widths = (t.children ?? []).map((row) => row.children?.length ?? 0);
      assert.ok(widths.every((w) => w === widths[0]), `cells per row ${widths.join(',')} in a table starting "${textOf(t).slice(0, 60)}"`);
    }
  });
});

// The runner refuses a step summary file over 1 MiB (it measures the markdown it uploads): the whole summary
// is lost, not just its end.
const SUMMARY_LIMIT = 1024 * 1024;

test('10 000 distinct errors with long details: the summary stays under GitHub\'s 1 MiB', async () => {
  // Distinct after folding: words, not numbers or quoted values, tell the messages apart.
  const word = (n: number): string => { let s = ''; for (let i = 0; i < 4; i++, n = Math.floor(n / 26)) s += String.fromCharCode(97 + (n % 26)); return s; };
  // Messages longer than the summary shows; the last 200 (the most the summary quotes) with long blocks too.
  const long = 'x'.repeat(3000);
  const lines: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    const t = `2026-11-28 10:${String(Math.floor(i / 600) % 60).padStart(2, '0')}:${String(Math.floor(i / 10) % 60).padStart(2, '0')} UTC [${1000 + i}]`;
    lines.push(`${t} ERROR:  failure ${word(i)} in step ${word(i * 7 + 3)} ${long.slice(0, 400)}`);
    if (i >= 9_800) lines.push(`${t} DETAIL:  ${long}`, `${t} HINT:  ${long}`, `${t} STATEMENT:  SELECT ${long}`);
  }
  await withRig({ files: [{ name: 'postgresql-2026-11-28_100000.log', data: Buffer.from(lines.join('\n') + '\n') }] }, async (rig) => {
    const r = await rig.run({ inputs: { 'recent-entries': '200', upload: 'false' } });
    assert.equal(r.code, 0, r.log);
    assert.equal(r.outputs['error-count'], '10000');
    const bytes = Buffer.byteLength(r.summary);
    assert.ok(bytes <= SUMMARY_LIMIT, `summary is ${bytes} bytes`);
    // It still parses as GFM: the tables the budget kept are whole.
    for (const [t] of [...walk(parse(r.summary))].filter(([n]) => n.type === 'table')) {
      const widths = (t.children ?? []).map((row) => row.children?.length ?? 0);
      assert.ok(widths.every((w) => w === widths[0]), 'a table cut by the budget');
    }
    const rendered = html(r.summary);
    assert.equal((rendered.match(/<details>/g) ?? []).length, (rendered.match(/<\/details>/g) ?? []).length, '<details> balanced after the cut');
  });
});
