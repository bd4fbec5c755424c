// The demo: the action (dist/index.js) against the local RDS emulator and artifact service, as a runner would
// run it after a failed deployment, fetching the error and the slow-query logs (log-type: all). Prints the action's
// log, where the logs landed, and the job summary; then the same with the command line (dist/cli.js).
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { actionInputs, startRdsEmulator, type EmulatorFile } from '../emulator/rds.ts';
import { startArtifactService } from '../emulator/artifact-service.ts';
import { ROOT, runAction } from '../emulator/runner.ts';

// Real PostgreSQL logs (see test/fixtures/pg/README.md), served as the instance's error logs.
async function demoFiles(): Promise<EmulatorFile[]> {
  const dir = join(ROOT, 'test/fixtures/pg');
  const names = (await readdir(dir).catch((): string[] => [])).filter((n) => /^stderr.*\.log$/.test(n)).sort();
  if (names.length > 0) return Promise.all(names.map(async (n) => ({ name: `postgresql-${n}`, data: await readFile(join(dir, n)) })));
  return [{ name: 'postgresql.log', data: Buffer.from('2026-11-28 10:00:00 UTC [42] ERROR:  relation "orders" does not exist\n') }];
}

// A real slow-query log (log_min_duration_statement), served by slowlog-download.
async function demoSlowFiles(): Promise<EmulatorFile[]> {
  const dir = join(ROOT, 'test/fixtures/pg');
  const names = (await readdir(dir).catch((): string[] => [])).filter((n) => /^slowlog.*\.log$/.test(n)).sort();
  return Promise.all(names.map(async (n) => ({ name: `postgresql-${n}`, data: await readFile(join(dir, n)) })));
}

/** The runner hides ::debug:: lines unless debug logging is on; so does the demo. */
function withoutDebugLines(out: NodeJS.WritableStream): NodeJS.WritableStream {
  let partial = '';
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (!line.startsWith('::debug::')) out.write(line + '\n');
      cb();
    },
  });
}

const rds = await startRdsEmulator({ files: await demoFiles(), slowFiles: await demoSlowFiles(), creatingCalls: 2, schemeless: true });
const artifacts = await startArtifactService();
// Bold on a terminal only, and not with NO_COLOR: piped to a file or a pager the codes are noise.
const bold = process.stdout.isTTY === true && !process.env['NO_COLOR'];
const bar = (title: string): void => void process.stdout.write(`\n${bold ? '\x1b[1m' : ''}── ${title} ${'─'.repeat(Math.max(0, 70 - title.length))}${bold ? '\x1b[0m' : ''}\n`);
try {
  bar(`RDS emulator on ${rds.url}, object storage on ${rds.filesOrigin}`);
  const run = await runAction({
    inputs: { ...actionInputs(rds), 'log-type': 'all' },
    env: { ...artifacts.env, NODE_EXTRA_CA_CERTS: rds.caFile },
    echo: withoutDebugLines(process.stdout),
  });
  bar(`The action exited with ${run.code}`);
  const files = JSON.parse(run.outputs['files'] || '[]') as Array<{ path: string; size: number }>;
  process.stdout.write(`The logs landed in ${run.outputs['output-dir']}:\n`);
  for (const f of files) process.stdout.write(`  ${f.path} (${f.size} bytes)\n`);
  const [a] = artifacts.artifacts();
  if (a) process.stdout.write(`Artifact '${a.name}' (id ${a.id}, ${a.size} bytes zipped) is in the local artifact service.\n`);
  bar('Outputs');
  for (const [k, v] of Object.entries(run.outputs)) process.stdout.write(`  ${k} = ${v.length > 160 ? `${v.slice(0, 160)}…` : v}\n`);
  bar('Job summary (the Markdown GitHub renders on the run page)');
  process.stdout.write(run.summary + '\n');

  // The same logs with the command line, as during an incident on a laptop: credentials from OS_* variables.
  const cwd = await mkdtemp(join(tmpdir(), 'otc-rds-logs-demo-'));
  const args = ['--instance-id', rds.instanceId, '--project-id', rds.projectId, '--endpoint', rds.url, '--poll-interval', '1s'];
  bar(`$ OS_AUTH_TOKEN=… otc-rds-logs ${args.join(' ')}`);
  const child = spawn(process.execPath, [join(ROOT, 'dist/cli.js'), ...args], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', HOME: cwd, OS_AUTH_TOKEN: rds.token, NODE_EXTRA_CA_CERTS: rds.caFile, ...(process.stdout.isTTY ? { FORCE_COLOR: '1' } : {}) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const cliCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
  bar(`The command exited with ${cliCode}`);
  process.exitCode = run.code === 0 && cliCode === 0 ? 0 : 1;
} finally {
  await Promise.all([rds.close(), artifacts.close()]);
}
