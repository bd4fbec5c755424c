// What kind of failure an error is: from its SQLSTATE when the log carries one, else from the wording of the
// common PostgreSQL messages, in English (kinds.ts) or as the server's catalogs translate them.
import { kindBySqlstate, kindByWording, labelOf, OTHER, type KindId } from './kinds.ts';
import { AT_CHARACTER_FORMS, translatedKinds } from './translations.ts';
import type { Severity } from './entry.ts';

/** ` at character N` after a message, in English and in PostgreSQL's other languages (` bei Zeichen N`, ` (символ N)`, ...). */
const AT_CHARACTER = new RegExp(`(?:${[' at character %d', ...AT_CHARACTER_FORMS].map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('%d', '\\d+')).join('|')})$`);

/** The message without stderr's ` at character N` (the error position; csvlog and jsonlog keep it apart). */
export const withoutPosition = (message: string): string => message.replace(AT_CHARACTER, '');

/** A translated message: its literal pieces around the values (`%s`), and its kind. */
interface Template {
  pieces: string[];
  kind: KindId;
}

// Templates by the first two characters of their text, or of their end when they start with a value; built
// the first time an error without SQLSTATE matches no English pattern.
let templates: { byStart: Map<string, Template[]>; byEnd: Map<string, Template[]>; rest: Template[] } | undefined;

function translatedTemplates(): NonNullable<typeof templates> {
  if (templates) return templates;
  const t = { byStart: new Map<string, Template[]>(), byEnd: new Map<string, Template[]>(), rest: [] as Template[] };
  const put = (m: Map<string, Template[]>, key: string, x: Template): void => { (m.get(key) ?? m.set(key, []).get(key)!).push(x); };
  for (const [id, list] of translatedKinds()) {
    for (const text of list) {
      const x: Template = { pieces: text.split('%s'), kind: id };
      const first = x.pieces[0]!;
      const last = x.pieces.at(-1)!;
      if (first.length >= 2) put(t.byStart, first.slice(0, 2), x);
      else if (last.length >= 2) put(t.byEnd, last.slice(-2), x);
      else t.rest.push(x);
    }
  }
  return (templates = t);
}

/**
 * Whether the message is the template with some text for each value. Each piece is found at the leftmost place
 * after the one before it (which finds a fit whenever there is one: values may hold anything), so it takes time
 * linear in the message, whatever the message holds.
 */
function fits(message: string, pieces: readonly string[]): boolean {
  const first = pieces[0]!;
  if (pieces.length === 1) return message === first;
  const last = pieces[pieces.length - 1]!;
  const end = message.length - last.length;
  if (end < first.length || !message.startsWith(first) || !message.endsWith(last)) return false;
  let at = first.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const j = message.indexOf(pieces[i]!, at);
    if (j < 0 || j + pieces[i]!.length > end) return false;
    at = j + pieces[i]!.length;
  }
  return true;
}

function kindOfTranslation(message: string): KindId | undefined {
  const t = translatedTemplates();
  for (const list of [t.byStart.get(message.slice(0, 2)), t.byEnd.get(message.slice(-2)), t.rest]) {
    for (const x of list ?? []) if (fits(message, x.pieces)) return x.kind;
  }
  return undefined;
}

/**
 * The kind's label: by SQLSTATE when there is one (see kindBySqlstate), else by the message's wording, its error
 * position aside (English, or a translation of one of the common messages), else `other`.
 */
export function kindOf(message: string, sqlstate: string | undefined, severity?: Severity): string {
  const bySqlstate = kindBySqlstate(sqlstate);
  if (bySqlstate !== undefined) return bySqlstate;
  const text = withoutPosition(message);
  let id = kindByWording(text) ?? kindOfTranslation(text);
  // A failed sign-in is FATAL: an ERROR worded like one (`role "x" does not exist` from GRANT or SET ROLE,
  // 42704 where a SQLSTATE is logged) names an object that is missing.
  if (id === 'authentication' && severity !== undefined && severity !== 'FATAL' && severity !== 'PANIC') id = 'missing-object';
  return id !== undefined ? labelOf(id) : OTHER;
}
