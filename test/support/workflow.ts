// Runs one job of a workflow file the way the Actions runner does, for the parts our workflows use: `run:`
// steps in bash, `uses: ./` as a node24 action, `${{ steps.<id>.outputs.<name> }}`, and the file commands.
// Anything else in the job fails loudly, so the workflow stays simple enough for this to be honest.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { parseYaml, readActionMetadata } from '../../scripts/action-metadata.ts';
import { parseOutputs } from '../../emulator/runner.ts';

export interface Step {
  name?: string;
  id?: string;
  uses?: string;
  with?: Record<string, unknown>;
  run?: string;
  env?: Record<string, unknown>;
}
export interface Job { steps: Step[]; env?: Record<string, unknown>; defaults?: { run?: Record<string, unknown> }; [key: string]: unknown }
export interface Workflow { env?: Record<string, unknown>; jobs: Record<string, Job> }

export interface StepResult {
  step: Step;
  code: number | null;
  /** What the step printed, stdout then stderr. */
  log: string;
  outputs: Record<string, string>;
  summary: string;
  /** For `uses: ./`: the environment the action process got. */
  env: Record<string, string>;
}

export interface JobOptions {
  /** The checkout: GITHUB_WORKSPACE, and where `uses: ./` is found. */
  workspace: string;
  /** RUNNER_TEMP: an empty folder the caller removes afterwards. */
  temp: string;
  /** What the runner itself provides beside GITHUB_* and RUNNER_* (e.g. ACTIONS_RUNTIME_TOKEN). */
  env?: Record<string, string>;
  /**
   * Actions of other repositories, by `owner/name`: what stands in for each (throw if its `with:` can't be
   * honoured); a folder it returns goes on PATH, as with GITHUB_PATH.
   */
  actions: Record<string, (step: Step) => string | void>;
  timeoutMs?: number;
}

const STEP_KEYS = new Set(['name', 'id', 'uses', 'with', 'run', 'env']);
// Job keys that change nothing here: where the job runs (this test is the Linux leg) and its token's permissions.
const JOB_KEYS = new Set(['steps', 'env', 'defaults', 'runs-on', 'strategy', 'permissions', 'name']);

/** The runner's command line for a `run:` script: `bash -e` by default, its stricter form for `shell: bash`. */
function shellArgv(shell: unknown, script: string): string[] {
  if (shell === undefined) return ['bash', '-e', script];
  if (shell === 'bash') return ['bash', '--noprofile', '--norc', '-eo', 'pipefail', script];
  throw new Error(`the runner stand-in runs bash only, not shell: ${String(shell)}`);
}

export async function readWorkflow(url: URL): Promise<Workflow> {
  return parseYaml(await readFile(url, 'utf8'), url.pathname.split('/').pop() ?? 'workflow') as Workflow;
}

/** Substitutes `${{ steps.<id>.outputs.<name> }}` (empty when unset, as on GitHub); any other expression throws. */
export function expand(text: string, steps: Record<string, Record<string, string>>): string {
  return text.replace(/\$\{\{(.*?)\}\}/g, (_, expr: string) => {
    const m = /^\s*steps\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_][\w-]*)\s*$/.exec(expr);
    if (!m) throw new Error(`the runner stand-in does not evaluate \${{${expr}}}; keep the workflow to steps.<id>.outputs.<name>`);
    return steps[m[1]!]?.[m[2]!] ?? '';
  });
}

/** A YAML scalar as the runner hands it on: numbers and booleans as their text. */
const text = (v: unknown): string => (typeof v === 'string' ? v : String(v));

/**
 * Runs the job's steps in order until one fails (no step of ours has `if:`); returns every step run.
 * Processes a step leaves in the background (the emulator) are stopped when the job ends, as the runner does.
 */
