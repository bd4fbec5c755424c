// The instance, end to end: found by name (exactly one match), checked to be PostgreSQL and ACTIVE (or on its way
// back: then waited for) before the errorlog-download call, and a refused check (403) that does not stop a run that named the instance by id.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_INSTANCE_ID, type EmulatorInstance } from '../../emulator/rds.ts';
import { leaked, withRig, type ActionRun, type Rig } from '../support/harness.ts';

const pg = (id: string, name: string, status = 'ACTIVE'): EmulatorInstance => ({ id, name, status, datastore: { type: 'PostgreSQL', version: '15' } });
const SHOP = pg(DEFAULT_INSTANCE_ID, 'shop-db');
const BILLING = pg('6b2f0e1d9c8a47b3a5d4c3b2a1f0e9d8in03', 'billing-db');
const REPLICA = { ...pg('0c1d2e3f4a5b46c7d8e9f0a1b2c3d4e5in01', 'shop-db-mysql'), datastore: { type: 'MySQL', version: '8.0' } };
const BY_NAME = { 'instance-id': '', 'instance-name': 'shop-db' };

function errorLine(r: ActionRun): string {
  const lines = r.log.split('\n').filter((l) => l.startsWith('::error::'));
  assert.equal(lines.length, 1, lines.join('\n'));
  return lines[0]!;
}

/** Failed at the check: one error matching `pattern`, and no errorlog-download call was made. */
function assertRefusedBeforeLogs(rig: Rig, r: ActionRun, pattern: RegExp): void {
  assert.equal(r.code, 1, r.log.slice(-3000));
  assert.match(errorLine(r), pattern);
  assert.equal(rig.rds.errorlogRequests().length, 0, 'no errorlog-download call');
  assert.equal(r.outputs['status'], '');
  assert.equal(leaked(rig, r), undefined);
}

