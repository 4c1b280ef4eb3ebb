"""Each Hub process has its own RabbitMQ user, allowed only what it uses (hubstack.broker_users,
deploy/rabbitmq/definitions.json). Checked against the real broker: the five services and the
gateway's pool run the welcome thread under their own users, and a user trying anything else
is refused."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import amqp.exceptions
import pytest
from kombu import Connection

from common.config import SERVICES
from hubstack import broker_users
from tests.support.factories import make_person
from tests.support.waiting import random_suffix, wait_until

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_definitions_are_the_ones_generated_from_the_topology():
    committed = (ROOT / "deploy" / "rabbitmq" / "definitions.json").read_text()
    assert committed == broker_users.render(broker_users.definitions()), \
        "run `python -m hubstack.broker_users --write` and commit deploy/rabbitmq/definitions.json"


def test_there_is_one_user_per_service_and_one_for_the_gateway_and_no_passwords_committed():
    committed = json.loads((ROOT / "deploy" / "rabbitmq" / "definitions.json").read_text())
    assert sorted(user["name"] for user in committed["users"]) == sorted([*SERVICES, "gateway"])
    assert not [user for user in committed["users"] if "password_hash" in user or "password" in user]
    assert all(p["configure"] != ".*" and p["read"] != ".*" for p in committed["permissions"])


def test_password_hashes_are_rabbitmqs_salted_sha256():
    hashed = base64.b64decode(broker_users.password_hash("s3cret", salt=b"\x01\x02\x03\x04"))
    assert hashed == b"\x01\x02\x03\x04" + hashlib.sha256(b"\x01\x02\x03\x04s3cret").digest()


def test_init_writes_certificates_and_hashed_definitions_from_the_processes_uris(tmp_path):
    env = {f"{user.upper()}_AMQP_URI": f"amqps://{user}:pw-{user}@rabbitmq:5671/"
           for user in broker_users.USERS}
    env.update(RABBITMQ_DEFAULT_USER="hub", RABBITMQ_DEFAULT_PASS="operator-pw")
    result = subprocess.run([sys.executable, "-m", "hubstack.broker_users", "init", str(tmp_path)], cwd=ROOT,
                            env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert {"ca.pem", "ca.key", "server.pem", "server.key", "definitions.json"} <= {p.name for p in tmp_path.iterdir()}
    written = json.loads((tmp_path / "definitions.json").read_text())
    assert "pw-rosters" not in (tmp_path / "definitions.json").read_text()
    assert {u["name"]: u["tags"] for u in written["users"]}["hub"] == ["administrator"]
    assert oct((tmp_path / "definitions.json").stat().st_mode & 0o777) == "0o600"
    missing = subprocess.run([sys.executable, "-m", "hubstack.broker_users", "init", str(tmp_path)], cwd=ROOT,
                             env={**os.environ, **env, "ROSTERS_AMQP_URI": ""}, capture_output=True, text=True,
                             timeout=60)
    assert missing.returncode == 2 and "ROSTERS_AMQP_URI" in missing.stderr


# --- against the real broker -------------------------------------------------------------------

@pytest.fixture
def hub_users(rabbit_manager, broker_available, request):
    """The generated users (renamed with a random prefix) on a throwaway vhost: {user: amqp uri}."""
    vhost = f"hub_users_{random_suffix()}"
    prefix = f"t{random_suffix(6)}_"
    passwords = {prefix + user: f"pw-{random_suffix(12)}" for user in broker_users.USERS}
    data = broker_users.with_passwords(broker_users.definitions(vhost=vhost, prefix=prefix), passwords)
    rabbit_manager._post("definitions", json=data)
    broker = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    uris = {user: f"pyamqp://{prefix + user}:{passwords[prefix + user]}@{broker.hostname}:{broker.port or 5672}/{vhost}"
            for user in broker_users.USERS}
    yield uris
    for name in passwords:
        rabbit_manager._delete("users", name)
    rabbit_manager.delete_vhost(vhost)


def config_for(user: str, uris: dict, tmp_path) -> dict:
    return {"AMQP_URI": uris[user], "HUB_SERVICE": user, "HUB_DATA_DIR": str(tmp_path / "data"),
            "EVENT_MAX_ATTEMPTS": 3, "EVENT_RETRY_DELAY_MS": 50, "serializer": "json", "max_workers": 10}


@pytest.mark.broker
def test_every_process_works_under_its_own_broker_user(container_factory, hub_users, tmp_path):
    import importlib

    from gateway.rpc import RpcPool

    for service in SERVICES:
        cls = getattr(importlib.import_module(f"{service}.service"), f"{service.capitalize()}Service")
        container_factory(cls, config_for(service, hub_users, tmp_path)).start()
    pool = RpcPool(hub_users["gateway"], size=2, timeout=15)
    try:
        created = pool.call("accounts", "create_account", make_person())
        inbox = wait_until(lambda: pool.call("notifications", "list_messages", created["person_id"])["messages"],
                           timeout=30, message="the welcome message under least-privilege users")
        assert len(inbox) == 1
        for service in SERVICES:
            assert pool.call(service, "health")["status"] == "ok"
    finally:
        pool.close()
    # the container healthcheck runs in the service's container, with the service's own user
    check = subprocess.run([sys.executable, str(ROOT / "deploy" / "healthcheck.py"), "rosters"],
                           env={**os.environ, "AMQP_URI": hub_users["rosters"]}, capture_output=True,
                           text=True, timeout=60)
    assert check.returncode == 0, check.stderr


def publish(exchange: str, routing_key: str):
    def action(channel):
        # with publisher confirms, a refusal arrives before the call returns
        channel.basic_publish_confirm(amqp.Message(b"{}"), exchange=exchange, routing_key=routing_key)
    return action


def refused(uri: str, action) -> bool:
    with Connection(uri, connect_timeout=5) as connection:
        channel = connection.channel()
        try:
            action(channel)
        except amqp.exceptions.AccessRefused:
            return True
    return False


@pytest.mark.broker
def test_a_broker_user_is_refused_what_its_process_does_not_use(hub_users, rabbit_manager):
    from common.topology import Subscription, declare_topology

    declare_topology(hub_users["accounts"], {"HUB_SERVICE": "accounts"})
    declare_topology(hub_users["rosters"], {"HUB_SERVICE": "rosters"})
    welcome = Subscription("notifications", "accounts", "person_registered")
    rosters = hub_users["rosters"]
    # rosters may not read the accounts service's RPC requests, nor a welcome queue it does not own
    assert refused(rosters, lambda ch: ch.basic_consume("rpc-accounts", callback=lambda m: None))
    assert refused(rosters, lambda ch: ch.basic_get(welcome.queue_name))
    # nor publish as accounts, nor delete another service's queue
    assert refused(rosters, publish("accounts.events", "person_registered"))
    assert refused(rosters, lambda ch: ch.queue_delete(welcome.queue_name))
    # the gateway may call services but not consume or publish events
    assert refused(hub_users["gateway"], lambda ch: ch.basic_get("rpc-accounts"))
    assert refused(hub_users["gateway"], publish("accounts.events", "person_registered"))
    # and the same kinds of action on what is their own are allowed (the checks above are real)
    assert not refused(rosters, publish("rosters.events", "suspended"))
    def declare_and_call(channel):
        channel.exchange_declare("nameko-rpc", "topic", durable=True, auto_delete=False)
        publish("nameko-rpc", "accounts.health")(channel)
    assert not refused(hub_users["gateway"], declare_and_call)
