// What the reader holds, whatever a file holds (issue 14): before the format is known, per line, and
// what a gzip file may grow to. Each check runs the digest as the action does, in a process whose
// heap is too small for anything that grows with the file.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { digestFiles } from '../../src/insight/digest.ts';
import { renderDigestMarkdown } from '../../src/insight/render.ts';
import { fixture, fixtureFile, grep, tmpFiles } from '../support/pg-fixtures.ts';

const tmpFile = tmpFiles('insight-bounds-');
const REAL = 'stderr-rds-prefix.log';
const realErrors = grep(fixture(REAL), /:(ERROR|FATAL):  /).length;

/** digestFiles over `paths` in a child process whose old generation is capped at `heapMiB`. */
function digestInSmallHeap(paths: string[], heapMiB: number): { status: number | null; out: string; err: string } {
  const files = paths.map((p) => ({ name: p.split('/').pop()!, path: p, size: 0 }));
  const code = `const { digestFiles } = await import(${JSON.stringify(new URL('../../src/insight/digest.ts', import.meta.url).href)});
const d = await digestFiles(${JSON.stringify(files)});
console.log(JSON.stringify({ errors: (d.bySeverity.ERROR ?? 0) + (d.bySeverity.FATAL ?? 0), files: d.files.map((f) => [f.name, f.lines, f.error ?? null]) }));`;
  const r = spawnSync(process.execPath, [`--max-old-space-size=${heapMiB}`, '--input-type=module', '-e', code], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return { status: r.status, out: r.stdout, err: r.stderr.slice(-500) };
}

describe('the reader holds a bounded amount, whatever the file', () => {
  test('48 MiB of newlines, of CRLF line ends, a 100 MiB line and 16 MiB of random bytes beside a real log: flat memory, the log still counted', () => {
    const newlines = tmpFile('newlines.log', Buffer.alloc(48 << 20, 10));
    // Each line empty once its \r is gone: counted as empty lines are, not held one by one.
    const crlf = tmpFile('crlf.log', Buffer.alloc(48 << 20, '\r\n'));
    const oneLine = tmpFile('one-line.log', Buffer.alloc(100 << 20, 0x61));
    const garbage = tmpFile('garbage.log', randomFillSync(Buffer.alloc(16 << 20)));
    const r = digestInSmallHeap([newlines, crlf, oneLine, garbage, fixture(REAL)], 32);
    assert.equal(r.status, 0, r.err);
    const d = JSON.parse(r.out) as { errors: number; files: Array<[string, number, string | null]> };
    assert.equal(d.errors, realErrors);
    assert.deepEqual(d.files.slice(0, 3), [['newlines.log', 48 << 20, null], ['crlf.log', 24 << 20, null], ['one-line.log', 1, null]]);
  });
});

describe('gzip files are decompressed within limits', () => {
  test('a gzip bomb stops at the limit, says so, and the file stays as downloaded; the next file is read', async () => {
    // 80 MiB of log-like lines in 80 KiB: over 200 times its size once past 64 MiB.
    const line = Buffer.from('2024-05-01 10:00:00 UTC [1] LOG:  checkpoint starting: time\n');
    const plain = Buffer.alloc(80 << 20);
    for (let o = 0; o < plain.length; o += line.length) line.copy(plain, o);
    const bomb = tmpFile('bomb.log.gz', gzipSync(plain));
    const before = createHash('sha256').update(readFileSync(bomb)).digest('hex');
    const d = await digestFiles([fixtureFile(bomb), fixtureFile(REAL)]);
    const f = d.files[0]!;
    assert.match(f.stopped ?? '', /gzip: stopped after 64 MiB, as the text grew to more than 200 times the compressed size/);
    assert.ok(f.lines * line.length <= (64 << 20) + (1 << 20), `read ${f.lines} lines`);
    assert.equal(f.error, undefined);
    assert.match(renderDigestMarkdown(d), /bomb\.log\.gz was not read to the end \(gzip: stopped after 64 MiB[^)]*\); the file is kept as downloaded\./);
    assert.equal(createHash('sha256').update(readFileSync(bomb)).digest('hex'), before);
    assert.equal((d.bySeverity.ERROR ?? 0) + (d.bySeverity.FATAL ?? 0), realErrors);
  });

  test('an ordinary gzip log is read to the end', async () => {
    const gz = tmpFile('real.log.gz', gzipSync(readFileSync(fixture(REAL))));
    const d = await digestFiles([fixtureFile(gz)]);
    assert.equal(d.files[0]!.stopped, undefined);
    assert.equal((d.bySeverity.ERROR ?? 0) + (d.bySeverity.FATAL ?? 0), realErrors);
  });
});
