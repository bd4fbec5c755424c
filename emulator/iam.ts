// An emulator of the three Open Telekom Cloud IAM calls the action can make (../shared/notes/otc-rds-api.md,
// section 4), as a node:http request handler: mount it on any server (port 0 on 127.0.0.1 in tests).
//
//   POST /v3/auth/tokens                    password -> 201 + X-Subject-Token (project-scoped); ?nocatalog
//   POST /v3.0/OS-AUTH/id-token/tokens      OpenID Connect ID token (GitHub's) -> 201 + X-Subject-Token
//   GET  /v3/projects?name=eu-de            with X-Auth-Token or an AK/SK signature -> {projects:[...]}
//   GET  /v3/auth/projects                  with X-Auth-Token only, no permission needed -> the caller's projects
//
// The state is plain data (users, identity providers, projects, issued tokens, recorded requests) that a
// test may read and change; `now` is injectable so token expiry and X-Sdk-Date skew can be tested.
// validateToken(state, token) lets the RDS emulator check X-Auth-Token against the tokens issued here, and
// accessKeySecrets(state) gives it the AK -> SK map for emulator/signature.ts.
//
// Deliberate simplifications (the action needs no more):
// - Only project-scoped tokens are issued; a domain scope or no scope is refused (400, IAM.0007).
// - The OIDC ID token is checked for form and claims only: three base64url parts, a JSON header with an
//   `alg` other than "none", `iss` equal to the provider's issuer (GitHub's by default), `aud` equal to (or,
//   as an array, containing) the provider's audience, `exp` in the future and `nbf`, when present, not in
//   the future. Its SIGNATURE IS NOT VERIFIED: the emulator has no key set to check it against.
// - Tokens are random hex (real ones are long CMS blobs); their lifetime is 24 h unless configured.
//
// Errors carry both shapes seen from this API: Keystone's `{"error":{"code","message","title"}}` (what OTC
// IAM answered in practice, e.g. opentelekomcloud/otc-tools#36) and the documented
// `{"error_msg","error_code"}` (OTC IAM API reference, appendix "Error Codes", and the example responses
// of "Obtaining a Token with an OpenID Connect ID Token"). Codes used:
//   400 IAM.0011 "Request body is invalid."                      unparsable JSON, missing fields
//   400 IAM.0007 "Request parameter %s is invalid."              no X-Idp-Id, unsupported scope
//   401 IAM.0001 "The request you have made requires authentication."  wrong user/password/domain, an
//       unknown project in the scope (Keystone answers an unusable scope with 401 too), a bad ID token,
//       no credentials on GET /v3/projects
//   401 IAM.0067 "Invalid token." / IAM.0066 "The token has expired."   X-Auth-Token on GET /v3/projects
//   401 APIG.0301 (emulator/signature.ts)                        a bad AK/SK signature
//   404 IAM.0004 "Could not find %(target)s: %(target_id)s."     unknown identity provider, unknown route
//   500 IAM.0006                                                 an emulator bug
// (IAM.0002 is 403 "You are not authorized to perform the requested action.", a permission error, not a
// failed login, so it is not used for a wrong password.) Why a 401 happened is kept in the recorded
// request's `reason`, not in the answer, as the real service keeps it to itself.

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { apigErrorBody, verifySignature } from './signature.ts';

export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';
export const DEFAULT_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_BODY_BYTES = 1024 * 1024;

export interface IamDomain {
  id: string;
  name: string;
}

export interface IamUser {
  id: string;
  name: string;
  password: string;
  domain: IamDomain;
  /** Access key -> secret key, accepted as AK/SK signatures on GET /v3/projects. */
  accessKeys?: Readonly<Record<string, string>>;
}

export interface IamIdentityProvider {
  /** What the client sends as X-Idp-Id. */
  id: string;
  domain: IamDomain;
  /** The `aud` the ID token must carry. */
  audience: string;
  /** The `iss` the ID token must carry; default GitHub Actions' issuer. */
  issuer?: string;
  /** The federated user's name in issued tokens; default "FederationUser". */
  userName?: string;
}

export interface IamProject {
  id: string;
  name: string;
  domainId: string;
}

