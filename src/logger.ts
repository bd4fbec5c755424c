// The Logger port over @actions/core: workflow commands for groups, annotations and masks.
import * as core from '@actions/core';
import type { Logger } from './ports.ts';

export const actionsLogger: Logger = {
  info: (m) => core.info(m),
  warning: (m, p) => core.warning(m, p ?? {}),
  error: (m, p) => core.error(m, p ?? {}),
  debug: (m) => core.debug(m),
  mask: (s) => core.setSecret(s),
  group: (name, fn) => core.group(name, fn),
};
