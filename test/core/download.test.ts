import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { realPostgresLog, startRdsEmulator, type EmulatorFile, type RdsEmulator, type RdsEmulatorOptions } from '../../emulator/rds.ts';
import { createHttpTransport, type HttpTransport } from '../../src/cloud/http.ts';
import { requestErrorlogDownload } from '../../src/cloud/rds.ts';
import { tokenAuthorizer } from '../../src/cloud/auth/modes.ts';
import { checkOutputDir, downloadFile, LinkExpiredError, resolveLink, type DownloadOptions } from '../../src/core/download.ts';
import { CREATE_NEW } from '../../src/core/writable.ts';
import { ApiError, CancelledError, NetworkError, NoRoomError, ResponseError } from '../../src/core/errors.ts';
import { ConnectionBudget } from '../../src/core/pool.ts';
import { fakeClock } from '../support/fake-clock.ts';
import { systemClock } from '../../src/core/clock.ts';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

const BIG = 'postgresql-2026-11-28_100000.log';
const SIZE = 1_500_000;


interface Setup {
  emu: RdsEmulator;
  transport: HttpTransport;
  dir: string;
  /** The pre-signed link the API hands out for `name`. */
  link: (name?: string) => Promise<URL>;
  options: (extra?: Partial<DownloadOptions>) => DownloadOptions & { lines: string[] };
  part: string;
  final: string;
}

async function setup(t: TestContext, files: EmulatorFile[] = [{ name: BIG, size: SIZE }], extra: RdsEmulatorOptions = {}): Promise<Setup> {
  const emu = await startRdsEmulator({ creatingCalls: 0, files, ...extra });
  const transport = createHttpTransport({ userAgent: 'download-test', socketTimeoutMs: 10_000, followRedirects: true });
  const api = createHttpTransport({ userAgent: 'download-test', socketTimeoutMs: 10_000, followRedirects: false });
  const dir = await mkdtemp(join(tmpdir(), 'download-test-'));
  t.after(async () => {
    transport.close();
    api.close();
    await emu.close();
    await rm(dir, { recursive: true, force: true });
  });
  const link = async (name = BIG): Promise<URL> => {
    const answer = await requestErrorlogDownload({
      transport: api,
      endpoint: new URL(emu.url),
      projectId: emu.projectId,
      instanceId: emu.instanceId,
      authorize: tokenAuthorizer(emu.token),
    });
    const item = answer.items.find((i) => i.fileName === name);
    assert.ok(item?.fileLink, `no link for ${name}`);
    return resolveLink(item.fileLink, new URL(emu.url));
  };
  const options = (extra: Partial<DownloadOptions> = {}): DownloadOptions & { lines: string[] } => {
    const clock = fakeClock();
    const lines: string[] = [];
    return {
      transport,
      retry: { clock, deadline: clock.now() + 10 * 60_000, log: (l) => lines.push(l), random: () => 0 },
      stallMs: 10_000,
      lines,
      ...extra,
    };
  };
  return { emu, transport, dir, link, options, part: join(dir, '.part-0'), final: join(dir, 'postgresql.log') };
}

function rangeOf(emu: RdsEmulator, i: number): string | undefined {
  const r = emu.fileRequests[i]?.headers.range;
  return typeof r === 'string' ? r : undefined;
}

/** After a finished or failed download only the final file (if any) is left: no part files. */
async function assertNoPartFiles(dir: string): Promise<void> {
  assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('.part')), []);
}

test('a normal download: exact bytes, one request, no credentials sent, progress up to the total', async (t) => {
  const s = await setup(t);
  const url = await s.link();
  let last: [number, number | undefined] = [0, undefined];
  const r = await downloadFile(BIG, url, s.part, s.final, s.options({ onProgress: (b, total) => { last = [b, total]; } }));
  assert.equal(r.bytes, SIZE);
  assert.equal(r.retries, 0);
  assert.ok((await readFile(s.final)).equals(s.emu.bytesOf(BIG)));
  assert.equal(s.emu.fileRequests.length, 1);
  assert.equal(rangeOf(s.emu, 0), undefined);
  assert.equal(s.emu.fileRequests[0]?.headers['x-auth-token'], undefined);
  assert.deepEqual(last, [SIZE, SIZE]);
  await assertNoPartFiles(s.dir);
});

test('an empty file downloads as an empty file', async (t) => {
  const s = await setup(t, [{ name: 'empty.log', data: Buffer.alloc(0) }]);
  const r = await downloadFile('empty.log', await s.link('empty.log'), s.part, s.final, s.options());
  assert.equal(r.bytes, 0);
  assert.equal((await readFile(s.final)).length, 0);
});

