// The Logger port over @actions/core: every message is defused (core/command-guard.ts) before core sees it.
import * as core from '@actions/core';
import type { Logger } from '../core/ports.ts';
import { defuse } from '../core/command-guard.ts';

export const actionsLogger: Logger = {
  info: (m) => core.info(defuse(m)),
  warning: (m, p) => core.warning(m, p ?? {}),
  error: (m, p) => core.error(m, p ?? {}),
  debug: (m) => core.debug(m),
  mask: (s) => core.setSecret(s),
  group: (name, fn) => core.group(defuse(name), fn),
};
