// The RDS API calls the action makes, with the answers checked against the spec before anyone relies on them.
import { ApiError, ResponseError, inputName } from '../core/errors.ts';
import { plural } from '../core/plural.ts';
import { header, readText, retryAfterMs, type HttpResponse, type HttpTransport } from './http.ts';
import { apiUrl } from './urls.ts';

/** Adds the credentials to one API request (X-Auth-Token, or an AK/SK signature). */
export type Authorizer = (req: { method: string; url: URL; headers: Record<string, string>; body: string }) =>
  Promise<Record<string, string>>;

/** The two log downloads RDS offers: the error log and the slow-query log. */
export type LogType = 'error' | 'slow';

/** The API call of each log type, as errors name it. */
export const LOG_CALL: Record<LogType, string> = { error: 'errorlog-download', slow: 'slowlog-download' };

export interface ErrorlogItem {
  workflowId: string | undefined;
  fileName: string;
  /** Upper case: SUCCESS or FAILED; EXPORTING while a slow-query log is still being prepared. */
  status: string;
  /** As the API states it, undefined for "0"; the docs disagree on the unit, so it is never trusted over Content-Length. */
  fileSize: number | undefined;
  fileLink: string | undefined;
  createdAt: number | undefined;
  /** How RDS listed an item that cannot be fetched though not FAILED ('without a file_name'): it is then missing. */
  defect?: string;
}

export interface ErrorlogAnswer {
  /** Upper case: FINISH, CREATING or FAILED (the doc's own example is lower case). */
  status: string;
  items: ErrorlogItem[];
  requestId: string | undefined;
  /** The answer's `count` when it is a whole number other than the items listed (RDS's own disagreement). */
  countDiffers?: number;
}

// API answers are small; more than this is not an RDS answer.
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

export interface RdsClientOptions {
  transport: HttpTransport;
  endpoint: URL;
  projectId: string;
  instanceId: string;
  authorize: Authorizer;
  /** What an error's message advises; default: hintFor. */
  hint?: HintFor;
  now?: () => number;
  /** Takes the run's secrets out of text, before an error body is cut: a cut must not leave half a secret. */
  redact?: ((text: string) => string) | undefined;
}

/** An instance as GET /v3/{project_id}/instances lists it. */
export interface InstanceInfo {
  id: string;
  name: string;
  /** ACTIVE, BUILD, FAILED, REBOOTING, ... as the API says it. */
  status: string;
  /** PostgreSQL, MySQL, SQLServer. */
  datastoreType: string;
  datastoreVersion: string;
}

/** GET /v3/{project_id}/instances filtered by id or by (exact) name. */
export async function listInstances(
  o: Omit<RdsClientOptions, 'instanceId'> & { filter: { id: string } | { name: string } },
): Promise<InstanceInfo[]> {
  const url = apiUrl(o.endpoint, `/v3/${encodeURIComponent(o.projectId)}/instances`);
  if ('id' in o.filter) url.searchParams.set('id', o.filter.id);
  else url.searchParams.set('name', o.filter.name);
  const denied = `The credentials may not list RDS instances (rds:instance:list in this project)${'name' in o.filter ? `: grant it, or give ${inputName('instance-id')} instead of ${inputName('instance-name')}` : ''}`;
  const hint: HintFor = (status, code) => (status === 403 && !credentialsRefused(status, code) ? denied : (o.hint ?? hintFor)(status, code));
  const { json, res } = await callJson({ ...o, method: 'GET', url, what: 'RDS instance lookup', hint });
  return parseInstances(json, requestIdOf(res), o.redact);
}

/**
 * A text field of the instance listing, cut at 64 characters: RDS names are 4 to 64, so a longer one (a hostile
 * answer) cannot fill the outputs, titles and folder names it appears in; status and engine alike. Secrets are
 * taken out first: a name that echoes the token, cut, would leave a prefix no redaction finds.
 */
function listedText(v: unknown, redact: (text: string) => string): string {
  const max = 64;
  if (typeof v !== 'string') return '';
  const s = redact(v);
  return s.length <= max ? s : `${[...s].slice(0, max - 1).join('')}…`;
}

