// The Logger port for people at a terminal: lines on stderr, and a progress line per file while it downloads,
// redrawn in place on a TTY, plain lines (at most one a second per file) otherwise.
import type { Logger } from '../core/ports.ts';
import type { Progress } from '../core/run.ts';
import { formatBytes, formatDuration } from '../core/duration.ts';
import { oneLine, paint, type Style } from './output.ts';

export interface Terminal {
  write(text: string): void;
  /** Redraw in place (a TTY); else plain lines. */
  tty: boolean;
  columns: number;
  color: boolean;
  /** Takes secrets out of a message before it is put on one line and cut: a cut could leave half of one. */
  redact?: (text: string) => string;
}

interface Transfer {
  bytes: number;
  total: number | undefined;
  started: number;
  /** When its last line was printed or drawn; undefined before its first data. */
  printed: number | undefined;
}

const PLAIN_EVERY_MS = 1_000;
const REDRAW_EVERY_MS = 100;

export class TerminalLog implements Logger, Progress {
  readonly #t: Terminal;
  readonly #now: () => number;
  readonly #active = new Map<string, Transfer>();
  /** Progress lines on screen below the last log line (TTY only). */
  #drawn = 0;
  #lastDraw = 0;

  constructor(terminal: Terminal, now: () => number = Date.now) {
    this.#t = terminal;
    this.#now = now;
  }

  #style(s: string, style: Style): string {
    return paint(s, style, this.#t.color);
  }

  /** A log line: above the progress lines, which are drawn again below it. */
  #line(text: string): void {
    this.#clear();
    this.#t.write(`${text}\n`);
    this.#draw();
  }

  /** A message on one line, secrets out first. */
  #text(m: string, max: number): string {
    return oneLine(this.#t.redact ? this.#t.redact(m) : m, max);
  }

  info(m: string): void {
    this.#line(this.#text(m, 2000));
  }
  warning(m: string): void {
    this.#line(`${this.#style('warning:', 'yellow')} ${this.#text(m, 2000)}`);
  }
  error(m: string): void {
    this.#line(`${this.#style('error:', 'red')} ${this.#text(m, 2000)}`);
  }
  debug(): void {
    // Nothing: the action's debug lines are for the runner's debug logging.
  }
  mask(): void {
    // A terminal has no masking of its own: src/cli/index.ts redacts every line this writes.
  }
  async group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.#line(this.#style(this.#text(name, 2000), 'bold'));
    return fn();
  }

  /** `start` (run.ts calls it as the request goes out) times the rate from then; the first data prints a line. */
  start(file: string): void {
    this.#active.set(file, { bytes: 0, total: undefined, started: this.#now(), printed: undefined });
  }

  update(file: string, bytes: number, total: number | undefined): void {
    const now = this.#now();
    let t = this.#active.get(file);
    if (!t) {
      t = { bytes, total, started: now, printed: undefined };
      this.#active.set(file, t);
    }
    t.bytes = bytes;
    t.total = total;
    if (this.#t.tty) {
      if (t.printed === undefined || now - this.#lastDraw >= REDRAW_EVERY_MS) {
        t.printed = now;
        this.#clear();
        this.#draw();
      }
    } else if (t.printed === undefined || now - t.printed >= PLAIN_EVERY_MS) {
      t.printed = now;
      this.#t.write(`${this.#progressLine(file, t, now)}\n`);
    }
  }

  done(file: string): void {
    this.#clear();
    this.#active.delete(file);
    this.#draw();
  }

  /** `↓ name: figures`; within `width` characters by shortening the name, so the figures stay whole. */
  #progressLine(file: string, t: Transfer, now: number, width = Infinity): string {
    const seconds = Math.max((now - t.started) / 1000, 0.001);
    const rate = t.bytes / seconds;
    const of = t.total ? ` of ${formatBytes(t.total)} (${Math.floor((t.bytes / t.total) * 100)}%)` : '';
    const eta = t.total && rate > 0 && t.bytes > 0 ? `, ETA ${formatDuration(Math.ceil((t.total - t.bytes) / rate) * 1000)}` : '';
    const figures = `: ${formatBytes(t.bytes)}${of}, ${formatBytes(Math.round(rate))}/s${eta}`;
    const name = [...this.#text(file, 500)];
    const room = width - 2 - figures.length;
    const shown = name.length <= room ? name.join('') : room >= 8 ? `${name.slice(0, room - 1).join('')}…` : name.join('');
    return `↓ ${shown}${figures}`;
  }

  #clear(): void {
    if (this.#drawn === 0) return;
    // To the start of the first progress line, then erase to the end of the screen.
    this.#t.write(`\x1b[${this.#drawn}F\x1b[J`);
    this.#drawn = 0;
  }

  #draw(): void {
    if (!this.#t.tty || this.#active.size === 0) return;
    const now = this.#now();
    const width = Math.max(20, this.#t.columns - 1);
    let out = '';
    for (const [file, t] of this.#active) {
      if (t.printed === undefined) continue;
      const line = this.#progressLine(file, t, now, width);
      out += `${[...line].slice(0, width).join('')}\n`;
    }
    if (out) this.#t.write(out);
    this.#drawn = out.split('\n').length - 1;
    this.#lastDraw = now;
  }
}
