// Programs the tests run as real peers (Squid, mkfs.exfat, losetup), found as a shell would, plus the sbin
// folders a user's PATH may lack.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

/** Whether `path` is a file this process may run. */
export function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where `cmd` is: on PATH, or in /usr/sbin, /sbin, /usr/local/sbin. */
export function which(cmd: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  return dirs.filter((d) => d !== '').map((d) => join(d, cmd)).find(executable);
}
