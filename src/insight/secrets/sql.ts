// Secrets in a statement, found by what the statement says of its values (on src/insight/secrets/lexer.ts' tokens):
//  - a secret's name followed by its value: PASSWORD 'x', OPTIONS (password 'x'), api_token = 'x', token LIKE $1,
//    password_hash = crypt('x', …) (every literal and parameter of the call), SET app.jwt_secret TO 'x',
//    set_config('app.jwt_secret', 'x', …);
//  - in CREATE/ALTER ROLE, USER or GROUP, whatever follows PASSWORD (a syntax error's PASSWORD x, PASSWORD "x");
//  - the values an INSERT, or an UPDATE's SET (a, b) = (…), gives a secret column, by position;
//  - strings hold statements too (DO blocks, EXECUTE): their text is read the same way, and 'ALTER ROLE x
//    PASSWORD ' || quote_literal('x') hides the string that follows.
// A value is replaced by *** in its own quotes; what was hidden (the values, the $n parameters bound to secrets) is
// returned, so the entry's other lines can hide the same values (a syntax error's `at or near "x"`, a failing row,
// the parameters' list).
import { contentOf, lex, quoteLike, type Token } from './lexer.ts';
import { isSecretName, KEY_VALUE_TABLE, MASK, MAYBE_SECRET, namesSecretKey, namesSecretString } from './names.ts';
import { hideText } from './text.ts';


interface Hidden {
  text: string;
  /** The secret values taken out (their text, unquoted). */
  values: string[];
  /** `$n` parameters bound to secrets. */
  params: Set<string>;
  /** It writes rows with a secret column (INSERT, COPY): a failing row or a COPY line holds a secret. */
  rowsSecret: boolean;
  /**
   * Key/value parameter pairs (`$1` the key, `$2` its value) of a key/value table: the value is a secret when the
   * key's bound value names one (the parameters' list says).
   */
  keyValueParams: Array<[string, string]>;
}

/** Operators between a name and its value. */
const ASSIGN = new Set(['=', ':=', '=>', '<>', '!=']);
/** Operator characters as the lexer cuts them (`!~*` is three, `@>` two). */
const OPERATORS = new Set([...ASSIGN, '<=', '>=', '<', '>', '~', '!', '*', '@']);
const OPERATOR_WORDS = new Set(['like', 'ilike', 'in', 'not', 'between', 'similar', 'distinct', 'any', 'all']);
/** Words a column list follows: a name closed by `)` there is not a call's argument. */
const COLUMN_LISTS = new Set(['set', 'into', 'insert', 'row', 'values', 'as', 'key', 'unique', 'on']);
/** Words after which a new statement starts (PL/pgSQL blocks). */
const STATEMENT_STARTS = new Set(['begin', 'then', 'else', 'loop', 'declare']);
/** pgcrypto's calls and the places of their keys (0-based). */
const KEYED_ARGS = new Map<string, number[]>([
  ['pgp_sym_encrypt', [1]], ['pgp_sym_encrypt_bytea', [1]], ['pgp_sym_decrypt', [1]], ['pgp_sym_decrypt_bytea', [1]],
  ['pgp_pub_decrypt', [1, 2]], ['pgp_pub_decrypt_bytea', [1, 2]], ['encrypt', [1]], ['decrypt', [1]],
  ['encrypt_iv', [1, 2]], ['decrypt_iv', [1, 2]], ['hmac', [1]], ['crypt', [0]],
]);
/** A call's arguments are read by place up to this many tokens. */
const MAX_ARGS_TOKENS = 512;
/** Calls whose arguments go in name, value pairs. */
const PAIR_CALLS = new Set(['set_config', 'json_build_object', 'jsonb_build_object', 'json_object', 'jsonb_object', 'hstore']);
/** Columns of a table named for tokens or keys (authtoken_token, api_keys) that hold one. */
const TOKEN_TABLE_COLUMNS = new Set(['key', 'token', 'value', 'digest']);
/** Columns of a key/value table that hold the value. */
const VALUE_COLUMNS = new Set(['value', 'val', 'setting_value', 'config_value', 'data', 'content', 'secret_value']);
/** Columns of a key/value table that hold the key. */
const KEY_COLUMNS = new Set(['key', 'name', 'setting', 'param', 'parameter', 'option', 'variable', 'config_key', 'setting_key', 'var']);
/** CREATE/ALTER ROLE's options: where a PASSWORD's value ends. */
const ROLE_OPTIONS = new Set(['valid', 'in', 'connection', 'superuser', 'nosuperuser', 'createdb', 'nocreatedb', 'createrole',
  'nocreaterole', 'inherit', 'noinherit', 'login', 'nologin', 'replication', 'noreplication', 'bypassrls', 'nobypassrls',
  'role', 'admin', 'user', 'sysid', 'with', 'encrypted']);
