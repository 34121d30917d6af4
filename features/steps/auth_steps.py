"""Steps about accounts and tokens: registering, logging in, and reading
what a token claims (its payload, base64url JSON, is not secret)."""
import json

from behave import given, then, when

import dlc_bdd.types  # noqa: F401  (registers Path, Key, Text)
from dlc_bdd import jwt
from dlc_bdd.client import JSON, response, send, use_token


def _credentials(username, password):
    return json.dumps({"username": username, "password": password})


@given('the admin master password is "{password:Text}"')
def step_master_password(context, password):
    context.stack.configure("auth.admin_master_password", password)


def _post_credentials(context, path, username, password, expect=None):
    """POSTs {"username", "password"}; with expect, any other status fails
    the step (for Given steps that set the scene)."""
    answer = send(context, "POST", path, _credentials(username, password), JSON)
    if expect is not None and answer.status != expect:
        raise AssertionError("%s answered %d, expected %d:\n%s" % (
            path, answer.status, expect, answer.describe()))
    return answer


@given('a user "{username:Text}" registered with password "{password:Text}"')
def step_registered(context, username, password):
    _post_credentials(context, "/api/v1/auth/register", username, password, expect=201)


@when('I log in as "{username:Text}" with password "{password:Text}"')
def step_login(context, username, password):
    _post_credentials(context, "/api/v1/auth/login", username, password)


@given('I am logged in as "{username:Text}" with password "{password:Text}"')
def step_logged_in(context, username, password):
    answer = _post_credentials(context, "/api/v1/auth/login", username, password, expect=200)
    use_token(context, answer.json()["token"])


def _token(context):
    """The token the last answer issued."""
    return response(context).json()["token"]


def _claims(context):
    return jwt.claims(_token(context))


def _header(context):
    return jwt.header(_token(context))


@then('the token claim "{name:Key}" equals {literal}')
def step_claim_equals(context, name, literal):
    claims = _claims(context)
    expected = json.loads(literal)
    if claims.get(name) != expected:
        raise AssertionError("claim %s is %r, expected %r (claims: %r)" % (
            name, claims.get(name), expected, claims))


@then('the token expires {seconds:d} seconds after it was issued')
def step_token_lifetime(context, seconds):
    claims = _claims(context)
    if claims.get("exp") != claims.get("iat", 0) + seconds:
        raise AssertionError("exp - iat is not %d (claims: %r)" % (seconds, claims))


@then('the token has the claims "{names:Text}"')
def step_claims_present(context, names):
    claims = _claims(context)
    missing = [n.strip() for n in names.split(",") if n.strip() not in claims]
    if missing:
        raise AssertionError("missing claims %s in %r" % (missing, claims))


@then('the token is signed with HS256 and names its key')
def step_token_header(context):
    head = _header(context)
    if head.get("alg") != "HS256" or not head.get("kid"):
        raise AssertionError("token header %r" % head)

