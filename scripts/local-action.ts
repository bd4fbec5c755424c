// `npm run local-action`: the action from src/ under GitHub's local runner (@github/local-action, which
// stubs @actions/core and reads action.yml's defaults), against the emulators: RDS serving the PostgreSQL
// fixtures, and the artifact service. `npm run local-action -- my.env` runs it with your own .env instead
// (INPUT_* lines for a real account; see .env.example), no emulator started.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { actionInputs, startRdsEmulator } from '../emulator/rds.ts';
import { startArtifactService } from '../emulator/artifact-service.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(ROOT, 'node_modules/@github/local-action/bin/local-action.js');
export const ENTRY = 'src/action/main.ts';

/** Runs `local-action run . src/action/main.ts <envFile>` in the project; resolves with its exit code and output. */
export function runLocalAction(envFile: string, echo?: NodeJS.WritableStream): Promise<{ code: number | null; log: string }> {
  return new Promise((resolve, reject) => {
    // FORCE_COLOR=0: local-action prints through chalk; plain text reads the same in a log file.
    const child = spawn(process.execPath, [BIN, 'run', '.', ENTRY, envFile], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const take = (c: Buffer): void => { log += c.toString(); echo?.write(c); };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, log }));
  });
}

/** Env lines (dotenv) that point the action at these emulators; files land in `temp`. */
export function emulatorEnv(inputs: Record<string, string>, env: Record<string, string>, temp: string): string {
  const lines = Object.entries(inputs).map(([k, v]) => `INPUT_${k.replace(/ /g, '_').toUpperCase()}=${v}`);
  const runner = { RUNNER_TEMP: temp, GITHUB_STEP_SUMMARY: join(temp, 'step-summary.md'), GITHUB_REPOSITORY: 'acme/shop', GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'local', ...env };
  return [...lines, ...Object.entries(runner).map(([k, v]) => `${k}=${v}`)].join('\n') + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const own = process.argv[2];
  if (own) process.exitCode = (await runLocalAction(own, process.stdout)).code ?? 1;
  else {
    const dir = join(ROOT, 'test/fixtures/pg');
    const names = (await readdir(dir)).filter((n) => !n.endsWith('.md')).sort();
    const files = await Promise.all(names.map(async (name) => ({ name, data: await readFile(join(dir, name)) })));
    const [rds, artifacts] = await Promise.all([startRdsEmulator({ files, creatingCalls: 1 }), startArtifactService()]);
    const temp = await mkdtemp(join(tmpdir(), 'local-action-'));
    try {
      const envFile = join(temp, 'emulator.env');
      await writeFile(envFile, emulatorEnv(actionInputs(rds), artifacts.env, temp));
      process.exitCode = (await runLocalAction(envFile, process.stdout)).code ?? 1;
      console.log(`\nThe downloaded files and the job summary (step-summary.md) are in ${temp}`);
    } finally {
      await Promise.all([rds.close(), artifacts.close()]);
    }
  }
}
