// The user's home folder, or none: a container's user may have no HOME and no passwd entry (os.homedir() then
// throws), or an empty HOME (os.homedir() returns it, and '~/logs' would be '/logs').
import { homedir } from 'node:os';

/** The home folder as Python's expanduser finds it (Windows: USERPROFILE, not HOME), or undefined when there is none. */
export function homeOf(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  const given = platform === 'win32' ? env['USERPROFILE'] || (env['HOMEDRIVE'] && env['HOMEPATH'] ? env['HOMEDRIVE'] + env['HOMEPATH'] : '') : env['HOME'];
  if (given) return given;
  try {
    return homedir() || undefined;
  } catch {
    return undefined;
  }
}
