// Credentials for the RDS API. Token auth: the X-Auth-Token header, to the API's host only.
import type { Authorizer } from './rds.ts';

export function tokenAuthorizer(token: string): Authorizer {
  return async () => ({ 'X-Auth-Token': token });
}