describe('instance-name', { concurrency: 4 }, () => {
  test('a name of 600,000 characters from the listing is cut where it is kept: outputs and titles stay small', async () => {
    const long = `db-${'n'.repeat(600_000)}`;
    await withRig({ instances: [pg(DEFAULT_INSTANCE_ID, long)] }, async (rig) => {
      const r = await rig.run({ inputs: { upload: 'false' } });
      assert.equal(r.code, 0, r.log.slice(-2000));
      assert.ok(Buffer.byteLength(r.outputs['instances'] ?? '') < 20_000, `instances: ${Buffer.byteLength(r.outputs['instances'] ?? '')} bytes`);
      assert.ok(r.log.length < 100_000 && r.summary.length < 100_000, `log ${r.log.length}, summary ${r.summary.length}`);
      assert.match(r.log, new RegExp(`Instance 'db-n{60}…'`));
    });
  });

  test('an id in the listing that is not an id (a dot segment) is refused: it would move the request elsewhere', async () => {
    await withRig({ instances: [pg('..', 'shop-db')] }, async (rig) => {
      const r = await rig.run({ inputs: BY_NAME });
      assertRefusedBeforeLogs(rig, r, /RDS instance lookup: the id of 'shop-db': "\.\." is not an id/);
      assert.ok(rig.rds.apiRequests.every((q) => q.path.startsWith(`/v3/${rig.rds.projectId}/instances`)), 'every request under the project\'s instances');
    });
  });

  test('one exact match: its id is used, and the summary names it', async () => {
    await withRig({ instances: [BILLING, SHOP, REPLICA] }, async (rig) => {
      const r = await rig.run({ inputs: BY_NAME });
      assert.equal(r.code, 0, r.log);
      assert.equal(rig.rds.apiRequests[0]?.path, `/v3/${rig.rds.projectId}/instances?name=shop-db`);
      assert.ok(rig.rds.errorlogRequests().every((q) => q.path === `/v3/${rig.rds.projectId}/instances/${SHOP.id}/errorlog-download`));
      assert.match(r.log, new RegExp(`Instance 'shop-db' \\(id ${SHOP.id}, PostgreSQL 15, ACTIVE\\)`));
      assert.match(r.summary, new RegExp(`^## RDS error logs: instance shop-db \\(${SHOP.id}\\)$`, 'm'));
      assert.match(r.outputs['artifact-name'] ?? '', /^rds-errorlogs-shop-db-deploy-/);
    });
  });

  test('no match: an error naming the name, project and region', async () => {
    await withRig({ instances: [SHOP, BILLING] }, async (rig) => {
      const r = await rig.run({ inputs: { ...BY_NAME, 'instance-name': 'orders-db' } });
      assertRefusedBeforeLogs(rig, r, new RegExp(`No RDS instance is named 'orders-db' in project ${rig.rds.projectId} \\(region eu-de\\)\\. Check 'instance-name'`));
    });
  });

  test('several matches: an error listing each with id and status, asking for instance-id', async () => {
    const twin = pg('9a8b7c6d5e4f43a2b1c0d9e8f7a6b5c4in03', 'shop-db', 'BUILD');
    await withRig({ instances: [SHOP, twin, BILLING] }, async (rig) => {
      const r = await rig.run({ inputs: BY_NAME });
      assertRefusedBeforeLogs(rig, r, new RegExp(
        `2 RDS instances are named 'shop-db' in project ${rig.rds.projectId} \\(region eu-de\\): ` +
        `'shop-db' \\(id ${SHOP.id}, PostgreSQL 15, ACTIVE\\); 'shop-db' \\(id ${twin.id}, PostgreSQL 15, BUILD\\)\\. Set 'instance-id' to pick one`,
      ));
      assert.doesNotMatch(errorLine(r), /billing-db/);
    });
  });

  test('an API that matched loosely: only exact names count, and what it found is listed', async () => {
    await withRig({ instances: [SHOP] }, async (rig) => {
      const loose = { instances: [{ ...SHOP, type: 'Single' }, { ...REPLICA, type: 'Single' }], total_count: 2 };
      rig.rds.failApi({ kind: 'status', status: 200, body: loose }, 1, 'instances');
      const r = await rig.run({ inputs: { ...BY_NAME, 'instance-name': 'shop' } });
      assertRefusedBeforeLogs(rig, r, new RegExp(`No RDS instance is named 'shop' .*the lookup found only: 'shop-db' \\(id ${SHOP.id}, PostgreSQL 15, ACTIVE\\); 'shop-db-mysql' \\(id ${REPLICA.id}, MySQL 8\\.0, ACTIVE\\)`));
    });
  });

  test('a 403 on the lookup fails (the name cannot be resolved), saying what permission is missing', async () => {
    await withRig({}, async (rig) => {
      rig.rds.failApi({ kind: 'status', status: 403, body: { error_code: 'DBS.200010', error_msg: 'The user is not authorized.' } }, 1, 'instances');
      const r = await rig.run({ inputs: BY_NAME });
      assertRefusedBeforeLogs(rig, r, /RDS instance lookup failed: HTTP 403 DBS\.200010: The user is not authorized\..*rds:instance:list/);
    });
  });
});

