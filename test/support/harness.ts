// Test rig: an RDS emulator and an artifact service, and the action run against both as the runner would.
import { rm } from 'node:fs/promises';
import { startRdsEmulator, type RdsEmulator, type RdsEmulatorOptions } from '../../emulator/rds.ts';
import { startArtifactService, type ArtifactService } from '../../emulator/artifact-service.ts';
import { runAction, type ActionRun, type RunOptions } from '../../emulator/runner.ts';

export { runAction, parseOutputs, ROOT, ENTRY, type ActionRun, type RunOptions } from '../../emulator/runner.ts';

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
