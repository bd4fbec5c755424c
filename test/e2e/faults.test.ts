// The fault-injection suite: every row of test/support/fault-scenarios.ts against the emulator and the artifact
// service on real sockets, plus the faults that need a hand-made setup (a planted symlink, a cancellation).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { leaked, withRig, type Rig } from '../support/harness.ts';
import { BIG, FILES, MiB, readZipNames, scenarios } from '../support/fault-scenarios.ts';
import { injected } from '../support/runner-commands.ts';

/** A rig with no 'creating' phase and a temporary folder of the test's own, both removed afterwards. */
async function withRigAndDir(prefix: string, fn: (rig: Rig, dir: string) => Promise<void>): Promise<void> {
  await withRig({ files: FILES, creatingCalls: 0 }, async (rig) => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    try {
      await fn(rig, dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

describe('fault suite', { concurrency: 4 }, () => {
  for (const s of scenarios) {
    test(`${s.kind}: ${s.fault}`, async () => {
      await withRig({ files: FILES, creatingCalls: 1, ...s.emulator }, async (rig) => {
        await s.setup?.(rig);
        const r = await rig.run({ inputs: { timeout: '20s', ...s.inputs }, ...(s.killAfterMs ? { timeoutMs: s.killAfterMs } : {}) });
        if (s.kind === 'transient') {
          assert.equal(r.code, 0, `expected success:\n${r.log.slice(-3000)}`);
          const listed = JSON.parse(r.outputs['files'] ?? '[]') as Array<{ name: string; path: string }>;
          const served = (s.emulator?.files ?? FILES).map((f) => f.name).sort();
          assert.deepEqual(listed.map((f) => f.name).sort(), served);
          for (const f of listed) assert.ok((await readFile(f.path)).equals(rig.rds.bytesOf(f.name)), `${f.name}: bytes differ`);
          assert.deepEqual((await readdir(r.outputs['output-dir'] ?? '')).sort(), served, 'no part files left');
          assert.deepEqual(await readZipNames(rig), served, 'all files uploaded');
        } else if (s.kind === 'permanent') {
          assert.equal(r.code, 1, `expected failure:\n${r.log.slice(-3000)}`);
          // Fails fast: no retry, unless the fault is one that may pass and the error says 'timeout' ended the tries.
          const retries = r.log.split('\n').filter((l) => /: attempt \d+ failed \(/.test(l));
          if (s.retried) assert.ok(retries.length > 0, 'retried until the timeout');
          else assert.deepEqual(retries, [], 'not retried');
          const errors = r.log.split('\n').filter((l) => l.startsWith('::error::'));
          assert.equal(errors.length, 1, `one error line:\n${errors.join('\n')}`);
          assert.match(errors[0]!, s.error!);
          assert.ok(!(await readdir(r.outputs['output-dir'] ?? '').catch((): string[] => [])).some((n) => n.startsWith('.part-')), 'no part files left');
        }
        assert.equal(leaked(rig, r), undefined, 'no secret in the log, summary or outputs');
        assert.deepEqual(injected(r.log), [], 'no workflow command from a server ran');
        await s.check?.(rig, r);
      });
    });
  }

  test('README lists every scenario of the suite', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Reliability'));
    for (const s of scenarios) assert.ok(section.includes(`| ${s.fault} |`), `README lacks: ${s.fault}`);
  });

  test('permanent: a symlink planted in output-dir is never followed', async () => {
    await withRigAndDir('planted-', async (rig, dir) => {
      const victim = join(dir, 'victim.txt');
      await writeFile(victim, 'untouched');
      const out = join(dir, 'out');
      await rm(out, { force: true, recursive: true });
      await mkdir(out);
      await symlink(victim, join(out, BIG));
      const r = await rig.run({ inputs: { 'output-dir': out } });
      assert.equal(r.code, 0, r.log);
      assert.equal(await readFile(victim, 'utf8'), 'untouched');
      const listed = JSON.parse(r.outputs['files'] ?? '[]') as Array<{ name: string; path: string }>;
      assert.ok(listed.every((f) => f.name !== BIG), 'the planted name was not reused');
      assert.ok((await readFile(listed.find((f) => f.name.startsWith('postgresql-2026-11-28_080000'))!.path)).equals(rig.rds.bytesOf(BIG)));
    });
  });

  // A disk of its own for the action: a user and mount namespace with a small tmpfs over output-dir (bash, not
  // sh: dash drops the INPUT_* variables whose names hold a hyphen).
  const namespaces = spawnSync('unshare', ['-rm', 'true']).status === 0;
  const onDisk = (dir: string, options: string): string[] => ['unshare', '-rm', 'bash', '-c', `mount -t tmpfs -o ${options} tmpfs "$0" && exec "$@"`, dir];

  test('permanent: a disk too small for a file: announced, it is refused before a byte is written and the others come; unannounced, ENOSPC ends the run; no retry', { skip: !namespaces && 'needs unshare -rm (user namespaces)' }, async () => {
    // A 1 MiB disk for a 2 MiB file: announced (Content-Length), or sent without a size until the disk is full.
    for (const unbounded of [false, true]) {
      await withRigAndDir('full-', async (rig, dir) => {
        if (unbounded) rig.rds.failFile(BIG, { kind: 'unbounded' });
        const r = await rig.run({ inputs: { 'output-dir': dir }, wrap: onDisk(dir, 'size=1m') });
        assert.equal(r.code, 1, r.log.slice(-2000));
        const errors = r.log.split('\n').filter((l) => l.startsWith('::error::'));
        assert.equal(errors.length, 1, errors.join('\n'));
        if (unbounded) {
          assert.match(errors[0]!, new RegExp(`the disk holding 'output-dir' \\(${dir}\\) is full \\(ENOSPC\\)`));
        } else {
          assert.match(errors[0]!, new RegExp(`1 of 2 error log files could not be downloaded: ${BIG} \\(the disk holding 'output-dir' \\(${dir}\\) is too small for it: '${BIG}' is 2\\.00 MiB, 1\\.00 MiB is free and 51\\.2 KiB of that stays free`));
          assert.equal(r.outputs['file-count'], '1', 'the file that fits still came');
        }
        assert.doesNotMatch(r.log, /retrying/, 'not retried');
        assert.equal(rig.rds.fileRequests.filter((q) => q.path.includes('errorlog-0-')).length, 1, 'the big file was asked for once');
      });
    }
  });

  test('permanent: output-dir is a file, under a file, a link to nothing, or read-only: refused before any request, naming the input', async () => {
    await withRigAndDir('outdir-', async (rig, dir) => {
      const file = join(dir, 'a-file');
      await writeFile(file, 'x');
      const dangling = join(dir, 'dangling');
      await symlink(join(dir, 'nowhere'), dangling);
      const cases: Array<[string, RegExp, string[] | undefined]> = [
        [file, /Input 'output-dir': '.*a-file' is a file, not a folder/, undefined],
        [join(file, 'logs'), /Input 'output-dir': '.*a-file[\\/]logs' lies under/, undefined],
        [dangling, /Input 'output-dir': '.*dangling' is a link to nothing/, undefined],
        [join(dangling, 'logs'), /Input 'output-dir': '.*dangling[\\/]logs' lies under .*dangling, a link to nothing/, undefined],
      ];
      if (namespaces) cases.push([join(dir, 'ro', 'logs'), /Input 'output-dir': '.*ro\/logs' cannot be written: .*ro is not writable \(EROFS\)/, onDisk(join(dir, 'ro'), 'ro')]);
      await mkdir(join(dir, 'ro'));
      for (const [out, error, wrap] of cases) {
        const r = await rig.run({ inputs: { 'output-dir': out }, ...(wrap ? { wrap } : {}) });
        assert.equal(r.code, 1, r.log.slice(-2000));
        assert.match(r.log, error);
        assert.equal(rig.rds.apiRequests.length, 0, 'no request was sent');
      }
    });
  });

  test('permanent: inputs that could not be sent are refused before any request, naming the input', async () => {
    await withRig({ files: FILES, creatingCalls: 0 }, async (rig) => {
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{ token: 'emul\u00e4tor-token' }, /Input 'token': has a character other than visible ASCII at position 5 of 14(?!.*ä)/],
        [{ token: '', 'access-key': 'AKEXAMPLE0000000001', 'secret-key': 'sk', 'security-token': 't\u0151ken' }, /Input 'security-token': has a character other than visible ASCII at position 2 of 5/],
        [{ token: '', 'identity-provider': 'github actions\u00e9' }, /Input 'identity-provider': contains white space/],
        [{ token: '', 'identity-provider': 'gh/../admin' }, /Input 'identity-provider': 'gh\/\.\.\/admin' is not an identity provider name/],
        [{ since: '2099-01-01T00:00:00Z' }, /Input 'since': '2099-01-01T00:00:00Z' is in the future/],
      ];
      for (const [inputs, error] of cases) {
        const r = await rig.run({ inputs, env: { ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/token', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x' } });
        assert.equal(r.code, 1, r.log.slice(-2000));
        assert.match(r.log, error);
        assert.equal(rig.rds.apiRequests.length, 0, 'no request was sent');
      }
    });
  });

  test('cancelled: SIGINT mid-download winds down in order (exit 1, not the fallback exit), removes partial files, and says so', async () => {
    await withRig({ files: [{ name: 'huge.log', size: 50 * MiB }], creatingCalls: 0 }, async (rig) => {
      // 50 MiB at 1.6 MB/s: half a minute, so a run that sees the download through is still going at 15 s and is killed.
      rig.rds.failFile('huge.log', { kind: 'slow', bytesPer10ms: 16_000 });
      let sent = false;
      const r = await rig.run({
        timeoutMs: 15_000,
        onSpawn: (child, output) => {
          const timer = setInterval(() => {
            if (output().includes('::group::Downloading')) {
              clearInterval(timer);
              setTimeout(() => { sent = true; child.kill('SIGINT'); }, 300);
            }
          }, 20);
        },
      });
      assert.ok(sent, 'the signal was sent');
      assert.equal(r.signal, null, 'the action left by itself, it was not killed');
      // 1 is the failed step after an orderly wind-down; 130 would be cancel.ts's exit when the wind-down hangs.
      assert.equal(r.code, 1, r.log.slice(-2000));
      assert.match(r.stderr, /^Received SIGINT: cancelling$/m);
      assert.deepEqual(await readdir(r.outputs['output-dir'] ?? '').catch((): string[] => []), [], 'no partial file left');
      assert.match(r.summary, /Cancelled before any file was complete\./);
      assert.match(r.log, /::error::The run was cancelled/);
    });
  });

  /** Sends SIGINT once `ready` (given the log so far) says so; stops looking when the step ends first. */
  const interruptWhen = (ready: (output: string) => boolean, sent: { yes?: true }) => (child: ChildProcess, output: () => string): void => {
    const timer = setInterval(() => {
      if (ready(output())) {
        clearInterval(timer);
        sent.yes = true;
        child.kill('SIGINT');
      }
    }, 20);
    child.once('exit', () => clearInterval(timer));
  };

  test('cancelled during the upload (the artifact service never answers): the step ends in order, the files kept', async () => {
    await withRig({ files: FILES, creatingCalls: 0 }, async (rig) => {
      rig.artifacts.failNext('CreateArtifact', -1, 100);
      // Once the upload's first call has reached the service (which never answers it).
      const sent: { yes?: true } = {};
      const r = await rig.run({ timeoutMs: 20_000, onSpawn: interruptWhen(() => rig.artifacts.requests.some((q) => q.path.endsWith('/CreateArtifact')), sent) });
      assert.ok(sent.yes, 'the signal was sent');
      assert.equal(r.signal, null, 'the action left by itself, it was not killed');
      assert.equal(r.code, 1, r.log.slice(-2000));
      assert.match(r.log, /^::error::The run was cancelled; the files complete by then are kept$/m);
      assert.match(r.summary, /Cancelled\. 2 files were complete by then and are kept\./);
      for (const f of FILES) assert.ok((await readFile(join(r.outputs['output-dir'] ?? '', f.name))).equals(rig.rds.bytesOf(f.name)), `${f.name} kept whole`);
      assert.equal(r.outputs['artifact-id'] ?? '', '', 'no artifact');
    });
  });

  test("an artifact service that never answers holds the upload no longer than 'timeout' again: the step fails naming it, the files kept", async () => {
    await withRig({ files: FILES, creatingCalls: 0 }, async (rig) => {
      rig.artifacts.failNext('CreateArtifact', -1, 100);
      // 'request-timeout' 2s, not less: on a machine busy with other tests an API answer may take a second.
      const r = await rig.run({ inputs: { timeout: '3s', 'request-timeout': '2s' }, timeoutMs: 60_000 });
      assert.equal(r.signal, null, 'the action left by itself, it was not killed');
      assert.equal(r.code, 1, r.log.slice(-2000));
      assert.match(r.log, /^::error::the artifact upload did not finish within 8s \(as long as 'timeout', and at least four 'request-timeout's\); the files are kept in /m);
      for (const f of FILES) assert.ok((await readFile(join(r.outputs['output-dir'] ?? '', f.name))).equals(rig.rds.bytesOf(f.name)), `${f.name} kept whole`);
      assert.equal(r.outputs['artifact-id'] ?? '', '', 'no artifact');
      assert.match(r.summary, /did not finish within 8s/);
    });
  });

});
