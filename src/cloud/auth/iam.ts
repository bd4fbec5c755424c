// The IAM calls: sign-in with a password or a GitHub OIDC ID token (each gives a project-scoped token in the
// X-Subject-Token header), and the project id by name. See ../shared/notes/otc-rds-api.md, section 4.
import { ApiError, PreconditionError, ResponseError, inputName } from '../../core/errors.ts';
import { header, type HttpTransport } from '../http.ts';
import { apiUrl, cloudId } from '../urls.ts';
import { callJson, checkedToken, requestIdOf, type Authorizer, type HintFor } from '../rds.ts';
import { withRetry, type RetryOptions } from '../../core/retry.ts';

export interface IamClient {
  transport: HttpTransport;
  /** Base URL of IAM, no trailing slash. */
  endpoint: URL;
  /** 401 and 403 are never retried (a failed AK/SK sign-in counts towards the key's lock). */
  retry: RetryOptions;
  /** Masks a secret the moment it arrives (log masker and redactor). */
  protect: (secret: string) => void;
  now: () => number;
  /** Takes the run's secrets out of an error body before it is cut. */
  redact?: ((text: string) => string) | undefined;
}

export interface IamToken {
  token: string;
  /** token.project.id of the answer; undefined when the answer lacks it. */
  projectId: string | undefined;
}

/** The project a token is scoped to: by id when the user gave one, else by name (the region's). */
export type ProjectScope = { id: string } | { name: string };

/** POSTs a sign-in body; the token is protected before anything else sees it. */
async function signIn(c: IamClient, what: string, path: string, body: unknown, headers: Record<string, string>, hint: HintFor): Promise<IamToken> {
  return withRetry(what, async () => {
    const { json, res } = await callJson({
      transport: c.transport,
      method: 'POST',
      url: apiUrl(c.endpoint, path),
      authorize: undefined,
      what,
      body: JSON.stringify(body),
      headers,
      hint,
      redact: c.redact,
      now: c.now,
    });
    const token = header(res, 'x-subject-token');
    if (!token) throw new ResponseError(`${what}: HTTP ${res.status} without an X-Subject-Token header`, { requestId: requestIdOf(res) });
    checkedToken(token, what, 'an X-Subject-Token', res);
    c.protect(token);
    const project = dig(json, 'token', 'project', 'id');
    return { token, projectId: typeof project === 'string' && project !== '' ? cloudId(project, `${what}: the token's project id`, requestIdOf(res)) : undefined };
  }, c.retry);
}

export function passwordSignIn(c: IamClient, user: { username: string; password: string; domain: string }, scope: ProjectScope): Promise<IamToken> {
  const body = {
    auth: {
      identity: { methods: ['password'], password: { user: { name: user.username, password: user.password, domain: { name: user.domain } } } },
      scope: { project: scope },
    },
  };
  return signIn(c, 'IAM password sign-in', '/v3/auth/tokens?nocatalog=true', body, {}, (status) => {
    if (status === 401) return `IAM refused the sign-in: check ${inputName('username')}, ${inputName('password')} and ${inputName('domain')} (the account name), and that the project exists in that account`;
    if (status === 403) return 'IAM refused the sign-in: the user may lack programmatic (API) access';
    return undefined;
  });
}

export function oidcSignIn(c: IamClient, o: { identityProvider: string; idToken: string; audience: string }, scope: ProjectScope): Promise<IamToken> {
  const body = { auth: { id_token: { id: o.idToken }, scope: { project: scope } } };
  return signIn(c, 'IAM OIDC sign-in', '/v3.0/OS-AUTH/id-token/tokens', body, { 'X-Idp-Id': o.identityProvider }, (status) => {
    if (status === 401) {
      return `IAM refused the GitHub ID token: the identity provider's issuer must be https://token.actions.githubusercontent.com, its client ID '${o.audience}' (from ${inputName('audience')}), and its mapping rules must match this repository`;
    }
    if (status === 403) return "IAM refused the federated user: the mapping rules must put it in a user group with RDS permissions in this project";
    if (status === 404) return `IAM knows no identity provider '${o.identityProvider}': check ${inputName('identity-provider')} (the provider's name in IAM)`;
    return undefined;
  });
}

