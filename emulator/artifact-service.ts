// A local fake of the GitHub artifact service, complete enough that the REAL @actions/artifact client
// (DefaultArtifactClient, 6.x) can upload to it, list and delete artifacts. Tests then exercise the real
// client instead of a mock of it. Protocol facts: /work/shared/notes/artifact-service.md.
//
// Two surfaces share one HTTP server:
//  - the twirp JSON service: POST /twirp/github.actions.results.api.v1.ArtifactService/<Method>
//  - an Azure-blob-like upload endpoint behind the "signed" URL CreateArtifact hands out:
//    PUT ...?comp=block&blockid=<b64> per chunk, then PUT ...?comp=blocklist with the XML block list.

import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes, randomUUID } from 'node:crypto';

export type FaultableCall =
  | 'CreateArtifact'
  | 'FinalizeArtifact'
  | 'ListArtifacts'
  | 'DeleteArtifact'
  | 'UploadBlock'
  | 'CommitBlockList';

export interface StoredArtifact {
  id: string;
  name: string;
  /** Bytes of the committed blob (0 until the block list is committed). */
  size: number;
  /** Bare hex SHA-256 of `zip`, the same form uploadArtifact() returns as `digest`. */
  digest: string;
  /** ISO 8601, present only when the client sent expires_at (i.e. retentionDays was given). */
  expiresAt?: string;
  /** The blob as assembled from the blocks, in <Latest> order of the committed block list. */
  zip: Buffer;
  finalized: boolean;
}

export interface RecordedRequest {
  method: string;
  /** Path plus query string, as received. */
  path: string;
  headers: IncomingHttpHeaders;
  /** JSON body of a twirp call (block bodies are not copied here: see artifacts()[i].zip). */
  body?: string;
}

export interface ArtifactService {
  /** Origin, e.g. http://127.0.0.1:40123 */
  url: string;
  /** What a job needs in process.env for the real client to talk to this service. */
  env: Record<string, string>;
  artifacts(): StoredArtifact[];
  requests: RecordedRequest[];
  /**
   * Make the next `times` (default 1) calls of `call` fail with HTTP `status` before they touch any state.
   * Twirp calls get a JSON twirp error, block calls an XML storage error. Status 0 destroys the socket
   * instead of answering (a network error such as ECONNRESET on the client side); -1 never answers at all; -2
   * (twirp calls) does the call, then destroys the socket: done, but the client never hears so.
   */
  failNext(call: FaultableCall, status: number, times?: number): void;
  close(): Promise<void>;
}

const TWIRP_PREFIX = '/twirp/github.actions.results.api.v1.ArtifactService/';
// With an IP host the Azure SDK reads the URL path as /<account>/<container>/<blob>, so keep three segments.
const BLOB_PREFIX = '/devstoreaccount1/artifacts/';
// The client refuses such names locally; the service is assumed to check too.
const FORBIDDEN_NAME_CHARS = /[":<>|*?\r\n\\/]/;
// GitHub's documented maximum retention (private repositories). What the real service does with a later
// expires_at is not verified; rejecting it makes a wrong computation visible in tests.
const MAX_RETENTION_DAYS = 400;
const MAX_TWIRP_BODY = 1 << 20;
const DAY_MS = 24 * 60 * 60 * 1000;

interface ArtifactRecord {
  id: number;
  name: string;
  runId: string;
  jobId: string;
  createdAt: Date;
  expiresAt?: string;
  sig: string;
  /** Blocks staged but not yet committed, by block id. */
  staged: Map<string, Buffer>;
  /** Blocks of the last committed block list, so a later list can say <Committed>. */
  committedBlocks: Map<string, Buffer>;
  blob: Buffer | null;
  digest: string;
  finalized: boolean;
}

/** A twirp error: the status follows the twirp code table. */
class TwirpError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, msg: string, status?: number) {
    super(msg);
    this.code = code;
    this.status = status ?? TWIRP_STATUS[code] ?? 500;
  }
}

