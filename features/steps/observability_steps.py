"""Steps about observability: the core's admin port (metrics, probes), a
real Prometheus server scraping both daemons, and the access logs."""
import json
import os
import shutil
import subprocess
import urllib.parse

from behave import given, then

import dlc_bdd.types  # noqa: F401  (registers Path, Key, Text)
from dlc_bdd import http, poll
from dlc_bdd.daemon import log_records
from dlc_bdd.daemon import Daemon
from dlc_bdd.world import free_port

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
PROMETHEUS_TIMEOUT_S = 20.0


@given("the RPC core serves its admin port")
def step_admin_port(context):
    context.admin_port = free_port()
    context.stack.configure("admin.listen", "127.0.0.1:%d" % context.admin_port)
    context.stack.ensure_started()


def _admin_get(context, path):
    return http.request("127.0.0.1", context.admin_port, "GET", path, timeout=5)


@then('the admin port answers GET "{path:Path}" with {status:d}')
def step_admin_answers(context, path, status):
    answer = _admin_get(context, path)
    if answer.status != status:
        raise AssertionError("GET %s on the admin port: %s" % (path, answer.describe()))


@then("promtool accepts the metrics of both daemons")
def step_promtool(context):
    if not os.access(PROMTOOL, os.X_OK):
        raise AssertionError("%s not found: install the Debian package prometheus" % PROMTOOL)
    gateway = http.request("127.0.0.1", context.stack.gateway_ports()[0], "GET", "/metrics",
                           timeout=5)
    for name, answer in (("gateway", gateway), ("core", _admin_get(context, "/metrics"))):
        if answer.status != 200 or "version=0.0.4" not in (answer.header("Content-Type") or ""):
            raise AssertionError("GET /metrics of the %s: %s" % (name, answer.describe()))
        check = subprocess.run([PROMTOOL, "check", "metrics"], input=answer.body,
                               capture_output=True, timeout=30)
        if check.returncode != 0:
            raise AssertionError("promtool refuses the %s's metrics: %s\n%s" % (
                name, check.stdout.decode() + check.stderr.decode(), answer.text()))


def _prometheus_config(context):
    gateway = "127.0.0.1:%d" % context.stack.gateway_ports()[0]
    core = "127.0.0.1:%d" % context.admin_port
    return "\n".join([
        "global:",
        "  scrape_interval: 1s",
        "  scrape_timeout: 1s",
        "scrape_configs:",
        "  - job_name: dlc-gateway",
        "    static_configs: [{targets: [%s]}]" % json.dumps(gateway),
        "  - job_name: dlc-rpcd",
        "    static_configs: [{targets: [%s]}]" % json.dumps(core),
        ""])


@given("a Prometheus server scrapes both daemons every second")
def step_prometheus(context):
    if not os.access(PROMETHEUS, os.X_OK):
        raise AssertionError("%s not found: install the Debian package prometheus "
                             "(scripts/dlc deps)" % PROMETHEUS)
    folder = os.path.join(context.stack.dir, "prometheus")
    os.makedirs(os.path.join(folder, "data"))
    config = os.path.join(folder, "prometheus.yml")
    with open(config, "w") as f:
        f.write(_prometheus_config(context))
    context.prometheus_port = free_port()
    argv = [PROMETHEUS, "--config.file=" + config,
            "--storage.tsdb.path=" + os.path.join(folder, "data"),
            "--web.listen-address=127.0.0.1:%d" % context.prometheus_port,
            "--log.level=warn"]
    daemon = Daemon("prometheus", argv, dict(os.environ), os.path.join(folder, "prometheus.log"))

    def stop():
        daemon.stop()
        shutil.rmtree(folder, ignore_errors=True)

    context.add_cleanup(stop)
    context.prometheus = daemon


def _query(context, expr):
    """The samples of an instant query: [(labels, float)]."""
    path = "/api/v1/query?query=" + urllib.parse.quote(expr, safe="")
    answer = http.request("127.0.0.1", context.prometheus_port, "GET", path, timeout=5)
    if answer.status != 200:
        return []
    body = answer.json()
    return [(r["metric"], float(r["value"][1])) for r in body["data"]["result"]]


