// Several instances in one step, as the runner runs it: one artifact with a folder each, a summary row and a
// section each, and the `instances` output; one instance failing keeps the others' files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { leaked, withRig } from '../support/harness.ts';
import { readZip } from '../support/zip.ts';
import { DEFAULT_INSTANCE_ID, type EmulatorInstance } from '../../emulator/rds.ts';

const files = [
  { name: 'postgresql-2026-11-28_080000.log', data: Buffer.from('2026-11-28 08:00:01 UTC [101] ERROR:  relation "orders" does not exist\n') },
  { name: 'postgresql-2026-11-28_090000.log', data: Buffer.from('2026-11-28 09:00:01 UTC [102] FATAL:  password authentication failed for user "app"\n'.repeat(100)) },
];
const REPORTING_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90in03';
const pg = { type: 'PostgreSQL', version: '16' };
const instances = (reportingStatus: string): EmulatorInstance[] => [
  { id: DEFAULT_INSTANCE_ID, name: 'shop-db', status: 'ACTIVE', datastore: pg },
  { id: REPORTING_ID, name: 'reporting-db', status: reportingStatus, datastore: pg },
];

interface InstanceOutputs { instance: string; 'instance-id': string; status: string; 'file-count': string; files: Array<{ instance: string; name: string }> }

