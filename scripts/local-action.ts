// `npm run local-action`: the action from src/ under GitHub's local runner (@github/local-action, which
// stubs @actions/core and reads action.yml's defaults), against the emulators: RDS serving the PostgreSQL
// fixtures, and the artifact service. `-- --dist` runs the bundle (dist/index.js) instead; it carries its
// own @actions/core, so its outputs go to GITHUB_OUTPUT. `-- my.env` runs it with your own .env (INPUT_*
// lines for a real account; see .env.example), no emulator started.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { actionInputs, startRdsEmulator } from '../emulator/rds.ts';
import { startArtifactService } from '../emulator/artifact-service.ts';
import { parseOutputs } from '../emulator/runner.ts';
import { readActionMetadata } from './action-metadata.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(ROOT, 'node_modules/@github/local-action/bin/local-action.js');
export const ENTRIES = { src: 'src/action/main.ts', dist: 'dist/index.js' } as const;

/** Runs `local-action run . <entry> <envFile>` in the project; resolves with its exit code and output. */
export function runLocalAction(envFile: string, entry: string = ENTRIES.src, echo?: NodeJS.WritableStream): Promise<{ code: number | null; log: string }> {
  return new Promise((resolve, reject) => {
    // FORCE_COLOR=0: local-action prints through chalk; plain text reads the same in a log file.
    const child = spawn(process.execPath, [BIN, 'run', '.', entry, envFile], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const take = (c: Buffer): void => { log += c.toString(); echo?.write(c); };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, log }));
  });
}

/**
 * Env lines (dotenv) that point the action at these emulators, with action.yml's defaults for the other
 * inputs as the runner sets them (the bundle's own @actions/core does not read action.yml); files, outputs
 * (github-output) and the job summary (step-summary.md) land in `temp`, which must exist.
 */
export async function emulatorEnv(inputs: Record<string, string>, env: Record<string, string>, temp: string): Promise<string> {
  const defaults = Object.entries((await readActionMetadata()).inputs ?? {}).flatMap(([k, spec]) => (typeof spec.default === 'string' ? [[k, spec.default] as const] : []));
  const given = Object.fromEntries([...defaults, ...Object.entries(inputs)]);
  const lines = Object.entries(given).map(([k, v]) => `INPUT_${k.replace(/ /g, '_').toUpperCase()}=${v}`);
  const files = { GITHUB_OUTPUT: join(temp, 'github-output'), GITHUB_STEP_SUMMARY: join(temp, 'step-summary.md') };
  await Promise.all(Object.values(files).map((f) => writeFile(f, '')));
  const runner = { RUNNER_TEMP: temp, ...files, GITHUB_REPOSITORY: 'acme/shop', GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'local', ...env };
  return [...lines, ...Object.entries(runner).map(([k, v]) => `${k}=${v}`)].join('\n') + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const entry = args.includes('--dist') ? ENTRIES.dist : ENTRIES.src;
  const own = args.find((a) => a !== '--dist');
  if (own) process.exitCode = (await runLocalAction(own, entry, process.stdout)).code ?? 1;
  else {
    const dir = join(ROOT, 'test/fixtures/pg');
    const names = (await readdir(dir)).filter((n) => !n.endsWith('.md')).sort();
    const files = await Promise.all(names.map(async (name) => ({ name, data: await readFile(join(dir, name)) })));
    const [rds, artifacts] = await Promise.all([startRdsEmulator({ files, creatingCalls: 1 }), startArtifactService()]);
    const temp = await mkdtemp(join(tmpdir(), 'local-action-'));
    try {
      const envFile = join(temp, 'emulator.env');
      await writeFile(envFile, await emulatorEnv(actionInputs(rds), artifacts.env, temp));
      process.exitCode = (await runLocalAction(envFile, entry, process.stdout)).code ?? 1;
      // The bundle's own @actions/core writes the outputs to GITHUB_OUTPUT, where local-action's table does not look.
      if (entry === ENTRIES.dist) {
        const outputs = Object.entries(parseOutputs(await readFile(join(temp, 'github-output'), 'utf8')));
        console.log(`\nOutputs (from github-output):\n${outputs.map(([k, v]) => `  ${k}: ${v.length > 200 ? `${v.slice(0, 199)}…` : v}`).join('\n')}`);
      }
      console.log(`\nThe downloaded files, the outputs (github-output) and the job summary (step-summary.md) are in ${temp}`);
    } finally {
      await Promise.all([rds.close(), artifacts.close()]);
    }
  }
}
