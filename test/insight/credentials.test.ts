// Passwords in log text: what the engine shows of the logs hides them (src/insight/secrets/). The real
// server's output is test/fixtures/pg/stderr-credentials.log (run E of scripts/make-pg-fixtures.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { hideCredentials, hideEntry, WITHHELD } from '../../src/insight/secrets/entry.ts';
import { digestBytes, digestFiles } from '../../src/insight/digest.ts';
import type { LogEntry } from '../../src/insight/entry.ts';
import { digestSlowFiles } from '../../src/insight/slow.ts';
import { CREDENTIAL_SECRETS as SECRETS, fixture, fixtureFile, grep, tmpFiles } from '../support/pg-fixtures.ts';

const tmpFile = tmpFiles('insight-credentials-');

test('each way a password is written in SQL, a connection string or JSON is hidden, quotes kept', () => {
  const cases: Array<[string, string]> = [
    ["CREATE ROLE app PASSWORD 'S3cr3t'", "CREATE ROLE app PASSWORD '***'"],
    ["ALTER ROLE app WITH ENCRYPTED PASSWORD E'S3cr3t\\'s'", "ALTER ROLE app WITH ENCRYPTED PASSWORD '***'"],
    ["ALTER USER app PASSWORD 'it''s S3cr3t' VALID UNTIL 'infinity'", "ALTER USER app PASSWORD '***' VALID UNTIL 'infinity'"],
    ['CREATE USER app PASSWORD $pw$S3cr3t$pw$', 'CREATE USER app PASSWORD $$***$$'],
    ["OPTIONS (user 'app', password 'S3cr3t')", "OPTIONS (user 'app', password '***')"],
    ["CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'app', password 'S3cr3t')", "CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'app', password '***')"],
    ["dblink_connect('host=db password=S3cr3t user=app')", "dblink_connect('host=db password=*** user=app')"],
    ["dblink_connect('password=''S3cr3t x'' user=app')", "dblink_connect('password=''***'' user=app')"],
    ["CONNECTION 'postgresql://app:S3cr3t@db:5432/app'", "CONNECTION 'postgresql://app:***@db:5432/app'"],
    ["SELECT 1 FROM users WHERE api_token = 'S3cr3t' AND id = 2", "SELECT 1 FROM users WHERE api_token = '***' AND id = 2"],
    ['{"user": "app", "password": "S3\\"cr3t"}', '{"user": "app", "password": "***"}'],
    ['Key (lower(api_token::text))=(S3cr3t(1)) already exists.', 'Key (lower(api_token::text))=(***) already exists.'],
    // By position: the secret column's values only.
    ["INSERT INTO users (email, password_hash) VALUES ('a@x', 'S3cr3t'), ('b;c', $$S3cr3t$$); SELECT 'kept'", "INSERT INTO users (email, password_hash) VALUES ('a@x', '***'), ('b;c', $$***$$); SELECT 'kept'"],
    ["INSERT INTO public.users AS u (email, \"password_hash\") VALUES ('a@x', lower('S3cr3t'))", "INSERT INTO public.users AS u (email, \"password_hash\") VALUES ('a@x', lower('***'))"],
    ["INSERT INTO \"user accounts\" (password_hash) SELECT 'S3cr3t'", "INSERT INTO \"user accounts\" (password_hash) SELECT '***'"],
    ["UPDATE users SET (email, password_hash) = ('a@x', 'S3cr3t') WHERE id = 1", "UPDATE users SET (email, password_hash) = ('a@x', '***') WHERE id = 1"],
    // Whatever follows PASSWORD in CREATE/ALTER ROLE: a syntax error's unquoted or double-quoted value, a quote inside.
    ['ALTER ROLE app PASSWORD S3cr3t', 'ALTER ROLE app PASSWORD ***'],
    ['ALTER ROLE app WITH PASSWORD "S3cr3t" VALID UNTIL \'2027-01-01\'', "ALTER ROLE app WITH PASSWORD \"***\" VALID UNTIL '2027-01-01'"],
    // Not only as the first statement: after a `;`, inside a DO block.
    ['BEGIN; ALTER ROLE app PASSWORD S3cr3t; COMMIT;', 'BEGIN; ALTER ROLE app PASSWORD ***; COMMIT;'],
    ['DO $$ BEGIN ALTER ROLE app PASSWORD S3cr3t; END $$', 'DO $$ BEGIN ALTER ROLE app PASSWORD ***; END $$'],
    // Operators and forms beside `=`.
    ["SELECT 1 FROM t WHERE lower(token) = 'S3cr3t' AND token::text ~ 'S3cr3t' AND api_key NOT IN ('S3cr3t')", "SELECT 1 FROM t WHERE lower(token) = '***' AND token::text ~ '***' AND api_key NOT IN ('***')"],
    ["SELECT 1 FROM t WHERE token IS NOT DISTINCT FROM 'S3cr3t' OR token BETWEEN 'S3cr3t' AND 'z'", "SELECT 1 FROM t WHERE token IS NOT DISTINCT FROM '***' OR token BETWEEN '***' AND 'z'"],
    ["UPDATE t SET password = 'pre' || 'S3cr3t' || $1", "UPDATE t SET password = '***' || '***' || $1"],
    ["SELECT jsonb_build_object('user', 'app', 'password', 'S3cr3t')", "SELECT jsonb_build_object('user', 'app', 'password', '***')"],
    ["INSERT INTO t (tags, token) VALUES (ARRAY['a', 'b'], 'S3cr3t')", "INSERT INTO t (tags, token) VALUES (ARRAY['a', 'b'], '***')"],
    ["MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED THEN INSERT (id, password) VALUES (s.id, 'S3cr3t')", "MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED THEN INSERT (id, password) VALUES (s.id, '***')"],
    // Credentials their form gives away, no name before them (as a real server logged them: a DBA's review).
    ["SELECT no_http_get('https://api.example.invalid/v1', 'Authorization: Bearer S3cr3t-bearer')", "SELECT no_http_get('https://api.example.invalid/v1', 'Authorization: Bearer ***')"],
    ["COPY accounts FROM PROGRAM 'curl -s -u admin:S3cr3t-curl https://example.invalid/export.csv'", "COPY accounts FROM PROGRAM 'curl -s -u admin:*** https://example.invalid/export.csv'"],
    ['proxy said: Authorization: Basic YWRtaW46UzNjcjN0', 'proxy said: Authorization: Basic ***'],
    ["COPY t FROM PROGRAM 'curl --user=deploy:S3cr3t https://x.invalid'", "COPY t FROM PROGRAM 'curl --user=deploy:*** https://x.invalid'"],
    // HTTP's scheme names in any case; a UTF-8 password in Basic.
    ["SELECT http_header('Authorization: bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0')", "SELECT http_header('Authorization: bearer ***')"],
    ['proxy sent basic ZXRsOmh1bnRlcjI=', 'proxy sent basic ***'],
    ['proxy sent Basic ZXRsOnDDpHNzd8O2cmQx', 'proxy sent Basic ***'],
    ['COPY t FROM PROGRAM \'curl -u "etl:Tr0ub4dor" https://x.invalid\'', 'COPY t FROM PROGRAM \'curl -u "etl:***" https://x.invalid\''],
    ["curl -ualice:s3cretpw https://x.invalid", "curl -ualice:*** https://x.invalid"],
    // With nothing else in the line that names a secret (no URL): the forms alone must be enough.
    ['program "curl -sf -ualice:Tr0ub4dor example.com/export.csv" failed', 'program "curl -sf -ualice:*** example.com/export.csv" failed'],
    ["curl -su etl:s3cret example.com", "curl -su etl:*** example.com"],
    ['curl -u "etl:my secret" example.com', 'curl -u "etl:***" example.com'],
    ['proxy sent Basic dXNlcjpwYXNz', 'proxy sent Basic ***'],
    ['got Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0 from the vault', 'got Bearer *** from the vault'],
    ['Authorization: Bearer abcdefghIJKLMNOPqrstuv', 'Authorization: Bearer ***'],
    ["SELECT 1 FROM t WHERE refresh_tokens = ARRAY['S3cr3t']", "SELECT 1 FROM t WHERE refresh_tokens = ARRAY['***']"],
    // An E'' string keeps its other escapes.
    ["SELECT dblink_connect(E'host=db\\npassword=S3cr3t')", "SELECT dblink_connect(E'host=db\\npassword=***')"],
    ['CREATE USER app PASSWORD $ä$S3cr3t$ä$', 'CREATE USER app PASSWORD $$***$$'],
    // A tuple whose count is not the columns' (the typo that made it fail): all of it.
    ["INSERT INTO users (id, email, password_hash) VALUES (11, 'x@y' 'S3cr3t')", "INSERT INTO users (id, email, password_hash) VALUES (***, '***' '***')"],
    ['INSERT INTO pins (id, pin_password) VALUES (1, 987654)', 'INSERT INTO pins (id, pin_password) VALUES (1, ***)'],
    // Calls inside calls (a key rotation), crypt's password.
    ["UPDATE p SET ssn = pgp_sym_encrypt(pgp_sym_decrypt(ssn, 'S3cr3t-old'), 'S3cr3t-new')", "UPDATE p SET ssn = pgp_sym_encrypt(pgp_sym_decrypt(ssn, '***'), '***')"],
    ["SELECT 1 FROM users WHERE crypt('S3cr3t', password_digest) = password_digest", "SELECT 1 FROM users WHERE crypt('***', password_digest) = password_digest"],
    // pgcrypto's keys by their place; a key/value table's value; keys and passcodes by name.
    ["SELECT pgp_sym_decrypt(data, 'S3cr3t'), encrypt('data'::bytea, 'S3cr3t'::bytea, 'aes')", "SELECT pgp_sym_decrypt(data, '***'), encrypt('data'::bytea, '***'::bytea, 'aes')"],
    ["UPDATE app_settings SET value = 'sk_live_S3cr3t' WHERE key = 'stripe_secret_key'", "UPDATE app_settings SET value = '***' WHERE key = 'stripe_secret_key'"],
    ["UPDATE keys SET private_key = 'S3cr3t', ssh_key = 'S3cr3t', passcode = '1234', db_pass = 'S3cr3t'", "UPDATE keys SET private_key = '***', ssh_key = '***', passcode = '***', db_pass = '***'"],
    ['invalid api key: S3cr3t', 'invalid api key: ***'],
    // A settings table's key that merely contains a UI word (mail, link); a misspelt PASSWORD option.
    ["INSERT INTO settings (var, value, created_at) VALUES ('mailgun_api_key', 'key-3ax6S3cr3t', now())", "INSERT INTO settings (var, value, created_at) VALUES ('mailgun_api_key', '***', now())"],
    ["ALTER ROLE app_rw WITH PASWORD 'S3cr3t'", "ALTER ROLE app_rw WITH PASWORD '***'"],
    // A table of tokens: its plain key column (Django REST framework's authtoken_token).
    ['INSERT INTO "authtoken_token" ("key", "created", "user_id") VALUES (\'S3cr3t\', now(), 1)', 'INSERT INTO "authtoken_token" ("key", "created", "user_id") VALUES (\'***\', now(), 1)'],
    ['SELECT 1 FROM "authtoken_token" WHERE "authtoken_token"."key" = \'S3cr3t\'', 'SELECT 1 FROM "authtoken_token" WHERE "authtoken_token"."key" = \'***\''],
    // INSERT … SELECT into a secret column: its strings, not the numbers that explain a slow statement.
    ["INSERT INTO users (email, password_hash) SELECT 'u' || g, crypt('S3cr3t' || g, gen_salt('bf', 8)) FROM generate_series(1, 5000) g", "INSERT INTO users (email, password_hash) SELECT '***' || g, crypt('***' || g, gen_salt('***', 8)) FROM generate_series(1, 5000) g"],
    // A key/value table filled by INSERT, its upsert too; a connection string with spaces; a comment.
    ["INSERT INTO settings (key, value) VALUES ('stripe_secret_key', 'sk_S3cr3t') ON CONFLICT (key) DO UPDATE SET value = 'sk_S3cr3t'", "INSERT INTO settings (key, value) VALUES ('stripe_secret_key', '***') ON CONFLICT (key) DO UPDATE SET value = '***'"],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=db password = S3cr3t' PUBLICATION p", "CREATE SUBSCRIPTION s CONNECTION 'host=db password = ***' PUBLICATION p"],
    ['/* token=S3cr3t */ SELECT 1', '/* token=*** */ SELECT 1'],
    // Values that say what they are, wherever they stand (a failing row of a statement naming no secret column).
    ['Failing row contains (1, no-at-sign, $2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW, sk_live_9f8e7d6c5b4a).', 'Failing row contains (1, no-at-sign, ***, ***).'],
    ["CREATE ROLE app LOGIN PASSWORD 'it's-S3cr3t'", 'CREATE ROLE app LOGIN PASSWORD ***'],
    ["ALTER ROLE app PASSWORD /* new */ 'S3cr3t'", "ALTER ROLE app PASSWORD /* new */ '***'"],
    // Statements inside strings: DO blocks, EXECUTE, and a password concatenated in.
    ["DO $$ BEGIN EXECUTE 'ALTER ROLE x PASSWORD ''S3cr3t'''; END $$", "DO $$ BEGIN EXECUTE 'ALTER ROLE x PASSWORD ''***'''; END $$"],
    ["DO 'BEGIN CREATE ROLE r PASSWORD ''S3cr3t''; END'", "DO 'BEGIN CREATE ROLE r PASSWORD ''***''; END'"],
    ["EXECUTE 'ALTER ROLE x PASSWORD ' || quote_literal('S3cr3t')", "EXECUTE 'ALTER ROLE x PASSWORD ' || quote_literal('***')"],
    // PL/pgSQL's CONTEXT quotes the statement a function ran (the STATEMENT is only `SELECT rotate()`).
    ["SQL statement \"ALTER ROLE x PASSWORD 'S3cr3t'\"\nPL/pgSQL function rotate() line 3 at EXECUTE", "SQL statement \"ALTER ROLE x PASSWORD '***'\"\nPL/pgSQL function rotate() line 3 at EXECUTE"],
    // A call's and a list's values; names quoted and qualified as ORMs write them; settings.
    ["UPDATE users SET password_hash = crypt('S3cr3t', gen_salt('bf'))", "UPDATE users SET password_hash = crypt('***', gen_salt('***'))"],
    ["SELECT 1 FROM sessions WHERE token IN ('S3cr3t-1', 'S3cr3t-2')", "SELECT 1 FROM sessions WHERE token IN ('***', '***')"],
    ["SELECT set_config('app.jwt_secret', 'S3cr3t', false)", "SELECT set_config('app.jwt_secret', '***', false)"],
    ["SET app.jwt_secret TO 'S3cr3t'", "SET app.jwt_secret TO '***'"],
    ['ERROR: login rejected: {"user": "alice", "password": "S3cr3t"}', 'ERROR: login rejected: {"user": "alice", "password": "***"}'],
    ['{\\"password\\": \\"S3cr3t\\"}', '{\\"password\\": \\"***\\"}'],
    ['"{""password"": ""S3cr3t""}"', '"{""password"": ""***""}"'],
    ['migration failed: password: S3cr3t', 'migration failed: password: ***'],
    // A connection string in a message, spaces around its `=` (libpq takes them).
    ['could not connect: host=db user=app password = S3cr3t dbname=app', 'could not connect: host=db user=app password = *** dbname=app'],
    ['Schlüssel »(api_token)=(S3cr3t)« existiert bereits.', 'Schlüssel »(api_token)=(***)« existiert bereits.'],
    ['La clé « (api_token)=(S3cr3t) » existe déjà.', 'La clé « (api_token)=(***) » existe déjà.'],
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
    // Words inside strings are not names; settings and columns about a secret are not secrets.
    "SELECT * FROM notes WHERE note = 'reset password' AND id = 'abc'",
    "SELECT 'x' || 'password' AS c, 1",
    "SET password_encryption = 'md5x'",
    'invalid value for parameter "password_encryption": "md5x"',
    'Key (token_id)=(5) is not present in table "tokens".',
    "SELECT * FROM staff WHERE secretary = 'Ann'",
    'SELECT * FROM sessions WHERE token = $1',
    'column "api_token" is of type integer but expression is of type text',
    'Key (lower(email::text))=(alice@example.com) already exists.',
    "SELECT 1 FROM t WHERE token IN (SELECT token FROM expired WHERE reason = 'timeout')",
    'SQL statement "UPDATE t SET token = NULL WHERE token = old_token"',
    "UPDATE users SET (email, password_hash) = ('a@x', crypt_hash) WHERE id = 1",
    // Names about a secret, or counting tokens, are not secrets.
    "UPDATE users SET last_password_change = '2026-13-01', password_expiry_date = '2027-01-01', failed_password_attempts = 3",
    "UPDATE plans SET max_tokens = 2000, token_balance = 5 WHERE prompt_tokens = 4096 AND created_at > '2000-01-01'",
    // Strings that merely read like a secret's name.
    "SELECT * FROM identities WHERE provider = 'password' AND user_id = 'not-a-number'",
    "INSERT INTO tickets (name, fare, flight) VALUES ('Jane Passenger', 'pass', 'LH400')",
    "SELECT * FROM settings WHERE key = 'api_token' AND created_at > '2024-01-01'",
    "INSERT INTO notes (kind, body) VALUES ('secret', 'deploy notes')",
    'UPDATE users SET has_password = true, token_revoked = false, boarding_pass = 1',
    "UPDATE translations SET value = 'Forgot your password?' WHERE key = 'auth.forgot_password'",
    "COMMENT ON COLUMN users.password IS 'bcrypt, cost 12'",
    'ALTER TABLE users ADD CONSTRAINT c CHECK (char_length(password_hash) >= 60)',
    'SELECT Kv9-SmtpPass-1',
    "ALTER ROLE app VALID UNTIL '2027-01-01'",
    "ALTER ROLE app SET search_path = 'app'",
    // Prose about those forms.
    'Basic authentication failed for user "app"',
    'HTTP Basic authentication.',
    'a basic per-user quota',
    'Bearer tokens/sessions expired',
    'the Bearer token was missing',
    'cannot use -u with --user',
    'see authentication-failure docs',
    'basic IPv4/IPv6 support',
    'Basic utf-8-encoded',
    'a basic 12345678 row limit',
    'the Bearer AuthenticationHandler rejected the request',
    'basic PostgreSQL-Compatible',
    'option --username:admin',
    'missing Authorization: Bearer header',
    'the Authorization: Basic authentication failed',
    "restore_command = 'rsync -azu backup:/wal/%f %p'",
    'docker run -u 1000:1000 app',
    "COPY t FROM PROGRAM 'date -u +%H:%M:%S'",
  ]) assert.equal(hideCredentials(text), text);
});