test('two instances, by id and by name: one artifact with a folder each, a row and a section each, and `instances`', async () => {
  await withRig({ files, instances: instances('ACTIVE') }, async (rig) => {
    const r = await rig.run({ inputs: { 'instance-id': DEFAULT_INSTANCE_ID, 'instance-name': 'reporting-db' } });
    assert.equal(r.code, 0, r.log);

    const [artifact, ...more] = rig.artifacts.artifacts();
    assert.ok(artifact && more.length === 0, 'exactly one artifact');
    const entries = await readZip(artifact.zip);
    const expected = ['reporting-db', 'shop-db'].flatMap((d) => files.map((f) => `${d}/${f.name}`)).sort();
    assert.deepEqual(entries.map((e) => e.name).sort(), expected);
    for (const e of entries) assert.ok(e.data.equals(rig.rds.bytesOf(e.name.split('/')[1]!)), `${e.name} differs`);
    for (const d of ['shop-db', 'reporting-db']) {
      for (const f of files) assert.ok((await readFile(join(r.outputs['output-dir']!, d, f.name))).equals(rig.rds.bytesOf(f.name)));
    }

    assert.equal(r.outputs['file-count'], '4');
    assert.equal(r.outputs['fatal-count'], '200');
    // The step's last error, after an instance's name (both serve the same files; which of the two wins a tie is
    // test/core/outputs.test.ts's to check): the FATAL of 09:00, not the ERROR of 08:00.
    assert.match(r.outputs['last-error'] ?? '', /^(shop-db|reporting-db): FATAL: password authentication failed for user "app"$/);
    const listed = JSON.parse(r.outputs['files'] ?? '[]') as Array<{ instance: string; path: string }>;
    assert.deepEqual(listed.map((f) => f.instance).sort(), ['reporting-db', 'reporting-db', 'shop-db', 'shop-db']);
    const each = JSON.parse(r.outputs['instances'] ?? '[]') as InstanceOutputs[];
    assert.deepEqual(each.map((i) => [i.instance, i['instance-id'], i.status, i['file-count']]), [
      ['shop-db', DEFAULT_INSTANCE_ID, 'FINISH', '2'],
      ['reporting-db', REPORTING_ID, 'FINISH', '2'],
    ]);

    assert.match(r.summary, /^## RDS error logs: 2 instances$/m);
    assert.match(r.summary, /^\| Instance \| Status \| Files \| Size \| ERROR \| FATAL \| PANIC \| First error \|$/m);
    assert.match(r.summary, /^\| shop-db \| FINISH \| 2 \| [^|]+ \| 1 \| 100 \| 0 \| ERROR: relation "orders" does not exist \|$/m);
    assert.match(r.summary, /^\| reporting-db \| FINISH \| 2 \|/m);
    assert.match(r.summary, /^## RDS error logs: instance shop-db \(/m);
    assert.match(r.summary, /^## RDS error logs: instance reporting-db \(/m);
    // Concurrent instances' lines are told apart, and no log group is opened inside another.
    assert.match(r.log, /\[reporting-db\] Signing in and checking the instance/);
    assert.doesNotMatch(r.log, /::group::/);
    assert.equal(leaked(rig, r), undefined);
  });
});

test("one instance failing keeps the other's files in the artifact; the step fails naming the instance and why", async () => {
  await withRig({ files, instances: instances('FROZEN') }, async (rig) => {
    const r = await rig.run({ inputs: { 'instance-id': `${DEFAULT_INSTANCE_ID},${REPORTING_ID}` } });
    assert.equal(r.code, 1, r.log);
    // Its name is not known (the check refused it), so it is named by id, and the cause by name.
    assert.match(r.log, new RegExp(`::error::1 of 2 instances failed: ${REPORTING_ID}: Instance 'reporting-db' .*FROZEN, not ACTIVE`));

    const [artifact] = rig.artifacts.artifacts();
    assert.ok(artifact, 'the artifact was still uploaded');
    assert.deepEqual((await readZip(artifact.zip)).map((e) => e.name).sort(), files.map((f) => `shop-db/${f.name}`).sort());
    assert.equal(r.outputs['file-count'], '2');
    assert.match(r.summary, new RegExp(`^\\| ${REPORTING_ID} \\| failed: .*FROZEN`, 'm'));
    const each = JSON.parse(r.outputs['instances'] ?? '[]') as InstanceOutputs[];
    assert.deepEqual(each.map((i) => i['file-count']), ['2', '0']);
  });
});

test('one instance given by id and by name is fetched once; the step fails naming both inputs', async () => {
  await withRig({ files, instances: instances('ACTIVE') }, async (rig) => {
    const r = await rig.run({ inputs: { 'instance-id': DEFAULT_INSTANCE_ID, 'instance-name': 'shop-db' } });
    assert.equal(r.code, 1, r.log);
    assert.match(r.log, new RegExp(`::error::1 of 2 instances failed: shop-db: Inputs 'instance-id' and 'instance-name': '${DEFAULT_INSTANCE_ID}' and 'shop-db' are one instance \\(id ${DEFAULT_INSTANCE_ID}\\): it is fetched once, for '${DEFAULT_INSTANCE_ID}'`));
    const [artifact] = rig.artifacts.artifacts();
    assert.deepEqual((await readZip(artifact!.zip)).map((e) => e.name).sort(), files.map((f) => `shop-db/${f.name}`).sort(), 'each file once');
    assert.equal(r.outputs['file-count'], '2');
  });
});

test('credentials refused for the first instance are not sent again for the others (five refusals lock an AK/SK key)', async () => {
  const third = 'c1c2c3c4c5c6c7c8c9d0d1d2d3d4d5d6in03';
  await withRig({ files, instances: [...instances('ACTIVE'), { id: third, name: 'audit-db', status: 'ACTIVE', datastore: pg }] }, async (rig) => {
    const r = await rig.run({ inputs: { token: 'not-the-right-token', 'instance-id': `${DEFAULT_INSTANCE_ID},${REPORTING_ID},${third}` } });
    assert.equal(r.code, 1, r.log);
    assert.equal(rig.rds.apiRequests.length, 1, 'one refused request in all');
    assert.match(r.log, new RegExp(`::error::3 of 3 instances failed: ${DEFAULT_INSTANCE_ID}: RDS instance lookup failed: HTTP 403 DBS\\.280056.*; ${REPORTING_ID}: not tried: the same credentials were refused for ${DEFAULT_INSTANCE_ID}`));
  });
});

test('a single instance keeps its files directly in output-dir, as before', async () => {
  await withRig({ files }, async (rig) => {
    const r = await rig.run();
    assert.equal(r.code, 0, r.log);
    assert.deepEqual((await readZip(rig.artifacts.artifacts()[0]!.zip)).map((e) => e.name).sort(), files.map((f) => f.name));
    const each = JSON.parse(r.outputs['instances'] ?? '[]') as InstanceOutputs[];
    assert.deepEqual(each.map((i) => i.instance), ['shop-db']);
    assert.match(r.log, /::group::Downloading 2 files/);
  });
});

test("annotations are the step's: 'max-annotations' and GitHub's 10 of each level hold for all instances together", async () => {
  // Each instance's log has 8 distinct FATAL and 8 distinct ERROR messages: 24 of each in all.
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
  const log = words.map((w, i) =>
    `2026-11-28 08:00:0${i} UTC [10${i}] FATAL:  ${w} quorum lost\n2026-11-28 08:00:0${i} UTC [20${i}] ERROR:  ${w} check failed\n`).join('');
  const three: EmulatorInstance[] = [...instances('ACTIVE'), { id: 'f0e1d2c3b4a5968778695a4b3c2d1e0fin03', name: 'audit-db', status: 'ACTIVE', datastore: pg }];
  await withRig({ files: [{ name: 'postgresql-2026-11-28_080000.log', data: Buffer.from(log) }], instances: three }, async (rig) => {
    const level = (r: { log: string }, l: string): string[] => r.log.split('\n').filter((line) => line.startsWith(`::${l} title=`));
    const all = await rig.run({ inputs: { 'instance-id': '', 'instance-name': 'shop-db,reporting-db,audit-db', upload: 'false' } });
    assert.equal(all.code, 0, all.log);
    // FATAL messages of every instance before any ERROR one, the instances in their order; of the default 10,
    // three are kept for ERROR messages.
    assert.equal(level(all, 'error').length, 7);
    assert.equal(level(all, 'warning').length, 3);
    assert.deepEqual(level(all, 'error').map((l) => /title=([a-z-]+)%3A/.exec(l)?.[1]), Array(7).fill('shop-db'));
    // The last of each level says how many of the step's are left out, all instances together (24 - 7, 24 - 3).
    assert.match(level(all, 'error').at(-1)!, /%0A…and 17 more distinct FATAL\/PANIC messages in the job summary\.$/);
    assert.match(level(all, 'warning').at(-1)!, /%0A…and 21 more distinct ERROR messages in the job summary\.$/);
    const more = await rig.run({ inputs: { 'instance-id': '', 'instance-name': 'shop-db,reporting-db,audit-db', upload: 'false', 'max-annotations': '50' } });
    assert.equal(more.code, 0, more.log);
    assert.equal(level(more, 'error').length, 10);
    assert.equal(level(more, 'warning').length, 10);
    assert.match(level(more, 'warning').at(-1)!, /…and 14 more distinct ERROR messages in the job summary\.$/);
  });
});

test('logs not all read: the summary table marks the counts as a lower bound, and the step\'s counts are empty', async () => {
  const { gzipSync } = await import('node:zlib');
  const text = Buffer.from('2026-11-28 08:00:01 UTC [101] ERROR:  relation "orders" does not exist\n'.repeat(2000));
  const z = gzipSync(text);
  await withRig({ files: [{ name: 'postgresql-2026-11-28_080000.log.gz', data: z.subarray(0, z.length >> 1) }], instances: instances('ACTIVE') }, async (rig) => {
    const r = await rig.run({ inputs: { 'instance-id': DEFAULT_INSTANCE_ID, 'instance-name': 'reporting-db', upload: 'false' } });
    assert.equal(r.code, 0, r.log);
    assert.equal(r.outputs['error-count'], '');
    const rows = r.summary.split('\n').filter((l) => l.startsWith('| shop-db') || l.startsWith('| reporting-db'));
    assert.equal(rows.length, 2, r.summary);
    for (const row of rows) assert.match(row, /\| ≥ \d+ \| ≥ 0 \|/, row);
  });
});

test("several instances share RDS's 60 calls a minute: when no turn comes before 'timeout', the step ends, saying so", async () => {
  const five = Array.from({ length: 5 }, (_, i): EmulatorInstance => ({ id: `${String(i).repeat(32)}in03`, name: `db-${i}`, status: 'ACTIVE', datastore: pg }));
  // RDS never finishes preparing: five instances polling every second use the minute's 60 calls in 12 s.
  await withRig({ files, instances: five, creatingCalls: 1_000_000 }, async (rig) => {
    const r = await rig.run({ inputs: { 'instance-id': '', 'instance-name': five.map((x) => x.name).join(','), 'poll-interval': '1s', timeout: '15s', upload: 'false' }, timeoutMs: 40_000 });
    assert.equal(r.signal, null, 'the step ended by itself');
    assert.equal(r.code, 1, r.log.slice(-2000));
    assert.match(r.log, /^::error::5 of 5 instances failed: db-0: 'timeout' runs out before the next errorlog-download call may be made: RDS allows 60 a minute per project/m);
    assert.ok(rig.rds.errorlogRequests().length <= 60, `${rig.rds.errorlogRequests().length} calls`);
  });
});

test('two instances of one name: shop-db/ and shop-db-2/ in the order the inputs name them, whichever is ready first; files, annotations, summary rows and the error outputs name each id', async () => {
  const twins: EmulatorInstance[] = [
    { id: DEFAULT_INSTANCE_ID, name: 'shop-db', status: 'ACTIVE', datastore: pg },
    { id: REPORTING_ID, name: 'shop-db', status: 'ACTIVE', datastore: pg },
  ];
  for (const order of [[DEFAULT_INSTANCE_ID, REPORTING_ID], [REPORTING_ID, DEFAULT_INSTANCE_ID]]) {
    await withRig({ files, instances: twins }, async (rig) => {
      const r = await rig.run({ inputs: { 'instance-id': order.join(','), upload: 'false' } });
      assert.equal(r.code, 0, r.log);
      const listed = JSON.parse(r.outputs['files'] ?? '[]') as Array<{ instance: string; 'instance-id': string; path: string }>;
      const folder = (id: string): string[] => [...new Set(listed.filter((f) => f['instance-id'] === id).map((f) => f.path.split(/[\\/]/).at(-2)!))];
      assert.deepEqual([folder(order[0]!), folder(order[1]!)], [['shop-db'], ['shop-db-2']], `inputs ${order.join(', ')}`);
      assert.ok(listed.every((f) => f.instance === 'shop-db'));
      // Where a person reads which is which, the id follows the name.
      for (const id of order) {
        assert.match(r.log, new RegExp(`^::error title=shop-db \\(${id}\\)%3A PostgreSQL FATAL`, 'm'), `an annotation for ${id}`);
        assert.match(r.summary, new RegExp(`^\\| shop-db \\(${id}\\) \\| FINISH \\| 2 \\|`, 'm'), `a summary row for ${id}`);
      }
      assert.match(r.outputs['last-error'] ?? '', new RegExp(`^shop-db \\((${order.join('|')})\\): FATAL: `));
    });
  }
});
