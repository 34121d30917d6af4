"""dlc_client: a Python client for dlc-rpcd (nng REQ/REP, protobuf envelope),
for internal services and protocol tests. See clients/python/README.md.

    from dlc_client import Client, NotFound, proto
    with Client("tcp://127.0.0.1:7070") as c:
        print(c.greet.Greet(name="ann").message)
"""
from dlc_client import proto
from dlc_client.client import Client, Reply
from dlc_client.errors import BY_CODE, Code, RpcError

globals().update({cls.__name__: cls for cls in BY_CODE.values()})  # NotFound, …

__all__ = ["Client", "Code", "Reply", "RpcError", "proto"] + sorted(
    cls.__name__ for cls in BY_CODE.values())
