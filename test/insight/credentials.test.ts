// Passwords in log text: what the engine shows of the logs hides them (src/insight/credentials.ts). The real
// server's output is test/fixtures/pg/stderr-credentials.log (run E of scripts/make-pg-fixtures.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { hideCredentials } from '../../src/insight/credentials.ts';
import { digestBytes, digestFiles } from '../../src/insight/digest.ts';
import { digestSlowFiles } from '../../src/insight/slow.ts';
import { fixture, fixtureFile, grep, tmpFiles } from '../support/pg-fixtures.ts';

const SECRETS = /S3cr3t|app-secret-123/;
const tmpFile = tmpFiles('insight-credentials-');

test('each way a password is written in SQL, a connection string or JSON is hidden, quotes kept', () => {
  const cases: Array<[string, string]> = [
    ["CREATE ROLE app PASSWORD 'S3cr3t'", "CREATE ROLE app PASSWORD '***'"],
    ["ALTER ROLE app WITH ENCRYPTED PASSWORD E'S3cr3t\\'s'", "ALTER ROLE app WITH ENCRYPTED PASSWORD '***'"],
    ["ALTER USER app PASSWORD 'it''s S3cr3t' VALID UNTIL 'infinity'", "ALTER USER app PASSWORD '***' VALID UNTIL 'infinity'"],
    ['CREATE USER app PASSWORD $pw$S3cr3t$pw$', 'CREATE USER app PASSWORD $$***$$'],
    ["OPTIONS (user 'app', password 'S3cr3t')", "OPTIONS (user 'app', password '***')"],
    ["dblink_connect('host=db password=S3cr3t user=app')", "dblink_connect('host=db password=*** user=app')"],
    ["dblink_connect('password=''S3cr3t x'' user=app')", "dblink_connect('password=''***'' user=app')"],
    ["CONNECTION 'postgresql://app:S3cr3t@db:5432/app'", "CONNECTION 'postgresql://app:***@db:5432/app'"],
    ["SELECT 1 FROM users WHERE api_token = 'S3cr3t' AND id = 2", "SELECT 1 FROM users WHERE api_token = '***' AND id = 2"],
    ['{"user": "app", "password": "S3\\"cr3t"}', '{"user": "app", "password": "***"}'],
    ['Key (lower(api_token::text))=(S3cr3t(1)) already exists.', 'Key (lower(api_token::text))=(***) already exists.'],
    ["INSERT INTO users (email, password_hash) VALUES ('a@x', 'S3cr3t'), ('b;c', $$S3cr3t$$); SELECT 'kept'", "INSERT INTO users (email, password_hash) VALUES ('***', '***'), ('***', $$***$$); SELECT 'kept'"],
    // Cut by the line limit in the middle of the value: hidden to the end.
    ["CREATE ROLE app PASSWORD 'S3cr3t-and-the-line-was-cu", "CREATE ROLE app PASSWORD '***'"],
  ];
  for (const [text, shown] of cases) assert.equal(hideCredentials(text), shown, text);
});

test('text that only mentions a password, a token or a key keeps its words', () => {
  for (const text of [
    'password authentication failed for user "app"',
    'Connection matched pg_hba.conf line 2: "host all all 0.0.0.0/0 scram-sha-256"',
    'relation "tokens" does not exist',
    'syntax error at or near "PASSWORD"',
    'Key (email)=(alice@example.com) already exists.',
    "INSERT INTO users (email, name) VALUES ('alice@example.com', 'Alice')",
    'unrecognized configuration parameter "password_encryption"',
    'could not connect to server: https://example.com/path',
  ]) assert.equal(hideCredentials(text), text);
});

