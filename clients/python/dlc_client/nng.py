"""The transport: an nng REQ0 socket through ctypes over Debian's libnng
(package libnng1, libnng.so.1); nothing vendored, no pynng.

ReqSocket creates a dialer per URL at once (a bad URL fails there) and
starts them on the first request, without blocking (nng connects, and
reconnects, in the background, every 10–100 ms like the C client); it
counts connected pipes through nng_pipe_notify, and does one request/reply
at a time: request() holds the socket's lock for the whole round trip,
because a REQ socket's own context keeps one request outstanding. That is
the thread-safety model: one socket shared by threads, calls serialised;
use one client per thread for parallel calls.

The send completes before the receive starts (synchronous nng_send, then
nng_recv with NNG_FLAG_ALLOC): nng 1.5.2 mishandles a receive queued behind
a pending send (nng issue #1702), which the C client avoids the same way.

Why dial lazily: with nng 1.5.2 (Debian 12), a peer that closes while its
connection is still negotiating can stop the listener from taking further
connections (nng issue #1518, fixed in 1.6.0), and dlc-rpcd's ipc listener
was seen to stop serving after a few clients were opened and at once
closed. A client that never calls never connects.
"""
import ctypes
import threading
import time

NNG_FLAG_ALLOC = 1
NNG_ETIMEDOUT = 5
NNG_ECONNREFUSED = 6
NNG_ECLOSED = 7
NNG_FLAG_NONBLOCK = 2
NNG_PIPE_EV_ADD_POST = 1
NNG_PIPE_EV_REM_POST = 2
OPT_RECVTIMEO = b"recv-timeout"
OPT_SENDTIMEO = b"send-timeout"
OPT_RECVMAXSZ = b"recv-size-max"
OPT_RECONNMINT = b"reconnect-time-min"
OPT_RECONNMAXT = b"reconnect-time-max"
RECONNECT_MIN_MS = 10
RECONNECT_MAX_MS = 100
# nng durations are int32 milliseconds; negative values mean "default".
_MAX_MS = 2**31 - 1


class _Socket(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint32)]


class _Pipe(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint32)]


class _Dialer(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint32)]


_PIPE_CB = ctypes.CFUNCTYPE(None, _Pipe, ctypes.c_int, ctypes.c_void_p)


def _declare(lib):
    """Argument and result types of the functions used."""
    sock, c_int, c_char_p, c_void_p = _Socket, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p
    size_t = ctypes.c_size_t
    signatures = {
        "nng_req0_open": ([ctypes.POINTER(_Socket)], c_int),
        "nng_close": ([sock], c_int),
        "nng_dialer_create": ([ctypes.POINTER(_Dialer), sock, c_char_p], c_int),
        "nng_dialer_start": ([_Dialer, c_int], c_int),
        "nng_socket_set_ms": ([sock, c_char_p, ctypes.c_int32], c_int),
        "nng_socket_set_size": ([sock, c_char_p, size_t], c_int),
        "nng_pipe_notify": ([sock, c_int, _PIPE_CB, c_void_p], c_int),
        "nng_send": ([sock, c_void_p, size_t, c_int], c_int),
        "nng_recv": ([sock, c_void_p, ctypes.POINTER(size_t), c_int], c_int),
        "nng_free": ([c_void_p, size_t], None),
        "nng_strerror": ([c_int], c_char_p),
    }
    for name, (argtypes, restype) in signatures.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = argtypes, restype
    return lib


_lib = None
_lib_lock = threading.Lock()


def lib():
    """libnng.so.1, loaded once."""
    global _lib
    with _lib_lock:
        if _lib is None:
            try:
                _lib = _declare(ctypes.CDLL("libnng.so.1"))
            except OSError as e:
                raise OSError("cannot load libnng.so.1 (apt-get install libnng1): %s" % e) from e
    return _lib


class NngError(OSError):
    """An nng call failed; errno is nng's error number (NNG_ETIMEDOUT, …)."""

    def __init__(self, rv, what):
        text = lib().nng_strerror(rv).decode("utf-8", "replace")
        super().__init__(rv, "%s: %s" % (what, text))


def _check(rv, what):
    if rv != 0:
        raise NngError(rv, what)


def _ms(seconds):
    """A positive nng duration; never negative, which nng reads as
    "default" (infinite)."""
    return max(1, min(_MAX_MS, int(seconds * 1000 + 0.999)))


