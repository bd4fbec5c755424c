// What the Actions runner would run as workflow commands in a process's output. A transcription of
// actions/runner (commit 258d6c85): src/Runner.Sdk/ProcessInvoker.cs reads lines with ReadLine (\n, \r, \r\n end
// a line); src/Runner.Common/ActionCommand.cs TryParseV2 (`::name props::data` after TrimStart) and TryParse
// (the legacy `##[name props]data` anywhere in the line). Every command name counts, registered or not.

export interface RunnerCommand {
  name: string;
  data: string;
  line: string;
}

// .NET's Char.IsWhiteSpace: the Unicode separators Zs, Zl, Zp, U+0009 to U+000D and U+0085.
const trimStart = (s: string): string => s.replace(/^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/, '');

export function runnerCommands(output: string): RunnerCommand[] {
  const found: RunnerCommand[] = [];
  for (const line of output.split(/\r\n|\r|\n/)) {
    const v2 = trimStart(line);
    if (v2.startsWith('::')) {
      const end = v2.indexOf('::', 2);
      if (end >= 0) {
        const info = v2.slice(2, end);
        const name = info.split(' ')[0] ?? '';
        if (name !== '') {
          found.push({ name: name.toLowerCase(), data: v2.slice(end + 2), line });
          continue;
        }
      }
    }
    const at = line.indexOf('##[');
    if (at >= 0) {
      const rb = line.indexOf(']', at);
      if (rb >= 0) {
        const name = line.slice(at + 3, rb).split(' ')[0] ?? '';
        if (name !== '') found.push({ name: name.toLowerCase(), data: line.slice(rb + 1), line });
      }
    }
  }
  return found;
}

/** The hostile payloads: each a way to smuggle a command into a line, each carrying the marker PWNED. */
export const MARKER = 'PWNED';
export const INJECTIONS = [
  `::stop-commands::${MARKER}`,
  `  ::add-mask::${MARKER}`,
  `\t::warning::${MARKER}`,
  `\u00a0::error::${MARKER}`,
  `\u0085::add-mask::${MARKER}`,
  `\u2028::stop-commands::${MARKER}`,
  `::STOP-COMMANDS::${MARKER}`,
  `text ##[stop-commands]${MARKER}`,
  `##[add-mask]${MARKER}`,
];

/**
 * Commands in `output` that a hostile server managed to run: each payload's data starts with the marker. (The
 * action's own annotations may quote hostile text, escaped, inside their data: that is text, not a command.)
 */
export function injected(output: string): RunnerCommand[] {
  return runnerCommands(output).filter((c) => c.data.startsWith(MARKER));
}
