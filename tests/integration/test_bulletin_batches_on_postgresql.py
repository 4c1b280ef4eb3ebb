"""A bulletin's audience told a batch at a time on PostgreSQL by notifications instances whose
timers tick at once: the bulletin's row is locked for a batch (SKIP LOCKED), so a second instance
passes it by instead of telling the same people, and together they tell everyone exactly once."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from notifications import bulletins
from notifications.bulletins_models import BulletinAudienceMember, BulletinDelivery
from notifications.models import Base, Message

from common.contracts.notifications import BulletinIn
from common.db import create_engine_for, make_session_factory
from common.migrations import upgrade_to_head

URL = "https://hub.test"


@pytest.fixture
def sessions(postgres_url):
    url = postgres_url()
    upgrade_to_head("notifications", url)
    engine = create_engine_for(url)
    yield make_session_factory(engine, Base)
    engine.dispose()


def test_two_instances_at_once_never_tell_the_same_batch_and_together_tell_everyone_once(sessions, monkeypatch):
    monkeypatch.setattr(bulletins, "DELIVERY_BATCH", 4)
    people = [uuid.uuid4() for _ in range(10)]
    with sessions() as session:
        session.add_all(BulletinAudienceMember(person_id=p, classification_code="80-GRIP", local="80")
                        for p in people)
        session.flush()
        bulletins.publish(session, BulletinIn(title="Heat", body="Drink water."), URL)
        session.commit()

    with sessions() as first, sessions() as second:
        told_by_first = bulletins.deliver_next_batch(first, URL)   # holds the bulletin's row
        assert len(told_by_first) == 4
        assert bulletins.deliver_next_batch(second, URL) is None     # passes it by, no wait
        first.commit()
        assert len(bulletins.deliver_next_batch(second, URL)) == 2   # then carries on
        second.commit()

    with sessions() as session:
        assert bulletins.deliver_next_batch(session, URL) is None
        told = session.scalars(sa.select(BulletinDelivery.person_id)).all()
        assert sorted(told) == sorted(people)                          # each once
        assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 10


def test_an_edit_while_another_instance_tells_a_batch_waits_for_it_and_tells_nobody_twice(sessions, monkeypatch):
    import threading

    from common.contracts.notifications import BulletinPatch

    monkeypatch.setattr(bulletins, "DELIVERY_BATCH", 4)
    people = [uuid.uuid4() for _ in range(6)]
    with sessions() as session:
        session.add_all(BulletinAudienceMember(person_id=p, classification_code="80-GRIP", local="80")
                        for p in people)
        session.flush()
        published, _ = bulletins.publish(session, BulletinIn(title="Heat", body="Drink water."), URL)
        session.commit()

    errors, edited = [], threading.Event()

    def edit():
        try:
            with sessions() as session:
                bulletins.update(session, published.id, BulletinPatch(body="Drink more water."), URL)
                session.commit()
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            edited.set()

    with sessions() as timer:
        assert len(bulletins.deliver_next_batch(timer, URL)) == 2   # the last two, not yet committed
        editor = threading.Thread(target=edit)
        editor.start()
        assert not edited.wait(0.5)   # the edit waits for the batch on the bulletin's row
        timer.commit()
    editor.join(timeout=30)

    assert errors == []
    with sessions() as session:
        told = session.scalars(sa.select(BulletinDelivery.person_id)).all()
        assert sorted(told) == sorted(people)   # each once: the edit told nobody again
