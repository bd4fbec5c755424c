// Generates src/insight/translations.ts: what PostgreSQL writes in other languages, read from the server's own
// message catalogs, so that it is never typed by hand: the severity and field words (FEHLER, WARNUNG,
// ANWEISUNG, TIPP, ERREUR, ...), the error position's form (` bei Zeichen %d`), and the common failures'
// messages, with the kind kinds.ts gives their English text.
//
//   node scripts/pg-translations.ts [catalog-dir]     default /usr/share/locale (Debian's postgresql package)
//
// Reads every <dir>/<lang>/LC_MESSAGES/postgres-<major>.mo (GNU gettext's binary format) and keeps the msgids
// elog.c translates for a log line (the severities of error_severity, the labels of send_message_to_server_log's
// DETAIL/HINT/QUERY/CONTEXT/LOCATION/STATEMENT lines, ` at character %d`) and those KIND_MSGIDS picks.
import { readdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kindByWording } from '../src/insight/kinds.ts';

const dir = process.argv[2] ?? '/usr/share/locale';
const OUT = new URL('../src/insight/translations.ts', import.meta.url);

/** The msgid elog.c passes to gettext, and the severity our reader names it by. */
const WORDS: Array<[string, string]> = [
  ['LOG', 'LOG'], ['INFO', 'INFO'], ['NOTICE', 'NOTICE'], ['WARNING', 'WARNING'], ['ERROR', 'ERROR'],
  ['FATAL', 'FATAL'], ['PANIC', 'PANIC'],
  ['DETAIL:  ', 'DETAIL'], ['HINT:  ', 'HINT'], ['QUERY:  ', 'QUERY'], ['CONTEXT:  ', 'CONTEXT'],
  ['STATEMENT:  ', 'STATEMENT'], ['LOCATION:  %s, %s:%d\n', 'LOCATION'], ['LOCATION:  %s:%d\n', 'LOCATION'],
];

/**
 * The messages whose kind a translated log should still show: the common failures of a deployment, the ones
 * kinds.ts's English patterns are written for. Each pattern picks msgids (as the source writes them, `%s` and
 * all); the kind is what kinds.ts says of the English message, so a translated one gets the same kind. Only
 * messages an ERROR, FATAL or PANIC carries: message kinds are of those. (LOG lines that tell of a crash count
 * too, by isCrashLog in kinds.ts, which knows them in English only.)
 */
const KIND_MSGIDS: readonly RegExp[] = [
  /^password authentication failed for user "%s"$/, /^no pg_hba\.conf entry for /, /^role "%s" (?:does not exist|is not permitted to log in)$/,
  /^(?:relation|column|database|schema|type|table|index|sequence|view|extension|constraint "%s" of relation) "%s" does not exist$/,
  /^column "%s" of relation "%s" does not exist$/, /^column %s\.%s does not exist$/, /^function %s does not exist$/, /^operator does not exist: %s$/,
  /^duplicate key value violates unique constraint "%s"$/, /^insert or update on table "%s" violates foreign key constraint "%s"$/,
  /^update or delete on table "%s" violates foreign key constraint "%s" on table "%s"$/,
  /^null value in column "%s" of relation "%s" violates not-null constraint$/, /^new row for relation "%s" violates check constraint "%s"$/,
  /^conflicting key value violates exclusion constraint "%s"$/,
  /^could not create unique index "%s"$/, /^column "%s" of relation "%s" contains null values$/, /^check constraint "%s" of relation "%s" is violated by some row$/,
  /^permission denied for (?:table|schema|sequence|database|function|view|column|type|language|tablespace|large object) "?%s"?$/,
  /^must be owner of (?:table|relation|database|schema|function|sequence|view|type) %s$/,
  /^deadlock detected$/, /^could not obtain lock on (?:relation|row in relation) "%s"$/, /^canceling statement due to /, /^canceling autovacuum task$/,
  /^could not serialize access due to /, /^terminating connection (?:due to|because of) /,
  /^the database system is /, /^connection to client lost$/,
  /^out of memory$/, /^out of shared memory$/, /^could not map anonymous shared memory: %m$/, /^sorry, too many clients already$/, /^remaining connection slots are reserved /, /^could not extend file "%s": %m$/,
  /^invalid input syntax for type %s: "%s"$/, /^division by zero$/, /^value too long for type character(?: varying)?\(%d\)$/,
  /^(?:smallint|integer|bigint) out of range$/,
];
/**
 * The server's own LOG lines that the digest reads to tell crashes and stops (digest.ts: CRASH_HINTS, STOP_LINES,
 * and kinds.ts's isCrashLog), the names the postmaster gives its processes in `%s (PID %d) was terminated by
 * signal %d: %s`, the FATAL a fast stop ends connections with, and the FATAL whose DETAIL tells a missing role
 * from a wrong password (digest.ts: authReason): with their translations, a log in another language tells the same.
 */
