#!/usr/bin/env bash
# Makes the REAL PostgreSQL log fixtures in test/fixtures/pg/: starts a throwaway PostgreSQL server
# (initdb in a temp folder, 127.0.0.1 only on a free port, unix socket in the temp folder), provokes
# the errors a failed deployment causes and copies the server's log files.
#
#   scripts/make-pg-fixtures.sh [output-dir]      (default: test/fixtures/pg)
#   RUNS="de fr" scripts/make-pg-fixtures.sh      only some runs (default: a b c de fr prod d e f f-de f-fr)
#
# Runs as root (the server then runs as the `postgres` user via runuser) or as any non-root user.
# Installs the Debian `postgresql` package with apt-get when no server binaries are found.
#
# Three server runs on one cluster, each with its own log_directory and settings:
#   A  log_line_prefix '%m [%p] %q%u@%d '   log_destination 'stderr,csvlog,jsonlog'  (one run, three formats)
#   B  log_line_prefix '%t:%r:%u@%d:[%p]:'  stderr  (the prefix OTC/Huawei RDS uses by default)
#   C  log_line_prefix '%n [%p] %q%u@%d '   stderr, log_error_verbosity = verbose (epoch time, SQLSTATE, LOCATION)
#   prod  as B, but a production day in small: pgbench traffic (a new connection per transaction),
#       log_connections/log_disconnections/log_checkpoints/autovacuum logging on, and the failed
#       deployment of the other runs played a few times in between, so LOG lines dominate
#   de, fr  as A (stderr only), with lc_messages = 'de_DE.UTF-8' / 'fr_FR.UTF-8' (and the server
#       started in that locale): it writes its severities and messages in German / French (locales
#       made with localedef when missing)
#   D  log_line_prefix '%t:%r:%u@%d:[%p]:'  stderr, log_min_duration_statement = 50 (ms): the slow-query log
#   E  log_line_prefix '%t:%r:%u@%d:[%p]:'  stderr, log_statement = 'ddl', log_parameter_max_length_on_error = -1:
#      the ways a password gets into the log
#   F  as B: two crashes. A backfill's backend killed by signal 9 (what the OOM killer does): the server ends every
#      connection and recovers; then the whole server killed and started again (recovery without a death line)
#   f-de, f-fr  as F, with lc_messages and the server's locale German / French (as runs de and fr): the same
#      crashes and stops in the words the server writes them in those languages
# Every run uses log_timezone = 'UTC'; lc_messages = 'C' unless said otherwise.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${1:-test/fixtures/pg}
RUNS=" ${RUNS:-a b c de fr prod d e f f-de f-fr} "
wants() { [[ "$RUNS" == *" $1 "* ]]; }
# Run prod: seconds of pgbench, its transactions a second, failed deployments played meanwhile.
PROD_SECONDS=${PROD_SECONDS:-40}
PROD_TPS=${PROD_TPS:-40}
PROD_DEPLOYS=${PROD_DEPLOYS:-4}

# A locale for lc_messages: made with localedef from glibc's sources when the system lacks it.
ensure_locale() { # $1 = e.g. de_DE
  if locale -a 2>/dev/null | grep -qix "$1.utf8"; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then echo "make-pg-fixtures: locale $1.UTF-8 is missing; as root: localedef -i $1 -f UTF-8 $1.UTF-8" >&2; exit 1; fi
  if [ ! -e "/usr/share/i18n/locales/$1" ]; then
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends locales >&2
  fi
  localedef -i "$1" -f UTF-8 "$1.UTF-8"
}

find_pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

PGBIN=$(find_pg_bin || true)
if [ -z "$PGBIN" ]; then
  echo "make-pg-fixtures: installing the Debian postgresql package" >&2
  if [ "$(id -u)" -ne 0 ]; then echo "make-pg-fixtures: need root to apt-get install postgresql" >&2; exit 1; fi
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql >&2
  PGBIN=$(find_pg_bin)
fi
export PATH="$PGBIN:$PATH"

# Run a command as the server's user: `postgres` when we are root, ourselves otherwise.
if [ "$(id -u)" -eq 0 ]; then
  as_pg() { runuser -u postgres -- env PATH="$PATH" TZ=UTC LC_ALL=C "$@"; }
  PGUSER_OS=postgres
