// Which names say that their value is a secret: password, passwd, pwd, passphrase, secret, token, credential(s),
// api_key and the names built on them (password_hash, api_token, client_secret, accessToken), but not those that
// only speak of one (token_id, password_encryption, password_changed_at, secretary).

/** A part of a name that is a secret's: ends with one of the words (accesstoken, passwordhash), plural or not. */
const SECRET_PART = /(?:password|passwd|pwd|passphrase|secret|token|credential|apikey)s?(?:hash|hashed|digest)?$/;
const SECRET_WORD = /passw|pwd|passphrase|secret|token|credential|api_?key/i;
/** A name whose last part is one of these is about a secret, not one. */
const ABOUT = new Set([
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
  return parts.some((p, i) => SECRET_PART.test(p) || (p === 'api' && parts[i + 1] === 'key'));
}

/** Cheap first look: text without any of these has no secret-named value in it. */
export const MAYBE_SECRET = /passw|pwd|passphrase|secret|token|credential|api_?key|:\/\/|\)=\(|\)»|parameters:/i;

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