class ReqSocket:
    """One REQ0 socket dialling urls; see the module docstring."""

    def __init__(self, urls, max_message_bytes):
        self._lib = lib()
        self._sock = _Socket()
        self._lock = threading.Lock()
        self._pipes = 0
        self._pipes_lock = threading.Lock()
        self._closed = False
        self._dialers = []
        self._dialing = False
        # Kept referenced for as long as the socket lives: nng calls it from
        # its own threads until nng_close returns.
        self._on_pipe = _PIPE_CB(self._pipe_event)
        _check(self._lib.nng_req0_open(ctypes.byref(self._sock)), "nng_req0_open")
        try:
            self._configure(max_message_bytes)
            for url in urls:
                dialer = _Dialer()
                _check(self._lib.nng_dialer_create(ctypes.byref(dialer), self._sock,
                                                   url.encode()), "dial %s" % url)
                self._dialers.append((url, dialer))
        except BaseException:
            self.close()
            raise

    def _configure(self, max_message_bytes):
        lib_, s = self._lib, self._sock
        _check(lib_.nng_socket_set_size(s, OPT_RECVMAXSZ, max_message_bytes), "recv-size-max")
        _check(lib_.nng_socket_set_ms(s, OPT_RECONNMINT, RECONNECT_MIN_MS), "reconnect-time-min")
        _check(lib_.nng_socket_set_ms(s, OPT_RECONNMAXT, RECONNECT_MAX_MS), "reconnect-time-max")
        for ev in (NNG_PIPE_EV_ADD_POST, NNG_PIPE_EV_REM_POST):
            _check(lib_.nng_pipe_notify(s, ev, self._on_pipe, None), "nng_pipe_notify")

    def _pipe_event(self, pipe, event, arg):
        """nng's pipe callback, on nng's threads: counts connections."""
        with self._pipes_lock:
            self._pipes += 1 if event == NNG_PIPE_EV_ADD_POST else -1

    def connected(self):
        """Connections to cores right now."""
        with self._pipes_lock:
            return self._pipes

    def _start_dialing(self):
        """Starts the dialers once (under the request lock)."""
        if self._dialing:
            return
        self._dialing = True
        for url, dialer in self._dialers:
            _check(self._lib.nng_dialer_start(dialer, NNG_FLAG_NONBLOCK), "dial %s" % url)

    def _wait_connected(self, until):
        """True once a core is connected, False if none is by the monotonic
        time until."""
        while self.connected() == 0:
            if time.monotonic() >= until:
                return False
            time.sleep(0.005)
        return True

    def request(self, data, deadline, connect_until):
        """Sends data and returns the reply's bytes, all before the monotonic
        deadline (waiting for the lock included). Raises NngError:
        NNG_ECONNREFUSED when no core is connected by connect_until,
        NNG_ETIMEDOUT when the deadline passed, NNG_ECLOSED after close()."""
        if not self._lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise NngError(NNG_ETIMEDOUT, "waiting for the socket")
        try:
            if self._closed:
                raise NngError(NNG_ECLOSED, "request")
            self._start_dialing()
            if not self._wait_connected(min(deadline, connect_until)):
                raise NngError(NNG_ECONNREFUSED, "no core connected")
            return self._round_trip(data, deadline)
        finally:
            self._lock.release()

    def _round_trip(self, data, deadline):
        lib_, s = self._lib, self._sock
        _check(lib_.nng_socket_set_ms(s, OPT_SENDTIMEO, _ms(deadline - time.monotonic())),
               "send-timeout")
        _check(lib_.nng_send(s, data, len(data), 0), "send")
        _check(lib_.nng_socket_set_ms(s, OPT_RECVTIMEO, _ms(deadline - time.monotonic())),
               "recv-timeout")
        buf, size = ctypes.c_void_p(), ctypes.c_size_t()
        _check(lib_.nng_recv(s, ctypes.byref(buf), ctypes.byref(size), NNG_FLAG_ALLOC), "recv")
        try:
            return ctypes.string_at(buf, size.value)
        finally:
            lib_.nng_free(buf, size)

    def close(self):
        """Closes the socket (idempotent). A call in progress on another
        thread fails with NNG_ECLOSED."""
        if self._closed:
            return
        self._closed = True
        self._lib.nng_close(self._sock)

    def __del__(self):
        # An unclosed socket must not outlive its pipe callback: nng would
        # call freed memory when a connection comes or goes.
        if not getattr(self, "_closed", True):
            self.close()