/** A catalog service with one public endpoint; `{project_id}` in the url becomes the token's project id. */
export interface IamCatalogService {
  type: string;
  name: string;
  url: string;
}

export interface IamConfig {
  users?: IamUser[];
  identityProviders?: IamIdentityProvider[];
  projects?: IamProject[];
  /** Services listed in the catalog after the identity service (which points back at this emulator). */
  catalog?: IamCatalogService[];
  tokenTtlMs?: number;
  now?: () => Date;
  /** GET /v3/projects answers 403 IAM.0002 (credentials without the permission to list projects). */
  listProjectsDenied?: boolean;
  /** OIDC token bodies carry no `project`, as OTC's own example of that answer shows. */
  oidcBodyWithoutProject?: boolean;
}

export interface IssuedToken {
  token: string;
  methods: ['password'] | ['mapped'];
  userId: string;
  userName: string;
  domain: IamDomain;
  project: IamProject;
  issuedAt: Date;
  expiresAt: Date;
}

export interface RecordedIamRequest {
  method: string;
  /** Path without the query, as sent. */
  path: string;
  /** The raw query without "?", "" when none. */
  query: string;
  headers: IncomingHttpHeaders;
  /** The status answered; absent until the answer is sent. */
  status?: number;
  /** Why the request was refused, when it was (the client is not told this much). */
  reason?: string;
}

export interface IamState {
  users: IamUser[];
  identityProviders: IamIdentityProvider[];
  projects: IamProject[];
  catalog: IamCatalogService[];
  tokenTtlMs: number;
  now: () => Date;
  listProjectsDenied: boolean;
  oidcBodyWithoutProject: boolean;
  /** Issued tokens by X-Subject-Token value. */
  tokens: Map<string, IssuedToken>;
  /** Every request received, in arrival order. */
  requests: RecordedIamRequest[];
}

export function createIamState(config: IamConfig = {}): IamState {
  return {
    users: config.users ?? [],
    identityProviders: config.identityProviders ?? [],
    projects: config.projects ?? [],
    catalog: config.catalog ?? [],
    tokenTtlMs: config.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS,
    listProjectsDenied: config.listProjectsDenied ?? false,
    oidcBodyWithoutProject: config.oidcBodyWithoutProject ?? false,
    now: config.now ?? (() => new Date()),
    tokens: new Map(),
    requests: [],
  };
}

type TokenLookup = { ok: true; token: IssuedToken } | { ok: false; expired: boolean };

function lookupToken(state: IamState, token: string): TokenLookup {
  const issued = state.tokens.get(token);
  if (issued === undefined) return { ok: false, expired: false };
  if (issued.expiresAt.getTime() <= state.now().getTime()) return { ok: false, expired: true };
  return { ok: true, token: issued };
}

/** The project (and domain) of a token issued here and not yet expired; undefined otherwise. */
export function validateToken(state: IamState, token: string): { projectId: string; domainId: string } | undefined {
  const found = lookupToken(state, token);
  return found.ok ? { projectId: found.token.project.id, domainId: found.token.domain.id } : undefined;
}

/** Every configured access key with its secret key, for verifySignature. */
export function accessKeySecrets(state: IamState): Map<string, string> {
  const keys = new Map<string, string>();
  for (const user of state.users) {
    for (const [accessKey, secretKey] of Object.entries(user.accessKeys ?? {})) keys.set(accessKey, secretKey);
  }
  return keys;
}

// ---------------------------------------------------------------------------------------------------------

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Recorded, not sent. */
  reason?: string;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
};

function iamError(status: number, code: string, message: string, reason?: string): Reply {
  const reply: Reply = {
    status,
    body: { error: { code: status, message, title: TITLES[status] ?? 'Error' }, error_msg: message, error_code: code },
  };
  if (reason !== undefined) reply.reason = reason;
  return reply;
}

const badBody = (reason: string) => iamError(400, 'IAM.0011', 'Request body is invalid.', reason);
const badParameter = (name: string, reason: string) =>
  iamError(400, 'IAM.0007', `Request parameter ${name} is invalid.`, reason);
