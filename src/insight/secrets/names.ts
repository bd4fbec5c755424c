// Which names say that their value is a secret: password, passwd, pwd, pass, passphrase, passcode, secret, token,
// credential(s), api_key, private_key (and encryption_, signing_, ssh_ keys) and the names built on them
// (password_hash, api_token, client_secret, accessToken), but not those that only speak of one (token_id,
// password_encryption, last_password_change, max_tokens, secretary).

/** A part of a name that is a secret's: ends with one of the words (accesstoken, passwordhash), plural or not. */
const SECRET_PART = /(?:password|passwd|pwd|passphrase|passcode|secret|token|credential|apikey|privatekey)s?(?:hash|hashed|digest)?$/;
/** A `key` part is a secret's after these: private_key, encryption_key, api_keys, ssh_key. */
const KEY_OF = new Set(['api', 'private', 'encryption', 'signing', 'ssh', 'secret', 'access', 'client', 'master', 'session', 'aes', 'hmac']);
/** `tokens` counted, not held: max_tokens, prompt_tokens (a language model's usage). */
const COUNTED = new Set(['max', 'min', 'prompt', 'completion', 'total', 'input', 'output', 'num', 'used', 'remaining', 'cached']);
const SECRET_WORD = /pass|pwd|secret|token|credential|key/i;
/** A name whose last part is one of these is about a secret, not one. */
const ABOUT = new Set([
  'change', 'changes', 'date', 'strength', 'attempts', 'attempt', 'balance', 'in', 'limit', 'usage', 'quota', 'price',
  'cost', 'budget', 'left', 'rate', 'window', 'reset', 'reuse', 'history', 'hint', 'level', 'score', 'policy',
  'id', 'ids', 'type', 'types', 'kind', 'length', 'len', 'count', 'expires', 'expiry', 'expiration', 'at', 'on',
  'encryption', 'version', 'name', 'names', 'policy', 'created', 'updated', 'used', 'uses', 'hint', 'url', 'uri',
  'endpoint', 'file', 'path', 'required', 'enabled', 'min', 'max', 'changed', 'set', 'valid', 'until', 'age',
  'lifetime', 'ttl', 'status', 'state', 'rotation', 'rotated', 'scope', 'scopes', 'issuer', 'format',
]);

/** Whether a name (a column, an option, a setting, a JSON key) says its value is a secret. */
export function isSecretName(name: string): boolean {
  // Most names are asked (every word of a statement): a quick no first.
  if (name.length > 200 || !SECRET_WORD.test(name)) return false;
  const parts = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().split(/[^a-z0-9]+/).filter((p) => p !== '');
  if (parts.length === 0 || ABOUT.has(parts.at(-1)!)) return false;
  if (parts.at(-1) === 'tokens' && parts.some((p) => COUNTED.has(p))) return false;
  return parts.some((p, i) => SECRET_PART.test(p) || p === 'pass' || ((p === 'key' || p === 'keys') && i > 0 && KEY_OF.has(parts[i - 1]!)));
}

/** Cheap first look: text without any of these has no secret-named value in it. */
export const MAYBE_SECRET = /pass|pwd|secret|token|credential|_?key|:\/\/|\)=\(|\)»|parameters:|pgp_|crypt|hmac/i;

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
