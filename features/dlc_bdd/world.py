"""The suite (one per behave process) and the stack (one per scenario).

Suite: finds the binaries, owns the migrated template database.
Stack: one scenario's database (a copy of the template: migrating once per
process instead of once per scenario), temp dir, config file and daemons.
Daemons start lazily, on the first request, so Given steps can shape the
configuration first and config-dependent scenarios start them only once; a
config change after the start restarts both (they read the same file).
"""
import atexit
import itertools
import json
import os
import random
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from dlc_bdd import http, pg, poll
from dlc_bdd.daemon import Daemon, describe_status, tail

READY_TIMEOUT_S = 15.0
REPO_ROOT = Path(__file__).resolve().parents[2]

# The kernel's sun_path holds 108 bytes; nng needs the socket path in it.
_MAX_SOCKET_PATH = 100

# dlc-bdd-<pid>_<n>-<random>: a scenario's temp dir (see _make_temp_dir).
_TEMP_DIR = re.compile(r"^dlc-bdd-(\d+)_\d+-")

_VERSION_LINE = re.compile(r"^\S+ (\S+) \(commit (\S+), built (\S+), (.+)\)$")


class SetupError(AssertionError):
    """The world could not be built; an AssertionError so behave reports the
    scenario as failed (not as an error in the suite's own code)."""


def build_dir():
    """DLC_BUILD_DIR (relative paths are taken from the repository root,
    so `DLC_BUILD_DIR=build/asan` works from any directory), else
    <repo>/build/default."""
    configured = os.environ.get("DLC_BUILD_DIR")
    if not configured:
        return REPO_ROOT / "build" / "default"
    return (REPO_ROOT / configured).resolve()