function parseInstances(json: unknown, requestId: string | undefined, redact: (text: string) => string = (t) => t): InstanceInfo[] {
  const fail = (what: string): never => {
    throw new ResponseError(`RDS instance lookup: unexpected answer: ${what}`, { requestId });
  };
  const list = typeof json === 'object' && json !== null ? (json as Record<string, unknown>)['instances'] : undefined;
  if (!Array.isArray(list)) return fail("field 'instances' is missing or not an array");
  return list.map((raw, i): InstanceInfo => {
    if (typeof raw !== 'object' || raw === null) return fail(`instances[${i}] is not an object`);
    const it = raw as Record<string, unknown>;
    if (typeof it['id'] !== 'string' || it['id'] === '') return fail(`instances[${i}].id is missing`);
    const datastore = (typeof it['datastore'] === 'object' && it['datastore'] !== null ? it['datastore'] : {}) as Record<string, unknown>;
    return {
      id: it['id'],
      name: listedText(it['name'], redact),
      status: listedText(it['status'], redact),
      datastoreType: listedText(datastore['type'], redact),
      datastoreVersion: listedText(datastore['version'], redact),
    };
  });
}

export function errorlogDownloadUrl(o: Pick<RdsClientOptions, 'endpoint' | 'projectId' | 'instanceId'>, type: LogType = 'error'): URL {
  return apiUrl(o.endpoint, `/v3/${encodeURIComponent(o.projectId)}/instances/${encodeURIComponent(o.instanceId)}/${LOG_CALL[type]}`);
}

/** One errorlog-download call: CREATING until the files are ready, then FINISH with the links. */
export async function requestErrorlogDownload(o: RdsClientOptions): Promise<ErrorlogAnswer> {
  return requestLogDownload(o, 'error');
}

/**
 * One errorlog-download or slowlog-download call (same answer shape). errorlog-download documents no body (the
 * Huawei SDK sends none); slowlog-download takes `{}` for PostgreSQL (a file_name only for SQL Server).
 */
export async function requestLogDownload(o: RdsClientOptions, type: LogType): Promise<ErrorlogAnswer> {
  const what = LOG_CALL[type];
  const { json, res } = await callJson({ ...o, method: 'POST', url: errorlogDownloadUrl(o, type), what, ...(type === 'slow' ? { body: '{}' } : {}) });
  return parseErrorlogAnswer(json, requestIdOf(res), what);
}

/** Says what to do about an API error, given its status and error code. */
export type HintFor = (status: number, code: string | undefined) => string | undefined;

export interface JsonCall {
  transport: HttpTransport;
  method: string;
  url: URL;
  /** Undefined for a call that carries its credentials in the body (IAM sign-in). */
  authorize: Authorizer | undefined;
  /** Names the call in errors: "errorlog-download failed: HTTP 401 ...". */
  what: string;
  body?: string;
  headers?: Record<string, string>;
  hint?: HintFor;
  now?: () => number;
  redact?: ((text: string) => string) | undefined;
}

/** One JSON API request: headers, credentials, the answer read as JSON or turned into an ApiError. */
export async function callJson(o: JsonCall): Promise<{ json: unknown; res: HttpResponse }> {
  const body = o.body ?? '';
  const headers: Record<string, string> = { Accept: 'application/json', 'Content-Type': 'application/json', ...o.headers };
  if (o.authorize) Object.assign(headers, await o.authorize({ method: o.method, url: o.url, headers: { ...headers }, body }));
  const res = await o.transport.request(o.method, o.url, headers, body);
  return { json: await readJson(res, o.what, o.now ?? Date.now, o.hint, o.redact), res };
}

export function requestIdOf(res: HttpResponse): string | undefined {
  // RDS and the gateway: X-Request-Id; IAM: X-IAM-Trace-Id (as Huawei's SDKs read it); Keystone-style: the last.
  return header(res, 'x-request-id') ?? header(res, 'x-iam-trace-id') ?? header(res, 'x-openstack-request-id');
}

/**
 * A token from an answer, refused when it is shorter than any token is (an IAM token or a JWT is hundreds of
 * characters): a few characters would be masked in every later line of the job ('e' everywhere).
 */
