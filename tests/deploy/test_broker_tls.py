"""RPC and events over `amqps://` with the broker's certificate verified (SPEC §8: SSNs and
passwords travel in RPC bodies, so they must not cross the network in clear).

The local RabbitMQ has no TLS listener, so tests/support/tls_proxy.py terminates TLS in front of
it with a certificate from a CA made for the test (hubstack.certs). Clients verify against that CA
(HUB_AMQP_CA_FILE); a client that trusts another CA cannot connect at all.
"""
from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
from gateway.rpc import RpcPool
from nameko.standalone.events import event_dispatcher

from common import config as hub_config
from common.errors import ServiceUnavailable
from common.events.accounts import PersonRegistered
from common.topology import broker_reachable
from hubstack.certs import make_ca, make_server, write_pair
from tests.support.waiting import free_port, wait_for_port, wait_until

pytestmark = pytest.mark.broker
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tls_proxy(tmp_path_factory, request):
    """(port, ca file) of a TLS endpoint in front of the test broker; its cert names localhost."""
    folder = tmp_path_factory.mktemp("broker-tls")
    ca = make_ca("test broker CA")
    ca_file, _ = write_pair(ca, folder, "ca")
    cert, key = write_pair(make_server(ca, ["localhost", "127.0.0.1"]), folder, "server")
    broker = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    port = free_port()
    process = subprocess.Popen([sys.executable, str(ROOT / "tests" / "support" / "tls_proxy.py"), str(port),
                                str(cert), str(key), f"{broker.hostname}:{broker.port or 5672}"])
    wait_for_port(port, 30, "the TLS proxy", process)
    yield port, ca_file
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def tls_config(service_config, tls_proxy, monkeypatch):
    """service_config on the same throwaway vhost, but amqps:// through the proxy, CA trusted."""
    port, ca_file = tls_proxy
    plain = urlparse(service_config["AMQP_URI"])
    uri = f"amqps://{plain.username}:{plain.password}@localhost:{port}{plain.path}"
    monkeypatch.setenv("HUB_AMQP_CA_FILE", str(ca_file))  # what the gateway and tools read
    config = {**service_config, "AMQP_URI": uri, "HUB_AMQP_CA_FILE": str(ca_file)}
    config["AMQP_SSL"] = hub_config.amqp_ssl(config)  # what hubstack.launch adds for a service
    return config


def test_amqps_uri_turns_on_verified_tls_with_the_configured_ca(tls_config):
    import ssl

    options = hub_config.amqp_ssl({"AMQP_URI": tls_config["AMQP_URI"],
                                   "HUB_AMQP_CA_FILE": tls_config["HUB_AMQP_CA_FILE"]})
    assert options["cert_reqs"] == ssl.CERT_REQUIRED
    assert options["ca_certs"] == tls_config["HUB_AMQP_CA_FILE"]
    assert hub_config.amqp_ssl({"AMQP_URI": "pyamqp://guest:guest@localhost:5672//"}) is None


def test_an_rpc_and_an_event_round_trip_over_verified_tls(container_factory, tls_config):
    from notifications.service import NotificationsService

    container_factory(NotificationsService, tls_config).start()  # RPC and its event handlers, TLS
    assert broker_reachable(tls_config["AMQP_URI"], config=tls_config)

    event = PersonRegistered(person_id=uuid.uuid4(), il_number=f"{uuid.uuid4().int % 10**10:010d}",
                             first_name="Tess", last_name="Layer")
    dispatch = event_dispatcher(tls_config)
    dispatch("accounts", event.event_type, event.model_dump(mode="json"))

    pool = RpcPool(tls_config["AMQP_URI"], size=1, timeout=10)  # the gateway's pool, over TLS
    try:
        inbox = wait_until(lambda: pool.call("notifications", "list_messages", str(event.person_id))["messages"],
                           timeout=20, message="the welcome message, over TLS")
        assert len(inbox) == 1
    finally:
        pool.close()


def test_events_from_the_outbox_are_relayed_over_verified_tls(tls_config, service_config):
    """The outbox relay (common.publisher) publishes over TLS too. kombu pools connections by host
    and credentials, not by TLS options, so the pools are emptied first: otherwise the relay could
    borrow a connection that another publisher in this process opened with the right options."""
    import kombu.pools

    from common.publisher import outbox_row, relay_pending
    from common.topology import Subscription, declare_topology
    from tests.integration.test_reliability import queue_depth
    from tests.support.databases import memory_sessions

    declare_topology(tls_config["AMQP_URI"], tls_config)
    sessions = memory_sessions("accounts")
    event = PersonRegistered(person_id=uuid.uuid4(), il_number=f"{uuid.uuid4().int % 10**10:010d}",
                             first_name="Otto", last_name="Box")
    with sessions() as session:
        session.add(outbox_row(sessions.kw["info"]["base"], event))
        session.commit()
    kombu.pools.reset()
    assert relay_pending(sessions, tls_config["AMQP_URI"], tls_config) == 1
    welcome = Subscription("notifications", "accounts", "person_registered")
    assert queue_depth(service_config["AMQP_URI"], welcome.queue_name) == 1


def test_a_broker_certificate_from_an_untrusted_ca_is_refused(tls_config, tmp_path, monkeypatch):
    other_ca, _ = write_pair(make_ca("someone else's CA"), tmp_path, "other-ca")
    monkeypatch.setenv("HUB_AMQP_CA_FILE", str(other_ca))
    untrusted = {"AMQP_URI": tls_config["AMQP_URI"], "HUB_AMQP_CA_FILE": str(other_ca)}
    assert not broker_reachable(tls_config["AMQP_URI"], timeout=5, config=untrusted)
    pool = RpcPool(tls_config["AMQP_URI"], size=1, timeout=5)
    with pytest.raises((ServiceUnavailable, OSError)):
        pool.call("notifications", "health")
    pool.close()


def test_a_missing_ca_file_is_named_at_start(tls_config, tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        hub_config.amqp_ssl({"AMQP_URI": tls_config["AMQP_URI"],
                             "HUB_AMQP_CA_FILE": str(tmp_path / "nope.pem")})
