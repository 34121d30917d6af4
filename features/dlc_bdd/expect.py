"""Comparisons used by the Then steps, with failure messages that show what
was actually there (the reader of a failed run sees no debugger)."""
import json
import re
from datetime import datetime

_MISSING = object()
_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")
# RFC 3339 in UTC with a Z, as the API promises ("2026-11-26T10:00:00Z").
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def expand(text, values, regex=False):
    """Replaces ${name} with values[name] (build version, commit, …) so
    features do not hard-code what the build decides; in a regex the value
    is escaped."""
    def one(match):
        name = match.group(1)
        if name not in values:
            raise AssertionError("unknown placeholder ${%s} (known: %s)" % (
                name, ", ".join(sorted(values))))
        value = str(values[name])
        return re.escape(value) if regex else value
    return _PLACEHOLDER.sub(one, text)


def json_at(doc, path):
    """The value at a dotted path ("connections.rpc.status",
    "details.0.field"); fails with the document when a part is missing."""
    value = doc
    for part in path.split("."):
        value = _child(value, part)
        if value is _MISSING:
            raise AssertionError("no %r in the JSON (stopped at %r):\n%s" % (
                path, part, json.dumps(doc, indent=2, ensure_ascii=False)))
    return value


def _child(value, part):
    if isinstance(value, dict):
        return value.get(part, _MISSING)
    if isinstance(value, list) and part.isdigit() and int(part) < len(value):
        return value[int(part)]
    return _MISSING


def contains(actual, expected):
    """True when every key of expected is in actual with a value that
    contains the expected one (recursively for objects; other values must
    be equal). Lets scenarios state what matters and ignore extra keys."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and contains(actual[key], value) for key, value in expected.items())
    return type(actual) is type(expected) and actual == expected


def _is_timestamp(value):
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        return False
    datetime.fromisoformat(value.replace("Z", "+00:00"))  # rejects month 13 etc.
    return True


def _is_integer(value):
    return isinstance(value, int) and not isinstance(value, bool)


# The kinds `Then the JSON at "x" is a <kind>` knows.
KINDS = {
    "string": lambda v: isinstance(v, str),
    "non-empty string": lambda v: isinstance(v, str) and v != "",
    "integer": _is_integer,
    "non-negative integer": lambda v: _is_integer(v) and v >= 0,
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "timestamp": _is_timestamp,
}


def check_kind(value, kind, path):
    test = KINDS.get(kind)
    if test is None:
        raise AssertionError("unknown kind %r (known: %s)" % (kind, ", ".join(KINDS)))
    if not test(value):
        raise AssertionError("JSON at %r is %s, not a %s" % (
            path, json.dumps(value, ensure_ascii=False), kind))
