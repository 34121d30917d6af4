#!/usr/bin/env python3
"""Failover on the native topology (scripts/topology), under load through nginx.

Brings the topology up in a temp state folder on free ports (rate limits
and the per-caller bound of idempotency keys off, argon2id at its cheapest), then, each phase under load from LOAD_THREADS
keep-alive clients:
  1. kill -9 one core mid-load: no GET may fail (the gateways dial both
     cores; nng's REQ resends a request whose core vanished to the other);
  2. SIGTERM one gateway mid-load: no GET may fail (nginx retries idempotent
     requests on the other gateway; the gateway drains before it closes);
  3. restart PostgreSQL under a write load (registrations): while it is down
     the answers are 503 with a JSON error body, writes succeed again within
     RECOVERY_BOUND_S of it being back, and every registration that got a
     2xx is in the database;
  4. kill -9 one core under registrations that each carry an
     Idempotency-Key, retried with the same key until they get a 2xx (as a
     careful client does): every acknowledged name is stored exactly once,
     and no repeat ran twice (a second run would answer 409).
Prints `figures: …` lines and closes with "N passed, M failed" (checks).

  failover.py [--build DIR] [--keep]
"""
import argparse
import http.client
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOPOLOGY = os.path.join(ROOT, "scripts", "topology")
LOAD_THREADS = 8
RECOVERY_BOUND_S = 2.0
PG_OUTAGE_S = 2.0
HTTP_TIMEOUT_S = 10


class Topology:
    """scripts/topology in a state folder of its own."""

    def __init__(self, build, state):
        self.env = dict(os.environ, DLC_TOPOLOGY_DIR=state, DLC_BUILD_DIR=build,
                        DLC_RATELIMIT_ENABLED="false",
                        # every load client is one anonymous caller (127.0.0.1)
                        DLC_IDEMPOTENCY_MAX_KEYS="1000000",
                        DLC_AUTH_PASSWORD_HASH_STRENGTH="min")
        self.vars = {}

    def run(self, *args):
        return subprocess.run([TOPOLOGY] + list(args), env=self.env, check=True,
                              stdout=subprocess.PIPE, text=True).stdout

    def up(self):
        self.run("up")
        for line in self.run("env").splitlines():
            if line.startswith("export "):
                key, _, value = line[len("export "):].partition("=")
                self.vars[key] = shlex.split(value)[0] if value else ""

    def pid(self, component):
        with open(self.vars["DLC_TOPOLOGY_%s_PIDFILE" % component.upper()]) as f:
            return int(f.read())

    def url_parts(self):
        return "127.0.0.1", int(self.vars["DLC_TOPOLOGY_NGINX_PORT"])

    def psql(self, sql):
        env = dict(self.env, **{k: v for k, v in self.vars.items() if k.startswith("PG")})
        return subprocess.run(["psql", "-X", "-w", "-At", "-d", "dlc", "-c", sql], env=env,
                              check=True, stdout=subprocess.PIPE, text=True).stdout