else
  as_pg() { env TZ=UTC LC_ALL=C "$@"; }
  PGUSER_OS=$(id -un)
fi

TMP=$(mktemp -d /tmp/pg-fixtures.XXXXXX)
chmod 755 "$TMP"
[ "$(id -u)" -eq 0 ] && chown "$PGUSER_OS" "$TMP"
DATA=$TMP/data
SOCK=$TMP/sock
as_pg mkdir -p "$SOCK"

cleanup() {
  as_pg pg_ctl -D "$DATA" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# A free TCP port on 127.0.0.1: one nobody answers on.
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "make-pg-fixtures: no free port found" >&2
  return 1
}
PORT=$(free_port)

as_pg initdb -D "$DATA" -U postgres -E UTF8 --no-locale --auth-local=trust --auth-host=scram-sha-256 >/dev/null
# Host (TCP) connections need a password, so a wrong one produces the FATAL a misconfigured deployment sees.
cat >"$TMP/pg_hba.conf" <<'EOF'
local   all   all                    trust
host    all   all   127.0.0.1/32     scram-sha-256
EOF
as_pg cp "$TMP/pg_hba.conf" "$DATA/pg_hba.conf"
as_pg sh -c "echo \"include_if_exists = 'run.conf'\" >> '$DATA/postgresql.conf'"

PSQL_ADMIN=(psql -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U postgres -d postgres)
APP_PASSWORD=app-secret-123

# psql as the application over TCP (password auth). Errors are the point, so its status is ignored.
app_psql() { PGPASSWORD=${PGPASSWORD_OVERRIDE:-$APP_PASSWORD} as_pg psql -X -q -h 127.0.0.1 -p "$PORT" "$@" >/dev/null 2>&1 || true; }

start_server() { # $1 = run name, rest = settings lines
  local run=$1; shift
  as_pg mkdir -p "$TMP/logs-$run"
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $PORT"
    echo "unix_socket_directories = '$SOCK'"
    echo "logging_collector = on"
    echo "log_directory = '$TMP/logs-$run'"
    echo "log_filename = 'postgresql.log'"
    echo "log_rotation_age = 0"
    echo "log_rotation_size = 0"
    echo "log_timezone = 'UTC'"
    echo "lc_messages = 'C'"
    echo "log_connections = on"
    echo "log_lock_waits = on"
    echo "deadlock_timeout = '200ms'"
    printf '%s\n' "$@"
  } >"$TMP/run.conf"
  as_pg cp "$TMP/run.conf" "$DATA/run.conf"
  as_pg env LC_ALL="${SERVER_LC:-C}" pg_ctl -D "$DATA" -l "$TMP/pg_ctl-$run.out" -w -t 60 start >/dev/null
}

stop_server() { as_pg pg_ctl -D "$DATA" -m fast -w stop >/dev/null; }

# A fresh database `app`, owned by the role `app` (made once, with a password).
fresh_app_db() {
  "${PSQL_ADMIN[@]}" <<EOF
DROP DATABASE IF EXISTS app;
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app') THEN
    CREATE ROLE app LOGIN PASSWORD '$APP_PASSWORD';
  END IF;
END \$\$;
CREATE DATABASE app OWNER app;
EOF
}

# The deployment that goes wrong. Every step is something a real failed deployment does.
provoke_errors() {
  fresh_app_db

  cat >"$TMP/001_init.sql" <<'EOF'
CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text);
CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
INSERT INTO accounts VALUES (1, 100), (2, 100);
INSERT INTO users (email, name) VALUES ('alice@example.com', 'Alice'), ('bob@example.com', 'Bob');
EOF
  # A migration with a syntax error, spread over several lines (STATEMENT continuation lines).
  cat >"$TMP/002_add_columns.sql" <<'EOF'
ALTER TABLE users
    ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN ;
