"""Steps about signing secrets seen from outside: tokens signed with a
secret the scenario knows, secrets disappearing through the cleanup loop,
and rotations under traffic through several gateways and cores."""
import base64
import hashlib
import hmac
import json
import threading
import time

from behave import then, when

import dlc_bdd.types  # noqa: F401  (registers Path, Key, Text)
from dlc_bdd import http
from dlc_bdd.client import send

POLL_INTERVAL_S = 0.05


def _b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_hs256(header, claims, secret):
    """A compact JWS, HS256, as any JWT library would make it."""
    signing_input = "%s.%s" % (_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()))
    mac = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(mac)


@when('I use a copy of my token signed with "{secret:Text}" under the remembered kid "{name:Key}"')
def step_forged_token(context, secret, name):
    """The current token's claims, re-signed with a secret the scenario
    added: a token that secret's holder could have issued."""
    current = context.request_headers["Authorization"][len("Bearer "):]
    head, payload, _ = current.split(".")
    header = json.loads(_unb64(head))
    header["kid"] = context.remembered[name]
    token = sign_hs256(header, json.loads(_unb64(payload)), secret)
    context.request_headers["Authorization"] = "Bearer " + token


@then('within {seconds:g} seconds the secret remembered as "{name:Key}" is no longer listed')
def step_secret_removed(context, seconds, name):
    kid = context.remembered[name]
    deadline = time.monotonic() + seconds
    while True:
        answer = send(context, "GET", "/api/v1/admin/jwt/secrets")
        if answer.status != 200:
            raise AssertionError("listing secrets: %s" % answer.describe())
        if kid not in [s["kid"] for s in answer.json()["secrets"]]:
            return
        if time.monotonic() > deadline:
            raise AssertionError("secret %s still listed after %g s: %s\n%s" % (
                kid, seconds, answer.describe(), context.stack.logs_report()))
        time.sleep(POLL_INTERVAL_S)


def _ports(context):
    stack = context.stack
    return [stack.port] + [r.port for r in stack.replicas]


def _traffic(port, token, path, stop, statuses, lock):
    headers = {"Authorization": "Bearer " + token}
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
    200. Each rotation waits until the other cores sign with the new key."""
    token = context.remembered[name]
    stop, lock, statuses = threading.Event(), threading.Lock(), {}
    threads = [threading.Thread(target=_traffic, args=(port, token, path, stop, statuses, lock))
               for port in _ports(context) for _ in range(clients)]
    for t in threads:
        t.start()
    try:
        for _ in range(rotations):
            answer = send(context, "POST", "/api/v1/admin/jwt/secrets/rotate", "{}",
                          "application/json")
            if answer.status != 200:
                raise AssertionError("rotation: %s" % answer.describe())
            time.sleep(0.2)  # traffic keeps flowing across the rotation
    finally:
        stop.set()
        for t in threads:
            t.join()
    if set(statuses) != {200}:
        raise AssertionError("answers during the rotations: %r\n%s" % (
            statuses, context.stack.logs_report()))
