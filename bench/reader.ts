// Benchmark (not a test) for the insight engine: writes a synthetic stderr PostgreSQL log of the
// given size into a temp folder, runs digestFiles on it and prints lines/s, MB/s and peak RSS.
//
//   node bench/reader.ts [size]      size in bytes, or with K/M/G (binary units); default 1G
//
// The digest runs in a child process (node bench/reader.ts --digest <file> [expected-lines]) so the
// peak RSS it reports is the reader's, not the generator's.
//
//   node bench/reader.ts --memory [size] [fixture]
// The digest's throughput from memory, in one thread (issue 10: >= 1 GiB/s on real stderr logs): a
// real server's log (test/fixtures/pg/<fixture>, default stderr-rds-production.log: a server under
// pgbench load, mostly LOG lines; stderr-rds-prefix.log is the error-dense one) repeated to size
// (default 256M) in one Buffer, then the same size of random bytes (not a log). Each is digested 3
// times; the median is printed, by wall time and by the thread's CPU time (the machine is shared).
//
// The log mixes what a busy server writes: connection LOG lines, ERRORs with DETAIL and STATEMENT,
// multi-line statements (tab continuation lines), FATAL logins, WARNINGs; the prefix is
// '%m [%p] %q%u@%d '. The file is deleted afterwards.
import { mkdtempSync, openSync, writeSync, closeSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { digestFiles, digestBytes } from '../src/insight/digest.ts';

function parseSize(s: string | undefined): number {
  if (s === undefined) return 1024 ** 3;
  const m = /^(\d+(?:\.\d+)?)\s*([KMG]?)i?B?$/i.exec(s.trim());
  if (!m) throw new Error(`bench: size "${s}" is not a size like 1G, 256M or 1048576`);
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Math.round(Number(m[1]) * unit);
}

const TABLES = ['users', 'orders', 'invoices', 'accounts', 'audit_log', 'sessions', 'payments', 'products'];
const USERS = ['app', 'migrator', 'report', 'postgres'];

/** One block of log text starting at `ms`, `pidBase`; returns the text and how many lines it has. */
function block(ms: number, seq: number): { text: string; lines: number } {
  const parts: string[] = [];
  let lines = 0;
  for (let i = 0; i < 2000; i++) {
    const t = new Date(ms + i * 3).toISOString().replace('T', ' ').replace('Z', ' UTC');
    const pid = 10000 + ((seq * 7 + i) % 50000);
    const user = USERS[i % USERS.length]!;
    const p = `${t} [${pid}] ${user}@app `;
    const table = TABLES[(i + seq) % TABLES.length]!;
    switch (i % 10) {
      case 0:
        parts.push(`${p}ERROR:  duplicate key value violates unique constraint "${table}_pkey"\n`);
        parts.push(`${p}DETAIL:  Key (id)=(${seq * 2000 + i}) already exists.\n`);
        parts.push(`${p}STATEMENT:  INSERT INTO ${table} (id, name) VALUES (${seq * 2000 + i}, 'x')\n`);
        lines += 3;
        break;
      case 1:
        parts.push(`${p}ERROR:  relation "${table}_v${i % 7}" does not exist at character ${15 + (i % 20)}\n`);
        parts.push(`${p}STATEMENT:  SELECT *\n\t  FROM ${table}_v${i % 7}\n\t WHERE id = ${i}\n`);
        lines += 4;
        break;
      case 2:
        parts.push(`${t} [${pid}] [unknown]@[unknown] FATAL:  password authentication failed for user "${user}"\n`);
        parts.push(`${t} [${pid}] [unknown]@[unknown] DETAIL:  Connection matched pg_hba.conf line 2: "host all all 0.0.0.0/0 scram-sha-256"\n`);
        lines += 2;
        break;
      case 3:
        parts.push(`${p}WARNING:  there is no transaction in progress\n`);
        lines += 1;
        break;
      default:
        parts.push(`${t} [${pid}] [unknown]@[unknown] LOG:  connection received: host=10.0.${i % 256}.${seq % 256} port=${40000 + i}\n`);
        parts.push(`${p}LOG:  connection authorized: user=${user} database=app application_name=psql\n`);
        lines += 2;
    }
  }
  return { text: parts.join(''), lines };
}

/** Digests `buf` from memory 3 times; prints the median throughput. */
async function fromMemory(label: string, buf: Buffer, expectedLines?: number): Promise<void> {
  const runs: Array<{ wall: number; cpu: number }> = [];
  let lines = 0;
  let errors = 0;
  for (let i = 0; i < 3; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const d = await digestBytes([buf], label);
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    runs.push({ wall, cpu: (c.user + c.system) / 1e6 });
    lines = d.files[0]!.lines;
    errors = (d.bySeverity.ERROR ?? 0) + (d.bySeverity.FATAL ?? 0) + (d.bySeverity.PANIC ?? 0);
  }
  const med = (k: 'wall' | 'cpu'): number => runs.map((r) => r[k]).sort((a, b) => a - b)[1]!;
  const gib = buf.length / 1024 ** 3;
  console.log(`${label}: ${(buf.length / 1024 ** 2).toFixed(0)} MiB, ${lines.toLocaleString('en')} lines, ${errors.toLocaleString('en')} errors`);
  console.log(`  ${(gib / med('wall')).toFixed(2)} GiB/s by wall time, ${(gib / med('cpu')).toFixed(2)} GiB/s by CPU time (median of 3)`);
  if (expectedLines !== undefined && lines !== expectedLines) {
    console.log(`  MISMATCH: expected ${expectedLines} lines, read ${lines}`);
    process.exitCode = 1;
  }
}

if (process.argv[2] === '--memory') {
  const size = parseSize(process.argv[3] ?? '256M');
  const fixture = process.argv[4] ?? 'stderr-rds-production.log';
  const one = readFileSync(new URL(`../test/fixtures/pg/${fixture}`, import.meta.url));
  const copies = Math.max(1, Math.floor(size / one.length));
  const log = Buffer.alloc(copies * one.length);
  for (let o = 0; o < log.length; o += one.length) one.copy(log, o);
  const perCopy = countNewlines(one, one.length);
  await fromMemory(`${fixture} x ${copies}`, log, perCopy * copies);
  await fromMemory('random bytes', randomFillSync(Buffer.alloc(log.length)));
} else if (process.argv[2] === '--digest') {
  // The measured part, in its own process so its peak RSS is not the generator's.
  const path = process.argv[3]!;
  const bytes = statSync(path).size;
  const t0 = performance.now();
  const digest = await digestFiles([{ name: 'postgresql-bench.log', path, size: bytes }], {});
  const s = (performance.now() - t0) / 1000;
  const f = digest.files[0]!;
  const rssMiB = process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
  console.log(`digestFiles: ${s.toFixed(2)} s`);
  console.log(`  ${f.lines.toLocaleString('en')} lines, ${f.entries.toLocaleString('en')} entries, ${f.unparsedLines} unparsed, ${digest.messages.length} distinct error messages`);
  console.log(`  ${Math.round(f.lines / s).toLocaleString('en')} lines/s, ${(bytes / 1e6 / s).toFixed(1)} MB/s (${(bytes / 1024 ** 2 / s).toFixed(1)} MiB/s)`);
  console.log(`  peak RSS ${rssMiB.toFixed(0)} MiB (the digesting process: Node itself, the reader and the digest)`);
  if (process.argv[4] !== undefined && String(f.lines) !== process.argv[4]) {
    console.log(`  MISMATCH: generated ${process.argv[4]} lines, read ${f.lines}`);
    process.exitCode = 1;
  }
} else {
  const size = parseSize(process.argv[2]);
  const dir = mkdtempSync(join(tmpdir(), 'insight-bench-'));
  const path = join(dir, 'postgresql-bench.log');
  try {
    const g0 = performance.now();
    const fd = openSync(path, 'w');
    let written = 0;
    let lines = 0;
    const start = Date.UTC(2024, 4, 1, 10, 0, 0);
    for (let seq = 0; written < size; seq++) {
      const b = block(start + seq * 6000, seq);
      const buf = Buffer.from(b.text);
      const n = Math.min(buf.length, size - written);
      // The last block is cut at a line end so the file holds only whole lines.
      const cut = n === buf.length ? n : buf.lastIndexOf(10, n - 1) + 1;
      if (cut <= 0) break;
      writeSync(fd, buf, 0, cut);
      written += cut;
      lines += cut === buf.length ? b.lines : countNewlines(buf, cut);
    }
    closeSync(fd);
    const genMs = performance.now() - g0;
    const bytes = statSync(path).size;
    console.log(`generated ${(bytes / 1024 ** 2).toFixed(1)} MiB, ${lines.toLocaleString('en')} lines in ${(genMs / 1000).toFixed(1)} s (${path})`);
    const r = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, '--digest', path, String(lines)], { stdio: 'inherit' });
    if (r.status !== 0) process.exitCode = r.status ?? 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function countNewlines(buf: Buffer, end: number): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1 && i < end; i = buf.indexOf(10, i + 1)) n++;
  return n;
}
