// An environment variable of this process set for one test, as code that reads it (os.homedir(): HOME) sees it.
import type { TestContext } from 'node:test';

/** Sets process.env[name] to `value` until test `t` ends; then it is as it was (unset if it was). */
export function setEnvFor(t: TestContext, name: string, value: string): void {
  const before = process.env[name];
  t.after(() => {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  });
  process.env[name] = value;
}
