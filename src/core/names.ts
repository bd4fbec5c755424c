// File names come from the API: they must land inside output-dir, be valid artifact entries, and be unique.
import { extname } from 'node:path';

// Path separators, characters the artifact service or common file systems refuse, and control characters.
const UNSAFE = /[\/\\:"<>|*?\u0000-\u001f\u007f]/g;
const MAX_BYTES = 200;

/** A plain file name for an API-given name: no folders, no leading dots, no control characters, not too long. */
export function safeFileName(raw: string): string {
  let name = raw.normalize('NFC').replace(UNSAFE, '_').replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');
  if (name === '') name = 'errorlog';
  if (Buffer.byteLength(name) > MAX_BYTES) {
    const ext = extname(name).slice(0, 16);
    name = truncateBytes(name.slice(0, name.length - ext.length), MAX_BYTES - Buffer.byteLength(ext)) + ext;
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
