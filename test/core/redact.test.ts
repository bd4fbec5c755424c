// The redactor: a secret is replaced in every form it may take in a message, the summary or an output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSecrets, Redactor, redactDeep } from '../../src/core/redact.ts';

test('a secret is redacted raw, percent-encoded and base64-encoded; the longest match wins', () => {
  const r = new Redactor();
  const token = 'MIIx+tok/en==value';
  r.add(token);
  r.add('MIIx+tok'); // a shorter secret sharing the start
  const text = `a ${token} b ${encodeURIComponent(token)} c ${Buffer.from(token).toString('base64')} d MIIx+tok e`;
  assert.equal(r.redact(text), 'a *** b *** c *** d *** e');
  assert.equal(r.redact('nothing here'), 'nothing here');
});

test('percent-escapes in lower case, as a host may echo them, are redacted too; the text around is kept as written', () => {
  const r = new Redactor();
  const token = 'MIIabc+def/ghi=jkl';
  const signature = 'Sig4%2BLOJ9frAXy%3D'; // a link's raw value, written with upper-case escapes
  r.add(token);
  r.add(signature);
  assert.equal(r.redact('echo MIIabc%2bdef%2fghi%3djkl end %2f'), 'echo *** end %2f');
  assert.equal(r.redact('Code Sig4%2bLOJ9frAXy%3d.'), 'Code ***.');
  assert.equal(r.redact('no secret: %2b%3d'), 'no secret: %2b%3d');
  // A bare % before a secret (SQL's LIKE) is no escape of it.
  r.add('deadbeefSecret123');
  assert.equal(r.redact("WHERE k LIKE '%deadbeefSecret123%' or '%1deadbeefSecret123'"), "WHERE k LIKE '%***%' or '%1***'");
});

test('redactDeep: every string of a digest-like value, in objects and arrays; Dates, numbers and undefined kept', () => {
  const r = new Redactor();
  r.add('s3cret_value_1');
  const when = new Date(Date.UTC(2026, 10, 28));
  const out = redactDeep({ message: 'x s3cret_value_1 y', n: 3, time: when, none: undefined, list: [{ detail: 's3cret_value_1' }, 'plain'] }, (t) => r.redact(t));
  assert.deepEqual(out, { message: 'x *** y', n: 3, time: when, none: undefined, list: [{ detail: '***' }, 'plain'] });
  assert.ok(out.time instanceof Date);
});

test("a link's security token is among its secrets (S3's and OBS's spelling); a secret ending the text is redacted", () => {
  assert.deepEqual(linkSecrets('https://h/f?X-Amz-Security-Token=a%2Fb&x=1'), [{ value: 'a/b', raw: 'a%2Fb' }]);
  assert.deepEqual(linkSecrets('https://h/f?x-obs-security-token=tok'), [{ value: 'tok', raw: 'tok' }]);
  const r = new Redactor();
  r.add('abcdef');
  assert.equal(r.redact('x abcdef'), 'x ***');
});