const SERVER_MSGIDS: readonly RegExp[] = [
  /^terminating connection due to administrator command$/, /^password authentication failed for user "%s"$/,
  /^database system was (?:interrupted|not properly shut down)/, /^database system is (?:ready to accept|shut down$)/,
  /^received (?:smart|fast|immediate) shutdown request$/, /^shutting down due to startup process failure$/,
  /^%s \(PID %d\) (?:was terminated by|exited with exit code)/,
  /^(?:server|startup|background writer|checkpointer|WAL writer|WAL receiver|autovacuum launcher|archiver|system logger) process$/,
  /^background worker "%s"$/,
];
/** The scanner's errors are two msgids: what went wrong, put into where (`syntax error` + `%s at or near "%s"`). */
const SCANNER_WHAT = ['syntax error', 'unterminated quoted string', 'unterminated quoted identifier', 'zero-length delimited identifier'];
const SCANNER_WHERE = ['%s at or near "%s"', '%s at end of input'];

// A printf conversion as PostgreSQL's messages use them (%s, %d, %u, %ld, %m, %.*s, %1$s, ...).
const CONVERSION = /%(?:\d+\$)?[-+ #0']*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?:hh|h|ll|l|L|z|j|t|q)?[diouxXeEfgGcspm]/g;
/**
 * Least literal text a template with values keeps: one that is mostly values (`%s: %s`) would match anything.
 * Counted by weight() (a Chinese, Japanese or Korean character says as much as a word); a template without
 * values matches only itself, whatever its length.
 */
const MIN_LITERAL = 8;
const weight = (s: string): number => [...s].reduce((n, c) => n + (c.codePointAt(0)! >= 0x800 ? 2 : 1), 0);

/** msgid -> msgstr of one .mo file (GNU gettext binary catalog). */
function readMo(path: string): Map<string, string> {
  const b = readFileSync(path);
  const magic = b.readUInt32LE(0);
  const le = magic === 0x950412de;
  if (!le && b.readUInt32BE(0) !== 0x950412de) throw new Error(`${path}: not a .mo file`);
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const n = u32(8);
  const ids = u32(12);
  const strs = u32(16);
  const out = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const str = (table: number): string => {
      const len = u32(table + i * 8);
      const off = u32(table + i * 8 + 4);
      return b.toString('utf8', off, off + len);
    };
    out.set(str(ids), str(strs));
  }
  return out;
}

/**
 * The text a log line has between its prefix and `:  `: a severity as translated (elog.c writes
 * `%s:  ` after it), or a label up to its colon, spaces kept (French writes `INSTRUCTION :  `).
 * Undefined when untranslated, or when the label does not end in `:  ` (the reader finds a line's
 * severity by those two spaces).
 */
function word(msgid: string, msgstr: string): string | undefined {
  if (msgstr === '') return undefined;
  if (!msgid.includes(':  ')) return msgstr;
  const i = msgstr.indexOf(':  ');
  return i > 0 ? msgstr.slice(0, i) : undefined;
}

