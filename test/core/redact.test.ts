// The redactor: a secret is replaced in every form it may take in a message, the summary or an output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redactor } from '../../src/core/redact.ts';

test('a secret is redacted raw, percent-encoded and base64-encoded; the longest match wins', () => {
  const r = new Redactor();
  const token = 'MIIx+tok/en==value';
  r.add(token);
  r.add('MIIx+tok'); // a shorter secret sharing the start
  const text = `a ${token} b ${encodeURIComponent(token)} c ${Buffer.from(token).toString('base64')} d MIIx+tok e`;
  assert.equal(r.redact(text), 'a *** b *** c *** d *** e');
  assert.equal(r.redact('nothing here'), 'nothing here');
});
