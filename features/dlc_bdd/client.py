"""What step modules share: sending a request for the scenario and reading
back its answer. It lives here, not in steps/, because behave executes each
step file on its own and a step file imported by another would register its
steps twice."""
from dlc_bdd import http

JSON = "application/json"
_BEARER = "Bearer "


def bearer(token):
    """The headers that present token ({"Authorization": "Bearer …"})."""
    return {"Authorization": _BEARER + token}


def use_token(context, token):
    """Every later request of the scenario carries token."""
    context.request_headers.update(bearer(token))


def current_token(context):
    """The token the scenario's requests carry now; none is a mistake in
    the feature (a step that needs a token before any login)."""
    header = context.request_headers.get("Authorization", "")
    if not header.startswith(_BEARER):
        raise AssertionError("the requests carry no Bearer token: log in first")
    return header[len(_BEARER):]


def send(context, method, path, body=None, content_type=None):
    """Sends a request to the scenario's gateway (starting the daemons on
    first use) with the headers the scenario set; the answer becomes
    context.response. A refused or reset connection fails the step."""
    headers = dict(context.request_headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    if isinstance(body, str):
        body = body.encode("utf-8")
    host, port = context.stack.address
    try:
        context.response = http.request(host, port, method, path, body, headers)
    except OSError as e:
        raise AssertionError("%s %s: no HTTP answer: %r" % (method, path, e)) from None
    return context.response


def try_get(context, path):
    """GET that returns None instead of failing when nothing listens: for
    polling steps, to which a refused connection (a gateway starting or
    shutting down) is only not the awaited answer yet."""
    host, port = context.stack.address
    try:
        return http.request(host, port, "GET", path, headers=context.request_headers)
    except OSError:
        return None


def response(context):
    """The last answer; a Then step before any When is a mistake in the
    feature, said plainly."""
    if context.response is None:
        raise AssertionError("no request has been sent in this scenario yet")
    return context.response


def build_values(context):
    """Values for ${…} placeholders: what the build says about itself."""
    return context.suite.build_info
