// Minimal zip reader for tests: walks the central directory (the only place with reliable sizes when
// entries were streamed with data descriptors, as archiver does) and inflates each entry.
// Supports stored (0) and deflate (8), and ZIP64 records/extra fields. archiver (compress-commons 6)
// only emits ZIP64 past 4 GiB or 65535 entries, never for small streamed archives, but reading it is cheap.

import { crc32, inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  /** Path inside the archive (directories end with '/'). */
  name: string;
  data: Buffer;
  /** 0 = stored, 8 = deflate. */
  method: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;

function u64(buf: Buffer, at: number): number {
  const value = buf.readBigUInt64LE(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`zip: 64-bit value too large at ${at}`);
  return Number(value);
}

function need(buf: Buffer, at: number, length: number, what: string): void {
  if (at < 0 || at + length > buf.length) throw new Error(`zip: truncated ${what} at ${at}`);
}

function findEocd(buf: Buffer): number {
  // The EOCD is 22 bytes plus a comment of up to 65535 bytes; scan backwards and make sure the comment
  // length lands exactly on the end, so a signature inside the comment is not taken for the record.
  for (let at = buf.length - 22; at >= Math.max(0, buf.length - 22 - U16_MAX); at--) {
    if (buf.readUInt32LE(at) === SIG_EOCD && at + 22 + buf.readUInt16LE(at + 20) === buf.length) return at;
  }
  throw new Error('zip: end of central directory not found');
}

export function readZip(buf: Buffer): ZipEntry[] {
  const eocd = findEocd(buf);
  let count = buf.readUInt16LE(eocd + 10);
  let cdSize = buf.readUInt32LE(eocd + 12);
  let cdOffset = buf.readUInt32LE(eocd + 16);

  // A ZIP64 locator sits right before the EOCD; when present its record holds the real values.
  if (eocd >= 20 && buf.readUInt32LE(eocd - 20) === SIG_ZIP64_LOCATOR) {
    const rec = u64(buf, eocd - 20 + 8);
    need(buf, rec, 56, 'ZIP64 end of central directory');
    if (buf.readUInt32LE(rec) !== SIG_ZIP64_EOCD) throw new Error('zip: bad ZIP64 end of central directory');
    count = u64(buf, rec + 32);
    cdSize = u64(buf, rec + 40);
    cdOffset = u64(buf, rec + 48);
  } else if (count === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
    throw new Error('zip: ZIP64 values announced but no ZIP64 locator');
  }
  need(buf, cdOffset, cdSize, 'central directory');

  const entries: ZipEntry[] = [];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    need(buf, at, 46, 'central directory header');
    if (buf.readUInt32LE(at) !== SIG_CENTRAL) throw new Error(`zip: bad central directory header at ${at}`);
    const flags = buf.readUInt16LE(at + 8);
    const method = buf.readUInt16LE(at + 10);
    const crc = buf.readUInt32LE(at + 16);
    let compressedSize = buf.readUInt32LE(at + 20);
    let size = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    let localOffset = buf.readUInt32LE(at + 42);
    need(buf, at + 46, nameLength + extraLength + commentLength, 'central directory entry');
    // archiver sets the UTF-8 flag (bit 11) for non-ASCII names; ASCII reads the same either way.
    const name = buf.toString('utf8', at + 46, at + 46 + nameLength);
    if (flags & 1) throw new Error(`zip: ${name} is encrypted`);

    // ZIP64 extra field (id 1): 8-byte values, only for the fields set to 0xffffffff, in this order.
    const extraStart = at + 46 + nameLength;
    for (let x = extraStart; x + 4 <= extraStart + extraLength; ) {
      const id = buf.readUInt16LE(x);
      const length = buf.readUInt16LE(x + 2);
      if (id === 1) {
        let p = x + 4;
        const take = (): number => {
          if (p + 8 > x + 4 + length) throw new Error(`zip: short ZIP64 extra field for ${name}`);
          const value = u64(buf, p);
          p += 8;
          return value;
        };
        if (size === U32_MAX) size = take();
        if (compressedSize === U32_MAX) compressedSize = take();
        if (localOffset === U32_MAX) localOffset = take();
      }
      x += 4 + length;
    }

    // Sizes in the local header may be zero (data descriptor), so only its name/extra lengths are used.
    need(buf, localOffset, 30, 'local header');
    if (buf.readUInt32LE(localOffset) !== SIG_LOCAL) throw new Error(`zip: bad local header for ${name}`);
    const dataStart = localOffset + 30 + buf.readUInt16LE(localOffset + 26) + buf.readUInt16LE(localOffset + 28);
    need(buf, dataStart, compressedSize, `data of ${name}`);
    const raw = buf.subarray(dataStart, dataStart + compressedSize);

    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) data = inflateRawSync(raw);
    else throw new Error(`zip: ${name} uses unsupported method ${method}`);
    if (data.length !== size) throw new Error(`zip: ${name} is ${data.length} bytes, expected ${size}`);
    if (crc32(data) >>> 0 !== crc) throw new Error(`zip: bad CRC for ${name}`);

    entries.push({ name, data, method });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