EOF
  chmod 644 "$TMP"/*.sql
  app_psql -U app -d app -v ON_ERROR_STOP=1 -f "$TMP/001_init.sql"
  app_psql -U app -d app -v ON_ERROR_STOP=1 -f "$TMP/002_add_columns.sql"

  # Unique violations (DETAIL: Key (email)=(...) already exists.), twice with different keys.
  app_psql -U app -d app -c "INSERT INTO users (email, name) VALUES ('alice@example.com', 'Alice again')"
  app_psql -U app -d app -c "INSERT INTO users (email, name) VALUES ('bob@example.com', 'Bob again')"
  # Missing relations: two different names, one message after normalisation.
  app_psql -U app -d app -c "SELECT count(*) FROM orders"
  app_psql -U app -d app -c "SELECT * FROM invoices WHERE id = 1"
  # A typo with a HINT.
  app_psql -U app -d app -c "SELECT nam FROM users"
  # NOT NULL violation with DETAIL (Failing row contains ...).
  app_psql -U app -d app -c "INSERT INTO accounts (id) VALUES (3)"
  # PL/pgSQL: an internal query fails (QUERY + CONTEXT lines), and a RAISE with DETAIL and HINT.
  app_psql -U app -d app -c "DO \$\$ BEGIN EXECUTE 'INSERT INTO audit_log VALUES (1)'; END \$\$"
  app_psql -U app -d app -c "DO \$\$ BEGIN RAISE EXCEPTION 'migration 003 failed: % rows invalid', 42 USING DETAIL = 'row ids: 7, 9', HINT = 'Fix the data, then rerun the migration.'; END \$\$"
  # Log text that looks like markup (the summary must escape it).
  app_psql -U app -d app -c "SELECT '<b>bold</b> | pipe \`tick\` *star*'::int"
  # A statement timeout.
  app_psql -U app -d app -c "SET statement_timeout = '100ms'; SELECT pg_sleep(2)"
  # WARNING: there is no transaction in progress.
  app_psql -U app -d app -c "COMMIT"

  # Failed password logins: wrong password three times, then a role that does not exist.
  for _ in 1 2 3; do PGPASSWORD_OVERRIDE=wrong-password app_psql -U app -d app -c "SELECT 1"; done
  PGPASSWORD_OVERRIDE=whatever app_psql -U deployer -d app -c "SELECT 1"
  # A database that does not exist.
  app_psql -U app -d app_production -c "SELECT 1"

  # Deadlock: two sessions update the same two rows in opposite order.
  app_psql -U app -d app -c "BEGIN; UPDATE accounts SET balance = balance - 10 WHERE id = 1; SELECT pg_sleep(0.6); UPDATE accounts SET balance = balance + 10 WHERE id = 2; COMMIT;" &
  local a=$!
  sleep 0.2
  app_psql -U app -d app -c "BEGIN; UPDATE accounts SET balance = balance - 10 WHERE id = 2; SELECT pg_sleep(0.6); UPDATE accounts SET balance = balance + 10 WHERE id = 1; COMMIT;" &
  local b=$!
  wait "$a" "$b" || true

  # A connection terminated by an administrator (FATAL: terminating connection due to administrator command).
  app_psql -U app -d app -c "SELECT pg_sleep(30) /* long running migration */" &
  local s=$!
  local n=0
  until [ "$("${PSQL_ADMIN[@]}" -At -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%long running migration%' AND pid <> pg_backend_pid()")" = 1 ]; do
    n=$((n + 1)); [ $n -lt 100 ] || { echo "make-pg-fixtures: sleeper did not show up" >&2; return 1; }
    sleep 0.1
  done
  "${PSQL_ADMIN[@]}" -At -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%long running migration%' AND usename = 'app' AND pid <> pg_backend_pid()" >/dev/null
  wait "$s" || true
  sleep 0.3
}

