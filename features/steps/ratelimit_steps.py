"""Steps about rate limiting: turning limits on, and paced loads spread
over several gateways (the budget lives in the core, so how many gateways
carry a load must not change how many requests it admits)."""
import time

from behave import given, when

import dlc_bdd.types  # noqa: F401  (registers Path, Key, Text)
from dlc_bdd import http


@given("rate limiting allows {per_minute:d} greetings per minute with a burst of {burst:d}")
def step_greet_limit(context, per_minute, burst):
    context.stack.configure_many({
        "ratelimit.enabled": True,
        "ratelimit.requests_per_minute": per_minute,
        "ratelimit.burst_size": burst,
    })


@given('rate limiting allows {requests:d} {policy:Key} attempts per {window:Text} with a burst of {burst:d}')
def step_policy_limit(context, requests, policy, window, burst):
    """policy: login_per_ip, login_per_user or reset_per_user; window a
    duration ("1m", "1h")."""
    values = {"ratelimit.enabled": True}
    for key, value in (("requests", requests), ("window", window), ("burst", burst)):
        values["ratelimit.%s.%s" % (policy, key)] = value
    context.stack.configure_many(values)


def _gateway_ports(context, numbers):
    """The ports of the gateways numbered in "1,2" (1 = the first one)."""
    ports = context.stack.gateway_ports()
    try:
        return [ports[int(n) - 1] for n in numbers.split(",")]
    except (IndexError, ValueError):
        raise AssertionError("no such gateways: %r (there are %d)" % (numbers, len(ports)))


@when('{count:d} requests GET "{path:Path}" at {rate:d} per second through gateways "{numbers}"')
def step_paced_load(context, count, path, rate, numbers):
    """Request i leaves at start + i/rate, round robin over the gateways,
    with the scenario's headers; the statuses are kept for Then steps."""
    ports = _gateway_ports(context, numbers)
    start = time.monotonic()
    context.responses = []
    for i in range(count):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        context.responses.append(http.request("127.0.0.1", ports[i % len(ports)], "GET", path,
                                              headers=context.request_headers))
    context.response = context.responses[-1]

