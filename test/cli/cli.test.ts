// The `otc-rds-logs` command as people run it: the built dist/cli.js in its own process, flags and OS_*
// variables, against the RDS and IAM emulators over real sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeSync, openSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { ACCOUNT, CI_USER, iamFixture, ROOT, SUB_PROJECT, subProjectIam, withRig, type Rig } from '../support/harness.ts';
import { realPostgresLog } from '../../emulator/rds.ts';
import { FLAG_INPUTS, parseCommandLine } from '../../src/cli/args.ts';
import { isOwnPartFile, partPathFor } from '../../src/core/run.ts';
import { runnerCommands } from '../support/runner-commands.ts';
import { fixture, grep } from '../support/pg-fixtures.ts';

const CLI = join(ROOT, 'dist/cli.js');

const files = [
  { name: 'postgresql-2026-11-28_080000.log', data: Buffer.from('2026-11-28 08:00:01 UTC [101] ERROR:  relation "orders" does not exist\n2026-11-28 08:00:02 UTC [101] ERROR:  evil \x1b]0;pwned\x07 \x1b[2J text\n') },
  { name: 'postgresql-2026-11-28_090000.log', size: 2 * 1024 * 1024 + 3 },
];

interface CliRun { code: number | null; stdout: string; stderr: string; cwd: string }

/** Runs the built CLI in a fresh folder, with only the environment given (and PATH, HOME). */
async function cli(args: string[], env: Record<string, string>, o: { cwd?: string; onSpawn?: (c: ChildProcess, err: () => string) => void } = {}): Promise<CliRun> {
  const cwd = o.cwd ?? await mkdtemp(join(tmpdir(), 'cli-run-'));
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', HOME: cwd, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  o.onSpawn?.(child, () => stderr);
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(killer);
  return { code, stdout, stderr, cwd };
}

const fast = (rig: Rig): string[] => ['--instance-id', rig.rds.instanceId, '--endpoint', rig.rds.url, '--poll-interval', '1s', '--timeout', '30s'];
const caEnv = (rig: Rig): Record<string, string> => ({ NODE_EXTRA_CA_CERTS: rig.rds.caFile });

async function assertByteExact(rig: Rig, dir: string): Promise<void> {
  assert.deepEqual((await readdir(dir)).sort(), files.map((f) => f.name).sort(), 'the files, and no part files');
  for (const f of files) assert.ok((await readFile(join(dir, f.name))).equals(rig.rds.bytesOf(f.name)), `${f.name} differs from what was served`);
}

test('OS_AUTH_TOKEN: downloads byte-exact files to ./rds-logs-<instance>, shows progress and the digest, exits 0', async () => {
  await withRig({ files }, async (rig) => {
    const r = await cli([...fast(rig), '--project-id', rig.rds.projectId], { ...caEnv(rig), OS_AUTH_TOKEN: rig.rds.token });
    try {
      assert.equal(r.code, 0, r.stderr);
      const dir = join(r.cwd, `rds-logs-${rig.rds.instanceId}`);
      await assertByteExact(rig, dir);
      // The logs may hold passwords: on a shared host, other users cannot read them (nor list the folder it made).
      if (process.platform !== 'win32') {
        assert.equal((await stat(dir)).mode & 0o777, 0o700);
        for (const f of files) assert.equal((await stat(join(dir, f.name))).mode & 0o777, 0o600, f.name);
      }
      // Progress: not a TTY, so plain lines, one at least per file, with bytes, rate and (size known) ETA.
      for (const f of files) assert.match(r.stderr, new RegExp(`↓ ${f.name}: [\\d.]+ (B|KiB|MiB) of [\\d.]+ (B|KiB|MiB) \\(\\d+%\\), [\\d.]+ (B|KiB|MiB)/s`));
      assert.match(r.stderr, /ETA \d/);
      assert.doesNotMatch(r.stderr, /\x1b/, 'no escape codes when stderr is not a terminal');
      // A token is not checked until RDS answers: not 'signed in' before that.
      assert.match(r.stderr, /^Using an IAM token \(X-Auth-Token\); RDS checks it with the first request$/m);
      // The digest and where the files are, on stdout; the log's escape sequences are defused.
      assert.match(r.stdout, /2 ERROR in 2 files/);
      assert.match(r.stdout, /relation "orders" does not exist/);
      assert.match(r.stdout, /evil \ufffd\]0;pwned\ufffd \ufffd\[2J text/);
      assert.doesNotMatch(r.stdout, /\x1b/);
      assert.ok(r.stdout.includes(`The files are in ${dir}`), r.stdout);
      // No workflow commands outside GitHub Actions, and the token never printed.
      assert.doesNotMatch(r.stdout + r.stderr, /^::/m);
      assert.ok(!(r.stdout + r.stderr).includes(rig.rds.token));
      // The most frequent errors under a header that says what each column is; the recent entries, all of them.
      assert.match(r.stdout, /^ +times {2}level {2}last seen +message$/m);
      assert.match(r.stdout, /^Last 2 warnings and errors$/m);
    } finally {
      await rm(r.cwd, { recursive: true, force: true });
    }
  });
});

test('a crash is named above the errors, with what the killed process ran; --json counts crashes, not their lines', async () => {
  const data = await readFile(fixture('stderr-crashes.log'));
  await withRig({ files: [{ name: 'postgresql-2026-11-30_180717.log', data }] }, async (rig) => {
    const r = await cli([...fast(rig), '--project-id', rig.rds.projectId], { ...caEnv(rig), OS_AUTH_TOKEN: rig.rds.token });
    try {
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.split('\n');
      const crash = lines.findIndex((l) => /^First of 2 server crashes: .* LOG server process \(PID \d+\) was terminated by signal 9: Killed /.test(l));
      assert.ok(crash >= 0 && crash < lines.findIndex((l) => l.startsWith('First error: ')), r.stdout);
      assert.match(lines[crash + 1] ?? '', /^ {2}DETAIL: Failed process was running: INSERT INTO orders SELECT g/);
      assert.match(r.stdout, /^Last server crash: .* LOG database system was interrupted; /m);
    } finally {
      await rm(r.cwd, { recursive: true, force: true });
    }
    const json = await cli([...fast(rig), '--project-id', rig.rds.projectId, '--json'], { ...caEnv(rig), OS_AUTH_TOKEN: rig.rds.token });
    try {
      assert.equal(json.code, 0, json.stderr);
      const report = JSON.parse(json.stdout) as Record<string, unknown> & { digest: { crashes: number; firstCrash: { detail: string } } };
      assert.deepEqual([report['crash-count'], report.digest.crashes], ['2', 2]);
      assert.match(report.digest.firstCrash.detail, /^Failed process was running: INSERT INTO orders/);
    } finally {
      await rm(json.cwd, { recursive: true, force: true });
    }
  });
});