# How passwords reach a PostgreSQL log: a failing statement is logged with its STATEMENT (log_min_error_statement),
# DDL with its text (log_statement = 'ddl'), a unique violation with its key, a connection string with its
# password. Every secret here starts with S3cr3t, so a test can look for it.
provoke_credentials() {
  fresh_app_db
  "${PSQL_ADMIN[@]}" -c "CREATE EXTENSION IF NOT EXISTS dblink" -d app >/dev/null
  app_psql -U app -d app -c "CREATE TABLE api_keys (id int PRIMARY KEY, api_token text UNIQUE)"
  app_psql -U app -d app -c "INSERT INTO api_keys VALUES (1, 'S3cr3t-token-1')"
  # Logged as DDL (LOG:  statement: ...) and, failing, as ERROR with its STATEMENT.
  "${PSQL_ADMIN[@]}" -c "ALTER ROLE app PASSWORD '$APP_PASSWORD'" >/dev/null
  app_psql -U app -d app -c "CREATE ROLE app PASSWORD 'S3cr3t-create'"
  app_psql -U app -d app -c "ALTER ROLE nosuch WITH ENCRYPTED PASSWORD E'S3cr3t\\'escaped'"
  app_psql -U app -d app -c "CREATE USER deployer PASSWORD \$\$S3cr3t-dollar\$\$"
  app_psql -U app -d app -c "CREATE USER MAPPING FOR app SERVER nosuch OPTIONS (user 'app', password 'S3cr3t-mapping')"
  # Connection strings: key/value and URI, as dblink, postgres_fdw or a subscription takes them.
  app_psql -U app -d app -c "SELECT dblink_connect('host=127.0.0.1 port=1 dbname=app user=app password=S3cr3t-conninfo')"
  app_psql -U app -d app -c "SELECT dblink_connect('host=127.0.0.1 port=1 password=''S3cr3t quoted'' user=app')"
  app_psql -U app -d app -c "SELECT dblink_connect('postgresql://app:S3cr3t-uri@127.0.0.1:1/app')"
  # Table data: a secret column in a unique violation's DETAIL, and in a failing statement.
  app_psql -U app -d app -c "INSERT INTO api_keys (id, api_token) VALUES (2, 'S3cr3t-token-1')"
  app_psql -U app -d app -c "SELECT * FROM api_keys WHERE api_token = 'S3cr3t-token-2' AND 1/0 = 1"
  # A password without quotes (a syntax error that names it), one set from a DO block (CONTEXT: SQL statement
  # "..."), one through a function call, one in JSON in a RAISE.
  app_psql -U app -d app -c "ALTER ROLE app PASSWORD S3cr3t-bare"
  app_psql -U app -d app -c "DO \$\$ BEGIN EXECUTE 'ALTER ROLE nosuch PASSWORD ''S3cr3t-do'''; END \$\$"
  app_psql -U app -d app -c "UPDATE api_keys SET api_token = crypt('S3cr3t-crypt', gen_salt('bf'))"
  app_psql -U app -d app -c "DO \$\$ BEGIN RAISE EXCEPTION 'login rejected: {\"user\": \"alice\", \"password\": \"S3cr3t-json\"}'; END \$\$"
  # The extended protocol (pgbench -M extended: a :variable is a bind parameter): with
  # log_parameter_max_length_on_error the failing statement's CONTEXT lists the values.
  printf '%s\n' 'INSERT INTO api_keys (id, api_token) VALUES (3, :token)' >"$TMP/bind.sql"
  chmod 644 "$TMP/bind.sql"
  PGPASSWORD=$APP_PASSWORD as_pg pgbench -n -M extended -t 1 -D token=S3cr3t-token-1 -f "$TMP/bind.sql" \
    -h 127.0.0.1 -p "$PORT" -U app app >/dev/null 2>&1 || true
}

# A deployment's backfill killed by the OOM killer (signal 9), connections tried during the recovery, then the
# whole server killed (its machine lost) and started again.
provoke_crashes() {
  fresh_app_db
  app_psql -U app -d app -c "CREATE TABLE orders (id bigint PRIMARY KEY, note text)"
  app_psql -U app -d app -c "INSERT INTO orders SELECT g, repeat('x', 200) FROM generate_series(1, 200000000) g" &
  local pid=''
  for _ in $(seq 1 100); do
    pid=$("${PSQL_ADMIN[@]}" -At -c "SELECT pid FROM pg_stat_activity WHERE query LIKE 'INSERT INTO orders%'" 2>/dev/null || true)
    [ -n "$pid" ] && break
    sleep 0.1
  done
  [ -n "$pid" ] || { echo "make-pg-fixtures: the backfill did not start" >&2; exit 1; }
  sleep 1
  kill -9 "$pid"
  for _ in 1 2 3; do app_psql -U app -d app -c "SELECT 1"; done
  wait || true
  for _ in $(seq 1 100); do as_pg pg_isready -q -h "$SOCK" -p "$PORT" && break; sleep 0.1; done
  app_psql -U app -d app -c "SELECT count(*) FROM orders"
  # The whole server at once, as when its machine is lost: the postmaster, then its children (killed first, their
  # deaths would be logged by it).
  local pm kids
  pm=$(head -n 1 "$DATA/postmaster.pid")
  kids=$(pgrep -P "$pm" || true)
  kill -9 "$pm"
  [ -z "$kids" ] || kill -9 $kids 2>/dev/null || true
  for p in $pm $kids; do
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done
}

