#!/usr/bin/env bash
# Private PostgreSQL 15 cluster for local runs and tests: unix socket only,
# durability off (it holds throw-away data). Every subcommand is idempotent.
#
#   pg.sh start     initdb if needed, start if not running, wait until ready
#   pg.sh stop      fast shutdown (fine when not running)
#   pg.sh status    exit 0 when running
#   pg.sh env       export PGHOST/PGPORT/PGUSER/PGDATABASE lines for eval
#                   (loopback TCP: in clones under /tmp the unix socket file was
#                   seen to vanish mid-run, so clients do not depend on it)
#   pg.sh use       for test runs: when PG* already name another server, print
#                   nothing; else start (healing an unreachable server) and
#                   print the env lines
#   pg.sh destroy   stop and delete the cluster
#
# Cluster folder: $DLC_PG_DIR, else <repo>/.dlc/pg (or /tmp/dlc-pg-<hash> when
# running as root and the postgres user cannot reach the repo). Socket name:
# $DLC_PG_PORT, else a free loopback port chosen once per cluster folder
# (kept in <dir>.port); the server listens on 127.0.0.1 and on a unix socket.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

die() {
    echo "pg.sh: $*" >&2
    exit 1
}

is_root() {
    [ "$(id -u)" -eq 0 ]
}