export function checkedToken(token: string, what: string, field: string, res: HttpResponse): string {
  if (token.length >= 16) return token;
  throw new ResponseError(`${what}: HTTP ${res.status} with ${field} of ${plural(token.length, 'character')}, not a token`, { requestId: requestIdOf(res) });
}

/** The body as JSON for a 2xx answer; an ApiError naming status, error_code, error_msg and request id otherwise. */
async function readJson(res: HttpResponse, what: string, now: () => number, hint: HintFor = hintFor, redact: (text: string) => string = (t) => t): Promise<unknown> {
  const requestId = requestIdOf(res);
  const { text, truncated } = await readText(res, MAX_ANSWER_BYTES);
  // Secrets out first, then cut: cut first, and a secret across the cut would leave its prefix for anyone. No
  // control characters either (terminal escapes, line breaks), from a JSON error's fields or any other body.
  const clean = (s: string, max: number): string => printable(redact(s.trim())).slice(0, max);
  if (res.status < 200 || res.status >= 300) {
    const err = parseErrorBody(text);
    // Keystone's {"error":{"code":401}} repeats the status: no error code to name then.
    const code = err.code === String(res.status) ? undefined : err.code;
    throw new ApiError(what, {
      status: res.status,
      errorCode: code === undefined ? undefined : clean(code, 100),
      errorMsg: err.msg !== undefined ? clean(err.msg, 1000) : code ? undefined : clean(text, 200) || undefined,
      requestId,
      retryAfterMs: retryAfterMs(header(res, 'retry-after'), now()),
      hint: hint(res.status, code),
    });
  }
  if (truncated) throw new ResponseError(`${what}: the answer is larger than ${MAX_ANSWER_BYTES} bytes, which no RDS answer is`, { requestId });
  if (text.trim() === '') throw new ResponseError(`${what}: HTTP ${res.status} with an empty body where JSON was expected`, { requestId, transient: true });
  if (!shallowJson(text)) throw new ResponseError(`${what}: HTTP ${res.status} with JSON nested deeper than ${MAX_JSON_DEPTH} levels, which no RDS answer is`, { requestId });
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ResponseError(`${what}: HTTP ${res.status} with a body that is not JSON (${clean(text, 80)}…)`, { requestId, transient: true });
  }
}

// RDS and IAM answers nest a few levels; a hostile one of 4 MiB of `[` would cost JSON.parse hundreds of MiB.
const MAX_JSON_DEPTH = 32;

/** `text` nests arrays and objects no deeper than MAX_JSON_DEPTH (brackets inside strings aside). */
function shallowJson(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // a backslash: the next character is escaped
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > MAX_JSON_DEPTH) return false;
    } else if (c === 93 || c === 125) depth--;
  }
  return true;
}

function parseErrorBody(text: string): { code: string | undefined; msg: string | undefined } {
  if (!shallowJson(text)) return { code: undefined, msg: undefined };
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    // RDS: {error_code, error_msg}, or its older {errCode, externalMessage}; IAM and the gateway: {error: {code,
    // message}} or {error_code, error_msg}.
    const nested = (typeof j['error'] === 'object' && j['error'] !== null ? j['error'] : {}) as Record<string, unknown>;
    const code = str(j['error_code']) ?? str(j['errCode']) ?? str(j['code']) ?? str(nested['error_code']) ?? str(nested['code']);
    const msg = str(j['error_msg']) ?? str(j['externalMessage']) ?? str(j['message']) ?? str(nested['error_msg']) ?? str(nested['message']);
    return { code, msg };
  } catch {
    return { code: undefined, msg: undefined };
  }
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

/**
 * The credentials themselves were refused: 401 from the gateway or IAM, or RDS's "invalid token" (DBS.280056),
 * which RDS answers with 403. Never retried, and never read as a missing permission: an AK/SK key is locked
 * after five refusals.
 */
export function credentialsRefused(status: number, code: string | undefined): boolean {
  return status === 401 || code === 'DBS.280056' || code === 'APIG.0301';
}

