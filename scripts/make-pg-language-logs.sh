#!/usr/bin/env bash
# Makes the REAL PostgreSQL logs of test/fixtures/pg-languages/: the same server incidents written with
# lc_messages in English and in each language of PostgreSQL's catalogs, so a test can hold the digest to telling
# the same crashes and stops in every one.
#
#   scripts/make-pg-language-logs.sh [output-dir]     (default: test/fixtures/pg-languages; as root)
#
# Three scenarios, each on a fresh throwaway cluster (initdb in a temp folder, a unix socket only), each log
# named <scenario>-<lang>.log:
#   incidents  a backend killed with signal 9; the logical replication launcher (a background worker) killed; an
#              immediate shutdown and a start; a fast shutdown whose checkpoint is killed (the whole server);
#              the whole server killed; a start given up (a recovery target never reached); then a standby
#              (read-only), a backend killed there, a smart stop
#   names      the checkpointer, background writer, WAL writer, autovacuum launcher and archiver each killed
#   standby    a clean stop, then a standby started and stopped twice (`shut down in recovery`: no crash)
# Locales missing on the machine are made with localedef (Debian's `locales` package).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-test/fixtures/pg-languages}
LANGS=${LANGS:-"C de_DE es_ES fr_FR it_IT ja_JP ka_GE ko_KR ru_RU sv_SE uk_UA zh_CN"}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
export PATH=$PGBIN:$PATH
[ "$(id -u)" -eq 0 ] || { echo "make-pg-language-logs: run as root (the server runs as postgres)" >&2; exit 1; }
as_pg() { runuser -u postgres -- env PATH="$PATH" TZ=UTC LC_ALL=C "$@"; }

ensure_locale() { # $1 = e.g. de_DE
  [ "$1" = C ] && return 0
  locale -a 2>/dev/null | grep -qix "$1.utf8" && return 0
  if [ ! -e "/usr/share/i18n/locales/$1" ]; then
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends locales >&2
  fi
  localedef -i "$1" -f UTF-8 "$1.UTF-8"
}

# One cluster with lc_messages $LC; `more` lines go into its settings.
cluster() { # $1 = lc, rest = settings lines
  LC=$1; shift
  T=$(mktemp -d /tmp/pg-lang.XXXXXX); chmod 755 "$T"; chown postgres "$T"
  D=$T/data; S=$T/sock; as_pg mkdir -p "$S" "$T/logs"
  PORT=$((20000 + RANDOM % 30000))
  as_pg initdb -D "$D" -U postgres -E UTF8 --no-locale --auth-local=trust >/dev/null 2>&1
  { echo "listen_addresses = ''"; echo "port = $PORT"; echo "unix_socket_directories = '$S'"; echo "logging_collector = on"
    echo "log_directory = '$T/logs'"; echo "log_filename = 'postgresql.log'"; echo "log_rotation_age = 0"; echo "log_rotation_size = 0"
    echo "log_timezone = 'UTC'"; echo "lc_messages = '$LC'"; echo "log_line_prefix = '%t:%r:%u@%d:[%p]:'"; printf '%s\n' "$@"; } >"$T/run.conf"
  as_pg cp "$T/run.conf" "$D/run.conf"
  as_pg sh -c "echo \"include_if_exists = 'run.conf'\" >> '$D/postgresql.conf'"
}
start() { as_pg env LC_ALL="$LC" pg_ctl -D "$D" -l "$T/ctl.out" -w -t 60 start >/dev/null 2>&1 || true; }
stop() { as_pg pg_ctl -D "$D" -m "${1:-fast}" -w stop >/dev/null; }
psql_() { as_pg psql -X -q -h "$S" -p "$PORT" -U postgres -d postgres "$@"; }
ready() { as_pg pg_isready -h "$S" -p "$PORT" -t 30 >/dev/null; }
# The pid of the server's process of a type, waited for (one restarted after a crash takes a moment to start).
pid_of() { # $1 = backend_type
  local p=''
  for _ in $(seq 1 100); do
    p=$(psql_ -Atc "select pid from pg_stat_activity where backend_type = '$1'" 2>/dev/null || true)
    [ -n "$p" ] && { echo "$p"; return 0; }
    sleep 0.1
  done
  echo "make-pg-language-logs: no $1 process" >&2; return 1
}
killed_backend() {
  psql_ -c "select pg_sleep(30)" >/dev/null 2>&1 & sleep 1
  kill -9 "$(psql_ -Atc "select pid from pg_stat_activity where query like 'select pg_sleep%'")"; wait || true; sleep 3; ready
}
whole_server_killed() {
  local pm; pm=$(head -n 1 "$D/postmaster.pid")
  kill -9 "$pm" $(pgrep -P "$pm") || true
  while kill -0 "$pm" 2>/dev/null; do sleep 0.1; done; sleep 1; rm -f "$D/postmaster.pid"
}
finish() { # $1 = output file
  cp "$T/logs/postgresql.log" "$1"; chmod 644 "$1"
  as_pg pg_ctl -D "$D" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$T"
}

incidents() { # $1 = lc, $2 = output
  cluster "$1" "shared_buffers = 256MB" "max_wal_size = 4GB" "checkpoint_timeout = 1h"
  start
  killed_backend
  kill -9 "$(pid_of 'logical replication launcher')"; sleep 3; ready
  stop immediate; start
  # A fast shutdown killed while its checkpoint writes (cluster state "shutting down").
  psql_ -c "create table big as select g, repeat('x', 500) f from generate_series(1, 300000) g" >/dev/null
  as_pg pg_ctl -D "$D" -m fast stop -W >/dev/null
  for _ in $(seq 1 2000); do as_pg pg_controldata "$D" | grep -q "shutting down" && break; done
  whole_server_killed; start
  whole_server_killed; start
  # A start given up: a recovery target that is never reached.
  stop
  as_pg sh -c "echo \"restore_command = 'false'\" >> '$D/run.conf'; echo \"recovery_target_name = 'nope'\" >> '$D/run.conf'; touch '$D/recovery.signal'"
  start; sleep 2
  as_pg sh -c "sed -i '/restore_command\|recovery_target_name/d' '$D/run.conf'; rm -f '$D/recovery.signal'"
  start
  stop; as_pg touch "$D/standby.signal"; start
  killed_backend
  stop smart
  finish "$2"
}

names() { # $1 = lc, $2 = output
  cluster "$1" "archive_mode = on" "archive_command = 'true'"
  start
  for bt in checkpointer 'background writer' walwriter 'autovacuum launcher' archiver; do
    kill -9 "$(pid_of "$bt")"; sleep 2; ready
  done
  stop
  finish "$2"
}

standby() { # $1 = lc, $2 = output
  cluster "$1"
  start; stop
  as_pg touch "$D/standby.signal"
  start; sleep 1; stop; start; sleep 1; stop
  finish "$2"
}

mkdir -p "$OUT"
for l in $LANGS; do
  ensure_locale "$l"
  lc=$([ "$l" = C ] && echo C || echo "$l.UTF-8")
  short=$([ "$l" = C ] && echo en || echo "${l%_*}")
  [ "$l" = zh_CN ] && short=zh_CN
  for scenario in incidents names standby; do
    "$scenario" "$lc" "$OUT/$scenario-$short.log"
  done
  echo "make-pg-language-logs: $l" >&2
done
