// The job summary's table of the files downloaded: each one's size, and what the digest read in it.
import { formatCount } from '../core/plural.ts';
import { formatBytes } from '../core/duration.ts';
import type { FileDigest } from './digest.ts';
import { codeBlock, escapeInline, formatTime } from './markdown.ts';

/** A row of the one files table of the summary: what was downloaded, and what the digest read in it. */
export interface FileRow {
  name: string;
  /** `error` or `slow`, shown when the run fetched both. */
  type?: string | undefined;
  size: number;
  digest?: FileDigest | undefined;
}

/** The files table (with the digest's facts where it read the file) and the lines it did not understand. */
export function renderFiles(rows: readonly FileRow[], maxBlock = 2000): string {
  const typed = rows.some((r) => r.type !== undefined);
  const out = [
    `| File |${typed ? ' Type |' : ''} Size | Format | Entries | First entry | Last entry | Unparsed lines | Cut lines |`,
    `|---|${typed ? '---|' : ''}--:|---|--:|---|---|--:|--:|`,
  ];
  const n = formatCount;
  for (const r of rows) {
    const f = r.digest;
    // A file not read to its end: its counts are of what was read, at least that many; nothing read is unknown.
    const partial = f !== undefined && (f.stopped !== undefined || f.error !== undefined);
    const count = (x: number): string => (!partial ? n(x) : f.lines === 0 ? '—' : `≥ ${n(x)}`);
    const facts = f === undefined
      ? '— | — | — | — | — | —'
      : `${f.format}${f.compressed ? ' (gzip)' : ''} | ${count(f.entries)} | ${formatTime(f.firstTime)} | ${formatTime(f.lastTime)} | ${count(f.unparsedLines)} | ${count(f.truncatedLines)}`;
    out.push(`| ${escapeInline(r.name, 200)}${f?.error !== undefined ? ' (read error)' : ''} |${typed ? ` ${r.type ?? '—'} |` : ''} ${formatBytes(r.size)} | ${facts} |`);
  }
  // Only from files that are logs (at least one entry read): a file that is none (an error page, whatever a link
  // served) is not quoted.
  const samples = rows.filter((r) => (r.digest?.entries ?? 0) > 0)
    .flatMap((r) => (r.digest?.unparsedSamples ?? []).map((s) => `${r.name}:${s.line}: ${s.text}`)).slice(0, 5);
  if (samples.length > 0) out.push('', 'Lines not understood (first few):', '', codeBlock(samples.join('\n'), 'text', maxBlock));
  return out.join('\n') + '\n';
}
