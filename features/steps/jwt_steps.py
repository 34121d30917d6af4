"""Steps about signing secrets seen from outside: what the secret listing
shows, tokens signed with a secret the scenario knows, secrets disappearing
through the cleanup loop, and rotations under traffic through several
gateways and cores."""
import threading
import time

from behave import then, when

import dlc_bdd.types  # noqa: F401  (registers Path, Key, Text)
from dlc_bdd import http, jwt, poll
from dlc_bdd.client import JSON, bearer, current_token, response, send, use_token

# The pause between two rotations under traffic, so requests keep arriving
# between one rotation and the next.
ROTATION_SPACING_S = 0.2


# -- the secret listing --------------------------------------------------------

@then("the retired secret expires {seconds:d} seconds after the rotation")
def step_retired_expiry(context, seconds):
    """The list is oldest first: [retired, new]; the retired one expires
    the retention after the new one was created (one second of slack)."""
    secrets = response(context).json()["secrets"]
    retired, new = secrets[0], secrets[-1]
    gap = retired["expires_at_unix"] - new["created_at_unix"]
    if abs(gap - seconds) > 1:
        raise AssertionError("retired secret expires %d s after the rotation, expected %d: %r"
                             % (gap, seconds, secrets))


@then("no secret value is shown")
def step_no_secret_values(context):
    for entry in response(context).json()["secrets"]:
        if "secret" in entry:
            raise AssertionError("a secret value is exposed: %r" % entry)


@then('within {seconds:g} seconds the secret remembered as "{name:Key}" is no longer listed')
def step_secret_removed(context, seconds, name):
    kid = context.remembered[name]
    last = {}

    def gone():
        answer = send(context, "GET", "/api/v1/admin/jwt/secrets")
        if answer.status != 200:
            raise AssertionError("listing secrets: %s" % answer.describe())
        last["answer"] = answer
        return kid not in [s["kid"] for s in answer.json()["secrets"]]

    poll.until(gone, seconds, "secret %s to be no longer listed" % kid,
               report=lambda: "%s\n%s" % (last["answer"].describe(),
                                          context.stack.logs_report()))


# -- tokens signed by the scenario ---------------------------------------------

@when('I use a copy of my token signed with "{secret:Text}" under the remembered kid "{name:Key}"')
def step_forged_token(context, secret, name):
    """The current token's claims, re-signed with a secret the scenario
    added: a token that secret's holder could have issued."""
    current = current_token(context)
    header = jwt.header(current)
    header["kid"] = context.remembered[name]
    use_token(context, jwt.sign_hs256(header, jwt.claims(current), secret))


# -- rotations under traffic ---------------------------------------------------

def _traffic(port, token, path, stop, statuses, lock):
    headers = bearer(token)
    while not stop.is_set():
        try:
            status = http.request("127.0.0.1", port, "GET", path, headers=headers).status
        except OSError as e:
            status = repr(e)
        with lock:
            statuses[status] = statuses.get(status, 0) + 1


@then('{rotations:d} rotations while {clients:d} clients per gateway GET "{path:Path}" '
      'with the token remembered as "{name:Key}" cause no 401')
def step_rotations_under_traffic(context, rotations, clients, path, name):
    """Rotates through the first gateway (as the current admin) while
    clients on every gateway use a still-valid token; every answer must be
    200. Traffic keeps flowing across each rotation: the rotations are
    spaced by ROTATION_SPACING_S, and nothing waits for the other cores to
    take up the new key."""
    token = context.remembered[name]
    stop, lock, statuses = threading.Event(), threading.Lock(), {}
    threads = [threading.Thread(target=_traffic, args=(port, token, path, stop, statuses, lock))
               for port in context.stack.gateway_ports() for _ in range(clients)]
    for t in threads:
        t.start()
    try:
        for _ in range(rotations):
            answer = send(context, "POST", "/api/v1/admin/jwt/secrets/rotate", "{}", JSON)
            if answer.status != 200:
                raise AssertionError("rotation: %s" % answer.describe())
            time.sleep(ROTATION_SPACING_S)
    finally:
        stop.set()
        for t in threads:
            t.join()
    if set(statuses) != {200}:
        raise AssertionError("answers during the rotations: %r\n%s" % (
            statuses, context.stack.logs_report()))