# The slow statements of a reporting job, over the simple and the extended protocol (what the slow-query log holds).
provoke_slow() {
  fresh_app_db
  "${PSQL_ADMIN[@]}" <<EOF
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tracer') THEN
    CREATE ROLE tracer LOGIN PASSWORD '$APP_PASSWORD';
  END IF;
END \$\$;
-- One role logs every statement (threshold 0), so its parse and bind steps are in the log too.
ALTER ROLE tracer IN DATABASE app SET log_min_duration_statement = 0;
GRANT pg_read_all_data TO tracer;
EOF
  # A bulk load and an index build: slow by their own work.
  app_psql -U app -d app -c "CREATE TABLE orders (id serial PRIMARY KEY, customer int NOT NULL, total numeric NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
  app_psql -U app -d app -c "INSERT INTO orders (customer, total) SELECT g % 100, g * 1.5 FROM generate_series(1, 300000) g"
  app_psql -U app -d app -c "CREATE INDEX orders_customer ON orders (customer)"
  # The same report with different literals: one statement once normalised.
  for c in 7 42 99; do app_psql -U app -d app -c "SELECT pg_sleep(0.1$c), count(*) FROM orders WHERE customer = $c"; done
  # A commented, multi-line report.
  app_psql -U app -d app -c "/* report: monthly revenue */
SELECT pg_sleep(1.3),
       sum(total)
  FROM orders
 WHERE created_at > '2026-01-01'"

  # Prepared statements (pgbench -M prepared): execute P_n with DETAIL: parameters; and the unnamed ones of -M extended.
  cat >"$TMP/report.pgbench" <<'SCRIPT'
\set ms random(60, 90)
\set c random(1, 100)
SELECT pg_sleep(:ms / 1000.0), count(*) FROM orders WHERE customer = :c;
SCRIPT
  chmod 644 "$TMP/report.pgbench"
  local bench=(pgbench -n -h 127.0.0.1 -p "$PORT" -f "$TMP/report.pgbench")
  PGPASSWORD=$APP_PASSWORD as_pg "${bench[@]}" -U app -M prepared -c 2 -t 4 app >/dev/null 2>&1
  PGPASSWORD=$APP_PASSWORD as_pg "${bench[@]}" -U app -M extended -c 1 -t 2 app >/dev/null 2>&1
  PGPASSWORD=$APP_PASSWORD as_pg "${bench[@]}" -U tracer -M prepared -c 1 -t 2 app >/dev/null 2>&1
  # The slowest of all: a prepared statement, so it comes with its parameters.
  cat >"$TMP/yearly.pgbench" <<'SCRIPT'
\set year 2026
SELECT pg_sleep(3), count(*) FROM orders WHERE extract(year FROM created_at) = :year;
SCRIPT
  chmod 644 "$TMP/yearly.pgbench"
  PGPASSWORD=$APP_PASSWORD as_pg pgbench -n -h 127.0.0.1 -p "$PORT" -f "$TMP/yearly.pgbench" -U app -M prepared -c 1 -t 1 app >/dev/null 2>&1
}

if wants a; then
  start_server a "log_line_prefix = '%m [%p] %q%u@%d '" "log_destination = 'stderr,csvlog,jsonlog'"
  provoke_errors
  stop_server
fi

if wants b; then
  start_server b "log_line_prefix = '%t:%r:%u@%d:[%p]:'" "log_destination = 'stderr'"
  provoke_errors
  stop_server
fi

