// Plain JavaScript on purpose (a .ts preload would load the type stripper into what it records). Preloaded into the
// action's process by a test (node --import; Node runs it in each worker thread too): on each thread's exit, writes
// the built-in modules that thread loaded to LOADED_MODULES_DIR/<threadId>.txt.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';

const dir = process.env['LOADED_MODULES_DIR'];
if (dir) process.on('exit', () => writeFileSync(join(dir, `${threadId}.txt`), process.moduleLoadList.join('\n')));