export function hintFor(status: number, code: string | undefined): string | undefined {
  if (credentialsRefused(status, code)) return 'The credentials were refused: is the token expired (IAM tokens live 24 hours) or for another region?';
  if (status === 403) return "The credentials lack permission in this project: the error logs need rds:log:download, the instance check rds:instance:list (see the README, section Authentication)";
  // The gateway's own 404: the path is no API at all (an 'endpoint' that is not RDS's, or has a path too many).
  if (status === 404 && (code === 'APIG.0101' || code === 'APIGW.0101')) return `The API gateway has no such API: check ${inputName('endpoint')} (the RDS API's base URL) and ${inputName('region')}`;
  if (status === 404) return `Check ${inputName('project-id')}, ${inputName('instance-id')} and ${inputName('region')}: the instance was not found there`;
  if (code === 'DBS.200086' || code === 'DBS.201014') return 'The instance is not in a state that allows this (it must be ACTIVE)';
  return undefined;
}

export function parseErrorlogAnswer(json: unknown, requestId: string | undefined, call = 'errorlog-download'): ErrorlogAnswer {
  const fail = (what: string): never => {
    throw new ResponseError(`${call}: unexpected answer: ${what}`, { requestId });
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('not a JSON object');
  const o = json as Record<string, unknown>;
  if (typeof o['status'] !== 'string' || o['status'] === '') return fail("field 'status' is missing or not a string");
  const status = o['status'].toUpperCase();
  // FAILED: some files could not be prepared (Huawei's SDK: "存在日志文件准备失败"); those it lists as SUCCESS, with a
  // link, may still be had. Only those are taken, and a list that cannot be read is no list.
  if (status === 'FAILED') {
    try {
      return { status, items: listItems(o, fail, 'FAILED'), requestId };
    } catch {
      return { status, items: [], requestId };
    }
  }
  // Until FINISH the list is only progress (the spec's first answer: items with a workflow_id and a status, no
  // file yet): nothing in it is relied on, so nothing in it can fail the run.
  if (status !== 'FINISH') return { status, items: [], requestId };
  const items = listItems(o, fail, 'SUCCESS');
  const count = o['count'];
  const differs = typeof count === 'number' && Number.isSafeInteger(count) && count >= 0 && count !== items.length;
  return { status, items, requestId, ...(differs ? { countDiffers: count } : {}) };
}

/** The answer's files; an item without a status has `assumed` (SUCCESS in a FINISH answer, FAILED in a FAILED one). */
function listItems(o: Record<string, unknown>, fail: (what: string) => never, assumed: string): ErrorlogItem[] {
  const rawList = o['list'];
  if (rawList !== undefined && rawList !== null && !Array.isArray(rawList)) return fail("field 'list' is not an array");
  if (!Array.isArray(rawList)) {
    // A list left out (or null, as some serialisers write an empty one) with no count, or a count of 0: no files.
    if (o['count'] === undefined || o['count'] === null || Number(o['count']) === 0) return [];
    return fail(`status is FINISH but field 'list' is missing (count: ${JSON.stringify(o['count'])})`);
  }
  return rawList.map((raw, i): ErrorlogItem => {
    if (typeof raw !== 'object' || raw === null) return fail(`list[${i}] is not an object`);
    const it = raw as Record<string, unknown>;
    // One odd item costs that file, not the others: it is listed as missing, with why.
    const named = typeof it['file_name'] === 'string' && it['file_name'] !== '';
    const itemStatus = typeof it['status'] === 'string' ? it['status'].toUpperCase() : assumed;
    const link = typeof it['file_link'] === 'string' && it['file_link'] !== '' ? it['file_link'] : undefined;
    const defect = !named ? 'without a file_name' : itemStatus === 'SUCCESS' && !link ? 'as prepared (SUCCESS), but without a file_link' : undefined;
    const size = Number(it['file_size']);
    return {
      ...(defect ? { defect } : {}),
      workflowId: typeof it['workflow_id'] === 'string' ? it['workflow_id'] : undefined,
      fileName: named ? it['file_name'] as string : `item ${i + 1} of ${rawList.length}`,
      status: itemStatus,
      // The spec's own example says "0" for a file that has bytes: 0 means unknown, never empty.
      fileSize: it['file_size'] !== undefined && it['file_size'] !== '' && Number.isFinite(size) && size > 0 ? size : undefined,
      fileLink: link,
      createdAt: typeof it['create_at'] === 'number' ? it['create_at'] : undefined,
    };
  });
}
