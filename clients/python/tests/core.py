"""A real dlc-rpcd for the client's tests: its own database and temp dir.

Reuses the behave suite's support (features/dlc_bdd): pg (database
administration through psql and libpq's PG* variables, which `scripts/dlc
test` sets) and daemon (a child process that dies with its parent and must
exit 0 on SIGTERM). The database is created from template0 and migrated by
the core itself at start (database.auto_migrate); its name follows the
suite's dlc_s_<pid>_<n> pattern, so a killed run's database is swept by the
next behave run.
"""
import itertools
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "features"))

from dlc_bdd import pg  # noqa: E402
from dlc_bdd.daemon import Daemon  # noqa: E402
from dlc_bdd.world import daemon_env, free_port  # noqa: E402

from dlc_client import Client, RpcError, proto  # noqa: E402

READY_TIMEOUT_S = 30.0
_numbers = itertools.count(1)

# Rate limits off (tests send bursts from one peer) and the cheapest
# password hashing, as the C protocol tests do.
TEST_CONFIG = {
    "DLC_RATELIMIT_ENABLED": "false",
    "DLC_AUTH_PASSWORD_HASH_STRENGTH": "min",
    "DLC_LOGGING_LEVEL": "debug",
}


def serving(url):
    """True when the core at url answers Check with SERVING."""
    try:
        with Client(url, timeout=0.5, connect_wait=0.2) as c:
            status = c.system.Check().status
    except RpcError:
        return False
    return status == proto.system.HealthCheckResponse.SERVING


class Core:
    """One dlc-rpcd listening on ipc (ipc_url) and tcp (tcp_url)."""

    def __init__(self, rpcd):
        self.rpcd = str(rpcd)
        self.dir = tempfile.mkdtemp(prefix="dlc-py-", dir="/tmp")  # short: sun_path
        self.database = "dlc_s_%d_%d" % (os.getpid(), next(_numbers))
        self.ipc_url = "ipc://%s/rpcd.ipc" % self.dir
        self.tcp_url = "tcp://127.0.0.1:%d" % free_port()
        self.daemon = None

    def start(self):
        """Creates the database, starts the core, waits until it serves;
        cleans up after itself when any of that fails."""
        pg.require_env()
        try:
            pg.create_database(self.database)
            env = daemon_env(DLC_RPC_LISTEN="%s,%s" % (self.tcp_url, self.ipc_url),
                             DLC_DATABASE_NAME=self.database, **TEST_CONFIG)
            self.daemon = Daemon("dlc-rpcd", [self.rpcd], env,
                                 os.path.join(self.dir, "rpcd.log"))
            self._wait_serving()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_serving(self):
        """Polls over tcp, as the C tests do: a poll that gives up may close
        its socket mid-handshake, which can stop nng 1.5.2's ipc listener
        (see dlc_client.nng), while its tcp listener copes."""
        until = time.monotonic() + READY_TIMEOUT_S
        while not serving(self.tcp_url):
            if not self.daemon.running() or time.monotonic() > until:
                raise RuntimeError("dlc-rpcd is not serving on %s\n%s" % (
                    self.tcp_url, self.daemon.tail()))
            time.sleep(0.1)

    def stop(self):
        """Stops the core, drops the database, removes the temp dir.
        Returns what went wrong with the daemon (None when it behaved).
        DLC_TEST_KEEP=1 keeps the temp dir (the core's log) for a look."""
        problem = self.daemon.stop() if self.daemon else None
        if problem:
            problem += "\n" + self.daemon.tail()
        pg.drop_database(self.database)
        if os.environ.get("DLC_TEST_KEEP"):
            print("kept %s" % self.dir, file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        return problem
