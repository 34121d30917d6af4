"""PostgreSQL administration for the suite.

It goes through the psql client rather than a Python driver: the machine has
no driver installed, and psql reads libpq's PG* variables exactly like the
daemons do, so the suite and dlc-rpcd always talk to the same server.
"""
import os
import re
import subprocess

# Names we create are generated, so they never need real quoting; refusing
# anything else keeps an accidental injection out of the admin SQL.
_SAFE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# dlc_tmpl_<pid> and dlc_s_<pid>_<n>: the pid lets a later run recognise
# what a killed run left behind.
_OURS = re.compile(r"^dlc_(?:tmpl|s)_(\d+)(?:_\d+)?$")


class PgError(RuntimeError):
    """psql failed; the message carries its stderr."""


def require_env():
    """Fails early and clearly when libpq has not been pointed anywhere:
    otherwise the first symptom would be a confusing daemon start-up error."""
    if not os.environ.get("PGHOST"):
        raise PgError(
            "PGHOST is not set: start the private cluster and export its "
            'settings first (scripts/pg.sh start && eval "$(scripts/pg.sh env)"), '
            "or run the suite through scripts/bdd")


def _quote(name):
    if not _SAFE_NAME.match(name):
        raise ValueError("unexpected database name %r" % name)
    return '"%s"' % name


def psql(sql):
    """Runs one statement against the maintenance database; returns stdout.

    -d postgres, not PGDATABASE: CREATE/DROP DATABASE must not run while
    connected to the database concerned."""
    argv = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-d", "postgres", "-c", sql]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise PgError("psql: %s\n%s" % (sql, proc.stderr.strip()))
    return proc.stdout


def create_database(name, template=None):
    """CREATE DATABASE, optionally as a copy of template (which must have no
    open connection at that moment)."""
    sql = "CREATE DATABASE %s" % _quote(name)
    if template:
        sql += " TEMPLATE %s" % _quote(template)
    psql(sql)


def drop_database(name):
    """Drops name if it exists, closing whatever sessions still use it."""
    psql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % _quote(name))


def process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_databases():
    """Drops the databases of suite runs whose process is gone (a killed run
    cannot clean up after itself). A pid reused by another live process only
    delays the sweep; it never drops a running suite's data."""
    for name in psql("SELECT datname FROM pg_database").split():
        match = _OURS.match(name)
        if match and not process_alive(int(match.group(1))):
            drop_database(name)
