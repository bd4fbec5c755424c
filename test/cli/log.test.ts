import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TerminalLog } from '../../src/cli/log.ts';

function terminal(tty: boolean): { out: string[]; log: TerminalLog; setNow: (t: number) => void } {
  const out: string[] = [];
  let now = 0;
  const log = new TerminalLog({ write: (s) => void out.push(s), tty, columns: 80, color: false }, () => now);
  return { out, log, setNow: (t) => { now = t; } };
}

test('on a TTY each file has one progress line, redrawn in place, and log lines go above them', () => {
  const { out, log, setNow } = terminal(true);
  log.start('a.log');
  log.start('b.log');
  assert.deepEqual(out, [], 'nothing drawn before data arrives');
  setNow(1000);
  log.update('b.log', 0, 2048);
  log.update('a.log', 500, 1000);
  // Rate from the request's start; the two lines drawn before are erased first (up 2 lines, erase below).
  assert.deepEqual(out.slice(-2), ['\x1b[1F\x1b[J', '↓ a.log: 500 B of 1000 B (50%), 500 B/s, ETA 1s\n↓ b.log: 0 B of 2.00 KiB (0%), 0 B/s\n']);
  log.info('✓ a.log');
  assert.deepEqual(out.slice(-3), ['\x1b[2F\x1b[J', '✓ a.log\n', '↓ a.log: 500 B of 1000 B (50%), 500 B/s, ETA 1s\n↓ b.log: 0 B of 2.00 KiB (0%), 0 B/s\n']);
  log.done('a.log');
  assert.deepEqual(out.slice(-2), ['\x1b[2F\x1b[J', '↓ b.log: 0 B of 2.00 KiB (0%), 0 B/s\n']);
});

test('not on a TTY: plain lines, the first with the first data, then at most one a second per file, never a cursor move', () => {
  const { out, log, setNow } = terminal(false);
  log.start('a.log');
  setNow(100);
  log.update('a.log', 10, 100);
  setNow(600);
  log.update('a.log', 50, 100);
  setNow(1100);
  log.update('a.log', 100, 100);
  log.done('a.log');
  assert.deepEqual(out, ['↓ a.log: 10 B of 100 B (10%), 100 B/s, ETA 1s\n', '↓ a.log: 100 B of 100 B (100%), 91 B/s, ETA 0ms\n']);
});

test('text from the logs cannot reach the terminal as an escape sequence', () => {
  const { out, log } = terminal(false);
  log.info('file \x1b]0;title\x07 \u202eevil');
  assert.equal(out.join(''), 'file \ufffd]0;title\ufffd \ufffdevil\n');
});

test('a narrow terminal shortens the file name, never the figures (size, percent, rate, ETA)', () => {
  const out: string[] = [];
  let now = 0;
  const log = new TerminalLog({ write: (s) => void out.push(s), tty: true, columns: 60, color: false }, () => now);
  const name = 'postgresql-2026-11-28_090000-with-a-very-long-name.log';
  log.start(name);
  now = 1000;
  log.update(name, 310_000, 4 * 1024 * 1024);
  const line = out.at(-1)!.replace(/\n$/, '');
  assert.ok([...line].length <= 59, line);
  assert.match(line, /^↓ postgresql…: 303 KiB of 4\.00 MiB \(7%\), 303 KiB\/s, ETA 13s$/);
});

test('a message is redacted before it is cut to a line: a secret across the cut leaves no prefix', () => {
  const out: string[] = [];
  const secret = 'TOKSECRET_abcdefghijklmnop1234567890';
  const log = new TerminalLog({ write: (s) => void out.push(s), tty: false, columns: 80, color: false, redact: (s) => s.replaceAll(secret, '***') });
  log.error(`${'x'.repeat(1990)} token ${secret}`);
  // Cut first, the line would end in `token TO…`: a prefix no redaction of the finished line finds.
  assert.doesNotMatch(out.join(''), /token TO/);
  assert.match(out.join(''), /token \*\*\*$/m);
});