/**
 * The id of the project named `name`. With a user token (given, or from a password or OIDC sign-in whose answer
 * named no project), GET /v3/auth/projects first: it lists the token's own projects and needs no permission. Then
 * (AK/SK, or no match there) GET /v3/projects?name=..., which needs the permission to list the account's projects.
 * (AK/SK does not try the first: a signature refused there would count towards locking the key.)
 */
export async function findProjectId(c: IamClient, name: string, authorize: Authorizer, o: { userToken: boolean }): Promise<string> {
  if (o.userToken) {
    const own = await ownProjectId(c, name, authorize);
    if (own !== undefined) return own;
  }
  return listedProjectId(c, name, authorize);
}

/** GET /v3/auth/projects → the id of the one named `name`; undefined when it lists none such, or is refused with 403/404. */
async function ownProjectId(c: IamClient, name: string, authorize: Authorizer): Promise<string | undefined> {
  const what = "IAM project lookup (the token's own projects)";
  try {
    const { json } = await withRetry(what, () => callJson({
      transport: c.transport,
      method: 'GET',
      url: apiUrl(c.endpoint, '/v3/auth/projects'),
      authorize,
      what,
      now: c.now,
      redact: c.redact,
      hint: (status) => (status === 401 ? 'IAM refused the token: is it expired (IAM tokens live 24 hours) or for another region?' : undefined),
    }), c.retry);
    const projects = dig(json, 'projects');
    const match = Array.isArray(projects) ? projects.find((p) => dig(p, 'name') === name) : undefined;
    const id = dig(match, 'id');
    return typeof id === 'string' && id !== '' ? cloudId(id, `${what}: the id of project '${name}'`) : undefined;
  } catch (e) {
    // Not offered here, or not to this token: the listing by name may still answer.
    if (e instanceof ApiError && (e.status === 403 || e.status === 404)) return undefined;
    throw e;
  }
}

/** GET /v3/projects?name=... → projects[0].id. */
async function listedProjectId(c: IamClient, name: string, authorize: Authorizer): Promise<string> {
  const what = 'IAM project lookup';
  const url = apiUrl(c.endpoint, '/v3/projects');
  url.searchParams.set('name', name);
  const { json, res } = await withRetry(what, () => callJson({
    transport: c.transport,
    method: 'GET',
    url,
    authorize,
    what,
    now: c.now,
    redact: c.redact,
    hint: (status) => {
      if (status === 401) return 'IAM refused the credentials';
      if (status === 403) return `The credentials may not list projects: set ${inputName('project-id')} (console: My Credentials, Projects) to skip the lookup`;
      return undefined;
    },
  }), c.retry);
  const projects = dig(json, 'projects');
  if (!Array.isArray(projects)) throw new ResponseError(`${what}: unexpected answer: field 'projects' is missing or not an array`, { requestId: requestIdOf(res) });
  // The one named so: an answer that lists others too (a filter not applied) must not hand over another project.
  const named = projects.filter((p) => dig(p, 'name') === name);
  if (named.length > 1) throw new ResponseError(`${what}: IAM lists ${named.length} projects named '${name}'; set ${inputName('project-id')}`, { requestId: requestIdOf(res) });
  const id = dig(named[0], 'id');
  if (typeof id !== 'string' || id === '') {
    throw new PreconditionError(`${what}: IAM lists no project named '${name}' for these credentials; check ${inputName('project-name')} (when not set: the region's name), or set ${inputName('project-id')} (console: My Credentials, Projects)`);
  }
  return cloudId(id, `${what}: the id of project '${name}'`, requestIdOf(res));
}

function dig(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
