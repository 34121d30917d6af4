"""Then steps about the last answer: status, headers, body, JSON, errors.

Every failure message shows the answer itself, so a red run explains
itself without re-running anything. Expected strings may use ${version},
${commit}, ${build_date} and ${compiler}: what the binaries report.
"""
import json
import re

from behave import then

import dlc_bdd.types  # noqa: F401  (registers Path, Key, Text)
from dlc_bdd.client import build_values, response
from dlc_bdd.expect import check_kind, contains, expand, json_at


def _fail(context, what):
    raise AssertionError("%s\n-- answer --\n%s" % (what, response(context).describe()))


def _check(context, ok, what):
    if not ok:
        _fail(context, what)


def _json_at(context, path):
    return json_at(response(context).json(), path)


def _expected(context, text, regex=False):
    return expand(text, build_values(context), regex)


# -- status and headers ------------------------------------------------------

@then("the status is {status:d}")
def step_status(context, status):
    _check(context, response(context).status == status, "expected status %d" % status)


@then("all of them answered {status:d}")
def step_all_status(context, status):
    statuses = [r.status for r in context.responses]
    _check(context, all(s == status for s in statuses),
           "expected every status to be %d, got %s" % (status, statuses))


@then("{count:d} of them answered {status:d}")
def step_count_status(context, count, status):
    statuses = [r.status for r in context.responses]
    actual = statuses.count(status)
    if actual != count:
        raise AssertionError("%d answers were %d, expected %d: %s" % (
            actual, status, count, statuses))


@then('the content type is "{ctype:Text}"')
def step_content_type(context, ctype):
    actual = response(context).content_type()
    _check(context, actual == ctype.lower(),
           "expected content type %s, got %r" % (ctype, actual))


def _header(context, name):
    value = response(context).header(name)
    _check(context, value is not None, "no %s header" % name)
    return value


@then('the response header "{name:Key}" is present')
def step_header_present(context, name):
    _check(context, _header(context, name).strip() != "", "the %s header is empty" % name)


@then('the response header "{name:Key}" is absent')
def step_header_absent(context, name):
    value = response(context).header(name)
    _check(context, value is None, "unexpected %s header: %r" % (name, value))


@then("the response header \"{name:Key}\" is '{value}'")
@then('the response header "{name:Key}" is "{value:Text}"')
def step_header_is(context, name, value):
    """Single quotes for values that hold double quotes (RateLimit)."""
    expected = _expected(context, value)
    _check(context, _header(context, name) == expected,
           "expected %s: %s" % (name, expected))


@then("one of the response headers \"{name:Key}\" is '{value}'")
def step_one_header_is(context, name, value):
    """A field sent several times (one RateLimit-Policy per policy checked)."""
    expected = _expected(context, value)
    values = response(context).headers.get_all(name) or []
    _check(context, expected in values, "expected %s among %s: %s" % (expected, name, values))


@then('the response header "{name:Key}" contains "{token:Text}"')
def step_header_contains(context, name, token):
    """Token membership in a comma-separated list ("Allow: GET, POST")."""
    tokens = [t.strip() for t in _header(context, name).split(",")]
    _check(context, token in tokens, "expected %s among %s" % (token, tokens))


@then("the response header \"{name:Key}\" matches '{regex}'")
@then('the response header "{name:Key}" matches "{regex:Text}"')
def step_header_matches(context, name, regex):
    pattern = _expected(context, regex, regex=True)
    _check(context, re.search(pattern, _header(context, name)) is not None,
           "expected %s to match %s" % (name, pattern))


@then('the response header "{name:Key}" differs from the remembered "{key:Key}"')
def step_header_differs(context, name, key):
    remembered = context.remembered[key]
    _check(context, _header(context, name) != remembered,
           "expected %s to differ from %r" % (name, remembered))


# -- raw body ----------------------------------------------------------------

@then('the body is "{text:Text}"')
def step_body_is(context, text):
    """Exact, except that one trailing newline is tolerated: text/plain
    answers commonly end their line, and the API does not say."""
    body = response(context).text()
    expected = _expected(context, text)
    _check(context, body in (expected, expected + "\n"), "expected the body %r" % expected)


@then('the body is the remembered "{name:Key}"')
def step_body_remembered(context, name):
    expected = context.remembered[name]
    _check(context, response(context).text() == expected, "expected the body %r" % expected)


@then('the body matches "{regex:Text}"')
def step_body_matches(context, regex):
    r"""re.search with the pattern as written in the feature (so \n in it
    is a newline to the regex); ${…} values are escaped."""
    pattern = _expected(context, regex, regex=True)
    _check(context, re.search(pattern, response(context).text()) is not None,
           "expected the body to match %s" % pattern)


# -- JSON --------------------------------------------------------------------

@then('the JSON at "{path:Key}" is "{value:Text}"')
def step_json_string(context, path, value):
    actual = _json_at(context, path)
    expected = _expected(context, value)
    _check(context, actual == expected,
           "expected %s to be %s, got %s" % (path, json.dumps(expected, ensure_ascii=False),
                                              json.dumps(actual, ensure_ascii=False)))


