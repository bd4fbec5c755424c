import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimelineBuilder, sparkline } from '../../src/insight/timeline.ts';

const T0 = Date.UTC(2026, 10, 28, 15, 0, 0);

test('seconds apart: one-second buckets from the first entry to the last', () => {
  const b = new TimelineBuilder();
  for (const s of [0, 1, 1, 5]) b.add(T0 + s * 1000 + 250, 'ERROR');
  b.add(T0 + 3000, 'FATAL');
  const t = b.finish()!;
  assert.equal(t.startMs, T0);
  assert.equal(t.widthMs, 1000);
  assert.deepEqual(t.series['ERROR'], [1, 2, 0, 0, 0, 1]);
  assert.deepEqual(t.series['FATAL'], [0, 0, 0, 1, 0, 0]);
});

test('ten hours, one entry a minute, in any order: round 30-minute buckets, nothing lost', () => {
  const minutes = Array.from({ length: 600 }, (_, i) => i);
  for (const order of [minutes, [...minutes].reverse(), [...minutes.slice(300), ...minutes.slice(0, 300)]]) {
    const b = new TimelineBuilder();
    for (const m of order) b.add(T0 + m * 60_000, 'ERROR');
    const t = b.finish()!;
    assert.equal(t.widthMs, 30 * 60_000);
    assert.equal(t.startMs, T0);
    assert.deepEqual(t.series['ERROR'], Array(20).fill(30));
  }
});

test('no entries: no timeline; a time before 1970 is left out', () => {
  assert.equal(new TimelineBuilder().finish(), undefined);
  const b = new TimelineBuilder();
  b.add(-5, 'ERROR');
  assert.equal(b.finish(), undefined);
});

test('sparkline: a dot for none, blocks up to the peak', () => {
  assert.equal(sparkline([0, 1, 4, 8]), '·▁▄█');
  assert.equal(sparkline([3, 3]), '██');
});
