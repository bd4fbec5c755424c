// A stand-in for the Actions runner: a node process on the bundle, inputs as INPUT_* variables,
// outputs and summary through the files named by GITHUB_OUTPUT and GITHUB_STEP_SUMMARY.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
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
  /** Also copy the action's output here as it comes (the demo shows it live). */
  echo?: NodeJS.WritableStream;
  /** Another bundle's entry instead of ENTRY (a copy with a part missing). */
  entry?: string;
  /** A command the action is started through (e.g. unshare, to give it a small disk): `[...wrap, node, entry]`. */
  wrap?: string[];
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
    GITHUB_ACTIONS: 'true',
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
  const child = spawn(o.wrap?.[0] ?? process.execPath, [...(o.wrap ? [...o.wrap.slice(1), process.execPath] : []), o.entry ?? ENTRY], { env, cwd: temp, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); o.echo?.write(c); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); o.echo?.write(c); });
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

/**
 * Reads a file command (GITHUB_OUTPUT, GITHUB_ENV) as the runner does: `name=value` lines, and
 * `name<<delimiter` blocks (what @actions/core writes), whichever of `=` and `<<` comes first.
 */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const eq = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (eq > 0 && (heredoc < 0 || eq < heredoc)) {
      out[line.slice(0, eq)] = line.slice(eq + 1);
      continue;
    }
    if (heredoc <= 0) continue;
    const delimiter = line.slice(heredoc + 2);
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '');
    out[line.slice(0, heredoc)] = value.join('\n');
  }
  return out;
}
