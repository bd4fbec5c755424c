// The CI self-test job, run here the way the runner runs it: its bash steps start the emulator, `uses: ./`
// runs action.yml's main with INPUT_* from `with:` and action.yml's defaults, and its own check script judges
// the outputs. So the workflow is proven before it ever reaches GitHub.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from '../support/harness.ts';
import { startArtifactService } from '../../emulator/artifact-service.ts';
import { readActionMetadata } from '../../scripts/action-metadata.ts';
import { expand, readWorkflow, runJob, type Step } from '../support/workflow.ts';

const ciYml = new URL('.github/workflows/ci.yml', `file://${ROOT}/`);

// What stands in for the other actions the job uses: the test runs inside a checkout, on Node 24.
const actions = {
  'actions/checkout': (): void => {},
  'actions/setup-node': (step: Step): string => {
    const want = String(step.with?.['node-version']);
    assert.equal(want, process.versions.node.split('.')[0], `setup-node asks for Node ${want}; this test runs on ${process.version}`);
    return dirname(process.execPath);
  },
};

test('the self-test job of ci.yml passes: emulator, `uses: ./` with the runner\'s env, then its check of the outputs', async () => {
  const workflow = await readWorkflow(ciYml);
  const job = workflow.jobs['self-test'];
  assert.ok(job, 'ci.yml has a self-test job');
  const actionStep = job.steps.findIndex((s) => s.uses === './');
  assert.ok(actionStep > 0, 'the job runs the action with uses: ./');
  assert.ok(job.steps.slice(0, actionStep).some((s) => s.run?.includes('emulator/rds.ts')), 'a step before it starts the emulator');
  assert.ok(job.steps.slice(actionStep + 1).some((s) => s.name === 'Check the outputs' && s.run), 'a step after it checks the outputs');

  const artifacts = await startArtifactService();
  const temp = await mkdtemp(join(tmpdir(), 'runner-temp-'));
  try {
    const steps = await runJob(workflow, 'self-test', { workspace: ROOT.replace(/\/$/, ''), temp, env: artifacts.env, actions });
    const failed = steps.find((s) => s.code !== 0);
    assert.equal(failed, undefined, `step '${failed?.step.name ?? failed?.step.run}' failed:\n${failed?.log}`);
    assert.equal(steps.length, job.steps.filter((s) => s.uses === undefined || s.uses === './').length, 'every step ran');

    const action = steps.find((s) => s.step.uses === './')!;
    // Inputs as the runner sets them: every `with:` key, and action.yml's default for the others.
    const meta = await readActionMetadata();
    assert.match(action.env['INPUT_ENDPOINT'] ?? '', /^http:\/\/127\.0\.0\.1:\d+$/, 'endpoint came from the emulator step');
    assert.equal(action.env['INPUT_TIMEOUT'], meta.inputs?.['timeout']?.default);
    assert.equal(action.env['INPUT_POLL-INTERVAL'], '1s');
    // The outputs the check step read, and what the runner's artifact service received.
    assert.ok(Number(action.outputs['error-count']) > 0 && Number(action.outputs['file-count']) > 0, JSON.stringify(action.outputs));
    assert.deepEqual(artifacts.artifacts().map((a) => a.id), [action.outputs['artifact-id']]);
    assert.match(action.summary, /relation/, 'the job summary digests the fixtures');
  } finally {
    await artifacts.close();
    await rm(temp, { recursive: true, force: true });
  }
});

test('step expressions are substituted as the runner does, and any other expression is refused', () => {
  const steps = { logs: { 'file-count': '3' } };
  assert.equal(expand('n=${{ steps.logs.outputs.file-count }} m=${{steps.logs.outputs.none}}', steps), 'n=3 m=');
  assert.throws(() => expand('${{ secrets.TOKEN }}', steps), { name: 'Error', message: /does not evaluate \$\{\{ secrets\.TOKEN \}\}/ });
});
