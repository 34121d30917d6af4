"""Reading and making JWTs (compact JWS: header.payload.signature, each
part base64url without padding). A token's header and claims are not
secret, so steps read them to check what the daemons issued."""
import base64
import hashlib
import hmac
import json


def _b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _part(token, index):
    parts = token.split(".")
    if len(parts) != 3:
        raise AssertionError("not a compact JWT (header.payload.signature): %r" % token)
    return json.loads(_unb64(parts[index]))


def header(token):
    """The token's header as a dict ({"alg": …, "kid": …})."""
    return _part(token, 0)


def claims(token):
    """The token's payload (its claims) as a dict."""
    return _part(token, 1)


def sign_hs256(header, claims, secret):
    """A compact JWS, HS256, as any JWT library would make it."""
    signing_input = "%s.%s" % (_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()))
    mac = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(mac)
