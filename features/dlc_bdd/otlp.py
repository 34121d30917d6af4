"""A stand-in OpenTelemetry collector: an HTTP server on a free local port
that takes OTLP/HTTP JSON posts (POST /v1/traces) and keeps every span it
was sent, with the service.name of the resource it came under. One per
scenario that asks for it; the scenario's cleanup stops it."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from dlc_bdd import poll


def _attribute(attributes, key):
    """An OTLP attribute's value as Python (str or int), or None."""
    for a in attributes or []:
        if a.get("key") == key:
            value = a.get("value", {})
            if "intValue" in value:
                return int(value["intValue"])
            return value.get("stringValue")
    return None


class Span(dict):
    """One exported span (the OTLP JSON object) plus "service"."""

    def attribute(self, key):
        return _attribute(self.get("attributes"), key)


class Receiver:
    def __init__(self, port):
        self.spans = []
        self.posts = []  # (path, content type) of each request
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status = receiver._take(self.path, self.headers.get("Content-Type"), body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.endpoint = "http://127.0.0.1:%d" % port

    def _take(self, path, content_type, body):
        try:
            doc = json.loads(body)
        except ValueError:
            return 400
        with self._lock:
            self.posts.append((path, content_type))
            for rs in doc.get("resourceSpans", []):
                service = _attribute(rs.get("resource", {}).get("attributes"), "service.name")
                for ss in rs.get("scopeSpans", []):
                    for span in ss.get("spans", []):
                        self.spans.append(Span(span, service=service))
        return 200

    def spans_of(self, trace_id, service=None):
        with self._lock:
            return [s for s in self.spans if s.get("traceId") == trace_id
                    and (service is None or s["service"] == service)]

    def wait_for_span(self, trace_id, service, seconds, report=None):
        """The span of service in trace_id, once it has arrived."""
        found = poll.until(lambda: self.spans_of(trace_id, service), seconds,
                           "a %s span of trace %s at the receiver" % (service, trace_id),
                           report=report)
        if len(found) != 1:
            raise AssertionError("%d %s spans of trace %s: %r" % (
                len(found), service, trace_id, found))
        return found[0]

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
