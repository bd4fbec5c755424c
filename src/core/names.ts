// File names come from the API: they must land inside output-dir, be valid artifact entries, and be unique.
import { extname } from 'node:path';

// Path separators, characters the artifact service or Windows refuses, control characters (C0 and C1), and the
// bidi controls and line separators that make a name read as another (U+202E: "gol.exe").
const UNSAFE = /[\/\\:"<>|*?\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// At most 200 bytes of UTF-8, which is at most 200 UTF-16 units: within NTFS's 255 per name too. Longer full
// paths are fine: Node opens every path on Windows in its long form (\\?\...), past MAX_PATH's 260.
const MAX_BYTES = 200;
// Windows opens a device, not a file, for these names, with any extension ("NUL.log") and trailing spaces.
const WINDOWS_DEVICE = /^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]|CONIN\$|CONOUT\$)$/i;

/**
 * A plain file name for an API-given name, safe on Linux, macOS and Windows alike: no folders, no leading dots,
 * no trailing dots or spaces (Windows drops them), no control characters, no device names, not too long.
 */
export function safeFileName(raw: string): string {
  let name = raw.normalize('NFC').replace(UNSAFE, '_').replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');
  if (name === '') name = 'errorlog';
  if (WINDOWS_DEVICE.test(name.split('.')[0]!.trimEnd())) name = `_${name}`;
  if (Buffer.byteLength(name) > MAX_BYTES) {
    const full = extname(name);
    // Cut by code points (never half a surrogate pair); the extension may be cut too.
    const ext = [...full].slice(0, 16).join('');
    const stem = truncateBytes(name.slice(0, name.length - full.length), MAX_BYTES - Buffer.byteLength(ext)).replace(/[.\s]+$/, '');
    // Either cut may end on a space or dot, which Windows would drop.
    name = `${stem}${ext}`.replace(/[.\s]+$/, '') || 'errorlog';
  }
  return name;
}

function truncateBytes(s: string, max: number): string {
  let out = '';
  for (const ch of s) {
    if (Buffer.byteLength(out + ch) > max) break;
    out += ch;
  }
  return out;
}

/** Gives each name a free slot: "a.log", then "a-2.log", "a-3.log". Case-insensitive, as on some file systems. */
export class NameAllocator {
  #taken = new Set<string>();

  constructor(existing: Iterable<string> = []) {
    for (const n of existing) this.#taken.add(n.toLowerCase());
  }

  /**
   * Names for a whole listing: each name as the API gave it (made safe) goes to its own file first, and only the
   * duplicates get a suffix, so a suffixed "dup-2.log" is never the API's own "dup-2.log".
   */
  allocateAll(raws: readonly string[]): string[] {
    const out: Array<string | undefined> = raws.map((raw) => {
      const base = safeFileName(raw);
      if (this.#taken.has(base.toLowerCase())) return undefined;
      this.#taken.add(base.toLowerCase());
      return base;
    });
    return out.map((name, i) => name ?? this.allocate(raws[i]!));
  }

  allocate(raw: string): string {
    const base = safeFileName(raw);
    const ext = extname(base);
    const stem = base.slice(0, base.length - ext.length);
    let candidate = base;
    // The suffix must not push a name that safeFileName cut to MAX_BYTES over it again: cut the stem further.
    for (let i = 2; this.#taken.has(candidate.toLowerCase()); i++) {
      candidate = `${truncateBytes(stem, MAX_BYTES - Buffer.byteLength(`-${i}${ext}`))}-${i}${ext}`;
    }
    this.#taken.add(candidate.toLowerCase());
    return candidate;
  }
}

/**
 * Orders file names by their UTF-16 code units: the same on every machine. localeCompare depends on the locale,
 * and its first call sets up Intl's collation, about 5 MiB more for the process.
 */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
