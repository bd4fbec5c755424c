// The action's downloader on its own, in a process of its own (as curl is): the same transport,
// downloadFile, pool and connection budget the action uses. Usage: node bench/fetch.ts <dir> <parallel> <link>...
// Prints the elapsed milliseconds from the first request to the last byte on disk.
import { join } from 'node:path';
import { createHttpTransport } from '../src/cloud/http.ts';
import { downloadFile, resolveLink } from '../src/core/download.ts';
import { ConnectionBudget, mapSettled } from '../src/core/pool.ts';
import { systemClock } from '../src/core/clock.ts';

const [dir, parallel, ...links] = process.argv.slice(2);
const transport = createHttpTransport({ userAgent: 'bench', socketTimeoutMs: 30_000, followRedirects: true });
const budget = new ConnectionBudget(Number(parallel));
const started = performance.now();
const results = await mapSettled(links, Number(parallel), (link, i) =>
  downloadFile(`f${i}`, resolveLink(link, new URL('http://127.0.0.1')), // the emulator's API is on loopback
    join(dir!, `.part-${i}`), join(dir!, `f${i}`), {
    transport,
    budget,
    order: i,
    stallMs: 30_000,
    retry: { clock: systemClock, deadline: Date.now() + 600_000, log: (l) => process.stderr.write(`${l}\n`) },
  }));
const ms = performance.now() - started;
transport.close();
const failed = results.filter((r) => r.status === 'rejected');
if (failed.length > 0) {
  process.stderr.write(`${failed.length} downloads failed: ${String((failed[0] as PromiseRejectedResult).reason)}\n`);
  process.exit(1);
}
process.stdout.write(`${Math.round(ms)}\n`);