test('the digest of a real server log counts every ERROR and keeps its statements, with no password in it', async () => {
  const path = fixture('stderr-credentials.log');
  assert.ok(grep(path, SECRETS).length >= 10);
  const d = await digestFiles([fixtureFile('stderr-credentials.log')], { recent: 200, recentSeverities: ['LOG', 'ERROR'] });
  assert.doesNotMatch(JSON.stringify(d), SECRETS);
  // Every ERROR is still there (counted, grouped, shown) and the statements still read.
  assert.equal(d.bySeverity.ERROR, grep(path, /:ERROR: {2}/).length);
  assert.ok(d.recent.some((e) => e.statement === "CREATE ROLE app PASSWORD '***'"));
  assert.ok(d.recent.some((e) => e.message === "statement: ALTER ROLE app PASSWORD '***'"), 'the LOG line of log_statement = ddl');
  assert.equal(d.messages.find((g) => g.key.startsWith('duplicate key'))?.example.detail, 'Key (api_token)=(***) already exists.');
  // What the statement hid is hidden in the entry's other lines: a syntax error's `at or near`, a DO block's
  // CONTEXT, the bind parameters a failing statement's CONTEXT lists.
  const entry = (statement: RegExp): LogEntry => d.recent.find((e) => statement.test(e.statement ?? ''))!;
  const alter = entry(/^ALTER ROLE app PASSWORD/);
  assert.deepEqual([alter.message, alter.statement], ['syntax error at or near "***" at character 25', 'ALTER ROLE app PASSWORD ***']);
  assert.equal(entry(/^DO .* EXECUTE/).context, `SQL statement "ALTER ROLE nosuch PASSWORD '***'"\nPL/pgSQL function inline_code_block line 1 at EXECUTE`);
  assert.equal(entry(/^DO .* EXECUTE/).statement, "DO $$ BEGIN EXECUTE 'ALTER ROLE nosuch PASSWORD ''***'''; END $$");
  assert.equal(entry(/VALUES \(3, \$1\)/).context, "unnamed portal with parameters: $1 = '***'");
  assert.equal(entry(/crypt/).statement, "UPDATE api_keys SET api_token = crypt('***', gen_salt('***'))");
});

