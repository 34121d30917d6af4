"""Steps about hot reload: editing the config file under running daemons,
waiting on the config generation both report in /api/info (never on a
fixed sleep), and reading what the daemons logged about it."""
import json
import os
import signal

from behave import given, then, when

import dlc_bdd.types  # noqa: F401  (registers Path, Key, Text)
from dlc_bdd import http, poll
from dlc_bdd.daemon import log_records

RELOAD_TIMEOUT_S = 10.0


def _log(context, which):
    """The log file of the first gateway or core ("gateway", "RPC core")."""
    return context.stack.daemon_named(which).log_path


def _generations(context):
    """(core, gateway) config generations, from /api/info."""
    host, port = context.stack.address
    answer = http.request(host, port, "GET", "/api/info", timeout=5)
    if answer.status != 200:
        raise AssertionError("GET /api/info: %s" % answer.describe())
    body = answer.json()
    return body["config_generation"], body["gateway_config_generation"]


def _wait_for(what, condition, context):
    poll.until(condition, RELOAD_TIMEOUT_S, what, report=context.stack.logs_report)


@given("both daemons run with config generation {generation:d}")
def step_generation_start(context, generation):
    context.stack.ensure_started()
    actual = _generations(context)
    if actual != (generation, generation):
        raise AssertionError("config generations (core, gateway) are %r" % (actual,))


@when('the config file is edited to set "{key:Key}" to {literal}')
def step_edit_and_wait(context, key, literal):
    """Edits the file, then waits until both daemons took the change."""
    before = _generations(context)
    context.stack.edit_config(key, json.loads(literal))
    _wait_for("both daemons to reload (generations above %r)" % (before,),
              lambda: all(a > b for a, b in zip(_generations(context), before)), context)


@when('the config file is edited with the invalid value {literal} for "{key:Key}"')
def step_edit_invalid(context, key, literal):
    """Edits the file with a value the daemons must refuse; waits until both
    logged the refusal (the generation cannot tell: it must not move)."""
    context.stack.edit_config(key, json.loads(literal))
    for which in context.stack.DAEMON_NAMES:
        log = _log(context, which)
        _wait_for("%s to refuse the new config" % which,
                  lambda log=log: any("refused" in r.get("msg", "") for r in log_records(log)),
                  context)


@when("both daemons receive SIGHUP")
def step_sighup(context):
    context.stack.ensure_started()
    for which in context.stack.DAEMON_NAMES:
        os.kill(context.stack.daemon_named(which).pid, signal.SIGHUP)


@then("both daemons report config generation {generation:d}")
def step_generation(context, generation):
    actual = _generations(context)
    if actual != (generation, generation):
        raise AssertionError("config generations (core, gateway) are %r, expected %d\n%s" % (
            actual, generation, context.stack.logs_report()))


def _find(context, which, level, accept, what):
    records = log_records(_log(context, which))
    if not any(r.get("level") == level and accept(r) for r in records):
        raise AssertionError("the %s logged no %s line %s\n%s" % (
            which, level, what, context.stack.logs_report()))


@then("the {which} logged a debug line")
def step_debug_line(context, which):
    _find(context, which, "debug", lambda r: True, "")


@then("the {which} logged no debug line")
def step_no_debug_line(context, which):
    debug = [r for r in log_records(_log(context, which)) if r.get("level") == "debug"]
    if debug:
        raise AssertionError("the %s logged debug lines: %r" % (which, debug[:3]))


@then('the {which} logged an error naming the config file line of "{key:Key}"')
def step_error_line(context, which, key):
    where = "%s:%d" % (context.stack.config_path, context.stack.config_line_of(key))
    _find(context, which, "error", lambda r: where in r.get("error", "") and key in r["error"],
          "naming %s and %s" % (where, key))


@then('the {which} logged a warning that "{key:Key}" needs a restart')
def step_restart_warning(context, which, key):
    _find(context, which, "warn",
          lambda r: r.get("key") == key and "restart" in r.get("msg", ""),
          "saying that %s needs a restart" % key)


@then('the {which} logged "{message:Text}"')
def step_logged(context, which, message):
    log = _log(context, which)
    _wait_for("the %s to log %r" % (which, message),
              lambda: any(r.get("msg") == message for r in log_records(log)), context)
