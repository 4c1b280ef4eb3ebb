"""A gateway with a fake RPC pool standing in for the services: for page and API unit tests."""
import re
import uuid

from gateway import create_app

PERSON_ID = str(uuid.uuid4())


def make_principal(*roles: str) -> dict:
    return {"account_id": str(uuid.uuid4()), "person_id": PERSON_ID,
            "roles": list(roles or ["industry_professional"])}


class FakeRpc:
    """Stands in for RpcPool: canned answers per (service, method), every call recorded.

    An answer may be a value, an exception to raise, or a function of the call's arguments.
    """

    def __init__(self):
        self.answers = {}
        self.calls = []
        self.unexpected = []

    def answer(self, service: str, method: str, result) -> None:
        self.answers[(service, method)] = result

    def call(self, service, method, *args, timeout=None, **kwargs):
        self.calls.append((service, method, args))
        if (service, method) not in self.answers:
            self.unexpected.append((service, method, args))
            raise AssertionError(f"unexpected RPC {service}.{method}{args}")
        result = self.answers[(service, method)]
        if isinstance(result, BaseException):
            raise result
        if callable(result):
            return result(*args, **kwargs)
        return result

    def methods_called(self) -> list[tuple[str, str]]:
        return [(service, method) for service, method, _ in self.calls]


def make_app(fake_rpc, **config):
    app = create_app({"TESTING": True, "SECRET_KEY": "unit-test-secret", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "AMQP_URI": "memory://", **config})
    app.rpc = fake_rpc
    return app


def csrf_token_of(page_html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page_html).group(1)
