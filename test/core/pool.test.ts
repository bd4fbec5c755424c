// The connections downloads share: a freed one goes to the earliest file that wants one; waiting can be cancelled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionBudget } from '../../src/core/pool.ts';
import { CancelledError } from '../../src/core/errors.ts';

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

test('a freed connection goes to the earliest file in the list that waits, not to the first to ask', async () => {
  const budget = new ConnectionBudget(2);
  const a = await budget.acquire(0);
  const b = await budget.acquire(1);
  const got: Array<[string, () => void]> = [];
  const wait = (who: string, order: number): void => void budget.acquire(order).then((release) => { got.push([who, release]); });
  wait('late', 7);
  wait('early', 3);
  wait('early too', 3); // same place as the one before: first come, first served
  a();
  a(); // giving it back twice frees one connection, not two
  await settle();
  assert.deepEqual(got.map(([who]) => who), ['early']);
  b();
  await settle();
  got[0]![1]();
  await settle();
  assert.deepEqual(got.map(([who]) => who), ['early', 'early too', 'late']);
  for (const [, release] of got.slice(1)) release();
  // All given back: two free connections, and not a third.
  await Promise.all([budget.acquire(9), budget.acquire(9)]);
  let third = false;
  void budget.acquire(9).then(() => { third = true; });
  await settle();
  assert.equal(third, false);
});

test('a wait for a connection ends with CancelledError on abort, and does not take one later', async () => {
  const budget = new ConnectionBudget(1);
  const held = await budget.acquire(0);
  const ac = new AbortController();
  const waiting = budget.acquire(1, ac.signal);
  ac.abort();
  await assert.rejects(waiting, CancelledError);
  held();
  const next = await budget.acquire(5); // the cancelled waiter did not swallow the freed connection
  next();
  await assert.rejects(budget.acquire(0, ac.signal), CancelledError);
});
