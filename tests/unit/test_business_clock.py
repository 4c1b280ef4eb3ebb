""""Today" is the business's day in HUB_TIMEZONE (Los Angeles by default), never the host's: in a
UTC container a document valid through the 15th must still be valid at 5 pm on the 15th in
Burbank."""
import uuid
from datetime import UTC, date, datetime

import pytest

from common import clock
from common.events.documents import DocumentReviewed

FIVE_PM_IN_BURBANK_ON_THE_15TH = datetime(2026, 7, 16, 0, 0, tzinfo=UTC)  # PDT is UTC-7


@pytest.fixture
def at_five_pm_in_burbank(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: FIVE_PM_IN_BURBANK_ON_THE_15TH)


def test_today_is_the_day_in_los_angeles_by_default(monkeypatch, at_five_pm_in_burbank):
    monkeypatch.delenv("HUB_TIMEZONE", raising=False)

    assert clock.today() == date(2026, 7, 15)


def test_today_follows_hub_timezone(monkeypatch, at_five_pm_in_burbank):
    monkeypatch.setenv("HUB_TIMEZONE", "UTC")
    assert clock.today() == date(2026, 7, 16)
    monkeypatch.setenv("HUB_TIMEZONE", "Pacific/Honolulu")
    assert clock.today() == date(2026, 7, 15)


def test_an_unknown_time_zone_is_refused_with_its_name(monkeypatch):
    monkeypatch.setenv("HUB_TIMEZONE", "Mars/Olympus_Mons")

    with pytest.raises(ValueError, match="Mars/Olympus_Mons"):
        clock.today()


def test_an_instant_falls_on_the_business_day_it_was_in_burbank(monkeypatch):
    monkeypatch.delenv("HUB_TIMEZONE", raising=False)

    assert clock.local_day(FIVE_PM_IN_BURBANK_ON_THE_15TH) == date(2026, 7, 15)
    assert clock.local_day(datetime(2026, 1, 15, 7, 59)) == date(2026, 1, 14)  # naive means UTC


def test_a_document_approved_late_afternoon_in_burbank_counts_from_that_day(monkeypatch):
    from rosters import facts_events

    monkeypatch.delenv("HUB_TIMEZONE", raising=False)

    class Session:
        def __init__(self):
            self.added = []

        def get(self, model, key):
            return None

        def add(self, row):
            self.added.append(row)

    session = Session()
    event = DocumentReviewed(document_id=uuid.uuid4(), person_id=uuid.uuid4(),
                             document_type="dot_medical_certificate", decision="approved",
                             expires_on=date(2027, 7, 15), occurred_at=FIVE_PM_IN_BURBANK_ON_THE_15TH)
    facts_events.document_reviewed(session, event)

    assert session.added[0].approved_on == date(2026, 7, 15)


def test_document_review_decisions_are_a_closed_set():
    with pytest.raises(ValueError):
        DocumentReviewed(document_id=uuid.uuid4(), person_id=uuid.uuid4(), document_type="other",
                         decision="approve")


def test_the_gateway_refuses_to_start_with_an_unknown_time_zone(monkeypatch):
    from gateway import create_app

    monkeypatch.setenv("HUB_TIMEZONE", "Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="HUB_TIMEZONE"):
        create_app({"TESTING": True, "SECRET_KEY": "x"})