export async function runJob(workflow: Workflow, jobId: string, o: JobOptions): Promise<StepResult[]> {
  const job = workflow.jobs[jobId];
  if (!job) throw new Error(`no job '${jobId}'`);
  const unknownJob = Object.keys(job).filter((k) => !JOB_KEYS.has(k));
  const unknownDefaults = Object.keys(job.defaults?.run ?? {}).filter((k) => k !== 'shell');
  if (unknownJob.length + unknownDefaults.length > 0) throw new Error(`job '${jobId}' uses ${[...unknownJob, ...unknownDefaults].join(', ')}, which the runner stand-in does not know`);
  const temp = o.temp;
  const stepOutputs: Record<string, Record<string, string>> = {};
  let jobEnv: Record<string, string> = {};
  let pathPrefix: string[] = [];
  const groups: number[] = [];
  const results: StepResult[] = [];
  try {
    for (const step of job.steps) {
      const unknown = Object.keys(step).filter((k) => !STEP_KEYS.has(k));
      if (unknown.length > 0) throw new Error(`step '${step.name ?? step.uses ?? step.run}' uses ${unknown.join(', ')}, which the runner stand-in does not know`);
      if (step.uses && step.uses !== './') {
        const stand = o.actions[step.uses.split('@')[0]!];
        if (!stand) throw new Error(`no stand-in for ${step.uses}`);
        const folder = stand(step);
        if (folder) pathPrefix = [folder, ...pathPrefix];
        continue;
      }
      const files = Object.fromEntries(['GITHUB_OUTPUT', 'GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_STEP_SUMMARY', 'GITHUB_STATE'].map((n) => [n, join(temp, `${n.toLowerCase()}-${randomUUID()}`)]));
      await Promise.all(Object.values(files).map((f) => writeFile(f, '')));
      const declared = { ...workflow.env, ...job.env, ...step.env };
      const env: Record<string, string> = {
        PATH: [...pathPrefix, process.env['PATH'] ?? ''].join(delimiter),
        HOME: process.env['HOME'] ?? temp,
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKSPACE: o.workspace,
        GITHUB_REPOSITORY: 'acme/otc-rds-errorlogs-action',
        GITHUB_REPOSITORY_OWNER: 'acme',
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_API_URL: 'https://api.github.com',
        GITHUB_WORKFLOW: 'ci',
        GITHUB_EVENT_NAME: 'push',
        GITHUB_REF: 'refs/heads/main',
        GITHUB_SHA: '0000000000000000000000000000000000000000',
        GITHUB_RUN_ID: '4242',
        GITHUB_RUN_NUMBER: '7',
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_JOB: jobId,
        GITHUB_ACTION: step.id ?? '__run',
        RUNNER_OS: 'Linux',
        RUNNER_ARCH: 'X64',
        RUNNER_TEMP: temp,
        ...o.env,
        ...jobEnv,
        ...Object.fromEntries(Object.entries(declared).map(([k, v]) => [k, expand(text(v), stepOutputs)])),
        ...files,
      };
      let argv: string[];
      if (step.run !== undefined) {
        const script = join(temp, `${randomUUID()}.sh`);
        await writeFile(script, expand(step.run, stepOutputs));
        argv = shellArgv(job.defaults?.run?.['shell'], script);
      } else {
        const meta = await readActionMetadata(new URL('action.yml', `file://${o.workspace}/`));
        if (meta.runs?.using !== 'node24') throw new Error(`the runner stand-in runs node24 actions, not ${String(meta.runs?.using)}`);
        for (const [name, spec] of Object.entries(meta.inputs ?? {})) {
          const given = step.with?.[name];
          const value = given !== undefined ? expand(text(given), stepOutputs) : spec.default !== undefined ? text(spec.default) : undefined;
          if (value !== undefined) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
        }
        for (const name of Object.keys(step.with ?? {})) if (!(name in (meta.inputs ?? {}))) throw new Error(`with: ${name} is not an input of action.yml`);
        argv = [process.execPath, join(o.workspace, text(meta.runs.main))];
      }
      const child = spawn(argv[0]!, argv.slice(1), { cwd: o.workspace, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      if (child.pid !== undefined) groups.push(child.pid);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
      child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
      const killer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
      const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
      clearTimeout(killer);
      const outputs = parseOutputs(await readFile(files['GITHUB_OUTPUT']!, 'utf8'));
      if (step.id) stepOutputs[step.id] = outputs;
      jobEnv = { ...jobEnv, ...parseOutputs(await readFile(files['GITHUB_ENV']!, 'utf8')) };
      pathPrefix = [...(await readFile(files['GITHUB_PATH']!, 'utf8')).split('\n').filter(Boolean).reverse(), ...pathPrefix];
      results.push({ step, code, log: stdout + stderr, outputs, summary: await readFile(files['GITHUB_STEP_SUMMARY']!, 'utf8'), env });
      if (code !== 0) break;
    }
  } finally {
    // What the steps left running: each step ran in a process group of its own.
    for (const pid of groups) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // the group has already gone
      }
    }
  }
  return results;
}
