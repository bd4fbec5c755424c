// The redactor: a secret is replaced in every form it may take in a message, the summary or an output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redactor, redactDeep } from '../../src/core/redact.ts';

test('a secret is redacted raw, percent-encoded and base64-encoded; the longest match wins', () => {
  const r = new Redactor();
  const token = 'MIIx+tok/en==value';
  r.add(token);
  r.add('MIIx+tok'); // a shorter secret sharing the start
  const text = `a ${token} b ${encodeURIComponent(token)} c ${Buffer.from(token).toString('base64')} d MIIx+tok e`;
  assert.equal(r.redact(text), 'a *** b *** c *** d *** e');
  assert.equal(r.redact('nothing here'), 'nothing here');
});

test('redactDeep: every string of a digest-like value, in objects and arrays; Dates, numbers and undefined kept', () => {
  const r = new Redactor();
  r.add('s3cret_value_1');
  const when = new Date(Date.UTC(2026, 10, 28));
  const out = redactDeep({ message: 'x s3cret_value_1 y', n: 3, time: when, none: undefined, list: [{ detail: 's3cret_value_1' }, 'plain'] }, (t) => r.redact(t));
  assert.deepEqual(out, { message: 'x *** y', n: 3, time: when, none: undefined, list: [{ detail: '***' }, 'plain'] });
  assert.ok(out.time instanceof Date);
});
