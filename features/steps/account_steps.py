"""Steps about accounts seen from outside: several users at once, the admin
session, switching between tokens within one scenario and walking every
page of a paged listing.

Registration and user login are the steps of auth_steps.py, reached through
context.execute_steps: importing that file here would register its steps
twice."""
import json
from urllib.parse import quote

from behave import given, step, then, when

import dlc_bdd.types  # noqa: F401  (registers Path, Key, Text)
from dlc_bdd import jwt, pg, poll
from dlc_bdd.client import JSON, current_token, send, use_token

MASTER_PASSWORD_KEY = "auth.admin_master_password"
# Used when the scenario has not chosen a master password itself.
DEFAULT_MASTER_PASSWORD = "bdd-admin-master-password"
# A paged listing that needs more pages than this is looping, not listing.
MAX_PAGES = 100


def _names(text):
    """'ann, bob , cat' → ['ann', 'bob', 'cat']: lists written in features
    read naturally with spaces after the commas."""
    return [name.strip() for name in text.split(",") if name.strip()]


def _fail(what, answer):
    raise AssertionError("%s\n-- answer --\n%s" % (what, answer.describe()))


# -- accounts --------------------------------------------------------------

@given('users "{usernames:Text}" registered with password "{password:Text}"')
def step_users_registered(context, usernames, password):
    """One registration per name, in the order written: listings promise
    registration order, so the order here is part of the scene."""
    for username in _names(usernames):
        context.execute_steps('Given a user "%s" registered with password "%s"'
                              % (username, password))


def _master_password(context):
    """The scenario's master password; configured here when the scenario
    did not choose one. Choosing it up front (`Given the admin master
    password is …` before the daemons start) spares a restart. Either way
    it must be set before replicas are added (a restart drops them:
    Stack.configure refuses)."""
    overrides = context.stack.overrides
    if MASTER_PASSWORD_KEY not in overrides:
        context.stack.configure(MASTER_PASSWORD_KEY, DEFAULT_MASTER_PASSWORD)
    return overrides[MASTER_PASSWORD_KEY]


@given("I am logged in as the admin")
def step_admin_logged_in(context):
    """Admin login with the master password; the admin token then goes
    with every later request, as a user token does after a user login."""
    body = json.dumps({"master_password": _master_password(context)})
    answer = send(context, "POST", "/api/v1/auth/admin/login", body, JSON)
    if answer.status != 200:
        _fail("admin login failed", answer)
    use_token(context, answer.json()["token"])


@then('the database holds {count:d} user named "{username:Text}"')
@then('the database holds {count:d} users named "{username:Text}"')
def step_users_named(context, count, username):
    """Rows, deleted ones included: what a duplicated or lost write shows."""
    rows = int(pg.query(context.stack.database,
                        "SELECT count(*) FROM users WHERE lower(username) = lower('%s')"
                        % username.replace("'", "''")))
    assert rows == count, "%d users named %s" % (rows, username)


# -- tokens ------------------------------------------------------------------

@step("I send requests without a token")
def step_no_token(context):
    context.request_headers.pop("Authorization", None)


@step('I remember the token as "{name:Key}"')
def step_remember_token_as(context, name):
    """Keeps the current token under a name, so a scenario can act as the
    admin and come back as the user (whose token may have been revoked
    meanwhile)."""
    context.remembered[name] = current_token(context)


@step('I use the token remembered as "{name:Key}"')
def step_use_token_as(context, name):
    if name not in context.remembered:
        raise AssertionError("no token remembered as %r" % name)
    use_token(context, context.remembered[name])


# -- paged listings ------------------------------------------------------------

def _page_path(path, token):
    """The path of the page after token ("" = the first page)."""
    if token == "":
        return path
    separator = "&" if "?" in path else "?"
    return "%s%spage_token=%s" % (path, separator, quote(token, safe=""))


def _fetch_page(context, path, token):
    """One page: (usernames on it, next_page_token); anything but a 200
    with that shape fails the step, showing the answer."""
    answer = send(context, "GET", _page_path(path, token))
    if answer.status != 200:
        _fail("a page of %s answered %d" % (path, answer.status), answer)
    doc = answer.json()
    users, next_token = doc.get("users", []), doc.get("next_page_token")
    if not isinstance(next_token, str):
        _fail("the page has no next_page_token string", answer)
    return [user.get("username") for user in users], next_token


@when('I GET every page of "{path:Path}"')
def step_get_every_page(context, path):
    """Follows next_page_token until it is "", keeping the usernames of
    each page in context.pages; the last page is context.response. A token
    seen twice (or too many pages) fails: that listing would never end."""
    context.pages = []
    token, seen = "", set()
    while True:
        usernames, token = _fetch_page(context, path, token)
        context.pages.append(usernames)
        if token == "":
            return
        if token in seen or len(context.pages) >= MAX_PAGES:
            raise AssertionError("the listing does not end: %d pages, token %r again"
                                 % (len(context.pages), token))
        seen.add(token)


def _pages(context):
    if not hasattr(context, "pages"):
        raise AssertionError("no paged listing yet: use 'When I GET every page of …'")
    return context.pages


@then('the pages listed the users "{usernames:Text}" in order')
def step_pages_listed(context, usernames):
    listed = [name for page in _pages(context) for name in page]
    expected = _names(usernames)
    if listed != expected:
        raise AssertionError("the pages listed %s, expected %s (pages: %s)" % (
            listed, expected, _pages(context)))


@then('the pages held "{sizes:Text}" users')
def step_page_sizes(context, sizes):
    """Page by page ("2, 2, 1"): says how many pages there were and that
    none held more than it was asked to."""
    actual = [len(page) for page in _pages(context)]
    expected = [int(size) for size in _names(sizes)]
    if actual != expected:
        raise AssertionError("the pages held %s users, expected %s (pages: %s)" % (
            actual, expected, _pages(context)))


# -- signing keys seen through admin logins -------------------------------------

@then('within {seconds:g} seconds an admin login is signed with the remembered "{name:Key}"')
def step_login_signed_with(context, seconds, name):
    """Keys reach a core through NOTIFY, so the new primary is polled for,
    never slept on."""
    want = context.remembered[name]
    body = json.dumps({"master_password": _master_password(context)})
    seen = {}

    def signed_with_want():
        token = send(context, "POST", "/api/v1/auth/admin/login", body, JSON).json()["token"]
        seen["kid"] = jwt.header(token).get("kid")
        return seen["kid"] == want

    poll.until(signed_with_want, seconds, "admin logins signed with %r" % want,
               report=lambda: "tokens still signed with %r" % seen.get("kid"))