if wants c; then
  start_server c "log_line_prefix = '%n [%p] %q%u@%d '" "log_destination = 'stderr'" "log_error_verbosity = verbose"
  provoke_errors
  stop_server
fi

for lang in de fr; do
  wants "$lang" || continue
  loc=$([ "$lang" = de ] && echo de_DE || echo fr_FR)
  ensure_locale "$loc"
  # The server's own environment in that language too, as on a server set up for it: messages
  # written before a database is chosen (logins) then keep their UTF-8 (not »x« made >>x<<).
  SERVER_LC=$loc.UTF-8 start_server "$lang" "log_line_prefix = '%m [%p] %q%u@%d '" "log_destination = 'stderr'" "lc_messages = '$loc.UTF-8'"
  provoke_errors
  stop_server
done

# A server under ordinary load, as most of a production log is: pgbench over TCP with a new
# connection per transaction (an application without a pool), at a fixed rate so the file stays
# small, while checkpoints and autovacuum run and the failed deployment is played now and then.
if wants prod; then
  start_server prod "log_line_prefix = '%t:%r:%u@%d:[%p]:'" "log_destination = 'stderr'" \
    "log_disconnections = on" "log_checkpoints = on" "checkpoint_timeout = '30s'" \
    "log_autovacuum_min_duration = 0" "autovacuum_naptime = '2s'" \
    "autovacuum_vacuum_scale_factor = 0.01" "autovacuum_analyze_scale_factor = 0.01"
  "${PSQL_ADMIN[@]}" <<EOF
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bench') THEN
    CREATE ROLE bench LOGIN PASSWORD '$APP_PASSWORD';
  END IF;
END \$\$;
CREATE DATABASE bench OWNER bench;
EOF
  PGPASSWORD=$APP_PASSWORD as_pg pgbench -q -i -s 2 -h 127.0.0.1 -p "$PORT" -U bench bench >/dev/null 2>&1
  PGPASSWORD=$APP_PASSWORD as_pg pgbench -C -c 4 -j 2 -R "$PROD_TPS" -T "$PROD_SECONDS" \
    -h 127.0.0.1 -p "$PORT" -U bench bench >/dev/null 2>&1 &
  bench_pid=$!
  for _ in $(seq 1 "$PROD_DEPLOYS"); do
    sleep $((PROD_SECONDS / (PROD_DEPLOYS + 1)))
    provoke_errors
  done
  wait "$bench_pid" || true
  stop_server
fi

if wants e; then
  start_server e "log_line_prefix = '%t:%r:%u@%d:[%p]:'" "log_destination = 'stderr'" "log_statement = 'ddl'" \
    "log_parameter_max_length_on_error = -1"
  provoke_credentials
  stop_server
fi

for run in f f-de f-fr; do
  wants "$run" || continue
  lc=C
  case $run in f-de) lc=de_DE.UTF-8 ;; f-fr) lc=fr_FR.UTF-8 ;; esac
  [ "$lc" = C ] || ensure_locale "${lc%.UTF-8}"
  SERVER_LC=$lc start_server "$run" "log_line_prefix = '%t:%r:%u@%d:[%p]:'" "log_destination = 'stderr'" "lc_messages = '$lc'"
  provoke_crashes
  SERVER_LC=$lc start_server "$run" "log_line_prefix = '%t:%r:%u@%d:[%p]:'" "log_destination = 'stderr'" "lc_messages = '$lc'"
  app_psql -U app -d app -c "SELECT count(*) FROM orders"
  stop_server
done

if wants d; then
  start_server d "log_line_prefix = '%t:%r:%u@%d:[%p]:'" "log_destination = 'stderr'" "log_min_duration_statement = 50"
  provoke_slow
  stop_server
fi

VERSION=$(as_pg postgres --version)

mkdir -p "$OUT"
if wants a; then
  cp "$TMP/logs-a/postgresql.log" "$OUT/stderr-debian-prefix.log"
  cp "$TMP/logs-a/postgresql.csv" "$OUT/csvlog.csv"
  cp "$TMP/logs-a/postgresql.json" "$OUT/jsonlog.json"
