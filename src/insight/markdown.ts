// Text for people, made safe: log text is untrusted, so what a report shows of it is escaped (or fenced) so it
// cannot inject markup, break a table or a <details> block, or link and mention by itself, and is cut to a
// bounded length. Light on purpose: the step's first request loads it, not the digest.
// C0/C1 controls except tab and newline, and the bidi controls that can make text read differently
// from what it is ("Trojan Source").
export const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const HTML_SPECIAL = /[&<>]/g;
const HTML_ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
// Markdown punctuation that could start emphasis, code, links, strikethrough or split a table cell, and `$`,
// which starts math in GitHub's Markdown ($x$, $$x$$: a log line could set huge or coloured text).
const MD_SPECIAL = /[\\`*_[\]~|$]/g;

/** `s` cut to at most `max` characters (not splitting a surrogate pair), with … when cut. */
export function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  let n = Math.max(0, max - 1);
  const c = s.charCodeAt(n - 1);
  if (c >= 0xd800 && c <= 0xdbff) n--;
  return s.slice(0, n) + '…';
}

/**
 * Log text for an inline markdown context (a table cell, a paragraph, a blockquote): one line;
 * `& < >` as HTML entities (no tag can open), markdown punctuation backslash-escaped (`|` cannot
 * split a cell, `*` `_` `` ` `` `[` `~` start nothing), no block opened where it starts a line, and
 * nothing GitHub links by itself (see unlink); control and bidi characters replaced. Not for raw HTML
 * contexts such as <summary> or an attribute: no log text goes there.
 */
export function escapeInline(s: string, max = 300): string {
  return unlink(cut(s.replace(/\r\n|\r|\n/g, ' ↵ ').replace(/\t/g, ' '), max)
    .replace(CONTROL, '\ufffd')
    .replace(HTML_SPECIAL, (c) => HTML_ENTITY[c]!)
    .replace(MD_SPECIAL, '\\$&')
    // A list item (`- `, `+ `, `1. `), a rule (`---`, `- - -`) or a heading's underline (`===`) where the text starts
    // a quoted line (after up to three spaces, as GFM allows); `#` and `>` are handled below and above.
    .replace(/^(\s*)(?:([-+=])|(\d{1,9})([.)])(?=\s|$))/, (_, lead: string, mark: string | undefined, n: string, dot: string) => (mark ? `${lead}\\${mark}` : `${lead}${n}\\${dot}`)));
}

// GitHub links some text by itself, on the text as rendered (escapes resolved): GFM autolinks `scheme://`,
// `www.` and e-mail addresses, and GitHub turns `@name` into a mention (a notification to that user or team)
// and `#123` / `GH-123` into issue links, in any text outside code and links. An invisible word joiner in
// each keeps it from matching; the text reads the same.
const WORD_JOINER = '\u2060';
// Whatever comes before: GFM starts a www autolink after `_`, `*`, `~` and `(` too, escaped or not.
// An `@` after a letter, digit or `_` starts no mention (GitHub wants none of those before it), so `app@app`
// keeps no joiner and copies as typed; it still gets one where an e-mail link (a `.` in what follows) or a
// user@SHA commit link (7 hex digits) could start (escaped `\_` counts: GitHub links the text as rendered).
const unmention = (s: string): string => s.replace(/#|(?<![A-Za-z0-9_])@|@(?=[\w\\-]*\.[\w\\-]|[0-9a-f]{7})|(?<=GH)-/gi, `$&${WORD_JOINER}`);
function unlink(s: string): string {
  return unmention(s.replace(/:(?=\/\/)|(?<=www)(?=\.)/gi, `$&${WORD_JOINER}`));
}

/** Log text as a fenced code block: fenced longer than any backtick run in it, so it cannot close the fence. */
export function codeBlock(s: string, lang: string, max = 2000): string {
  const text = cut(s.replace(/\r\n?/g, '\n').replace(CONTROL, '\ufffd'), max);
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${text}\n${fence}`;
}

/** `2024-05-01 10:00:00 UTC` (with milliseconds when `ms` and they are not 0). */
export function formatTime(t: Date | undefined, ms = false): string {
  if (t === undefined) return '—';
  const iso = t.toISOString();
  // Milliseconds only when there are some: a `%t` log has whole seconds.
  return `${iso.slice(0, 10)} ${iso.slice(11, ms && t.getUTCMilliseconds() !== 0 ? 23 : 19)} UTC`;
}