test("another occurrence's value is hidden when its own entry hid it: the messages table's examples", async () => {
  const p = '2026-11-30 10:00:0';
  const log = [1, 2, 3].map((i) => `${p}${i} UTC [${i}] ERROR:  syntax error at or near "S3cr3t${i}" at character 25\n${p}${i} UTC [${i}] STATEMENT:  ALTER ROLE app PASSWORD S3cr3t${i}\n`).join('') +
    `${p}4 UTC [4] ERROR:  syntax error at or near "FROM" at character 8\n${p}4 UTC [4] STATEMENT:  SELECT FROM FROM t\n`;
  const d = await digestBytes([Buffer.from(log)], 'postgresql.log');
  assert.doesNotMatch(JSON.stringify(d), SECRETS);
  const g = d.messages.find((m) => m.key.startsWith('syntax error'))!;
  assert.equal(g.count, 4);
  // The three hidden values are one example, not three: the fourth's "FROM" is shown, and no `…` claims more.
  assert.deepEqual([g.values[0]!.first, g.values[0]!.examples, g.values[0]!.more], ['"***"', ['"***"', '"FROM"'], false]);
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
  assert.equal(detail('P_2'), "parameters: $1 = 'alice@example.com', $2 = '***'");
  assert.equal(detail('P_3'), "parameters: $1 = '7', $2 = '***'");
  assert.equal(detail('P_4'), "parameters: $1 = '42'");
  assert.deepEqual(d.files[0]!.unparsedSamples.map((s) => s.text), ['psql: connecting with password=***']);
});

