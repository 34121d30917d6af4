#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz harnesses: tests/fuzz/corpus/<target>/.

Seeds are small, meaningful inputs in each harness's format (see the comment
atop tests/fuzz/fuzz_<target>.c): envelopes encoded from real messages,
valid and invalid JSON bodies, real routes, valid and invalid tokens, a
valid configuration. Run it after changing a harness's input format; it
rewrites only the files it names (fuzzer finds added by hand stay).
Standard library only: protobuf and JWT are encoded here by hand.
"""
import base64
import hashlib
import hmac
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# ---- protobuf wire format -------------------------------------------------
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(num, value):
    """A length-delimited field (str/bytes) or a varint field (int)."""
    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode()
    return varint(num << 3 | 2) + varint(len(value)) + value


def fixed64(num, raw8):
    return varint(num << 3 | 1) + raw8


def request(method, payload=b"", md=(), timeout_ms=0, request_id=""):
    out = field(1, method) if method else b""
    out += field(2, payload) if payload else b""
    for k, v in md:
        out += field(3, field(1, k) + field(2, v))
    out += field(4, timeout_ms) if timeout_ms else b""
    return out + (field(5, request_id) if request_id else b"")


def envelope():
    greet = request("dlc.v1.GreetService/Greet", field(1, "ann"),
                    [("x-request-id", "abc123"), ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")],
                    5000, "req-1")
    write("envelope", "greet", greet)
    write("envelope", "register", request(
        "dlc.v1.AuthService/RegisterUser", field(1, "alice") + field(2, "correct horse"),
        [("x-client-ip", "203.0.113.7")]))
    write("envelope", "update_me", request(
        "dlc.v1.UserService/UpdateMe", field(1, "likes C") + field(2, ""),
        [("authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig")]))
    write("envelope", "list_users", request(
        "dlc.v1.AdminService/ListUsers", field(1, 10) + field(2, "opaque")))
    write("envelope", "unknown_method", request("dlc.v1.Nope/Nothing", b"\x0a\x01x"))
    write("envelope", "no_method", request("", field(1, "ann")))
    write("envelope", "bad_payload", request("dlc.v1.GreetService/Greet", b"\x0a\xff\x01"))
    write("envelope", "truncated", greet[:len(greet) // 2])
    status = field(1, 3) + field(2, "bad") + field(3, "invalid_argument") + \
        field(4, field(1, "name") + field(2, "too long")) + field(5, 1000)
    write("envelope", "response", field(1, status) + field(2, b"\x0a\x02hi") +
          field(3, field(1, "x-cache") + field(2, "HIT")) + field(4, "req-1"))


# ---- transcode: byte 0 = message index << 1 | direction ---------------------
REGISTER, UPDATE_ME, PROFILE, ALL_TYPES = range(4)


def transcode():
    def js(name, index, doc):
        text = doc if isinstance(doc, str) else json.dumps(doc)
        write("transcode", name, bytes([index << 1]) + text.encode())

    def pb(name, index, raw):
        write("transcode", name, bytes([index << 1 | 1]) + raw)

    js("register", REGISTER, {"username": "alice", "password": "correct horse"})
    js("register_unknown_field", REGISTER, {"username": "a", "admin": True})
    js("register_twice", REGISTER, '{"username":"a","username":"b"}')
    js("update_me", UPDATE_ME, {"description": "likes C", "currentGoal": "ship it"})
    js("update_me_null", UPDATE_ME, {"description": None, "current_goal": ""})
    js("update_me_both_names", UPDATE_ME, {"current_goal": "a", "currentGoal": "b"})
    js("profile", PROFILE, {"id": "42", "username": "bob", "is_admin": True,
                            "created_at": "2024-01-01T00:00:00Z"})
    js("all_types", ALL_TYPES, {
        "f_double": 1.5, "f_float": "NaN", "f_int32": -7, "f_int64": "-9007199254740993",
        "f_uint32": 4294967295, "f_uint64": "18446744073709551615", "f_sint32": -1,
        "f_sint64": 3e3, "f_fixed32": 1, "f_fixed64": "2", "f_sfixed32": -2, "f_sfixed64": -3,
        "f_bool": True, "f_string": "h\u00e9llo", "f_bytes": "aGVsbG8=", "f_enum": "RED",
        "f_message": {"label": "in", "count": 2, "tags": ["a", "b"]},
        "r_int32": [1, 2, 3], "r_string": ["x"], "r_message": [{"label": "m"}],
        "r_enum": ["GREEN", 1], "r_int64": [1, "2"], "o_string": "one"})
    js("all_types_camel", ALL_TYPES, {"fDouble": "-Infinity", "fBytes": "_-8", "oMessage": {"count": 1}})
    js("all_types_two_oneofs", ALL_TYPES, {"o_string": "a", "o_int32": 1})
    js("all_types_bad_range", ALL_TYPES, {"f_int32": 2147483648, "r_int32": [1, None]})
    js("all_types_nul", ALL_TYPES, {"f_string": "a\u0000b"})
    js("not_an_object", ALL_TYPES, "[1,2,3]")
    js("malformed", ALL_TYPES, '{"f_int32": ')
    pb("profile_pb", PROFILE, field(1, 42) + field(2, "bob") + field(3, b"caf\xc3\xa9 \xff") + field(5, 1))
    pb("all_types_pb", ALL_TYPES, fixed64(1, b"\x00\x00\x00\x00\x00\x00\xf8\x7f") + field(3, 5) +
       field(6, 2**64 - 1) + field(14, b"bad \xc3") + field(16, 7) +
       field(17, field(1, "in") + field(2, 3)) + field(18, b"\x01\x02") + field(24, field(1, "o")))


# ---- router: "METHOD PATH[?QUERY]\nBODY" ----------------------------------------
def router():
    seeds = {
        "greet_name": "GET /api/v1/greet/ann?x=1",
        "greet_query": "GET /api/v1/greet?name=b%C3%B8b&name=x",
        "greet_history": "GET /api/v1/greet/history/",
        "greet_v2": 'POST /api/v2/greet\n{"name":"ann"}',
        "register": 'POST /api/v1/auth/register\n{"username":"alice","password":"correct horse"}',
        "login_query": 'POST /api/v1/auth/login?password=leak\n{"username":"a"}',
        "update_me": 'PATCH /api/v1/users/me\n{"description":"x","currentGoal":null}',
        "list_users": "GET /api/v1/admin/users?page_size=10&pageToken=abc+def",
        "list_users_bad": "GET /api/v1/admin/users?page_size=ten&page_size=%zz",
        "delete_user": "DELETE /api/v1/admin/users/al%20ice",
        "reset": "POST /api/v1/admin/users/bob/password-reset?username=eve",
        "add_secret": 'POST /api/v1/admin/jwt/secrets\n{"secret":"0123456789abcdef0123456789abcdef","expiresIn":"60"}',
        "rotate": "POST /api/v1/admin/jwt/secrets/rotate\n{}",
        "connect": 'POST /rpc/dlc.v1.GreetService/Greet\n{"name":"ann"}',
        "connect_unknown": "POST /rpc/dlc.v1.Nope/Nothing\n{}",
        "health_encoded": "GET /api/%68ealth/",
        "bad_path": "GET /api/v1/greet/%zz",
        "nul_path": "GET /api/v1/greet/a%00b",
        "double_slash": "GET /api//v1/greet",
        "wrong_method": "PUT /api/v1/users/me",
        "deep_body": "POST /api/v2/greet\n" + "[" * 80,
    }
    for name, text in seeds.items():
        write("router", name, text)


# ---- jwt: byte 0 even = a raw token, odd = "HEADER\nCLAIMS" signed with k1 ----
NOW = 1700000000
KEYS = {"k1": b"\x11" * 32, "k2": b"\x22" * 32, "k0": b"\x33" * 32}


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def token(header, claims, key):
    signed = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    mac = hmac.new(key, signed.encode(), hashlib.sha256).digest()
    return signed + "." + b64url(mac)


def jwt():
    claims = {"iss": "dlc", "aud": "dlc-api", "sub": "42", "username": "alice",
              "is_admin": False, "iat": NOW, "nbf": NOW, "exp": NOW + 3600,
              "jti": "0123456789abcdef"}
    admin = dict(claims, sub="admin", username="", is_admin=True, aud=["x", "dlc-api"])
    hs = {"alg": "HS256", "typ": "JWT", "kid": "k1"}

    def raw(name, text):
        write("jwt", name, b"\x00" + text.encode())

    def signed(name, header, body):
        write("jwt", name, b"\x01" + json.dumps(header).encode() + b"\n" + json.dumps(body).encode())

    raw("valid", token(hs, claims, KEYS["k1"]))
    raw("valid_k2_admin", token(dict(hs, kid="k2"), admin, KEYS["k2"]))
    raw("expired_kid", token(dict(hs, kid="k0"), claims, KEYS["k0"]))
    raw("wrong_key", token(hs, claims, KEYS["k2"]))
    raw("alg_none", b64url(b'{"alg":"none","kid":"k1"}') + "." + b64url(json.dumps(claims).encode()) + ".")
    raw("two_parts", "eyJhbGciOiJIUzI1NiJ9.e30")
    raw("bad_base64", "eyJhbGciOiJIUzI1NiJ9.e30=.abc")
    signed("signed_valid", hs, claims)
    signed("signed_expired", hs, dict(claims, exp=NOW - 100))
    signed("signed_future", hs, dict(claims, nbf=NOW + 100, iat=NOW + 100))
    signed("signed_bad_types", hs, dict(claims, exp="tomorrow", is_admin=1))
    signed("signed_long_sub", hs, dict(claims, sub="9" * 80))
    write("jwt", "signed_dup_claims", b"\x01" + json.dumps(hs).encode() + b'\n{"sub":"1","sub":"2"}')


# ---- config: the YAML file -------------------------------------------------------
CONFIG = """\
# A complete dlc configuration, every section once.
server:
  listen: 0.0.0.0:8080
  threads: 64
  max_body_bytes: 65536
  request_timeout: 5s
  trusted_proxies: [10.0.0.0/8, "::1"]
