#!/usr/bin/env bash
# Private PostgreSQL 15 clusters, two kinds, never the same folder. Every
# subcommand is idempotent.
#
#   test (default)  for test runs and benchmarks: throw-away, durability off
#                   (fsync, full_page_writes, synchronous_commit), trust
#                   authentication; clients are the superuser over loopback TCP
#                   (in clones under /tmp the unix socket file was seen to
#                   vanish mid-run, so they do not depend on it)
#   --run           for scripts/dlc run, holds data worth keeping: synced
#                   initdb, fsync and full_page_writes on; the superuser only by
#                   peer on the unix socket, everyone else by scram-sha-256
#                   password, never trust. The application's role (dlc, not a
#                   superuser) owns its database (dlc, or $DLC_DATABASE_NAME);
#                   its password is random, in <dir>.pgpass (mode 0600, a libpq
#                   password file). Clients use the unix socket, whose folder
#                   only the cluster's owner can write: nobody can stand in for
#                   the server there (on loopback TCP a local user could, while
#                   it is down, and ask for the password in cleartext).
#
#   pg.sh [--run] start     initdb if needed, start if not running, wait until
#                           ready (--run: also role, password, database)
#   pg.sh [--run] stop      fast shutdown (fine when not running)
#   pg.sh [--run] status    exit 0 when running
#   pg.sh [--run] env       export PG* lines for eval (--run: PGPASSFILE too)
#   pg.sh use               for test runs: when PG* already name another server,
#                           print nothing; else start (healing an unreachable
#                           server) and print the env lines
#   pg.sh [--run] destroy   stop and delete the cluster (--run: its data too!)
#
# Folders: test: $DLC_PG_DIR, else <repo>/.dlc/pg (as root, when the postgres
# user cannot reach the repo: /tmp/dlc-pg-<hash>); --run: $DLC_PG_RUN_DIR, else
# <repo>/.dlc/run (/var/lib/dlc/run-<hash>). Each refuses to start the other
# kind's cluster (told apart by trust in pg_hba.conf). Port: $DLC_PG_PORT
# (--run: $DLC_PG_RUN_PORT), else a free loopback port chosen once per folder
# (kept in <dir>.port); the server listens on 127.0.0.1 and a unix socket.
set -euo pipefail
shopt -s inherit_errexit

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

die() {
    echo "pg.sh: $*" >&2
    exit 1
}

KIND='test'
if [ "${1:-}" = --run ]; then
    KIND=run
    shift
fi
APP_ROLE=dlc
APP_DB=${DLC_DATABASE_NAME:-dlc}

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
# The run cluster's fallback is not under /tmp, which is emptied at boot.
cluster_dir() {
    if [ -n "$DIR_GIVEN" ]; then
        echo "$DIR_GIVEN"
        return
    fi
    local d fallback hash
    hash=$(printf '%s' "$REPO" | sha256sum | cut -c1-12)
    if [ "$KIND" = run ]; then
        d=$REPO/.dlc/run fallback=/var/lib/dlc/run-$hash
    else
        d=$REPO/.dlc/pg fallback=/tmp/dlc-pg-$hash
    fi
    if is_root && ! postgres_can_reach "$d"; then
        d=$fallback
    fi
    echo "$d"
}

if [ "$KIND" = run ]; then
    DIR_GIVEN=${DLC_PG_RUN_DIR:-} PORT_GIVEN=${DLC_PG_RUN_PORT:-}
else
    DIR_GIVEN=${DLC_PG_DIR:-} PORT_GIVEN=${DLC_PG_PORT:-}