def daemon_env(**extra):
    """The environment of a daemon: ours without DLC_* variables, which
    would otherwise override the scenario's config file (a developer's
    exported DLC_API_V2_ENABLED must not change test outcomes). PG* stay:
    they are how the daemons find the database server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLC_")}
    env.update(extra)
    return env


def read_build_info(rpcd):
    """Version and commit as the binaries report them, so features can say
    ${version} instead of hard-coding a release number."""
    out = subprocess.run([str(rpcd), "--version"], capture_output=True, text=True,
                         timeout=30, env=daemon_env()).stdout.strip()
    match = _VERSION_LINE.match(out)
    if not match:
        raise SetupError("cannot parse `%s --version`: %r" % (rpcd, out))
    version, commit, built, compiler = match.groups()
    return {"version": version, "commit": commit, "build_date": built, "compiler": compiler}


# Listening ports come from below the kernel's ephemeral range (32768 and
# up by default): a port the kernel hands out is also the source port of
# outgoing connections (nng dialling, psql, http clients), and one of those
# can take it between this check and the daemon's bind ("Address already in
# use" seen in a full run).
LISTEN_PORTS = range(20000, 32000)


def free_port():
    """A random listening port nobody uses right now. Parallel behave
    processes draw from 12,000 ports, so they practically never collide."""
    rng = random.SystemRandom()
    for _ in range(1000):
        port = rng.choice(LISTEN_PORTS)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise OSError("no free listening port in %s" % LISTEN_PORTS)


def config_lines(config):
    """A flat {dotted.key: value} dict as YAML lines. Dotted keys are
    accepted by the loader, and JSON scalars and lists are valid YAML, so
    every value is written exactly, with no YAML library needed."""
    lines = ["# written by the behave suite for one scenario"]
    lines += ["%s: %s" % (key, json.dumps(value)) for key, value in sorted(config.items())]
    return lines


def write_config(path, config):
    """Writes the file the way editors do: a temporary, then a rename over
    the old one (running daemons reload on the rename)."""
    tmp = Path(path).with_name(".%s.tmp" % Path(path).name)
    tmp.write_text("\n".join(config_lines(config)) + "\n")
    os.replace(tmp, path)


class Suite:
    """What one behave process shares between its scenarios."""

    def __init__(self):
        self.build_dir = build_dir()
        self.rpcd = self.build_dir / "dlc-rpcd"
        self.gateway = self.build_dir / "dlc-gateway"
        self.template = "dlc_tmpl_%d" % os.getpid()
        self.build_info = {}
        self._numbers = itertools.count(1)
        self._open_stacks = set()

    def setup(self):
        """Checks the prerequisites, then creates and migrates the template."""
        pg.require_env()
        if not os.access(self.rpcd, os.X_OK):
            raise SetupError("%s not found: build first (scripts/dlc build) or set "
                             "DLC_BUILD_DIR" % self.rpcd)
        self.build_info = read_build_info(self.rpcd)
        atexit.register(self._emergency_cleanup)
        pg.sweep_stale_databases()
        _sweep_stale_temp_dirs()
        pg.create_database(self.template)
        self._migrate(self.template)

    def _migrate(self, database):
        proc = subprocess.run([str(self.rpcd), "migrate"], capture_output=True, text=True,
                              timeout=120, env=daemon_env(DLC_DATABASE_NAME=database))
        if proc.returncode != 0:
            raise SetupError("`dlc-rpcd migrate` on %s: %s\n%s" % (
                database, describe_status(proc.returncode), proc.stderr[-4000:]))

    def teardown(self):
        atexit.unregister(self._emergency_cleanup)
        pg.drop_database(self.template)

    def new_stack(self):
        stack = Stack(self, next(self._numbers))
        self._open_stacks.add(stack)
        return stack

    def forget(self, stack):
        self._open_stacks.discard(stack)

    def _emergency_cleanup(self):
        """An aborted run (Ctrl-C, hook crash) must not leave daemons or
        databases behind; the normal path has emptied the set already."""
        for stack in list(self._open_stacks):
            stack.kill()
            stack.remove_files()
        for name in [s.database for s in self._open_stacks] + [self.template]:
            try:
                pg.drop_database(name)
            except Exception:  # best effort while the interpreter exits
                pass


def _sweep_stale_temp_dirs():
    """Removes the temp dirs of runs whose process is gone (a run killed
    with SIGKILL cannot clean up after itself)."""
    for parent in {tempfile.gettempdir(), "/tmp"}:
        for entry in os.scandir(parent):
            match = _TEMP_DIR.match(entry.name)
            if match and entry.is_dir() and not pg.process_alive(int(match.group(1))):
                shutil.rmtree(entry.path, ignore_errors=True)


def _make_temp_dir(prefix):
    """A private temp dir whose socket path fits in sun_path."""
    path = tempfile.mkdtemp(prefix=prefix)
    if len(path) + len("/rpcd.ipc") <= _MAX_SOCKET_PATH:
        return path
    os.rmdir(path)
    return tempfile.mkdtemp(prefix=prefix, dir="/tmp")


class Replica:
    """A further gateway (and maybe core) of a scenario; see add_replica."""

    def __init__(self, number, port):
        self.number = number
        self.port = port
        self.core = None
        self.gateway = None


class Stack:
    """One scenario's database, config and daemons."""

    # How features name the first daemons (see daemon_named), and the
    # attribute of each.
    DAEMON_NAMES = {"gateway": "gateway", "RPC core": "core"}

    def __init__(self, suite, number):
        self.suite = suite
        tag = "%d_%d" % (os.getpid(), number)
        self.database = "dlc_s_" + tag
        # Database first: if the copy fails there is no dir to leak (a
        # database left by a dying run is swept by the next one).
        pg.create_database(self.database, template=suite.template)
        self.dir = _make_temp_dir("dlc-bdd-%s-" % tag)
        self.overrides = {}
        self.port = None
        self.core = None
        self.gateway = None
        self.replicas = []  # more gateways (and cores): see add_replica
        self.selected = 0   # the gateway requests go to: 0 = the first
        self.problems = []

    # -- configuration -------------------------------------------------

    @property
    def socket_path(self):
        return os.path.join(self.dir, "rpcd.ipc")

    @property
    def config_path(self):
        return os.path.join(self.dir, "dlc.yaml")

    def config(self):
        """The scenario's config: what every scenario needs, then the
        overrides its Given steps asked for."""
        url = "ipc://" + self.socket_path  # absolute path: ipc:///tmp/…
        config = {
            "server.listen": "127.0.0.1:%d" % self.port,
            "server.threads": 16,
            "rpc.listen": [url],
            "rpc.endpoints": [url],
            "rpc.workers": 4,
            "database.name": self.database,
            "auth.password.hash_strength": "min",
            # scenarios send bursts; features/ratelimit turns limits on
            "ratelimit.enabled": False,
            "logging.json": True,
            # no admin port (parallel scenarios would share 9091);
            # features/observability gives the core one
            "admin.listen": "",
        }
        config.update(self.overrides)
        # None: the key is left out, the daemon's own default applies
        return {key: value for key, value in config.items() if value is not None}

    def config_line_of(self, key):
        """The line of the config file that sets key (1-based)."""
        for number, line in enumerate(config_lines(self.config()), start=1):
            if line.startswith(key + ":"):
                return number
        raise AssertionError("%s is not in the scenario's config file" % key)

    def edit_config(self, key, value):
        """Rewrites the config file under running daemons (no restart): the
        hot-reload path."""
        self.ensure_started()
        self.overrides[key] = value
        write_config(self.config_path, self.config())

    def configure(self, key, value):
        """Sets one config key; daemons already running are restarted so
        the rest of the scenario sees the new value."""
        self.configure_many({key: value})

    def configure_many(self, values):
        """Sets several config keys ({key: value}) with at most one
        restart of the running daemons.

        A restart stops the replicas for good (stop() forgets them), so a
        scenario that configures after adding replicas would silently go
        on with one gateway and one core: that fails here instead."""
        if self.replicas:
            raise AssertionError(
                "configure before adding replicas: setting %s would restart the stack and "
                "drop its %d replica(s); move the step that sets it before the step that "
                "adds them" % (", ".join(sorted(values)), len(self.replicas)))
        self.overrides.update(values)
        if self.started:
            self.stop()
            self.start()

    # -- life cycle ----------------------------------------------------

    @property
    def started(self):
        return self.core is not None

    @property
    def address(self):
        """(host, port) of the selected gateway, starting the daemons if
        needed."""
        return "127.0.0.1", self.gateway_ports()[self.selected]

    def gateway_ports(self):
        """The port of every gateway, the first one started first (the
        gateway features call 1), starting the daemons if needed."""
        self.ensure_started()
        return [self.port] + [r.port for r in self.replicas]

    def daemon_named(self, which):
        """The first gateway or core, by the name features give it
        ("gateway", "RPC core")."""
        if which not in self.DAEMON_NAMES:
            raise AssertionError("say %s, not %r" % (
                " or ".join("'%s'" % name for name in self.DAEMON_NAMES), which))
        daemon = getattr(self, self.DAEMON_NAMES[which])
        if daemon is None:
            raise AssertionError("the %s has not been started" % which)
        return daemon

    def add_replica(self, with_core):
        """Starts one more gateway on its own port (and, with_core, one more
        dlc-rpcd behind it only) on the same database, the way operators run
        replicas. Returns its number (2 for the first one added). Replicas
        come last: configure() after this would restart the stack without
        them, so it refuses."""
        self.ensure_started()
        number = len(self.replicas) + 2
        replica = Replica(number, free_port())
        config = self.config()
        config["server.listen"] = "127.0.0.1:%d" % replica.port
        socket_path = os.path.join(self.dir, "rpcd-%d.ipc" % number)
        if with_core:
            config["rpc.listen"] = config["rpc.endpoints"] = ["ipc://" + socket_path]
        config_path = os.path.join(self.dir, "dlc-%d.yaml" % number)
        write_config(config_path, config)
        self.replicas.append(replica)
        if with_core:
            replica.core = self._spawn("dlc-rpcd", self.suite.rpcd, "rpcd-%d.log" % number,
                                       config_path)
            self._wait_until(lambda: os.path.exists(socket_path),
                             "dlc-rpcd %d to listen on %s" % (number, socket_path))
        replica.gateway = self._spawn("dlc-gateway", self.suite.gateway,
                                      "gateway-%d.log" % number, config_path)
        self._wait_for_gateway(replica.port)
        return number

    def ensure_started(self):
        if not self.started:
            self.start()

    def start(self):
        """Core first and waited for, so a gateway failure is never a core
        failure in disguise; then the gateway, ready when /api/ready is 200."""
        self.start_core()
        if not os.access(self.suite.gateway, os.X_OK):
            raise SetupError("%s not found: build it (scripts/dlc build)" % self.suite.gateway)
        self.gateway = self._spawn("dlc-gateway", self.suite.gateway, "gateway.log")
        self._wait_for_gateway(self.port)

    def start_core(self):
        """Writes the config and starts dlc-rpcd; returns once it listens."""
        self.port = free_port()
        write_config(self.config_path, self.config())
        self.core = self._spawn("dlc-rpcd", self.suite.rpcd, "rpcd.log")
        self._wait_until(lambda: os.path.exists(self.socket_path),
                         "dlc-rpcd to listen on %s" % self.socket_path)

    def _spawn(self, name, binary, log_name, config_path=None):
        log_path = os.path.join(self.dir, log_name)
        argv = [str(binary), "--config", config_path or self.config_path]
        with open(log_path, "a") as log:
            log.write("# suite: %s\n" % " ".join(argv))
        return Daemon(name, argv, daemon_env(), log_path)

    def _wait_until(self, condition, what, timeout=READY_TIMEOUT_S):
        """Polls condition(); fails at once when a daemon dies meanwhile
        (waiting out the timeout would only hide the crash)."""
        def done():
            if condition():
                return True
            for daemon in self.daemons():
                if not daemon.running():
                    raise SetupError("%s died while waiting for %s: %s\n%s" % (
                        daemon.name, what, describe_status(daemon.exit_code()),
                        self.logs_report()))
            return False

        try:
            poll.until(done, timeout, what, report=self.logs_report)
        except SetupError:
            raise
        except AssertionError as e:  # the timeout: a setup failure too
            raise SetupError(str(e)) from None

    def _wait_for_gateway(self, port):
        last = {}

        def ready():
            try:
                resp = http.request("127.0.0.1", port, "GET", "/api/ready", timeout=2)
            except OSError as e:
                last["answer"] = repr(e)
                return False
            last["answer"] = resp.describe()
            return resp.status == 200

        try:
            self._wait_until(ready, "GET /api/ready to answer 200")
        except SetupError as e:
            raise SetupError("%s\nlast answer: %s" % (e, last.get("answer"))) from None

    def daemons(self):
        """Started daemons, gateway first: the order to stop them in, so
        requests in flight can still reach the core while they drain."""
        gateways = [self.gateway] + [r.gateway for r in self.replicas]
        cores = [self.core] + [r.core for r in self.replicas]
        return [d for d in gateways + cores if d is not None]

    def stop_core(self):
        """Stops dlc-rpcd alone (the gateway keeps running); returns the
        problem, if any, after recording it."""
        return self._stop(self.core)

    def _stop(self, daemon):
        problem = daemon.stop()
        if problem:
            self.problems.append(problem)
        return problem

    def stop(self):
        for daemon in self.daemons():
            self._stop(daemon)
        self.core = self.gateway = None
        self.replicas = []
        self.selected = 0

    def kill(self):
        for daemon in self.daemons():
            daemon.kill()

    def close(self):
        """Stops everything and drops the scenario's database; the temp dir
        stays for remove_files(), so the logs can still be read. Returns the
        problems seen over the whole scenario."""
        try:
            self.stop()
        finally:
            self.suite.forget(self)
            pg.drop_database(self.database)
        return self.problems

    def remove_files(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def logs_report(self, lines=30):
        """The tail of every log this scenario wrote (also after a stop)."""
        parts = []
        names = ["rpcd.log", "gateway.log"]
        for r in self.replicas:
            names += ["rpcd-%d.log" % r.number, "gateway-%d.log" % r.number]
        for log_name in names:
            path = os.path.join(self.dir, log_name)
            if os.path.exists(path):
                parts.append("---- %s (last %d lines) ----\n%s" % (path, lines, tail(path, lines)))
        return "\n".join(parts)