const unauthorized = (reason: string) =>
  iamError(401, 'IAM.0001', 'The request you have made requires authentication.', reason);
const notFound = (target: string, id: string) =>
  iamError(404, 'IAM.0004', `Could not find ${target}: ${id}.`, `no ${target} ${id}`);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Walks `path` through nested objects; undefined when any step is missing or not an object. */
function dig(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Real IAM timestamps carry microseconds: 2015-11-09T01:42:57.527363Z. */
function iamTime(date: Date): string {
  return date.toISOString().replace(/Z$/, '000Z');
}

/** The project named by `auth.scope.project` (id first, else name) inside `domainId`. */
function resolveProjectScope(state: IamState, auth: unknown, domainId: string): IamProject | Reply {
  const scope = dig(auth, 'scope', 'project');
  const id = str(dig(scope, 'id'));
  const name = str(dig(scope, 'name'));
  if (id === undefined && name === undefined) {
    return badParameter('scope', 'the emulator issues project-scoped tokens only: auth.scope.project.{id|name}');
  }
  const project = state.projects.find(
    (p) => p.domainId === domainId && (id !== undefined ? p.id === id : p.name === name),
  );
  return project ?? unauthorized(`no project ${id ?? name} in domain ${domainId}`);
}

function catalogFor(state: IamState, req: IncomingMessage, project: IamProject) {
  const region = project.name.split('_')[0] ?? project.name;
  const services: IamCatalogService[] = [
    { type: 'identity', name: 'iam', url: `http://${req.headers.host ?? '127.0.0.1'}/v3` },
    ...state.catalog,
  ];
  return services.map((service, index) => ({
    type: service.type,
    name: service.name,
    id: `service-${index}`,
    endpoints: [
      {
        id: `endpoint-${index}`,
        interface: 'public',
        region,
        region_id: region,
        url: service.url.replaceAll('{project_id}', project.id),
      },
    ],
  }));
}

function issueToken(
  state: IamState,
  req: IncomingMessage,
  url: URL,
  identity: Omit<IssuedToken, 'token' | 'issuedAt' | 'expiresAt'>,
  userBody: Record<string, unknown>,
): Reply {
  const issuedAt = state.now();
  const issued: IssuedToken = {
    ...identity,
    token: randomBytes(32).toString('hex'),
    issuedAt,
    expiresAt: new Date(issuedAt.getTime() + state.tokenTtlMs),
  };
  state.tokens.set(issued.token, issued);
  const { project, domain } = issued;
  const token: Record<string, unknown> = {
    methods: issued.methods,
    expires_at: iamTime(issued.expiresAt),
    issued_at: iamTime(issuedAt),
    user: userBody,
    project: { id: project.id, name: project.name, domain: { id: domain.id, name: domain.name } },
    roles: [{ id: '0', name: 'te_admin' }],
  };
  if (state.oidcBodyWithoutProject && issued.methods[0] === 'mapped') delete token['project'];
  // "Any non-empty string for this parameter will be interpreted as true" (IAM API reference).
  if (!url.searchParams.get('nocatalog')) token['catalog'] = catalogFor(state, req, project);
  return { status: 201, headers: { 'X-Subject-Token': issued.token }, body: { token } };
}

function passwordToken(state: IamState, req: IncomingMessage, url: URL, body: Buffer): Reply {
  const json = parseJson(body);
  const auth = dig(json, 'auth');
  const methods = dig(auth, 'identity', 'methods');
  const user = dig(auth, 'identity', 'password', 'user');
  const name = str(dig(user, 'name'));
  const password = dig(user, 'password');
  const domainName = str(dig(user, 'domain', 'name'));
  if (!Array.isArray(methods) || !methods.includes('password')) return badBody('auth.identity.methods lacks "password"');
  if (name === undefined || typeof password !== 'string' || domainName === undefined) {
    return badBody('auth.identity.password.user needs name, password and domain.name');
  }
  const found = state.users.find((u) => u.name === name && u.domain.name === domainName);
  if (found === undefined || found.password !== password) {
    return unauthorized(found === undefined ? `no user ${name} in domain ${domainName}` : `wrong password for ${name}`);
  }
  const project = resolveProjectScope(state, auth, found.domain.id);
  if ('status' in project) return project;
  return issueToken(
    state,
    req,
    url,
    { methods: ['password'], userId: found.id, userName: found.name, domain: found.domain, project },
    { id: found.id, name: found.name, domain: { id: found.domain.id, name: found.domain.name }, password_expires_at: '' },
  );
}

function decodeJwtPart(part: string): Record<string, unknown> | undefined {
  const value = parseJson(Buffer.from(part, 'base64url'));
  return isRecord(value) ? value : undefined;
}

/** Why the ID token is unacceptable for `provider`, or undefined when it is acceptable (signature unchecked). */
function idTokenProblem(jwt: string, provider: IamIdentityProvider, nowMs: number): string | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) {
    return 'the ID token is not three base64url parts';
  }
  const header = decodeJwtPart(parts[0] ?? '');
  const claims = decodeJwtPart(parts[1] ?? '');
  if (header === undefined || claims === undefined) return 'the ID token header or payload is not a JSON object';
  if (typeof header['alg'] !== 'string' || header['alg'] === 'none') return 'the ID token has no usable alg';
  const issuer = provider.issuer ?? GITHUB_OIDC_ISSUER;
  if (claims['iss'] !== issuer) return `iss ${String(claims['iss'])} is not ${issuer}`;
  const aud = claims['aud'];
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(provider.audience)) return `aud ${JSON.stringify(aud)} does not contain ${provider.audience}`;
  const exp = claims['exp'];
  if (typeof exp !== 'number') return 'the ID token has no numeric exp';
  if (exp * 1000 <= nowMs) return `the ID token expired at ${new Date(exp * 1000).toISOString()}`;
  const nbf = claims['nbf'];
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf * 1000 > nowMs)) return 'the ID token is not valid yet (nbf)';
  return undefined;
}

