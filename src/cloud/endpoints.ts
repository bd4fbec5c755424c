// Where each region's services live. Sources: the OTC "Regions and Endpoints" page and the Huawei Cloud endpoint list.
import { InputError } from '../core/errors.ts';

interface RegionEndpoints {
  rds: string;
  iam: string;
  /** False where the public docs do not confirm the host. */
  verified: boolean;
}

const OTC: Record<string, RegionEndpoints> = {
  'eu-de': { rds: 'rds.eu-de.otc.t-systems.com', iam: 'iam.eu-de.otc.t-systems.com', verified: true },
  'eu-nl': { rds: 'rds.eu-nl.otc.t-systems.com', iam: 'iam.eu-nl.otc.t-systems.com', verified: true },
  'eu-ch2': { rds: 'rds.eu-ch2.sc.otc.t-systems.com', iam: 'iam-pub.eu-ch2.sc.otc.t-systems.com', verified: false },
};

// Huawei Cloud region names: cn-north-4, ap-southeast-1, eu-west-101, la-north-2, ...
const HUAWEI_REGION = /^[a-z]{2}-[a-z]+-\d{1,3}$/;

/** The region's hosts, or undefined for a name this action does not know. */
function findRegion(region: string): RegionEndpoints | undefined {
  const known = OTC[region];
  if (known) return known;
  if (HUAWEI_REGION.test(region)) {
    return { rds: `rds.${region}.myhuaweicloud.com`, iam: `iam.${region}.myhuaweicloud.com`, verified: false };
  }
  return undefined;
}

function regionEndpoints(region: string): RegionEndpoints {
  const found = findRegion(region);
  if (found) return found;
  throw new InputError(
    'region',
    (n) => `'${region}' is not a known region: use ${Object.keys(OTC).join(', ')} (Open Telekom Cloud), a Huawei Cloud region such as ap-southeast-1, or set ${n('endpoint')}`,
  );
}

/** Whether the public docs confirm the region's hosts (eu-ch2's RDS host and Huawei Cloud's are guesses). */
export function regionConfirmed(region: string): boolean {
  return findRegion(region)?.verified ?? false;
}

export function rdsEndpointForRegion(region: string): URL {
  return new URL(`https://${regionEndpoints(region).rds}`);
}

/** The region's IAM endpoint; undefined for a region this action does not know (then 'iam-endpoint' must say). */
export function iamEndpointForRegion(region: string): URL | undefined {
  const found = findRegion(region);
  return found ? new URL(`https://${found.iam}`) : undefined;
}
