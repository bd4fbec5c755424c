// Secrets in text that is not a statement (a message, a DETAIL, a connection string, JSON, a line the reader could
// not place): the value after a secret's name and `=` or `:` (password=x, "token": "x", \"token\": \"x\",
// ""token"": ""x"" as csvlog doubles it), a URI's password, and a key's values when one of its columns is secret
// (Key (api_token)=(x), German »(api_token)=(x)«, French « (api_token)=(x) »). Linear in the text's length:
// words are found one by one, each value pattern starts where its name ends.
import { isSecretName, MASK, MAYBE_SECRET } from './names.ts';

const WORD = /[A-Za-z0-9_]+/g;
// After a name: its closing quote as JSON writes it (", \", ""), `=` or `:`, then the value: quoted as the name
// was, in single quotes (doubled, as a connection string inside an SQL literal has them), or a bare word (not a
// $n placeholder: its value is in the parameters' list; not a function's name: crypt('x') is SQL's to read).
const VALUE = /(?:""|\\"|")?[ \t]*(?:=|:(?!:))[ \t]*(?:(""(?:[^"]|"(?!"))*(?:""|$))|(\\"(?:[^"\\]|\\[^"])*(?:\\"|$))|("(?:[^"\\]|\\[\s\S])*(?:"|$))|(''(?:[^']|'(?!'))*(?:''|$))|('(?:[^'\\]|\\[\s\S])*(?:'|$))|((?!\$\d)(?=([^\s'",;()}\[\]]+))\7(?![(\[])))/y;
/** A connection string's other keywords, as libpq writes them (`host=db`, `dbname=app`): what says the text holds one. */
const CONNINFO = /(?<![\w.])(?:host|hostaddr|port|dbname|user|sslmode|connect_timeout|application_name|options|target_session_attrs)=[^\s=]/;
/** A URI's password: scheme://user:password@host (each part bounded, so a long run costs one look). */
const URI = /\b([a-z][a-z0-9+.-]{0,31}:\/\/[^\s:/@'"]{0,256}:)([^\s@'"/]{1,1024})@/gi;
/**
 * Values that say what they are wherever they stand (a failing row of a table whose statement named no secret
 * column): password hashes (bcrypt, argon2, SCRAM, PBKDF2, PostgreSQL's md5), Stripe, GitHub and Slack tokens,
 * JSON web tokens. Each form starts with its own prefix and is bounded.
 */
const SELF_EVIDENT = /\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}|\$argon2(?:id|i|d)\$[^\s,)'"]{1,512}|SCRAM-SHA-256\$[^\s,)'"]{1,512}|pbkdf2_sha\d{3}\$[^\s,)'"]{1,512}|\bmd5[0-9a-f]{32}\b|\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,256}|\bgh[pousr]_[A-Za-z0-9]{20,255}|\bgithub_pat_[A-Za-z0-9_]{20,255}|\bxox[abprs]-[A-Za-z0-9-]{10,255}|\beyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{8,4096}/g;

/**
 * Credentials that their form gives away, not a name before them: an HTTP Authorization value and curl's `-u
 * user:password`. After `Authorization:` a value that is not a plain word ("missing Authorization: Bearer header").
 * Without that word, `Basic x` when x is base64 of `user:password` (prose has "basic support"), and `Bearer x` for
 * 20 or more token characters with a digit among them (not "Bearer AuthenticationHandler"). Scheme names in any
 * case, as HTTP has them. Each run of spaces is matched once (a quote between two of them made it quadratic).
 */
const AUTH_HEADER = /\b(Authorization:[ \t]*(?:["'][ \t]*)?(?:Bearer|Basic|Token)[ \t]+)([A-Za-z0-9._~+/-]{6,4096}=*)/gi;
const BASIC = /\b(Basic[ \t]+)([A-Za-z0-9+/]{8,4096}={0,2})(?![A-Za-z0-9+/=])/gi;
const BEARER = /\b(Bearer[ \t]+)((?=[A-Za-z0-9._~+/-]*\d)[A-Za-z0-9._~+/-]{20,4096}=*)/gi;
/** Not a plain word: a digit, a sign, '=' or both cases in it. */
const tokenLike = (v: string): boolean => /[\d._~+/=-]/.test(v) || (/[a-z]/.test(v) && /[A-Z]/.test(v));
// curl's -u/--user (alone or among short flags: -su) user:password, bare, quoted (to its closing quote) or joined;
// only in text that runs curl (`docker run -u 1000:1000`, `rsync -azu host:/path`, `date -u +%H:%M` are not it).
const CURL_USER = /((?:^|[\s'"])(?:-[A-Za-z]{0,8}u[ \t]*|--user(?:[ \t]+|=)))(?:"([^"\s:]{1,256}:)([^"]{1,1024})"|'([^'\s:]{1,256}:)([^']{1,1024})'|([^\s:'"]{1,256}:)([^\s'"]{1,1024}))/g;

/** Is `v` base64 of `user:password` (text with a colon and no control character; UTF-8 passwords too)? */
function basicCredential(v: string): boolean {
  if (v.length % 4 !== 0) return false;
  const text = Buffer.from(v, 'base64').toString('utf8');
  return text.includes(':') && !/[\u0000-\u001f\u007f\ufffd]/.test(text);
}

function hideForms(text: string, values: string[]): string {
  const hide = (before: string, credential: string): string => {
    values.push(credential);
    return `${before}${MASK}`;
  };
  const forms = text
    .replace(AUTH_HEADER, (m, before: string, credential: string) => (tokenLike(credential) ? hide(before, credential) : m))
    .replace(BASIC, (m, before: string, credential: string) => (basicCredential(credential) ? hide(before, credential) : m))
    .replace(BEARER, (_m, before: string, credential: string) => hide(before, credential));
  if (!/\bcurl\b/i.test(text)) return forms;
  // One of the three forms (double-quoted, single-quoted, bare) matched: its user and password groups are set.
  return forms.replace(CURL_USER, (_m, flag: string, dqUser?: string, dqPass?: string, sqUser?: string, sqPass?: string, user?: string, pass?: string) => {
    if (dqUser !== undefined) return `${flag}"${dqUser}${hide('', dqPass!)}"`;
    if (sqUser !== undefined) return `${flag}'${sqUser}${hide('', sqPass!)}'`;
    return `${flag}${user!}${hide('', pass!)}`;
  });
}

function hideHashes(text: string, values: string[]): string {
  return text.replace(SELF_EVIDENT, (m) => {
    values.push(m);
    return MASK;
  });
}

/** How far before a key's `)=(` its columns may start. */
const KEY_COLUMNS_REACH = 1000;

interface HiddenText {
  text: string;
  values: string[];
}

/** The quotes a value after a name has, longest first ('' before ', "" before "), or ''. */
const quoteOf = (value: string): string => ['""', '\\"', '"', "''", "'"].find((q) => value.startsWith(q)) ?? '';

/** How a hidden value reads: in the quotes it had. */
function masked(value: string): string {
  const q = quoteOf(value);
  return q + MASK + q;
}

function unquoted(value: string): string {
  const q = quoteOf(value);
  return q === '' ? value : value.slice(q.length, value.length >= 2 * q.length && value.endsWith(q) ? -q.length : undefined);
}

function hideNamed(text: string, values: string[], inString: boolean): string {
  let out = '';
  let copied = 0;
  WORD.lastIndex = 0;
  let previous = '';
  let conninfo: boolean | undefined;
  for (let m = WORD.exec(text); m !== null; m = WORD.exec(text)) {
    // Two words as a message writes them: `api key: x`, `private key: x`.
    const pair = /^keys?$/i.test(m[0]) && text[m.index - 1] === ' ' ? `${previous}_${m[0]}` : '';
    previous = m[0];
    if (!isSecretName(m[0]) && (pair === '' || !isSecretName(pair))) continue;
    VALUE.lastIndex = m.index + m[0].length;
    const v = VALUE.exec(text);
    if (v === null) continue;
    const value = v[1] ?? v[2] ?? v[3] ?? v[4] ?? v[5] ?? v[6]!;
    // A bare value only as a connection string or a message writes it (password=x, password: x): in SQL's
    // `token = old_token` it is a column. Inside a string it is a connection string's, spaces or not; so it is
    // in text that holds one (libpq takes `password = x` beside `host=db`).
    if (v[6] !== undefined && !inString && /\s[=:]|=\s/.test(v[0]) && !(conninfo ??= CONNINFO.test(text))) continue;
    const at = VALUE.lastIndex - value.length;
    values.push(unquoted(value));
    out += text.slice(copied, at) + masked(value);
    copied = VALUE.lastIndex;
    WORD.lastIndex = copied;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** A key's values `(cols)=(values)` hidden when one of its columns is secret. */
function hideKeys(text: string, values: string[]): string {
  let out = '';
  let copied = 0;
  let after = 0;
  for (let eq = text.indexOf(')=('); eq !== -1; after = eq + 3, eq = text.indexOf(')=(', Math.max(copied, after))) {
    // The columns: back to the `(` that opens them, not past the last key (so each character is looked at once).
    let depth = 0;
    let open = eq - 1;
    const stop = Math.max(copied, after, eq - KEY_COLUMNS_REACH);
    for (; open >= stop; open--) {
      const c = text.charCodeAt(open);
      if (c === 41) depth++;
      else if (c === 40 && depth-- === 0) break;
    }
    if (open < stop) continue;
    const names = text.slice(open + 1, eq).match(/[A-Za-z0-9_]+/g) ?? [];
    if (!names.some(isSecretName)) continue;
    // The values: to the `)` that closes `=(` (an expression key's values may hold parentheses), or the end.
    let end = eq + 3;
    for (depth = 0; end < text.length; end++) {
      const c = text.charCodeAt(end);
      if (c === 40) depth++;
      else if (c === 41 && depth-- === 0) break;
    }
    values.push(text.slice(eq + 3, end));
    out += text.slice(copied, eq + 3) + MASK;
    copied = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * Secrets in text; `inString`: the text is a string literal's or a comment's (a connection string may put spaces
 * around `=` there, where in SQL `token = col` names a column).
 */
export function hideText(text: string, o: { inString?: boolean } = {}): HiddenText {
  const values: string[] = [];
  // MAYBE_SECRET knows the self-evident forms' prefixes too: one look decides for all the rules.
  if (!MAYBE_SECRET.test(text)) return { text, values };
  const hashed = hideForms(hideHashes(text, values), values);
  const named = hideNamed(hashed, values, o.inString === true);
  const uri = named.replace(URI, (_m, before: string, password: string) => {
    values.push(password);
    return `${before}${MASK}@`;
  });
  return { text: hideKeys(uri, values), values };
}

/** The values of `$n` in a `parameters: $1 = '…', $2 = NULL` list (a DETAIL, or a CONTEXT's `portal with parameters:`, in any language) hidden. */
export function hideParameters(text: string, params: ReadonlySet<string>, values: string[]): string {
  // Any language: `$n = '…'` is the list's form (German `Parametern: $1 = '…'`, French `paramètres : « $1 = '…' »`).
  if (params.size === 0 || !text.includes('$')) return text;
  return text.replace(/\$(\d+) = ('(?:[^']|'')*(?:'|$))/g, (m, n: string, value: string) => {
    if (!params.has(n)) return m;
    values.push(value.slice(1, value.endsWith("'") && value.length > 1 ? -1 : undefined).replaceAll("''", "'"));
    return `$${n} = '${MASK}'`;
  });
}
