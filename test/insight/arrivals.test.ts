// Reading logs while they download: the digest read as the bytes arrive equals the digest of the finished files,
// and a download that starts over makes it give up (the caller then reads the files afresh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { link, mkdtemp, open, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Arrivals, digestArriving, SyncArrivals, type ArrivalNote, type ArrivingFile } from '../../src/insight/arrivals.ts';
import { digestFiles } from '../../src/insight/digest.ts';
import { fewerNotes, liveDigestInWorker } from '../../src/core/workers.ts';
import { liveDigestInThread as lazyLiveDigest } from '../../src/core/in-thread.ts';
import { fixture, STDERR_FIXTURES } from '../support/pg-fixtures.ts';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Arrivals that keep a reference to each chunk they hand out, to see what became of it. */
class Watched extends Arrivals {
  readonly chunks: Buffer[] = [];

  override async *follow(i: number, file: ArrivingFile): AsyncGenerator<Buffer> {
    for await (const c of super.follow(i, file)) {
      this.chunks.push(c);
      yield c;
    }
  }
}

test('files read while they arrive, in uneven pieces, give the same digest as the finished files, each piece freed once read', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'arrivals-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const files: ArrivingFile[] = STDERR_FIXTURES.slice(0, 2).map((name, i) => ({ name, path: join(dir, name), partPath: join(dir, `.part-${i}`) }));
  const arrivals = new Watched(files.length);
  const reading = digestArriving(files, { recent: 5 }, arrivals);
  for (const [i, f] of files.entries()) {
    const bytes = await readFile(fixture(f.name));
    const fh = await open(f.partPath, 'wx');
    // The last third first, as a later byte range arrives before the start: the reader must not read past what
    // is complete from the start (a hole of zeros until the rest comes).
    const third = Math.floor((bytes.length * 2) / 3);
    await fh.write(bytes, third, bytes.length - third, third);
    // Pieces that end inside lines: the reader must wait for the rest rather than see a short line.
    for (let pos = 0; pos < third;) {
      const n = Math.min(third - pos, 777 + pos % 1000);
      await fh.write(bytes, pos, n, pos);
      pos += n;
      arrivals.note({ i, bytes: pos });
      await tick();
    }
    await fh.close();
    await link(f.partPath, f.path);
    await unlink(f.partPath);
    arrivals.note({ i, size: bytes.length });
  }
  const live = await reading;
  assert.ok(live, 'not given up');
  const after = await digestFiles(files.map((f) => ({ name: f.name, path: f.path, size: 0 })), { recent: 5 });
  after.files.forEach((f, i) => { f.size = live.files[i]!.size; });
  assert.deepEqual(live, after);
  assert.ok(live.entries > 0 && (live.bySeverity.ERROR ?? 0) > 0);
  assert.deepEqual(live.files.map((f) => f.size), await Promise.all(files.map(async (f) => (await readFile(f.path)).length)));
  // Each chunk read, small ones too, was freed once read: none waited, dead, for the collector (read.ts freeOnceRead()).
  assert.ok(arrivals.chunks.length > 10, `${arrivals.chunks.length} chunks`);
  assert.deepEqual(arrivals.chunks.filter((c) => c.length > 0).map((c) => c.length), [], 'chunks not freed');
});

test('a download that starts over, or one that fails, makes the live digest give up', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'arrivals-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const name = STDERR_FIXTURES[0]!;
  const f: ArrivingFile = { name, path: join(dir, name), partPath: join(dir, '.part-0') };
  const bytes = await readFile(fixture(name));
  await (await open(f.partPath, 'wx')).writeFile(bytes);

  const restarted = new Arrivals(1);
  const a = digestArriving([f], {}, restarted);
  restarted.note({ i: 0, bytes: 5000 });
  await tick();
  restarted.note({ i: 0, bytes: 0 }); // truncated: the server sent the whole file again
  restarted.note({ i: 0, size: bytes.length });
  assert.equal(await a, undefined);

  const failed = new Arrivals(1);
  const b = digestArriving([f], {}, failed);
  failed.note({ i: 0, bytes: 100 });
  failed.note({ abandon: true });
  assert.equal(await b, undefined);
});

