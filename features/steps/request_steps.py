"""When steps that send HTTP requests to the scenario's gateway, and the
Given steps that shape those requests."""
import json
import time
from urllib.parse import quote

from behave import given, when

import dlc_bdd.types  # noqa: F401  (registers Path, Key, Text)
from dlc_bdd.client import JSON, response, send
from dlc_bdd.expect import expand, json_at


@given('the request header "{name:Key}" is "{value:Text}"')
def step_request_header(context, name, value):
    context.request_headers[name] = value


@when('I GET "{path:Path}"')
def step_get(context, path):
    send(context, "GET", path)


@when('I GET "{path:Path}" {count:d} times')
def step_get_repeatedly(context, path, count):
    """Back-to-back requests (rate limiting); every answer is kept in
    context.responses, the last one is also context.response."""
    context.responses = [send(context, "GET", path) for _ in range(count)]


@when('I GET "{prefix:Path}" followed by the percent-encoded "{text:Text}"')
def step_get_encoded(context, prefix, text):
    """Lets a feature show the text it means (spaces, UTF-8) while the
    request carries its percent-encoding (UTF-8 bytes, %20 for spaces)."""
    send(context, "GET", prefix + quote(text, safe=""))


@when('I GET "{prefix:Path}" followed by {count:d} "{char:Text}" characters')
def step_get_repeated_char(context, prefix, count, char):
    send(context, "GET", prefix + quote(char * count, safe=""))


@when('I send "{method:Key}" "{path:Path}"')
def step_send_empty(context, method, path):
    send(context, method, path)


@when('I POST "{path:Path}" with JSON')
def step_post_json(context, path):
    """The docstring must be valid JSON: a typo in a feature should fail
    as such, not as a puzzling 400 from the gateway."""
    try:
        json.loads(context.text)
    except ValueError as e:
        raise AssertionError("the step's JSON is invalid (%s); for deliberately broken "
                             "bodies use 'with content type … and the body:'" % e) from None
    send(context, "POST", path, context.text, JSON)


@when('I POST "{path:Path}" with JSON filled from the remembered values')
def step_post_json_remembered(context, path):
    """${name} in the docstring stands for the value remembered as name
    (a missing one fails the step)."""
    body = expand(context.text, context.remembered)
    json.loads(body)
    send(context, "POST", path, body, JSON)


@when('I POST "{path:Path}" {count:d} times with JSON')
def step_post_json_times(context, path, count):
    json.loads(context.text)
    for _ in range(count):
        send(context, "POST", path, context.text, JSON)


@when('I POST "{path:Path}" with the field "{field:Key}" set to {count:d} "{char:Text}" characters')
def step_post_long_field(context, path, field, count, char):
    send(context, "POST", path, json.dumps({field: char * count}), JSON)


@when('I PATCH "{path:Path}" with JSON')
def step_patch_json(context, path):
    """The docstring must be valid JSON, so a typo in a feature fails as
    one instead of as a puzzling 400."""
    try:
        json.loads(context.text)
    except ValueError as e:
        raise AssertionError("the step's JSON is invalid (%s)" % e) from None
    send(context, "PATCH", path, context.text, JSON)


@when('I PATCH "{path:Path}" with the field "{field:Key}" set to {count:d} "{char:Text}" characters')
def step_patch_long_field(context, path, field, count, char):
    send(context, "PATCH", path, json.dumps({field: char * count}), JSON)


@when('I send "{method:Key}" "{path:Path}" with body "{body}" and content type "{ctype:Text}"')
def step_send_body(context, method, path, body, ctype):
    send(context, method, path, body, ctype)


@when('I send "{method:Key}" "{path:Path}" with content type "{ctype:Text}" and the body')
def step_send_docstring(context, method, path, ctype):
    """Any body, verbatim (malformed JSON included)."""
    send(context, method, path, context.text, ctype)


def json_body_of_size(size):
    """A JSON object of exactly size bytes ({"name":"aaa…"}): a body under
    the limit is then judged on its content, so the answer tells whether
    the size check or the field check spoke."""
    frame = len(b'{"name":""}')
    if size < frame:
        raise AssertionError("a JSON body needs at least %d bytes" % frame)
    return '{"name":"%s"}' % ("a" * (size - frame))


@when('I send a body of {size:d} bytes to "{path:Path}"')
def step_send_sized(context, path, size):
    send(context, "POST", path, json_body_of_size(size), JSON)


@when("I wait {seconds:g} seconds")
def step_wait(context, seconds):
    time.sleep(seconds)


@when('I remember the JSON at "{path:Key}" as "{name:Key}"')
def step_remember_json(context, path, name):
    context.remembered[name] = json_at(response(context).json(), path)


@when('I remember the response body as "{name:Key}"')
def step_remember_body(context, name):
    context.remembered[name] = response(context).text()


@when('I remember the response header "{header:Key}" as "{name:Key}"')
def step_remember_header(context, header, name):
    context.remembered[name] = response(context).header(header)


@when('I POST "{path:Path}" with a JSON body nested {depth:d} levels deep')
def step_post_deep_json(context, path, depth):
    """Small in bytes, deep in structure: a recursive parser on a small
    thread stack must never see it."""
    body = '{"name":' + '{"a":' * depth + '1' + '}' * depth + '}'
    send(context, "POST", path, body, JSON)


@when('I GET "{path:Path}" with the remembered "{name:Key}" as "{param:Key}"')
def step_get_with_remembered(context, path, name, param):
    """Follows a cursor the API handed out (e.g. next_page_token)."""
    value = context.remembered[name]
    separator = "&" if "?" in path else "?"
    send(context, "GET", "%s%s%s=%s" % (path, separator, param, quote(str(value), safe="")))


@when('I send "{method:Key}" "{path:Path}" without a token')
def step_send_without_token(context, method, path):
    """One request as an anonymous caller; the scenario keeps its token."""
    saved = context.request_headers.pop("Authorization", None)
    try:
        send(context, method, path)
    finally:
        if saved is not None:
            context.request_headers["Authorization"] = saved
