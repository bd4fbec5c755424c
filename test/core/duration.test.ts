import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatDuration, parseDuration } from '../../src/core/duration.ts';

test('parseDuration reads each unit users write in workflow files', () => {
  const cases: Array<[string, number]> = [
    ['500ms', 500],
    ['5s', 5_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['0s', 0],
    ['1.5s', 1_500],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
});

test('parseDuration adds up compound durations', () => {
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1h2m3s'), 3_723_000);
  assert.equal(parseDuration('2s500ms'), 2_500);
});

test('parseDuration ignores white space around the value (as the runner may leave it)', () => {
  assert.equal(parseDuration(' 5s '), 5_000);
});

test('parseDuration refuses what is not a duration instead of guessing a unit', () => {
  for (const text of ['5', '-1s', 'abc', '', '   ', 's', '5S', '5 s', '1m 30s', '5sec', '1e3s', '.5s', '5ms5', '1d', 'Infinitys']) {
    assert.equal(parseDuration(text), undefined, JSON.stringify(text));
  }
});

test('formatDuration writes short, readable durations for messages', () => {
  const cases: Array<[number, string]> = [
    [0, '0ms'],
    [250, '250ms'],
    [1_000, '1s'],
    [1_500, '1.5s'],
    [12_000, '12s'],
    [60_000, '1m'],
    [90_000, '1m 30s'],
    [3_600_000, '1h'],
    [3_723_000, '1h 2m 3s'],
    [7_200_000 + 5 * 60_000, '2h 5m'],
  ];
  for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, String(ms));
});

test('formatDuration and parseDuration agree on single-unit values', () => {
  for (const text of ['500ms', '5s', '2m', '1h']) {
    assert.equal(formatDuration(parseDuration(text) as number), text);
  }
});

test('formatBytes uses binary units with a sensible precision', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1024), '1.00 KiB');
  assert.equal(formatBytes(1536), '1.50 KiB');
  assert.equal(formatBytes(10 * 1024 * 1024), '10.0 MiB');
  assert.equal(formatBytes(300 * 1024 * 1024 * 1024), '300 GiB');
});
