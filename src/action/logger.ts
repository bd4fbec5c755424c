// The Logger port over @actions/core: every message is defused (core/command-guard.ts) before core sees it, and
// first redacted when given a redaction (the runner masks whole secrets only: an API's text may quote one cut
// or encoded).
import * as core from '@actions/core';
import type { Logger } from '../core/ports.ts';
import { defuse } from '../core/command-guard.ts';

/** An annotation's title, redacted and defused like its message (the runner shows both). */
function defuseProps(p: core.AnnotationProperties | undefined, redact: (text: string) => string): core.AnnotationProperties {
  return p?.title === undefined ? { ...p } : { ...p, title: defuse(redact(p.title)) };
}

export const actionsLogger: Logger = redactingLogger((s) => s);

/** The action's logger, every message and title through `redact` first. */
export function redactingLogger(redact: (text: string) => string): Logger {
  const clean = (m: string): string => defuse(redact(m));
  const props = (p: core.AnnotationProperties | undefined): core.AnnotationProperties => defuseProps(p, redact);
  return {
    info: (m) => core.info(clean(m)),
    warning: (m, p) => core.warning(clean(m), props(p)),
    error: (m, p) => core.error(clean(m), props(p)),
    debug: (m) => core.debug(redact(m)),
    mask: (s) => core.setSecret(s),
    group: (name, fn) => core.group(clean(name), fn),
  };
}
