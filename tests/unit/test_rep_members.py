"""Union reps' view of a local (rosters.members, issue 11 journey 7): absolute scoping (another
local's rep gets "No such local."), filters, paging, the snapshot, and the export's rows and audit."""
import json
import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from rosters.catalog_loader import Catalog
from rosters.members import CSV_COLUMNS, export_rows, local_members, local_summary
from rosters.models import ClassificationRecord, Person

from common.contracts.rosters import LocalMembersFilters
from common.errors import NotFound
from tests.support.databases import memory_sessions

TODAY = date(2024, 3, 1)
NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
REP_399 = {"account_id": str(uuid.uuid4()), "roles": ["union_rep"], "locals": ["399"]}
REP_44 = {"account_id": str(uuid.uuid4()), "roles": ["union_rep"], "locals": ["44"]}
REP_BOTH = {"account_id": str(uuid.uuid4()), "roles": ["union_rep"], "locals": ["399", "44"]}
STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_reviewer"]}
IP = {"account_id": str(uuid.uuid4()), "person_id": str(uuid.uuid4()), "roles": ["industry_professional"]}


@pytest.fixture(scope="module")
def catalog():
    return Catalog.from_files()


@pytest.fixture
def session():
    sessions = memory_sessions("rosters")
    with sessions() as session:
        yield session


_il = iter(range(1, 10**9))


def person(session, last, first="Pat", records=(("399-DRIVER-G3", "in_progress_not_training_eligible"),)):
    p = Person(person_id=uuid.uuid4(), il_number=f"{next(_il):010d}", first_name=first, last_name=last,
               registered_at=NOW)
    session.add(p)
    session.flush()
    for code, status in records:
        session.add(ClassificationRecord(
            id=uuid.uuid4(), person_id=p.person_id, classification_code=code, local=code.split("-")[0],
            applied_on=date(2024, 1, 2), placed_on=date(2024, 2, 1) if status == "compliant" else None,
            status=status, status_as_of=TODAY, updated_at=NOW))
    session.flush()
    return p


def members(session, catalog, local, viewer, **filters):
    return local_members(session, catalog, local, LocalMembersFilters(**filters), viewer, TODAY)


def names(answer):
    return [f"{m.first_name} {m.last_name}" for m in answer.members]


# --- scoping ---------------------------------------------------------------------------------------

def test_a_rep_of_another_local_is_told_no_such_local(session, catalog):
    person(session, "Applicant")
    for call in (lambda: members(session, catalog, "399", REP_44),
                 lambda: local_summary(session, catalog, "399", REP_44, TODAY),
                 lambda: export_rows(session, catalog, "399", LocalMembersFilters(), REP_44, TODAY)):
        with pytest.raises(NotFound, match="No such local."):
            call()


def test_the_refusal_is_the_same_as_for_a_local_that_does_not_exist(session, catalog):
    with pytest.raises(NotFound) as other:
        members(session, catalog, "399", REP_44)
    with pytest.raises(NotFound) as missing:
        members(session, catalog, "12345", STAFF)
    assert other.value.message == missing.value.message == "No such local."


def test_people_and_anonymous_viewers_see_no_local(session, catalog):
    for viewer in (IP, {"roles": []}, {"roles": ["employer"], "locals": ["399"]}):
        with pytest.raises(NotFound):
            members(session, catalog, "399", viewer)


def test_a_rep_of_two_locals_sees_both_and_staff_see_all(session, catalog):
    person(session, "Driver")
    person(session, "Greens", records=(("44-GREENSPERSON", "compliant"),))
    person(session, "Grip", records=(("80-GRIP", "compliant"),))
    assert names(members(session, catalog, "399", REP_BOTH)) == ["Pat Driver"]
    assert names(members(session, catalog, "44", REP_BOTH)) == ["Pat Greens"]
    assert names(members(session, catalog, "80", STAFF)) == ["Pat Grip"]
    assert names(members(session, catalog, "399", REP_399)) == ["Pat Driver"]


def test_only_the_locals_records_are_listed(session, catalog):
    person(session, "Both", records=(("399-DRIVER-G3", "compliant"), ("44-GREENSPERSON", "compliant")))
    answer = members(session, catalog, "399", REP_399)
    assert [c.code for c in answer.members[0].classifications] == ["399-DRIVER-G3"]


def test_closed_records_are_not_members(session, catalog):
    p = person(session, "Gone")
    session.execute(sa.update(ClassificationRecord).where(ClassificationRecord.person_id == p.person_id)
                    .values(closed_on=TODAY, status="closed"))
    assert members(session, catalog, "399", REP_399).total == 0


# --- what is shown ---------------------------------------------------------------------------------

def test_a_member_shows_name_il_number_and_records_only(session, catalog):
    p = person(session, "Doe", "John", records=(("399-DRIVER-G3", "compliant"),))
    answer = members(session, catalog, "399", REP_399).model_dump(mode="json")
    member = answer["members"][0]
    assert set(member) == {"il_number", "first_name", "last_name", "classifications"}
    assert member["il_number"] == p.il_number
    record = member["classifications"][0]
    assert record["code"] == "399-DRIVER-G3" and record["status"] == "compliant"
    assert record["placed_on"] == "2024-02-01"
    assert "next_deadline" in record
    text = json.dumps(answer)
    for secret in ("ssn", "date_of_birth", "email", "phone", "address", "document"):
        assert secret not in text


# --- filters and paging ----------------------------------------------------------------------------

