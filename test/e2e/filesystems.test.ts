// output-dir on a file system without hard links: exFAT, as FAT, older ReFS and many SMB, NAS and FUSE mounts
// are (a self-hosted runner's work folder, an external drive). A real exFAT image (mkfs.exfat) on a loop device,
// mounted with exfat-fuse, the driver distributions shipped before the kernel had one; .ci/run installs both.
// (fusefat, tried first, sometimes read back short what was just written: its own warning calls it experimental.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRig, type Rig } from '../support/harness.ts';
import { skipUnlessCi } from '../support/ci.ts';
import { which } from '../support/tools.ts';

const tools = { mkfs: which('mkfs.exfat'), mount: which('mount.exfat-fuse'), losetup: which('losetup') };
const missing = process.platform !== 'linux' ? 'exFAT by FUSE on a loop device, as on Linux'
  : !existsSync('/dev/fuse') ? 'no /dev/fuse'
  : Object.values(tools).includes(undefined) ? 'exfat-fuse or exfatprogs not installed (apt-get install exfat-fuse exfatprogs)' : undefined;
// In CI on Linux the packages must be there (.ci/run installs them): a check that quietly skips there checks
// nothing. A loop device needs root, which a hosted runner's user is not: that is a skip everywhere, said so.
const notRoot = process.getuid?.() !== 0 ? 'a loop device needs root' : undefined;
const skip = (process.platform === 'linux' ? skipUnlessCi(missing) : missing ?? false) || (notRoot ?? false);

/** An exFAT file system of `size`, mounted read-write at the returned folder until `unmount`. */
async function exfatMount(size: string): Promise<{ dir: string; unmount(): Promise<void> }> {
  if (missing !== undefined) throw new Error(`exFAT by FUSE: ${missing}`);
  const base = await mkdtemp(join(tmpdir(), 'exfat-'));
  const image = join(base, 'exfat.img');
  const dir = join(base, 'mnt');
  await mkdir(dir);
  execFileSync('truncate', ['-s', size, image]);
  execFileSync(tools.mkfs!, [image], { stdio: 'ignore' });
  const loop = execFileSync(tools.losetup!, ['-f', '--show', image]).toString().trim();
  try {
    execFileSync(tools.mount!, [loop, dir], { stdio: 'ignore' });
  } catch (e) {
    spawnSync(tools.losetup!, ['-d', loop]);
    throw e;
  }
  return {
    dir,
    async unmount() {
      const u = spawnSync('umount', [dir]);
      // Still mounted, the image's folder must not be removed through the mount.
      if (u.status !== 0) throw new Error(`umount ${dir}: ${u.stderr.toString()}`);
      spawnSync(tools.losetup!, ['-d', loop]);
      await rm(base, { recursive: true, force: true });
    },
  };
}

test('output-dir on exFAT (no hard links): every file arrives under its name, byte for byte, no part file left', { skip }, async () => {
  const files = [
    { name: 'postgresql-2026-11-28_080000.log', data: Buffer.from('2026-11-28 08:00:01 UTC [101] ERROR:  relation "orders" does not exist\n') },
    // Half the disk: a copy (the first fallback) would have needed it twice, and once read back short.
    { name: 'postgresql-2026-11-28_090000.log', size: 6 * 1024 * 1024 + 5 },
  ];
  const fat = await exfatMount('16M');
  let rig: Rig | undefined;
  try {
    rig = await startRig({ files });
    const out = join(fat.dir, 'logs');
    const r = await rig.run({ inputs: { 'output-dir': out } });
    assert.equal(r.code, 0, r.log.slice(-3000));
    assert.equal(r.outputs['file-count'], '2');
    assert.equal(r.outputs['error-count'], '1');
    assert.deepEqual((await readdir(out)).sort(), files.map((f) => f.name).sort());
    for (const f of files) assert.ok((await readFile(join(out, f.name))).equals(rig.rds.bytesOf(f.name)), f.name);
    assert.equal(rig.artifacts.artifacts().length, 1);
  } finally {
    await rig?.close();
    await fat.unmount();
  }
});