test('a connection reset mid-file is resumed with Range; the bytes are exact', async (t) => {
  const s = await setup(t);
  s.emu.failFile(BIG, { kind: 'reset-after', bytes: 600_000 });
  const o = s.options();
  const r = await downloadFile(BIG, await s.link(), s.part, s.final, o);
  assert.ok((await readFile(s.final)).equals(s.emu.bytesOf(BIG)));
  assert.equal(r.bytes, SIZE);
  assert.equal(r.retries, 1);
  assert.equal(s.emu.fileRequests.length, 2);
  assert.equal(rangeOf(s.emu, 0), undefined);
  const m = /^bytes=(\d+)-$/.exec(rangeOf(s.emu, 1) ?? '');
  assert.ok(m, `second request without a Range header (${rangeOf(s.emu, 1)})`);
  assert.ok(Number(m[1]) > 0 && Number(m[1]) <= 600_000, `resumed at ${m[1]}`);
  assert.equal(o.lines.length, 1);
  assert.match(o.lines[0] ?? '', /attempt 1 failed/);
  await assertNoPartFiles(s.dir);
});

test('a server that ignores Range after a reset: started again from zero; the bytes are exact', async (t) => {
  const s = await setup(t);
  s.emu.failFile(BIG, { kind: 'reset-after', bytes: 600_000 });
  s.emu.failFile(BIG, { kind: 'ignore-range' });
  const r = await downloadFile(BIG, await s.link(), s.part, s.final, s.options());
  assert.equal(s.emu.fileRequests.length, 2);
  assert.match(rangeOf(s.emu, 1) ?? '', /^bytes=[1-9]\d*-$/);
  assert.equal(r.bytes, SIZE);
  const got = await readFile(s.final);
  assert.equal(got.length, SIZE);
  assert.ok(got.equals(s.emu.bytesOf(BIG)));
});