def test_filter_by_status_and_classification(session, catalog):
    person(session, "Applicant")
    person(session, "Placed", records=(("399-DRIVER-G3", "compliant"),))
    person(session, "Dispatcher", records=(("399-DISPATCHER-G3", "in_progress_training_eligible"),))
    assert names(members(session, catalog, "399", REP_399, status="compliant")) == ["Pat Placed"]
    assert names(members(session, catalog, "399", REP_399, classification="399-dispatcher-g3")) == ["Pat Dispatcher"]
    assert members(session, catalog, "399", REP_399, status="compliant",
                   classification="399-DISPATCHER-G3").total == 0
    assert members(session, catalog, "399", REP_399).total == 3


def test_search_by_name_prefix_and_il_number(session, catalog):
    smith = person(session, "Smith", "Alex")
    person(session, "Smithers", "Robin")
    person(session, "Jones", "Smitty")
    assert names(members(session, catalog, "399", REP_399, q="smith")) == ["Alex Smith", "Robin Smithers"]
    assert set(names(members(session, catalog, "399", REP_399, q="SMIT"))) == {
        "Alex Smith", "Robin Smithers", "Smitty Jones"}
    assert names(members(session, catalog, "399", REP_399, q="smith, rob")) == ["Robin Smithers"]
    assert names(members(session, catalog, "399", REP_399, q="alex smith")) == ["Alex Smith"]
    assert names(members(session, catalog, "399", REP_399, q=smith.il_number)) == ["Alex Smith"]
    assert members(session, catalog, "399", REP_399, q="100%_").total == 0


def test_pages_of_25_in_name_order(session, catalog):
    for n in range(30):
        person(session, f"Name{n:02d}")
    first = members(session, catalog, "399", REP_399)
    second = members(session, catalog, "399", REP_399, page=2)
    assert (first.total, first.pages, len(first.members), len(second.members)) == (30, 2, 25, 5)
    assert names(first)[0] == "Pat Name00" and names(second)[-1] == "Pat Name29"


def test_filters_are_checked():
    with pytest.raises(ValueError):
        LocalMembersFilters(status="nonsense")
    assert LocalMembersFilters(status="", q=" ", classification="").status is None


# --- the snapshot ----------------------------------------------------------------------------------

def test_summary_counts_by_status_and_applicants_waiting(session, catalog):
    person(session, "A")
    person(session, "B")
    person(session, "C", records=(("399-DRIVER-G3", "compliant"),))
    person(session, "Other", records=(("44-GREENSPERSON", "compliant"),))
    summary = local_summary(session, catalog, "399", REP_399, TODAY)
    assert summary.people == 3
    assert summary.counts["in_progress_not_training_eligible"] == 2
    assert summary.counts["compliant"] == 1
    assert summary.waiting_on, "applicants with nothing on file wait on the application requirements"
    assert all(w.applicants <= 2 for w in summary.waiting_on)
    assert max(w.applicants for w in summary.waiting_on) == 2


def test_summary_lists_records_approaching_a_deadline(session, catalog):
    p = person(session, "Soon", records=(("399-DRIVER-G3", "approaching_deadline"),))
    session.execute(sa.update(ClassificationRecord).where(ClassificationRecord.person_id == p.person_id)
                    .values(lapses_on=date(2024, 3, 15)))
    summary = local_summary(session, catalog, "399", STAFF, TODAY)
    assert summary.approaching_total >= 1
    assert summary.approaching[0].last_name == "Soon"
    assert summary.approaching[0].next_deadline <= date(2024, 3, 31)


# --- the export ------------------------------------------------------------------------------------

def test_export_has_every_matching_row_and_is_audited(session, catalog):
    for n in range(27):
        person(session, f"Name{n:02d}", records=(("399-DRIVER-G3", "compliant"),))
    person(session, "Waiting")
    rows = export_rows(session, catalog, "399", LocalMembersFilters(status="compliant"), REP_399, TODAY)
    assert len(rows) == 27
    assert set(rows[0]) == set(CSV_COLUMNS)
    assert rows[0]["classification"] == "399-DRIVER-G3" and rows[0]["placed_on"] == "2024-02-01"
    session.flush()
    from common.db import base_of
    entry = base_of(session).AuditEntry
    logged = session.scalars(sa.select(entry).where(entry.action == "members.exported")).all()
    assert len(logged) == 1
    assert logged[0].target_id == "399"
    assert json.loads(logged[0].details)["filters"]["status"] == "compliant"
    assert str(logged[0].actor_account_id) == REP_399["account_id"]


def test_the_export_reads_only_the_work_days_its_evaluations_need(session, catalog, monkeypatch):
    """A large local's export evaluates every record: loading each placed member's three years
    of work days made Local 399's export take 10 s at full size (the gateway's RPC timeout), so
    it loads what the sweep loads (rosters.engine.evaluate.work_needs) and nothing more."""
    from rosters import members as members_module

    applicant = person(session, "Applicant")
    placed = person(session, "Placed", records=(("399-DRIVER-G3", "compliant"),))
    asked = []
    real = members_module.facts_for_people

    def recording(session, person_ids, needs=None, span=None):
        asked.append(needs)
        return real(session, person_ids, needs=needs, span=span)

    monkeypatch.setattr(members_module, "facts_for_people", recording)
    rows = export_rows(session, catalog, "399", LocalMembersFilters(), STAFF, TODAY)

    assert {r["last_name"] for r in rows} == {"Applicant", "Placed"}
    [needs] = asked
    assert needs is not None   # None would load every work day of everyone
    assert needs[applicant.person_id].get("399-DRIVER-G3") == "days"   # placement counts its days
    assert needs[placed.person_id].get("399-DRIVER-G3") != "days"      # a placed driver's are not read