test('past the budget of text the check reads, nothing more is shown, not even text that names no secret', () => {
  const budget = { left: 100 };
  const entry = (message: string, statement: string): Parameters<typeof hideEntry>[0] => ({ message, statement, detail: undefined, hint: undefined, context: undefined, query: undefined });
  // Text with nothing that looks like a secret costs nothing.
  assert.equal(hideEntry(entry('division by zero', 'SELECT 1/0'), budget).entry.statement, 'SELECT 1/0');
  assert.equal(budget.left, 100);
  assert.equal(hideEntry(entry('role "x" does not exist', "ALTER ROLE x PASSWORD 'S3cr3t-1'"), budget).entry.statement, "ALTER ROLE x PASSWORD '***'");
  // A syntax error's message names no secret, but echoes the statement's: with the statement unread, it is withheld too.
  const second = hideEntry(entry('syntax error at or near "S3cr3t2"', `ALTER ROLE y PASSWORD S3cr3t2 ${'-- padding '.repeat(20)}`), budget);
  assert.deepEqual([second.entry.message, second.entry.statement], [WITHHELD, WITHHELD]);
  assert.equal(hideEntry(entry('division by zero', 'SELECT 1/0'), budget).entry.message, WITHHELD);
});

test("what a statement writing a secret column gives is hidden in its failing row and its COPY line", () => {
  const none = { hint: undefined, query: undefined };
  const copy = hideEntry({ ...none, message: 'extra data after last expected column', statement: 'COPY users (id, email, password_hash) FROM STDIN', context: 'COPY users, line 1: "7 x@y S3cr3t extra"', detail: undefined });
  assert.equal(copy.entry.context, 'COPY users, line 1: "***"');
  const row = hideEntry({ ...none, message: 'null value in column "email" of relation "users" violates not-null constraint', statement: 'INSERT INTO users (id, email, password_hash) VALUES ($1, $2, $3)', detail: 'Failing row contains (8, null, S3cr3t).', context: undefined });
  assert.equal(row.entry.detail, 'Failing row contains (***).');
  // A syntax error in a VALUES row: the message's `at or near` shows what the statement hid.
  const typo = hideEntry({ ...none, message: `syntax error at or near "'S3cr3t-typo'"`, statement: "INSERT INTO users (id, email, password_hash) VALUES (11, 'x@y' 'S3cr3t-typo')", detail: undefined, context: undefined });
  assert.equal(typo.entry.message, `syntax error at or near "'***'"`);
});

