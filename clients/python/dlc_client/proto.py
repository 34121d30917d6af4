"""The contract's generated message modules, and lookups over them.

Importing this module generates the modules first when needed (see
dlc_client.generate), then puts dlc_client/_generated on sys.path: protoc's
Python output imports its dependencies as top-level `dlc.v1.…` modules.

    from dlc_client import proto
    proto.greet.GreetRequest(name="ann")     # dlc/v1/greet.proto
    proto.envelope.Request                   # dlc/rpc/v1/envelope.proto
    proto.services()["dlc.v1.GreetService"]  # a ServiceDescriptor
"""
import importlib
import sys
from pathlib import Path

from dlc_client import generate

GENERATED = generate.DEFAULT_OUT


def _load_modules():
    """Imports every generated *_pb2 module; {short name: module}, where the
    short name is the .proto file's stem ("greet", "envelope")."""
    generate.ensure(GENERATED)
    if str(GENERATED) not in sys.path:
        sys.path.insert(0, str(GENERATED))
    modules = {}
    for path in sorted(Path(GENERATED).rglob("*_pb2.py")):
        rel = path.relative_to(GENERATED).with_suffix("")
        module = importlib.import_module(".".join(rel.parts))
        modules[path.stem[:-len("_pb2")]] = module
    return modules


MODULES = _load_modules()
globals().update(MODULES)  # proto.greet, proto.auth, proto.envelope, …


def _index_messages():
    """{full message name: generated class} over every loaded module."""
    classes = {}
    for module in MODULES.values():
        for desc in module.DESCRIPTOR.message_types_by_name.values():
            classes[desc.full_name] = getattr(module, desc.name)
    return classes


_MESSAGES = _index_messages()


def message_class(full_name):
    """The generated class of a top-level message, e.g. "dlc.v1.Profile"."""
    try:
        return _MESSAGES[full_name]
    except KeyError:
        raise LookupError("no message %s in the contract" % full_name) from None


def services():
    """{full service name: ServiceDescriptor} for every service in the
    contract."""
    found = {}
    for module in MODULES.values():
        for desc in module.DESCRIPTOR.services_by_name.values():
            found[desc.full_name] = desc
    return found


def method_descriptor(method):
    """The MethodDescriptor of "dlc.v1.GreetService/Greet"."""
    service, _, name = method.partition("/")
    desc = services().get(service)
    found = desc.methods_by_name.get(name) if desc else None
    if found is None:
        raise LookupError("no method %s in the contract" % method)
    return found
