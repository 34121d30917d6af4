"""Steps of the hostile-client suite (features/abuse): floods sent fast
with asyncio over keep-alive connections, connections held open idle or fed
a byte a second, and what a real client sees meanwhile. Each attack prints
its figures (requests sent, answers by status, latency of the real
client's probes) past behave's capture, so that a run shows them."""
import asyncio
import json
import multiprocessing
import os
import sys
import time

from behave import given, then, when

import dlc_bdd.types  # noqa: F401  (registers Path, Key, Text)
from dlc_bdd import http, pg

# Requests a flood keeps in flight at once (one per connection).
FLOOD_CONNECTIONS = 64


def _figures(context, text):
    """One line of figures, on the run's output and kept for the report."""
    sys.__stdout__.write("\n    figures: %s\n" % text)
    sys.__stdout__.flush()
    context.figures = getattr(context, "figures", []) + [text]


def _port(context):
    context.stack.ensure_started()
    return context.stack.gateway_ports()[0]


# ---- a minimal HTTP/1.1 client over asyncio streams -------------------------

def _request_bytes(method, path, body=None, headers=None):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: dlc"]
    for name, value in (headers or {}).items():
        lines.append("%s: %s" % (name, value))
    data = b""
    if body is not None:
        data = json.dumps(body).encode()
        lines += ["Content-Type: application/json", "Content-Length: %d" % len(data)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def _read_response(reader):
    """The status of one response; its body is read and dropped."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


async def _flood(port, make_request, total):
    """Sends total requests (make_request(i) -> bytes) over
    FLOOD_CONNECTIONS keep-alive connections; a connection the server
    closes is opened again. Returns {status: count}."""
    counts = {}
    next_index = iter(range(total))

    async def worker():
        reader = writer = None
        for i in next_index:
            for _attempt in range(3):
                try:
                    if writer is None:
                        reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    writer.write(make_request(i))
                    status = await _read_response(reader)
                    counts[status] = counts.get(status, 0) + 1
                    break
                except (ConnectionError, asyncio.IncompleteReadError):
                    writer = None
            else:
                counts["error"] = counts.get("error", 0) + 1
        if writer is not None:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(FLOOD_CONNECTIONS)))
    return counts


# ---- floods -----------------------------------------------------------------

FLOODS = {
    # distinct usernames, a new password too short to be accepted
    "password resets with an invalid new password":
        lambda i: _request_bytes("POST", "/api/v1/auth/password-reset",
                                 {"username": "flood%d" % i, "new_password": "x"}),
    # distinct usernames from distinct client addresses (through a trusted
    # proxy): a new key in every per-client and per-username table
    "wrong logins from as many addresses":
        lambda i: _request_bytes("POST", "/api/v1/auth/login",
                                 {"username": "flood%d" % i, "password": "wrong password"},
                                 {"X-Forwarded-For": "10.%d.%d.%d" % (
                                     i >> 16 & 255, i >> 8 & 255, i & 255)}),
    # one guesser, one address, the user's name
    "wrong logins as ann from one address":
        lambda i: _request_bytes("POST", "/api/v1/auth/login",
                                 {"username": "ann", "password": "guess %d" % i},
                                 {"X-Forwarded-For": "203.0.113.66"}),
    "registrations from as many addresses":
        lambda i: _request_bytes("POST", "/api/v1/auth/register",
                                 {"username": "flood%d" % i, "password": "a long password"},
                                 {"X-Forwarded-For": "10.%d.%d.%d" % (
                                     i >> 16 & 255, i >> 8 & 255, i & 255)}),
}


@when("a client sends {total:d} {kind}")
def step_flood(context, total, kind):
    if kind not in FLOODS:
        raise AssertionError("no flood named %r (known: %s)" % (kind, ", ".join(FLOODS)))
    port = _port(context)
    start = time.monotonic()
    base = getattr(context, "flood_base", 0)  # a later flood brings new keys
    context.flood_base = base + total
    counts = asyncio.run(_flood(port, lambda i: FLOODS[kind](base + i), total))
    took = time.monotonic() - start
    context.flood = counts
    _figures(context, "%d %s in %.1f s (%.0f/s): %s" % (
        total, kind, took, total / took,
        ", ".join("%s: %d" % kv for kv in sorted(counts.items(), key=str))))


@then("every request of the flood was answered")
def step_flood_clean(context):
    """Refusals are the point (429; 503 or 504 when the hashing threads are
    saturated); a dropped connection or an internal error is a defect."""
    bad = {k: v for k, v in context.flood.items() if k == "error" or k in (500, 502)}
    assert not bad, "the flood got errors: %s" % bad


@then("{count:d} wrong logins in a row as \"{username:Text}\" meet 429 by attempt {limit:d}")
def step_wrong_logins(context, count, username, limit):
    statuses = []
    for i in range(count):
        rs = http.request("127.0.0.1", _port(context), "POST", "/api/v1/auth/login",
                          json.dumps({"username": username, "password": "wrong %d" % i}),
                          {"Content-Type": "application/json"})
        statuses.append(rs.status)
    first = statuses.index(429) + 1 if 429 in statuses else None
    _figures(context, "%d wrong logins as %s: first 429 at attempt %s; %d of them 429" % (
        count, username, first, statuses.count(429)))
    assert first is not None and first <= limit, "statuses: %s" % statuses
    assert set(statuses) <= {401, 429}, "statuses: %s" % statuses


# ---- connections held open --------------------------------------------------

async def _hold(port, count, feed, stop):
    """Keeps count connections open until stop is set: idle ones (feed
    None) send nothing; others are fed feed's bytes one a second. A
    connection the server closes is opened again at once."""
    async def one():
        while not stop.is_set():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            try:
                for byte in (feed or b""):
                    if stop.is_set() or reader.at_eof():
                        break
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(1)
                while not stop.is_set() and not reader.at_eof():
                    try:
                        await asyncio.wait_for(reader.read(1024), 0.5)
                    except asyncio.TimeoutError:
                        pass
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()
    return [asyncio.create_task(one()) for _ in range(count)]


def _probe(port, seconds, every_s, timeout_s):
    """GET /api/health on a new connection every every_s for seconds, from
    this process (the attacker runs in another, so that its work does not
    count as the server's): latencies in ms, a failure counting as
    timeout_s."""
    latencies = []
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        t0 = time.monotonic()
        try:
            ok = http.request("127.0.0.1", port, "GET", "/api/health",
                              timeout=timeout_s).status == 200
        except OSError:
            ok = False
        took = time.monotonic() - t0
        latencies.append(took * 1000 if ok else timeout_s * 1000)
        time.sleep(max(0.0, every_s - took))
    return latencies


SLOW_FEEDS = {
    "headers": b"GET /api/health HTTP/1.1\r\nHost: dlc\r\n" + b"X-Slow: " + b"a" * 4096,
    "a body": b"POST /api/v1/auth/login HTTP/1.1\r\nHost: dlc\r\nContent-Type: application/json\r\n"
              b"Content-Length: 60000\r\n\r\n" + b"{" * 60000,
}


async def _attack(port, idle, slow, stop_file):
    stop = asyncio.Event()
    tasks = await _hold(port, idle, None, stop)
    per_kind = slow // len(SLOW_FEEDS)
    for feed in SLOW_FEEDS.values():
        tasks += await _hold(port, per_kind, feed, stop)
    while not os.path.exists(stop_file):
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)


def _attacker(port, idle, slow, stop_file):
    asyncio.run(_attack(port, idle, slow, stop_file))


@when("a client holds {idle:d} idle connections and {slow:d} slow senders for {seconds:d} seconds")
def step_hold(context, idle, slow, seconds):
    port = _port(context)
    stop_file = os.path.join(context.stack.dir, "attack.stop")
    attacker = multiprocessing.Process(target=_attacker, args=(port, idle, slow, stop_file))
    attacker.start()
    try:
        time.sleep(2)  # the connections are opened and take what they can
        latencies = sorted(_probe(port, seconds, 0.05, 2.0))
    finally:
        open(stop_file, "w").close()
        attacker.join(30)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    _figures(context, "%d idle + %d slow connections: %d health probes, p50 %.1f ms, "
             "p99 %.1f ms, max %.1f ms" % (idle, slow, len(latencies),
                                           latencies[len(latencies) // 2], p99, latencies[-1]))
    context.probe_p99 = p99


@then("/api/health answered meanwhile with p99 within {limit:d} ms")
def step_probe_p99(context, limit):
    assert context.probe_p99 <= limit, "p99 %.1f ms" % context.probe_p99


# ---- one kept-alive connection, byte by byte ---------------------------------

def _raw_exchange(port, data, timeout_s):
    """Sends data on one connection and reads until the server closes it or
    timeout_s passes: (what came back, whether the server closed)."""
    import socket
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
    got = b""
    closed = False
    try:
        sock.sendall(data)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                closed = True
                break
            got += chunk
    finally:
        sock.close()
    return got, closed


@when('I send, on one connection, a {size:d}-byte body to "{path:Path}" and then GET "{second:Path}"')
def step_body_then_second(context, size, path, second):
    """The body is sent whole, with the second request right behind it:
    a server that keeps the connection would answer both."""
    body = b'{"name":"' + b"a" * max(0, size - 11) + b'"}'
    first = ("POST %s HTTP/1.1\r\nHost: dlc\r\nContent-Type: application/json\r\n"
             "Content-Length: %d\r\n\r\n" % (path, len(body))).encode() + body
    context.raw, context.raw_closed = _raw_exchange(
        _port(context), first + _request_bytes("GET", second), 3.0)


@then("exactly one answer came back, {status:d}, and the connection was closed")
def step_one_answer_closed(context, status):
    text = context.raw.decode("latin-1")
    answers = [line for line in text.split("\r\n") if line.startswith("HTTP/1.1 ")]
    assert answers and answers[0].startswith("HTTP/1.1 %d " % status), text[:300]
    assert len(answers) == 1, "answers: %s" % answers
    assert context.raw_closed, "the connection stayed open"


@when('I send a {size:d}-byte body to "{path:Path}" one byte every {every_ms:d} ms')
def step_slow_body(context, size, path, every_ms):
    import socket
    port = _port(context)
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = ("POST %s HTTP/1.1\r\nHost: dlc\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n\r\n" % (path, size)).encode()
    sock.sendall(head)
    got = b""
    start = time.monotonic()
    try:
        sock.setblocking(False)
        for _ in range(size):
            try:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                got += chunk
            except BlockingIOError:
                pass
            try:
                sock.send(b"a")
            except OSError:
                break
            time.sleep(every_ms / 1000.0)
        sock.setblocking(True)
        sock.settimeout(5)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
    except OSError:
        pass
    finally:
        sock.close()
    context.raw = got
    context.raw_closed = True
    context.slow_took = time.monotonic() - start
    _figures(context, "a body fed a byte every %d ms: answered after %.1f s" % (
        every_ms, context.slow_took))


@when('"{username:Text}" logs in {logins:d} times with password "{password:Text}" while a '
      'client sends {total:d} {kind}')
def step_flood_and_logins(context, username, logins, password, total, kind):
    """The flood runs in a thread of its own; the logins go one after the
    other from another address, each with the default deadline."""
    import threading
    port = _port(context)
    result = {}
    flood = threading.Thread(target=lambda: result.update(
        asyncio.run(_flood(port, FLOODS[kind], total))))
    flood.start()
    time.sleep(0.2)
    statuses, latencies = [], []
    for _ in range(logins):
        t0 = time.monotonic()
        rs = http.request("127.0.0.1", port, "POST", "/api/v1/auth/login",
                          json.dumps({"username": username, "password": password}),
                          {"Content-Type": "application/json", "X-Forwarded-For": "192.0.2.1"})
        latencies.append((time.monotonic() - t0) * 1000)
        statuses.append(rs.status)
    flood.join()
    context.flood = result
    context.logins = statuses
    _figures(context, "%d %s: %s; meanwhile %d logins: %s, slowest %.0f ms" % (
        total, kind, ", ".join("%s: %d" % kv for kv in sorted(result.items(), key=str)),
        logins, ", ".join("%d: %d" % (st, statuses.count(st)) for st in sorted(set(statuses))),
        max(latencies)))


@then("every one of those logins succeeded")
def step_logins_ok(context):
    assert all(st == 200 for st in context.logins), "statuses: %s" % context.logins


@when('{count:d} clients from as many addresses try the master password "{guess:Text}"')
def step_master_guesses(context, count, guess):
    statuses = []
    for i in range(count):
        rs = http.request("127.0.0.1", _port(context), "POST", "/api/v1/auth/admin/login",
                          json.dumps({"master_password": guess}),
                          {"Content-Type": "application/json",
                           "X-Forwarded-For": "198.51.100.%d" % (i + 1)})
        statuses.append(rs.status)
    context.statuses = statuses
    _figures(context, "%d master-password guesses from as many addresses: %s" % (
        count, ", ".join("%d: %d" % (st, statuses.count(st)) for st in sorted(set(statuses)))))


@then("at most {most:d} of them were answered 401 and the others 429")
def step_master_budget(context, most):
    st = context.statuses
    assert set(st) <= {401, 429} and st.count(401) <= most and 429 in st, "statuses: %s" % st


@then('the shared rate-limit table holds at most {most:d} "{policy:Key}" buckets')
def step_shared_rows(context, most, policy):
    rows = int(pg.query(context.stack.database,
                        "SELECT count(*) FROM ratelimit_buckets WHERE key LIKE '%s|%%'" % policy))
    _figures(context, "shared table: %d %s buckets" % (rows, policy))
    assert rows <= most, "%d %s buckets" % (rows, policy)
