"""dlc_client against a real dlc-rpcd (tests/core.py): round trips, the
error model, authentication, idempotency keys and deadlines.

One core (and database) for the whole module keeps the run cheap; every
test registers users under fresh random names, so tests do not interfere.
"""
import os
import secrets
import threading
import time
import unittest

import core
from dlc_bdd import pg

import dlc_client
from dlc_client import Client, Code, proto

PASSWORD = "correct horse battery"
CORE = None


def setUpModule():
    global CORE
    CORE = core.Core(os.environ["DLC_TEST_RPCD"]).start()


def tearDownModule():
    problem = CORE.stop()
    if problem:
        raise AssertionError(problem)


def fresh_username():
    """3–50 ASCII letters or digits, unique per call."""
    return "py" + secrets.token_hex(8)


class CoreTest(unittest.TestCase):
    """A client on the module's core (over ipc), closed after each test."""

    url_attr = "ipc_url"

    def setUp(self):
        self.client = Client(getattr(CORE, self.url_attr), timeout=5.0)
        self.addCleanup(self.client.close)

    def register(self, username=None, **options):
        username = username or fresh_username()
        request = proto.auth.RegisterRequest(username=username, password=PASSWORD)
        return self.client.auth.RegisterUser.with_metadata(request, **options)

    def login(self, username):
        return self.client.auth.Login(username=username, password=PASSWORD).token


class RoundTripTest(CoreTest):
    def test_greet_with_call(self):
        reply = self.client.call("dlc.v1.GreetService/Greet",
                                 proto.greet.GreetRequest(name="ann"),
                                 proto.greet.GreetResponse)
        self.assertIsInstance(reply, proto.greet.GreetResponse)
        self.assertEqual(reply.message, "Hello ann!")

    def test_greet_with_stub_and_inferred_response_type(self):
        self.assertEqual(self.client.greet.Greet(name="bob").message, "Hello bob!")
        self.assertEqual(self.client.call("dlc.v1.GreetService/Greet",
                                          proto.greet.GreetRequest()).message, "Hello world!")

    def test_request_id_comes_back(self):
        reply = self.client.greet.Greet.with_metadata(name="ann", request_id="py-rid-1")
        self.assertEqual(reply.request_id, "py-rid-1")
        self.assertEqual(reply.message.message, "Hello ann!")

    def test_one_client_shared_by_threads(self):
        names = ["t%d" % i for i in range(8)]
        answers = {}

        def greet(name):
            answers[name] = self.client.greet.Greet(name=name).message
        threads = [threading.Thread(target=greet, args=(n,)) for n in names]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(answers, {n: "Hello %s!" % n for n in names})

    def test_clients_closed_unused_leave_the_core_serving(self):
        # Such clients never dial (see dlc_client.nng): nng 1.5.2's
        # listener could stop serving after peers that hang up mid-handshake.
        for _ in range(10):
            Client(getattr(CORE, self.url_attr)).close()
        self.assertEqual(self.client.greet.Greet(name="ann").message, "Hello ann!")

    def test_fields_and_message_together_are_refused(self):
        with self.assertRaises(TypeError):
            self.client.greet.Greet(proto.greet.GreetRequest(name="a"), name="b")


class TcpRoundTripTest(RoundTripTest):
    url_attr = "tcp_url"


