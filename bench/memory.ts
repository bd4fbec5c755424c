// Benchmark (not a test): peak RSS of the whole action process while it downloads one large real log from the
// emulator, digests it and (with upload) uploads it as an artifact. Usage: node bench/memory.ts [MiB ...] [--upload=false|true] (default: 512, both)
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionInputs, realPostgresLog, startRdsEmulator } from '../emulator/rds.ts';
import { startArtifactService } from '../emulator/artifact-service.ts';
import { ENTRY, ROOT, runAction } from '../emulator/runner.ts';

export interface MemoryFigure {
  mib: number;
  upload: boolean;
  peakRssMiB: number;
  seconds: number;
}

export async function measureMemory(mib: number, upload: boolean, compressionLevel = 1): Promise<MemoryFigure> {
  const rds = await startRdsEmulator({ files: [{ name: 'postgresql-big.log', size: mib * 1024 * 1024, repeat: realPostgresLog('stderr-rds-production.log') }], creatingCalls: 0 });
  const artifacts = await startArtifactService();
  const probeDir = await mkdtemp(join(tmpdir(), 'rss-'));
  const probe = join(probeDir, 'rss.json');
  try {
    const run = await runAction({
      inputs: {
        ...actionInputs(rds), upload: String(upload), 'compression-level': String(compressionLevel),
      },
      env: { ...artifacts.env, RSS_PROBE_FILE: probe, NODE_OPTIONS: `--import=${join(ROOT, 'bench/rss-probe.mjs')}` },
      timeoutMs: 600_000,
    });
    if (run.code !== 0) throw new Error(`the action failed:\n${run.log.slice(-2000)}`);
    await rm(run.temp, { recursive: true, force: true });
    const { maxRssKiB } = JSON.parse(await readFile(probe, 'utf8')) as { maxRssKiB: number };
    return { mib, upload, peakRssMiB: Math.round(maxRssKiB / 1024), seconds: Math.round(run.ms / 100) / 10 };
  } finally {
    await Promise.all([rds.close(), artifacts.close(), rm(probeDir, { recursive: true, force: true })]);
  }
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const sizes = args.map(Number).filter((n) => n > 0);
  // --upload=false (or true): only that row per size, to measure one case quickly.
  const only = args.find((a) => a.startsWith('--upload='))?.slice('--upload='.length);
  process.stdout.write(`action: ${ENTRY}\n| file | upload | peak RSS of the action | wall |\n| ---: | --- | ---: | ---: |\n`);
  for (const mib of sizes.length ? sizes : [512]) {
    for (const upload of only === undefined ? [false, true] : [only === 'true']) {
      const f = await measureMemory(mib, upload);
      process.stdout.write(`| ${f.mib} MiB | ${f.upload} | ${f.peakRssMiB} MiB | ${f.seconds} s |\n`);
    }
  }
}
