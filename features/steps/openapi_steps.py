"""Steps about the API's description of itself: /api/openapi.json checked
against the running gateway and core, and /api/docs rendered by headless
Chromium (scripts/webtools installs it and the npm files)."""
import json
import subprocess
import sys

from behave import given, then, when

import dlc_bdd.types  # noqa: F401  (registers Path, Key, Text)
from dlc_bdd.client import JSON, send
from dlc_bdd.world import REPO_ROOT

WEBTOOLS = str(REPO_ROOT / "scripts" / "webtools")


def _document(context):
    """The served document (fetched once per scenario)."""
    if getattr(context, "openapi", None) is None:
        answer = send(context, "GET", "/api/openapi.json")
        if answer.status != 200:
            raise AssertionError("GET /api/openapi.json: %s" % answer.describe())
        context.openapi = answer.json()
    return context.openapi


def _operations(doc):
    """(METHOD, template, operation) for every operation of the document."""
    for template, item in doc["paths"].items():
        for method, op in item.items():
            yield method.upper(), template, op


def _instantiate(template):
    """A concrete path for a template: every {variable} becomes x1."""
    out, rest = "", template
    while "{" in rest:
        head, _, tail = rest.partition("{")
        out += head + "x1"
        rest = tail.partition("}")[2]
    return out + rest


def _requires_token(op):
    """The operation lists security requirements and none is empty ({})."""
    security = op.get("security", [])
    return bool(security) and all(requirement for requirement in security)


@when("I call every operation of the document without a token")
def step_call_every_operation(context):
    """One request per documented operation, variables as x1, bodies {}."""
    doc = _document(context)
    context.request_headers.pop("Authorization", None)
    context.calls = []
    for method, template, op in _operations(doc):
        body = "{}" if "requestBody" in op else None
        answer = send(context, method, _instantiate(template), body, JSON if body else None)
        context.calls.append((method, template, op, answer))


def _is_router_miss(answer):
    """The gateway's own "no route" 404 or its 405, not an API's 404."""
    if answer.status == 405:
        return True
    if answer.status != 404:
        return False
    try:
        return json.loads(answer.body).get("message") == "no route for this path"
    except ValueError:
        return False


@then("every one of them was routed")
def step_all_routed(context):
    misses = ["%s %s → %d" % (m, t, a.status) for m, t, _, a in context.calls if _is_router_miss(a)]
    assert not misses, "documented but not routed: " + "; ".join(misses)


@then("every operation that requires a token answered 401")
def step_token_ops_401(context):
    wrong = ["%s %s → %s" % (m, t, a.describe(200)) for m, t, op, a in context.calls
             if _requires_token(op) and a.status != 401]
    assert not wrong, "documented as needing a token, but: " + "; ".join(wrong)
    assert any(_requires_token(op) for _, _, op, _ in context.calls), "no operation needs a token?"


@then("every operation that answered 401 documents it")
def step_401_documented(context):
    wrong = ["%s %s" % (m, t) for m, t, op, a in context.calls
             if a.status == 401 and "401" not in op.get("responses", {})]
    assert not wrong, "answered 401 without documenting it: " + "; ".join(wrong)


@then("every operation that does not document 401 answered something else")
def step_no_surprise_401(context):
    step_401_documented(context)


@given("swagger-ui-dist is installed")
def step_npm_tools(context):
    """scripts/webtools install: idempotent, quick once done."""
    subprocess.run([WEBTOOLS, "install"], check=True)


@when('headless Chromium loads "{path:Path}"')
def step_chromium(context, path):
    """The page's DOM after its scripts ran. Chromium is installed by
    scripts/webtools when missing; only if that is impossible is the
    scenario skipped, loudly."""
    _document(context)
    step_npm_tools(context)
    if subprocess.run([WEBTOOLS, "chromium"]).returncode != 0:
        sys.__stderr__.write("\n*** SKIPPED: chromium cannot be installed; /api/docs untested ***\n")
        context.scenario.skip("chromium cannot be installed")
        return
    host, port = context.stack.address
    done = subprocess.run([WEBTOOLS, "dom", "http://%s:%d%s" % (host, port, path)],
                          capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise AssertionError("chromium failed: %s" % done.stderr[-2000:])
    context.dom = done.stdout


@then("the page shows every operation of the document")
def step_page_shows_operations(context):
    missing = []
    for method, template, op in _operations(context.openapi):
        if ('data-path="%s"' % template) not in context.dom:
            missing.append("path " + template)
        if (">%s<" % op["operationId"]) not in context.dom:
            missing.append("operation " + op["operationId"])
    assert not missing, "not on the page: %s (DOM: %d characters)" % (
        ", ".join(missing), len(context.dom))
