#!/usr/bin/env bash
# What `cmake --install` delivers, used the way a user would: installs the
# build into a temporary prefix, checks the files are there, builds
# examples/greet.c against that prefix with pkg-config and with CMake's
# find_package, and greets a dlc-rpcd (the installed one) on a database of
# its own (PG* name the server, as for every test).
#
#   check_install.sh BUILD_DIR
set -euo pipefail
shopt -s inherit_errexit

BUILD=$1
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
TMP=$(mktemp -d -t dlc-install.XXXXXX)
DB=dlc_install_$$_$RANDOM
RPCD_PID=
cleanup() {
    [ -n "$RPCD_PID" ] && kill "$RPCD_PID" 2>/dev/null && wait "$RPCD_PID" 2>/dev/null
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
fail() {
    echo "check_install: FAIL: $*" >&2
    exit 1
}

P=$TMP/prefix
cmake --install "$BUILD" --prefix "$P" >/dev/null
for f in bin/dlc-rpcd bin/dlc-gateway bin/dlcctl include/dlc/client.h include/dlc/status.h \
    include/dlc/v1/greet.pb-c.h include/dlc/rpc/v1/envelope.pb-c.h \
    share/doc/dlc/dlc.yaml.example share/doc/dlc/configuration.md \
    lib/systemd/system/dlc-rpcd.service lib/systemd/system/dlc-gateway.service \
    share/man/man8/dlc-rpcd.8 share/man/man8/dlc-gateway.8 share/man/man1/dlcctl.1; do
    [ -e "$P/$f" ] || fail "$f not installed"
done
LIBDIR=$(dirname "$(find "$P" -name 'libdlc-client.so.0' | head -n1)")
[ -n "$LIBDIR" ] || fail "libdlc-client.so.0 not installed"
[ -e "$LIBDIR/pkgconfig/dlc-client.pc" ] || fail "dlc-client.pc not installed"
# (outputs captured first: grep -q leaving early under pipefail would fail
# the pipe with the writer's SIGPIPE)
dynamic=$(objdump -p "$LIBDIR/libdlc-client.so.0")
grep -q 'SONAME *libdlc-client.so.0' <<<"$dynamic" ||
    fail "SONAME is not libdlc-client.so.0"
echo "ok: files installed (library in ${LIBDIR#"$P"/})"

export PKG_CONFIG_PATH=$LIBDIR/pkgconfig
# A sanitizer build's library needs the sanitizer runtime in the program too.
SAN=()
if [[ $(ldd "$LIBDIR/libdlc-client.so.0") == *libasan* ]]; then
    SAN=(-fsanitize=address,undefined)
fi
# shellcheck disable=SC2046 # pkg-config output is words by design
cc -Wall -Wextra -Werror "${SAN[@]}" "$SRC/examples/greet.c" \
    $(pkg-config --cflags --libs dlc-client) -o "$TMP/greet-pc"
cmake -S "$SRC/examples" -B "$TMP/examples" -DCMAKE_PREFIX_PATH="$P" \
    -DCMAKE_C_FLAGS="${SAN[*]}" >/dev/null
cmake --build "$TMP/examples" >/dev/null
echo "ok: the example builds with pkg-config and with find_package(dlc-client)"

psql -X -q -d postgres -c "CREATE DATABASE $DB"
URL="ipc://$TMP/rpcd.ipc"
"$P/bin/dlc-rpcd" --listen "$URL" --set "database.name=$DB" \
    --set auth.password.hash_strength=min 2>"$TMP/rpcd.log" &
RPCD_PID=$!
for _ in $(seq 100); do
    "$P/bin/dlc-rpcd" --probe "$URL" >/dev/null 2>&1 && break
    sleep 0.1
done
for greet in "$TMP/greet-pc" "$TMP/examples/greet"; do
    out=$(LD_LIBRARY_PATH=$LIBDIR "$greet" "$URL" ann) || fail "$greet: exit $?"
    [ "$out" = "Hello ann!" ] || fail "$greet printed '$out'"
done
echo "ok: both builds of the example greet the installed dlc-rpcd"
out=$("$P/bin/dlcctl" --url "$URL" health)
[[ $out == '{"status":"SERVING"'* ]] || fail "installed dlcctl health printed '$out'"
echo "ok: the installed dlcctl reaches it"
man -l "$P/share/man/man1/dlcctl.1" >/dev/null 2>&1 || fail "dlcctl(1) does not render"
echo "check_install: all checks passed"
