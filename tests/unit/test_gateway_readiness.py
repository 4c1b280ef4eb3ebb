"""/readyz, the gateway's Kubernetes readiness: its broker answers. Unlike /healthz it never asks
the services, so one service down does not take every gateway out of the load balancer."""
import pytest

from common.config import SERVICES
from common.errors import ServiceUnavailable
from tests.support.fake_gateway import make_app
from tests.support.waiting import free_port


def services_down(fake_rpc):
    for service in SERVICES:
        fake_rpc.answer(service, "health", ServiceUnavailable(f"{service} is down"))


def test_not_ready_when_the_broker_refuses(fake_rpc):
    app = make_app(fake_rpc, AMQP_URI=f"pyamqp://guest:guest@127.0.0.1:{free_port()}//")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "broker": "unavailable"}
    assert response.headers["Cache-Control"] == "no-store"
    assert fake_rpc.calls == []


@pytest.mark.broker
def test_ready_while_a_service_is_down_though_healthz_is_not(fake_rpc, broker_available):
    services_down(fake_rpc)
    client = make_app(fake_rpc, AMQP_URI=broker_available).test_client()

    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ok", "broker": "ok"}
    assert fake_rpc.calls == []  # readiness asked no service

    healthz = client.get("/healthz")  # unchanged: the whole Hub, every service
    assert healthz.status_code == 503
    assert healthz.get_json()["broker"] == "ok"
    assert {call[:2] for call in fake_rpc.calls} == {(service, "health") for service in SERVICES}


def test_readyz_is_public_like_healthz(client):
    # the kubelet sends no cookie and no token (memory:// is make_app's broker: always there)
    assert client.get("/readyz").status_code == 200
