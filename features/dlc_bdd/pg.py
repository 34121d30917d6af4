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


def query(database, sql):
    """One statement against database; returns its rows' text (psql -A -t)."""
    argv = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-d", database, "-c", sql]
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


class TableLock:
    """Holds ACCESS EXCLUSIVE on a table of a database from a psql session of
    its own, until release(): requests that read the table wait, which is
    how a scenario keeps a request in flight for as long as it needs."""

    def __init__(self, database, table):
        self.database = database
        self.proc = subprocess.Popen(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True)
        self.proc.stdin.write("BEGIN;\nLOCK TABLE %s IN ACCESS EXCLUSIVE MODE;\n" % _quote(table))
        self.proc.stdin.flush()

    def held(self):
        """True once the session has been granted the lock."""
        out = psql("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                   "WHERE l.granted AND l.mode = 'AccessExclusiveLock' AND l.locktype = 'relation' "
                   "AND d.datname = '%s'" % self.database)
        return int(out.strip() or 0) > 0

    def waiters(self):
        """Sessions of the database waiting for a lock right now."""
        out = psql("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                   "WHERE NOT l.granted AND d.datname = '%s'" % self.database)
        return int(out.strip() or 0)

    def release(self):
        if self.proc.poll() is None:
            self.proc.stdin.write("ROLLBACK;\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
