// Keeps the action's memory flat while gigabytes stream through it: V8 settings for this process, and the
// collection of what passes through (downloaded chunks; what the digest thread's reading leaves).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options: { type: 'minor' | 'major' }) => void;

let gc: Gc | undefined;

/**
 * For the action's process, before its work starts. The runner starts `node dist/index.js` with no flags, so
 * they are set here, for the whole process (worker threads started later included):
 * - the young generation stays at its initial size instead of growing to 32 MiB when a download's chunks
 *   survive a collection (they live until they are on disk);
 * - V8's gc() is exposed: this thread gets it through a fresh context, threads started later on their global
 *   (see passed()).
 */
export function tuneMemory(): void {
  if (gc) return;
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--expose-gc');
  gc = runInNewContext('gc') as Gc;
}

/**
 * Counts the bytes of buffers that this thread has finished with, and collects after every `every` of them.
 * Node frees a buffer's memory only when V8 collects its JS object, and V8 collects for such outside memory
 * only after 64 MiB of it: gigabytes passing in 64 KiB chunks would hold tens of MiB of dead buffers, and the
 * allocator keeps their pages. Nothing happens unless tuneMemory() exposed gc() (the action); elsewhere (tests,
 * the command line) V8 decides alone.
 */
export class Collector {
  readonly #every: number;
  readonly #type: 'minor' | 'major';
  #bytes = 0;

  /** `minor`: the young generation, where chunks that lived a moment die; `major`: all, for those promoted. */
  constructor(every: number, type: 'minor' | 'major') {
    this.#every = every;
    this.#type = type;
  }

  passed(bytes: number): void {
    this.#bytes += bytes;
    if (this.#bytes < this.#every) return;
    this.#bytes = 0;
    // A worker thread started after tuneMemory() has gc() on its global.
    (gc ?? (globalThis as { gc?: Gc }).gc)?.({ type: this.#type });
  }
}
