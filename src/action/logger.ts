// The Logger port over @actions/core: every message is defused (core/command-guard.ts) before core sees it.
import * as core from '@actions/core';
import type { Logger } from '../core/ports.ts';
import { defuse } from '../core/command-guard.ts';

/** An annotation's title, defused like its message (the runner shows both). */
function defuseProps(p: core.AnnotationProperties | undefined): core.AnnotationProperties {
  return p?.title === undefined ? { ...p } : { ...p, title: defuse(p.title) };
}

export const actionsLogger: Logger = {
  info: (m) => core.info(defuse(m)),
  warning: (m, p) => core.warning(defuse(m), defuseProps(p)),
  error: (m, p) => core.error(defuse(m), defuseProps(p)),
  debug: (m) => core.debug(m),
  mask: (s) => core.setSecret(s),
  group: (name, fn) => core.group(defuse(name), fn),
};
