// Whether a folder or a file can be written, tried rather than asked: access() on Windows reads neither ACLs nor
// a folder's read-only flag, so a folder the runner may not write passed, and the run failed only after waiting
// for RDS. Nothing is left behind: the probe file is removed, the existing file opened without a change.
import { constants } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Open flags of a file created only if no entry has its name (a symlink included, on Windows as CREATE_NEW). */
export const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
/** The same, never through a symlink where the system can say so (not Windows: CREATE_NEW alone suffices there). */
export const NEW_NO_FOLLOW = CREATE_NEW | (constants.O_NOFOLLOW ?? 0);
/** The mode of what the run writes: read and written by its owner only (a log may hold what the database was given). */
export const FILE_MODE = 0o600;
/** Folders made for them: their owner's only too (an existing one is left as it is). */
export const DIR_MODE = 0o700;

/** Why nothing can be created in `dir` (an errno code), or undefined when something can. */
export async function cannotCreateIn(dir: string): Promise<string | undefined> {
  const probe = join(dir, `.otc-rds-logs-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const fh = await open(probe, NEW_NO_FOLLOW, FILE_MODE);
    await fh.close().catch(() => {});
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
  // A scanner holding the new file may refuse this once (Windows): a second try, then it is left (it is empty).
  await unlink(probe).catch(() => unlink(probe)).catch(() => {});
  return undefined;
}

/** Why the existing `file` cannot be written (an errno code), or undefined when it can; it is not changed. */
export async function cannotWrite(file: string): Promise<string | undefined> {
  try {
    await (await open(file, 'r+')).close();
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}