test('the command line reads an arrived file between turns of its event loop; the worker, at once, to the same digest', async (t) => {
  // The command line downloads in the thread that digests: while a complete 8 MiB file is read, its sockets and
  // timers (the stall watchdog, Ctrl+C's exit timer) must get their turns between one 1 MiB read and the next.
  const dir = await mkdtemp(join(tmpdir(), 'arrivals-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const name = STDERR_FIXTURES[0]!;
  const one = await readFile(fixture(name));
  const bytes = Buffer.concat(Array.from({ length: Math.ceil((8 << 20) / one.length) }, () => one));
  const f: ArrivingFile = { name, path: join(dir, name), partPath: join(dir, '.part-0') };
  await writeFile(f.path, bytes);
  let turns = 0;
  /** Notes the event loop's turn in which each piece was read. */
  class Watched extends Arrivals {
    turnOf: number[] = [];
    override async *follow(i: number, file: ArrivingFile): AsyncGenerator<Buffer> {
      for await (const piece of super.follow(i, file)) {
        this.turnOf.push(turns);
        yield piece;
      }
    }
  }
  const digestWith = async (arrivals: Arrivals): Promise<Awaited<ReturnType<typeof digestArriving>>> => {
    let done = false;
    const turn = (): void => { if (!done) { turns++; setImmediate(turn); } };
    setImmediate(turn);
    arrivals.note({ i: 0, size: bytes.length });
    try {
      return await digestArriving([f], {}, arrivals);
    } finally {
      done = true;
    }
  };
  const inThread = new Watched(1);
  const d = await digestWith(inThread);
  assert.ok(d && d.entries > 0);
  assert.ok(inThread.turnOf.length >= 8, `${inThread.turnOf.length} reads`);
  for (let k = 1; k < inThread.turnOf.length; k++) assert.ok(inThread.turnOf[k]! > inThread.turnOf[k - 1]!, `reads ${k - 1} and ${k} in one turn: ${inThread.turnOf.join(' ')}`);
  assert.deepEqual(await digestWith(new SyncArrivals(1)), d);
});

test('the digest thread, told of the bytes every MiB, reads a file written 64 KiB at a time to the same digest; a new start gives up at once', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'arrivals-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const name = STDERR_FIXTURES[0]!;
  const one = await readFile(fixture(name));
  // 3.5 MiB: the last half MiB is told by the file's end alone.
  const bytes = Buffer.concat(Array.from({ length: Math.ceil((3.5 * (1 << 20)) / one.length) }, () => one)).subarray(0, 3.5 * (1 << 20));
  const start = liveDigestInWorker(import.meta.url);
  const arriving = async (f: ArrivingFile, upTo: number, restartAt?: number): Promise<Awaited<ReturnType<typeof digestFiles>> | undefined> => {
    const live = start([f], { recent: 5 });
    const fh = await open(f.partPath, 'wx');
    for (let pos = 0; pos < upTo;) {
      const n = Math.min(64 << 10, upTo - pos);
      await fh.write(bytes, pos, n, pos);
      pos += n;
      live.note({ i: 0, bytes: pos });
      if (restartAt !== undefined && pos >= restartAt) {
        live.note({ i: 0, bytes: 64 << 10 }); // the server sent the file again from its start
        break;
      }
    }
    await fh.close();
    await link(f.partPath, f.path);
    await unlink(f.partPath);
    live.note({ i: 0, size: upTo });
    return live.result;
  };
  const whole: ArrivingFile = { name, path: join(dir, name), partPath: join(dir, '.part-0') };
  const d = await arriving(whole, bytes.length);
  assert.ok(d && d.entries > 0, 'not given up');
  assert.deepEqual(d, await digestFiles([{ name, path: whole.path, size: bytes.length }], { recent: 5 }));
  await rm(whole.path);
  assert.equal(await arriving(whole, 3 << 20, 2 << 20), undefined, 'a new start is news at once, not held back until the next MiB');
});

test('the notes to the digest thread: one a MiB of progress, and a new start, an end or a giving up at once', () => {
  const posted: ArrivalNote[] = [];
  const note = fewerNotes((m) => posted.push(m));
  for (let pos = 64 << 10; pos <= 3.5 * (1 << 20); pos += 64 << 10) note({ i: 0, bytes: pos });
  note({ i: 0, bytes: 64 << 10 });
  note({ i: 1, bytes: 1 << 20 });
  note({ i: 0, size: 5 });
  note({ abandon: true });
  assert.deepEqual(posted, [
    { i: 0, bytes: 1 << 20 }, { i: 0, bytes: 2 << 20 }, { i: 0, bytes: 3 << 20 },
    { i: 0, bytes: 64 << 10 },
    { i: 1, bytes: 1 << 20 },
    { i: 0, size: 5 },
    { abandon: true },
  ]);
});

test("the command line's live digest loads its code when it starts: notes sent before that are kept, in order", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'arrivals-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const name = STDERR_FIXTURES[0]!;
  const bytes = await readFile(fixture(name));
  const f: ArrivingFile = { name, path: join(dir, name), partPath: join(dir, '.part-0') };
  await writeFile(f.partPath, bytes);
  // Every note in the same turn as the start, before any import could finish: the file's bytes, then its end.
  const live = lazyLiveDigest([f], {});
  live.note({ i: 0, bytes: 100 });
  live.note({ i: 0, bytes: bytes.length });
  await link(f.partPath, f.path);
  live.note({ i: 0, size: bytes.length });
  const d = await live.result;
  const whole = await digestFiles([{ name, path: f.path, size: bytes.length }], {});
  assert.deepEqual([d?.entries, d?.bySeverity], [whole.entries, whole.bySeverity]);
  assert.ok(whole.entries > 50);
  // And a give-up sent that early is one too.
  const gaveUp = lazyLiveDigest([f], {});
  gaveUp.note({ abandon: true });
  assert.equal(await gaveUp.result, undefined);
});
