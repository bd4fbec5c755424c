// Whether the logs were read whole: what a report and the count outputs say when they were not. Light on
// purpose (the step's outputs and summary need it, not the digest's reader).
import { actionInputName, inputName } from '../core/errors.ts';
import type { FileDigest } from './digest.ts';

/** Why a file was not read to its end when `until` came first. */
export const OUT_OF_TIME = "the step's 'timeout' came first";

/**
 * Why the counts of `d` are not the whole logs', or undefined when every file was read to its end as a log: a
 * file that could not be read to the end, one whose reading was stopped (gzip limits, the step's timeout), or one
 * that could not be read as a log (misreadOf). Its counts are then what was read, not what the logs hold:
 * unknown, for the outputs.
 */
export function incompleteRead(d: { files: readonly FileDigest[] }): string | undefined {
  for (const f of d.files) {
    if (f.error !== undefined) return `'${f.name}' could not be read to the end (${f.error})`;
    if (f.stopped !== undefined) return `'${f.name}' was not read to the end (${stoppedWhy(f.stopped)})`;
    if (f.misread !== undefined) return `'${f.name}' could not be read as a log: ${f.misread}`;
  }
  return undefined;
}

/**
 * Why a file was not read to its end, as the running door says it: the reader (in a worker thread, which knows
 * no door) marks the step's timeout with OUT_OF_TIME; the door names that input its own way.
 */
export function stoppedWhy(stopped: string): string {
  if (stopped !== OUT_OF_TIME || inputName('timeout') === actionInputName('timeout')) return stopped;
  return `${inputName('timeout')} came first`;
}
