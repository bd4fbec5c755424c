// npm run bench: the action's figures, each measured side by side with its baseline in the same run, each the
// median of several runs. Prints a table (figure, target, met) and writes the same as JSON to bench-results/.
// Environment: BENCH_RUNS (default 3).
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { randomFillSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionInputs, realPostgresLog, startRdsEmulator, type EmulatorFile, type RdsEmulator, type RdsEmulatorOptions } from '../emulator/rds.ts';
import { ROOT, runAction } from '../emulator/runner.ts';
import { measureMemory } from './memory.ts';
import { digestBytes } from '../src/insight/digest.ts';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const MiB = 1024 * 1024;
const PARALLEL = 4; // the action's default parallel-downloads

interface Figure {
  measurement: string;
  figure: string;
  value: number;
  target: string;
  met: boolean;
  detail: string;
}
const figures: Figure[] = [];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; out: string; err: string; ms: number }> {
  const t = performance.now();
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    c.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    c.on('close', (code) => resolve({ code, out, err, ms: performance.now() - t }));
  });
}

async function links(rds: RdsEmulator): Promise<string[]> {
  const res = await fetch(`${rds.url}/v3/${rds.projectId}/instances/${rds.instanceId}/errorlog-download`, { method: 'POST', headers: { 'X-Auth-Token': rds.token } });
  const body = (await res.json()) as { status: string; list: Array<{ file_link: string }> };
  if (body.status !== 'FINISH') throw new Error('emulator not ready');
  return body.list.map((i) => i.file_link);
}

async function withEmulator<T>(o: RdsEmulatorOptions, fn: (rds: RdsEmulator) => Promise<T>): Promise<T> {
  const rds = await startRdsEmulator({ creatingCalls: 0, ...o });
  try {
    return await fn(rds);
  } finally {
    await rds.close();
  }
}

async function freshDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'bench-'));
}

const SINGLE = 1024 * MiB;
const CAP = 100 * MiB;

/** Wall time of the whole action step (upload: false), as a user waits for it, on these files. */
async function actionStep(rds: RdsEmulator): Promise<number> {
  const r = await runAction({ inputs: { ...actionInputs(rds), upload: 'false' }, timeoutMs: 600_000 });
  await rm(r.temp, { recursive: true, force: true });
  if (r.code !== 0) throw new Error(`the action failed:\n${r.log.slice(-2000)}`);
  if (r.outputs['error-count'] === undefined || r.outputs['error-count'] === '') throw new Error('the action gave no digest');
  return r.ms;
}

/** Wall time of curl fetching the same files one after the other (curl -o, a process per file). */
async function curlLoop(rds: RdsEmulator): Promise<number> {
  const dir = await freshDir();
  try {
    let total = 0;
    for (const [i, link] of (await links(rds)).entries()) {
      const r = await run('curl', ['-s', '-S', '-o', join(dir, `f${i}`), link]);
      if (r.code !== 0) throw new Error(`curl failed: ${r.err}`);
      total += r.ms;
    }
    return total;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One row: the action's step against curl on the same emulator, alternately, each the median of RUNS. */
async function versusCurl(row: string, files: EmulatorFile[], cap: number | undefined, target: number, baseline: string): Promise<void> {
  await withEmulator({ files, ...(cap ? { bytesPerSecondPerConnection: cap } : {}) }, async (rds) => {
    const action: number[] = [];
    const curl: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      action.push(await actionStep(rds));
      curl.push(await curlLoop(rds));
    }
    const ratio = median(curl) / median(action);
    figures.push({
      measurement: row,
      figure: `${ratio.toFixed(2)}× ${baseline}`,
      value: ratio,
      target: `≥ ${target}× ${baseline}`,
      met: ratio >= target,
      detail: `action ${(median(action) / 1000).toFixed(2)} s (runs ${action.map((ms) => (ms / 1000).toFixed(1)).join(', ')}), ${baseline} ${(median(curl) / 1000).toFixed(2)} s`,
    });
  });
}

/**
 * What the download rows serve: a real server's log under pgbench load (connections, checkpoints,
 * autovacuum, about 3.5 % errors), as a production log reads; not the error-dense test fixture.
 */
const PRODUCTION = 'stderr-rds-production.log';
const realLog = (name: string, size: number): EmulatorFile => ({ name, size, repeat: realPostgresLog(PRODUCTION) });

async function benchSingle(): Promise<void> {
  await versusCurl('single: one 1 GiB real log, loopback, whole step (download + digest) vs curl -o', [realLog('postgresql-2026-11-28_100000.log', SINGLE)], undefined, 0.8, 'curl');
}

async function benchCapped(): Promise<void> {
  await versusCurl('capped: the same file, each connection capped at 100 MiB/s (as object storage serves one)', [realLog('postgresql-2026-11-28_100000.log', SINGLE)], CAP, 3, 'curl');
}

async function benchMulti(): Promise<void> {
  const files = Array.from({ length: 8 }, (_, i) => realLog(`postgresql-2026-11-28_${String(10 + i).padStart(2, '0')}0000.log`, 128 * MiB));
  await versusCurl(`multi: 8 × 128 MiB real logs, 100 MiB/s per connection, action (${PARALLEL} connections) vs a curl loop`, files, CAP, 3, 'the loop');
}

/** Each run's time of the digest of `buf` (as a stderr log), in ms. */
async function digestTimes(buf: Buffer): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await digestBytes([buf], 'postgresql-bench.log', {});
    ms.push(performance.now() - t0);
  }
  return ms;
}