test('a body that ends early but cleanly (full Content-Length announced) is detected and resumed', async (t) => {
  const s = await setup(t);
  s.emu.failFile(BIG, { kind: 'short', bytes: 400_000 });
  const o = s.options();
  const r = await downloadFile(BIG, await s.link(), s.part, s.final, o);
  assert.equal(r.bytes, SIZE);
  assert.equal(r.retries, 1);
  assert.ok((await readFile(s.final)).equals(s.emu.bytesOf(BIG)));
  assert.equal(s.emu.fileRequests.length, 2);
  assert.match(rangeOf(s.emu, 1) ?? '', /^bytes=[1-9]\d*-$/);
  // The retry line says what happened (the connection closed early), not a reset that did not.
  assert.match(o.lines.join('\n'), /transfer interrupted after 400000 bytes \(the connection closed before the answer's end\)/);
});

test('a transfer that stalls is aborted after stallMs and resumed', async (t) => {
  const s = await setup(t);
  s.emu.failFile(BIG, { kind: 'stall-after', bytes: 500_000 });
  // The socket's own timeout is 10 s: the retry line names the 1 s watchdog, so it was the watchdog that cut in.
  // (A shorter one can cut into a moving transfer when CI runs four test files at once on two cores.)
  const o = s.options({ stallMs: 1_000 });
  const r = await downloadFile(BIG, await s.link(), s.part, s.final, o);
  assert.equal(r.bytes, SIZE);
  assert.equal(r.retries, 1);
  assert.ok((await readFile(s.final)).equals(s.emu.bytesOf(BIG)));
  assert.equal(s.emu.fileRequests.length, 2);
  assert.match(rangeOf(s.emu, 1) ?? '', /^bytes=[1-9]\d*-$/);
  assert.equal(o.lines.length, 1, o.lines.join('\n'));
  assert.match(o.lines[0] ?? '', /^download postgresql-2026-11-28_100000\.log: attempt 1 failed \(no data for 1s \(/);
});

test('a 500 from object storage is retried', async (t) => {
  const s = await setup(t);
  s.emu.failFile(BIG, { kind: 'status', status: 500 });
  const r = await downloadFile(BIG, await s.link(), s.part, s.final, s.options());
  assert.equal(r.retries, 1);
  assert.ok((await readFile(s.final)).equals(s.emu.bytesOf(BIG)));
});

test('403 (expired link) gives LinkExpiredError at once; nothing is left behind', async (t) => {
  const s = await setup(t);
  s.emu.failFile(BIG, { kind: 'status', status: 403, body: 'Request has expired' });
  await assert.rejects(downloadFile(BIG, await s.link(), s.part, s.final, s.options()), (e: unknown) => {
    assert.ok(e instanceof LinkExpiredError, String(e));
    assert.match(e.message, new RegExp(`'${BIG}'.*HTTP 403`));
    return true;
  });
  assert.equal(s.emu.fileRequests.length, 1);
  assert.equal(existsSync(s.final), false);
  await assertNoPartFiles(s.dir);
});

test('a link that really expired (the emulator checks the signature time) gives LinkExpiredError', async (t) => {
  const s = await setup(t);
  const url = await s.link();
  s.emu.expireLinks();
  await assert.rejects(downloadFile(BIG, url, s.part, s.final, s.options()), LinkExpiredError);
  assert.equal(existsSync(s.final), false);
});

test('404: an error naming the status, the part file removed and no final file', async (t) => {
  const s = await setup(t);
  s.emu.failFile(BIG, { kind: 'status', status: 404 });
  await assert.rejects(downloadFile(BIG, await s.link(), s.part, s.final, s.options()), (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.status, 404);
    assert.match(e.message, /HTTP 404/);
    // The link's signature never shows up in a message.
    assert.doesNotMatch(e.message, /Signature=/);
    return true;
  });
  assert.equal(s.emu.fileRequests.length, 1);
  assert.equal(existsSync(s.final), false);
  assert.equal(existsSync(s.part), false);
});

test('a download host that echoes the link\'s signature (as S3 does in SignatureDoesNotMatch): the error does not carry it', async (t) => {
  const s = await setup(t);
  const url = await s.link();
  const signature = url.searchParams.get('Signature') ?? '';
  assert.ok(signature.length >= 16);
  s.emu.failFile(BIG, { kind: 'status', status: 400, code: `Echo${signature}` });
  await assert.rejects(downloadFile(BIG, url, s.part, s.final, s.options()), (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.match(e.message, /HTTP 400 Echo\*\*\*/);
    assert.ok(!e.message.includes(signature) && !e.message.includes(signature.slice(0, 12)), e.message);
    return true;
  });
});

test('a redirect to a link signed anew, or a signature written in lower-case escapes: neither comes back in the error', async (t) => {
  const s = await setup(t);
  const NEW = 'N3wSignatureAfterTheRedirect0123456789';
  const LOWER = 'ab%2fcd%2bef%3dLowerCaseEscapes0123';
  const { origin: base } = await ownHost(t, (req, res) => {
    if (req.url!.startsWith('/first')) {
      res.writeHead(302, { Location: `/second?X-Amz-Signature=${NEW}` });
      return void res.end();
    }
    // Both hosts quote what they were sent, as S3 does in SignatureDoesNotMatch.
    const sent = new URL(req.url!, 'http://h').search.replace(/^\?X-Amz-Signature=/, '');
    res.writeHead(400, { 'x-request-id': `rid-${sent}` });
    res.end(`<Error><Code>Echo${sent}</Code></Error>`);
  });
  for (const [link, secret] of [[`${base}/first?X-Amz-Signature=OldSignatureBeforeTheRedirect01234`, NEW], [`${base}/lower?X-Amz-Signature=${LOWER}`, LOWER]] as const) {
    await assert.rejects(downloadFile(BIG, new URL(link), s.part, s.final, s.options()), (e: unknown) => {
      assert.ok(e instanceof ApiError, String(e));
      assert.match(e.message, /HTTP 400 Echo\*\*\*/);
      assert.ok(!e.message.includes(secret.slice(0, 12)), e.message);
      return true;
    });
  }
});

test('a symlink planted at the part path is not followed; its target is untouched', async (t) => {
  const s = await setup(t);
  const target = join(s.dir, 'precious.txt');
  await writeFile(target, 'do not touch');
  await symlink(target, s.part);
  await assert.rejects(downloadFile(BIG, await s.link(), s.part, s.final, s.options()), { code: 'EEXIST' });
  assert.equal(await readFile(target, 'utf8'), 'do not touch');
  assert.equal(s.emu.fileRequests.length, 0);
  assert.equal(existsSync(s.final), false);
});

test('a name taken while the file downloaded (another run into the folder): the file goes under the next one, the other is untouched', async (t) => {
  const s = await setup(t);
  await writeFile(s.final, 'another run\'s file');
  const taken = join(s.dir, 'postgresql-2.log');
  await writeFile(taken, 'and another');
  const others = [taken, join(s.dir, 'postgresql-3.log')];
  const r = await downloadFile(BIG, await s.link(), s.part, s.final, s.options({ otherPath: () => others.shift()! }));
  assert.equal(r.path, join(s.dir, 'postgresql-3.log'));
  assert.ok((await readFile(r.path)).equals(s.emu.bytesOf(BIG)));
  assert.deepEqual([await readFile(s.final, 'utf8'), await readFile(taken, 'utf8')], ['another run\'s file', 'and another']);
  await assertNoPartFiles(s.dir);
  // Without another path to go to, the file fails, naming why; nothing is overwritten.
  await assert.rejects(downloadFile(BIG, await s.link(), s.part, s.final, s.options()), { code: 'EEXIST' });
  assert.equal(await readFile(s.final, 'utf8'), 'another run\'s file');
  await assertNoPartFiles(s.dir);
});

test('a dangling symlink at the part path does not create its target', async (t) => {
  const s = await setup(t);
  const target = join(s.dir, 'created-through-link.txt');
  await symlink(target, s.part);
  await assert.rejects(downloadFile(BIG, await s.link(), s.part, s.final, s.options()), { code: 'EEXIST' });
  assert.equal(existsSync(target), false);
  assert.equal(s.emu.fileRequests.length, 0);
});

test('the exclusive create alone (all Windows has: no O_NOFOLLOW) refuses a planted symlink and a dangling one', async (t) => {
  const s = await setup(t);
  const target = join(s.dir, 'precious.txt');
  await writeFile(target, 'do not touch');
  await symlink(target, join(s.dir, 'to-target'));
  await symlink(join(s.dir, 'not-there.txt'), join(s.dir, 'dangling'));
  for (const name of ['to-target', 'dangling']) {
    await assert.rejects(open(join(s.dir, name), CREATE_NEW, 0o644), { code: 'EEXIST' });
  }
  assert.equal(await readFile(target, 'utf8'), 'do not touch');
  assert.equal(existsSync(join(s.dir, 'not-there.txt')), false);
});

test('an existing file with the final name is not overwritten', async (t) => {
  const s = await setup(t);
  await writeFile(s.final, 'the user\'s own file');
  await assert.rejects(downloadFile(BIG, await s.link(), s.part, s.final, s.options()), { code: 'EEXIST' });
  assert.equal(await readFile(s.final, 'utf8'), 'the user\'s own file');
  await assertNoPartFiles(s.dir);
});

test('an abort during a transfer stops it with CancelledError and removes the part file', async (t) => {
  const s = await setup(t);
  s.emu.failFile(BIG, { kind: 'slow', bytesPer10ms: 4_096 });
  const ac = new AbortController();
  // Aborted once 100 kB of the 1.5 MB are on disk; the trickle would take seconds to bring the rest.
  let received = 0;
  const onProgress = (bytes: number): void => {
    received = bytes;
    if (bytes >= 100_000) ac.abort();
  };
  await assert.rejects(downloadFile(BIG, await s.link(), s.part, s.final, s.options({ signal: ac.signal, onProgress })), CancelledError);
  assert.ok(received < SIZE / 2, `stopped mid-transfer, not after it (${received} of ${SIZE} bytes taken)`);
  assert.equal(s.emu.fileRequests.length, 1, 'not retried');
  assert.equal(existsSync(s.final), false);
  await assertNoPartFiles(s.dir);
});

test('an abort while waiting to retry a failed transfer is CancelledError, and the part file is removed', { timeout: 10_000 }, async (t) => {
  const s = await setup(t);
  s.emu.failFile(BIG, { kind: 'status', status: 503 });
  const ac = new AbortController();
  const options = s.options({ signal: ac.signal });
  // The real clock: Node's timers reject an aborted sleep with AbortError, which must not reach the caller.
  // The retry line comes just before the one-minute backoff: abort once that has begun.
  const log = options.retry.log;
  options.retry = { ...options.retry, clock: systemClock, deadline: Date.now() + 600_000, baseMs: 60_000, minDelayMs: 60_000, log: (l) => { log(l); setImmediate(() => ac.abort()); } };
  await assert.rejects(downloadFile(BIG, await s.link(), s.part, s.final, options), CancelledError);
  assert.equal(s.emu.fileRequests.length, 1);
  await assertNoPartFiles(s.dir);
});

// Large files: byte ranges on several connections at once. 1 MiB ranges above 2 MiB keep the files small; each
// connection is capped (as object storage is) so that the ranges really overlap.
const LARGE = 'postgresql-2026-11-28_120000.log';
const LARGE_SIZE = 5 * 1024 * 1024 + 4321;
const RANGE = 1024 * 1024;
const ranged = (budget: number): Partial<DownloadOptions> => ({ budget: new ConnectionBudget(budget), splitAbove: 2 * RANGE, rangeBytes: RANGE });
const largeFile: EmulatorFile[] = [{ name: LARGE, size: LARGE_SIZE, repeat: realPostgresLog() }];
const capped = { bytesPerSecondPerConnection: 32 * 1024 * 1024 };

/** The byte ranges the client asked for, as [first, last] pairs, in the order asked. */
function rangesAsked(emu: RdsEmulator): Array<[number, number | undefined]> {
  return emu.fileRequests.flatMap((_, i) => {
    const m = /^bytes=(\d+)-(\d*)$/.exec(rangeOf(emu, i) ?? '');
    return m ? [[Number(m[1]), m[2] === '' ? undefined : Number(m[2])] as [number, number | undefined]] : [];
  });
}

test('a large file comes as byte ranges on several connections at once; a stalled range resumes on its own', async (t) => {
  const s = await setup(t, largeFile, capped);
  // The first ranged request to arrive (range 1 or 2: both are asked for at once) stalls after 100 kB: only that
  // range is asked for again, from where it got to. The stall
  // timer is long enough that a busy machine (CI runs four test files at once on two cores) does not read a
  // slow-but-moving range as a stall: only the injected stall, which never ends, trips it.
  s.emu.failFile(LARGE, { kind: 'stall-after', bytes: 100_000 }, 1, true);
  const o = s.options({ ...ranged(3), stallMs: 2_000 });
  let last: [number, number | undefined] = [0, undefined];
  const contiguous: number[] = [];
  const r = await downloadFile(LARGE, await s.link(LARGE), s.part, s.final, { ...o, onProgress: (b, total) => { last = [b, total]; }, onContiguous: (b) => contiguous.push(b) });
  assert.ok((await readFile(s.final)).equals(s.emu.bytesOf(LARGE)));
  assert.equal(r.bytes, LARGE_SIZE);
  assert.equal(r.retries, 1);
  assert.deepEqual(last, [LARGE_SIZE, LARGE_SIZE]);
  // The complete start of the file (what the live digest reads) only grows, whatever order the ranges end in.
  assert.deepEqual(contiguous, [...contiguous].sort((a, b) => a - b), 'the complete start never shrinks');
  assert.equal(contiguous.at(-1), LARGE_SIZE);
  assert.equal(rangeOf(s.emu, 0), undefined, 'the first request is a plain GET (its answer serves the first range)');
  assert.equal(s.emu.peakDownloads(), 3, 'three connections at once, as the budget allows');
  const asked = rangesAsked(s.emu);
  const ends = [1, 2, 3, 4, 5].map((k) => Math.min((k + 1) * RANGE, LARGE_SIZE) - 1);
  // Ranges 1..5, each asked for once, plus the stalled one resumed inside itself, to its own end. (Sorted: requests
  // sent at the same moment on two connections may reach the server in either order.)
  assert.deepEqual(asked.slice(0, 2).sort((x, y) => x[0] - y[0]), [[RANGE, ends[0]], [2 * RANGE, ends[1]]]);
  const resumed = asked.filter(([a]) => a % RANGE !== 0);
  assert.equal(resumed.length, 1, `one resumed range in ${JSON.stringify(asked)}`);
  const k = Math.floor(resumed[0]![0] / RANGE);
  assert.ok((k === 1 || k === 2) && resumed[0]![0] <= k * RANGE + 100_000 && resumed[0]![1] === ends[k - 1], `resumed as ${JSON.stringify(resumed[0])}`);
  assert.deepEqual(asked.filter(([a]) => a % RANGE === 0).map(([a, b]) => [a / RANGE, b]).sort((x, y) => x[0]! - y[0]!), [1, 2, 3, 4, 5].map((k, i) => [k, ends[i]]));
  assert.match(o.lines.join('\n'), /no data for 2s/);
  // Each range is asked for of the version the first answer was (its ETag), as object storage checks it.
  const etag = s.emu.fileRequests[0]?.headers['if-match'];
  assert.equal(etag, undefined, 'the first request has no precondition');
  const tags = new Set(s.emu.fileRequests.slice(1).map((q) => q.headers['if-match']));
  assert.equal(tags.size, 1);
  assert.match(String([...tags][0]), /^"[0-9a-f]{32}"$/);
  await assertNoPartFiles(s.dir);
});

test('ranges: a reset in one range, then a server that ignores Range: byte-exact, the rest in one stream, no part file', async (t) => {
  const s = await setup(t, largeFile, capped);
  // Two connections: the first range comes with the first answer, the second range is reset after 100 kB
  // (while the first range still arrives), and its resumption is answered with the whole file.
  s.emu.failFile(LARGE, { kind: 'reset-after', bytes: 100_000 }, 1, true);
  s.emu.failFile(LARGE, { kind: 'ignore-range' }, 1, true);
  const o = s.options(ranged(2));
  const r = await downloadFile(LARGE, await s.link(LARGE), s.part, s.final, o);
  const got = await readFile(s.final);
  assert.equal(got.length, LARGE_SIZE);
  assert.ok(got.equals(s.emu.bytesOf(LARGE)));
  assert.equal(r.bytes, LARGE_SIZE);
  assert.match(o.lines.join('\n'), /attempt 1 failed/);
  assert.match(o.lines.join('\n'), /byte ranges cannot be used \(HTTP 200, the whole file\); fetching the rest in one stream/);
  // The last request is that one stream: from where the complete start of the file ended, to the end.
  assert.match(rangeOf(s.emu, s.emu.fileRequests.length - 1) ?? '', /^bytes=\d+-$/);
  await assertNoPartFiles(s.dir);
});

test('ranges: a server that never honours Range still gives the exact file', async (t) => {
  const s = await setup(t, largeFile, capped);
  s.emu.failFile(LARGE, { kind: 'ignore-range' }, 1000, true);
  const o = s.options(ranged(4));
  await downloadFile(LARGE, await s.link(LARGE), s.part, s.final, o);
  assert.ok((await readFile(s.final)).equals(s.emu.bytesOf(LARGE)));
  await assertNoPartFiles(s.dir);
});

test('ranges: an expired link in one range fails the file with LinkExpiredError and leaves nothing', async (t) => {
  const s = await setup(t, largeFile, capped);
  s.emu.failFile(LARGE, { kind: 'status', status: 403, body: 'Request has expired' }, 1, true);
  await assert.rejects(downloadFile(LARGE, await s.link(LARGE), s.part, s.final, s.options(ranged(3))), LinkExpiredError);
  assert.equal(existsSync(s.final), false);
  await assertNoPartFiles(s.dir);
});

test('ranges: with a budget of one connection a large file is one stream', async (t) => {
  const s = await setup(t, largeFile);
  await downloadFile(LARGE, await s.link(LARGE), s.part, s.final, s.options(ranged(1)));
  assert.equal(s.emu.fileRequests.length, 1);
  assert.equal(rangeOf(s.emu, 0), undefined);
  assert.ok((await readFile(s.final)).equals(s.emu.bytesOf(LARGE)));
});

const CLOUD = new URL('https://rds.eu-de.otc.t-systems.com');
const EMULATOR = new URL('http://127.0.0.1:8080');

test('resolveLink: a scheme-less link (as in the spec example) is https', () => {
  const u = resolveLink('obs.eu-de.otc.t-systems.com:443/rdsbucket/postgresql.log?AWSAccessKeyId=AK&Expires=1&Signature=abc%3D', CLOUD);
  assert.equal(u.protocol, 'https:');
  assert.equal(u.hostname, 'obs.eu-de.otc.t-systems.com');
  assert.equal(u.pathname, '/rdsbucket/postgresql.log');
  assert.equal(u.searchParams.get('Signature'), 'abc=');
});

test('resolveLink: plain http only when the API endpoint is loopback (the emulator); else upgraded to https', () => {
  assert.equal(resolveLink('http://obs.eu-de.otc.t-systems.com/b/k?Signature=s', CLOUD).protocol, 'https:');
  assert.equal(resolveLink('http://obs.eu-de.otc.t-systems.com/b/k?Signature=s', EMULATOR).protocol, 'http:');
  assert.equal(resolveLink('http://127.0.0.2:8080/b/k', EMULATOR).protocol, 'http:');
  assert.equal(resolveLink('http://localhost:8080/b/k', EMULATOR).protocol, 'http:');
  assert.equal(resolveLink('https://obs.example/b/k', CLOUD).protocol, 'https:');
});

test('resolveLink: never a metadata or link-local address; loopback and private ranges only when the endpoint is there', () => {
  const refused = { name: 'ResponseError', message: /a file_link points to .*, a (link-local|loopback|private) address, which the API endpoint .* is not: refused/ };
  for (const link of ['http://169.254.169.254/latest/meta-data/', 'https://169.254.169.254/x', 'https://[fd00:ec2::254]/x', 'https://100.100.100.200/x',
    'https://[fe80::1]/x', 'https://[::ffff:169.254.169.254]/x', 'https://0xA9FEA9FE/x', 'https://2852039166/x']) {
    assert.throws(() => resolveLink(link, CLOUD), refused, link);
    assert.throws(() => resolveLink(link, EMULATOR), refused, link);
  }
  for (const link of ['http://127.0.0.9:9000/x', 'https://localhost/x', 'https://[::1]/x', 'https://10.0.0.5/x', 'https://192.168.1.1/x', 'https://172.20.0.1/x', 'https://[fd12::1]/x']) {
    assert.throws(() => resolveLink(link, CLOUD), refused, link);
  }
  assert.throws(() => resolveLink('https://10.0.0.5/x', EMULATOR), refused);
  assert.equal(resolveLink('https://10.0.0.5/x', new URL('https://10.1.2.3')).hostname, '10.0.0.5', 'a private endpoint may link to a private host');
  assert.equal(resolveLink('https://[::ffff:127.0.0.9]/x', EMULATOR).protocol, 'https:');
});

test('resolveLink: other schemes and non-URLs are refused', () => {
  assert.throws(() => resolveLink('ftp://obs.example/b/k', CLOUD), ResponseError);
  assert.throws(() => resolveLink('file:///etc/passwd', CLOUD), ResponseError);
  assert.throws(() => resolveLink('http://', CLOUD), ResponseError);
});

/** A download host of the test's own on loopback: `handle` answers each GET; returns the link to `/f`. */
async function ownHost(t: TestContext, handle: RequestListener): Promise<URL> {
  const host = createServer(handle);
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { host.closeAllConnections(); host.close(() => r()); }));
  return new URL(`http://127.0.0.1:${(host.address() as AddressInfo).port}/f`);
}

test('a file the host compresses though asked for none is kept as sent, and the log says so once', async (t) => {
  const s = await setup(t);
  const text = Buffer.from('2026-11-28 10:00:00 UTC [1] ERROR:  x\n'.repeat(1000));
  const gz = gzipSync(text);
  const url = await ownHost(t, (_req, res) => res.writeHead(200, { 'Content-Length': String(gz.length), 'Content-Encoding': 'gzip' }).end(gz));
  const o = s.options();
  const r = await downloadFile(BIG, url, s.part, s.final, o);
  assert.ok((await readFile(s.final)).equals(gz), 'byte for byte what the host sent');
  assert.equal(r.bytes, gz.length);
  assert.deepEqual(o.lines.filter((l) => /compressed/.test(l)), [`download ${BIG}: the host sent it compressed (Content-Encoding: gzip) though none was asked for; it is kept as sent (gunzip reads it, as the digest does)`]);
});

test("a host that goes quiet mid-body is named so by the transport's own idle timeout, not as a closed connection", async (t) => {
  const url = await ownHost(t, (_req, res) => {
    res.writeHead(200, { 'Content-Length': '1000' });
    res.write('0123456789'); // then nothing, the connection kept open
  });
  const transport = createHttpTransport({ userAgent: 'download-test', socketTimeoutMs: 300, followRedirects: true });
  t.after(() => transport.close());
  const res = await transport.request('GET', url, {});
  await assert.rejects(async () => { for await (const _ of res.body) { /* read until it ends */ } }, (e: unknown) => {
    assert.ok(e instanceof NetworkError, String(e));
    assert.equal(e.code, 'ESTALL');
    assert.match(e.message, /^no data for 0\.3s \(http:\/\/127\.0\.0\.1:\d+\/f\)$/);
    return true;
  });
});

test('a size past the free disk space (Content-Length of a petabyte) is refused before a byte is written, at once', async (t) => {
  const s = await setup(t);
  let asked = 0;
  const url = await ownHost(t, (_req, res) => {
    asked++;
    res.writeHead(200, { 'Content-Length': String(10 ** 15), 'Accept-Ranges': 'bytes' });
    res.write('2026-11-28 10:00:00 UTC [1] LOG:  x\n');
  });
  const used = process.memoryUsage().rss;
  await assert.rejects(downloadFile(BIG, url, s.part, s.final, s.options(ranged(4))), (e: unknown) => {
    assert.ok(e instanceof NoRoomError, String(e));
    assert.match(e.message, /is too small for it: 'postgresql-2026-11-28_100000\.log' is 909 TiB, [\d.]+ [KMGT]iB is free and 256 MiB of that stays free/);
    return true;
  });
  assert.ok(process.memoryUsage().rss - used < 64 * 1024 * 1024, 'no list of ranges for the announced size');
  assert.equal(asked, 1, 'at once: not asked again');
  assert.equal(existsSync(s.final), false);
  await assertNoPartFiles(s.dir);
});

test('a size far past what RDS listed (1 GiB for 100 bytes) is refused as no version of that file', async (t) => {
  const s = await setup(t);
  let sent = 0;
  const url = await ownHost(t, (_req, res) => {
    res.writeHead(200, { 'Content-Length': String(2 ** 30) });
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const more = (): void => { while (sent < 2 ** 30 && res.write(chunk)) sent += chunk.length; };
    res.on('drain', more);
    more();
  });
  await assert.rejects(downloadFile(BIG, url, s.part, s.final, s.options({ listedSize: 100 })), (e: unknown) => {
    assert.ok(e instanceof ResponseError, String(e));
    assert.match(e.message, /announced 1073741824 bytes for 'postgresql-2026-11-28_100000\.log', which RDS listed at 100: no version of that file, refused/);
    return true;
  });
  await assertNoPartFiles(s.dir);
  // A file RDS listed in KiB (as Terraform's docs have it) is not refused: 100 KiB listed as 100.
  const fine = await ownHost(t, (_req, res) => res.end(Buffer.alloc(100 * 1024, 0x42)));
  const r = await downloadFile(BIG, fine, s.part, s.final, s.options({ listedSize: 100 }));
  assert.equal(r.bytes, 100 * 1024);
  // Past the megabyte of slack too: 2 MiB listed as 2048.
  const kib = await ownHost(t, (_req, res) => res.end(Buffer.alloc(2 * 1024 * 1024, 0x42)));
  assert.equal((await downloadFile(BIG, kib, s.part, s.final + '.kib', s.options({ listedSize: 2048 }))).bytes, 2 * 1024 * 1024);
});

test('without a Content-Length, a host sending past the size RDS listed is stopped, even in its first write', async (t) => {
  const s = await setup(t);
  const url = await ownHost(t, (_req, res) => {
    res.writeHead(200, { 'Transfer-Encoding': 'chunked' });
    res.end(Buffer.alloc(110, 0x43));
  });
  await assert.rejects(downloadFile(BIG, url, s.part, s.final, s.options({ listedSize: 100 })), /the download host sent more than 100 bytes for 'postgresql-2026-11-28_100000\.log' \(the size RDS listed\): stopped/);
  assert.equal(existsSync(s.final), false);
  await assertNoPartFiles(s.dir);
});

/**
 * A host whose file is replaced by another version (other bytes, another size) after `after` requests; with
 * `etag`, each version has its own and If-Match is honoured (412), as S3 and OBS do.
 */
function changingFile(versions: [Buffer, Buffer], after: number, etag: boolean): { handle: RequestListener; conditions: string[] } {
  let requests = 0;
  const conditions: string[] = [];
  const handle: RequestListener = (req, res) => {
    const v = requests++ < after ? 0 : 1;
    const body = versions[v]!;
    const tag = `"v${v}"`;
    const ifMatch = req.headers['if-match'];
    if (ifMatch) conditions.push(String(ifMatch));
    if (etag && ifMatch !== undefined && ifMatch !== tag) return void res.writeHead(412).end();
    const head: Record<string, string> = etag ? { ETag: tag } : {};
    const m = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (!m) return void res.writeHead(200, { ...head, 'Content-Length': String(body.length) }).end(body);
    const start = Number(m[1]);
    const end = m[2] ? Math.min(Number(m[2]), body.length - 1) : body.length - 1;
    if (start >= body.length) return void res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
    res.writeHead(206, { ...head, 'Content-Range': `bytes ${start}-${end}/${body.length}`, 'Content-Length': String(end - start + 1) });
    res.end(body.subarray(start, end + 1));
  };
  return { handle, conditions };
}

test('a file replaced while its ranges arrive (with an ETag, or only another size) comes whole as the new version, never spliced', async (t) => {
  for (const etag of [true, false]) {
    const s = await setup(t);
    const old = Buffer.alloc(5 * RANGE, 0x41);
    const now = Buffer.alloc(3 * RANGE + 12_345, 0x42);
    const host = changingFile([old, now], 2, etag);
    const url = await ownHost(t, host.handle);
    const o = s.options(ranged(2));
    const r = await downloadFile(BIG, url, s.part, s.final, o);
    const got = await readFile(s.final);
    assert.equal(got.length, now.length, `etag ${etag}: the new version's size`);
    assert.ok(got.equals(now), `etag ${etag}: the new version's bytes only`);
    assert.equal(r.bytes, now.length);
    if (etag) assert.ok(host.conditions.length > 0 && host.conditions.every((c) => c === '"v0"'), `If-Match sent with the ranges: ${host.conditions.join(', ')}`);
    await assertNoPartFiles(s.dir);
  }
});

/**
 * A host that, after the whole file announced and cut short, answers each Range with only `per` bytes (as its
 * Content-Range says), then garbage; returns the link and the count of requests.
 */
async function crumbs(t: TestContext, body: Buffer, per: number): Promise<{ url: URL; requests: () => number; ranged: () => number }> {
  let requests = 0;
  let ranged = 0;
  const url = await ownHost(t, (req, res) => {
    requests++;
    const m = /^bytes=(\d+)-/.exec(String(req.headers.range ?? ''));
    if (m) ranged++;
    if (!m) {
      res.writeHead(200, { 'Content-Length': String(body.length) });
      res.write(body.subarray(0, 500));
      return void setTimeout(() => res.socket?.destroy(), 20);
    }
    const start = Number(m[1]);
    const end = Math.min(start + per - 1, body.length - 1);
    res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${body.length}` });
    res.end(Buffer.concat([body.subarray(start, end + 1), Buffer.from('GARBAGE'.repeat(50))]));
  });
  return { url, requests: () => requests, ranged: () => ranged };
}

test('a range answer is cut where its Content-Range says it ends, and the rest is asked for: bytes past it are not written', async (t) => {
  const s = await setup(t);
  const body = Buffer.from('2026-11-28 10:00:00 UTC [1] LOG:  checkpoint complete\n'.repeat(50_000));
  // Pieces of 512 KiB, as some hosts serve: each followed at once by a request for the rest.
  const host = await crumbs(t, body, 512 * 1024);
  const r = await downloadFile(BIG, host.url, s.part, s.final, s.options());
  assert.ok((await readFile(s.final)).equals(body), 'byte-exact');
  assert.equal(r.bytes, body.length);
  // (The cut of the first answer may cost it a second try on a busy machine: a reset can drop bytes in flight.)
  assert.equal(host.ranged(), 6, 'after the cut, six pieces of 512 KiB, each asked for once');
  assert.equal(r.retries, host.requests() - 6, 'only the cut counts as a retry, not the pieces');
  await assertNoPartFiles(s.dir);
});

test('a host that answers ranges in crumbs (11 bytes each) is retried with backoff, not asked a request per crumb at once', async (t) => {
  const s = await setup(t);
  const body = Buffer.from('2026-11-28 10:00:00 UTC [1] LOG:  checkpoint complete\n'.repeat(12));
  const host = await crumbs(t, body, 11);
  const o = s.options();
  const r = await downloadFile(BIG, host.url, s.part, s.final, o);
  assert.ok((await readFile(s.final)).equals(body), 'byte-exact');
  assert.equal(r.retries, host.requests() - 1, 'each crumb counts as a retry');
  assert.ok(o.lines.filter((l) => /retrying in/.test(l)).length >= host.requests() - 2, 'with a wait before each');
});

test('checking output-dir before any request tries a write there and leaves nothing behind, in the folder or the one it will be made in', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'outdir-check-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await utimes(dir, 0, 0);
  await checkOutputDir(dir);
  await checkOutputDir(join(dir, 'not', 'there', 'yet'));
  assert.deepEqual(await readdir(dir), []);
  // A file was made and removed there (the folder changed), rather than the folder's mode asked.
  assert.ok((await stat(dir)).mtimeMs > 0, 'a probe file was written');
});

test("a download host's refusal names its request id: OBS's x-obs-request-id, or S3's x-amz-request-id (links signed AWS-style)", async (t) => {
  const s = await setup(t);
  for (const header of ['x-obs-request-id', 'x-amz-request-id']) {
    const url = await ownHost(t, (_req, res) => {
      res.writeHead(404, { 'Content-Type': 'application/xml', [header]: 'A1B2C3D4E5F60708' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
    });
    await assert.rejects(downloadFile(BIG, url, s.part, s.final, s.options()), (e: unknown) => {
      assert.ok(e instanceof ApiError, String(e));
      assert.equal(e.requestId, 'A1B2C3D4E5F60708', header);
      assert.match(e.message, /HTTP 404 NoSuchKey.*request id A1B2C3D4E5F60708/);
      return true;
    });
  }
});
