// Keeps the action's memory flat while gigabytes stream through it: V8 settings for this process, and the
// collection of what passes through (downloaded chunks; what the digest thread's reading leaves).
import { setFlagsFromString } from 'node:v8';

type Gc = (options: { type: 'minor' | 'major' }) => void;

let tuned = false;
let gc: Gc | undefined;

/**
 * For the action's process, before its work starts. The runner starts `node dist/index.js` with no flags, so
 * they are set here, for the whole process (worker threads started later included):
 * - the young generation stays at its initial size instead of growing to 32 MiB when a download's chunks
 *   survive a collection (they live until they are on disk);
 * - V8's gc() is exposed: this thread gets it through a fresh context when it first collects (a context costs
 *   milliseconds the step's first request need not wait for), threads started later on their global (passed()).
 */
export function tuneMemory(): void {
  if (tuned) return;
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--expose-gc');
  tuned = true;
}

/** gc() in this thread: after tuneMemory(), from a fresh context (made once); in a thread started later, its global's. */
function collector(): Gc | undefined {
  if (!tuned) return (globalThis as { gc?: Gc }).gc;
  return (gc ??= (process.getBuiltinModule('node:vm') as typeof import('node:vm')).runInNewContext('gc') as Gc);
}

/**
 * Counts the bytes of buffers that this thread has finished with, and collects the young generation after every
 * `minorEvery` of them, all of the heap after every `majorEvery`.
 * Node frees a buffer's memory only when V8 collects its JS object, and V8 collects for such outside memory
 * only after 64 MiB of it: gigabytes passing in 64 KiB chunks would hold tens of MiB of dead buffers, and the
 * allocator keeps their pages. Nothing happens unless tuneMemory() exposed gc() (the action); elsewhere (tests,
 * the command line) V8 decides alone.
 */
export class Collector {
  readonly #minorEvery: number;
  readonly #majorEvery: number;
  #young = 0;
  #all = 0;

  /** Young: where chunks that lived a moment die; all: for what was promoted meanwhile. Either may be left out. */
  constructor({ minorEvery = Infinity, majorEvery = Infinity }: { minorEvery?: number; majorEvery?: number }) {
    this.#minorEvery = minorEvery;
    this.#majorEvery = majorEvery;
  }

  passed(bytes: number): void {
    this.#young += bytes;
    this.#all += bytes;
    let type: 'minor' | 'major';
    if (this.#all >= this.#majorEvery) type = 'major'; // the young generation with the rest
    else if (this.#young >= this.#minorEvery) type = 'minor';
    else return;
    this.#young = 0;
    if (type === 'major') this.#all = 0;
    collector()?.({ type });
  }
}