fi
if wants b; then cp "$TMP/logs-b/postgresql.log" "$OUT/stderr-rds-prefix.log"; fi
if wants c; then cp "$TMP/logs-c/postgresql.log" "$OUT/stderr-epoch-verbose.log"; fi
if wants de; then cp "$TMP/logs-de/postgresql.log" "$OUT/stderr-de.log"; fi
if wants fr; then cp "$TMP/logs-fr/postgresql.log" "$OUT/stderr-fr.log"; fi
if wants prod; then cp "$TMP/logs-prod/postgresql.log" "$OUT/stderr-rds-production.log"; fi
if wants d; then cp "$TMP/logs-d/postgresql.log" "$OUT/slowlog-rds-prefix.log"; fi
if wants e; then cp "$TMP/logs-e/postgresql.log" "$OUT/stderr-credentials.log"; fi
if wants f; then cp "$TMP/logs-f/postgresql.log" "$OUT/stderr-crashes.log"; fi
if wants f-de; then cp "$TMP/logs-f-de/postgresql.log" "$OUT/stderr-crashes-de.log"; fi
if wants f-fr; then cp "$TMP/logs-f-fr/postgresql.log" "$OUT/stderr-crashes-fr.log"; fi
find "$OUT" -maxdepth 1 -type f \( -name '*.log' -o -name '*.csv' -o -name '*.json' \) -exec chmod 644 {} +

cat >"$OUT/README.md" <<EOF
# Real PostgreSQL log fixtures