/** `size` bytes of `unit` repeated. */
function repeated(unit: Buffer, size: number): Buffer {
  const buf = Buffer.alloc(size);
  for (let o = 0; o < size; o += unit.length) unit.copy(buf, o, 0, Math.min(unit.length, size - o));
  return buf;
}

/** The reader's digest on a Buffer of real log, and of bytes that are not a log, in this thread: how fast they are read, without any I/O. */
async function benchDigest(): Promise<void> {
  // The production-like log is the target; the error-dense fixture (one line in eight an ERROR, most
  // with DETAIL and STATEMENT) shows the worst case a user may meet.
  const size = 256 * MiB;
  let production = NaN;
  for (const [fixture, what] of [[PRODUCTION, 'production-like'], ['stderr-rds-prefix.log', 'error-dense']] as const) {
    const ms = await digestTimes(repeated(realPostgresLog(fixture), size));
    const rate = size / MiB / (median(ms) / 1000);
    if (fixture === PRODUCTION) production = rate;
    figures.push({
      measurement: `digest throughput: 256 MiB of real stderr log (${what}) from memory, one thread`,
      figure: `${rate.toFixed(0)} MiB/s`,
      value: rate,
      target: '≥ 1024 MiB/s',
      met: rate >= 1024,
      detail: `runs: ${ms.map((x) => (x / 1000).toFixed(2)).join(', ')} s`,
    });
  }
  // Bytes that are not a log, as a link may serve them or a crash may leave them: each must read at least as
  // fast as the production-like log (the figure is the slowest).
  const page = Buffer.from('<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><p>The proxy could not reach the upstream server.</p></body></html>\n');
  const kinds: Array<[string, () => Buffer]> = [
    ['random bytes', () => randomFillSync(Buffer.alloc(size))],
    ['NUL bytes', () => Buffer.alloc(size)],
    ['empty lines', () => Buffer.alloc(size, '\n')],
    ['empty CRLF lines', () => Buffer.alloc(size, '\r\n')],
    ['tab lines, no entry', () => Buffer.alloc(size, '\tcontinues nothing\n')],
    ['one-character lines', () => Buffer.alloc(size, 'x\n')],
    ['an HTML error page', () => repeated(page, size)],
  ];
  const rates: Array<[string, number]> = [];
  for (const [what, make] of kinds) rates.push([what, size / MiB / (median(await digestTimes(make())) / 1000)]);
  const [slowest, rate] = rates.reduce((a, b) => (b[1] < a[1] ? b : a));
  figures.push({
    measurement: 'digest throughput: 256 MiB of bytes that are not a log, the slowest of seven kinds, from memory, one thread',
    figure: `${rate.toFixed(0)} MiB/s (${slowest})`,
    value: rate,
    target: `≥ the production-like log (${production.toFixed(0)} MiB/s)`,
    met: rate >= production,
    detail: rates.map(([w, r]) => `${w} ${r.toFixed(0)}`).join(', ') + ' MiB/s',
  });
}

async function benchMemory(): Promise<void> {
  const small: number[] = [];
  const big: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    small.push((await measureMemory(64, false)).peakRssMiB);
    big.push((await measureMemory(2048, false)).peakRssMiB);
  }
  const ratio = median(big) / median(small);
  figures.push({
    measurement: 'memory: peak RSS of the action process (its threads included), a 2 GiB real log, download and digest, upload: false',
    figure: `${median(big)} MiB`,
    value: median(big),
    target: '≤ 100 MiB',
    met: median(big) <= 100,
    detail: `runs: ${big.join(', ')} MiB`,
  });
  figures.push({
    measurement: 'memory: peak RSS at 2 GiB / at 64 MiB',
    figure: `${ratio.toFixed(2)}`,
    value: ratio,
    target: '≤ 1.3',
    met: ratio <= 1.3,
    detail: `64 MiB: ${median(small)} MiB (runs ${small.join(', ')})`,
  });
}

