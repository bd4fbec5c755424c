import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { Collector, tuneMemory } from '../../src/core/memory.ts';

const CHUNK = 64 * 1024;

/** Passes `mib` MiB of fresh 64 KiB chunks through `collector`, as a download does; the most array-buffer memory seen. */
function stream(mib: number, collector: Collector): number {
  let most = 0;
  for (let i = 0; i < (mib * 1024 * 1024) / CHUNK; i++) {
    const chunk = Buffer.alloc(CHUNK, i);
    collector.passed(chunk.length);
    most = Math.max(most, process.memoryUsage().arrayBuffers);
  }
  return most;
}

const MiB = 1024 * 1024;

// Without collecting, V8 lets 64 MiB of dead chunks pile up before it frees them (its limit for memory outside
// its heap): the bound below is far under that, and far above what collecting every MiB leaves.
test('chunks that passed a collector are freed every few MiB, not after 64 MiB of them', () => {
  tuneMemory();
  const most = stream(256, new Collector({ minorEvery: MiB }));
  assert.ok(most < 16 * MiB, `${Math.round(most / MiB)} MiB of buffers were held at once`);
});

test('a worker thread started after tuneMemory() collects the same way', async () => {
  tuneMemory();
  const url = new URL('../../src/core/memory.ts', import.meta.url).href;
  const code = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(url)}).then(({ Collector }) => {
      const c = new Collector({ majorEvery: ${4 * MiB} });
      let most = 0;
      for (let i = 0; i < 2048; i++) {
        const chunk = Buffer.alloc(${CHUNK}, i);
        c.passed(chunk.length);
        most = Math.max(most, process.memoryUsage().arrayBuffers);
      }
      parentPort.postMessage(most);
    });`;
  const worker = new Worker(code, { eval: true });
  const most = await new Promise<number>((resolve, reject) => worker.once('message', resolve).once('error', reject));
  await worker.terminate();
  assert.ok(most < 16 * MiB, `${Math.round(most / MiB)} MiB of buffers were held at once in the worker`);
});