Made by \`scripts/make-pg-fixtures.sh\` with **$VERSION** (Debian $(cut -d. -f1 /etc/debian_version 2>/dev/null || echo '?') package; runs$(echo "$RUNS" | sed 's/ *$//') last made on $(date -u +%Y-%m-%d)),
not written by hand. Regenerate with (as root, or as a user that can run \`initdb\`):

    scripts/make-pg-fixtures.sh

The script runs \`initdb\` in a temp folder, starts the server on 127.0.0.1 only (free port, unix socket in
the temp folder, \`pg_hba.conf\`: \`local trust\`, \`host 127.0.0.1/32 scram-sha-256\`), provokes the errors a
failed deployment causes and copies the server's log files here. Common settings of every run:

    logging_collector = on
    log_timezone = 'UTC'
    lc_messages = 'C'   (runs de, f-de and fr, f-fr: 'de_DE.UTF-8', 'fr_FR.UTF-8')
    log_connections = on
    log_lock_waits = on
    deadlock_timeout = '200ms'
    log_min_messages / log_min_error_statement: defaults (warning / error)

| File | Run | log_line_prefix | Other settings |
|---|---|---|---|
| \`stderr-debian-prefix.log\` | A | \`%m [%p] %q%u@%d \` | \`log_destination = 'stderr,csvlog,jsonlog'\` |
| \`csvlog.csv\` | A | (csvlog) | same run as above: the same events as csvlog |
| \`jsonlog.json\` | A | (jsonlog) | same run as above: the same events as jsonlog |
| \`stderr-rds-prefix.log\` | B | \`%t:%r:%u@%d:[%p]:\` | \`log_destination = 'stderr'\` (the prefix RDS uses) |
| \`stderr-epoch-verbose.log\` | C | \`%n [%p] %q%u@%d \` | \`log_destination = 'stderr'\`, \`log_error_verbosity = verbose\` |
| \`stderr-de.log\` | de | \`%m [%p] %q%u@%d \` | \`log_destination = 'stderr'\`, \`lc_messages = 'de_DE.UTF-8'\` (German) |
| \`stderr-fr.log\` | fr | \`%m [%p] %q%u@%d \` | \`log_destination = 'stderr'\`, \`lc_messages = 'fr_FR.UTF-8'\` (French) |
| \`stderr-rds-production.log\` | prod | \`%t:%r:%u@%d:[%p]:\` | as B, plus \`log_disconnections = on\`, \`log_checkpoints = on\`, \`checkpoint_timeout = '30s'\`, \`log_autovacuum_min_duration = 0\` (see below) |
| \`slowlog-rds-prefix.log\` | D | \`%t:%r:%u@%d:[%p]:\` | \`log_min_duration_statement = 50\` (ms); for the role \`tracer\`: 0 |
| \`stderr-credentials.log\` | E | \`%t:%r:%u@%d:[%p]:\` | \`log_statement = 'ddl'\`, \`log_parameter_max_length_on_error = -1\` (see below) |
| \`stderr-crashes.log\` | F | \`%t:%r:%u@%d:[%p]:\` | as B; two crashes (see below) |
| \`stderr-crashes-de.log\` | f-de | \`%t:%r:%u@%d:[%p]:\` | as F, \`lc_messages = 'de_DE.UTF-8'\` (German) |
| \`stderr-crashes-fr.log\` | f-fr | \`%t:%r:%u@%d:[%p]:\` | as F, \`lc_messages = 'fr_FR.UTF-8'\` (French) |

Each run plays the same failed deployment against a fresh database \`app\` (see \`provoke_errors\` in the
script): a migration with a syntax error (multi-line statement), two unique violations, two missing
relations, a column typo (HINT), a NOT NULL violation, a failing \`EXECUTE\` in PL/pgSQL (QUERY, CONTEXT),
a \`RAISE EXCEPTION\` with DETAIL and HINT, an invalid integer that looks like markup, a statement
timeout, \`COMMIT\` outside a transaction (WARNING), three logins with a wrong password, a login as a
role that does not exist, a connection to a database that does not exist, a deadlock between two
psql sessions and a connection ended by \`pg_terminate_backend\` (FATAL). The server's own start-up
and shut-down lines are in the files too.

\`stderr-rds-production.log\` is what most of a production log looks like: LOG lines. For about
$PROD_SECONDS seconds \`pgbench\` (scale 2, 4 clients, \`-C\`: a new TCP connection with a password for each
transaction, as an application without a pool makes, at \`-R $PROD_TPS\` transactions a second) runs while
checkpoints (every 30 s) and autovacuum (naptime 2 s, scale factors 0.01; each run logs a LOG line with 8-9
tab-indented continuation lines) write their reports, and the failed deployment above is played $PROD_DEPLOYS
times in between. So connection received/authenticated/authorized and disconnection lines dominate, and a few
percent of the lines are errors and their DETAIL/HINT/STATEMENT lines. The digest throughput bench
(\`node bench/reader.ts --memory [size] stderr-rds-production.log\`) repeats it to size.

Run D is the slow-query log (see \`provoke_slow\`): a bulk load and an index build, one report with three
different literals, a commented multi-line report that sleeps 1.3 s, \`pgbench\` runs of a report script with
\`-M prepared\` (\`execute P_n:\` with \`DETAIL:  parameters:\`) and \`-M extended\` (\`execute <unnamed>:\`), and
the slowest of all, a prepared statement that sleeps 3 s (with its parameters); the role \`tracer\` logs every
statement, so its \`parse\` and \`bind\` steps are there too.

Run E is how passwords get into a log (see \`provoke_credentials\`): failing \`CREATE ROLE\`, \`ALTER ROLE\` and
\`CREATE USER\` with \`PASSWORD '…'\`, \`E'…'\` and \`\$\$…\$\$\`, a user mapping's \`OPTIONS (password '…')\`,
\`dblink_connect\` with key/value and URI connection strings, a unique violation on a column \`api_token\` and a
failing query that names one, a password without quotes (a syntax error), one set in a \`DO\` block with \`EXECUTE\`, one
through \`crypt(…)\`, one in JSON in a \`RAISE\`, and a bind parameter (pgbench \`-M extended\`) listed in the failing
statement's \`CONTEXT\`; \`log_statement = 'ddl'\` logs a successful \`ALTER ROLE … PASSWORD\` too. Every secret
in it starts with \`S3cr3t\` (and the role's own password is \`app-secret-123\`).

Run F is two crashes (see \`provoke_crashes\`): a backfill's backend killed with signal 9, as the OOM killer kills
one (the postmaster logs the death with the statement it was running, ends every connection, and recovers;
connections tried meanwhile are refused), then the whole server killed with its children and started again, whose
recovery is logged without a death line.
EOF

echo "make-pg-fixtures: wrote $(ls "$OUT" | wc -l) files to $OUT ($VERSION)" >&2