async function benchPolling(): Promise<void> {
  const readyAfterMs = 3_000;
  const intervalMs = 1_000;
  const late: number[] = [];
  const calls: number[] = [];
  let minGap = Infinity;
  for (let i = 0; i < RUNS; i++) {
    await withEmulator({ readyAfterMs, files: [{ name: 'a.log', size: 1024 }] }, async (rds) => {
      const r = await runAction({ inputs: { ...actionInputs(rds), upload: 'false' } });
      if (r.code !== 0) throw new Error(r.log);
      await rm(r.temp, { recursive: true, force: true });
      const polls = rds.apiRequests.filter((q) => q.path.endsWith('/errorlog-download'));
      const readyAt = polls[0]!.at + readyAfterMs;
      late.push(polls[polls.length - 1]!.at - readyAt);
      calls.push(polls.length);
      for (let k = 1; k < polls.length; k++) minGap = Math.min(minGap, polls[k]!.at - polls[k - 1]!.at);
    });
  }
  figures.push({
    measurement: `polling: ready ${readyAfterMs / 1000} s after the first call, poll-interval 1s`,
    figure: `noticed ${Math.round(median(late))} ms after`,
    value: median(late),
    target: '≤ one poll interval',
    met: median(late) <= intervalMs,
    detail: `${median(calls)} calls`,
  });
  const perMinute = 60_000 / minGap;
  figures.push({
    measurement: 'polling: API call rate (shortest gap between two calls)',
    figure: `${Math.round(minGap)} ms (≤ ${Math.floor(perMinute)}/min)`,
    value: perMinute,
    target: '≤ 60 calls/min',
    met: perMinute <= 60.5,
    detail: 'retries keep at least 1 s between calls too (unit-tested under any failure)',
  });
}

async function distSize(): Promise<number> {
  let total = 0;
  for (const e of await readdir(join(ROOT, 'dist'), { recursive: true, withFileTypes: true })) {
    if (e.isFile()) total += (await stat(join(e.parentPath, e.name))).size;
  }
  return total;
}

async function benchStartup(): Promise<void> {
  const ms: number[] = [];
  await withEmulator({ files: [] }, async (rds) => {
    for (let i = 0; i < Math.max(RUNS, 5); i++) {
      rds.apiRequests.length = 0;
      const t0 = Date.now();
      const r = await runAction({ inputs: { ...actionInputs(rds), upload: 'false' } });
      await rm(r.temp, { recursive: true, force: true });
      ms.push(rds.apiRequests[0]!.at - t0);
    }
  });
  figures.push({ measurement: 'start-up: process start to the first request', figure: `${median(ms)} ms`, value: median(ms), target: '≤ 150 ms', met: median(ms) <= 150, detail: `runs: ${ms.join(', ')} ms` });
  const size = await distSize();
  figures.push({ measurement: 'start-up: size of dist/ (code, source map, licences)', figure: `${(size / MiB).toFixed(2)} MiB`, value: size, target: '≤ 2 MiB', met: size <= 2 * MiB, detail: '' });
}

// curl is the baseline of three rows: without it they would compare against nothing.
if (spawnSync('curl', ['--version']).error) {
  process.stderr.write('bench: curl is needed for the baselines (e.g. apt-get install curl)\n');
  process.exit(1);
}

const started = Date.now();
const only = process.argv.slice(2);
const steps: Array<[string, () => Promise<void>]> = [
  ['startup', benchStartup],
  ['polling', benchPolling],
  ['single', benchSingle],
  ['capped', benchCapped],
  ['multi', benchMulti],
  ['digest', benchDigest],
  ['memory', benchMemory],
];
for (const [name, step] of steps) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`bench: ${name}…\n`);
  await step();
}

const lines = ['| Measurement | Figure | Target | Met | Detail |', '| --- | --- | --- | --- | --- |'];
for (const f of figures) lines.push(`| ${f.measurement} | ${f.figure} | ${f.target} | ${f.met ? 'yes' : '**no**'} | ${f.detail} |`);
process.stdout.write(`\n${lines.join('\n')}\n\nmedian of ${RUNS} runs each; ${Math.round((Date.now() - started) / 1000)} s in all; node ${process.version}\n`);
await mkdir(join(ROOT, 'bench-results'), { recursive: true });
const json = JSON.stringify({ date: new Date().toISOString(), node: process.version, runs: RUNS, figures }, null, 2);
await writeFile(join(ROOT, 'bench-results/latest.json'), json + '\n');