/** The messages KIND_MSGIDS picks in a catalog, scanner errors put together, as [English msgid, msgstr]. */
function kindMessages(m: Map<string, string>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [id, str] of m) if (KIND_MSGIDS.some((re) => re.test(id))) out.push([id, str]);
  for (const what of SCANNER_WHAT) {
    for (const where of SCANNER_WHERE) {
      const w = m.get(where);
      const t = m.get(what);
      // The first conversion (or %1$s) of the place is the error.
      if (w && t && !t.includes('%')) out.push([where.replace('%s', what), w.replace(/%(?:1\$)?s/, t)]);
    }
  }
  return out;
}

const templates = new Map<string, { kind: string; langs: Set<string> }>(); // template -> kind, languages
const serverLines = new Map<string, Map<string, Set<string>>>(); // English msgid -> translation -> languages
const kindsOfMsgids = new Set<string>();
const rows: Array<[string, string, string]> = []; // word, severity, language
const skipped: string[] = [];
const sharedLeftOut: string[] = [];
const atCharacter = new Set<string>();
const catalogs: string[] = [];
for (const lang of readdirSync(dir).sort()) {
  const lc = join(dir, lang, 'LC_MESSAGES');
  if (!existsSync(lc)) continue;
  const mo = readdirSync(lc).filter((f) => /^postgres-\d+\.mo$/.test(f)).sort().at(-1);
  if (mo === undefined) continue;
  catalogs.push(`${lang}/${mo}`);
  const m = readMo(join(lc, mo));
  // elog.c: " at character %d" (with the English text, that makes "relation ... does not exist at character 15");
  // some languages put text after the number too (ru " (символ %d)", ja "(%d文字目)").
  const at = m.get(' at character %d');
  if (at !== undefined && at !== ' at character %d') {
    if (at.split('%d').length !== 2 || at.replace('%d', '').includes('%')) throw new Error(`${lang}: ${JSON.stringify(at)} is not one %d`);
    atCharacter.add(at);
  }
  for (const [msgid, msgstr] of kindMessages(m)) {
    // Plural forms (`\0` between them) and literal percent signs: none among these messages; left out if ever.
    if (msgstr === '' || msgstr === msgid || /%%|\0/.test(msgid + msgstr)) continue;
    // The English message with values in it, as kinds.ts would see it (a number where one is printed).
    const kind = kindByWording(msgid.replace(CONVERSION, (c) => (/[diu]$/.test(c) ? '1' : 'x')));
    if (kind === undefined) throw new Error(`kinds.ts gives no kind to the English ${JSON.stringify(msgid)}: change KIND_MSGIDS or kinds.ts`);
    kindsOfMsgids.add(msgid);
    const template = msgstr.replace(CONVERSION, '%s');
    const literal = template.replaceAll('%s', '');
    if (literal.includes('%')) throw new Error(`${lang}: a conversion CONVERSION does not know in ${JSON.stringify(msgstr)}`);
    // A line break stays: the reader joins a message's lines with \n, as the server wrote it.
    if (template.includes('%s') && weight(literal) < MIN_LITERAL) continue;
    const t = templates.get(template) ?? templates.set(template, { kind, langs: new Set() }).get(template)!;
    if (t.kind !== kind) throw new Error(`${JSON.stringify(template)} is two kinds: ${t.kind}, ${kind}`);
    t.langs.add(lang);
  }
  // A translation the catalog gives another msgid too means two things in that language: left out (Georgian's
  // `database system was interrupted while in recovery` is also its clean `was shut down in recovery`).
  const uses = new Map<string, number>();
  for (const msgstr of m.values()) uses.set(msgstr, (uses.get(msgstr) ?? 0) + 1);
  for (const [msgid, msgstr] of m) {
    if (msgstr === '' || msgstr === msgid || !SERVER_MSGIDS.some((re) => re.test(msgid))) continue;
    if (uses.get(msgstr)! > 1) {
      sharedLeftOut.push(`${lang} ${JSON.stringify(msgid)}`);
      continue;
    }
    // in-english.ts reads the values back in the English order, each up to the text after it: so the same
    // conversions in the same order, never two side by side (and no `%1$s`, which none of these has).
    const conversions = (t: string): string => (t.match(CONVERSION) ?? []).join();
    if (/%%|\0|%\d+\$/.test(msgstr) || conversions(msgstr) !== conversions(msgid) || msgstr.split(CONVERSION).slice(1, -1).includes('')) {
      throw new Error(`${lang}: ${JSON.stringify(msgstr)} for ${JSON.stringify(msgid)}: change in-english.ts to read it`);
    }
    const t = serverLines.get(msgid) ?? serverLines.set(msgid, new Map()).get(msgid)!;
    (t.get(msgstr) ?? t.set(msgstr, new Set()).get(msgstr)!).add(lang);
  }
  for (const [msgid, sev] of WORDS) {
    const msgstr = m.get(msgid) ?? '';
    const w = word(msgid, msgstr);
    if (w === undefined) {
      if (msgstr !== '') skipped.push(`${lang} ${JSON.stringify(msgstr)}`);
      continue;
    }
    if (w === msgid.split(':')[0]) continue; // untranslated: the English word
    rows.push([w, sev, lang]);
  }
}
if (catalogs.length === 0) throw new Error(`no postgres-*.mo catalogs under ${dir} (install the postgresql package)`);

