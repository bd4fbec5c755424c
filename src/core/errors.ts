// Every failure the action reports is one of these, so the top level can say what went wrong and why.

/** A bad or missing input, found before any request is sent. Names one input, or the inputs that clash. */
export class InputError extends Error {
  /** The (first) input named. */
  readonly input: string;
  readonly inputs: readonly string[];
  constructor(input: string | readonly string[], message: string) {
    const inputs = typeof input === 'string' ? [input] : input;
    const quoted = inputs.map((n) => `'${n}'`);
    const names = quoted.length > 1 ? `Inputs ${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}` : `Input ${quoted[0]}`;
    super(`${names}: ${message}`);
    this.name = 'InputError';
    this.input = inputs[0] ?? '';
    this.inputs = inputs;
  }
}

/** The RDS (or IAM) API answered with an error. The message carries everything a user needs to look it up. */
export class ApiError extends Error {
  readonly status: number;
  readonly errorCode: string | undefined;
  readonly errorMsg: string | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(what: string, f: {
    status: number;
    errorCode?: string | undefined;
    errorMsg?: string | undefined;
    requestId?: string | undefined;
    retryAfterMs?: number | undefined;
    hint?: string | undefined;
  }) {
    const parts = [`HTTP ${f.status}`];
    if (f.errorCode) parts.push(f.errorCode);
    let msg = `${what} failed: ${parts.join(' ')}`;
    if (f.errorMsg) msg += `: ${f.errorMsg}`;
    if (f.requestId) msg += ` (request id ${f.requestId})`;
    if (f.hint) msg += `. ${f.hint}`;
    super(msg);
    this.name = 'ApiError';
    this.status = f.status;
    this.errorCode = f.errorCode;
    this.errorMsg = f.errorMsg;
    this.requestId = f.requestId;
    this.retryAfterMs = f.retryAfterMs;
  }
}

/** The API's answer is not what the spec says (not JSON, a field missing or of the wrong type). */
export class ResponseError extends Error {
  readonly requestId: string | undefined;
  /** An empty or cut-off body is worth another try; a well-formed answer with a missing field is not. */
  readonly transient: boolean;
  constructor(message: string, f: { requestId?: string | undefined; transient?: boolean } = {}) {
    super(f.requestId ? `${message} (request id ${f.requestId})` : message);
    this.name = 'ResponseError';
    this.requestId = f.requestId;
    this.transient = f.transient ?? false;
  }
}

export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

/** The log files could not be prepared (top-level status FAILED). */
export class PreparationFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreparationFailedError';
  }
}

/** The cloud is not as the run needs it: no such project or instance, several of that name, not ACTIVE, not PostgreSQL. */
export class PreconditionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreconditionError';
  }
}

/** Credentials could not be obtained before any API was asked (e.g. no GitHub OIDC ID token). */
export class AuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthError';
  }
}

export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
