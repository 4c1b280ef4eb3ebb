"""A service killed with SIGKILL in the middle of handling an event loses nothing and applies the
event's side effects once, after it restarts. The service runs as a real process (`nameko run`,
as `make run` starts it) on PostgreSQL; the test holds a table lock so the handler is provably
mid-transaction when it is killed."""

import pytest
import sqlalchemy as sa
from notifications.models import Message, OutgoingEmail

from hubstack.stack import Stack
from tests.integration.test_reliability import WELCOME, make_registered, publish_registered, queue_depth
from tests.support.databases import service_sessions
from tests.support.waiting import wait_until

pytestmark = pytest.mark.broker


def start_notifications(config, tmp_path) -> Stack:
    stack = Stack(env={"AMQP_URI": config["AMQP_URI"], "NOTIFICATIONS_DB_URL": config["NOTIFICATIONS_DB_URL"],
                       "HUB_DATA_DIR": config["HUB_DATA_DIR"]}, log_dir=tmp_path, echo=False)
    stack.start(names=["notifications"])
    return stack


def handler_waiting_on_lock(engine) -> bool:
    with engine.connect() as connection:
        return bool(connection.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")).scalar())


def test_service_killed_mid_handling_applies_the_event_once_after_restart(service_config, postgres_url,
                                                                          tmp_path, rpc):
    config = {**service_config, "NOTIFICATIONS_DB_URL": postgres_url()}
    stack = start_notifications(config, tmp_path)
    try:
        wait_until(lambda: _healthy(rpc), timeout=60, message="notifications to start")
        engine = sa.create_engine(config["NOTIFICATIONS_DB_URL"])
        blocker = engine.connect()
        blocking = blocker.begin()
        blocker.execute(sa.text("LOCK TABLE processed_events IN ACCESS EXCLUSIVE MODE"))

        event = make_registered()
        publish_registered(config, event)
        wait_until(lambda: handler_waiting_on_lock(engine), timeout=20,
                   message="the handler to be mid-transaction")
        stack.kill("notifications")  # SIGKILL: no cleanup, no ack
        blocking.rollback()
        blocker.close()

        # the unacknowledged event went back to the queue
        wait_until(lambda: queue_depth(config["AMQP_URI"], WELCOME.queue_name) == 1, timeout=20,
                   message="the event to return to the queue")
        stack.restart("notifications")
        sessions = service_sessions("notifications", config)

        def handled():
            with sessions() as session:
                return session.scalars(sa.select(Message).where(Message.person_id == event.person_id)).all()

        wait_until(handled, timeout=60, message="the event to be handled after the restart")
        wait_until(lambda: queue_depth(config["AMQP_URI"], WELCOME.queue_name) == 0, timeout=20,
                   message="the event to be acknowledged")
        with sessions() as session:
            assert len(session.scalars(sa.select(Message).where(Message.person_id == event.person_id)).all()) == 1
            assert len(session.scalars(sa.select(OutgoingEmail).where(
                OutgoingEmail.person_id == event.person_id)).all()) == 1
        engine.dispose()
    finally:
        stack.stop()


def _healthy(rpc) -> bool:
    try:
        return rpc.notifications.health()["status"] == "ok"
    except Exception:
        return False