test('a report that cannot be written (stdout on a full disk) is a failure, named, not exit 0 with half a JSON object', async () => {
  await withRig({ files }, async (rig) => {
    for (const extra of [['--json'], []]) {
      const cwd = await mkdtemp(join(tmpdir(), 'cli-run-'));
      const full = openSync('/dev/full', 'w');
      try {
        const child = spawn(process.execPath, [CLI, ...fast(rig), '--project-id', rig.rds.projectId, ...extra], {
          cwd, env: { PATH: process.env['PATH'] ?? '', HOME: cwd, ...caEnv(rig), OS_AUTH_TOKEN: rig.rds.token }, stdio: ['ignore', full, 'pipe'],
        });
        let stderr = '';
        child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        assert.equal(code, 1, stderr);
        assert.match(stderr, /^otc-rds-logs: could not write the report to stdout: .*ENOSPC/m, extra.join(' '));
      } finally {
        closeSync(full);
        await rm(cwd, { recursive: true, force: true });
      }
    }
  });
  // --help and --version too: named, not a stack trace.
  const full = openSync('/dev/full', 'w');
  try {
    for (const flag of ['--help', '--version']) {
      const h = spawnSync(process.execPath, [CLI, flag], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
      assert.equal(h.status, 1, h.stderr);
      assert.match(h.stderr, /^otc-rds-logs: could not write to stdout: .*ENOSPC/m);
    }
  } finally {
    closeSync(full);
  }
});

test("'--timeout' during a download: every file not read is named on stdout, the one not kept too", async () => {
  const small = await readFile(fixture('stderr-rds-prefix.log'));
  await withRig({ files: [{ name: 'big.log', size: 40_000_000, repeat: realPostgresLog('stderr-rds-production.log') }, { name: 'small.log', data: small }], bytesPerSecondPerConnection: 2_000_000 }, async (rig) => {
    const r = await cli(['--instance-id', rig.rds.instanceId, '--endpoint', rig.rds.url, '--poll-interval', '1s', '--timeout', '3s', '--request-timeout', '2s', '--project-id', rig.rds.projectId],
      { ...caEnv(rig), OS_AUTH_TOKEN: rig.rds.token });
    try {
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /^big\.log was not read to the end \(--timeout came first\); its download did not complete either: what arrived is counted, and the file is not kept\.$/m);
      assert.match(r.stdout, /^small\.log was not read to the end \(--timeout came first\); the file is kept as downloaded\.$/m);
    } finally {
      await rm(r.cwd, { recursive: true, force: true });
    }
  });
});