class ErrorTest(CoreTest):
    def test_invalid_argument_with_field_violation(self):
        with self.assertRaises(dlc_client.InvalidArgument) as cm:
            self.register("a!", request_id="py-bad-user")
        e = cm.exception
        self.assertIsInstance(e, dlc_client.RpcError)
        self.assertEqual((e.code, e.code.name, int(e.code)),
                         (Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", 3))
        self.assertTrue(e.reason)
        self.assertTrue(e.message)
        self.assertIn("username", [field for field, _ in e.field_violations])
        self.assertEqual(e.request_id, "py-bad-user")
        self.assertIsNone(e.retry_after)

    def test_not_found(self):
        # GreetV2 answers NOT_FOUND while api.v2_enabled is false (the default).
        with self.assertRaises(dlc_client.NotFound) as cm:
            self.client.greet.GreetV2(name="ann")
        self.assertEqual(cm.exception.code, Code.NOT_FOUND)
        self.assertTrue(cm.exception.reason)

    def test_already_exists(self):
        username = fresh_username()
        self.register(username)
        with self.assertRaises(dlc_client.AlreadyExists) as cm:
            self.register(username)
        self.assertIn("username", [field for field, _ in cm.exception.field_violations])

    def test_unknown_method_needs_a_response_type(self):
        with self.assertRaises(ValueError):
            self.client.call("dlc.v1.NoService/Nothing", proto.greet.GreetRequest())

    def test_unknown_method_is_an_error_from_the_core(self):
        with self.assertRaises(dlc_client.RpcError) as cm:
            self.client.call("dlc.v1.NoService/Nothing", proto.greet.GreetRequest(),
                             proto.greet.GreetResponse)
        self.assertIn(cm.exception.code, (Code.UNIMPLEMENTED, Code.NOT_FOUND))


class AuthTest(CoreTest):
    def test_login_then_get_me(self):
        username = fresh_username()
        self.register(username)
        token = self.login(username)
        me = self.client.user.GetMe(token=token)
        self.assertEqual(me.username, username)
        with Client(CORE.ipc_url, token=token) as authed:
            self.assertEqual(authed.call("dlc.v1.UserService/GetMe",
                                         proto.user.GetMeRequest()).username, username)

    def test_explicit_authorization_metadata(self):
        username = fresh_username()
        self.register(username)
        token = self.login(username)
        me = self.client.user.GetMe(metadata={"Authorization": "Bearer " + token})
        self.assertEqual(me.username, username)

    def test_get_me_without_token_is_unauthenticated(self):
        with self.assertRaises(dlc_client.Unauthenticated) as cm:
            self.client.user.GetMe()
        self.assertEqual(cm.exception.code, Code.UNAUTHENTICATED)

    def test_wrong_password(self):
        username = fresh_username()
        self.register(username)
        with self.assertRaises(dlc_client.Unauthenticated) as cm:
            self.client.auth.Login(username=username, password="not the password")
        self.assertEqual(cm.exception.reason, "invalid_credentials")


class IdempotencyTest(CoreTest):
    def test_same_key_replays_the_answer(self):
        username, key = fresh_username(), "py-" + secrets.token_hex(8)
        first = self.register(username, idempotency_key=key)
        second = self.register(username, idempotency_key=key)
        self.assertEqual(second.message, first.message)
        self.assertEqual(second.message.username, username)
        self.assertNotIn("idempotent-replayed", first.metadata)
        self.assertEqual(second.metadata.get("idempotent-replayed"), "true")

    def test_same_key_other_request_is_refused(self):
        key = "py-" + secrets.token_hex(8)
        self.register(idempotency_key=key)
        with self.assertRaises(dlc_client.FailedPrecondition) as cm:
            self.register(idempotency_key=key)
        self.assertEqual(cm.exception.reason, "idempotency_key_reused")


class DeadlineTest(unittest.TestCase):
    def test_unreachable_core(self):
        url = "tcp://127.0.0.1:%d" % core.free_port()  # nobody listens there
        with Client(url, timeout=0.05) as c:
            started = time.monotonic()
            with self.assertRaises(dlc_client.RpcError) as cm:
                c.greet.Greet(name="ann")
        self.assertIn(cm.exception.code, (Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED))
        self.assertLess(time.monotonic() - started, 2.0)

    def test_closed_client(self):
        c = Client(CORE.ipc_url)
        c.close()
        with self.assertRaises(dlc_client.Unavailable):
            c.greet.Greet(name="ann")

    def test_core_busy_past_the_deadline(self):
        # A lock on users keeps Login waiting in the database: the core
        # answers (or the client gives up) at the call's deadline.
        lock = pg.TableLock(CORE.database, "users")
        self.addCleanup(lock.release)
        until = time.monotonic() + 10
        while not lock.held() and time.monotonic() < until:
            time.sleep(0.05)
        with Client(CORE.ipc_url) as c:
            started = time.monotonic()
            with self.assertRaises(dlc_client.DeadlineExceeded):
                c.auth.Login(username="nobody", password=PASSWORD, timeout=0.3)
            self.assertLess(time.monotonic() - started, 3.0)


if __name__ == "__main__":
    unittest.main()
