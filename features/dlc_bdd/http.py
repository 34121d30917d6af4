"""A tiny HTTP/1.1 client for the steps.

http.client rather than urllib: urllib raises on 4xx/5xx and normalises
requests, while the scenarios need every status as a plain answer and the
exact method, path and headers they wrote. No keep-alive: one connection per
request keeps scenarios independent of the gateway's connection handling.
"""
import http.client
import json
from dataclasses import dataclass

TIMEOUT_S = 10.0


@dataclass
class Response:
    status: int
    reason: str
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name):
        """The header's value (case-insensitive name), or None."""
        return self.headers.get(name)

    def content_type(self):
        """The media type without parameters, lower-cased ('text/plain')."""
        value = self.header("Content-Type") or ""
        return value.split(";", 1)[0].strip().lower()

    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        """The body as JSON; a body that is not JSON fails the step with the
        body shown, since that is the first thing one wants to see."""
        try:
            return json.loads(self.body)
        except ValueError:
            raise AssertionError("the body is not JSON:\n%s" % self.describe()) from None

    def describe(self, limit=600):
        """Status line, headers and the start of the body, for messages."""
        head = "HTTP %d %s" % (self.status, self.reason)
        headers = "".join("\n  %s: %s" % kv for kv in self.headers.items())
        body = self.text()
        if len(body) > limit:
            body = body[:limit] + "… (%d bytes)" % len(self.body)
        return "%s%s\n%s" % (head, headers, body)


def request(host, port, method, path, body=None, headers=None, timeout=TIMEOUT_S):
    """Sends one request and reads the whole answer. Network errors
    (refused, reset, timeout) propagate as OSError: a step decides whether
    that is a failure or the expected outcome."""
    if not path.isascii():
        raise ValueError("path %r is not ASCII: percent-encode it" % path)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        resp = conn.getresponse()
        return Response(resp.status, resp.reason, resp.headers, resp.read())
    finally:
        conn.close()