// One word must mean one thing: a word two languages use for different severities is left out.
const bySev = new Map<string, Set<string>>();
for (const [msgid, sev] of WORDS) bySev.set(msgid.split(':')[0]!, new Set([sev]));
for (const [w, sev] of rows) (bySev.get(w) ?? bySev.set(w, new Set()).get(w)!).add(sev);
const ambiguous = [...bySev].filter(([, s]) => s.size > 1).map(([w]) => w);
const table = new Map<string, { sev: string; langs: string[] }>();
for (const [w, sev, lang] of rows) {
  if (ambiguous.includes(w)) continue;
  const t = table.get(w) ?? table.set(w, { sev, langs: [] }).get(w)!;
  if (!t.langs.includes(lang)) t.langs.push(lang);
}

const byKind = new Map<string, Array<[string, string[]]>>();
for (const [template, t] of [...templates].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
  (byKind.get(t.kind) ?? byKind.set(t.kind, []).get(t.kind)!).push([template, [...t.langs]]);
}
const kinds = [...byKind].sort(([a], [b]) => (a < b ? -1 : 1));
// The templates as a readable list (comments: not in the bundle), and as the data: base64 of their JSON in
// UTF-8. Written out, the bundle would escape each non-ASCII character as \uXXXX (106 kB, not 79), or, printed
// as UTF-8, make the whole chunk a two-byte string in every thread that loads it (about 4 MiB of RSS).
const listing = kinds.map(([kind, ts]) => `//   ${kind}:\n${ts.map(([t, langs]) => `//     ${JSON.stringify(t)} (${langs.join(' ')})`).join('\n')}`).join('\n');
const data = Buffer.from(JSON.stringify(kinds.map(([kind, ts]) => [kind, ts.map(([t]) => t)]))).toString('base64');
const servers = [...serverLines].sort(([a], [b]) => (a < b ? -1 : 1));
const serverListing = servers.map(([id, ts]) => `//   ${JSON.stringify(id)}:\n${[...ts].map(([t, langs]) => `//     ${JSON.stringify(t)} (${[...langs].join(' ')})`).join('\n')}`).join('\n');
const serverData = Buffer.from(JSON.stringify(servers.map(([id, ts]) => [id, [...ts.keys()]]))).toString('base64');
const lines = [...table].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  .map(([w, t]) => `  [${JSON.stringify(w)}, '${t.sev}'], // ${t.langs.join(' ')}`);
writeFileSync(OUT, `// GENERATED by scripts/pg-translations.ts from PostgreSQL's message catalogs; do not edit by hand.
// What a server writes with lc_messages in another language, and what it means: the severity and field
// words, the error position's form, and the common failures' messages by kind. Catalogs: ${catalogs.join(', ')}.
${ambiguous.length > 0 ? `// Left out (one word, different meanings across languages): ${ambiguous.join(', ')}.\n` : ''}${skipped.length > 0 ? `// Left out (no \`:  \` after the label, so a line cannot be told by it): ${skipped.join(', ')}.\n` : ''}${sharedLeftOut.length > 0 ? `// Left out (a server line's translation that the catalog gives another message too): ${sharedLeftOut.join(', ')}.\n` : ''}import type { Severity } from './entry.ts';
import type { KindId } from './kinds.ts';

export const TRANSLATED_WORDS: ReadonlyArray<readonly [string, Severity]> = [
${lines.join('\n')}
];

/** What follows an error's message when the server adds where in the statement it failed (English: \` at character %d\`). */
export const AT_CHARACTER_FORMS: readonly string[] = ${JSON.stringify([...atCharacter].sort())};

// The common failures' messages as translated, \`%s\` where a value goes, by the kind kinds.ts gives their English
// text (${kindsOfMsgids.size} msgids, picked by KIND_MSGIDS in the script): a log in another language gets the
// same kinds where it has no SQLSTATE. As listed here (with their languages), and as data below.
${listing}
const TRANSLATED_KINDS_BASE64 =
${(data.match(/.{1,112}/g) ?? []).map((l) => `  '${l}'`).join(' +\n')};

/** The templates above, by kind: decoded when first asked for (an error without SQLSTATE that no English pattern knows). */
export function translatedKinds(): Array<[KindId, string[]]> {
  return JSON.parse(Buffer.from(TRANSLATED_KINDS_BASE64, 'base64').toString('utf8')) as Array<[KindId, string[]]>;
}

// The server's own lines of a crash, a stop and a start, and the names of its processes, as translated, by their
// English msgid (${servers.length} msgids, picked by SERVER_MSGIDS in the script; printf conversions as the catalogs
// write them): the digest reads them back in English (in-english.ts).
${serverListing}
const TRANSLATED_SERVER_LINES_BASE64 =
${(serverData.match(/.{1,112}/g) ?? []).map((l) => `  '${l}'`).join(' +\n')};

/** The lines above: [English msgid, its translations]. Decoded when the digest first reads a log. */
export function translatedServerLines(): Array<[string, string[]]> {
  return JSON.parse(Buffer.from(TRANSLATED_SERVER_LINES_BASE64, 'base64').toString('utf8')) as Array<[string, string[]]>;
}
`);
console.log(`pg-translations: ${templates.size} messages of ${kindsOfMsgids.size} msgids for kinds; ${[...serverLines.values()].reduce((n, t) => n + t.size, 0)} of ${serverLines.size} server lines; ${table.size} words from ${catalogs.length} catalogs${ambiguous.length > 0 ? `; left out: ${ambiguous.join(', ')}` : ''}`);

// The reader keeps a line by the start of its message (in-english.ts: translatedStarts) through the WebAssembly
// scanner's table (wasm/log-scan.ts: 16 KiB of starts, each at most 255 bytes, at most 255 distinct first two
// bytes, English starts included): checked on what was just written, with room left for English.
{
  const { translatedStarts } = await import('../src/insight/in-english.ts');
  const starts = translatedStarts();
  const bytes = starts.reduce((n, s) => n + 1 + Buffer.byteLength(s), 0);
  const pairs = new Set(starts.map((s) => Buffer.from(s).subarray(0, 2).toString('hex'))).size;
  const longest = Math.max(...starts.map((s) => Buffer.byteLength(s)));
  const [maxBytes, maxPairs] = [14 * 1024, 200];
  if (longest > 255 || bytes + pairs > maxBytes || pairs > maxPairs || starts.some((s) => s.includes('\n'))) {
    throw new Error(`the translated starts outgrow the scanner's table (longest ${longest} of 255 bytes, ${bytes + pairs} of ${maxBytes} bytes, ${pairs} of ${maxPairs} pairs): change wasm/log-scan.ts`);
  }
  console.log(`pg-translations: the reader's starts: ${starts.length}, ${bytes + pairs} of ${maxBytes} bytes, ${pairs} of ${maxPairs} pairs`);
}
