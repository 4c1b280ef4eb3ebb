"""Fixtures for the gateway's unit tests (tests/support/fake_gateway.py has the fakes)."""
import pytest

from tests.support.fake_gateway import FakeRpc, make_app


@pytest.fixture
def fake_rpc():
    rpc = FakeRpc()
    yield rpc
    assert not rpc.unexpected, f"the gateway made RPC calls the test did not expect: {rpc.unexpected}"


@pytest.fixture
def app(fake_rpc):
    return make_app(fake_rpc)


@pytest.fixture
def client(app):
    return app.test_client()
