"""Steps about the scenario's world: configuration, and stopping or
starving the daemons to see how the gateway copes."""
import json
import threading

from behave import given, step, then, when

import dlc_bdd.types  # noqa: F401  (registers Path, Key, Text)
from dlc_bdd import http, pg, poll
from dlc_bdd.client import try_get
from dlc_bdd.daemon import describe_status


# -- configuration (before the daemons start, or they restart) ---------------

@given('the configuration leaves "{key:Key}" at its default')
def step_config_default(context, key):
    """Undoes what every scenario sets for speed (server.threads, the hash
    strength…): the daemon's own default applies."""
    context.stack.configure(key, None)


@given("the configuration sets \"{key:Key}\" to {literal}")
def step_config(context, key, literal):
    """Any config key; literal is JSON (true, 1024, "2s", ["a"])."""
    context.stack.configure(key, json.loads(literal))


@given("the v2 API is {state}")
def step_v2(context, state):
    choices = {"enabled": True, "disabled": False}
    if state not in choices:
        raise AssertionError("say 'enabled' or 'disabled', not %r" % state)
    context.stack.configure("api.v2_enabled", choices[state])


@given("the maximum body size is {size:d} bytes")
def step_max_body(context, size):
    context.stack.configure("server.max_body_bytes", size)


# -- daemons -----------------------------------------------------------------

@given("the gateway is ready")
def step_ready(context):
    """Starts the daemons now (start-up waits for /api/ready to be 200)."""
    context.stack.ensure_started()


@given("a second gateway in front of the same core")
def step_second_gateway(context):
    context.stack.add_replica(with_core=False)


@given("a second core with its own gateway on the same database")
def step_second_core(context):
    context.stack.add_replica(with_core=True)


@step("I use gateway {number:d}")
def step_use_gateway(context, number):
    """Later requests go to that gateway (1 = the first one started)."""
    if not 1 <= number <= len(context.stack.replicas) + 1:
        raise AssertionError("there is no gateway %d" % number)
    context.stack.selected = number - 1


@given("the RPC core is stopped")
def step_core_stopped(context):
    """Started first (the gateway must have seen the core), then SIGTERM:
    the core must still exit cleanly."""
    context.stack.ensure_started()
    problem = context.stack.stop_core()
    if problem:
        raise AssertionError(problem)


@given("the database has been dropped")
def step_database_dropped(context):
    """Takes the database away under a running core (its sessions are
    terminated and cannot come back), the way an outage looks to it."""
    context.stack.ensure_started()
    pg.drop_database(context.stack.database)


@when("the gateway receives SIGTERM")
def step_gateway_sigterm(context):
    context.stack.ensure_started()
    context.stack.gateway.terminate()


@then("the {which} exits with status {code:d} within {seconds:g} seconds")
def step_daemon_exits(context, which, code, seconds):
    daemon = context.stack.daemon_named(which)
    actual = daemon.wait(seconds)
    if actual != code:
        raise AssertionError("%s: %s, expected exit status %d within %g s\n%s" % (
            daemon.name, describe_status(actual), code, seconds, daemon.tail()))


def _poll_get(context, path, seconds, accept):
    """GETs path until accept(answer) (answer None = connection refused)
    or the time is up; the last answer becomes context.response. Polling
    makes steps about asynchronous changes deterministic without sleeps."""
    last = {}

    def accepted():
        answer = last["answer"] = try_get(context, path)
        if answer is not None:
            context.response = answer
        return accept(answer)

    def seen():
        answer = last["answer"]
        return "last: %s" % (answer.describe() if answer else "connection refused")

    poll.until(accepted, seconds, "GET %s to answer as expected" % path, report=seen)


@then('within {seconds:g} seconds GET "{path:Path}" answers {status:d}')
def step_poll_status(context, seconds, path, status):
    _poll_get(context, path, seconds, lambda a: a is not None and a.status == status)


@then('within {seconds:g} seconds GET "{path:Path}" answers with {header:Key} "{value:Text}"')
def step_poll_header(context, seconds, path, header, value):
    _poll_get(context, path, seconds, lambda a: a is not None and a.header(header) == value)


# -- requests held in flight ---------------------------------------------------

HELD_TIMEOUT_S = 5.0


@given('a GET "{path:Path}" is held in flight by a database lock')
def step_hold_request(context, path):
    """The core's health probe reads schema_migrations: with that table
    locked, the request waits inside the core until the lock goes. The step
    returns once the core is seen waiting, so the request is surely in
    flight."""
    stack = context.stack
    stack.ensure_started()
    lock = pg.TableLock(stack.database, "schema_migrations")
    context.add_cleanup(lock.release)
    context.held = {"lock": lock, "answer": None, "error": None}
    poll.until(lock.held, HELD_TIMEOUT_S, "the lock to be granted")

    def run():
        host, port = stack.address
        try:
            context.held["answer"] = http.request(host, port, "GET", path)
        except OSError as e:
            context.held["error"] = e

    context.held["thread"] = threading.Thread(target=run, daemon=True)
    context.held["thread"].start()
    poll.until(lambda: lock.waiters() > 0, HELD_TIMEOUT_S,
               "the request to reach the database (to wait for the lock)")


@when("the database lock is released")
def step_release_lock(context):
    context.held["lock"].release()


@then("the held request gets an HTTP answer within {seconds:g} seconds")
def step_held_answer(context, seconds):
    context.held["thread"].join(seconds)
    if context.held["thread"].is_alive():
        raise AssertionError("the held request is still waiting after %g s" % seconds)
    if context.held["answer"] is None:
        raise AssertionError("the held request got no HTTP answer: %r" % (context.held["error"],))
    context.response = context.held["answer"]


@given('the file "{name:Key}" holds "{text:Text}"')
def step_file_holds(context, name, text):
    """A file in the scenario's directory (0600), e.g. a container secret."""
    import os
    path = os.path.join(context.stack.dir, name)
    with open(path, "w") as f:
        f.write(text + "\n")
    os.chmod(path, 0o600)


@given('"{key:Key}" names the file "{name:Key}"')
def step_config_file_path(context, key, name):
    import os
    context.stack.configure(key, os.path.join(context.stack.dir, name))
