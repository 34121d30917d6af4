#!/usr/bin/env bash
# The cluster scripts/dlc run keeps its data in (scripts/pg.sh --run), made
# in a temp folder of its own and destroyed afterwards: it refuses
# connections without the password, is durable (fsync and full_page_writes
# on), dlc-rpcd's role is no superuser yet applies every migration, and the
# test clusters' start refuses its folder.
#
#   run_cluster.sh DLC-RPCD
set -euo pipefail
shopt -s inherit_errexit

RPCD=$1
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)

fail() {
    echo "run_cluster: FAIL: $*" >&2
    exit 1
}

# expect WHAT GOT WANT
expect() {
    [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
    echo "ok: $1 = $3"
}

# The caller's PG* (ctest runs under the test cluster's) must not leak in.
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep '^PG' || true)

TMP=$(mktemp -d -t dlc-run-cluster.XXXXXX)
chmod 755 "$TMP" # as root the server runs as postgres, which must reach it
export DLC_PG_RUN_DIR=$TMP/run
unset DLC_PG_RUN_PORT DLC_DATABASE_NAME # a free port chosen by pg.sh
pg() { "$SRC/scripts/pg.sh" --run "$@"; }
cleanup() {
    pg destroy || true
    rm -rf "$TMP"
}
trap cleanup EXIT

pg start
pg start # idempotent
pg stop
pg start # the password still works after a restart
eval "$(pg env)"

expect "password file mode" "$(stat -c %a "$PGPASSFILE")" 600

sql() { psql -X -w -A -t -v ON_ERROR_STOP=1 -c "$1"; }

# refused SQL HOST USER: a connection without a password is refused for
# want of one (and not because nothing answers).
refused() {
    local err
    if err=$(PGPASSFILE=$TMP/none PGHOST=$1 PGUSER=$2 sql 'SELECT 1' 2>&1); then
        fail "connected to $1 as $2 without a password"
    fi
    [[ $err == *"no password supplied"* || $err == *"authentication failed"* ]] ||
        fail "refused for another reason: $err"
    echo "ok: no password, $1 as $2: refused"
}
refused "$PGHOST" "$PGUSER"
refused 127.0.0.1 "$PGUSER"
refused 127.0.0.1 postgres
refused 127.0.0.1 "$(id -un)"

expect "SHOW fsync" "$(sql 'SHOW fsync')" on
expect "SHOW full_page_writes" "$(sql 'SHOW full_page_writes')" on
expect "SHOW synchronous_commit" "$(sql 'SHOW synchronous_commit')" on
expect "current_user" "$(sql 'SELECT current_user')" dlc
expect "rolsuper" "$(sql 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user')" f
expect "database owner" "$(sql 'SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()')" dlc

"$RPCD" migrate 2>"$TMP/migrate.log" || { cat "$TMP/migrate.log" >&2; fail "dlc-rpcd migrate"; }
want=$(find "$SRC/migrations" -name '[0-9]*.sql' | wc -l)
expect "migrations applied" "$(sql 'SELECT count(*) FROM schema_migrations')" "$want"
expect "tables not owned by dlc" \
    "$(sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> 'dlc'")" 0

# A test cluster's start (fsync off, trust) must not take this folder.
if DLC_PG_DIR=$DLC_PG_RUN_DIR "$SRC/scripts/pg.sh" start 2>"$TMP/kind.log"; then
    fail "the test cluster's start accepted the run cluster's folder"
fi
grep -q "holds a run cluster" "$TMP/kind.log" || fail "$(cat "$TMP/kind.log")"
expect "SHOW fsync after the refused test start" "$(sql 'SHOW fsync')" on
echo "run_cluster: all checks passed"