const TWIRP_STATUS: Record<string, number> = {
  invalid_argument: 400,
  malformed: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  bad_route: 404,
  already_exists: 409,
  failed_precondition: 412,
  resource_exhausted: 429,
  internal: 500,
  unimplemented: 501,
  unavailable: 503,
};

function twirpCodeForStatus(status: number): string {
  for (const [code, s] of Object.entries(TWIRP_STATUS)) if (s === status) return code;
  return status >= 500 ? 'internal' : 'unknown';
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

async function readBody(req: IncomingMessage, limit = Infinity): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > limit) throw new TwirpError('invalid_argument', 'request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function str(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  return typeof value === 'string' ? value : '';
}

export async function startArtifactService(options: { host?: string; port?: number; /** Origin the upload URLs name instead of the service's own (e.g. behind a test proxy). */ blobOrigin?: string } = {}): Promise<ArtifactService> {
  const host = options.host ?? '127.0.0.1';
  // A fake that accepts uploads must never be reachable from outside the machine.
  if (!isLoopback(host)) throw new Error(`artifact service listens on loopback only, not ${host}`);

  const runId = randomUUID();
  const jobId = randomUUID();
  // The client only decodes the JWT payload (scp claim) and never verifies it, so an unsigned token will do.
  const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({
    scp: `Actions.ExampleScope Actions.Results:${runId}:${jobId}`,
  })}.`;

  let nextId = 1;
  const records: ArtifactRecord[] = [];
  const requests: RecordedRequest[] = [];
  const faults = new Map<FaultableCall, { status: number; times: number }>();
  let origin = '';

  /** Consumes one injected fault for `call`, if any. */
  function takeFault(call: FaultableCall): number | undefined {
    const fault = faults.get(call);
    if (!fault) return undefined;
    if (--fault.times <= 0) faults.delete(call);
    return fault.status;
  }

  // --- twirp service -------------------------------------------------------------------------------

  function checkIds(body: Record<string, unknown>, checkJob: boolean): void {
    if (str(body, 'workflow_run_backend_id') !== runId) {
      throw new TwirpError('permission_denied', 'workflow_run_backend_id does not match the token');
    }
    if (checkJob && str(body, 'workflow_job_run_backend_id') !== jobId) {
      throw new TwirpError('permission_denied', 'workflow_job_run_backend_id does not match the token');
    }
  }

  function finalizedByName(name: string): ArtifactRecord | undefined {
    return records.find((r) => r.finalized && r.runId === runId && r.name === name);
  }

  function createArtifact(body: Record<string, unknown>): object {
    checkIds(body, true);
    const name = str(body, 'name');
    if (!name || FORBIDDEN_NAME_CHARS.test(name)) {
      throw new TwirpError('invalid_argument', `invalid artifact name: ${JSON.stringify(name)}`);
    }
    if (finalizedByName(name)) {
      // Same code and message as the real service (409).
      throw new TwirpError('already_exists', 'an artifact with this name already exists on the workflow run');
    }
    let expiresAt: string | undefined;
    if (body['expires_at'] !== undefined) {
      // protobuf JSON renders a Timestamp as an RFC 3339 string.
      const raw = body['expires_at'];
      const at = typeof raw === 'string' ? Date.parse(raw) : NaN;
      if (!Number.isFinite(at)) throw new TwirpError('invalid_argument', `invalid expires_at: ${JSON.stringify(raw)}`);
      if (at <= Date.now()) throw new TwirpError('invalid_argument', 'expires_at is in the past');
      if (at > Date.now() + (MAX_RETENTION_DAYS + 1) * DAY_MS) {
        throw new TwirpError('invalid_argument', `expires_at is more than ${MAX_RETENTION_DAYS} days away`);
      }
      expiresAt = new Date(at).toISOString();
    }
    // An unfinalized artifact of the same name (an upload that died) is replaced, not a conflict.
    const stale = records.findIndex((r) => !r.finalized && r.runId === runId && r.name === name);
    if (stale >= 0) records.splice(stale, 1);

    const record: ArtifactRecord = {
      id: nextId++,
      name,
      runId,
      jobId,
      createdAt: new Date(),
      sig: randomBytes(16).toString('hex'),
      staged: new Map(),
      committedBlocks: new Map(),
      blob: null,
      digest: '',
      finalized: false,
    };
    if (expiresAt !== undefined) record.expiresAt = expiresAt;
    records.push(record);
    const se = encodeURIComponent(new Date(Date.now() + DAY_MS).toISOString());
    return {
      ok: true,
      signed_upload_url: `${options.blobOrigin ?? origin}${BLOB_PREFIX}${record.id}?sv=2023-11-03&sr=b&sp=cw&se=${se}&sig=${record.sig}`,
    };
  }

  function finalizeArtifact(body: Record<string, unknown>): object {
    checkIds(body, true);
    const name = str(body, 'name');
    const record = records.find((r) => !r.finalized && r.runId === runId && r.name === name);
    if (!record) {
      throw new TwirpError(finalizedByName(name) ? 'already_exists' : 'not_found', `no upload in progress for ${name}`);
    }
    if (!record.blob) throw new TwirpError('failed_precondition', 'the blob was never committed');
    // int64 arrives as a JSON string; protobuf JSON omits it when 0.
    const size = Number(body['size'] ?? 0);
    if (size !== record.blob.length) {
      throw new TwirpError('invalid_argument', `size ${size} does not match the uploaded ${record.blob.length} bytes`);
    }
    const hash = body['hash'];
    if (hash !== undefined && hash !== `sha256:${record.digest}`) {
      throw new TwirpError('invalid_argument', `hash ${String(hash)} does not match the uploaded blob`);
    }
    record.finalized = true;
    return { ok: true, artifact_id: String(record.id) };
  }

  function listArtifacts(body: Record<string, unknown>): object {
    // Artifacts are per workflow run: any job of the run may list them.
    checkIds(body, false);
    const nameFilter = body['name_filter'];
    const idFilter = body['id_filter'];
    const artifacts = records
      .filter((r) => r.finalized && r.runId === runId)
      .filter((r) => nameFilter === undefined || r.name === nameFilter)
      .filter((r) => idFilter === undefined || String(r.id) === String(idFilter))
      .map((r) => ({
        workflow_run_backend_id: r.runId,
        workflow_job_run_backend_id: r.jobId,
        database_id: String(r.id),
        name: r.name,
        size: String(r.blob?.length ?? 0),
        created_at: r.createdAt.toISOString(),
        digest: `sha256:${r.digest}`,
      }));
    return { artifacts };
  }

  function deleteArtifact(body: Record<string, unknown>): object {
    checkIds(body, false);
    const record = finalizedByName(str(body, 'name'));
    if (!record) throw new TwirpError('not_found', `artifact ${str(body, 'name')} not found`);
    records.splice(records.indexOf(record), 1);
    return { ok: true, artifact_id: String(record.id) };
  }

  const methods: Record<string, (body: Record<string, unknown>) => object> = {
    CreateArtifact: createArtifact,
    FinalizeArtifact: finalizeArtifact,
    ListArtifacts: listArtifacts,
    DeleteArtifact: deleteArtifact,
  };

  function sendJson(res: ServerResponse, status: number, value: object): void {
    const text = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  async function handleTwirp(req: IncomingMessage, res: ServerResponse, entry: RecordedRequest): Promise<void> {
    try {
      const method = (req.url ?? '').slice(TWIRP_PREFIX.length).split('?')[0] ?? '';
      const handler = Object.hasOwn(methods, method) ? methods[method] : undefined;
      if (req.method !== 'POST' || !handler) {
        if (method === 'GetSignedArtifactURL') throw new TwirpError('unimplemented', 'downloads are not emulated');
        throw new TwirpError('bad_route', `no handler for ${req.method ?? ''} ${req.url ?? ''}`);
      }
      const text = (await readBody(req, MAX_TWIRP_BODY)).toString('utf8');
      entry.body = text;
      if (req.headers.authorization !== `Bearer ${token}`) {
        throw new TwirpError('unauthenticated', 'missing or wrong bearer token');
      }
      const fault = takeFault(method as FaultableCall);
      if (fault === -1) return;
      if (fault === 0) {
        req.socket.destroy();
        return;
      }
      if (fault !== undefined && fault !== -2) {
        throw new TwirpError(twirpCodeForStatus(fault), `injected failure (${fault})`, fault);
      }
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
        throw new TwirpError('bad_route', 'only the JSON encoding is served');
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new TwirpError('malformed', 'request body is not JSON');
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new TwirpError('malformed', 'request body is not a JSON object');
      }
      const reply = handler(body as Record<string, unknown>);
      // The call is done, and its answer lost on the way back.
      if (fault === -2) return void req.socket.destroy();
      sendJson(res, 200, reply);
    } catch (error) {
      // Always JSON: the client retries a non-JSON reply for ~30 s before giving up.
      const e = error instanceof TwirpError ? error : new TwirpError('internal', String(error));
      sendJson(res, e.status, { code: e.code, msg: e.message });
    }
  }

  // --- blob upload ---------------------------------------------------------------------------------

  function sendStorageError(res: ServerResponse, status: number, code: string, message: string): void {
    const xml = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
    res.writeHead(status, {
      'content-type': 'application/xml',
      'content-length': Buffer.byteLength(xml),
      'x-ms-error-code': code,
    });
    res.end(xml);
  }

  function sendCreated(res: ServerResponse): void {
    // The Azure SDK treats anything but 201 as a failure here (200 throws).
    res.writeHead(201, {
      'content-length': 0,
      etag: `"0x${randomBytes(8).toString('hex').toUpperCase()}"`,
      'last-modified': new Date().toUTCString(),
      'x-ms-request-id': randomUUID(),
      'x-ms-version': '2023-11-03',
      'x-ms-request-server-encrypted': 'true',
    });
    res.end();
  }

  function commit(record: ArtifactRecord, blocks: Buffer[], byId: Map<string, Buffer>): void {
    record.blob = Buffer.concat(blocks);
    // Block by block: one update() takes at most 2 GiB, and the benchmarks upload more.
    const hash = createHash('sha256');
    for (const b of blocks) hash.update(b);
    record.digest = hash.digest('hex');
    record.committedBlocks = byId;
    record.staged = new Map();
  }

  async function handleBlob(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const record = records.find((r) => String(r.id) === url.pathname.slice(BLOB_PREFIX.length));
    if (!record || url.searchParams.get('sig') !== record.sig) {
      await readBody(req);
      sendStorageError(res, 403, 'AuthenticationFailed', 'Signature did not match or the artifact is gone.');
      return;
    }
    if (req.method !== 'PUT') {
      await readBody(req);
      sendStorageError(res, 405, 'UnsupportedHttpVerb', 'Only uploads are emulated.');
      return;
    }
    if (record.finalized) {
      await readBody(req);
      sendStorageError(res, 409, 'BlobImmutable', 'The artifact is already finalized.');
      return;
    }
    const comp = url.searchParams.get('comp');
    const faultCall: FaultableCall | undefined =
      comp === 'block' ? 'UploadBlock' : comp === 'blocklist' ? 'CommitBlockList' : undefined;
    const body = await readBody(req);
    const fault = faultCall && takeFault(faultCall);
    if (fault === -1) return;
    if (fault === 0) {
      req.socket.destroy();
      return;
    }
    if (fault !== undefined) {
      sendStorageError(res, fault, 'InjectedFailure', `injected failure (${fault})`);
      return;
    }

    if (comp === 'block') {
      const blockId = url.searchParams.get('blockid');
      if (!blockId) {
        sendStorageError(res, 400, 'InvalidQueryParameterValue', 'blockid is missing.');
        return;
      }
      record.staged.set(blockId, body);
      sendCreated(res);
      return;
    }

    if (comp === 'blocklist') {
      // <BlockList><Latest>id</Latest>…</BlockList>; the blob is the blocks in list order.
      const blocks: Buffer[] = [];
      const byId = new Map<string, Buffer>();
      for (const m of body.toString('utf8').matchAll(/<(Latest|Committed|Uncommitted)>([^<]*)<\/\1>/g)) {
        const [, kind, id = ''] = m;
        const block =
          kind === 'Committed'
            ? record.committedBlocks.get(id)
            : kind === 'Uncommitted'
              ? record.staged.get(id)
              : (record.staged.get(id) ?? record.committedBlocks.get(id));
        if (!block) {
          sendStorageError(res, 400, 'InvalidBlockList', `Block ${id} was not staged.`);
          return;
        }
        blocks.push(block);
        byId.set(id, block);
      }
      commit(record, blocks, byId);
      sendCreated(res);
      return;
    }

    if (comp === null && req.headers['x-ms-blob-type'] === 'BlockBlob') {
      // Single-shot Put Blob: the SDK does not use it for streams, but it is trivial to accept.
      commit(record, [body], new Map());
      sendCreated(res);
      return;
    }
    sendStorageError(res, 400, 'InvalidQueryParameterValue', `Unsupported upload request comp=${String(comp)}.`);
  }

  // --- server --------------------------------------------------------------------------------------

  const server = createServer((req, res) => {
    const entry: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers };
    requests.push(entry);
    const url = new URL(req.url ?? '/', origin);
    const work = url.pathname.startsWith(TWIRP_PREFIX)
      ? handleTwirp(req, res, entry)
      : url.pathname.startsWith(BLOB_PREFIX)
        ? handleBlob(req, res, url)
        : readBody(req).then(() => sendStorageError(res, 404, 'ResourceNotFound', 'Unknown path.'));
    work.catch((error: unknown) => {
      // Body read failures (client went away) and the like: answer if still possible.
      if (!res.headersSent) sendJson(res, 500, { code: 'internal', msg: String(error) });
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  origin = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  return {
    url: origin,
    // GITHUB_SERVER_URL is deliberately absent: the client treats any host other than github.com,
    // *.ghe.com or *.localhost as GitHub Enterprise Server and refuses to upload, and the job's real
    // value (used to build the artifact's web URL) must stay untouched.
    env: {
      ACTIONS_RUNTIME_TOKEN: token,
      ACTIONS_RESULTS_URL: `${origin}/`,
    },
    artifacts: () =>
      records.map((r) => {
        const zip = r.blob ?? Buffer.alloc(0);
        const out: StoredArtifact = {
          id: String(r.id),
          name: r.name,
          size: zip.length,
          digest: sha256(zip),
          zip,
          finalized: r.finalized,
        };
        if (r.expiresAt !== undefined) out.expiresAt = r.expiresAt;
        return out;
      }),
    requests,
    failNext(call, status, times = 1) {
      if (!Number.isInteger(status) || (status !== 0 && status !== -1 && status !== -2 && (status < 100 || status > 599))) {
        throw new RangeError(`failNext: bad status ${status}`);
      }
      if (status === -2 && (call === 'UploadBlock' || call === 'CommitBlockList')) throw new RangeError('failNext: -2 is for twirp calls');
      if (!Number.isInteger(times) || times < 1) throw new RangeError(`failNext: bad times ${times}`);
      faults.set(call, { status, times });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets (the Azure SDK pools them) would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

// `node emulator/artifact-service.ts [--host 127.0.0.1] [--port 0]`: print the env as JSON lines
// ({"name":…,"value":…}), then serve until interrupted.
if (import.meta.main) {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({ options: { host: { type: 'string' }, port: { type: 'string' } } });
  const opts: { host?: string; port?: number } = {};
  if (values.host !== undefined) opts.host = values.host;
  if (values.port !== undefined) opts.port = Number(values.port);
  const service = await startArtifactService(opts);
  for (const [name, value] of Object.entries(service.env)) console.log(JSON.stringify({ name, value }));
  const stop = (): void => void service.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
