// Which instance, and whether its error logs can be fetched: found by name (exactly one match), checked to be
// PostgreSQL and ACTIVE (or on its way back) before the errorlog-download call, so a wrong instance fails plainly,
// not with a DBS code.
import { ApiError, PreconditionError, errorMessage, inputName } from '../core/errors.ts';
import type { InstanceRef } from '../core/config.ts';
import type { Logger } from '../core/ports.ts';
import { credentialsRefused, listInstances, type InstanceInfo, type RdsClientOptions } from './rds.ts';
import { cloudId } from './urls.ts';
import { withRetry, type RetryOptions } from '../core/retry.ts';

export type LookupOptions = Omit<RdsClientOptions, 'instanceId'> & { region: string; retry: RetryOptions; logger: Logger };

export function describeInstance(i: InstanceInfo): string {
  const engine = [i.datastoreType || 'unknown engine', i.datastoreVersion].filter(Boolean).join(' ');
  return `'${i.name}' (id ${i.id}, ${engine}, ${i.status || 'no status'})`;
}

/**
 * The id of the instance the user means, and the instance as the check found it: `info` is undefined when it
 * was named by id and the check was refused with 403 (listing may be a permission the user lacks: the
 * errorlog-download call is tried anyway).
 */
export async function findInstance(ref: InstanceRef, o: LookupOptions): Promise<{ id: string; info: InstanceInfo | undefined }> {
  const where = `in project ${o.projectId} (region ${o.region})`;
  let found: InstanceInfo[];
  try {
    found = await withRetry('RDS instance lookup', () => listInstances({ ...o, filter: ref.by === 'id' ? { id: ref.id } : { name: ref.name } }), o.retry);
  } catch (e) {
    // A 403 may be a missing list permission (then the logs may still come), or RDS refusing the token itself.
    if (ref.by === 'id' && e instanceof ApiError && e.status === 403 && !credentialsRefused(e.status, e.errorCode)) {
      o.logger.warning(
        `Could not check the instance before fetching its logs: ${errorMessage(e)}. Going on to the errorlog-download call`,
        { title: 'Instance not checked' },
      );
      return { id: ref.id, info: undefined };
    }
    throw e;
  }
  let instance: InstanceInfo;
  if (ref.by === 'name') {
    const exact = found.filter((i) => i.name === ref.name);
    if (exact.length !== 1) {
      const listed = (exact.length > 1 ? exact : found).map(describeInstance).join('; ');
      throw new PreconditionError(exact.length === 0
        ? `No RDS instance is named '${ref.name}' ${where}${found.length > 0 ? `; the lookup found only: ${listed}` : ''}. Check ${inputName('instance-name')}, ${inputName('region')} and ${inputName('project-id')}`
        : `${exact.length} RDS instances are named '${ref.name}' ${where}: ${listed}. Set ${inputName('instance-id')} to pick one`);
    }
    instance = exact[0]!;
    // The id goes into the errorlog-download path: only what ids are made of.
    cloudId(instance.id, `RDS instance lookup: the id of '${ref.name}'`);
  } else {
    const match = found.find((i) => i.id === ref.id);
    if (!match) throw new PreconditionError(`No RDS instance has the id '${ref.id}' ${where}. Check ${inputName('instance-id')}, ${inputName('region')} and ${inputName('project-id')}`);
    instance = match;
  }
  if (instance.datastoreType.toLowerCase() !== 'postgresql') {
    throw new PreconditionError(`Instance '${instance.name}' (id ${instance.id}) is ${instance.datastoreType || 'of an unknown engine'}: only PostgreSQL error logs are read`);
  }
  if (!mayBecomeActive(instance.status)) {
    throw new PreconditionError(`Instance '${instance.name}' (id ${instance.id}) is ${instance.status || 'of unknown status'}, not ACTIVE; error logs can be fetched only from an ACTIVE instance`);
  }
  return { id: instance.id, info: instance };
}

/**
 * States an instance stays in until someone acts (failed, frozen for billing, stopped, being deleted): the logs
 * cannot come, so the run says so at once.
 */
const STUCK = new Set(['FAILED', 'FROZEN', 'SHUTDOWN', 'STOPPED', 'STOPPING', 'DELETED', 'DELETING', 'ABNORMAL', 'CREATEFAIL', 'CREATE FAIL', 'CREATE_FAIL', 'RESTORE FAILED']);
/**
 * States that pass by themselves, often right after the deployment that caused them (a reboot for a parameter, a
 * resize, the daily backup): the run waits for RDS to stop refusing. Any other state not ACTIVE (STORAGE FULL, which
 * needs a larger disk, or one not known here) is asked once: RDS may serve the logs in it, or refuse.
 */
const PASSING = /^(?:BACKING UP|REBOOTING|RESTARTING|MODIFYING(?: .*)?|SWITCHOVER|RESTORING|MIGRATING|BUILD|UPGRADING(?: .*)?)$/;

const stateOf = (status: string): string => status.trim().toUpperCase();

function mayBecomeActive(status: string): boolean {
  const s = stateOf(status);
  return s !== '' && !STUCK.has(s);
}

/** ACTIVE now (or not known: not checked); `passing`: on its way back by itself (see PASSING); else another state. */
export function activity(info: InstanceInfo | undefined): 'active' | 'passing' | 'other' {
  const state = info === undefined ? 'ACTIVE' : stateOf(info.status);
  return state === 'ACTIVE' ? 'active' : PASSING.test(state) ? 'passing' : 'other';
}
