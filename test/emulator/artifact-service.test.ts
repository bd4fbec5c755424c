// Drives the REAL @actions/artifact client against the local fake service, so both the fake and our
// understanding of the client's protocol are checked. The client logs through @actions/core to stdout.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import { startArtifactService } from '../../emulator/artifact-service.ts';
import type { ArtifactService, StoredArtifact } from '../../emulator/artifact-service.ts';
import { readZip } from '../support/zip.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('artifact service fake with the real @actions/artifact client', () => {
  let service: ArtifactService;
  let root: string;
  let files: string[];
  const contents = new Map<string, Buffer>();
  const savedEnv = new Map<string, string | undefined>();

  // The client reads its configuration from process.env at call time.
  function setEnv(name: string, value: string | undefined): void {
    if (!savedEnv.has(name)) savedEnv.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }

  before(async () => {
    service = await startArtifactService();
    for (const [name, value] of Object.entries(service.env)) setEnv(name, value);
    // A GHES server URL would make the client refuse; a repository retention cap would change expires_at.
    setEnv('GITHUB_SERVER_URL', undefined);
    setEnv('GITHUB_RETENTION_DAYS', undefined);

    root = await mkdtemp(join(tmpdir(), 'artifact-service-'));
    await mkdir(join(root, 'sub'));
    contents.set('error.log', Buffer.from('2024-05-01 12:00:00 UTC ERROR: relation "x" does not exist\n'.repeat(200)));
    contents.set('sub/data.bin', randomBytes(70_000)); // incompressible: exercises deflate's stored blocks
    for (const [name, data] of contents) await writeFile(join(root, name), data);
    files = [...contents.keys()].map((name) => join(root, name));
  });

  after(async () => {
    await service.close();
    await rm(root, { recursive: true, force: true });
    for (const [name, value] of savedEnv) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  afterEach(() => {
    // Restore the right token after a test that swapped it.
    process.env['ACTIONS_RUNTIME_TOKEN'] = service.env['ACTIONS_RUNTIME_TOKEN'];
  });

  function stored(name: string): StoredArtifact {
    const matches = service.artifacts().filter((a) => a.name === name);
    assert.equal(matches.length, 1, `exactly one stored artifact named ${name}`);
    return matches[0]!;
  }

  async function assertRoundTrip(artifact: StoredArtifact, method: number): Promise<void> {
    const entries = await readZip(artifact.zip);
    assert.deepEqual(entries.map((e) => e.name).sort(), [...contents.keys()].sort());
    for (const entry of entries) {
      assert.deepEqual(entry.data, contents.get(entry.name), `bytes of ${entry.name}`);
      assert.equal(entry.method, method, `method of ${entry.name}`);
    }
  }

  test('uploads two files: names relative to the root, bytes, size and digest round-trip', async () => {
    const result = await new DefaultArtifactClient().uploadArtifact('logs-plain', files, root);

    const artifact = stored('logs-plain');
    assert.equal(artifact.finalized, true);
    assert.equal(result.id, Number(artifact.id));
    assert.equal(result.size, artifact.zip.length);
    assert.equal(artifact.size, artifact.zip.length);
    assert.equal(result.digest, createHash('sha256').update(artifact.zip).digest('hex'));
    assert.equal(artifact.digest, result.digest);
    assert.equal(artifact.expiresAt, undefined, 'no retentionDays, no expires_at');
    await assertRoundTrip(artifact, 8); // default compression level 6: deflate

    // The bearer token goes to the service calls only, never to the blob upload URL.
    const twirp = service.requests.filter((r) => r.path.startsWith('/twirp/'));
    const blob = service.requests.filter((r) => !r.path.startsWith('/twirp/'));
    assert.ok(twirp.length >= 2 && blob.length >= 2);
    for (const r of twirp) assert.equal(r.headers.authorization, `Bearer ${service.env['ACTIONS_RUNTIME_TOKEN']}`);
    for (const r of blob) assert.equal(r.headers.authorization, undefined, r.path);
  });

  test('retentionDays becomes expires_at', async () => {
    const start = Date.now();
    await new DefaultArtifactClient().uploadArtifact('logs-retention', files, root, { retentionDays: 5 });
    const expiresAt = stored('logs-retention').expiresAt;
    assert.ok(expiresAt !== undefined);
    // The client adds days in local time, so a DST change can move it by an hour.
    const at = Date.parse(expiresAt);
    assert.ok(at >= start + 5 * DAY_MS - 3_600_000 && at <= Date.now() + 5 * DAY_MS + 3_600_000, expiresAt);
  });

  test('compressionLevel 0 stores the entries; a corrupted entry fails the CRC check', async () => {
    await new DefaultArtifactClient().uploadArtifact('logs-stored', files, root, { compressionLevel: 0 });
    const artifact = stored('logs-stored');
    await assertRoundTrip(artifact, 0);

    const corrupt = Buffer.from(artifact.zip);
    const offset = corrupt.indexOf('relation "x"');
    assert.ok(offset > 0);
    corrupt[offset] = corrupt[offset]! ^ 0xff;
    await assert.rejects(readZip(corrupt), { name: 'Error', message: 'zip: bad CRC for error.log' });
  });

  test('a zip spanning several 8 MiB blocks is assembled in block-list order', async () => {
    const dir = join(root, 'big');
    await mkdir(dir);
    const data = randomBytes(20 * 1024 * 1024);
    await writeFile(join(dir, 'big.bin'), data);
    const before = service.requests.length;
    const result = await new DefaultArtifactClient().uploadArtifact('logs-big', [join(dir, 'big.bin')], dir, {
      compressionLevel: 0,
    });
    const blocks = service.requests.slice(before).filter((r) => r.path.includes('comp=block&'));
    assert.equal(blocks.length, 3);
    const artifact = stored('logs-big');
    assert.equal(result.size, artifact.size);
    const entries = await readZip(artifact.zip);
    assert.equal(entries.length, 1);
    assert.equal(entries[0]?.name, 'big.bin');
    assert.ok(entries[0]?.data.equals(data), 'bytes of big.bin');
  });

  test('a finalized name is a 409 conflict; deleteArtifact then upload replaces it', async () => {
    const client = new DefaultArtifactClient();
    const first = await client.uploadArtifact('logs-again', files.slice(0, 1), root);

    // @actions/artifact turns the service's refusal into a plain Error carrying the status and the reason.
    await assert.rejects(client.uploadArtifact('logs-again', files, root), { name: 'Error', message: /^Failed to CreateArtifact: Received non-retryable error: .*\(409\).*already exists/ });
    assert.equal(stored('logs-again').id, String(first.id), 'the first artifact is untouched');

    // The client has no overwrite option (6.2.1): the caller deletes, then uploads again.
    const deleted = await client.deleteArtifact('logs-again');
    assert.equal(deleted.id, first.id);
    const second = await client.uploadArtifact('logs-again', files, root);
    assert.notEqual(second.id, first.id);
    await assertRoundTrip(stored('logs-again'), 8);
  });

  test('a 500 from CreateArtifact is retried by the client (~3 s)', async () => {
    service.failNext('CreateArtifact', 500);
    const before = service.requests.length;
    await new DefaultArtifactClient().uploadArtifact('logs-retried', files, root);
    const creates = service.requests.slice(before).filter((r) => r.path.endsWith('/CreateArtifact'));
    assert.equal(creates.length, 2);
    assert.equal(stored('logs-retried').finalized, true);
  });

  test('a failed block upload leaves an unfinalized artifact that a new upload replaces', async () => {
    const client = new DefaultArtifactClient();
    service.failNext('UploadBlock', 403); // not retried by the Azure SDK, so this fails fast
    // The Azure SDK's error for the blob service's answer, with the status and the service's error code.
    await assert.rejects(client.uploadArtifact('logs-broken', files, root), { name: 'RestError', statusCode: 403, code: 'InjectedFailure', message: /injected failure/ });
    assert.equal(stored('logs-broken').finalized, false);

    await client.uploadArtifact('logs-broken', files, root);
    assert.equal(stored('logs-broken').finalized, true);
    await assertRoundTrip(stored('logs-broken'), 8);
  });

  test('a wrong bearer token is refused with a JSON 401 and not retried', async () => {
    const [header = '', payload = ''] = (service.env['ACTIONS_RUNTIME_TOKEN'] ?? '').split('.');
    process.env['ACTIONS_RUNTIME_TOKEN'] = `${header}.${payload}.forged`;
    await assert.rejects(
      new DefaultArtifactClient().uploadArtifact('logs-unauthorized', files, root),
      { name: 'Error', message: /^Failed to CreateArtifact: Received non-retryable error: .*\(401\)/ },
    );
    assert.equal(service.artifacts().filter((a) => a.name === 'logs-unauthorized').length, 0);
  });
});
