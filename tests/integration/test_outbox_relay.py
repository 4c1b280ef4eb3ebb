"""The outbox relay on PostgreSQL: replicas relaying at the same time publish each event once;
live secrets do not stay in relayed rows, and relayed rows are pruned after a while."""
import logging
import uuid
from datetime import UTC, datetime, timedelta

import eventlet
import pytest
import sqlalchemy as sa
from accounts.service import AccountsService
from kombu import Connection, Queue

from common.events.accounts import InvitationSent, PasswordResetRequested, PersonRegistered
from common.migrations import upgrade_to_head
from common.publisher import REDACTED, outbox_row, prune_relayed, relay_pending
from common.topology import declare_topology, event_exchange
from tests.integration.test_reliability import make_registered
from tests.support.databases import service_sessions
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.broker, pytest.mark.postgres]


def test_two_relays_racing_publish_every_event_exactly_once(service_config, postgres_url):
    config = {**service_config, "ACCOUNTS_DB_URL": postgres_url()}
    upgrade_to_head("accounts", config["ACCOUNTS_DB_URL"])
    sessions = service_sessions("accounts", config)
    events = [make_registered() for _ in range(120)]
    with sessions() as session:
        for event in events:
            session.add(outbox_row(session.info["base"], event))
        session.commit()

    uri = config["AMQP_URI"]
    declare_topology(uri, config)
    with Connection(uri) as connection:
        tap = Queue("test-tap", exchange=event_exchange("accounts", config), routing_key="#", durable=False)
        tap(connection.channel()).declare()

        pool = eventlet.GreenPool(2)
        relayed = list(pool.imap(lambda _: _relay_all(sessions, uri, config), range(2)))
        assert sum(relayed) == len(events)

        seen = []
        channel = connection.channel()
        while (message := channel.basic_get("test-tap", no_ack=True)) is not None:
            seen.append(PersonRegistered.model_validate_json(message.body).event_id)
    assert sorted(map(str, seen)) == sorted(str(e.event_id) for e in events)

    with sessions() as session:
        outbox = session.info["base"].OutboxMessage
        assert session.scalar(sa.select(sa.func.count()).select_from(outbox).where(outbox.sent_at.is_(None))) == 0


def _relay_all(sessions, uri, config) -> int:
    total = 0
    while (sent := relay_pending(sessions, uri, config)):
        total += sent
        eventlet.sleep(0)
    return total


def accounts_outbox(service_config, postgres_url):
    config = {**service_config, "ACCOUNTS_DB_URL": postgres_url()}
    upgrade_to_head("accounts", config["ACCOUNTS_DB_URL"])
    declare_topology(config["AMQP_URI"], config)
    return config, service_sessions("accounts", config)


def test_a_relayed_invitation_or_reset_row_no_longer_holds_its_link(service_config, postgres_url):
    config, sessions = accounts_outbox(service_config, postgres_url)
    invitation = InvitationSent(person_id=uuid.uuid4(), claim_url="https://hub.example/claim?token=live-claim-secret",
                                expires_at="2030-01-01T00:00:00+00:00")
    reset = PasswordResetRequested(person_id=uuid.uuid4(), expires_at="2030-01-01T00:00:00+00:00",
                                   reset_url="https://hub.example/reset-password?token=live-reset-secret")
    with sessions() as session:
        session.add_all([outbox_row(session.info["base"], e) for e in (invitation, reset)])
        session.commit()
    with Connection(config["AMQP_URI"]) as connection:
        tap = Queue("test-tap", exchange=event_exchange("accounts", config), routing_key="#", durable=False)
        tap(connection.channel()).declare()
        assert relay_pending(sessions, config["AMQP_URI"], config) == 2
        channel = connection.channel()
        bodies = []
        while (message := channel.basic_get("test-tap", no_ack=True)) is not None:
            bodies.append(message.body if isinstance(message.body, str) else message.body.decode())
    # the subscriber got the live links ...
    assert any("live-claim-secret" in body for body in bodies)
    assert any("live-reset-secret" in body for body in bodies)
    # ... and the stored copies no longer hold them
    with sessions() as session:
        outbox = session.info["base"].OutboxMessage
        stored = {row.event_type: row.payload for row in session.scalars(sa.select(outbox))}
    assert "live-claim-secret" not in stored["invitation_sent"] and REDACTED in stored["invitation_sent"]
    assert "live-reset-secret" not in stored["password_reset_requested"]
    assert InvitationSent.model_validate_json(stored["invitation_sent"]).event_id == invitation.event_id


def _outbox_rows(sessions, **ages):
    now = datetime.now(UTC)
    ids = {}
    with sessions() as session:
        base = session.info["base"]
        for name, (created_days, sent_days) in ages.items():
            row = outbox_row(base, make_registered())
            row.created_at = now - timedelta(days=created_days)
            if sent_days is not None:
                row.sent_at, row.outcome, row.attempts = now - timedelta(days=sent_days), "delivered", 1
            session.add(row)
            session.flush()
            ids[name] = row.id
        session.commit()
    return ids


def _remaining(sessions, ids) -> set:
    with sessions() as session:
        outbox = session.info["base"].OutboxMessage
        left = set(session.scalars(sa.select(outbox.id)))
    return {name for name, row_id in ids.items() if row_id in left}


def test_relayed_rows_older_than_the_retention_are_pruned_but_pending_rows_never(
        service_config, postgres_url, caplog):
    _, sessions = accounts_outbox(service_config, postgres_url)
    ids = _outbox_rows(sessions, old_relayed=(9, 8), recent_relayed=(2, 1), old_pending=(30, None))
    with caplog.at_level(logging.INFO, logger="common.publisher"):
        assert prune_relayed(sessions, retention_days=7) == 1
    assert _remaining(sessions, ids) == {"recent_relayed", "old_pending"}
    assert "pruned 1 relayed outbox row" in caplog.text
    assert "payload" not in caplog.text and "person_id" not in caplog.text


def test_a_retention_of_zero_keeps_every_relayed_row(service_config, postgres_url):
    _, sessions = accounts_outbox(service_config, postgres_url)
    ids = _outbox_rows(sessions, ancient_relayed=(400, 399))
    assert prune_relayed(sessions, retention_days=0) == 0
    assert _remaining(sessions, ids) == {"ancient_relayed"}


def test_the_relay_loop_of_a_running_service_prunes_old_relayed_rows(container_factory, service_config,
                                                                     postgres_url):
    config, sessions = accounts_outbox(service_config, postgres_url)
    ids = _outbox_rows(sessions, old_relayed=(20, 10), recent_relayed=(2, 1))
    container_factory(AccountsService, {**config, "HUB_OUTBOX_RETENTION_DAYS": "7"}).start()
    wait_until(lambda: _remaining(sessions, ids) == {"recent_relayed"}, timeout=15,
               message="the relay loop to prune the old relayed row")