fi
DIR=$(cluster_dir)
case $DIR in /*) ;; *) DIR=$PWD/$DIR ;; esac

# Something listens on 127.0.0.1:$1.
port_in_use() {
    (: </dev/tcp/127.0.0.1/"$1") 2>/dev/null
}

# The cluster's port: given, or chosen once (from the folder's hash, moving
# on while taken) and remembered beside the folder.
cluster_port() {
    if [ -n "$PORT_GIVEN" ]; then
        echo "$PORT_GIVEN"
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
PGPASS=$DIR.pgpass
# Where clients connect (see the top of this file).
if [ "$KIND" = run ]; then HOST=$SOCK; else HOST=127.0.0.1; fi

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

# The kind of an existing cluster: test clusters trust, run clusters never do.
# Starting one as the other would weaken real data or break the tests.
check_kind() {
    local found=run
    grep -qE '^[^#]*[[:space:]]trust([[:space:]]|$)' "$DATA/pg_hba.conf" && found='test'
    [ "$found" = "$KIND" ] ||
        die "$DIR holds a $found cluster, not a $KIND one (tests and scripts/dlc run use different folders)"
}

# pg_hba.conf and postgresql.conf lines of a run cluster (see the top).
run_hba() {
    printf '# scripts/pg.sh --run: the superuser by peer, everyone else by password\n'
    printf 'local all %s peer\n' "$(superuser)"
    printf 'local all all scram-sha-256\n'
    printf 'host all all 127.0.0.1/32 scram-sha-256\n'
    printf 'host all all ::1/128 scram-sha-256\n'
}
run_conf() {
    printf '\n# scripts/pg.sh --run: data worth keeping\n'
    printf 'fsync = on\nfull_page_writes = on\nsynchronous_commit = on\n'
    printf "password_encryption = 'scram-sha-256'\n"
}

# initdb into a side folder, configured, then renamed into place: a data dir
# is either absent or whole.
init_cluster() {
    local bin=$1 out tmp=$DIR/data.init
    local opts=(-U "$(superuser)" -E UTF8 --locale=C)
    if [ "$KIND" = run ]; then
        opts+=(--auth-local=peer --auth-host=scram-sha-256) # synced (no --no-sync)
    else
        opts+=(--auth=trust --no-sync)
    fi
    rm -rf "$DATA" "$tmp" # a half-made data dir from an interrupted initdb
    if ! out=$(as_owner "$bin/initdb" -D "$tmp" "${opts[@]}" 2>&1); then
        echo "$out" >&2
        die "initdb failed in $tmp"
    fi
    if [ "$KIND" = run ]; then
        run_hba | as_owner tee "$tmp/pg_hba.conf" >/dev/null
        run_conf | as_owner tee -a "$tmp/postgresql.conf" >/dev/null
    fi
    mv "$tmp" "$DATA"
}

start_server() {
    local bin=$1 opts
    # Socket path limit of the kernel (sun_path) is 108 bytes.
    [ ${#SOCK} -le 90 ] || die "socket dir path too long: $SOCK (set DLC_PG_DIR or DLC_PG_RUN_DIR)"
    opts="-h 127.0.0.1 -k '$SOCK' -p $PORT -N 200"
    if [ "$KIND" = test ]; then
        opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
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
        "$bin/pg_isready" -q -h "$HOST" -p "$PORT" && return 0
        sleep 0.1
    done
    return 1
}

wait_ready() {
    is_ready_within "$1" 100 || die "server not ready after 10 s (log: $LOG)"
}

# The run cluster's password: the one in $PGPASS, else a new random one.
app_password() {
    local pw=""
    [ -f "$PGPASS" ] && pw=$(cut -d: -f5- "$PGPASS")
    if ! [[ $pw =~ ^[A-Za-z0-9]{32,}$ ]]; then
        pw=$(head -c 48 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9')
    fi
    echo "$pw"
}

# Makes the application's role and database (idempotent) and writes its
# password file; the password travels on psql's stdin, never in argv, and
# this session logs no statement, failed or not.
ensure_app() {
    local bin=$1 pw
    pw=$(app_password)
    (umask 077 && printf '*:%s:*:%s:%s\n' "$PORT" "$APP_ROLE" "$pw" >"$PGPASS.tmp")
    mv "$PGPASS.tmp" "$PGPASS"
    as_owner "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U "$(superuser)" \
        -d postgres -v role="$APP_ROLE" -v db="$APP_DB" >/dev/null <<EOF
SET log_statement = none;
SET log_min_error_statement = panic;
SELECT format('CREATE ROLE %I', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
      PASSWORD '$pw';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
ALTER DATABASE :"db" OWNER TO :"role";
EOF
}

cmd_start() {
    local bin
    bin=$(find_bindir)
    take_lock
    [ ! -f "$DATA/PG_VERSION" ] || check_kind
    if running; then
        if is_ready_within "$bin" 30; then
            [ "$KIND" = test ] || ensure_app "$bin"
            return 0
        fi
        # The postmaster lives but does not answer on its socket (seen when
        # the socket file vanished under a clone in /tmp): restart it.
        echo "pg.sh: server running but not answering on $HOST port $PORT; restarting it" >&2
        as_owner "$bin/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null 9>&- || true
    fi
    prepare_dir
    [ -f "$DATA/PG_VERSION" ] || init_cluster "$bin"
    clear_stale
    start_server "$bin"
    wait_ready "$bin"
    [ "$KIND" = test ] || ensure_app "$bin"
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
    running && "$(find_bindir)/pg_isready" -q -h "$HOST" -p "$PORT"
}

cmd_env() {
    printf 'export PGHOST=%q\n' "$HOST"
    printf 'export PGPORT=%q\n' "$PORT"
    if [ "$KIND" = run ]; then
        printf 'export PGUSER=%q\n' "$APP_ROLE"
        printf 'export PGDATABASE=%q\n' "$APP_DB"
        printf 'export PGPASSFILE=%q\n' "$PGPASS"
        printf 'unset PGPASSWORD\n' # it would win over PGPASSFILE
    else
        printf 'export PGUSER=%q\n' "$(superuser)"
        printf 'export PGDATABASE=postgres\n'
    fi
}

cmd_use() {
    [ "$KIND" = test ] || die "use is for test runs; scripts/dlc run uses --run start and --run env"
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
    rm -rf "$DIR" "$DIR.port" "$PGPASS"
}

case ${1:-} in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
env) cmd_env ;;
use) cmd_use ;;
destroy) cmd_destroy ;;
*)
    echo "usage: $0 [--run] start|stop|status|env|destroy, or $0 use" >&2
    exit 2
    ;;
esac