@then('the JSON at "{path:Key}" equals {literal}')
def step_json_equals(context, path, literal):
    """literal is JSON: true, 3, null, [], {"a": 1}; types must match too
    (1 is not true)."""
    expected = json.loads(literal)
    actual = _json_at(context, path)
    _check(context, type(actual) is type(expected) and actual == expected,
           "expected %s to equal %s, got %s" % (path, literal, json.dumps(actual)))


@then('the JSON at "{path:Key}" is a {kind}')
def step_json_kind(context, path, kind):
    try:
        check_kind(_json_at(context, path), kind, path)
    except AssertionError as e:
        _fail(context, str(e))


@then('the JSON at "{path:Key}" matches "{regex:Text}"')
def step_json_matches(context, path, regex):
    actual = _json_at(context, path)
    pattern = _expected(context, regex, regex=True)
    _check(context, isinstance(actual, str) and re.search(pattern, actual) is not None,
           "expected %s to be a string matching %s" % (path, pattern))


@then('the JSON at "{path:Key}" has {count:d} characters')
def step_json_length(context, path, count):
    actual = _json_at(context, path)
    _check(context, isinstance(actual, str) and len(actual) == count,
           "expected %s to be a string of %d characters" % (path, count))


@then('the JSON at "{path:Key}" abbreviates "{value:Text}"')
def step_json_abbreviates(context, path, value):
    """A non-empty prefix, as a short commit hash is of the full one."""
    actual = _json_at(context, path)
    full = _expected(context, value)
    _check(context, isinstance(actual, str) and actual != "" and full.startswith(actual),
           "expected %s to be a prefix of %s" % (path, full))


@then('the JSON at "{path:Key}" is greater than {number:d}')
def step_json_greater_than(context, path, number):
    actual = _json_at(context, path)
    _check(context, isinstance(actual, int) and actual > number,
           "expected %s > %d, got %r" % (path, number, actual))


@then('the JSON at "{path:Key}" is greater than the remembered "{name:Key}"')
def step_json_greater(context, path, name):
    actual, before = _json_at(context, path), context.remembered[name]
    _check(context, actual > before, "expected %s > %r, got %r" % (path, before, actual))


@then('the JSON at "{path:Key}" is the remembered "{name:Key}"')
def step_json_same(context, path, name):
    actual, before = _json_at(context, path), context.remembered[name]
    _check(context, actual == before, "expected %s == %r, got %r" % (path, before, actual))


@then('the JSON at "{path:Key}" is not the remembered "{name:Key}"')
def step_json_differs(context, path, name):
    actual, before = _json_at(context, path), context.remembered[name]
    _check(context, actual != before, "expected %s != %r" % (path, before))


@then('the JSON has keys "{keys:Text}"')
def step_json_keys(context, keys):
    doc = response(context).json()
    _check(context, isinstance(doc, dict), "expected a JSON object")
    missing = [k.strip() for k in keys.split(",") if k.strip() not in doc]
    _check(context, not missing, "missing keys: %s" % ", ".join(missing))


@then('the JSON at "{path:Key}" has keys "{keys:Text}"')
def step_json_at_keys(context, path, keys):
    """Like `the JSON has keys`, for a nested object ("users.0")."""
    value = _json_at(context, path)
    _check(context, isinstance(value, dict), "expected an object at %s" % path)
    wanted = [k.strip() for k in keys.split(",") if k.strip()]
    missing = [k for k in wanted if k not in value]
    _check(context, not missing, "missing keys at %s: %s" % (path, ", ".join(missing)))


@then("the JSON contains")
def step_json_contains(context):
    """Every key of the docstring's object is there with that value;
    other keys are allowed."""
    expected = json.loads(_expected(context, context.text))
    _check(context, contains(response(context).json(), expected),
           "expected the JSON to contain %s" % json.dumps(expected, ensure_ascii=False))


@then("the JSON is")
def step_json_is(context):
    expected = json.loads(_expected(context, context.text))
    _check(context, response(context).json() == expected,
           "expected exactly %s" % json.dumps(expected, ensure_ascii=False))


# -- error bodies --------------------------------------------------------------

@then('the error is "{reason:Text}"')
def step_error(context, reason):
    """REST errors: {"error": reason, "message": …, "details": […]}."""
    step_json_string(context, "error", reason)


@then('the error message is "{message:Text}"')
def step_error_message(context, message):
    step_json_string(context, "message", message)


@then('the error details name the field "{field:Key}"')
def step_error_field(context, field):
    details = _json_at(context, "details")
    fields = [d.get("field") for d in details if isinstance(d, dict)]
    _check(context, field in fields, "expected a detail naming %r, got %s" % (field, fields))


@then('the RPC error code is "{code:Text}"')
def step_rpc_code(context, code):
    """Direct RPC (Connect conventions): {"code": "not_found", "message": …}."""
    step_json_string(context, "code", code)
