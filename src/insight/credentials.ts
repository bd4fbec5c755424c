// Passwords PostgreSQL writes into its own log: a failing CREATE/ALTER ROLE is logged with its STATEMENT (and with
// log_statement = 'ddl' a successful one too), a user mapping with its OPTIONS (password '…'), dblink or a
// subscription with its connection string, a unique violation on a token column with its key. The files stay as
// they are (the artifact); what the engine shows of them (summary, annotations, outputs, the command line's
// report) has such values replaced by ***, as pganalyze's filter_log_secret 'credential' does. Only what names
// itself is found: a password given by position (INSERT … VALUES without columns, a bind parameter of a statement
// that does not name it) is not.
//
// Log text is hostile and fields run to 64 KiB: every pattern here is linear (words are found one by one, and
// each value pattern's alternatives start with different characters), never a backtracking search of a word.

/** What makes a name secret: password, passwd, pwd, secret, token, api_key/apikey, and names containing them. */
const SECRET_WORD = /password|passwd|pwd|secret|token|api_?key/i;
/** Cheap test first: most text has none of these, and is left as it is. */
const MAYBE = /passw|pwd|secret|token|api_?key|:\/\//i;
const WORD = /[A-Za-z0-9_]+/g;

// Right after a secret name: an SQL literal ('…', E'…', U&'…'; to the end when cut), a dollar-quoted one, a value
// after `=` (a connection string's, bare or in the doubled quotes of an SQL literal, or a comparison's literal),
// or a JSON string after `:`.
const VALUE = new RegExp(
  String.raw`"?\s*(?:` +
    String.raw`((?:[Ee]|[Uu]&)?'(?:[^'\\]|\\[\s\S]|'')*(?:'|$))` + // 1: PASSWORD 'x', E'x'
    String.raw`|(\$([A-Za-z_][A-Za-z0-9_]*)?\$[\s\S]*?(?:\$\3\$|$))` + // 2: PASSWORD $$x$$
    String.raw`|=\s*(''(?:[^']|'(?!'))*(?:''|$)|'(?:[^'\\]|\\[\s\S]|'')*(?:'|$)|[^\s'",;)]+)` + // 4: password=x
    String.raw`|:\s*("(?:[^"\\]|\\[\s\S])*(?:"|$))` + // 5: "password": "x"
    ')',
  'y',
);
/** An INSERT whose column list names a secret column: its string literals are hidden, whichever is the secret. */
const INSERT = /\bINSERT\s+INTO\s+[^\s(]{1,200}\s*\(([^()]{0,2000})\)\s*VALUES\b/gi;
const LITERAL = /(?:[Ee]|[Uu]&)?'(?:[^'\\]|\\[\s\S]|'')*(?:'|$)|\$([A-Za-z_][A-Za-z0-9_]*)?\$[\s\S]*?(?:\$\1\$|$)/g;
/** A URI's password: scheme://user:password@host (each part bounded, so a long run of text costs one look). */
const URI = /\b([a-z][a-z0-9+.-]{0,31}:\/\/[^\s:/@'"]{0,256}:)([^\s@'"/]{1,256})@/gi;

const MASK = '***';

/** How a hidden value reads: within the same quotes, so the statement still reads as one. */
function masked(value: string): string {
  if (value.startsWith("''")) return `''${MASK}''`;
  if (value.startsWith('"')) return `"${MASK}"`;
  if (value.startsWith('$')) return `$$${MASK}$$`;
  return /^(?:[Ee]|[Uu]&)?'/.test(value) ? `'${MASK}'` : MASK;
}

/** The values after secret names hidden. */
function hideNamed(text: string): string {
  let out = '';
  let from = 0;
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m !== null; m = WORD.exec(text)) {
    if (!SECRET_WORD.test(m[0])) continue;
    const end = m.index + m[0].length;
    VALUE.lastIndex = end;
    const v = VALUE.exec(text);
    if (v === null) continue;
    const value = v[1] ?? v[2] ?? v[4] ?? v[5]!;
    const valueAt = VALUE.lastIndex - value.length;
    out += text.slice(from, valueAt) + masked(value);
    from = VALUE.lastIndex;
    WORD.lastIndex = from;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** `Key (cols)=(values)` (a unique or foreign key violation's DETAIL) with the values hidden when a column is secret. */
function hideKeys(text: string): string {
  let out = '';
  let copied = 0;
  let search = 0;
  for (let at = text.indexOf('Key (', search); at !== -1; at = text.indexOf('Key (', search)) {
    const cols = at + 5;
    const eq = text.indexOf(')=(', cols);
    if (eq === -1) break;
    search = eq + 3;
    if (!SECRET_WORD.test(text.slice(cols, eq))) continue;
    // The values end at the parenthesis that closes `=(` (an expression key's values may hold parentheses).
    let depth = 0;
    let end = search;
    for (; end < text.length; end++) {
      const c = text.charCodeAt(end);
      if (c === 40) depth++;
      else if (c === 41 && depth-- === 0) break;
    }
    out += text.slice(copied, search) + MASK;
    copied = search = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** The literals of INSERTs into secret columns hidden, to the statement's end (`;`) or the text's. */
function hideInserts(text: string): string {
  let out = '';
  let copied = 0;
  INSERT.lastIndex = 0;
  for (let m = INSERT.exec(text); m !== null; m = INSERT.exec(text)) {
    if (!SECRET_WORD.test(m[1]!)) continue;
    const from = INSERT.lastIndex;
    // Literals may hold `;`: the statement ends at the first `;` outside them.
    LITERAL.lastIndex = from;
    let end = from;
    let body = '';
    let semi = -2;
    for (;;) {
      if (semi !== -1 && semi < end) semi = text.indexOf(';', end);
      const lit = LITERAL.exec(text);
      if (lit === null || (semi !== -1 && semi < lit.index)) {
        const stop = semi === -1 ? text.length : semi;
        body += text.slice(end, stop);
        end = stop;
        break;
      }
      body += text.slice(end, lit.index) + masked(lit[0]);
      end = LITERAL.lastIndex;
    }
    out += text.slice(copied, from) + body;
    copied = end;
    INSERT.lastIndex = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** `text` with the values of secret-named fields, URI passwords and secret columns' keys replaced by ***. */
export function hideCredentials(text: string): string;
export function hideCredentials(text: string | undefined): string | undefined;
export function hideCredentials(text: string | undefined): string | undefined {
  if (text === undefined || !MAYBE.test(text)) return text;
  return hideKeys(hideInserts(hideNamed(text)).replace(URI, (_m, before: string) => `${before}${MASK}@`));
}

/** `$n` bound to a secret's name in a statement: `token = $1`, `password_hash=$2`. */
const BOUND = /\b[A-Za-z0-9_]+\s*=\s*\$(\d+)/g;
/** One value of a `parameters: $1 = '…', $2 = NULL` DETAIL (the extended protocol's bind values). */
const PARAMETER = /\$(\d+) = ('(?:[^']|'')*(?:'|$)|NULL)/g;

/**
 * A DETAIL's `parameters: …` with the values hidden that `statement` binds to a secret's name (`WHERE token = $1`),
 * or every value when it inserts into a secret column.
 */
export function hideParameters(statement: string | undefined, detail: string | undefined): string | undefined {
  if (statement === undefined || detail === undefined || !detail.startsWith('parameters: ') || !MAYBE.test(statement)) return detail;
  const secret = new Set<string>();
  BOUND.lastIndex = 0;
  for (let m = BOUND.exec(statement); m !== null; m = BOUND.exec(statement)) {
    if (SECRET_WORD.test(m[0].slice(0, m[0].indexOf('=')))) secret.add(m[1]!);
  }
  const all = insertsSecret(statement);
  if (secret.size === 0 && !all) return detail;
  return detail.replace(PARAMETER, (m, n: string, value: string) => (value !== 'NULL' && (all || secret.has(n)) ? `$${n} = '${MASK}'` : m));
}

/** An INSERT whose column list names a secret column (its values may all be parameters, which hideInserts keeps). */
function insertsSecret(statement: string): boolean {
  INSERT.lastIndex = 0;
  for (let m = INSERT.exec(statement); m !== null; m = INSERT.exec(statement)) if (SECRET_WORD.test(m[1]!)) return true;
  return false;
}

/**
 * Whether a value folded out of a message (see digest.ts) follows a secret's name (`password '…'`, `token=…`):
 * then the value itself is hidden, not only what names a secret inside it.
 */
export function namesSecret(before: string): boolean {
  let end = before.length;
  while (end > 0 && /[\s"'=:]/.test(before[end - 1]!)) end--;
  let start = end;
  while (start > 0 && /[A-Za-z0-9_]/.test(before[start - 1]!)) start--;
  return start < end && SECRET_WORD.test(before.slice(start, end));
}