function oidcToken(state: IamState, req: IncomingMessage, url: URL, body: Buffer): Reply {
  const idpId = req.headers['x-idp-id'];
  if (typeof idpId !== 'string' || idpId === '') return badParameter('X-Idp-Id', 'no X-Idp-Id header');
  const provider = state.identityProviders.find((p) => p.id === idpId);
  if (provider === undefined) return notFound('identity_provider', idpId);
  const auth = dig(parseJson(body), 'auth');
  const jwt = str(dig(auth, 'id_token', 'id'));
  if (jwt === undefined) return badBody('auth.id_token.id is missing');
  const problem = idTokenProblem(jwt, provider, state.now().getTime());
  if (problem !== undefined) return unauthorized(problem);
  const project = resolveProjectScope(state, auth, provider.domain.id);
  if ('status' in project) return project;
  const userName = provider.userName ?? 'FederationUser';
  const userId = `federated-${provider.id}`;
  return issueToken(
    state,
    req,
    url,
    { methods: ['mapped'], userId, userName, domain: provider.domain, project },
    {
      'OS-FEDERATION': { identity_provider: { id: provider.id }, protocol: { id: 'oidc' }, groups: [] },
      domain: { id: provider.domain.id, name: provider.domain.name },
      name: userName,
      id: userId,
    },
  );
}

/** The domain id of a token issued here, or the refusal (unknown or expired). */
function tokenDomain(state: IamState, token: string): string | Reply {
  const found = lookupToken(state, token);
  if (found.ok) return found.token.domain.id;
  return found.expired
    ? iamError(401, 'IAM.0066', 'The token has expired.', 'expired X-Auth-Token')
    : iamError(401, 'IAM.0067', 'Invalid token.', 'unknown X-Auth-Token');
}

/** The caller's domain id from X-Auth-Token or an AK/SK signature, or the refusal. */
function callerDomain(state: IamState, req: IncomingMessage, body: Buffer, requestId: string): string | Reply {
  const token = req.headers['x-auth-token'];
  if (typeof token === 'string' && token !== '') return tokenDomain(state, token);
  if (req.headers.authorization !== undefined) {
    const check = verifySignature(req, body, accessKeySecrets(state), { now: state.now() });
    if (!check.ok) return { status: check.status, body: apigErrorBody(check, requestId), reason: check.message };
    const owner = state.users.find((u) => Object.hasOwn(u.accessKeys ?? {}, check.accessKey));
    if (owner !== undefined) return owner.domain.id;
    return unauthorized(`access key ${check.accessKey} has no owner`);
  }
  return unauthorized('neither X-Auth-Token nor Authorization');
}

