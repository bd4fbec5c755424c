// Which built-in modules each thread of the action loaded, through a preload (test/support/loaded-modules.mjs).
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';

/** Node's fetch stack: its undici, http2, web streams. The action uses none of them; loading them costs memory. */
const FETCH_STACK = /^NativeModule (internal\/deps\/undici\/|http2$|internal\/webstreams\/)/;

/**
 * Runs `run` with the env that makes each thread of the action write its list; returns the lists by thread id. The
 * run must start the digest and upload threads: fewer than three lists means a thread's went missing.
 */
export async function loadedModules(run: (env: Record<string, string>) => Promise<void>): Promise<Map<string, string[]>> {
  const dir = await mkdtemp(join(tmpdir(), 'loaded-'));
  try {
    const preload = pathToFileURL(join(import.meta.dirname, 'loaded-modules.mjs')).href;
    await run({ NODE_OPTIONS: `--import=${preload}`, LOADED_MODULES_DIR: dir });
    const lists = new Map<string, string[]>();
    for (const f of (await readdir(dir)).sort()) lists.set(f.replace(/\.txt$/, ''), (await readFile(join(dir, f), 'utf8')).split('\n'));
    assert.ok(lists.size >= 3, `the main thread, the digest's and the upload's each wrote their list: ${[...lists.keys()].join(', ')}`);
    return lists;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The modules of Node's fetch stack each thread loaded (threads that loaded none left out). */
export function fetchStackLoaded(lists: Map<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [thread, list] of lists) {
    const found = list.filter((m) => FETCH_STACK.test(m));
    if (found.length > 0) out[thread] = found;
  }
  return out;
}