def _await_query(context, expr, accept, what):
    last = {}

    def done():
        if not context.prometheus.running():
            raise AssertionError("prometheus exited:\n%s" % context.prometheus.tail())
        try:
            last["samples"] = _query(context, expr)
        except OSError as e:
            last["samples"] = repr(e)
            return False
        return isinstance(last["samples"], list) and accept(last["samples"])

    poll.until(done, PROMETHEUS_TIMEOUT_S, what,
               report=lambda: "last answer to %s: %r\n%s" % (
                   expr, last.get("samples"), context.prometheus.tail()))


@then("Prometheus reports both daemons up")
def step_both_up(context):
    def accept(samples):
        up = {s[0].get("job"): s[1] for s in samples}
        return up.get("dlc-gateway") == 1 and up.get("dlc-rpcd") == 1

    _await_query(context, "up", accept, "Prometheus to see both daemons up")


@then("Prometheus reports {expr} at least {count:d}")
def step_at_least(context, expr, count):
    _await_query(context, "sum(%s)" % expr, lambda s: s and s[0][1] >= count,
                 "Prometheus to report sum(%s) >= %d" % (expr, count))


# -- access logs --------------------------------------------------------------

def _records(context, which):
    return log_records(context.stack.daemon_named(which).log_path)


def _access_lines(context, which):
    msg = {"gateway": "http", "RPC core": "rpc"}[which]
    return [r for r in _records(context, which) if r.get("msg") == msg and r.get("level") == "info"]


@then('the gateway logged an access line for "{route:Text}" with status {status:d}')
def step_gateway_access(context, route, status):
    def found():
        for r in _access_lines(context, "gateway"):
            if r.get("route") == route and r.get("status") == status:
                return r
        return None

    line = poll.until(found, 5, "an access line for %s" % route,
                      report=lambda: context.stack.logs_report())
    for key in ("request_id", "method", "client_ip", "trace_id"):
        if key not in line:
            raise AssertionError("the access line has no %s: %r" % (key, line))
    if not isinstance(line["duration_ms"], (int, float)) or line["duration_ms"] < 0:
        raise AssertionError("duration_ms is not a JSON number: %r" % line)
    context.access_line = line


@then('its trace_id is "{trace:Text}"')
def step_trace(context, trace):
    if context.access_line.get("trace_id") != trace:
        raise AssertionError("trace_id: %r" % context.access_line)


@then('the RPC core logged an access line for "{method:Text}" with code "{code:Text}"')
def step_core_access(context, method, code):
    def found():
        for r in _access_lines(context, "RPC core"):
            if r.get("method") == method and r.get("code") == code:
                return r
        return None

    line = poll.until(found, 5, "a core access line for %s" % method,
                      report=lambda: context.stack.logs_report())
    if not isinstance(line.get("duration_ms"), (int, float)):
        raise AssertionError("duration_ms is not a JSON number: %r" % line)
    for key in ("request_id", "peer"):
        if key not in line:
            raise AssertionError("the core's access line has no %s: %r" % (key, line))
    if line["request_id"] != context.access_line["request_id"]:
        raise AssertionError("request ids differ: %r vs %r" % (line, context.access_line))


@then("the {which} logged no access line after the reload")
def step_no_access(context, which):
    records = _records(context, which)
    reloaded = [i for i, r in enumerate(records) if r.get("msg") == "configuration reloaded"]
    if not reloaded:
        raise AssertionError("the %s logged no reload" % which)
    msg = {"gateway": "http", "RPC core": "rpc"}[which]
    after = [r for r in records[reloaded[-1] + 1:] if r.get("msg") == msg and
             r.get("level") == "info"]
    if after:
        raise AssertionError("the %s logged access lines after the reload: %r" % (which, after[:2]))


@then('its user_id is the JSON at "{key:Key}"')
def step_user_id(context, key):
    want = str(context.response.json()[key])
    if context.access_line.get("user_id") != want:
        raise AssertionError("user_id %r, expected %r: %r" % (
            context.access_line.get("user_id"), want, context.access_line))


@then('within {seconds:g} seconds the admin port answers GET "{path:Path}" with {status:d}')
def step_admin_answers_within(context, seconds, path, status):
    last = {}

    def answered():
        try:
            answer = _admin_get(context, path)
        except OSError as e:
            last["answer"] = repr(e)
            return False
        last["answer"] = answer.describe()
        return answer.status == status

    poll.until(answered, seconds, "GET %s on the admin port to answer %d" % (path, status),
               report=lambda: "last: %s" % last.get("answer"))


@when("the RPC core receives SIGTERM")
def step_core_sigterm(context):
    context.stack.core.terminate()