describe('instance check', { concurrency: 4 }, () => {
  test('in a state it stays in (FAILED, FROZEN, SHUTDOWN): fails plainly saying the status, before any errorlog-download call', async () => {
    for (const status of ['FAILED', 'FROZEN', 'SHUTDOWN']) {
      await withRig({ instances: [{ ...SHOP, status }] }, async (rig) => {
        const r = await rig.run();
        assertRefusedBeforeLogs(rig, r, new RegExp(`Instance 'shop-db' \\(id ${SHOP.id}\\) is ${status}, not ACTIVE; error logs can be fetched only from an ACTIVE instance`));
        assert.equal(rig.rds.apiRequests.length, 1, 'one lookup, not retried');
      });
    }
  });

  test('on its way back to ACTIVE (a reboot after the deployment): the call is repeated until RDS stops refusing, and the logs come', async () => {
    await withRig({ instances: [{ ...SHOP, status: 'REBOOTING', activeAfterRefusals: 2 }] }, async (rig) => {
      const r = await rig.run();
      assert.equal(r.code, 0, r.log.slice(-3000));
      assert.match(r.log, /The instance is REBOOTING, not ACTIVE: while RDS refuses to prepare its logs for that, the call is repeated \(within 'timeout', \d+s\)/);
      // Two refused, then the logs.
      assert.match(r.log, /attempt 2 failed \(.*HTTP 400 DBS\.201014/);
      assert.doesNotMatch(r.log, /attempt 3 failed/);
      assert.match(r.log, /FINISH after .*: 1 file listed/);
      assert.notEqual(r.outputs['error-count'], '');
      assert.equal(leaked(rig, r), undefined);
    });
  });

  test('still not ACTIVE when the timeout comes: fails naming the timeout and the state error', async () => {
    await withRig({ instances: [{ ...SHOP, status: 'BACKING UP' }] }, async (rig) => {
      const r = await rig.run({ inputs: { timeout: '3s', 'poll-interval': '1s' } });
      assert.equal(r.code, 1, r.log.slice(-3000));
      assert.match(errorLine(r), /gave up after \d+ attempts, 'timeout' leaves no time for another; last error: .*HTTP 400 DBS\.201014.*must be ACTIVE/);
      assert.ok(rig.rds.errorlogRequests().length >= 2, 'repeated while refused');
    });
  });

  test("in a state that does not pass by itself but may still serve logs (STORAGE FULL): asked once; RDS's refusal is final, not waited on", async () => {
    await withRig({ instances: [{ ...SHOP, status: 'STORAGE FULL' }] }, async (rig) => {
      const r = await rig.run();
      assert.equal(r.code, 1, r.log.slice(-3000));
      assert.match(r.log, /The instance is STORAGE FULL, not ACTIVE: RDS may refuse to prepare its logs in that state; they are asked for once/);
      assert.match(errorLine(r), /HTTP 400 DBS\.201014.*must be ACTIVE/);
      assert.equal(rig.rds.errorlogRequests().length, 1, 'not repeated');
    });
  });

  test('busy with a backup (409 DBS.201205, in the older errCode body): waited out, not failed', async () => {
    await withRig({}, async (rig) => {
      rig.rds.failApi({ kind: 'status', status: 409, body: { errCode: 'DBS.201205', externalMessage: 'Backup is in progress, please wait.' } }, 1);
      const r = await rig.run();
      assert.equal(r.code, 0, r.log.slice(-3000));
      assert.match(r.log, /attempt 1 failed \(.*HTTP 409 DBS\.201205: Backup is in progress, please wait\./);
    });
  });

  test('MySQL: fails saying only PostgreSQL error logs are read', async () => {
    await withRig({ instances: [{ ...SHOP, datastore: { type: 'MySQL', version: '8.0' } }] }, async (rig) => {
      const r = await rig.run();
      assertRefusedBeforeLogs(rig, r, /Instance 'shop-db' \(id [0-9a-z]+\) is MySQL: only PostgreSQL error logs are read/);
    });
  });

  test('an id the project does not have: fails naming the id', async () => {
    await withRig({}, async (rig) => {
      const r = await rig.run({ inputs: { 'instance-id': 'a0000000000000000000000000000000in03' } });
      assertRefusedBeforeLogs(rig, r, new RegExp(`No RDS instance has the id 'a0000000000000000000000000000000in03' in project ${rig.rds.projectId} \\(region eu-de\\)`));
    });
  });

  test('refused with 403 while instance-id is given: one warning, then the logs are fetched anyway', async () => {
    await withRig({}, async (rig) => {
      rig.rds.failApi({ kind: 'status', status: 403, body: { error_code: 'DBS.200010', error_msg: 'The user is not authorized.' } }, 1, 'instances');
      const r = await rig.run();
      assert.equal(r.code, 0, r.log);
      const warnings = r.log.split('\n').filter((l) => l.startsWith('::warning title=Instance not checked::'));
      assert.equal(warnings.length, 1, r.log);
      assert.match(warnings[0]!, /HTTP 403 DBS\.200010.*may not list RDS instances \(rds:instance:list in this project\)\. Going on to the errorlog-download call$/);
      assert.equal(r.outputs['file-count'], '1');
      assert.equal(rig.rds.apiRequests.filter((q) => q.path.includes('/instances?')).length, 1, 'the check is not retried');
    });
  });

  test('a 5xx on the check is retried like any transient fault', async () => {
    await withRig({}, async (rig) => {
      rig.rds.failApi({ kind: 'status', status: 503, body: { error_code: 'DBS.108000', error_msg: 'System error.' } }, 1, 'instances');
      const r = await rig.run();
      assert.equal(r.code, 0, r.log);
      assert.match(r.log, /RDS instance lookup: attempt 1 failed \(RDS instance lookup failed: HTTP 503 DBS\.108000/);
    });
  });
});
