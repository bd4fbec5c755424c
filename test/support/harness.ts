// Runs the action the way the runner does: a node process on the bundle, inputs as INPUT_* variables,
// outputs and summary through the files named by GITHUB_OUTPUT and GITHUB_STEP_SUMMARY.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRdsEmulator, type RdsEmulator, type RdsEmulatorOptions } from '../../emulator/rds.ts';
import { startArtifactService, type ArtifactService } from '../../emulator/artifact-service.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const ENTRY = process.env['ACTION_ENTRY'] ?? join(ROOT, 'dist/index.js');

export interface ActionRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Everything the process printed, stdout then stderr. */
  log: string;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  ms: number;
  /** RUNNER_TEMP of this run: the default output-dir lives under it. */
  temp: string;
}

export interface RunOptions {
  inputs: Record<string, string>;
  env?: Record<string, string>;
  /** Called once the process is running (e.g. to send it a signal). */
  onSpawn?: (child: import('node:child_process').ChildProcess, output: () => string) => void;
  timeoutMs?: number;
}

export async function runAction(o: RunOptions): Promise<ActionRun> {
  const temp = await mkdtemp(join(tmpdir(), 'action-run-'));
  const outputFile = join(temp, 'github_output');
  const summaryFile = join(temp, 'step_summary');
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? temp,
    RUNNER_TEMP: temp,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'deploy',
    GITHUB_WORKSPACE: temp,
    ...o.env,
  };
  for (const [k, v] of Object.entries(o.inputs)) env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;

  const started = Date.now();
  const child = spawn(process.execPath, [ENTRY], { env, cwd: temp, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  o.onSpawn?.(child, () => stdout + stderr);
  const killer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  clearTimeout(killer);
  return {
    code,
    signal,
    log: stdout + stderr,
    stdout,
    stderr,
    outputs: parseOutputs(await readFile(outputFile, 'utf8')),
    summary: await readFile(summaryFile, 'utf8'),
    ms: Date.now() - started,
    temp,
  };
}

/** Reads the `name<<delimiter` blocks @actions/core writes to GITHUB_OUTPUT. */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '');
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i] ?? '');
    out[m[1] as string] = value.join('\n');
  }
  return out;
}

export interface Rig {
  rds: RdsEmulator;
  artifacts: ArtifactService;
  /** Inputs that point the action at the emulator (token auth, fast polling). */
  inputs: Record<string, string>;
  /** Environment for the artifact service and the emulator's CA. */
  env: Record<string, string>;
  run(extra?: { inputs?: Record<string, string>; env?: Record<string, string>; onSpawn?: RunOptions['onSpawn']; timeoutMs?: number }): Promise<ActionRun>;
  close(): Promise<void>;
}

/** An RDS emulator plus an artifact service, and a way to run the action against both. */
export async function startRig(options: RdsEmulatorOptions = {}): Promise<Rig> {
  const rds = await startRdsEmulator({ creatingCalls: 1, ...options });
  const artifacts = await startArtifactService();
  const temps: string[] = [];
  const inputs = {
    'project-id': rds.projectId,
    'instance-id': rds.instanceId,
    token: rds.token,
    endpoint: rds.url,
    'poll-interval': '1s',
    timeout: '30s',
  };
  const env = { ...artifacts.env, NODE_EXTRA_CA_CERTS: rds.caFile };
  return {
    rds,
    artifacts,
    inputs,
    env,
    async run(extra = {}) {
      const r = await runAction({
        inputs: { ...inputs, ...extra.inputs },
        env: { ...env, ...extra.env },
        ...(extra.onSpawn ? { onSpawn: extra.onSpawn } : {}),
        ...(extra.timeoutMs ? { timeoutMs: extra.timeoutMs } : {}),
      });
      temps.push(r.temp);
      return r;
    },
    async close() {
      await Promise.all([rds.close(), artifacts.close()]);
      await Promise.all(temps.map((t) => rm(t, { recursive: true, force: true })));
    },
  };
}
