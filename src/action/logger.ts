// The Logger port over @actions/core: workflow commands for groups, annotations and masks.
import * as core from '@actions/core';
import type { Logger } from '../core/ports.ts';

/**
 * Plain log lines can carry text from the API or the logs (a file name, an instance name). core.info writes
 * them as they are, so a line starting with `::` would be run as a workflow command (`::add-mask::`,
 * `::stop-commands::`, ...): defuse it. Annotations are escaped by @actions/core itself.
 */
export function defuse(message: string): string {
  return message.replace(/\r/g, '\\r').replace(/(^|\n)::/g, '$1: :');
}

export const actionsLogger: Logger = {
  info: (m) => core.info(defuse(m)),
  warning: (m, p) => core.warning(m, p ?? {}),
  error: (m, p) => core.error(m, p ?? {}),
  debug: (m) => core.debug(m),
  mask: (s) => core.setSecret(s),
  group: (name, fn) => core.group(defuse(name), fn),
};
