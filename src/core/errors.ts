// Every failure the action reports is one of these, so the top level can say what went wrong and why.
import { redactUrl } from './redact.ts';

/** How a door names an input: `'since'` in the action, `--since` or `OS_AUTH_TOKEN` on the command line. */
export type NameInput = (input: string) => string;

/** The action's way: "Input 'x'". */
export const actionInputName: NameInput = (input) => `'${input}'`;

/** How the door that runs names inputs in the messages the engine builds: the action's, unless a door says otherwise. */
let door: { name: NameInput; nouns?: readonly [string, string] | undefined } = { name: actionInputName, nouns: ['Input', 'Inputs'] };

/** A door names inputs its own way from now on (the command line: its flags, OS_* variables, clouds.yaml keys; no noun). */
export function nameInputsAs(name: NameInput): void {
  door = { name, nouns: undefined };
}

/** An input as the running door names it in a message: `'since'` in the action, `--since` on the command line. */
export function inputName(input: string): string {
  return door.name(input);
}

/**
 * A bad or missing input, found before any request is sent. Names one input, or the inputs that clash, by their
 * action names; each door formats it with its own names (`format`). `message` is the action's wording.
 */
export class InputError extends Error {
  /** The (first) input named. */
  readonly input: string;
  readonly inputs: readonly string[];
  /** What is wrong, with any other input it mentions named the door's way. */
  readonly detail: (name: NameInput) => string;
  constructor(input: string | readonly string[], detail: string | ((name: NameInput) => string)) {
    const inputs = typeof input === 'string' ? [input] : input;
    const text = typeof detail === 'string' ? () => detail : detail;
    super(formatInputError(inputs, text, door.name, door.nouns));
    this.name = 'InputError';
    this.input = inputs[0] ?? '';
    this.inputs = inputs;
    this.detail = text;
  }

  /** The message with the door's names, e.g. "--since: ..." for the command line (no noun when `nouns` is absent). */
  format(name: NameInput, nouns?: readonly [string, string]): string {
    return formatInputError(this.inputs, this.detail, name, nouns);
  }
}

function formatInputError(inputs: readonly string[], detail: (name: NameInput) => string, name: NameInput, nouns?: readonly [string, string]): string {
  const named = inputs.map(name);
  const list = named.length > 1 ? `${named.slice(0, -1).join(', ')} and ${named.at(-1)}` : named[0] ?? '';
  const noun = nouns ? `${nouns[named.length > 1 ? 1 : 0]} ` : '';
  return `${noun}${list}: ${detail(name)}`;
}

/** ' (request id X)' when the answer named one, to end a message with; else nothing. */
export function requestIdNote(requestId: string | undefined): string {
  return requestId ? ` (request id ${requestId})` : '';
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
    msg += requestIdNote(f.requestId);
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

/** A failure below HTTP: connection refused or reset, DNS, socket timeout. Its message never holds a query string. */
export class NetworkError extends Error {
  readonly code: string;
  constructor(code: string, url: URL, detail?: string) {
    super(`${detail ?? code} (${redactUrl(url)})`);
    this.name = 'NetworkError';
    this.code = code;
  }
}

/** The API's answer is not what the spec says (not JSON, a field missing or of the wrong type). */
export class ResponseError extends Error {
  readonly requestId: string | undefined;
  /** An empty or cut-off body is worth another try; a well-formed answer with a missing field is not. */
  readonly transient: boolean;
  constructor(message: string, f: { requestId?: string | undefined; transient?: boolean } = {}) {
    super(`${message}${requestIdNote(f.requestId)}`);
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

/** The disk under output-dir is full (ENOSPC) or over quota (EDQUOT): no retry or other file can help. */
export class DiskFullError extends Error {
  constructor(dir: string, code: 'ENOSPC' | 'EDQUOT') {
    super(`the disk holding ${inputName('output-dir')} (${dir}) is ${code === 'EDQUOT' ? 'over its quota (EDQUOT)' : 'full (ENOSPC)'}: free space there or set ${inputName('output-dir')} to another disk`);
    this.name = 'DiskFullError';
  }
}

/**
 * One file is larger than the room left on the disk of 'output-dir': refused before a byte of it is written.
 * Not a full disk: the other files still come.
 */
export class NoRoomError extends Error {
  constructor(dir: string, why: string) {
    super(`the disk holding ${inputName('output-dir')} (${dir}) is too small for it: ${why}: free space there or set ${inputName('output-dir')} to another disk`);
    this.name = 'NoRoomError';
  }
}

export class CancelledError extends Error {
  /** The signal that cancelled the run, when one did. */
  readonly signal: NodeJS.Signals | undefined;
  constructor(message = 'cancelled', signal?: NodeJS.Signals) {
    super(message);
    this.name = 'CancelledError';
    this.signal = signal;
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
