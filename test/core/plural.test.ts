import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCount, formatLogged, plural } from '../../src/core/plural.ts';

const intl = (n: number, digits: number): string => n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });

test('formatCount writes numbers as Intl does for English, without loading it', () => {
  // Edges, halves, and what rounds up into a new group of three.
  for (const [n, digits] of [[0, 0], [1, 0], [999, 0], [1_000, 0], [6_830_027, 0], [2 ** 53 - 1, 0], [-1_234, 0], [0.5, 0], [2.5, 0],
    [999_999.96, 1], [2_356.55, 1], [0.04, 1], [1_234_567.891, 3], [0.0005, 3], [1.45, 1], [1.005, 2], [10.235, 2], [1e-7, 1]] as const) {
    assert.equal(formatCount(n, digits), intl(n, digits), `${n} with ${digits} digits`);
  }
  // A seeded spread of magnitudes, each with as many decimals as it is written with.
  let x = 7;
  for (let i = 0; i < 3_000; i++) {
    x = (x * 48_271) % 2_147_483_647;
    const digits = [0, 1, 3][i % 3]!;
    const n = Math.floor((x / 2_147_483_647) * 10 ** (i % 13)) / 10 ** digits;
    assert.equal(formatCount(n, digits), intl(n, digits), `${n} with ${digits} digits`);
    // Halfway between two roundings, as written: 0.5, 12.35, 3.0045.
    const half = Number(`${Math.floor(n)}.${digits > 0 ? String(i % 10 ** digits).padStart(digits, '0') : ''}5`);
    assert.equal(formatCount(half, digits), intl(half, digits), `${half} with ${digits} digits`);
  }
});

test('plural: the count, then the word for one or many', () => {
  assert.equal(plural(1, 'file'), '1 file');
  assert.equal(plural(0, 'file'), '0 files');
  assert.equal(plural(4_328, 'entry', 'entries'), '4,328 entries');
});

test('formatLogged: a logged duration with separators and its own digits; nothing for what is not one', () => {
  assert.equal(formatLogged('3120.650'), '3,120.650');
  assert.equal(formatLogged('0.010'), '0.010');
  assert.equal(formatLogged('12'), '12');
  for (const bad of [`1.${'9'.repeat(400)}`, '3120.65000000000000000001', '1e5', '-1.0', 'NaN', '', '1.']) assert.equal(formatLogged(bad), undefined, bad);
});
