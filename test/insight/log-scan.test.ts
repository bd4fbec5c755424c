// The WebAssembly LOG-line scanner shipped in src/ is what its AssemblyScript source compiles to (its
// behaviour is tested through the reader: read.test.ts compares the fast path with reading every entry).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('src/insight/formats/log-scan.wasm.ts is what wasm/log-scan.ts compiles to', () => {
  const script = fileURLToPath(new URL('../../scripts/build-wasm.ts', import.meta.url));
  const r = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
