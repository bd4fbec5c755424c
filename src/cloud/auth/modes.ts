// The four ways to authenticate, one function each; inputs.ts has already picked exactly one. Each gives
// Credentials: how to authorize a request, and the project id when the credentials themselves tell it.
//
//   token     X-Auth-Token as given.
//   aksk      every request signed (SDK-HMAC-SHA256, ./signer.ts); X-Project-Id and X-Security-Token set first.
//   password  IAM token from user name, password and account (domain), scoped to the project.
//   oidc      the job's GitHub OIDC ID token, exchanged at IAM (X-Idp-Id) for a project-scoped token.
//
// Every token obtained is protected (masked, redacted) the moment it arrives. Sign-in failures are not
// retried (401/403 never are, see ../retry.ts): repeated AK/SK failures lock the key for 5 minutes.
import type { AkSkAuth, AuthConfig, OidcAuth, PasswordAuth, TokenAuth } from '../../core/config.ts';
import type { Authorizer } from '../rds.ts';
import { AuthError, NetworkError, errorMessage, inputName } from '../../core/errors.ts';
import { oidcSignIn, passwordSignIn, type IamClient, type ProjectScope } from './iam.ts';
import { signRequest } from './signer.ts';

export interface Credentials {
  /** How the action signed in, for the log; holds no secret. */
  label: string;
  /** IAM accepted them already (password, OIDC); a token or an access key is first checked by the first request. */
  checked: boolean;
  /** The project the credentials are scoped to, when they say (IAM-issued tokens do). */
  projectId: string | undefined;
  /**
   * Credentials for requests about `projectId` (AK/SK sends it as X-Project-Id); undefined for IAM's
   * project lookup, which is above any project.
   */
  authorizer(projectId: string | undefined): Authorizer;
  /** What a 401 with these credentials most likely means. */
  refused: string;
}

export interface SignInContext {
  /** Undefined when no IAM endpoint is known (then inputs.ts has made sure IAM is not needed). */
  iam: IamClient | undefined;
  /** The 'project-id' input: tokens are scoped to it when set, else to the project named `projectName`. */
  projectId: string | undefined;
  projectName: string;
  /** The job's GitHub OIDC ID token for an audience (core.getIDToken in the action). */
  getIdToken: ((audience: string) => Promise<string>) | undefined;
  protect: (secret: string) => void;
  now: () => number;
}

export function tokenAuthorizer(token: string): Authorizer {
  return async () => ({ 'X-Auth-Token': token });
}

const TOKEN_REFUSED = 'The credentials were refused: is the token expired (IAM tokens live 24 hours) or for another region?';

function tokenCredentials(auth: TokenAuth): Credentials {
  return { label: 'an IAM token (X-Auth-Token)', checked: false, projectId: undefined, authorizer: () => tokenAuthorizer(auth.token), refused: TOKEN_REFUSED };
}

function akskAuthorizer(auth: AkSkAuth, projectId: string | undefined, now: () => number): Authorizer {
  return async (req) => {
    // Set before signing, so that they are signed.
    const extra: Record<string, string> = {};
    if (projectId !== undefined) extra['X-Project-Id'] = projectId;
    if (auth.securityToken !== undefined) extra['X-Security-Token'] = auth.securityToken;
    const signed = signRequest({ ...req, headers: { ...req.headers, ...extra } }, { accessKey: auth.accessKey, secretKey: auth.secretKey }, new Date(now()));
    return { ...extra, ...signed };
  };
}

function akskCredentials(auth: AkSkAuth, now: () => number): Credentials {
  return {
    label: auth.securityToken ? 'a temporary access key (AK/SK with security token)' : 'an access key (AK/SK signature)',
    checked: false,
    projectId: undefined,
    authorizer: (projectId) => akskAuthorizer(auth, projectId, now),
    refused:
      `The AK/SK signature was refused: check ${inputName('access-key')} and ${inputName('secret-key')}` +
      (auth.securityToken ? ` and ${inputName('security-token')} (temporary keys expire)` : '') +
      ", and the clock of the machine it runs on (in a workflow, the runner's; X-Sdk-Date must be within 15 minutes of the server's). Five failures lock the key for 5 minutes, so nothing was retried",
  };
}

function scope(ctx: SignInContext): ProjectScope {
  return ctx.projectId !== undefined ? { id: ctx.projectId } : { name: ctx.projectName };
}

function needIam(ctx: SignInContext): IamClient {
  // inputs.ts refuses a password or OIDC mode without an IAM endpoint; this is the type system's assurance.
  if (!ctx.iam) throw new AuthError(`no IAM endpoint: set ${inputName('iam-endpoint')}`);
  return ctx.iam;
}

const issuedRefused = (): string => `The token IAM has just issued was refused: are ${inputName('endpoint')} and ${inputName('iam-endpoint')} (or ${inputName('region')}) of the same region?`;

async function passwordCredentials(auth: PasswordAuth, ctx: SignInContext): Promise<Credentials> {
  const issued = await passwordSignIn(needIam(ctx), auth, scope(ctx));
  return {
    label: `IAM user '${auth.username}' of account '${auth.domain}' (password)`,
    checked: true,
    projectId: issued.projectId,
    authorizer: () => tokenAuthorizer(issued.token),
    refused: issuedRefused(),
  };
}

async function oidcCredentials(auth: OidcAuth, ctx: SignInContext): Promise<Credentials> {
  const iam = needIam(ctx);
  if (!ctx.getIdToken) throw new AuthError('OIDC sign-in needs the GitHub ID token, which only a workflow run provides');
  let idToken: string;
  try {
    idToken = await ctx.getIdToken(auth.audience);
  } catch (e) {
    // A request that never reached the token endpoint (e.g. the proxy refused it) says nothing of the job's permissions.
    const hint = e instanceof NetworkError ? '' : ' (does the job have `permissions: id-token: write`?)';
    throw new AuthError(`could not get the job's GitHub OIDC ID token for audience '${auth.audience}'${hint}: ${errorMessage(e)}`);
  }
  ctx.protect(idToken);
  const issued = await oidcSignIn(iam, { identityProvider: auth.identityProvider, idToken, audience: auth.audience }, scope(ctx));
  return {
    label: `GitHub OIDC through identity provider '${auth.identityProvider}' (audience '${auth.audience}')`,
    checked: true,
    projectId: issued.projectId,
    authorizer: () => tokenAuthorizer(issued.token),
    refused: issuedRefused(),
  };
}

export function signIn(auth: AuthConfig, ctx: SignInContext): Promise<Credentials> {
  switch (auth.kind) {
    case 'token':
      return Promise.resolve(tokenCredentials(auth));
    case 'aksk':
      return Promise.resolve(akskCredentials(auth, ctx.now));
    case 'password':
      return passwordCredentials(auth, ctx);
    case 'oidc':
      return oidcCredentials(auth, ctx);
  }
}