test('three runs at once into one folder: each keeps every file, beside the others\' (-2, -3), none lost to a taken name', async () => {
  await withRig({ files }, async (rig) => {
    const cwd = await mkdtemp(join(tmpdir(), 'cli-run-'));
    try {
      const runs = await Promise.all([0, 1, 2].map(() => cli([...fast(rig), '--project-id', rig.rds.projectId, '--output-dir', 'logs', '--json'], { ...caEnv(rig), OS_AUTH_TOKEN: rig.rds.token }, { cwd })));
      for (const r of runs) assert.equal(r.code, 0, r.stderr);
      const listed = runs.flatMap((r) => (JSON.parse(r.stdout) as { files: Array<{ path: string }> }).files);
      const names = (await readdir(join(cwd, 'logs'))).sort();
      assert.equal(names.length, 3 * files.length, names.join(', '));
      assert.deepEqual(listed.map((f) => f.path.split(/[\\/]/).at(-1)).sort(), names, 'each run reports the files it kept');
      for (const n of names) {
        const served = files.find((f) => n.startsWith(f.name.replace(/\.log$/, '')))!.name;
        assert.ok((await readFile(join(cwd, 'logs', n))).equals(rig.rds.bytesOf(served)), `${n} is ${served} byte for byte`);
      }
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

test('--summary on a full disk: exit 1, named, and no half-written summary left', { skip: process.getuid?.() !== 0 ? 'a tmpfs mount needs root' : false }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cli-full-'));
  // 8 KiB: too small for the summary of a log of 300 distinct errors shown in full.
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8k', 'tmpfs', dir]);
  try {
    const log = Array.from({ length: 300 }, (_, i) => `2026-11-28 08:00:${String(i % 60).padStart(2, '0')} UTC [${i}] ERROR:  step ${'abcdefghijklmnopqrstuvwxyz'[i % 26]}${'abcdefghijklmnopqrstuvwxyz'[Math.floor(i / 26) % 26]} failed ${'x'.repeat(100)}\n`).join('');
    await withRig({ files: [{ name: 'postgresql-2026-11-28_080000.log', data: Buffer.from(log) }] }, async (rig) => {
      const r = await cli([...fast(rig), '--project-id', rig.rds.projectId, '--recent-entries', '200', '--summary', join(dir, 'summary.md'), '--json'], { ...caEnv(rig), OS_AUTH_TOKEN: rig.rds.token });
      try {
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /could not write the summary to .*summary\.md: .*ENOSPC/);
        // --json says so too: a script reading it must not take the run for a success.
        assert.match((JSON.parse(r.stdout) as { error: string }).error, /could not write the summary to .*ENOSPC/);
        assert.deepEqual(await readdir(dir), []);
      } finally {
        await rm(r.cwd, { recursive: true, force: true });
      }
      // A device given as the summary (a private /dev/full) fails the same, and is not removed: it is not the run's.
      const device = join(dir, 'full');
      execFileSync('mknod', [device, 'c', '1', '7']);
      const d = await cli([...fast(rig), '--project-id', rig.rds.projectId, '--summary', device], { ...caEnv(rig), OS_AUTH_TOKEN: rig.rds.token });
      try {
        assert.equal(d.code, 1, d.stderr);
        assert.match(d.stderr, /could not write the summary to .*full: .*ENOSPC/);
        assert.ok((await lstat(device)).isCharacterDevice(), 'the device is still there');
      } finally {
        await rm(d.cwd, { recursive: true, force: true });
      }
    });
  } finally {
    spawnSync('umount', [dir]);
    await rm(dir, { recursive: true, force: true });
  }
});

test('the recent entries shown are as many as --recent-entries keeps (20 by default), the newest', async () => {
  const log = Array.from({ length: 8 }, (_, i) => `2026-11-28 08:00:0${i} UTC [10${i}] ERROR:  step ${i} failed\n`).join('');
  await withRig({ files: [{ name: 'postgresql-2026-11-28_080000.log', data: Buffer.from(log) }] }, async (rig) => {
    for (const [extra, shown] of [[[], 8], [['--recent-entries', '3'], 3], [['--recent-entries', '1'], 1]] as const) {
      const r = await cli([...fast(rig), '--project-id', rig.rds.projectId, ...extra], { ...caEnv(rig), OS_AUTH_TOKEN: rig.rds.token });
      try {
        assert.equal(r.code, 0, r.stderr);
        const recent = r.stdout.slice(r.stdout.search(/\nLast (\d+ warnings and errors|warning or error)\n/));
        assert.match(recent, shown === 1 ? /^\nLast warning or error$/m : new RegExp(`^\\nLast ${shown} warnings and errors$`, 'm'));
        assert.match(r.stdout, /^First error: .* ERROR step 0 failed /m);
        assert.match(r.stdout, /^Last error: {2}.* ERROR step 7 failed /m);
        const steps = [...recent.matchAll(/ERROR step (\d) failed/g)].map((m) => Number(m[1]));
        assert.deepEqual(steps, Array.from({ length: shown }, (_, k) => 8 - shown + k), `with ${extra.join(' ') || 'no flag'}`);
      } finally {
        await rm(r.cwd, { recursive: true, force: true });
      }
    }
  });
});

test('--log-type slow: the slow-query log, what took the most time, and its digest in --json', async () => {
  const slow = await readFile(fixture('slowlog-rds-prefix.log'));
  const durations = grep(fixture('slowlog-rds-prefix.log'), /:LOG: {2}duration: /).map((l) => /duration: (\d+\.\d+) ms/.exec(l)![1]!);
  const slowest = durations.reduce((a, b) => (Number(b) > Number(a) ? b : a));
  const digits = slowest.split('.')[1]!.length;
  await withRig({ files: [], slowFiles: [{ name: 'postgresql-slow.log', data: slow }] }, async (rig) => {
    const r = await cli([...fast(rig), '--project-id', rig.rds.projectId, '--log-type', 'slow'], { ...caEnv(rig), OS_AUTH_TOKEN: rig.rds.token });
    try {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(rig.rds.errorlogRequests().length, 0, 'the error log was not asked for');
      assert.ok((await readFile(join(r.cwd, `rds-logs-${rig.rds.instanceId}`, 'postgresql-slow.log'))).equals(slow));
      assert.match(r.stdout, new RegExp(`^${durations.length} statements with a duration in 1 file, [\\d,.]+ ms in all\\.$`, 'm'));
      assert.ok(r.stdout.includes(`Slowest: ${Number(slowest).toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })} ms `), r.stdout);
      assert.match(r.stdout, /^ +calls {2}total ms {2}mean ms {2}statement$/m);
    } finally {
      await rm(r.cwd, { recursive: true, force: true });
    }
    const j = await cli([...fast(rig), '--project-id', rig.rds.projectId, '--log-type', 'slow', '--json'], { ...caEnv(rig), OS_AUTH_TOKEN: rig.rds.token });
    try {
      assert.equal(j.code, 0, j.stderr);
      const report = JSON.parse(j.stdout) as { 'slow-query-count': string; slow: { count: number } | null; digest: unknown };
      assert.equal(report['slow-query-count'], String(durations.length));
      assert.equal(report.slow?.count, durations.length);
      assert.equal(report.digest, null);
    } finally {
      await rm(j.cwd, { recursive: true, force: true });
    }
  });
});

test('OS_ACCESS_KEY + OS_SECRET_KEY sign the requests (AK/SK); the project is found through IAM', async () => {
  await withRig({ files, iam: iamFixture() }, async (rig) => {
    const r = await cli([...fast(rig), '--iam-endpoint', rig.iam!.url, '--output-dir', 'logs'], {
      ...caEnv(rig), OS_ACCESS_KEY: CI_USER.accessKey, OS_SECRET_KEY: CI_USER.secretKey,
    });
    try {
      assert.equal(r.code, 0, r.stderr);
      await assertByteExact(rig, join(r.cwd, 'logs'));
      assert.ok(rig.rds.apiRequests.every((q) => String(q.headers.authorization).startsWith('SDK-HMAC-SHA256 Access=' + CI_USER.accessKey)));
      assert.ok(!(r.stdout + r.stderr).includes(CI_USER.secretKey));
    } finally {
      await rm(r.cwd, { recursive: true, force: true });
    }
  });
});

test('clouds.yaml in the working folder: --os-cloud picks the cloud, password sign-in at its auth_url', async () => {
  await withRig({ files, iam: iamFixture() }, async (rig) => {
    const cwd = await mkdtemp(join(tmpdir(), 'cli-run-'));
    try {
      await writeFile(join(cwd, 'clouds.yaml'), [
        'clouds:',
        '  other: {auth: {token: nope}}',
        `  nodomain: {auth: {username: ${CI_USER.name}, password: x}}`,
        '  otc:',
        '    region_name: eu-de',
        '    auth:',
        `      auth_url: ${rig.iam!.url}/v3`,
        `      username: ${CI_USER.name}`,
        `      password: '${CI_USER.password}'`,
        `      user_domain_name: ${ACCOUNT.name}`,
        `      project_id: ${rig.rds.projectId}`,
      ].join('\n'));
      // OS_AUTH_TOKEN is ignored once a cloud is named, as openstacksdk does.
      const r = await cli([...fast(rig), '--os-cloud', 'otc', '--json'], { ...caEnv(rig), OS_AUTH_TOKEN: 'not-this-one' }, { cwd });
      assert.equal(r.code, 0, r.stderr);
      await assertByteExact(rig, join(cwd, `rds-logs-${rig.rds.instanceId}`));
      assert.equal(rig.iam!.state.requests.filter((q) => q.path.startsWith('/v3/auth/tokens')).length, 1, 'one password sign-in');
      // Where the settings came from; a file in the current folder (a repository just cloned may carry one, its
      // auth_url receiving the password) is named as such.
      assert.ok(r.stderr.includes(`Cloud 'otc' from ${join(cwd, 'clouds.yaml')}`), r.stderr);
      assert.ok(r.stderr.includes(`${join(cwd, 'clouds.yaml')} is in the current folder, read before your own config folder: check that it is yours`), r.stderr);
      assert.ok(!(r.stdout + r.stderr).includes(CI_USER.password));

      // --json: one JSON document and nothing else on stdout: the action's outputs and the digest.
      const report = JSON.parse(r.stdout) as Record<string, unknown> & { digest: { bySeverity: Record<string, number> }; files: Array<{ instance: string }> };
      assert.equal(report['status'], 'FINISH');
      assert.equal(report['file-count'], '2');
      assert.equal(report['error-count'], '2');
      assert.equal(report['crash-count'], '0');
      assert.equal(report.digest.bySeverity['ERROR'], 2);
      assert.deepEqual(report.files.map((f) => f.instance), ['shop-db', 'shop-db']);
      assert.equal(report['error'], null);

      const bad = await cli([...fast(rig), '--os-cloud', 'missing'], {}, { cwd });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--os-cloud: 'missing' is not a cloud in .*clouds\.yaml \(it has other, nodomain, otc\)/);
      // What is missing from a cloud is named as the cloud's key, not as an OS_* variable the cloud ignores.
      const noDomain = await cli([...fast(rig), '--os-cloud', 'nodomain'], {}, { cwd });
      assert.equal(noDomain.code, 2);
      assert.match(noDomain.stderr, /auth\.user_domain_name of cloud 'nodomain' in .*clouds\.yaml: is required with auth\.username/);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

test('a sub-project by name: clouds.yaml\'s auth.project_name, OS_PROJECT_NAME, --project-name; an ID given too wins unless a flag says otherwise', async () => {
  const SUB = SUB_PROJECT;
  await withRig({ files, projectId: SUB.id, iam: subProjectIam() }, async (rig) => {
    const cwd = await mkdtemp(join(tmpdir(), 'cli-run-'));
    const password = { OS_USERNAME: CI_USER.name, OS_PASSWORD: CI_USER.password, OS_USER_DOMAIN_NAME: ACCOUNT.name };
    const iam = ['--iam-endpoint', rig.iam!.url];
    /** The project each run's password sign-in was scoped to. */
    const scopes = (): Array<string | undefined> => [...rig.iam!.state.tokens.values()].map((t) => t.project.name);
    try {
      await writeFile(join(cwd, 'clouds.yaml'), [
        'clouds:',
        '  reporting:',
        '    region_name: eu-de',
        `    auth: {auth_url: '${rig.iam!.url}/v3', username: ${CI_USER.name}, password: '${CI_USER.password}', user_domain_name: ${ACCOUNT.name}, project_name: ${SUB.name}}`,
      ].join('\n'));
      const cloud = await cli([...fast(rig), '--os-cloud', 'reporting', '--output-dir', 'a'], {}, { cwd });
      assert.equal(cloud.code, 0, cloud.stderr);
      assert.match(cloud.stderr, new RegExp(`Project ${SUB.id}, from the token`));
      assert.deepEqual(scopes(), [SUB.name]);

      // IAM where an openrc file says it is (OS_AUTH_URL, the Identity v3 root).
      const env = await cli([...fast(rig), '--output-dir', 'b'], { ...password, OS_AUTH_URL: `${rig.iam!.url}/v3`, OS_PROJECT_NAME: SUB.name }, { cwd });
      assert.equal(env.code, 0, env.stderr);
      assert.deepEqual(scopes(), [SUB.name, SUB.name]);

      // An openrc file sets both: the ID is used (the name here is the region's, which would be the wrong project).
      const both = await cli([...fast(rig), ...iam, '--output-dir', 'c'], { ...password, OS_PROJECT_ID: SUB.id, OS_PROJECT_NAME: 'eu-de' }, { cwd });
      assert.equal(both.code, 0, both.stderr);
      assert.equal([...rig.iam!.state.tokens.values()].at(-1)?.project.id, SUB.id);

      // A flag for the project sets the environment's other way aside.
      const flag = await cli([...fast(rig), ...iam, '--output-dir', 'd', '--project-name', SUB.name], { ...password, OS_PROJECT_ID: '9f1e2d3c4b5a69788796a5b4c3d2e1f0' }, { cwd });
      assert.equal(flag.code, 0, flag.stderr);
      assert.equal(scopes().at(-1), SUB.name);
      assert.ok(rig.rds.apiRequests.every((q) => q.path.startsWith(`/v3/${SUB.id}/`)));
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

test('outside GitHub Actions too (GITHUB_ACTIONS unset), no API or log text becomes a CI command or a line of its own', async () => {
  // GITHUB_ACTIONS is dropped by `docker run`, `sudo` and `env -i` inside a step; and other CI systems read
  // their own markers (Azure Pipelines ##vso[, TeamCity ##teamcity[).
  const log = [
    '2026-11-28 08:00:01 UTC [7] ERROR:  x ##vso[task.setvariable variable=PWNED]1',
    '2026-11-28 08:00:02 UTC [7] ERROR:  y ##teamcity[buildStatus text=\'PWNED\']',
    '::add-mask::PWNED',
  ].join('\n') + '\n';
  const hostile = [
    { name: 'a.log\n::warning::PWNED forged\rPWNED line\r##[error]PWNED', data: Buffer.from(log) },
    { name: 'b.log\r\n::error::PWNED bad\rPWNED line', size: 100 },
  ];
  await withRig({ files: hostile }, async (rig) => {
    rig.rds.failFile(hostile[1]!.name, { kind: 'status', status: 400, code: '::stop-commands::PWNED' }, 10);
    for (const extra of [[], ['--json']]) {
      const r = await cli([...fast(rig), ...extra], { OS_AUTH_TOKEN: rig.rds.token, OS_PROJECT_ID: rig.rds.projectId });
      await rm(r.cwd, { recursive: true, force: true });
      assert.equal(r.code, 1, r.stderr);
      const out = r.stdout + '\n' + r.stderr;
      assert.ok(out.includes('PWNED'), `the hostile text is shown, as text: ${out}`);
      assert.deepEqual(runnerCommands(out).filter((c) => c.line.includes('PWNED')), [], 'no GitHub command');
      assert.doesNotMatch(out, /##(vso|teamcity)\[/, 'no Azure Pipelines or TeamCity marker');
      for (const line of out.split(/\r\n|\r|\n/)) assert.doesNotMatch(line, /^\s*(: ?:|## ?\[|PWNED)/, `a line the API started: ${line}`);
    }
  });
});

test('OS_PASSWORD as set, its spaces too (keystoneauth sends them); --summary=~/… in the home folder, as --output-dir', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'cli-home-'));
  t.after(() => rm(home, { recursive: true, force: true }));
  const env = { HOME: home, OS_USERNAME: ' bot ', OS_PASSWORD: '  pass word  ', OS_USER_DOMAIN_NAME: 'OTC-1', OS_PROJECT_ID: 'p1' };
  // A token's white space is no part of it (a file's line end, say): trimmed, as before.
  const token = await parseCommandLine(['--instance-id', 'i1'], { OS_AUTH_TOKEN: 'MIItoken\n' }, home);
  assert.deepEqual(token.kind === 'run' && token.config.auth, { kind: 'token', token: 'MIItoken' });
  const parsed = await parseCommandLine(['--instance-id', 'i1', '--summary=~/s.md', '--output-dir=~/logs'], env, home);
  assert.equal(parsed.kind, 'run');
  if (parsed.kind !== 'run') return;
  assert.deepEqual(parsed.config.auth, { kind: 'password', username: 'bot', password: '  pass word  ', domain: 'OTC-1' });
  assert.equal(parsed.summaryFile, join(home, 's.md'));
  assert.equal(parsed.config.outputDir, join(home, 'logs'));
});

test('bad usage and bad input exit 2 naming the flag or variable, before any request', async () => {
  await withRig({ files }, async (rig) => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [[...fast(rig), '--since', 'yesterday'], { OS_AUTH_TOKEN: 't' }, /--since: 'yesterday' is neither an ISO-8601 time/],
      [[...fast(rig), '--poll-interval', '5m', '--timeout', '1m'], { OS_AUTH_TOKEN: 't' }, /--poll-interval: 5m is longer than --timeout \(1m\): raise --timeout or lower --poll-interval/],
      [fast(rig), { OS_AUTH_TOKEN: 't', OS_ACCESS_KEY: 'AK1', OS_SECRET_KEY: 's' }, /OS_AUTH_TOKEN, OS_ACCESS_KEY and OS_SECRET_KEY: belong to 2 auth modes/],
      [fast(rig), { OS_TOKEN: 't', OS_ACCESS_KEY: 'AK1', OS_SECRET_KEY: 's' }, /OS_TOKEN, OS_ACCESS_KEY and OS_SECRET_KEY: belong to 2 auth modes/],
      [fast(rig), { OS_USERNAME: 'u' }, /OS_PASSWORD and OS_USER_DOMAIN_NAME or OS_DOMAIN_NAME: are required with OS_USERNAME/],
      [[...fast(rig), '--token', 'x'], {}, /--token: secrets are never taken on the command line/],
      [[...fast(rig), '--upload'], { OS_AUTH_TOKEN: 't' }, /Unknown option '--upload'/],
      [[...fast(rig), '--summary', '/proc/version/summary.md'], { OS_AUTH_TOKEN: 't' }, /--summary: '\/proc\/version\/summary\.md' cannot be written: \/proc\/version is a file, not a folder/],
      [[...fast(rig), '--summary', '/tmp'], { OS_AUTH_TOKEN: 't' }, /--summary: '\/tmp' is a folder, not a file/],
      [fast(rig), { OS_AUTH_TOKEN: 't', OS_PROJECT_NAME: 'eu-nl_reporting' }, /OS_PROJECT_NAME: 'eu-nl_reporting' is not a project of region 'eu-de': .*; set --region to the project's region/],
      [fast(rig), { OS_AUTH_TOKEN: 't', OS_TENANT_NAME: 'eu-nl_reporting', OS_REGION_NAME: 'eu-de' }, /OS_TENANT_NAME: 'eu-nl_reporting' is not a project of region 'eu-de': .*; set OS_REGION_NAME to the project's region/],
      [[...fast(rig), '--project-id', 'p1', '--project-name', 'eu-de_x'], { OS_AUTH_TOKEN: 't' }, /--project-id and --project-name: are both set/],
      [fast(rig), {}, /^otc-rds-logs: OS_AUTH_TOKEN or OS_TOKEN, OS_ACCESS_KEY and OS_USERNAME: none is set; credentials of one auth mode are needed: OS_AUTH_TOKEN or OS_TOKEN; .*; or a cloud from clouds\.yaml \(--os-cloud or OS_CLOUD\)\. /],
      // Whoever calls may pass anything: a terminal's control sequence in a value or a flag is shown, not run.
      [[...fast(rig), '--since', 'x\u001b]0;OWNED\u0007\u001b[2Jy'], { OS_AUTH_TOKEN: 't' }, /--since: 'x\ufffd\]0;OWNED\ufffd\ufffd\[2Jy' is neither/],
      [[...fast(rig), '--x\u001b[2J'], { OS_AUTH_TOKEN: 't' }, /Unknown option '--x\ufffd\[2J'/],
    ];
    for (const [args, env, pattern] of cases) {
      const r = await cli(args, env);
      await rm(r.cwd, { recursive: true, force: true });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/, 'no control character reaches the terminal');
      assert.equal(r.stdout, '', 'no report without --json');
    }
    // With --json, a script gets an object naming the error, not an empty stdout.
    for (const [args, pattern] of [[[...fast(rig), '--json', '--since', 'yesterday'], /--since: 'yesterday' is neither/], [[...fast(rig), '--json', '--no-such-flag'], /Unknown option '--no-such-flag'/]] as const) {
      const r = await cli([...args], { OS_AUTH_TOKEN: 't' });
      await rm(r.cwd, { recursive: true, force: true });
      assert.equal(r.code, 2, r.stderr);
      assert.match((JSON.parse(r.stdout) as { error: string }).error, pattern);
    }
    assert.equal(rig.rds.apiRequests.length, 0, 'no request reached RDS');
  });
});

test('an output folder found unusable (a link to nothing): exit 2 naming --output-dir, the --json report still printed, no request', async () => {
  await withRig({ files }, async (rig) => {
    const cwd = await mkdtemp(join(tmpdir(), 'cli-run-'));
    try {
      await symlink(join(cwd, 'nowhere'), join(cwd, 'logs'));
      const r = await cli([...fast(rig), '--project-id', rig.rds.projectId, '--output-dir', 'logs', '--json'], { ...caEnv(rig), OS_AUTH_TOKEN: rig.rds.token }, { cwd });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^otc-rds-logs: --output-dir: '.*logs' is a link to nothing$/m);
      const report = JSON.parse(r.stdout) as { error: string };
      assert.match(report.error, /--output-dir: '.*logs' is a link to nothing/);
      assert.equal(rig.rds.apiRequests.length, 0, 'no request reached RDS');
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

test("an interrupted run's cleanup takes its own part files only: not another run's, not a user's '.part-' file", () => {
  assert.equal(isOwnPartFile(basename(partPathFor('/out', 3))), true);
  for (const name of ['.part-0-1-abcdef', '.part-notes.txt', `x${basename(partPathFor('/out', 3))}`]) assert.equal(isOwnPartFile(name), false, name);
});

test('Ctrl-C, SIGTERM (GitLab, Jenkins, timeout), SIGHUP (a closed terminal): exit 128 + the signal, no partial file left', async () => {
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    await interrupted(sig, code);
  }
});

async function interrupted(sig: NodeJS.Signals, code: number): Promise<void> {
  await withRig({ files }, async (rig) => {
    rig.rds.failFile(files[1]!.name, { kind: 'stall-after', bytes: 64 * 1024 });
    let sent = false;
    // Not this run's: a user's file named so, and another run's part file (a run into the same folder goes on).
    const cwd = await mkdtemp(join(tmpdir(), 'cli-run-'));
    const outDir = join(cwd, `rds-logs-${rig.rds.instanceId}`);
    const others = ['.part-0-1-abcdef', '.part-notes.txt'];
    await mkdir(outDir, { mode: 0o700 });
    for (const n of others) await writeFile(join(outDir, n), 'not yours\n');
    const r = await cli([...fast(rig), '--project-id', rig.rds.projectId], { ...caEnv(rig), OS_AUTH_TOKEN: rig.rds.token }, {
      cwd,
      onSpawn: (child, err) => {
        const timer = setInterval(() => {
          // Once the stalled file has started, interrupt.
          if (!sent && err().includes(`↓ ${files[1]!.name}`)) {
            sent = true;
            child.kill(sig);
            clearInterval(timer);
          }
        }, 20);
        child.on('close', () => clearInterval(timer));
      },
    });
    try {
      assert.ok(sent, r.stderr);
      assert.equal(r.code, code, `${sig}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`Received ${sig}: cancelling`));
      const left = await readdir(outDir);
      assert.deepEqual(left.filter((n) => n.startsWith('.part-')).sort(), others, `${sig}: no part file of its own left, and nobody else's removed`);
      assert.ok(!left.includes(files[1]!.name), `${sig}: the interrupted file is not there`);
    } finally {
      await rm(r.cwd, { recursive: true, force: true });
    }
  });
}

test('colour: on when forced, off when NO_COLOR is set', async () => {
  await withRig({ files: [files[0]!] }, async (rig) => {
    const args = [...fast(rig), '--project-id', rig.rds.projectId];
    const env = { ...caEnv(rig), OS_AUTH_TOKEN: rig.rds.token, FORCE_COLOR: '1' };
    const coloured = await cli(args, env);
    const plain = await cli(args, { ...env, NO_COLOR: '1' });
    await Promise.all([coloured, plain].map((r) => rm(r.cwd, { recursive: true, force: true })));
    assert.equal(coloured.code, 0, coloured.stderr);
    assert.match(coloured.stdout, /\x1b\[33m2 ERROR\x1b\[39m/);
    assert.equal(plain.code, 0, plain.stderr);
    assert.doesNotMatch(plain.stdout, /\x1b\[/);
  });
});

test('--summary FILE writes the Markdown of the job summary; --help and --version', async () => {
  await withRig({ files: [files[0]!] }, async (rig) => {
    // Into the output folder, which the run itself creates: not refused for being missing at the start.
    const r = await cli([...fast(rig), '--project-id', rig.rds.projectId, '--output-dir', 'logs', '--summary', 'logs/summary.md'], { ...caEnv(rig), OS_AUTH_TOKEN: rig.rds.token });
    try {
      assert.equal(r.code, 0, r.stderr);
      const md = await readFile(join(r.cwd, 'logs', 'summary.md'), 'utf8');
      // It quotes the logs: the owner's only, as they are.
      if (process.platform !== 'win32') assert.equal((await stat(join(r.cwd, 'logs', 'summary.md'))).mode & 0o777, 0o600);
      assert.match(md, /^## RDS error logs: instance shop-db \(/);
      assert.match(md, /### What the PostgreSQL logs say/);
      assert.match(md, /relation "orders" does not exist/);
    } finally {
      await rm(r.cwd, { recursive: true, force: true });
    }
  });
  const help = await cli(['--help'], {});
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: otc-rds-logs/);
  const unlisted = FLAG_INPUTS.filter((f) => !help.stdout.includes(`  --${f} `));
  assert.deepEqual(unlisted, [], '--help lists every flag');
  const version = await cli(['--version'], {});
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
  assert.equal(version.stdout, `otc-rds-logs ${pkg.version}\n`);
  // A script reading --json gets JSON here too.
  const versionJson = await cli(['--version', '--json'], {});
  assert.deepEqual([versionJson.code, JSON.parse(versionJson.stdout)], [0, { name: 'otc-rds-logs', version: pkg.version }]);
  assert.equal(pkg.bin['otc-rds-logs'], 'dist/cli.js');
  await Promise.all([help, version, versionJson].map((r) => rm(r.cwd, { recursive: true, force: true })));
});

test("every flag is one of the action's inputs (action.yml, read by a YAML parser)", async () => {
  const action = parse(await readFile(join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> };
  for (const flag of FLAG_INPUTS) assert.ok(flag in action.inputs, `--${flag} is not an input of the action`);
});

test('a warning quoting the access key (403 on the instance check) shows it as *** on the terminal', async () => {
  // A terminal has no log masker: the command itself must keep credentials out of every line it prints.
  await withRig({ files, iam: iamFixture() }, async (rig) => {
    rig.rds.failApi({ kind: 'status', status: 403, body: { error_code: 'APIGW.0301', error_msg: `Incorrect IAM authentication information: ak:${CI_USER.accessKey}` } }, 1, 'instances');
    const r = await cli([...fast(rig), '--iam-endpoint', rig.iam!.url, '--output-dir', 'logs'], {
      ...caEnv(rig), OS_ACCESS_KEY: CI_USER.accessKey, OS_SECRET_KEY: CI_USER.secretKey,
    });
    try {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /warning: .*Could not check the instance.*ak:\*\*\*/);
      assert.ok(!(r.stdout + r.stderr).includes(CI_USER.accessKey), r.stderr);
    } finally {
      await rm(r.cwd, { recursive: true, force: true });
    }
  });
});

test("a download redirected to the cloud's metadata address is refused, as in the action", async () => {
  // The link itself is allowed (loopback, like the endpoint); where it redirects to must pass the same rules.
  const hop = createServer((_req, res) => res.writeHead(302, { Location: 'http://169.254.169.254/latest/meta-data/?Signature=x' }).end());
  await new Promise<void>((resolve) => hop.listen(0, '127.0.0.1', resolve));
  const link = `http://127.0.0.1:${(hop.address() as AddressInfo).port}/meta.log?Signature=abc`;
  try {
    await withRig({ files }, async (rig) => {
      rig.rds.failApi({ kind: 'raw', status: 200, body: JSON.stringify({ status: 'FINISH', count: 1, list: [{ file_name: 'meta.log', status: 'SUCCESS', file_size: '10', file_link: link }] }) }, 5);
      const r = await cli([...fast(rig), '--project-id', rig.rds.projectId, '--timeout', '5s', '--request-timeout', '2s'], { ...caEnv(rig), OS_AUTH_TOKEN: rig.rds.token });
      try {
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /meta\.log \(.*a download host's redirect points to 169\.254\.169\.254, a link-local address.*refused/);
      } finally {
        await rm(r.cwd, { recursive: true, force: true });
      }
    });
  } finally {
    hop.close();
  }
});

test('messages from the run name what the command line takes (--instance-name, OS_ACCESS_KEY), not the action\'s inputs', async () => {
  await withRig({ files }, async (rig) => {
    const r = await cli(['--instance-name', 'shop-dbb', '--endpoint', rig.rds.url, '--project-id', rig.rds.projectId, '--json'], { ...caEnv(rig), OS_AUTH_TOKEN: rig.rds.token });
    try {
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /No RDS instance is named 'shop-dbb' .*\. Check --instance-name, --region and --project-id/);
      assert.match((JSON.parse(r.stdout) as { error: string }).error, /Check --instance-name, --region and --project-id/);
      assert.doesNotMatch(r.stdout + r.stderr, /'instance-name'/);
    } finally {
      await rm(r.cwd, { recursive: true, force: true });
    }
  });
  await withRig({ files, iam: iamFixture() }, async (rig) => {
    const r = await cli([...fast(rig), '--project-id', rig.rds.projectId, '--iam-endpoint', rig.iam!.url], { ...caEnv(rig), OS_ACCESS_KEY: CI_USER.accessKey, OS_SECRET_KEY: 'not-the-secret-key-of-this-access-key' });
    try {
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /The AK\/SK signature was refused: check OS_ACCESS_KEY and OS_SECRET_KEY/);
    } finally {
      await rm(r.cwd, { recursive: true, force: true });
    }
  });
});

test("an API trickling its answer cannot hold the command past 'timeout' and one 'request-timeout'", async () => {
  await withRig({ files }, async (rig) => {
    rig.rds.failApi({ kind: 'trickle', part: 'body' }, 10);
    const r = await cli([...fast(rig), '--project-id', rig.rds.projectId, '--timeout', '1s', '--request-timeout', '4s'], { ...caEnv(rig), OS_AUTH_TOKEN: rig.rds.token });
    try {
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /--timeout \(1s\) and one --request-timeout \(4s\) ran out during POST/);
    } finally {
      await rm(r.cwd, { recursive: true, force: true });
    }
  });
});

test("an IAM error body quoting the token is redacted before it is cut: no prefix of the token is printed", async () => {
  // Token mode without --project-id asks IAM for the token's own projects; this IAM answers 400 quoting it.
  const token = `MIIT${'x9Az'.repeat(120)}`;
  const iam = createServer((_req, res) => res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`Bad request: the token ${token} is not valid here`));
  await new Promise<void>((resolve) => iam.listen(0, '127.0.0.1', resolve));
  try {
    await withRig({ files, tokens: [token] }, async (rig) => {
      const r = await cli([...fast(rig), '--iam-endpoint', `http://127.0.0.1:${(iam.address() as AddressInfo).port}`], { ...caEnv(rig), OS_AUTH_TOKEN: token });
      try {
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /IAM project lookup \(the token's own projects\).*HTTP 400.*the token \*\*\* is not valid/);
        assert.ok(!(r.stdout + r.stderr).includes(token.slice(0, 40)), r.stderr);
      } finally {
        await rm(r.cwd, { recursive: true, force: true });
      }
    });
  } finally {
    iam.close();
  }
});

test('clouds.yaml project spellings openstacksdk takes, and empty flags that set nothing aside', async () => {
  const SUB = SUB_PROJECT;
  await withRig({ files, projectId: SUB.id, iam: subProjectIam() }, async (rig) => {
    const cwd = await mkdtemp(join(tmpdir(), 'cli-run-'));
    const password = { OS_USERNAME: CI_USER.name, OS_PASSWORD: CI_USER.password, OS_USER_DOMAIN_NAME: ACCOUNT.name };
    const auth = `auth_url: '${rig.iam!.url}/v3', username: ${CI_USER.name}, password: '${CI_USER.password}', user_domain_name: ${ACCOUNT.name}`;
    try {
      await writeFile(join(cwd, 'clouds.yaml'), [
        'clouds:',
        `  top: {region_name: eu-de, project_name: ${SUB.name}, auth: {${auth}}}`,
        `  tenant: {region_name: eu-de, auth: {${auth}, tenant_id: ${SUB.id}}}`,
      ].join('\n'));
      for (const [i, cloud] of ['top', 'tenant'].entries()) {
        const r = await cli([...fast(rig), '--os-cloud', cloud, '--output-dir', `c${i}`], {}, { cwd });
        assert.equal(r.code, 0, `${cloud}: ${r.stderr}`);
        // By name (top-level project_name): the id comes from the token; by id (tenant_id): as given.
        assert.match(r.stderr, new RegExp(`^Project ${SUB.id}${cloud === 'top' ? ', from the token' : ''}$`, 'm'));
      }
      // '--os-cloud ""' does not set OS_CLOUD aside (whose cloud has the credentials), nor '--summary ""' write one.
      const cloudEnv = await cli([...fast(rig), '--os-cloud', '', '--summary', '', '--output-dir', 'o'], { OS_CLOUD: 'top' }, { cwd });
      assert.equal(cloudEnv.code, 0, cloudEnv.stderr);
      assert.match(cloudEnv.stderr, new RegExp(`^Project ${SUB.id}, from the token$`, 'm'));
      // '--project-name ""' (an unset variable) does not set OS_PROJECT_ID aside; '--region ""' not OS_REGION_NAME.
      const empty = await cli([...fast(rig), '--iam-endpoint', rig.iam!.url, '--project-name', '', '--region', '', '--output-dir', 'e'], { ...password, OS_PROJECT_ID: SUB.id, OS_REGION_NAME: 'eu-de' }, { cwd });
      assert.equal(empty.code, 0, empty.stderr);
      assert.equal([...rig.iam!.state.tokens.values()].at(-1)?.project.id, SUB.id);
      assert.ok(rig.rds.apiRequests.every((q) => q.path.startsWith(`/v3/${SUB.id}/`)));
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

const hasScript = spawnSync('script', ['--version']).status === 0;

test('a terminal that closes (a real hangup: writing to it fails with EIO) still gets its part files removed', { skip: !hasScript && 'needs script(1) for a pseudo-terminal' }, async () => {
  await withRig({ files: [{ name: 'slow.log', size: 8 * 1024 * 1024 }], bytesPerSecondPerConnection: 200_000 }, async (rig) => {
    const cwd = await mkdtemp(join(tmpdir(), 'cli-hup-'));
    try {
      const command = [process.execPath, CLI, ...fast(rig), '--project-id', rig.rds.projectId, '--output-dir', 'out'].map((a) => `'${a}'`).join(' ');
      // script(1) runs the command on a pseudo-terminal; killing script closes it, and the kernel hangs the command up.
      const terminal = spawn('script', ['-qec', command, '/dev/null'], { cwd, env: { PATH: process.env['PATH'] ?? '', HOME: cwd, OS_AUTH_TOKEN: rig.rds.token }, stdio: 'ignore' });
      const out = join(cwd, 'out');
      const parts = async (): Promise<string[]> => (await readdir(out).catch((): string[] => [])).filter((n) => n.startsWith('.part-'));
      for (let i = 0; i < 200 && (await parts()).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok((await parts()).length > 0, 'the download had started');
      terminal.kill('SIGKILL');
      for (let i = 0; i < 100 && (await parts()).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(await parts(), [], 'no part file left');
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

test('with --since, errors whose time could not be read (a zone no table places) are named, never "No errors"', async () => {
  const log = '2024-01-15 10:00:00 CST:10.0.0.1(5432):app@shop:[1]:ERROR:  relation "x" does not exist\n';
  await withRig({ files: [{ name: 'postgresql-cst.log', data: Buffer.from(log) }] }, async (rig) => {
    const r = await cli([...fast(rig), '--project-id', rig.rds.projectId, '--since', '1m'], { ...caEnv(rig), OS_AUTH_TOKEN: rig.rds.token });
    await rm(r.cwd, { recursive: true, force: true });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /No log entries with a readable time since .* in 1 file; 1 ERROR could not be placed in the window: their time could not be read\./);
    assert.doesNotMatch(r.stdout, /No errors/);
  });
});
