"""The error model: a failed call raises RpcError, or its subclass for the
status code (NotFound, InvalidArgument, Unauthenticated, …).

Code and the subclasses are built from the contract's dlc.rpc.v1.Code enum,
so a code added there appears here without an edit. Every error carries
what the core's Status says: code (an IntEnum member: .name and .value),
message (for humans), reason (stable snake_case; the lower-case code name
when the core gave none, as the C runtime does), field_violations (a list
of (field, description)), retry_after (seconds, or None) and the call's
request_id and response metadata.
"""
import enum

from dlc_client import proto

Code = enum.IntEnum("Code", {v.name: v.number for v in
                             proto.envelope.DESCRIPTOR.enum_types_by_name["Code"].values})
Code.__doc__ = "dlc.rpc.v1.Code: the status codes of the wire envelope."
Code.__module__ = __name__


class RpcError(Exception):
    """A call that did not succeed, whether the core said so or the
    transport failed (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL)."""

    def __init__(self, code, message="", *, reason="", field_violations=(),
                 retry_after=None, request_id="", metadata=None):
        self.code = Code(code)
        self.message = message
        self.reason = reason or self.code.name.lower()
        self.field_violations = list(field_violations)
        self.retry_after = retry_after
        self.request_id = request_id
        self.metadata = dict(metadata or {})
        super().__init__(str(self))

    def __str__(self):
        text = "%s (%s): %s" % (self.code.name, self.reason, self.message)
        if self.field_violations:
            text += " [%s]" % "; ".join("%s: %s" % fv for fv in self.field_violations)
        return text


def _class_name(code):
    """NOT_FOUND → NotFound."""
    return "".join(part.capitalize() for part in code.name.split("_"))


def _subclass(code):
    return type(_class_name(code), (RpcError,), {
        "__doc__": "RpcError with code %s." % code.name,
        "__module__": __name__,
    })


# {Code: subclass}; each is also a module attribute (errors.NotFound).
BY_CODE = {code: _subclass(code) for code in Code if code != Code.OK}
globals().update({cls.__name__: cls for cls in BY_CODE.values()})


def error(code, message="", **details):
    """The RpcError subclass instance for code; a number this contract does
    not know (a newer core) becomes UNKNOWN."""
    try:
        code = Code(code)
    except ValueError:
        message = "code %d: %s" % (code, message)
        code = Code.UNKNOWN
    return BY_CODE[code](code, message, **details)


def from_status(status, request_id="", metadata=None):
    """The error a non-OK dlc.rpc.v1.Status stands for."""
    retry = status.retry_after_ms / 1000.0 if status.retry_after_ms else None
    return error(status.code, status.message, reason=status.reason,
                 field_violations=[(fv.field, fv.description) for fv in status.field_violations],
                 retry_after=retry, request_id=request_id, metadata=metadata)
