"""Client: calls methods of dlc-rpcd over nng REQ/REP, one protobuf
envelope (dlc.rpc.v1.Request / Response) each way.

    with Client("tcp://127.0.0.1:7070") as c:
        reply = c.call("dlc.v1.GreetService/Greet", proto.greet.GreetRequest(name="ann"),
                       proto.greet.GreetResponse)
        c.greet.Greet(name="ann")            # the same through a stub

Deadlines follow the C client (rpc/runtime/client.h): the call's timeout
travels in the envelope and the core enforces it; locally the client waits
for a first connected core at most connect_wait (else UNAVAILABLE
"unavailable"), then for the answer until the timeout, but never less than
MIN_WAIT (so a core answering a tiny deadline is heard); no answer in time
is DEADLINE_EXCEEDED while a core is connected, UNAVAILABLE otherwise; an
undecodable answer is INTERNAL. Thread-safe: see dlc_client.nng.
"""
import atexit
import time
import weakref
from dataclasses import dataclass, field

from google.protobuf.message import DecodeError

from dlc_client import errors, nng, proto
from dlc_client.errors import Code
from dlc_client.stubs import stubs_for

MIN_WAIT = 0.1  # seconds; DLC_CLIENT_MIN_WAIT_MS
# The server's limit is rpc.max_message_bytes (1 MiB by default); the
# envelope around a payload of that size needs a little more.
DEFAULT_MAX_MESSAGE_BYTES = 1048576 + 64 * 1024
_MAX_TIMEOUT_MS = 2**32 - 1

# Open clients, closed at exit: nng calls back into Python from its own
# threads while a socket closes, which must happen before the interpreter
# shuts down.
_open_clients = weakref.WeakSet()
atexit.register(lambda: [c.close() for c in list(_open_clients)])


@dataclass
class Reply:
    """A successful call: the decoded message, the response metadata (the
    last value of each key) and the request id the core used."""
    message: object
    metadata: dict = field(default_factory=dict)
    request_id: str = ""


def _urls(url):
    """A URL, a comma-separated list of them, or a sequence."""
    items = url.split(",") if isinstance(url, str) else list(url)
    urls = [u.strip() for u in items if u.strip()]
    if not urls:
        raise ValueError("no URL to dial")
    return urls


def _metadata_pairs(metadata):
    """A mapping or an iterable of (key, value) as lower-case key pairs."""
    items = metadata.items() if hasattr(metadata, "items") else (metadata or ())
    return [(str(k).lower(), str(v)) for k, v in items]


class Client:
    """A connection to one or more cores (nng spreads requests over those
    connected and resends to another when one disconnects)."""

    def __init__(self, url, *, timeout=5.0, token=None, connect_wait=1.0,
                 max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES):
        self.urls = _urls(url)
        self.timeout = timeout
        self.token = token
        self.connect_wait = connect_wait
        self._socket = nng.ReqSocket(self.urls, max_message_bytes)
        self._stubs = stubs_for(self)
        _open_clients.add(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Closes the socket; calls after this fail with UNAVAILABLE."""
        self._socket.close()
        _open_clients.discard(self)

    def __getattr__(self, name):
        """client.greet, client.auth, …: a stub per service (dlc_client.stubs)."""
        stubs = self.__dict__.get("_stubs", {})
        if name in stubs:
            return stubs[name]
        raise AttributeError("%s has no attribute or service stub %r" % (
            type(self).__name__, name))

    def connected(self):
        """Cores connected right now."""
        return self._socket.connected()

    def call(self, method, request, response_type=None, **options):
        """Calls method ("dlc.v1.GreetService/Greet") with the request
        message and returns the decoded response (of response_type, by
        default the method's output type in the contract). Options: timeout
        (seconds), metadata (mapping or pairs), idempotency_key, request_id,
        token (overrides the client's). Raises RpcError."""
        return self.call_with_metadata(method, request, response_type, **options).message

    def call_with_metadata(self, method, request, response_type=None, *, timeout=None,
                           metadata=None, idempotency_key=None, request_id=None, token=None):
        """As call(), returning a Reply (message, metadata, request_id)."""
        timeout = self.timeout if timeout is None else timeout
        response_type = response_type or _output_type(method)
        envelope = self._envelope(method, request, timeout, metadata, idempotency_key,
                                  request_id, token)
        response = self._exchange(envelope.SerializeToString(), timeout)
        meta = {md.key: md.value for md in response.metadata}
        if response.status.code != Code.OK:
            raise errors.from_status(response.status, response.request_id, meta)
        message = _decode(response.payload, response_type)
        return Reply(message, meta, response.request_id)

    def _envelope(self, method, request, timeout, metadata, idempotency_key, request_id, token):
        """The dlc.rpc.v1.Request for one call."""
        pairs = _metadata_pairs(metadata)
        token = token if token is not None else self.token
        if token and not any(k == "authorization" for k, _ in pairs):
            pairs.append(("authorization", "Bearer " + token))
        if idempotency_key is not None:
            pairs.append(("idempotency-key", idempotency_key))
        env = proto.envelope.Request(
            method=method, payload=request.SerializeToString(),
            timeout_ms=max(1, min(_MAX_TIMEOUT_MS, int(timeout * 1000 + 0.999))),
            request_id=request_id or "")
        for key, value in pairs:
            env.metadata.add(key=key, value=value)
        return env

    def _exchange(self, data, timeout):
        """One round trip; the decoded dlc.rpc.v1.Response. Transport
        failures raise UNAVAILABLE, DEADLINE_EXCEEDED or INTERNAL."""
        now = time.monotonic()
        try:
            raw = self._socket.request(data, now + max(timeout, MIN_WAIT),
                                       now + self.connect_wait)
        except nng.NngError as e:
            raise self._transport_error(e) from e
        response = proto.envelope.Response()
        try:
            response.ParseFromString(raw)
        except DecodeError:
            raise errors.error(Code.INTERNAL, "rpc: undecodable response") from None
        return response

    def _transport_error(self, e):
        """A timeout with a core connected is the deadline; anything else
        (closed socket, every core gone) means no core is reachable."""
        if e.errno == nng.NNG_ETIMEDOUT and self._socket.connected() > 0:
            return errors.error(Code.DEADLINE_EXCEEDED, "rpc: deadline exceeded")
        return errors.error(Code.UNAVAILABLE, "rpc: no core reachable (%s)" % e.strerror)


def _output_type(method):
    """The generated class of method's output in the contract."""
    try:
        return proto.message_class(proto.method_descriptor(method).output_type.full_name)
    except LookupError as e:
        raise ValueError("%s: pass response_type" % e) from None


def _decode(payload, response_type):
    message = response_type()
    try:
        message.ParseFromString(payload)
    except DecodeError:
        raise errors.error(Code.INTERNAL, "the core sent an undecodable answer") from None
    return message