function projectJson(base: string, p: IamProject): Record<string, unknown> {
  return { is_domain: false, description: '', links: { self: `${base}/${p.id}` }, enabled: true, id: p.id, parent_id: p.domainId, domain_id: p.domainId, name: p.name };
}

function listProjects(state: IamState, req: IncomingMessage, url: URL, body: Buffer, requestId: string): Reply {
  const domainId = callerDomain(state, req, body, requestId);
  if (typeof domainId !== 'string') return domainId;
  if (state.listProjectsDenied) return iamError(403, 'IAM.0002', 'You are not authorized to perform the requested action.', 'listing projects is denied');
  const name = url.searchParams.get('name');
  const wantedDomain = url.searchParams.get('domain_id');
  const base = `http://${req.headers.host ?? '127.0.0.1'}/v3/projects`;
  const projects = state.projects
    .filter((p) => p.domainId === domainId)
    .filter((p) => name === null || p.name === name)
    .filter((p) => wantedDomain === null || p.domainId === wantedDomain)
    .map((p) => projectJson(base, p));
  return { status: 200, body: { links: { self: base + url.search, previous: null, next: null }, projects } };
}

/** GET /v3/auth/projects: the projects the token's user may access; a user token, no permission needed. */
function listAuthProjects(state: IamState, req: IncomingMessage): Reply {
  const token = req.headers['x-auth-token'];
  if (typeof token !== 'string' || token === '') return unauthorized('GET /v3/auth/projects without X-Auth-Token');
  const domainId = tokenDomain(state, token);
  if (typeof domainId !== 'string') return domainId;
  const base = `http://${req.headers.host ?? '127.0.0.1'}/v3/projects`;
  const projects = state.projects
    .filter((p) => p.domainId === domainId)
    .map((p) => projectJson(base, p));
  return { status: 200, body: { links: { self: `http://${req.headers.host ?? '127.0.0.1'}/v3/auth/projects` }, projects } };
}

function route(state: IamState, req: IncomingMessage, url: URL, body: Buffer, requestId: string): Reply {
  const method = req.method ?? 'GET';
  const path = url.pathname.replace(/\/+$/, '');
  if (method === 'POST' && path === '/v3/auth/tokens') return passwordToken(state, req, url, body);
  if (method === 'POST' && path === '/v3.0/OS-AUTH/id-token/tokens') return oidcToken(state, req, url, body);
  if (method === 'GET' && path === '/v3/projects') return listProjects(state, req, url, body, requestId);
  if (method === 'GET' && path === '/v3/auth/projects') return listAuthProjects(state, req);
  return notFound('API', `${method} ${url.pathname}`);
}

function send(res: ServerResponse, reply: Reply, requestId: string): void {
  const payload = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...reply.headers,
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': Buffer.byteLength(payload),
    'X-Request-Id': requestId,
  });
  res.end(payload);
}

/** The IAM emulator as a node:http request handler over `state`. */
export function createIamHandler(state: IamState): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://iam.emulator.invalid');
    const record: RecordedIamRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.search.slice(1),
      headers: { ...req.headers },
    };
    state.requests.push(record);
    const requestId = randomBytes(16).toString('hex');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      let reply: Reply;
      try {
        reply =
          size > MAX_BODY_BYTES
            ? badBody(`body over ${MAX_BODY_BYTES} bytes`)
            : route(state, req, url, Buffer.concat(chunks), requestId);
      } catch (error) {
        reply = iamError(
          500,
          'IAM.0006',
          'An unexpected error prevented the server from fulfilling your request.',
          `emulator bug: ${error instanceof Error ? error.stack ?? error.message : String(error)}`,
        );
      }
      record.status = reply.status;
      if (reply.reason !== undefined) record.reason = reply.reason;
      send(res, reply, requestId);
    });
  };
}
