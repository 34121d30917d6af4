"""Steps about tracing: the W3C trace context the gateway answers with
(`traceresponse`), the trace ids both daemons log on their request lines,
and the spans they export to a stand-in OTLP collector (dlc_bdd/otlp.py)."""
import re

from behave import given, then

import dlc_bdd.types  # noqa: F401  (registers Path, Key, Text)
from dlc_bdd import poll
from dlc_bdd.client import response
from dlc_bdd.daemon import log_records
from dlc_bdd.otlp import Receiver
from dlc_bdd.world import free_port

# How long a request's log line may follow its answer.
LOG_WAIT_S = 5.0

SPAN_WAIT_S = 10.0
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
SERVICES = {"gateway": "dlc-gateway", "RPC core": "dlc-rpcd"}
LOG_LINES = {"gateway": "http", "RPC core": "rpc"}


def _trace(context):
    """(trace id, gateway span id, sampled) of the last answer's
    traceresponse header."""
    value = response(context).header("traceresponse") or ""
    match = _TRACEPARENT.match(value)
    if not match:
        raise AssertionError("traceresponse is not a version-00 trace context: %r" % value)
    trace_id, span_id, flags = match.groups()
    return trace_id, span_id, int(flags, 16) & 1 == 1


def _receiver(context):
    receiver = getattr(context, "otlp", None)
    if receiver is None:
        raise AssertionError("no OTLP receiver in this scenario: add the Given step for it")
    return receiver


def _span(context, which):
    """The exported span of `which` daemon in the last answer's trace."""
    trace_id = _trace(context)[0]
    return _receiver(context).wait_for_span(trace_id, SERVICES[which], SPAN_WAIT_S,
                                            report=context.stack.logs_report)


@given("an OTLP receiver collects the exported spans")
def step_receiver(context):
    """Starts the receiver and points both daemons at it, with debug logs
    (the per-request lines that carry the trace ids are debug lines)."""
    context.otlp = Receiver(free_port())
    context.add_cleanup(context.otlp.stop)
    context.stack.configure_many({"telemetry.enabled": True,
                                  "telemetry.endpoint": context.otlp.endpoint,
                                  "logging.level": "debug"})


@then('the response continues the trace "{trace_id:Key}"')
def step_continues(context, trace_id):
    actual = _trace(context)[0]
    if actual != trace_id:
        raise AssertionError("the answer is of trace %s, not %s" % (actual, trace_id))


@then('the response starts a new trace, not "{trace_id:Key}"')
def step_new_trace(context, trace_id):
    actual = _trace(context)[0]
    if actual in (trace_id, "0" * 32):
        raise AssertionError("the answer's trace id is %s" % actual)


@then("the response says the trace is {state}")
def step_sampled(context, state):
    expected = {"sampled": True, "not sampled": False}[state]
    if _trace(context)[2] != expected:
        raise AssertionError("traceresponse %s is not %s" % (
            response(context).header("traceresponse"), state))


@then("both daemons logged the trace on their request lines")
def step_logged_trace(context):
    trace_id, gateway_span, _ = _trace(context)
    for which, msg in LOG_LINES.items():
        def logged(which=which, msg=msg):
            """The request's line: the gateway writes its line once the
            answer is out, so the client may see the answer first."""
            found = [r for r in log_records(context.stack.daemon_named(which).log_path)
                     if r.get("msg") == msg and r.get("trace_id") == trace_id]
            return found if found else None
        lines = poll.until(logged, LOG_WAIT_S, "the %s's %r line of trace %s" % (
            which, msg, trace_id), report=context.stack.logs_report)
        if len(lines) != 1 or not re.match(r"^[0-9a-f]{16}$", lines[0].get("span_id", "")):
            raise AssertionError("the %s logged %d %r lines of trace %s (with a span_id)\n%s" % (
                which, len(lines), msg, trace_id, context.stack.logs_report()))
        if which == "gateway" and lines[0]["span_id"] != gateway_span:
            raise AssertionError("the gateway logged span %s, answered %s" % (
                lines[0]["span_id"], gateway_span))
        context.remembered["logged span of %s in %s" % (which, trace_id)] = lines[0]["span_id"]


@then('the {which} exported its span named "{name:Text}"')
def step_exported(context, which, name):
    span = _span(context, which)
    if span.get("name") != name or span.get("kind") != 2:
        raise AssertionError("the %s span is %r" % (which, span))
    logged = context.remembered.get("logged span of %s in %s" % (which, span["traceId"]))
    if logged is not None and span["spanId"] != logged:
        raise AssertionError("the %s exported span %s but logged %s" % (
            which, span["spanId"], logged))
    if not int(span["startTimeUnixNano"]) <= int(span["endTimeUnixNano"]):
        raise AssertionError("the %s span ends before it starts: %r" % (which, span))


@then('the gateway\'s span is a child of "{parent:Key}"')
def step_gateway_parent(context, parent):
    span = _span(context, "gateway")
    if span.get("parentSpanId") != parent or span["spanId"] != _trace(context)[1]:
        raise AssertionError("the gateway span is %r" % span)


@then("the gateway's span is the root of its trace")
def step_gateway_root(context):
    span = _span(context, "gateway")
    if span.get("parentSpanId"):
        raise AssertionError("the gateway span has a parent: %r" % span)


@then("the RPC core's span is a child of the gateway's span")
def step_core_parent(context):
    core = _span(context, "RPC core")
    if core.get("parentSpanId") != _trace(context)[1]:
        raise AssertionError("the core span's parent is %r, the gateway span is %s" % (
            core.get("parentSpanId"), _trace(context)[1]))


@then("the {which} span has the attributes")
def step_attributes(context, which):
    span = _span(context, which)
    for row in context.table:
        expected = row["value"]
        actual = span.attribute(row["attribute"])
        if str(actual) != expected:
            raise AssertionError("%s: %r, expected %r in %r" % (
                row["attribute"], actual, expected, span))


@then("the receiver got OTLP JSON posts on /v1/traces")
def step_posts(context):
    posts = list(_receiver(context).posts)
    if not posts or any(p != ("/v1/traces", "application/json") for p in posts):
        raise AssertionError("posts: %r" % posts)


@then('the receiver got no span of trace "{name:Key}"')
def step_no_span_of(context, name):
    trace_id = context.remembered[name]
    spans = _receiver(context).spans_of(trace_id)
    if spans:
        raise AssertionError("spans of the unsampled trace %s: %r" % (trace_id, spans))


@then('I remember the trace as "{name:Key}"')
def step_remember_trace(context, name):
    context.remembered[name] = _trace(context)[0]
