// The one gate every line the process prints passes (both doors): no workflow command from the API, the
// download host or the logs can reach the runner, or another CI system's agent.
import { StringDecoder } from 'node:string_decoder';

/*
 * What the runner runs as a command (actions/runner, src/Runner.Common/ActionCommand.cs, TryParseV2 and TryParse;
 * src/Runner.Sdk/ProcessInvoker.cs reads stdout and stderr with ReadLine):
 * - a line is ended by \n, \r or \r\n;
 * - `::name props::data` once the line's leading white space is trimmed (String.TrimStart: any Unicode white
 *   space, also U+0085, U+00A0, U+2028);
 * - the legacy `##[name props]data` anywhere in the line.
 * Command names are matched without regard to case, and `stop-commands` turns every later command off (masks
 * included) until its token comes back: one such line from hostile text and secrets print in clear.
 *
 * So: a `:` that would start a line's `::` becomes `: ` and every `##[` becomes `## [` (and C1 and bidi controls
 * become U+FFFD, so that no name reads as another). The command line runs in other CI systems too, whose
 * markers are alike: `##vso[` (Azure Pipelines) and `##teamcity[` get the same space before their `[`. The only lines let through
 * as they are, on the process's stdout, are the commands @actions/core itself writes for this action and the
 * artifact client (in the upload thread, whose output is piped through here): masks, debug lines, annotations
 * and groups. The logger defuses each message before @actions/core sees it, so a message can never look like one.
 */
const WHITE = /[\s\u0085]/;
// C1 controls and the bidi controls that make a line read as another (U+202E): shown as U+FFFD.
const HIDDEN = /[\u0080-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const CORE_COMMAND = /^::(add-mask|debug|notice|warning|error|group|endgroup)( [^:\r\n]*)?::/;

/**
 * The warnings and errors (annotations) printed through a gate so far, from any thread piped into it: GitHub
 * shows 10 of each level a step, so what the action adds at the end leaves room for these.
 */
export const printed = { warning: 0, error: 0 };

/** Defuses a stream of text in pieces: a line may arrive in several writes. */
class CommandGuard {
  #allowCore: boolean;
  #lineStart = true;
  /** The line so far is white space only. */
  #blank = true;
  /** How many `#` end the text so far. */
  #hashes = 0;
  /** The text so far ends in `##` and letters: the start of another CI system's marker (`##vso[`, `##teamcity[`). */
  #marker = false;
  /** The current line is one of @actions/core's own commands. */
  #trusted = false;

  constructor(allowCoreCommands: boolean) {
    this.#allowCore = allowCoreCommands;
  }

  filter(text: string): string {
    let out = '';
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (c === '\n' || c === '\r') {
        out += c;
        this.#lineStart = true;
        this.#blank = true;
        this.#hashes = 0;
        this.#marker = false;
        this.#trusted = false;
        continue;
      }
      if (this.#lineStart) {
        this.#lineStart = false;
        if (this.#allowCore) {
          const end = text.slice(i).search(/[\r\n]/);
          const line = end < 0 ? text.slice(i) : text.slice(i, i + end);
          const core = CORE_COMMAND.exec(line);
          this.#trusted = core !== null;
          const level = core?.[1];
          if (level === 'warning' || level === 'error') printed[level]++;
        }
      }
      if (this.#trusted) {
        out += c;
        continue;
      }
      if (this.#blank && c === ':' && (i + 1 >= text.length || text[i + 1] === ':')) {
        out += ': ';
        this.#blank = false;
        this.#hashes = 0;
        this.#marker = false;
        continue;
      }
      const afterHashes = this.#hashes >= 2 || this.#marker;
      if (c === '[' && afterHashes) out += ' ';
      this.#marker = afterHashes && /[A-Za-z]/.test(c);
      this.#hashes = c === '#' ? this.#hashes + 1 : 0;
      if (!WHITE.test(c)) this.#blank = false;
      out += HIDDEN.test(c) ? '\ufffd' : c;
    }
    return out;
  }
}

/** A message as plain log text: every line of it defused. */
export function defuse(message: string): string {
  return new CommandGuard(false).filter(message);
}

/**
 * Puts the gate in front of a stream of this process (stdout: @actions/core's own commands pass; stderr: none
 * do). Everything written to it afterwards, by this code, a library or a worker thread piped into it, is defused.
 */
export function guardStream(stream: NodeJS.WritableStream, allowCoreCommands: boolean): void {
  const guard = new CommandGuard(allowCoreCommands);
  const decoder = new StringDecoder('utf8');
  const write = stream.write.bind(stream) as (chunk: string, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    // Bytes are decoded with a decoder that keeps a character cut between two writes for the next one.
    const text = typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    const args = typeof rest[0] === 'string' ? rest.slice(1) : rest; // the text is now UTF-16: no encoding
    return write(guard.filter(text), ...args);
  }) as typeof stream.write;
}