test('the digest of a real server log shows every entry, with no password in it', async () => {
  const path = fixture('stderr-credentials.log');
  assert.ok(grep(path, SECRETS).length >= 10);
  const d = await digestFiles([fixtureFile('stderr-credentials.log')], { recent: 200, recentSeverities: ['LOG', 'ERROR'] });
  assert.doesNotMatch(JSON.stringify(d), SECRETS);
  // Every ERROR is still there (counted, grouped, shown) and the statements still read.
  assert.equal(d.bySeverity.ERROR, grep(path, /:ERROR: {2}/).length);
  assert.ok(d.recent.some((e) => e.statement === "CREATE ROLE app PASSWORD '***'"));
  assert.ok(d.recent.some((e) => e.message === "statement: ALTER ROLE app PASSWORD '***'"), 'the LOG line of log_statement = ddl');
  assert.equal(d.messages.find((g) => g.key.startsWith('duplicate key'))?.example.detail, 'Key (api_token)=(***) already exists.');
});

test("a value folded out of a message after a secret's name is hidden in the messages table, not only in the example", async () => {
  const log = [
    "2026-11-30 10:00:00 UTC [1] ERROR:  connection failed with password 'S3cr3t-1'",
    "2026-11-30 10:00:01 UTC [2] ERROR:  connection failed with password 'S3cr3t-2'",
    '2026-11-30 10:00:02 UTC [3] ERROR:  relation "orders" does not exist',
    '',
  ].join('\n');
  const d = await digestBytes([Buffer.from(log)], 'postgresql.log');
  assert.doesNotMatch(JSON.stringify(d), SECRETS);
  const g = d.messages.find((m) => m.key.startsWith('connection failed'))!;
  assert.deepEqual([g.count, g.values[0]!.first, g.values[0]!.examples], [2, "'***'", ["'***'"]]);
  // Other values are kept as examples.
  assert.equal(d.messages.find((m) => m.key.startsWith('relation'))?.values[0]?.first, '"orders"');
});

test('the slow-query log: the slowest statements and the bind parameters they name as secret hidden; unparsed lines too', async () => {
  const p = '2026-11-30 10:00:00 UTC:10.0.0.5(40000):admin@app:[7]:';
  const slow = tmpFile('postgresql-slow.log', [
    `${p}LOG:  duration: 812.500 ms  statement: ALTER ROLE app PASSWORD 'S3cr3t-slow'`,
    `${p}LOG:  duration: 90.000 ms  execute P_1: SELECT * FROM sessions WHERE token = $1`,
    `${p}DETAIL:  parameters: $1 = 'S3cr3t-bound'`,
    `${p}LOG:  duration: 80.000 ms  execute P_2: INSERT INTO users (email, password_hash) VALUES ($1, $2)`,
    `${p}DETAIL:  parameters: $1 = 'alice@example.com', $2 = 'S3cr3t-hash'`,
    `${p}LOG:  duration: 70.000 ms  execute P_3: SELECT * FROM users WHERE id = $1 AND api_key=$2`,
    `${p}DETAIL:  parameters: $1 = '7', $2 = 'S3cr3t-key'`,
    `${p}LOG:  duration: 60.000 ms  execute P_4: SELECT * FROM orders WHERE id = $1`,
    `${p}DETAIL:  parameters: $1 = '42'`,
    "psql: connecting with password=S3cr3t-junk",
    '',
  ].join('\n'));
  const d = await digestSlowFiles([{ name: 'postgresql-slow.log', path: slow, size: statSync(slow).size }]);
  assert.equal(d.count, 5);
  assert.doesNotMatch(JSON.stringify(d), SECRETS);
  assert.equal(d.slowest?.statement, "ALTER ROLE app PASSWORD '***'");
  // Bind parameters: those the statement binds to a secret's name, all of an INSERT into a secret column.
  const detail = (name: string): string | undefined => d.statements.find((s) => s.slowest.name === name)?.slowest.detail;
  assert.equal(detail('P_1'), "parameters: $1 = '***'");
  assert.equal(detail('P_2'), "parameters: $1 = '***', $2 = '***'");
  assert.equal(detail('P_3'), "parameters: $1 = '7', $2 = '***'");
  assert.equal(detail('P_4'), "parameters: $1 = '42'");
  assert.deepEqual(d.files[0]!.unparsedSamples.map((s) => s.text), ['psql: connecting with password=***']);
});
