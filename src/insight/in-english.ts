// The server's own LOG lines of a crash, a stop and a start, read back in English from any language PostgreSQL's
// catalogs translate them into (lc_messages): the digest tells crashes and stops by their English words.
import { translatedServerLines } from './translations.ts';

/**
 * A translation as its texts and values: `texts[0]`, a value, `texts[1]`, ... Matched by finding each text after
 * the last (no regular expression: a line of the log, hostile or not, costs a few passes over it).
 */
interface Line {
  english: string;
  texts: string[];
  /** What each value is: `d` a number, `x` a hexadecimal number, `s` any text. */
  kinds: string[];
}

// A printf conversion as the catalogs write them (%s, %d, %X): as scripts/pg-translations.ts reads them, which
// makes sure a translation has the English conversions in the English order, never two side by side.
const CONVERSION = /%[-+ #0']*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?:hh|h|ll|l|L|z|j|t|q)?([diouxXeEfgGcspm])/g;

function compile(english: string, t: string): Line {
  const texts: string[] = [];
  const kinds: string[] = [];
  let last = 0;
  for (const c of t.matchAll(CONVERSION)) {
    texts.push(t.slice(last, c.index));
    kinds.push(/[diu]/.test(c[1]!) ? 'd' : /[xX]/.test(c[1]!) ? 'x' : 's');
    last = c.index + c[0].length;
  }
  texts.push(t.slice(last));
  return { english, texts, kinds };
}

const VALUE: Record<string, RegExp> = { d: /^-?\d+$/, x: /^[0-9A-Fa-f]+$/, s: /^/ };

/** The values of `message` when it is the translation `l`. */
function valuesOf(l: Line, message: string): string[] | undefined {
  const { texts, kinds } = l;
  const n = kinds.length;
  if (!message.startsWith(texts[0]!)) return undefined;
  if (n === 0) return message === texts[0] ? [] : undefined;
  const end = message.length - texts[n]!.length;
  if (end < texts[0]!.length || !message.endsWith(texts[n]!)) return undefined;
  const values: string[] = [];
  let at = texts[0]!.length;
  for (let k = 0; k < n; k++) {
    // A value ends where the next text is first found (the catalogs have no two values side by side).
    const to = k === n - 1 ? end : message.indexOf(texts[k + 1]!, at);
    if (to < at || to > end) return undefined;
    const v = message.slice(at, to);
    if (!VALUE[kinds[k]!]!.test(v)) return undefined;
    values.push(v);
    at = to + texts[k + 1]!.length;
  }
  return values;
}

/**
 * The translations, the one with the most text first (`... en %s` must not take `... en el instante de registro %s`),
 * by their first two characters; those that start with a process's name by the text after it (` (PID `). Each
 * message is then compared with the few that can be it.
 */
let index: { byHead: Map<string, Line[]>; named: Map<string, Line[]> } | undefined;

function lines(): NonNullable<typeof index> {
  if (index !== undefined) return index;
  const text = (l: Line): number => l.texts.reduce((n, t) => n + t.length, 0);
  const all = translatedServerLines().flatMap(([english, ts]) => ts.map((t) => compile(english, t))).sort((a, b) => text(b) - text(a));
  index = { byHead: new Map(), named: new Map() };
  for (const l of all) {
    const [map, key] = l.texts[0] === '' ? [index.named, l.texts[1]!] : [index.byHead, l.texts[0]!.slice(0, 2)];
    (map.get(key) ?? map.set(key, []).get(key)!).push(l);
  }
  return index;
}

/** Bytes of a start the reader compares: enough to keep few other lines, short enough for the scanner's table. */
const START_BYTES = 32;

/**
 * The translated starts of those lines, for the reader to keep them (ParserOptions.keepWhen): each translation's
 * text before its first value, up to its first line's end (the reader tells a message by its first line; it reads
 * the rest, a tab line, into the message), at most START_BYTES of it (inEnglish reads the whole). A line that
 * starts with a process's name starts with one of the names'.
 */
export function translatedStarts(): string[] {
  const short = (s: string): string => {
    let out = '';
    for (const c of s) {
      if (Buffer.byteLength(out + c) > START_BYTES) break;
      out += c;
    }
    return out;
  };
  return [...new Set([...lines().byHead.values()].flat().map((l) => short(l.texts[0]!.split('\n')[0]!)))];
}

/** The English text of `l` with the values it was written with. */
function fill(l: Line, values: string[]): string {
  let i = 0;
  return l.english.replace(CONVERSION, () => {
    const value = values[i++]!;
    // The English `%s (PID %d) ...` starts with the process's name: that is translated too.
    return i === 1 && l.english.startsWith('%s') ? inEnglish(value) : value;
  });
}

/** The message in English when it is one of those lines in another language; else the message itself. */
export function inEnglish(message: string): string {
  const { byHead, named } = lines();
  for (const l of byHead.get(message.slice(0, 2)) ?? []) {
    const v = valuesOf(l, message);
    if (v !== undefined) return fill(l, v);
  }
  for (const [after, ls] of named) {
    if (!message.includes(after)) continue;
    for (const l of ls) {
      const v = valuesOf(l, message);
      if (v !== undefined) return fill(l, v);
    }
  }
  return message;
}
