"""The staff report of activity per month (rosters.monthly_report) through the rosters entrypoint on a
real in-memory database: placements, suspensions (the engine's, and the ones staff impose), removals
and reinstatements counted into calendar months of the Hub's time zone, for all locals or one,
staff-only, and counted in SQL (GROUP BY), never by loading the rows."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from rosters.models import Base, ClassificationRecord, Person, Removal, Suspension
from rosters.monthly_report import month_starts

from common.clock import local_day, today
from common.errors import Forbidden, ValidationFailed
from tests.unit.test_rosters_entrypoints import placed_grip

STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_reviewer"]}
IP = {"roles": ["industry_professional"]}
REP = {"roles": ["union_rep"], "locals": ["80"]}


def make_record(session, placed_on: date | None, code: str = "80-GRIP", local: str = "80") -> ClassificationRecord:
    person_id = uuid.uuid4()
    session.add(Person(person_id=person_id, il_number=f"{person_id.int % 10**10:010d}", first_name="Pat",
                       last_name="Grip", registered_at=datetime.now(UTC)))
    session.flush()   # PostgreSQL holds the record to its person
    record = ClassificationRecord(id=uuid.uuid4(), person_id=person_id, classification_code=code, local=local,
                                  applied_on=placed_on or today(), placed_on=placed_on, status="compliant",
                                  status_as_of=today(), updated_at=datetime.now(UTC))
    session.add(record)
    return record


def make_suspension(session, record: ClassificationRecord, starts_on: date, kind: str = "suspension") -> None:
    session.add(Suspension(id=uuid.uuid4(), person_id=record.person_id, classification_code=record.classification_code,
                           kind=kind, starts_on=starts_on, reason="Safety incident", created_at=datetime.now(UTC)))


def make_removal(session, record: ClassificationRecord, effective_on: date, status: str = "removed",
                 decided_on: date | None = None) -> None:
    session.add(Removal(id=uuid.uuid4(), person_id=record.person_id, classification_code=record.classification_code,
                        reason_code="request", effective_on=effective_on, protest_by=effective_on + timedelta(days=30),
                        status=status, decision="reversed" if status == "reversed" else None, decided_on=decided_on,
                        created_at=datetime.now(UTC)))


def make_audited(session, record: ClassificationRecord, action: str, at: datetime,
                 target_type: str = "classification_record") -> None:
    session.add(Base.AuditEntry(at=at, actor_roles="system", action=action, target_type=target_type,
                                target_id=str(record.id), details="{}"))


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 20, tzinfo=UTC)   # midday in Burbank


def by_month(report: dict) -> dict[str, dict]:
    return {row["month"]: row for row in report["rows"]}


COUNTED = ("placements", "suspensions", "staff_suspensions", "withdrawals", "removals", "reinstatements")


def counts(row: dict) -> dict:
    return {k: row[k] for k in COUNTED if row[k]}


def test_each_fact_is_counted_in_the_month_it_falls_in_newest_month_first(rosters):
    service, session, _ = rosters
    starts = month_starts(today(), 12)
    this, last, before = starts[-2], starts[-3], starts[-4]
    make_record(session, this)                          # the first day of this month
    make_record(session, this - timedelta(days=1))      # the last day of last month
    make_record(session, starts[0] - timedelta(days=1))  # before the 12 months: not counted
    make_record(session, None)                          # never placed
    record = make_record(session, before)
    make_suspension(session, record, last + timedelta(days=3))
    make_suspension(session, record, this, kind="withdrawal")
    make_removal(session, record, last + timedelta(days=9))
    make_removal(session, record, last, status="reversed", decided_on=this)   # a reinstatement, not a removal
    make_audited(session, record, "record.suspended", noon(before + timedelta(days=14)))
    make_audited(session, record, "record.reinstated", noon(this))
    make_audited(session, record, "record.placed", noon(this))                 # not a suspension
    make_audited(session, record, "record.suspended", noon(this), target_type="person")
    session.commit()

    report = service.monthly_activity(12, None, STAFF)
    assert [row["month"] for row in report["rows"]] == [f"{s:%Y-%m}" for s in reversed(starts[:-1])]
    assert report["rows"][0]["starts_on"] == this.isoformat()
    assert report["rows"][0]["ends_on"] == (starts[-1] - timedelta(days=1)).isoformat()
    months = by_month(report)
    assert counts(months[f"{this:%Y-%m}"]) == {"placements": 1, "withdrawals": 1, "reinstatements": 2}
    assert counts(months[f"{last:%Y-%m}"]) == {"placements": 1, "staff_suspensions": 1, "removals": 1}
    assert counts(months[f"{before:%Y-%m}"]) == {"placements": 1, "suspensions": 1}
    assert report["totals"] == {"placements": 3, "suspensions": 1, "staff_suspensions": 1, "withdrawals": 1,
                                "removals": 1, "reinstatements": 2}
    assert report["local"] is None and report["locals"]["80"] and report["as_of"] == today().isoformat()


def test_a_staff_suspension_counts_as_suspended_and_as_staff_imposed_and_lifting_it_as_reinstated(rosters):
    service, session, _ = rosters
    person = str(placed_grip(service, session, today() - timedelta(days=100))["person_id"])
    imposed = service.impose_suspension({"person_id": person, "classification_code": "80-GRIP",
                                         "reason": "Safety incident on set"}, STAFF)
    service.lift_suspension(imposed["suspension_id"], {}, STAFF)
    row = service.monthly_activity(1, None, STAFF)["rows"][0]
    assert counts(row) == {"suspensions": 1, "staff_suspensions": 1, "reinstatements": 1}


def test_months_are_the_hubs_calendar_months_not_utcs(rosters, monkeypatch):
    service, session, _ = rosters
    burbank = ZoneInfo("America/Los_Angeles")
    first = month_starts(today(), 12)[-3]   # the first of last month
    # half past eleven at night on the last day of the month before, in Burbank: already the 1st in UTC
    late = datetime.combine(first - timedelta(days=1), datetime.min.time(), burbank).replace(hour=23, minute=30)
    early = datetime.combine(first, datetime.min.time(), burbank).replace(minute=30)
    assert late.astimezone(UTC).date() == first
    record = make_record(session, first - timedelta(days=40))
    make_audited(session, record, "record.suspended", late.astimezone(UTC))
    make_audited(session, record, "record.suspended", early.astimezone(UTC))
    session.commit()

    monkeypatch.setenv("HUB_TIMEZONE", "America/Los_Angeles")
    months = by_month(service.monthly_activity(12, None, STAFF))
    assert months[f"{first - timedelta(days=1):%Y-%m}"]["suspensions"] == 1
    assert months[f"{first:%Y-%m}"]["suspensions"] == 1

    monkeypatch.setenv("HUB_TIMEZONE", "Asia/Tokyo")   # the same instants, both on the 1st in Tokyo
    report = service.monthly_activity(12, None, STAFF)
    assert report["time_zone"] == "Asia/Tokyo"
    assert local_day(late) == local_day(early) == first
    assert by_month(report)[f"{first:%Y-%m}"]["suspensions"] == 2


def test_the_local_filter_counts_only_that_locals_records(rosters):
    service, session, _ = rosters
    this = month_starts(today(), 1)[0]
    grip = make_record(session, this)
    driver = make_record(session, this, code="399-DRIVER-G3", local="399")
    make_record(session, this, code="399-DRIVER-G3", local="399")
    for record in (grip, driver):
        make_suspension(session, record, this)
        make_removal(session, record, this)
        make_audited(session, record, "record.suspended", noon(this))
    make_audited(session, driver, "record.reinstated", noon(this))
    session.commit()

    assert counts(service.monthly_activity(1, "80", STAFF)["rows"][0]) == {
        "placements": 1, "suspensions": 1, "staff_suspensions": 1, "removals": 1}
    only_399 = service.monthly_activity(1, "399", STAFF)
    assert only_399["local"] == "399"
    assert counts(only_399["rows"][0]) == {"placements": 2, "suspensions": 1, "staff_suspensions": 1, "removals": 1,
                                           "reinstatements": 1}
    assert counts(service.monthly_activity(1, " ", STAFF)["rows"][0])["placements"] == 3   # blank: every local
    with pytest.raises(ValidationFailed, match="no local"):
        service.monthly_activity(1, "99999", STAFF)


@pytest.mark.parametrize("months", [0, 37, "x", -1])
def test_a_number_of_months_out_of_range_is_refused(rosters, months):
    service, _, _ = rosters
    with pytest.raises(ValidationFailed):
        service.monthly_activity(months, None, STAFF)


def test_the_number_of_months_is_asked_for_and_twelve_by_default(rosters):
    service, _, _ = rosters
    assert len(service.monthly_activity("3", None, STAFF)["rows"]) == 3
    assert len(service.monthly_activity(None, None, STAFF)["rows"]) == 12
    assert len(service.monthly_activity(36, None, STAFF)["rows"]) == 36


@pytest.mark.parametrize("who", [IP, REP, {"roles": ["employer"]}, None])
def test_only_staff_see_the_monthly_report(rosters, who):
    service, _, _ = rosters
    with pytest.raises(Forbidden):
        service.monthly_activity(12, None, who)


def test_the_counting_is_done_by_the_database_never_by_loading_rows(rosters):
    service, session, _ = rosters
    this = month_starts(today(), 1)[0]
    for _ in range(40):
        record = make_record(session, this)
        make_suspension(session, record, this)
        make_removal(session, record, this)
        make_audited(session, record, "record.suspended", noon(this))
    session.commit()
    statements = []
    engine = session.get_bind()
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        report = service.monthly_activity(12, "80", STAFF)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert counts(report["rows"][0]) == {"placements": 40, "suspensions": 40, "staff_suspensions": 40, "removals": 40}
    facts = [s for s in statements if any(t in s for t in ("classification_records", "suspensions", "removals",
                                                           "audit_log"))]
    assert len(facts) == 5 and all("GROUP BY" in s for s in facts), facts