test('what a statement hid is hidden elsewhere in its entry as a whole word or number, never inside another', () => {
  const none = { hint: undefined, query: undefined, detail: undefined, context: undefined };
  // A number after PASSWORD, echoed by the syntax error.
  const pin = hideEntry({ ...none, message: 'syntax error at or near "20240917" at character 28', statement: 'ALTER ROLE app2 PASSWORD 20240917' });
  assert.deepEqual([pin.entry.message, pin.entry.statement], ['syntax error at or near "***" at character 28', 'ALTER ROLE app2 PASSWORD ***']);
  // A row hidden whole (its count is not the columns'): its words do not take the table's name with them.
  const members = hideEntry({ ...none, message: 'INSERT has more expressions than target columns', statement: "INSERT INTO members (email, role, encrypted_password) VALUES ('ann@example.com', 'member', 'x', now())" });
  assert.match(members.entry.statement ?? '', /^INSERT INTO members \(email, role, encrypted_password\) VALUES \('\*\*\*', '\*\*\*', '\*\*\*', now\(\)\)$/);
  // A function's INSERT, quoted by PL/pgSQL's CONTEXT: its failing row is hidden though the STATEMENT names nothing.
  const fn = hideEntry({ ...none, message: 'null value in column "email" of relation "api_keys" violates not-null constraint', statement: "SELECT add_key(NULL, 'tok_abc123xyz')", detail: 'Failing row contains (1, null, tok_abc123xyz).', context: 'SQL statement "INSERT INTO api_keys (id, email, api_token) VALUES (1, p_email, p_tok)"\nPL/pgSQL function add_key(text,text) line 3 at SQL statement' });
  assert.equal(fn.entry.detail, 'Failing row contains (***).');
  // Only a DETAIL's failing row is a row: a message's parenthesis stays.
  const long = hideEntry({ ...none, message: 'value too long for type character varying(20)', statement: "INSERT INTO accounts (username, password_digest) VALUES ('a_really_long_username_here', 'x')" });
  assert.equal(long.entry.message, 'value too long for type character varying(20)');
});

