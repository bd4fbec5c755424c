// Which names say that their value is a secret: password, passwd, pwd, pass, passphrase, passcode, secret, token,
// credential(s), api_key, private_key (and encryption_, signing_, ssh_ keys) and the names built on them
// (password_hash, api_token, client_secret, accessToken), but not those that only speak of one (token_id,
// password_encryption, last_password_change, max_tokens, secretary).

/** What a hidden value is shown as. */
export const MASK = '***';

/** A part of a name that is a secret's: ends with one of the words (accesstoken, passwordhash), plural or not. */
const SECRET_PART = /(?:password|passwd|pwd|passphrase|passcode|secret|token|credential|apikey|privatekey)s?(?:hash|hashed|digest)?$/;
/** After a secret's part, a last part that is still its value: password_hash, secret_key, token_value. */
const VALUE_OF = new Set(['hash', 'hashed', 'digest', 'value', 'values', 'enc', 'encrypted', 'ciphertext',
  'salt', 'plain', 'plaintext', 'text', 'bytes', 'data', 'string', 'str', 'b64', 'base64', 'hex', 'raw', 'json']);
/** A `key` part is a secret's after these: private_key, encryption_key, api_keys, ssh_key. */
const KEY_OF = new Set(['api', 'private', 'encryption', 'signing', 'ssh', 'secret', 'access', 'client', 'master', 'session', 'aes', 'hmac']);
/** `pass` is a password after these (db_pass), not a boarding or season pass, a first pass, pass_fail. */
const PASS_OF = new Set(['db', 'user', 'admin', 'root', 'smtp', 'ftp', 'mail', 'ldap', 'redis', 'proxy', 'app', 'api', 'login', 'account', 'sql', 'pg']);
/** `tokens` held after these (refresh_tokens), counted otherwise (tokens, max_tokens: a language model's usage). */
const TOKENS_OF = new Set(['access', 'refresh', 'auth', 'api', 'session', 'reset', 'bearer', 'oauth', 'id']);
/** A first part that makes the name a flag about a secret: has_password, is_secret, requires_token. */
const FLAG = new Set(['has', 'is', 'use', 'uses', 'require', 'requires', 'needs', 'enable', 'enabled', 'allow', 'allows', 'can']);
const SECRET_WORD = /pass|pwd|secret|token|credential|key/i;
/** A name whose last part is one of these is about a secret, not one. */
const ABOUT = new Set([
  'change', 'changes', 'date', 'strength', 'attempts', 'attempt', 'balance', 'in', 'limit', 'usage', 'quota', 'price',
  'cost', 'budget', 'left', 'rate', 'window', 'reset', 'reuse', 'history', 'hint', 'level', 'score', 'policy',
  'id', 'ids', 'type', 'types', 'kind', 'length', 'len', 'count', 'expires', 'expiry', 'expiration', 'at', 'on',
  'encryption', 'version', 'name', 'names', 'created', 'updated', 'used', 'uses', 'url', 'uri', 'arn',
  'endpoint', 'file', 'path', 'required', 'enabled', 'min', 'max', 'changed', 'set', 'valid', 'until', 'age',
  'lifetime', 'ttl', 'status', 'state', 'rotation', 'rotated', 'scope', 'scopes', 'issuer', 'format',
]);

/**
 * Whether a name (a column, an option, a setting, a JSON key) says its value is a secret: its last part is a
 * secret's (password, api_token, db_pass, private_key, refresh_tokens), or still its value after one
 * (password_hash, secret_key); not a flag (has_password), nor a part about one (token_revoked, secret_santa).
 */
export function isSecretName(name: string): boolean {
  // Most names are asked (every word of a statement): a quick no first.
  if (name.length > 200 || !SECRET_WORD.test(name)) return false;
  const parts = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().split(/[^a-z0-9]+/).filter((p) => p !== '');
  const last = parts.at(-1);
  if (last === undefined || ABOUT.has(last) || FLAG.has(parts[0]!)) return false;
  const before = parts.at(-2) ?? '';
  if (last === 'tokens') return TOKENS_OF.has(before);
  if (last === 'pass') return parts.length === 1 || PASS_OF.has(before);
  if (last === 'key' || last === 'keys') return KEY_OF.has(before) || SECRET_PART.test(before);
  if (SECRET_PART.test(last)) return true;
  // key_hash = encode(digest($1, …)): the raw key is what is bound to it.
  if ((last === 'hash' || last === 'digest') && parts.includes('key')) return true;
  return VALUE_OF.has(last) && parts.slice(0, -1).some((p) => SECRET_PART.test(p));
}

/** Cheap first look: text without any of these has no secret-named value in it. */
export const MAYBE_SECRET = /pass|pwd|secret|token|credential|_?key|:\/\/|\)=\(|\)»|parameters:|pgp_|crypt|hmac|\$2[abxy]?\$|\$argon2|SCRAM-SHA|pbkdf2_|md5[0-9a-f]|_live_|_test_|gh[pousr]_|github_pat_|xox[abprs]-|eyJ|bearer|basic|authorization|curl|(?:create|alter)\s+(?:role|user|group)\b/i;

/** Keys of user-interface text (translations), not of settings: auth.forgot_password, passwords.reset.label. */
const UI_WORDS = new Set(['forgot', 'reset', 'confirm', 'confirmation', 'label', 'title', 'placeholder', 'prompt', 'message',
  'error', 'help', 'hint', 'text', 'button', 'link', 'notice', 'flash']);

/** A string that is a secret's name ('app.jwt_secret', 'api_token'), not a phrase ('reset password'). */
export function namesSecretString(s: string): boolean {
  return /^[A-Za-z0-9_.-]+$/.test(s) && isSecretName(s);
}

/** A key/value table's key naming a secret ('stripe_secret_key', 'mailgun_api_key'), not a translation's ('auth.forgot_password'). */
export function namesSecretKey(key: string | undefined): boolean {
  return key !== undefined && namesSecretString(key) && !key.toLowerCase().split(/[^a-z0-9]+/).some((p) => UI_WORDS.has(p));
}

/** A key/value table's value columns: a statement naming them may bind a secret though it names none. */
export const KEY_VALUE_TABLE = /\b(?:value|val|setting_value|config_value)\b/i;

/**
 * Whether the text before a value (folded out of a message, see digest.ts) ends with a secret's name:
 * `password '`, `token=`, `"password": "`.
 */
export function namesSecret(before: string): boolean {
  let end = before.length;
  while (end > 0 && /[\s"'=:]/.test(before[end - 1]!)) end--;
  let start = end;
  while (start > 0 && end - start < 200 && /[A-Za-z0-9_]/.test(before[start - 1]!)) start--;
  return start < end && isSecretName(before.slice(start, end));
}
