#!/usr/bin/env bash
# Throwaway PostgreSQL 15 + Redis for tests and benchmarks.
#
#   stack.sh start <dir>   initdb + start PostgreSQL and Redis on free loopback
#                          ports, write <dir>/env; reuses a stack already running
#                          in <dir>
#   stack.sh stop  <dir>   stop exactly the processes started for <dir>, then
#                          remove <dir>; a no-op if <dir> does not exist
#
# <dir>/env holds KEY=VALUE lines. Values run to the end of the line and are
# NOT shell-quoted (ZX_TEST_PG contains spaces): split each line at the first
# '='. Keys:
#   ZX_TEST_DIR            absolute path of <dir>
#   ZX_TEST_PG             libpq conninfo (host=127.0.0.1 port=P user=postgres dbname=postgres)
#   ZX_TEST_PG_PORT, ZX_TEST_PG_PID
#   ZX_TEST_REDIS_HOST     127.0.0.1
#   ZX_TEST_REDIS_PORT, ZX_TEST_REDIS_PID
#   ZX_TEST_REDIS_PIDFILE  <dir>/redis/redis.pid, rewritten by every (re)start
#   ZX_TEST_REDIS_CMD      run with /bin/sh -c to start the same Redis again (same
#                          port, dir, AOF) after it was killed; it daemonises, so
#                          the command returns once Redis forked; read the new PID
#                          from ZX_TEST_REDIS_PIDFILE.
#
# PostgreSQL: trust authentication, TCP on 127.0.0.1 only, no Unix socket.
# Redis: appendonly yes, appendfsync always, no RDB snapshots.
set -euo pipefail

PGBIN=${ZX_PGBIN:-/usr/lib/postgresql/15/bin}
REDIS_SERVER=${ZX_REDIS_SERVER:-/usr/bin/redis-server}
# Where Redis keeps its AOF (default <dir>/redis): the fault suite points it
# at a small file system of its own to fill it.
REDIS_DATA_DIR=${ZX_TEST_REDIS_DATA_DIR:-}
MARKER=.zx-test-stack

die() { echo "stack.sh: $*" >&2; exit 1; }
log() { echo "stack.sh: $*" >&2; }

usage() { die "usage: stack.sh start|stop <dir>"; }

# Single-quote a word for /bin/sh.
sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# Run a command as the postgres user when we are root (initdb/postgres refuse root).
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# pid_is <pid> <name>: the process is alive and its command line mentions <name>
# (guards against a recycled PID).
pid_is() {
  local pid=$1 name=$2 cmd
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *"$name"* ]]
}

# Two distinct free TCP ports on 127.0.0.1 (bound to port 0 by the kernel).
free_ports() {
  /usr/bin/python3 - "$1" <<'EOF'
import socket, sys
n = int(sys.argv[1]); socks = []
for _ in range(n):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks: s.close()
EOF
}

# env_get <file> <key>
env_get() {
  local line
  [[ -f $1 ]] || return 0
  while IFS= read -r line; do
    if [[ $line == "$2="* ]]; then printf '%s\n' "${line#*=}"; return 0; fi
  done <"$1"
}

# The postgres user must be able to enter every ancestor of <dir>.
ensure_traversable() {
  [[ $(id -u) -eq 0 ]] || return 0
  local d=$1
  while [[ $d != / && -n $d ]]; do
    if ! runuser -u postgres -- test -x "$d"; then
      log "adding o+x to $d so the postgres user can reach the data directory"
      chmod o+x "$d"
    fi
    d=$(dirname "$d")
  done
}

running() {  # running <dir>: the stack recorded in <dir>/env is up
  local dir=$1 pgpid rpid
  [[ -f $dir/env ]] || return 1
  pgpid=$(env_get "$dir/env" ZX_TEST_PG_PID)
  rpid=$(cat "$dir/redis/redis.pid" 2>/dev/null || true)
  pid_is "$pgpid" postgres && pid_is "$rpid" redis-server
}