test("a key/value table's bound value is hidden when its bound key names a secret; a key hash's bound key too", () => {
  const none = { hint: undefined, query: undefined, message: 'duplicate key value violates unique constraint "settings_var_key"' };
  const insert = hideEntry({ ...none, statement: 'INSERT INTO "settings" ("var", "value") VALUES ($1, $2)', detail: 'Key (var)=(mailgun_api_key) already exists.', context: "unnamed portal with parameters: $1 = 'mailgun_api_key', $2 = 'key-S3cr3t'" });
  assert.equal(insert.entry.context, "unnamed portal with parameters: $1 = 'mailgun_api_key', $2 = '***'");
  const update = hideEntry({ ...none, statement: 'UPDATE settings SET value = $2 WHERE var = $1', detail: "parameters: $1 = 'sendgrid_api_key', $2 = 'SG.S3cr3t'", context: undefined });
  assert.equal(update.entry.detail, "parameters: $1 = 'sendgrid_api_key', $2 = '***'");
  // Not a secret's key: the value stays.
  const title = hideEntry({ ...none, statement: 'UPDATE settings SET value = $2 WHERE var = $1', detail: "parameters: $1 = 'site_title', $2 = 'Acme'", context: undefined });
  assert.equal(title.entry.detail, "parameters: $1 = 'site_title', $2 = 'Acme'");
  const hash = hideEntry({ ...none, statement: "SELECT * FROM api_keys k WHERE k.key_hash = encode(digest($1, 'sha256'), 'hex')", detail: "parameters: $1 = 'ak_live_S3cr3t'", context: undefined });
  assert.equal(hash.entry.detail, "parameters: $1 = '***'");
});

test('the edges of what is hidden: a bare pass, a 20-character bearer token, a spaced password in a string; a flag and unpadded base64 kept', () => {
  for (const [text, shown] of [
    ['pass=S3cr3t host=db', 'pass=*** host=db'],
    ['got Bearer abcdefghij0123456789 x', 'got Bearer *** x'],
    // Inside a string, `password = x` is a connection string's, spaces or not.
    ["SELECT f('password = S3cr3t')", "SELECT f('password = ***')"],
    // A flag about a password is not one; base64 of no credential's length is not Basic auth.
    ['has_password=true', 'has_password=true'],
    ['Basic YWRtaW46eA', 'Basic YWRtaW46eA'],
  ] as const) assert.equal(hideCredentials(text), shown, text);
});
