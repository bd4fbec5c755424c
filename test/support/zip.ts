// Reads an artifact zip with yauzl (a zip library the ecosystem relies on), not with a reader written here, so
// a mistake in how the archive is written cannot be mirrored in how the tests read it. yauzl leaves CRC-32
// checking to its user: done here against the central directory's value.
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';

export interface ZipEntry {
  /** Path inside the archive (directories end with '/'). */
  name: string;
  data: Buffer;
  /** 0 = stored, 8 = deflate. */
  method: number;
}

export async function readZip(zip: Buffer): Promise<ZipEntry[]> {
  const archive = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(zip, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true }, (e, z) => (e ? reject(e) : resolve(z))));
  const entries: ZipEntry[] = [];
  await new Promise<void>((resolve, reject) => {
    archive.on('error', reject);
    archive.on('end', () => resolve());
    archive.on('entry', (entry: yauzl.Entry) => {
      archive.openReadStream(entry, (e, stream) => {
        if (e) return reject(e);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', reject);
        stream.on('end', () => {
          const data = Buffer.concat(chunks);
          if (crc32(data) !== entry.crc32) return reject(new Error(`zip: bad CRC for ${entry.fileName}`));
          entries.push({ name: entry.fileName, data, method: entry.compressionMethod });
          archive.readEntry();
        });
      });
    });
    archive.readEntry();
  });
  return entries;
}