/** How deep strings holding statements (holding strings…) are read. */
const MAX_DEPTH = 3;
/** How far after a string ending in PASSWORD its value may come (`' || quote_literal(`). */
const VALUE_REACH = 6;

/** Hidden values kept, at most (to hide elsewhere in the entry; a hostile statement may hide thousands). */
const MAX_VALUES = 1000;

/** Adds `more` to `values`, up to MAX_VALUES (no spread: a long list would overflow the stack). */
export function keep(values: string[], more: readonly string[]): void {
  for (const v of more) {
    if (values.length >= MAX_VALUES) return;
    values.push(v);
  }
}

const isValue = (t: Token): boolean => t.kind === 'string' || t.kind === 'dollar';

/** Text that hides nothing, as hideSql answers it. */
const unchanged = (text: string): Hidden => ({ text, values: [], params: new Set<string>(), rowsSecret: false, keyValueParams: [] });

export function hideSql(sql: string, depth = 0): Hidden {
  if (!MAYBE_SECRET.test(sql) && !KEY_VALUE_TABLE.test(sql)) return unchanged(sql);
  const tokens = lex(sql);
  const sig = tokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment');

  const replace = new Map<Token, string>();
  const values: string[] = [];
  const params = new Set<string>();
  /** The statement writes rows with a secret column (INSERT, COPY): a failing row or COPY line shows them too. */
  let rowsSecret = false;
  const keyValueParams: Array<[string, string]> = [];
  const paramOf = (t: Token | undefined): string | undefined => (t?.kind === 'param' ? sql.slice(t.start + 1, t.end) : undefined);
  const word = (t: Token | undefined): string => (t !== undefined && t.kind === 'word' ? sql.slice(t.start, t.end).toLowerCase() : '');
  const nameOf = (t: Token | undefined): string | undefined => (t === undefined ? undefined : t.kind === 'word' ? sql.slice(t.start, t.end) : t.kind === 'qident' ? contentOf(sql, t) : undefined);

  /** Hides one value token: a literal (in its quotes), a parameter (its value is in the parameters' list), a bare word. */
  const secret = (t: Token | undefined): void => {
    if (t === undefined) return;
    if (t.kind === 'param') params.add(sql.slice(t.start + 1, t.end));
    else if (isValue(t)) {
      keep(values, [contentOf(sql, t)]);
      replace.set(t, t.kind === 'dollar' ? `$$${MASK}$$` : `'${MASK}'`);
    } else if (t.kind === 'word' || t.kind === 'qident' || t.kind === 'number') {
      keep(values, [nameOf(t) ?? sql.slice(t.start, t.end)]);
      replace.set(t, t.kind === 'qident' ? `"${MASK}"` : MASK);
    }
  };
  /**
   * Hides every literal and parameter of sig[from, to). A range that starts inside the last one is looked at only
   * past it (`password = (` repeated and never closed would otherwise cost the square of its length).
   */
  let lastFrom = -1;
  let lastTo = -1;
  const secretsIn = (from: number, to: number, numbers = true): void => {
    const inside = from >= lastFrom && from <= lastTo;
    for (let k = inside ? Math.max(from, lastTo) : from; k < to; k++) if (isValue(sig[k]!) || sig[k]!.kind === 'param' || (numbers && sig[k]!.kind === 'number')) secret(sig[k]);
    if (inside) lastTo = Math.max(lastTo, to);
    else [lastFrom, lastTo] = [from, to];
  };
  const namesKey = (t: Token): boolean => namesSecretKey(contentOf(sql, t));
  const namesInString = (t: Token): boolean => namesSecretString(contentOf(sql, t));
  const isOp = (t: Token | undefined, op: string): boolean => t !== undefined && t.kind === 'op' && t.end - t.start === op.length && sql.startsWith(op, t.start);
  // Each `(`'s closing `)`, found once (sig.length when it never closes): asked for again and again below.
  const closer = new Map<number, number>();
  const open: number[] = [];
  const openBracket: number[] = [];
  for (let k = 0; k < sig.length; k++) {
    if (isOp(sig[k], '(')) open.push(k);
    else if (isOp(sig[k], ')') && open.length > 0) closer.set(open.pop()!, k);
    else if (isOp(sig[k], '[')) openBracket.push(k);
    else if (isOp(sig[k], ']') && openBracket.length > 0) closer.set(openBracket.pop()!, k);
  }
  const closing = (at: number): number => closer.get(at) ?? sig.length;
  // Where the statement holding sig[k] ends (its `;`, or the end), found once from the back.
  const ends = new Int32Array(sig.length + 1).fill(sig.length);
  for (let k = sig.length - 1; k >= 0; k--) ends[k] = isOp(sig[k], ';') ? k : ends[k + 1]!;
  const statementEnd = (k: number): number => ends[Math.min(k, sig.length)]!;
  const starts = new Int32Array(sig.length + 1);
  for (let k = 1; k <= sig.length; k++) starts[k] = isOp(sig[k - 1], ';') ? k : starts[k - 1]!;
  const statementStart = (k: number): number => starts[Math.min(k, sig.length)]!;
  let tokenIndex: Map<Token, number> | undefined; // made when a PASSWORD span needs it
  /**
   * The value expression at sig[k]: a literal or parameter, a call's, a list's or an ARRAY[…]'s literals and
   * parameters (not a subquery's: `token IN (SELECT … WHERE reason = 'x')`), and each operand `||` joins to it.
   */
  const valueAt = (k: number): void => {
    for (let guard = 0; guard < 64 && k < sig.length; guard++) {
      const t = sig[k]!;
      let end = k + 1;
      if (isValue(t) || t.kind === 'param' || t.kind === 'number') secret(t);
      else if (isOp(t, '(')) {
        if (word(sig[k + 1]) !== 'select') secretsIn(k, closing(k));
        end = closing(k) + 1;
      } else if (t.kind === 'word' && isOp(sig[k + 1], '(')) {
        secretsIn(k + 1, closing(k + 1));
        end = closing(k + 1) + 1;
      } else if (word(t) === 'array' && isOp(sig[k + 1], '[')) {
        secretsIn(k + 2, closing(k + 1));
        end = closing(k + 1) + 1;
      } else return;
      if (!isOp(sig[end], '||')) return;
      k = end + 1;
    }
  };
  /** What the parenthesis at sig[open] holds, cut at its own commas (not those of calls or arrays inside): ranges of sig. */
  const splitAt = (open: number): Array<[number, number]> => {
    const end = closing(open);
    const parts: Array<[number, number]> = [];
    let from = open + 1;
    let d = 0;
    for (let j = open + 1; j <= end; j++) {
      if (j < end && (isOp(sig[j], '(') || isOp(sig[j], '['))) d++;
      else if (j < end && (isOp(sig[j], ')') || isOp(sig[j], ']'))) d--;
      else if (j === end || (d === 0 && isOp(sig[j], ','))) {
        parts.push([from, j]);
        from = j + 1;
      }
    }
    return parts;
  };
  /**
   * The places of a column list at sig[open] (`(a, "b", t.c)`), or undefined when it is not one (anything but
   * names, dots and commas in it): a list of names only, so a hostile `set (set (set (` costs a token each.
   */
  const columnList = (open: number, secretTable = false): { count: number; secret: Set<number>; key: number | undefined; value: number | undefined } | undefined => {
    const secret = new Set<number>();
    let key: number | undefined;
    let value: number | undefined;
    let col = 0;
    for (let k = open + 1; k < sig.length; k++) {
      const t = sig[k]!;
      if (isOp(t, ')')) return { count: col + 1, secret, key, value };
      if (isOp(t, ',')) col++;
      else if (isOp(t, '.')) continue;
      else if (t.kind === 'word' || t.kind === 'qident') {
        const n = nameOf(t)!;
        // In a table of tokens (authtoken_token), its plain `key` column holds one.
        if (isSecretName(n) || (secretTable && TOKEN_TABLE_COLUMNS.has(n.toLowerCase()))) secret.add(col);
        if (KEY_COLUMNS.has(n.toLowerCase())) key = col;
        if (VALUE_COLUMNS.has(n.toLowerCase())) value = col;
      } else return undefined;
    }
    return undefined;
  };
  /** Tuples already read by byPosition end here: one nested in another is not read again. */
  let tuplesTo = -1;
  /** Positional values of a column list at sig[open] (`(a, b)`) given by the tuple(s) after it. */
  const byPosition = (open: number, secretTable = false): void => {
    const cols = columnList(open, secretTable);
    if (cols === undefined || (cols.secret.size === 0 && (cols.key === undefined || cols.value === undefined)) || open < tuplesTo) return;
    rowsSecret ||= cols.secret.size > 0;
    let k = closing(open) + 1;
    if (isOp(sig[k], '=')) k++;
    const w = word(sig[k]);
    if (w === 'values' || w === 'row' || isOp(sig[k], '(')) {
      // Each tuple: the expressions at the secret columns' places; all of a tuple whose count is not the
      // columns' (a missing comma, a missing value: the typo that made the statement fail).
      for (k += w === '' ? 0 : 1; isOp(sig[k], '('); k++) {
        const end = closing(k);
        tuplesTo = Math.max(tuplesTo, end);
        const places = splitAt(k);
        if (places.length !== cols.count) secretsIn(k, end);
        else {
          places.forEach(([a, z], i) => { if (cols.secret.has(i)) secretsIn(a, z); });
          // A key/value table: the row's value when its key names a secret ('stripe_secret_key', 'sk_live_…').
          const [ka, kz] = cols.key !== undefined ? places[cols.key]! : [0, 0];
          if (cols.key !== undefined && cols.value !== undefined && kz === ka + 1 && isValue(sig[ka]!) && namesKey(sig[ka]!)) {
            secretsIn(places[cols.value]![0], places[cols.value]![1]);
            keyValueRow = true;
          }
          // Bound: VALUES ($1, $2) — which key it is, only the parameters' list says.
          const [va, vz] = cols.value !== undefined ? places[cols.value]! : [0, 0];
          const keyParam = kz === ka + 1 ? paramOf(sig[ka]) : undefined;
          const valueParam = vz === va + 1 ? paramOf(sig[va]) : undefined;
          if (keyParam !== undefined && valueParam !== undefined) keyValueParams.push([keyParam, valueParam]);
        }
        k = end + 1;
        if (!isOp(sig[k], ',')) break;
      }
    } else {
      // INSERT … SELECT, UPDATE … SET (…) = (SELECT …), COPY … FROM: every literal up to the statement's end.
      // Not its numbers: a row count or a bcrypt cost explains a slow statement and is never the secret.
      secretsIn(k, statementEnd(k), false);
    }
  };
  /**
   * The arguments of a call whose `(` is at sig[open], as ranges of sig; undefined for a call longer than
   * MAX_ARGS_TOKENS (calls nest: each is read to its end, so a long one would be read again for each inside it).
   */
  const argsOf = (open: number): Array<[number, number]> | undefined => (closing(open) - open > MAX_ARGS_TOKENS ? undefined : splitAt(open));
  /**
   * In CREATE/ALTER ROLE, what follows PASSWORD up to the next option or the statement's end, whatever it is: a
   * syntax error's PASSWORD x, PASSWORD "x", or a password with a quote in it ('it's-x') lexed into pieces.
   */
  const passwordSpan = (from: number): number => {
    let to = from;
    while (to < sig.length && !isOp(sig[to], ';') && !ROLE_OPTIONS.has(word(sig[to]))) to++;
    if (to === from) return to;
    if (to === from + 1 && (isValue(sig[from]!) || sig[from]!.kind === 'qident')) {
      secret(sig[from]); // PASSWORD 'x', PASSWORD "x": in its quotes
      return to;
    }
    keep(values, [sql.slice(sig[from]!.start, sig[to - 1]!.end)]);
    for (let k = from; k < to; k++) {
      const t = sig[k]!;
      if (isValue(t)) keep(values, [contentOf(sql, t)]);
      else if (t.kind === 'word' || t.kind === 'qident') keep(values, [nameOf(t)!]);
    }
    // The whole span reads as one hidden value.
    tokenIndex ??= new Map(tokens.map((t, i) => [t, i]));
    for (let i = tokenIndex.get(sig[from]!)!; i < tokens.length && tokens[i]!.end <= sig[to - 1]!.end; i++) replace.set(tokens[i]!, '');
    replace.set(sig[from]!, MASK);
    return to;
  };

  /**
   * Where the value compared with or given to a name starts, when an operator follows it: `= 'x'`, `:= 'x'`,
   * `LIKE 'x'`, `IN (…)`, `NOT IN (…)`, `BETWEEN 'x'`, `~ 'x'`, `SIMILAR TO 'x'`, `IS NOT DISTINCT FROM 'x'`,
   * `TO 'x'` (SET), also after a cast or a call's end (`token::text = 'x'`, `lower(token) = 'x'`).
   */
  const operandAfter = (k: number): number | undefined => {
    let j = k;
    // A cast, and the end of a call the name is the argument of: lower(token) (not a column list's end).
    const inCall = isOp(sig[k - 2], '(') && sig[k - 3]?.kind === 'word' && !COLUMN_LISTS.has(word(sig[k - 3]));
    for (let n = 0; n < 3 && j < sig.length; n++) {
      if (isOp(sig[j], '::') && sig[j + 1]?.kind === 'word') j += 2;
      else if (inCall && isOp(sig[j], ')')) j++;
      else break;
    }
    let operator = false;
    for (let n = 0; n < 6 && j < sig.length; n++, j++) {
      const t = sig[j]!;
      const w = word(t);
      // IS only as IS [NOT] DISTINCT FROM: COMMENT ON COLUMN users.password IS '…' gives no password.
      const isOperator = (t.kind === 'op' && OPERATORS.has(sql.slice(t.start, t.end))) || OPERATOR_WORDS.has(w) ||
        (w === 'is' && ['not', 'distinct'].includes(word(sig[j + 1]))) ||
        (w === 'from' && word(sig[j - 1]) === 'distinct') || (w === 'to' && !['rename', 'column'].includes(word(sig[k - 2])));
      // The value: valueAt tells what it is. A number compared with a call on the name is not the secret
      // (char_length(password_hash) >= 60).
      if (!isOperator) return operator && !(inCall && t.kind === 'number') ? j : undefined;
      operator = true;
    }
    return undefined;
  };

  /** The calls the token being read is inside, innermost last (their names; '' for a bare parenthesis). */
  const calls: string[] = [];
  /** The key/value rule has hidden a statement's literals up to here. */
  let keyValueTo = -1;
  /** An INSERT's row gave a secret key a value: its ON CONFLICT … SET value = … is hidden too. */
  let keyValueRow = false;
  // Where the statement being read started: after a `;`, or a PL/pgSQL block's BEGIN, THEN, ELSE, LOOP.
  let start = 0;
  /** CREATE/ALTER ROLE, USER or GROUP (not USER MAPPING: its OPTIONS (password '…') is a name and its value). */
  const inRoleStatement = (): boolean => {
    const first = word(sig[start]);
    return (first === 'create' || first === 'alter') && ['role', 'user', 'group'].includes(word(sig[start + 1])) && word(sig[start + 2]) !== 'mapping';
  };
  for (let k = 0; k < sig.length; k++) {
    const t = sig[k]!;
    const w = word(t);
    if (isOp(t, ';') || STATEMENT_STARTS.has(w)) start = k + 1;
    if (isOp(t, '(')) calls.push(word(sig[k - 1]));
    else if (isOp(t, ')')) calls.pop();
    const name = nameOf(t);
    // "authtoken_token"."key": a plain key column of a table of tokens.
    const tokenTableColumn = name !== undefined && TOKEN_TABLE_COLUMNS.has(name.toLowerCase()) && isOp(sig[k - 1], '.') && isSecretName(nameOf(sig[k - 2]) ?? '');
    if (name !== undefined && (isSecretName(name) || tokenTableColumn)) {
      const next = sig[k + 1];
      if (w === 'password' && next !== undefined && word(next) !== 'null' && inRoleStatement()) {
        k = passwordSpan(k + 1) - 1; // nothing inside the span is looked at again
        continue;
      }
      else if (next !== undefined && isValue(next)) secret(next); // OPTIONS (password 'x'), secret_key 'x'
      else {
        const at = operandAfter(k + 1);
        if (at !== undefined) valueAt(at);
      }
      // $1 = token, 'x' = password
      const before = sig[k - 1];
      if (before !== undefined && before.kind === 'op' && ASSIGN.has(sql.slice(before.start, before.end)) && (sig[k - 2]?.kind === 'param' || (sig[k - 2] !== undefined && isValue(sig[k - 2]!)))) secret(sig[k - 2]);
    }
    // In CREATE/ALTER ROLE a string is a password but after VALID UNTIL or SET … = (a misspelt PASSWORD too:
    // `unrecognized role option "pasword"` is exactly why such a script failed).
    if (isValue(t) && !replace.has(t) && inRoleStatement() && !['until', 'to'].includes(word(sig[k - 1])) && !isOp(sig[k - 1], '=')) secret(t);
    // In a call of name, value pairs, a string naming a secret, then its value: set_config('app.jwt_secret', 'x'),
    // jsonb_build_object('password', 'x').
    if (isValue(t) && PAIR_CALLS.has(calls.at(-1) ?? '') && isOp(sig[k + 1], ',') && namesInString(t)) valueAt(k + 2);
    if (w === 'insert' && isOp(sig[k + 1], '(')) byPosition(k + 1); // MERGE … WHEN NOT MATCHED THEN INSERT (…) VALUES (…)
    // pgcrypto's keys, by their place: pgp_sym_encrypt(data, key), encrypt(data, key, type), hmac(data, key, type), …
    const keyed = KEYED_ARGS.get(w);
    if (keyed !== undefined && isOp(sig[k + 1], '(')) {
      const args = argsOf(k + 1);
      if (args === undefined) secretsIn(k + 1, closing(k + 1)); // too long to read by place: all of it
      else args.forEach(([a, z], i) => { if (keyed.includes(i)) secretsIn(a, z); });
    }
    // COPY t (…, password_hash) FROM …: its rows (a CONTEXT's `COPY t, line 1: "…"`) hold secrets.
    if (w === 'copy' && sig[k + 1] !== undefined && (sig[k + 1]!.kind === 'word' || sig[k + 1]!.kind === 'qident')) {
      let j = k + 2;
      while (isOp(sig[j], '.') && sig[j + 1] !== undefined) j += 2;
      if (isOp(sig[j], '(') && columnList(j)?.secret.size) rowsSecret = true;
    }
    // A key/value table: WHERE key = 'stripe_secret_key' (a key column compared with a secret's name) makes what
    // the statement gives its value column the secret (SET value = 'x').
    if (k >= keyValueTo && ((isValue(t) && namesKey(t) && isOp(sig[k - 1], '=') && KEY_COLUMNS.has((nameOf(sig[k - 2]) ?? '').toLowerCase())) || keyValueRow)) {
      keyValueRow = false;
      keyValueTo = statementEnd(k); // once a statement
      for (let j = statementStart(k) + 2; j < keyValueTo; j++) {
        if ((isValue(sig[j]!) || sig[j]!.kind === 'param') && isOp(sig[j - 1], '=') && VALUE_COLUMNS.has((nameOf(sig[j - 2]) ?? '').toLowerCase())) secret(sig[j]);
      }
    }
    // UPDATE settings SET value = $2 WHERE var = $1: a key column bound, a value column bound.
    if (t.kind === 'param' && isOp(sig[k - 1], '=') && KEY_COLUMNS.has((nameOf(sig[k - 2]) ?? '').toLowerCase())) {
      for (let j = statementStart(k) + 2; j < statementEnd(k); j++) {
        const v = paramOf(sig[j]);
        if (v !== undefined && isOp(sig[j - 1], '=') && VALUE_COLUMNS.has((nameOf(sig[j - 2]) ?? '').toLowerCase())) keyValueParams.push([paramOf(t)!, v]);
      }
    }
    if (w === 'insert' && word(sig[k + 1]) === 'into') {
      // INSERT INTO name [AS alias] (columns) …
      let j = k + 2;
      let table = false;
      while (j < sig.length && !isOp(sig[j], '(') && word(sig[j]) !== 'values' && word(sig[j]) !== 'select' && j - k < 12) {
        if (word(sig[j]) !== 'as' && isSecretName(nameOf(sig[j]) ?? '')) table = true;
        j++;
      }
      if (isOp(sig[j], '(')) byPosition(j, table);
    }
    if (w === 'set' && isOp(sig[k + 1], '(')) byPosition(k + 1); // UPDATE … SET (a, b) = (…)
    // Strings: their text is read as a statement (DO blocks, EXECUTE), and for connection strings and JSON.
    if (isValue(t) && !replace.has(t)) {
      const content = contentOf(sql, t);
      const tail = content.trimEnd().slice(-9).toLowerCase();
      if (depth < MAX_DEPTH && tail.endsWith('password') && !/[a-z0-9_]/.test(tail[0] ?? ' ') && /\b(?:role|user|group)\b/i.test(content)) {
        for (let j = k + 1; j < sig.length && j <= k + VALUE_REACH; j++) if (isValue(sig[j]!) || sig[j]!.kind === 'param') { secret(sig[j]); break; }
      }
      const inner = depth < MAX_DEPTH ? hideSql(content, depth + 1) : unchanged(content);
      rowsSecret ||= inner.rowsSecret;
      const hidden = hideText(inner.text, { inString: true });
      keep(values, inner.values);
      keep(values, hidden.values);
      if (hidden.text !== content) replace.set(t, quoteLike(sql, t, hidden.text));
    }
    // A quoted name holding a statement: PL/pgSQL's CONTEXT  SQL statement "ALTER ROLE x PASSWORD '…'".
    const quoted = t.kind === 'qident' && depth < MAX_DEPTH ? contentOf(sql, t) : '';
    if (/\s/.test(quoted)) {
      const content = quoted;
      const inner = hideSql(content, depth + 1);
      // A function's INSERT into a secret column: its failing row (the entry's DETAIL) holds the secret too.
      rowsSecret ||= inner.rowsSecret;
      if (inner.text !== content) {
        keep(values, inner.values);
        replace.set(t, quoteLike(sql, t, inner.text));
      }
    }
  }
  // Comments are text: /* token=x */ in a statement.
  for (const t of tokens) {
    if (t.kind !== 'comment' || replace.has(t)) continue; // a comment inside a hidden PASSWORD span stays hidden
    const raw = sql.slice(t.start, t.end);
    const hidden = hideText(raw, { inString: true });
    if (hidden.text !== raw) {
      keep(values, hidden.values);
      replace.set(t, hidden.text);
    }
  }
  if (replace.size === 0) return { text: sql, values, params, rowsSecret, keyValueParams };
  let text = '';
  let copied = 0;
  for (const t of tokens) {
    const r = replace.get(t);
    if (r === undefined) continue;
    text += sql.slice(copied, t.start) + r;
    copied = t.end;
  }
  return { text: text + sql.slice(copied), values, params, rowsSecret, keyValueParams };
}