rpc:
  listen:
    - tcp://127.0.0.1:7070
    - ipc:///tmp/dlc.sock
  endpoints: tcp://127.0.0.1:7070, tcp://127.0.0.1:7071
  trusted_peers: ipc,127.0.0.1
  workers: 2
  max_message_bytes: 1048576
  default_timeout: 1m30s
database:
  host: /run/postgresql
  port: 5432
  name: dlc
  ssl_mode: disable
  statement_timeout: 250ms
  pool_size: 4
  auto_migrate: yes
auth:
  jwt:
    ttl: 1h
    issuer: dlc
    audience: dlc-api
    leeway: 30s
    secret_retention:
      retention_factor: 2.5
      max_retention: 24h
  password:
    hash_strength: interactive
api.v2_enabled: true
ratelimit:
  enabled: on
  store: memory
  login_per_ip:
    requests: 30
    window: 1m
    burst: 10
cache:
  enabled: true
  max_bytes: 16777216
logging:
  level: debug
  json: false
telemetry:
  enabled: false
  endpoint: http://127.0.0.1:4318
  sampler:
    type: parentbased_always_on
    ratio: 0.5
"""


def config():
    write("config", "full.yaml", CONFIG)
    write("config", "dotted.yaml", "rpc.workers: 4\nauth.jwt.ttl: 15m\ncache:\n")
    write("config", "unknown_key.yaml", "server:\n  listen: :80\n  nope: 1\n")
    write("config", "repeated_key.yaml", "rpc:\n  workers: 1\nrpc.workers: 2\n")
    write("config", "wrong_shape.yaml", "server: [a, b]\nrpc:\n  listen: {a: b}\n")
    write("config", "bad_values.yaml", "rpc:\n  workers: -1\n  default_timeout: 5 s\nserver:\n  trusted_proxies: [300.1.1.1/40]\n")
    write("config", "anchors.yaml", "a: &x 1\nrpc:\n  workers: *x\n--- \nsecond: doc\n")
    write("config", "syntax_error.yaml", "server:\n  listen: [unclosed\n\t- tab\n")


# ---- text: byte 0 = max_chars (low 7 bits) | allow_newlines (0x80) -------------
def text():
    seeds = {
        "ascii": b"\x20hello world",
        "newlines": b"\xa0line one\tand\r\nline two",
        "multibyte": "\x0ah\u00e9llo w\u00f6rld \u20ac \U0001F600".encode(),
        "too_long": b"\x03abcdef",
        "control": b"\x7fbell\x07 del\x7f c1\xc2\x85",
        "incomplete": b"\x7fcut \xe2\x82",
        "overlong": b"\x7f\xc0\xaf \xe0\x80\xaf",
        "surrogate": b"\x7f\xed\xa0\x80",
        "above_max": b"\x7f\xf4\x90\x80\x80",
        "stray_continuation": b"\x7f\x80\x80\x80\x80",
    }
    for name, raw in seeds.items():
        write("text", name, raw)


# ---- proxy: byte 0 = ipv6_prefix (mod 129), then "TRUSTED\nPEER\nXFF" -----------
def proxy():
    trusted = "10.0.0.1, 192.168.0.0/16, fd00::/8"
    seeds = {
        "untrusted_peer": (64, trusted, "203.0.113.9", "1.2.3.4"),
        "trusted_peer": (64, trusted, "10.0.0.1", "1.2.3.4"),
        "spoofed_left": (64, trusted, "10.0.0.1", "6.6.6.6, 1.2.3.4"),
        "chain": (56, trusted, "10.0.0.1", " 1.2.3.4 ,192.168.1.1 "),
        "all_trusted": (64, trusted, "10.0.0.1", "192.168.1.2, 192.168.1.1"),
        "no_header": (64, trusted, "10.0.0.1", None),
        "empty_header": (64, trusted, "10.0.0.1", ""),
        "garbage_hop": (64, trusted, "10.0.0.1", "1.2.3.4, junk, 192.168.1.1"),
        "empty_items": (48, trusted, "10.0.0.1", ",, ,2001:db8::7,,"),
        "ipv6_chain": (64, "::1, 2001:db8::/32", "::1", "2001:db8:1:2:aaaa::1, 2001:db8::5"),
        "mapped": (64, "0.0.0.0/0", "10.0.0.1", "::ffff:203.0.113.7"),
        "v4_compat": (128, "::/0", "::1", "::1.2.3.4"),
        "prefix_0": (0, "::/0", "2001:db8::1", "ffff:ffff::1"),
        "prefix_1": (1, "::/0", "2001:db8::1", "8000::"),
        "prefix_128": (128, "::/0", "fe80::1", "2001:db8::1"),
        "prefix_odd": (61, "10.0.0.0/8", "10.1.2.3", "2001:db8:1:2:aaaa::1"),
        "long_hop": (64, "10.0.0.0/8", "10.0.0.1", "0000:0000:0000:0000:0000:ffff:255.255.255.255" + "0" * 30),
        "bad_cidr": (64, "10.0.0.0/", "10.0.0.1", "1.2.3.4"),
        "bad_bits": (64, "10.0.0.0/33, ::/129", "10.0.0.1", "1.2.3.4"),
        "cidr_signs": (64, "10.0.0.0/+8, 10.0.0.0/ 8, 10.0.0.0/-0", "10.0.0.1", "1.2.3.4"),
        "hostname": (64, "proxy.example", "10.0.0.1", "1.2.3.4"),
        "ipc_word": (64, "ipc, 127.0.0.1", "127.0.0.1", "1.2.3.4"),
        "peer_cidr": (64, "", "10.0.0.0/8", "1.2.3.4"),
        "tab_hop": (64, "10.0.0.1", "10.0.0.1", "1.2.3.4\t"),
    }
    for name, (prefix, trusted_text, peer, xff) in seeds.items():
        data = bytes([prefix]) + (trusted_text + "\n" + peer).encode()
        write("proxy", name, data if xff is None else data + b"\n" + xff.encode())


if __name__ == "__main__":
    envelope()
    transcode()
    router()
    jwt()
    config()
    text()
    proxy()