# initdb refuses root, so as root every server binary runs as postgres
# (from /: the caller's directory may be closed to it).
as_owner() {
    if is_root; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

superuser() {
    if is_root; then echo postgres; else id -un; fi
}

find_bindir() {
    local d=/usr/lib/postgresql/15/bin
    if [ ! -x "$d/pg_ctl" ] && command -v pg_config >/dev/null; then
        d=$(pg_config --bindir)
    fi
    [ -x "$d/pg_ctl" ] || die "PostgreSQL server binaries not found (install postgresql-15)"
    echo "$d"
}

# True when the postgres user can traverse to dir (or to its nearest existing
# ancestor: whatever we create below it is world-searchable).
postgres_can_reach() {
    local d=$1
    while [ ! -e "$d" ]; do d=$(dirname "$d"); done
    runuser -u postgres -- test -x "$d" 2>/dev/null
}

# Computed identically by every subcommand so env names what start made.
cluster_dir() {
    if [ -n "${DLC_PG_DIR:-}" ]; then
        echo "$DLC_PG_DIR"
        return
    fi
    local d=$REPO/.dlc/pg
    if is_root && ! postgres_can_reach "$d"; then
        d=/tmp/dlc-pg-$(printf '%s' "$REPO" | sha256sum | cut -c1-12)
    fi
    echo "$d"
}

DIR=$(cluster_dir)
case $DIR in /*) ;; *) DIR=$PWD/$DIR ;; esac

# Something listens on 127.0.0.1:$1.
port_in_use() {
    (: </dev/tcp/127.0.0.1/"$1") 2>/dev/null
}

# The cluster's port: given, or chosen once (from the folder's hash, moving
# on while taken) and remembered beside the folder.
cluster_port() {
    if [ -n "${DLC_PG_PORT:-}" ]; then
        echo "$DLC_PG_PORT"
    elif [ -s "$DIR.port" ]; then
        cat "$DIR.port"
    else
        local p=$((20000 + $(printf '%s' "$DIR" | cksum | cut -d' ' -f1) % 20000))
        while port_in_use "$p"; do p=$((p + 1)); done
        mkdir -p "$(dirname "$DIR")"
        echo "$p" >"$DIR.port"
        echo "$p"
    fi
}
PORT=$(cluster_port)
DATA=$DIR/data
SOCK=$DIR/sock
LOG=$DIR/postgres.log

# Serialises concurrent start/stop/destroy (tests may call us in parallel).
take_lock() {
    mkdir -p "$(dirname "$DIR")"
    exec 9>"$DIR.lock"
    flock 9
}

# The postmaster recorded in postmaster.pid is alive and serves our data dir.
# A pid reused by an unrelated process after a kill does not count.
running() {
    local pid
    [ -f "$DATA/postmaster.pid" ] || return 1
    pid=$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
    [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$(readlink -f "$DATA")" ]
}

# Leftovers of a killed server would make postgres refuse to start when
# their pid has been reused.
clear_stale() {
    rm -f "$DATA/postmaster.pid" "$SOCK/.s.PGSQL.$PORT" "$SOCK/.s.PGSQL.$PORT.lock"
}

prepare_dir() {
    (umask 022 && mkdir -p "$DIR" "$SOCK")
    if is_root; then
        id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user"
        chown postgres: "$DIR" "$SOCK"
    fi
}

init_cluster() {
    local bin=$1 out
    rm -rf "$DATA" # a half-made data dir from an interrupted initdb
    if ! out=$(as_owner "$bin/initdb" -D "$DATA" --auth=trust --no-sync \
        -U "$(superuser)" -E UTF8 --locale=C 2>&1); then
        echo "$out" >&2
        die "initdb failed in $DATA"
    fi
}

start_server() {
    local bin=$1 opts
    # Socket path limit of the kernel (sun_path) is 108 bytes.
    [ ${#SOCK} -le 90 ] || die "socket dir path too long: $SOCK (set DLC_PG_DIR)"
    opts="-h 127.0.0.1 -k '$SOCK' -p $PORT -N 200 -c fsync=off"
    opts+=" -c synchronous_commit=off -c full_page_writes=off"
    # 9>&-: the postmaster must not inherit (and so hold) our lock.
    if ! as_owner "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 -o "$opts" start >/dev/null 9>&-; then
        tail -n 20 "$LOG" >&2 || true
        die "server did not start (log: $LOG)"
    fi
}

# is_ready_within BIN TENTHS: pg_isready within TENTHS × 0.1 s.
is_ready_within() {
    local bin=$1 tenths=$2 _
    for _ in $(seq 1 "$tenths"); do
        "$bin/pg_isready" -q -h 127.0.0.1 -p "$PORT" && return 0
        sleep 0.1
    done
    return 1
}

wait_ready() {
    is_ready_within "$1" 100 || die "server not ready after 10 s (log: $LOG)"
}

cmd_start() {
    local bin
    bin=$(find_bindir)
    take_lock
    if running; then
        is_ready_within "$bin" 30 && return 0
        # The postmaster lives but does not answer on its socket (seen when
        # the socket file vanished under a clone in /tmp): restart it.
        echo "pg.sh: server running but not answering on port $PORT; restarting it" >&2
        as_owner "$bin/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null 9>&- || true
    fi
    prepare_dir
    [ -f "$DATA/PG_VERSION" ] || init_cluster "$bin"
    clear_stale
    start_server "$bin"
    wait_ready "$bin"
}

cmd_stop() {
    local bin
    bin=$(find_bindir)
    take_lock
    if running; then
        as_owner "$bin/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
    fi
}

cmd_status() {
    running && "$(find_bindir)/pg_isready" -q -h 127.0.0.1 -p "$PORT"
}

cmd_env() {
    printf 'export PGHOST=127.0.0.1\n'
    printf 'export PGPORT=%q\n' "$PORT"
    printf 'export PGUSER=%q\n' "$(superuser)"
    printf 'export PGDATABASE=postgres\n'
}

cmd_use() {
    local private=false
    [ "${PGHOST:-}" = 127.0.0.1 ] && [ "${PGPORT:-}" = "$PORT" ] && private=true
    if [ -n "${PGHOST:-}" ] && ! $private; then
        return 0 # the caller's own server
    fi
    cmd_start >&2 # stdout is for eval
    cmd_env
}

cmd_destroy() {
    cmd_stop
    rm -rf "$DIR" "$DIR.port"
}

case ${1:-} in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
env) cmd_env ;;
use) cmd_use ;;
destroy) cmd_destroy ;;
*)
    echo "usage: $0 start|stop|status|env|use|destroy" >&2
    exit 2
    ;;
esac