class Load:
    """LOAD_THREADS clients, each on its own keep-alive connection, sending
    request() until stopped. Every answer and error is counted; request
    returns (method, path, body) or (method, path, body, headers) and may
    see each answer (on_answer(status, number, n, response))."""

    def __init__(self, host, port, request, on_answer=None):
        self.host, self.port = host, port
        self.request = request
        self.on_answer = on_answer
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.statuses = {}
        self.errors = {}
        self.bodies = {}  # a sample body per non-2xx status
        self.threads = [threading.Thread(target=self._client, args=(i,), daemon=True)
                        for i in range(LOAD_THREADS)]

    def _client(self, number):
        conn = None
        n = 0
        while not self.stop_event.is_set():
            n += 1
            method, path, body, *extra = self.request(number, n)
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(self.host, self.port,
                                                      timeout=HTTP_TIMEOUT_S)
                headers = {"Content-Type": "application/json"} if body is not None else {}
                headers.update(extra[0] if extra else {})
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self._count(resp.status, data)
                if self.on_answer:
                    self.on_answer(resp.status, number, n, resp)
            except (OSError, http.client.HTTPException) as e:
                with self.lock:
                    key = type(e).__name__
                    self.errors[key] = self.errors.get(key, 0) + 1
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def _count(self, status, data):
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if not 200 <= status < 300:
                self.bodies.setdefault(status, data[:300].decode("utf-8", "replace"))

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(HTTP_TIMEOUT_S + 5)

    def total(self):
        return sum(self.statuses.values()) + sum(self.errors.values())

    def failed(self):
        return sum(n for s, n in self.statuses.items() if not 200 <= s < 300) + \
            sum(self.errors.values())

    def describe(self):
        return "requests=%d failed=%d statuses=%s errors=%s" % (
            self.total(), self.failed(), json.dumps(self.statuses, sort_keys=True),
            json.dumps(self.errors, sort_keys=True))


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what):
        print("%s: %s" % ("ok" if ok else "FAIL", what), flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def get(path):
    return lambda number, n: ("GET", path, None)


def under_load(topo, request, action, before_s=1.5, after_s=3.0, on_answer=None):
    """Runs action() mid-load; returns the Load once it stopped."""
    load = Load(*topo.url_parts(), request, on_answer).start()
    time.sleep(before_s)
    action()
    time.sleep(after_s)
    load.stop()
    return load


def phase_core_kill(topo, checks):
    pid = topo.pid("core1")
    load = under_load(topo, get("/api/v1/greet/ann"), lambda: os.kill(pid, signal.SIGKILL))
    print("figures: kill -9 core1 under GET load: %s" % load.describe(), flush=True)
    checks.check(load.failed() == 0 and load.total() > 0, "kill -9 of a core: no GET failed")
    topo.run("up")  # brings core1 back


def phase_gateway_term(topo, checks):
    pid = topo.pid("gateway1")
    load = under_load(topo, get("/api/v1/greet/ann"), lambda: os.kill(pid, signal.SIGTERM))
    print("figures: SIGTERM gateway1 under GET load: %s" % load.describe(), flush=True)
    checks.check(load.failed() == 0 and load.total() > 0, "SIGTERM of a gateway: no GET failed")
    topo.run("up")  # brings gateway1 back


class Registrations:
    """Unique registrations; remembers which got a 2xx, and when writes
    started succeeding again after the database came back."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = set()
        self.back_at = None  # monotonic time the database was ready again
        self.first_ok_after = None

    def request(self, number, n):
        name = "fo%dx%d" % (number, n)
        body = json.dumps({"username": name, "password": "password-%s" % name})
        return "POST", "/api/v1/auth/register", body

    def on_answer(self, status, number, n, _resp):
        if not 200 <= status < 300:
            return
        now = time.monotonic()
        with self.lock:
            self.acked.add("fo%dx%d" % (number, n))
            if self.back_at is not None and self.first_ok_after is None:
                self.first_ok_after = now - self.back_at


def phase_pg_restart(topo, checks):
    regs = Registrations()
    seen_503 = {}

    def restart():
        topo.run("pg", "stop")
        time.sleep(PG_OUTAGE_S)
        topo.run("pg", "start")  # returns once the server accepts connections
        regs.back_at = time.monotonic()

    load = under_load(topo, regs.request, restart, before_s=1.0, after_s=4.0,
                      on_answer=regs.on_answer)
    seen_503 = load.bodies.get(503)
    recovery = regs.first_ok_after
    print("figures: PostgreSQL restart (%.1f s down) under registration load: %s" % (
        PG_OUTAGE_S, load.describe()), flush=True)
    print("figures: writes back %s s after PostgreSQL accepted connections again; "
          "503 body: %s" % ("never" if recovery is None else "%.3f" % recovery, seen_503),
          flush=True)
    body = None
    try:
        body = json.loads(seen_503) if seen_503 else None
    except ValueError:
        pass
    checks.check(isinstance(body, dict) and "error" in body,
                 "database down: 503 with a JSON error body")
    checks.check(recovery is not None and recovery <= RECOVERY_BOUND_S,
                 "writes recover within %.1f s of the database" % RECOVERY_BOUND_S)
    stored = set(topo.psql("SELECT username FROM users WHERE username LIKE 'fo%'").split())
    lost = regs.acked - stored
    print("figures: registrations acknowledged=%d stored=%d lost=%d" % (
        len(regs.acked), len(stored), len(lost)), flush=True)
    checks.check(len(regs.acked) > 0 and not lost, "no acknowledged write lost")


class KeyedRegistrations:
    """Each client registers one name at a time with the name as its
    Idempotency-Key, and sends the same request again (same key) until it
    gets a 2xx, then goes on to the next name."""

    def __init__(self):
        self.lock = threading.Lock()
        self.current = {}  # client number → [name, acknowledged?]
        self.acked = set()
        self.attempts = 0
        self.replayed = 0
        self.conflicts = 0  # 409 already_exists: a repeat that ran twice

    def request(self, number, n):
        with self.lock:
            cur = self.current.get(number)
            if cur is None or cur[1]:
                cur = self.current[number] = ["ik%dx%d" % (number, n), False]
            self.attempts += 1
            name = cur[0]
        body = json.dumps({"username": name, "password": "password-%s" % name})
        return "POST", "/api/v1/auth/register", body, {"Idempotency-Key": name}

    def on_answer(self, status, number, n, resp):
        with self.lock:
            cur = self.current[number]
            if status == 409:
                self.conflicts += 1
            if 200 <= status < 300:
                cur[1] = True
                self.acked.add(cur[0])
                self.replayed += resp.getheader("Idempotent-Replayed") == "true"


def phase_idempotent_posts(topo, checks):
    regs = KeyedRegistrations()
    pid = topo.pid("core2")
    load = under_load(topo, regs.request, lambda: os.kill(pid, signal.SIGKILL), before_s=1.5,
                      after_s=3.0, on_answer=regs.on_answer)
    rows = {}
    for line in topo.psql("SELECT username, count(*) FROM users WHERE username LIKE 'ik%'"
                          " GROUP BY username").split():
        name, _, count = line.partition("|")
        rows[name] = int(count)
    lost = [name for name in regs.acked if rows.get(name) != 1]
    unacked = sorted(set(rows) - regs.acked)
    print("figures: kill -9 core2 under keyed registrations: %s" % load.describe(), flush=True)
    print("figures: keyed registrations attempts=%d acknowledged=%d stored=%d replayed=%d "
          "conflicts=%d stored-but-unacknowledged=%d (the last attempt of each client, cut "
          "off by the end of the load)" % (regs.attempts, len(regs.acked), len(rows),
                                           regs.replayed, regs.conflicts, len(unacked)),
          flush=True)
    checks.check(len(regs.acked) > 0 and not lost,
                 "keyed writes across a core kill: every acknowledged one stored exactly once")
    checks.check(regs.conflicts == 0, "keyed writes across a core kill: no repeat ran twice")
    checks.check(len(unacked) <= LOAD_THREADS,
                 "keyed writes: no stored write but the clients' last ones unacknowledged")
    topo.run("up")  # brings core2 back


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("DLC_BUILD_DIR",
                                                       os.path.join(ROOT, "build", "default")))
    ap.add_argument("--keep", action="store_true", help="keep the state folder")
    args = ap.parse_args()
    state = tempfile.mkdtemp(prefix="dlc-topology-")
    os.chmod(state, 0o755)  # as root PostgreSQL runs as postgres
    topo = Topology(os.path.abspath(args.build), state)
    checks = Checks()
    try:
        topo.up()
        for phase in (phase_core_kill, phase_gateway_term, phase_pg_restart,
                      phase_idempotent_posts):
            phase(topo, checks)
        checks.check(subprocess.run([TOPOLOGY, "status"], env=topo.env).returncode == 0,
                     "every component up after the phases")
    finally:
        subprocess.run([TOPOLOGY, "down"], env=topo.env)
        if args.keep:
            print("kept %s" % state)
        else:
            subprocess.run(["rm", "-rf", state])
    print("%d passed, %d failed" % (checks.passed, checks.failed))
    return 0 if checks.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
