"""Service stubs built from the contract's service descriptors.

Each service becomes an attribute of the client named after it without the
"Service" suffix, in snake_case (GreetService → client.greet,
AuthService → client.auth); each method an attribute of that, under its
proto name:

    client.greet.Greet(name="ann")                        # fields as keywords
    client.auth.RegisterUser(proto.auth.RegisterRequest(username="ann", password=pw),
                             idempotency_key="k1")        # or a message
    client.user.GetMe.with_metadata(token=token)           # → Reply

Call options (timeout, metadata, idempotency_key, request_id, token) are
those of Client.call; a message field with one of those names would have to
be set on a request message (no input message has one today).
"""
import re

from dlc_client import proto

_OPTIONS = ("timeout", "metadata", "idempotency_key", "request_id", "token")


def attribute_name(service_name):
    """GreetService → greet, AdminService → admin, FooBarService → foo_bar."""
    base = service_name[:-len("Service")] if service_name.endswith("Service") else service_name
    return re.sub(r"(?<!^)(?=[A-Z])", "_", base).lower()


def _split(kwargs):
    """Separates call options from message fields."""
    options = {k: kwargs.pop(k) for k in _OPTIONS if k in kwargs}
    return options, kwargs


class MethodStub:
    """One method: calling it returns the decoded response message."""

    def __init__(self, client, method_desc):
        self._client = client
        self.method = "%s/%s" % (method_desc.containing_service.full_name, method_desc.name)
        self.input_type = proto.message_class(method_desc.input_type.full_name)
        self.output_type = proto.message_class(method_desc.output_type.full_name)
        self.__doc__ = "%s(%s) → %s" % (self.method, method_desc.input_type.full_name,
                                         method_desc.output_type.full_name)

    def _request(self, request, fields):
        if request is not None and fields:
            raise TypeError("%s: pass a request message or fields, not both" % self.method)
        return request if request is not None else self.input_type(**fields)

    def __call__(self, request=None, **kwargs):
        return self.with_metadata(request, **kwargs).message

    def with_metadata(self, request=None, **kwargs):
        """As a call, returning the Reply (message, metadata, request_id)."""
        options, fields = _split(dict(kwargs))
        return self._client.call_with_metadata(self.method, self._request(request, fields),
                                               self.output_type, **options)


class ServiceStub:
    """The methods of one service, as MethodStub attributes."""

    def __init__(self, client, service_desc):
        self.name = service_desc.full_name
        for method_desc in service_desc.methods:
            setattr(self, method_desc.name, MethodStub(client, method_desc))

    def __repr__(self):
        return "<ServiceStub %s>" % self.name


def stubs_for(client):
    """{attribute name: ServiceStub} for every service in the contract."""
    return {attribute_name(desc.name): ServiceStub(client, desc)
            for desc in proto.services().values()}
