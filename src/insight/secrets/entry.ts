// What the engine shows of an entry, without the secrets it holds. The statement (and QUERY, CONTEXT, and the
// statement a LOG line or a slow-query duration carries) is read as SQL (sql.ts), every line as text (text.ts);
// what either found hidden is hidden in the entry's other lines too (a syntax error's `at or near "x"`, a failing
// row, the bind parameters' values), and the parameters the statement binds to secrets are hidden in its
// `parameters:` list. The log files themselves are kept as they are.
import type { LogEntry } from '../entry.ts';
import { KEY_VALUE_TABLE, MASK, MAYBE_SECRET, namesSecretKey } from './names.ts';
import { hideSql, keep } from './sql.ts';
import { hideParameters, hideText } from './text.ts';

/** The text fields of an entry that may show a secret. */
const FIELDS = ['message', 'detail', 'hint', 'statement', 'context', 'query'] as const;
type Field = (typeof FIELDS)[number];
/** A hidden value shorter than this is not looked for elsewhere: it would take ordinary words with it. */
const MIN_ECHO = 4;
/** Values looked for elsewhere, at most (each is one pass over the entry's text). */
const MAX_ECHOES = 64;

/**
 * Characters of log text one digest reads for secrets, at most: a hostile log can put 64 KiB of text that looks
 * like it holds some into every field of every entry shown (a thousand message groups), and reading it costs
 * about a quarter of a microsecond a character. Past it, such a field is withheld, not shown unread.
 */
export const HIDE_BUDGET = 16 << 20;
export const WITHHELD = '(not shown: more log text than the secrets check reads in one run)';
// Past the budget everything is withheld, text that names no secret too.

/** What is left of a digest's HIDE_BUDGET. */
export interface HideBudget {
  left: number;
}

/** An entry's text with its secrets hidden, and the values hidden (to hide them in what was folded from it too). */
export function hideEntry<E extends Pick<LogEntry, Field>>(e: E, budget: HideBudget = { left: HIDE_BUDGET }): { entry: E; values: string[] } {
  // Once the budget is spent, nothing more is shown: a message that names no secret may still echo one its
  // statement held (a syntax error's `at or near "x"`).
  const withheld = (): { entry: E; values: string[] } => {
    budget.left = 0;
    const out: E = { ...e };
    for (const f of FIELDS) if (out[f] !== undefined) out[f] = WITHHELD;
    return { entry: out, values: [] };
  };
  if (budget.left <= 0) return withheld();
  const suspect = FIELDS.filter((f) => e[f] !== undefined && (MAYBE_SECRET.test(e[f]) || (f === 'statement' && KEY_VALUE_TABLE.test(e[f]))));
  if (suspect.length === 0) return { entry: e, values: [] };
  const cost = suspect.reduce((n, f) => n + e[f]!.length, 0);
  if (cost > budget.left) return withheld();
  budget.left -= cost;
  const out: E = { ...e };
  const values: string[] = [];
  const params = new Set<string>();
  let rowsSecret = false;
  const keyValueParams: Array<[string, string]> = [];
  for (const f of suspect) {
    const text = out[f]!;
    const sql = hideSql(text);
    keep(values, sql.values);
    for (const p of sql.params) params.add(p);
    rowsSecret ||= sql.rowsSecret;
    keyValueParams.push(...sql.keyValueParams.slice(0, 64));
    out[f] = sql.text;
  }
  // A key/value table's bound value is a secret when its bound key names one (the parameters' list says which).
  if (keyValueParams.length > 0) {
    const bound = boundValues(`${e.detail ?? ''}\n${e.context ?? ''}`);
    for (const [key, value] of keyValueParams) if (namesSecretKey(bound.get(key))) params.add(value);
  }
  for (const f of FIELDS) {
    const text = out[f];
    if (text === undefined) continue;
    // A statement's strings were read as text by hideSql; the rest of it is SQL (`token = other_column`).
    if (f === 'statement' || f === 'query') continue;
    const rows = !rowsSecret ? text : f === 'detail' ? hideFailingRow(text) : f === 'context' ? hideCopyLine(text) : text;
    const hidden = hideText(hideParameters(rows, params, values));
    keep(values, hidden.values);
    out[f] = hidden.text;
  }
  const echoes = [...new Set(values)].filter((v) => v.length >= MIN_ECHO && v !== MASK).sort((a, b) => b.length - a.length).slice(0, MAX_ECHOES);
  if (echoes.length > 0) {
    for (const f of FIELDS) {
      let text = out[f];
      if (text === undefined) continue;
      for (const v of echoes) text = echo(text, v);
      out[f] = text;
    }
  }
  return { entry: out, values: echoes };
}


/** The values a `$n = '…'` parameters' list binds, by n (at most 256). */
function boundValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/\$(\d+) = '((?:[^']|'')*)'/g)) {
    if (out.size >= 256) break;
    out.set(m[1]!, m[2]!.replaceAll("''", "'"));
  }
  return out;
}


/**
 * `value` hidden where it stands whole in `text`: not inside a longer word (a hidden 'user' must not make `users`
 * read `***s`); a number only where it stands alone (a hidden 2000 is not the year of '2000-01-01').
 */
export function echo(text: string, value: string): string {
  if (!text.includes(value)) return text;
  const numeric = /^[\d.:-]+$/.test(value);
  const free = (c: string | undefined): boolean => c === undefined || (numeric ? /[\s"'(),=»«]/.test(c) : !/[A-Za-z0-9_]/.test(c));
  let out = '';
  let copied = 0;
  for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + value.length)) {
    if (!free(text[at - 1]) || !free(text[at + value.length])) continue;
    out += text.slice(copied, at) + MASK;
    copied = at + value.length;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** A failing row's values (`Failing row contains (…).`, in any language: a DETAIL line's last parenthesis). */
function hideFailingRow(detail: string): string {
  return detail.split('\n').map((line) => line.replace(/\(([^()]|\([^()]*\))*\)(\.?)$/, `(${MASK})$2`)).join('\n');
}

/** A COPY line's data (a CONTEXT's `COPY t, line 1: "…"`, `…, column c: "…"`). */
function hideCopyLine(context: string): string {
  return context.split('\n').map((line) => line.replace(/^(COPY [^,]{1,200}, [^:"]{1,200}: )".*"?$/, `$1"${MASK}"`)).join('\n');
}

/** Free text (a line the reader could not place, a piece of a folded message) without the secrets it names. */
export function hideCredentials(text: string, budget: HideBudget = { left: HIDE_BUDGET }): string {
  if (budget.left > 0 && !MAYBE_SECRET.test(text)) return text;
  if (text.length > budget.left) {
    budget.left = 0;
    return WITHHELD;
  }
  budget.left -= text.length;
  return hideText(hideSql(text).text).text;
}