wait_gone() {  # wait_gone <seconds> <pid>...
  local deadline=$((SECONDS + $1)); shift
  local p alive
  while :; do
    alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || return 0
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

stop_stack() {
  local dir=$1 pgpid rpid envrpid pids=()
  [[ -d $dir ]] || { log "$dir does not exist; nothing to stop"; return 0; }
  [[ -f $dir/$MARKER ]] || die "$dir is not a test stack directory (no $MARKER); refusing to touch it"

  # PostgreSQL: pg_ctl first, then the recorded PID as a fallback.
  pgpid=$(env_get "$dir/env" ZX_TEST_PG_PID)
  if [[ -f $dir/pg/postmaster.pid ]]; then
    as_pg "$PGBIN/pg_ctl" stop -D "$dir/pg" -m fast -w -t 20 >/dev/null 2>&1 || true
  fi
  if pid_is "$pgpid" postgres; then
    kill -TERM "$pgpid" 2>/dev/null || true
    pids+=("$pgpid")
  fi

  # Redis: the pidfile has the current PID (a test may have restarted it);
  # the env PID is the first one.
  rpid=$(cat "$dir/redis/redis.pid" 2>/dev/null || true)
  envrpid=$(env_get "$dir/env" ZX_TEST_REDIS_PID)
  for p in "$rpid" "$envrpid"; do
    if pid_is "$p" redis-server && grep -q -- "$(env_get "$dir/env" ZX_TEST_REDIS_PORT)" "/proc/$p/cmdline" 2>/dev/null; then
      kill -TERM "$p" 2>/dev/null || true
      pids+=("$p")
    fi
  done

  if ((${#pids[@]})) && ! wait_gone 10 "${pids[@]}"; then
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    wait_gone 5 "${pids[@]}" || true
  fi
  rm -rf -- "$dir"
}

start_stack() {
  local dir=$1
  mkdir -p -- "$dir"
  dir=$(cd -- "$dir" && pwd -P)

  if [[ -f $dir/$MARKER ]]; then
    if running "$dir"; then
      log "stack already running in $dir"
      return 0
    fi
    log "stale stack in $dir; cleaning up"
    stop_stack "$dir"
    mkdir -p -- "$dir"
  elif [[ -n $(ls -A -- "$dir") ]]; then
    die "$dir exists, is not empty and is not a test stack directory"
  fi
  : >"$dir/$MARKER"

  ensure_traversable "$dir"
  chmod 0711 "$dir"
  mkdir -p "$dir/pg" "$dir/redis"
  chmod 0700 "$dir/pg"
  : >"$dir/pg.log"
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir/pg" "$dir/pg.log"; fi

  local ports pg_port redis_port
  ports=$(free_ports 2)
  pg_port=${ports% *}
  redis_port=${ports#* }

  # --- PostgreSQL ---------------------------------------------------------
  as_pg "$PGBIN/initdb" -D "$dir/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
    --no-sync --no-instructions >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  cat >>"$dir/pg/postgresql.conf" <<EOF

# --- zx test stack ---
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = ''
max_connections = 300
shared_buffers = 128MB
fsync = on
log_min_messages = warning
EOF
  if ! as_pg "$PGBIN/pg_ctl" start -D "$dir/pg" -l "$dir/pg.log" -w -t 30 >/dev/null 2>&1; then
    tail -n 30 "$dir/pg.log" >&2 || true
    die "PostgreSQL did not start (port $pg_port)"
  fi
  local pg_pid
  pg_pid=$(head -n 1 "$dir/pg/postmaster.pid")

  # --- Redis --------------------------------------------------------------
  local redis_cmd
  redis_cmd="$(sq "$REDIS_SERVER") --bind 127.0.0.1 --port $redis_port --appendonly yes"
  redis_cmd+=" --appendfsync always --save '' --dir $(sq "${REDIS_DATA_DIR:-$dir/redis}")"
  redis_cmd+=" --daemonize yes --pidfile $(sq "$dir/redis/redis.pid")"
  redis_cmd+=" --logfile $(sq "$dir/redis/redis.log")"
  /bin/sh -c "$redis_cmd" || die "redis-server did not start (port $redis_port)"

  local deadline=$((SECONDS + 10)) redis_pid=""
  while :; do
    redis_pid=$(cat "$dir/redis/redis.pid" 2>/dev/null || true)
    if [[ -n $redis_pid ]] && redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null | grep -q PONG; then
      break
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$dir/redis/redis.log" >&2 || true
      stop_stack "$dir"
      die "Redis did not answer PING on port $redis_port"
    fi
    sleep 0.05
  done

  cat >"$dir/env.tmp" <<EOF
ZX_TEST_DIR=$dir
ZX_TEST_PG=host=127.0.0.1 port=$pg_port user=postgres dbname=postgres
ZX_TEST_PG_PORT=$pg_port
ZX_TEST_PG_PID=$pg_pid
ZX_TEST_REDIS_HOST=127.0.0.1
ZX_TEST_REDIS_PORT=$redis_port
ZX_TEST_REDIS_PID=$redis_pid
ZX_TEST_REDIS_PIDFILE=$dir/redis/redis.pid
ZX_TEST_REDIS_CMD=$redis_cmd
EOF
  mv "$dir/env.tmp" "$dir/env"
  log "PostgreSQL on 127.0.0.1:$pg_port (pid $pg_pid), Redis on 127.0.0.1:$redis_port (pid $redis_pid); env in $dir/env"
}

[[ $# -eq 2 ]] || usage
case $1 in
  start) start_stack "$2" ;;
  stop) stop_stack "$2" ;;
  *) usage ;;
esac
