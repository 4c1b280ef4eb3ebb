"""Public roster search (rosters.search) against an in-memory rosters database: each criterion and
their combinations, SSN by its blind index, paging, what is hidden and what is never answered."""
import json
import uuid
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError
from rosters.models import CatalogVersion, ClassificationRecord, Completion, Person
from rosters.search import PAGE_SIZE, SearchCriteria, classification_names, search
from rosters.search_rpcs import SearchRpcs

from common.errors import ValidationFailed
from common.identity import ssn_index
from tests.support.databases import memory_sessions

TODAY = date(2024, 3, 1)
NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
SSN = "219-09-8765"

CATALOG = {
    "80": {"version": 1, "effective": "2024-01-01",
           "local": {"code": "80", "name": "IATSE Local #80", "union": "IATSE"},
           "classifications": [{"code": "80-GRIP", "name": "IATSE, Local #80 (Grip)", "local": "80"},
                               {"code": "80-DOLLY", "name": "IATSE, Local #80 (Dolly Grip)", "local": "80"}]},
    "399": {"version": 1, "effective": "2024-01-01",
            "local": {"code": "399", "name": "Teamsters Local #399", "union": "Teamsters"},
            "classifications": [
                {"code": "399-DRIVER-G3", "name": "Teamsters, Local #399 (Driver Group 3)", "local": "399"},
                {"code": "399-DRIVER-G2", "name": "Teamsters, Local #399 (Driver Group 2)", "local": "399"}]},
}


@pytest.fixture
def session():
    sessions = memory_sessions("rosters")
    with sessions() as session:
        for number, (local, document) in enumerate(CATALOG.items(), start=1):
            session.add(CatalogVersion(id=number, local=local, version=1, effective_on=date(2024, 1, 1),
                                       document=json.dumps(document), source="test", loaded_at=NOW))
        session.commit()
        yield session


_il = iter(range(1, 10**9))


def person(session, last, first="Pat", ssn=None, il=None, applied=True) -> Person:
    """Someone the rosters know of; `applied`: with an application in progress (a public record)."""
    p = Person(person_id=uuid.uuid4(), il_number=il or f"{next(_il):010d}", first_name=first, last_name=last,
               registered_at=NOW, ssn_index=ssn_index(ssn.replace("-", "")) if ssn else None)
    session.add(p)
    session.flush()
    if applied:
        holds(session, p, "44-PROP", "in_progress_not_training_eligible")
    return p


def holds(session, who: Person, code: str, status: str, closed_on=None) -> None:
    session.add(ClassificationRecord(
        id=uuid.uuid4(), person_id=who.person_id, classification_code=code, local=code.split("-")[0],
        applied_on=date(2023, 1, 1), status=status, status_as_of=TODAY, closed_on=closed_on,
        updated_at=NOW))
    session.flush()


def completed(session, who: Person, course: str, on: date, expires_on=None) -> None:
    session.add(Completion(person_id=who.person_id, course_code=course, completed_on=on, expires_on=expires_on))
    session.flush()


def found(session, **criteria) -> list[str]:
    """'First Last' of everyone on the first page, in order."""
    answer = search(session, criteria, today=TODAY)
    return [f"{p.first_name} {p.last_name}" for p in answer.results]


# --- each criterion ------------------------------------------------------------------------------

def test_last_name_is_a_case_insensitive_prefix(session):
    for last in ("Smith", "SMITHERS", "smiley", "Asmith", "Smyth", "Sm"):
        person(session, last)

    assert found(session, last_name="smi") == ["Pat smiley", "Pat Smith", "Pat SMITHERS"]
    assert found(session, last_name="SMITH") == ["Pat Smith", "Pat SMITHERS"]
    assert found(session, last_name="Smith ") == ["Pat Smith", "Pat SMITHERS"]  # spaces trimmed
    assert found(session, last_name="sm") == ["Pat Sm", "Pat smiley", "Pat Smith", "Pat SMITHERS", "Pat Smyth"]


def test_names_with_punctuation_letters_at_the_end_of_the_alphabet_and_wildcards(session):
    for last in ("O'Brien", "OBrien", "Zzyzx", "Zz", "Zoe", "100%", "1000", "A_b", "Axb"):
        person(session, last)

    assert found(session, last_name="o'b") == ["Pat O'Brien"]
    assert found(session, last_name="zz") == ["Pat Zz", "Pat Zzyzx"]
    assert found(session, last_name="zzy") == ["Pat Zzyzx"]
    assert found(session, last_name="100%") == ["Pat 100%"]  # % is a letter here, not "anything"
    assert found(session, last_name="a_") == ["Pat A_b"]


def test_first_name_is_a_case_insensitive_prefix_and_combines_with_last_name(session):
    person(session, "Grip", "Robin")
    person(session, "Grip", "ROBERTA")
    person(session, "Dolly", "Robin")
    person(session, "Grip", "Pat")

    assert found(session, first_name="rob") == ["Robin Dolly", "ROBERTA Grip", "Robin Grip"]
    assert found(session, first_name="rob", last_name="gri") == ["ROBERTA Grip", "Robin Grip"]
    assert found(session, first_name="robi", last_name="grip") == ["Robin Grip"]


def test_ssn_is_an_exact_match_through_the_blind_index(session):
    person(session, "Grip", "Robin", ssn=SSN)
    person(session, "Grip", "Pat", ssn="219-09-8766")
    person(session, "Grip", "Kim")

    assert found(session, ssn=SSN, last_name="grip") == ["Robin Grip"]
    assert found(session, ssn="219098765", last_name="Grip") == ["Robin Grip"]
    assert found(session, ssn="219-09-8764", last_name="grip") == []
    assert found(session, ssn=SSN, last_name="dolly") == []  # every criterion must hold


def test_il_number_is_an_exact_match(session):
    person(session, "Grip", "Robin", il="0012345678")
    person(session, "Grip", "Pat", il="0012345679")

    assert found(session, il_number="0012345678") == ["Robin Grip"]
    assert found(session, il_number="00123 45678") == ["Robin Grip"]
    with pytest.raises(ValidationError, match="an IL number is 10 digits"):
        search(session, {"il_number": "001234567"})  # no prefixes: an IL number is exact


def test_classification_and_local_find_people_with_a_shown_record(session):
    robin, pat, kim, lee = (person(session, "Grip", first, applied=False) for first in ("Robin", "Pat", "Kim", "Lee"))
    holds(session, robin, "80-GRIP", "compliant")
    holds(session, pat, "80-DOLLY", "in_progress_not_training_eligible")
    holds(session, kim, "399-DRIVER-G3", "not_compliant")
    holds(session, lee, "399-DRIVER-G2", "pending_advancement")   # not there yet: hidden
    holds(session, lee, "80-GRIP", "compliant", closed_on=date(2023, 6, 1))  # closed: hidden

    assert found(session, classification="80-GRIP") == ["Robin Grip"]
    assert found(session, classification="80-grip") == ["Robin Grip"]
    assert found(session, local="80") == ["Pat Grip", "Robin Grip"]
    assert found(session, local="Local #399") == ["Kim Grip"]
    assert found(session, classification="399-DRIVER-G2") == []
    assert found(session, classification="80-DOLLY", local="80") == ["Pat Grip"]
    assert found(session, classification="80-DOLLY", local="399") == []
    assert found(session, classification="80-GRIP", first_name="le") == []


# --- what a result holds -------------------------------------------------------------------------

def test_a_result_holds_public_facts_only(session):
    robin = person(session, "Grip", "Robin", ssn=SSN, il="0012345678", applied=False)
    holds(session, robin, "80-GRIP", "compliant")
    completed(session, robin, "A", date(2023, 1, 5))

    answer = search(session, {"ssn": SSN, "last_name": "grip"}, today=TODAY).model_dump(mode="json")

    [result] = answer["results"]
    assert set(result) == {"il_number", "first_name", "last_name", "classifications", "safety_pass"}
    assert set(result["classifications"][0]) == {"code", "name", "local", "status", "status_label", "on_roster"}
    assert set(result["safety_pass"]) == {"courses"}
    text = json.dumps(answer)
    for private in (str(robin.person_id), robin.ssn_index, "219098765", "8765"):
        assert private not in text


def test_statuses_come_from_the_records_with_roster_membership(session):
    robin = person(session, "Grip", "Robin", applied=False)
    for code, status in (("80-GRIP", "compliant"), ("80-DOLLY", "approaching_deadline"),
                         ("399-DRIVER-G3", "not_compliant"), ("399-DRIVER-G2", "pending_advancement"),
                         ("399-MECHANIC", "in_progress_training_eligible")):
        holds(session, robin, code, status)
    holds(session, robin, "399-WRANGLER", "compliant", closed_on=date(2024, 1, 1))

    [result] = search(session, {"last_name": "grip"}, today=TODAY).results

    assert [(c.name, c.local, c.status, c.status_label, c.on_roster) for c in result.classifications] == [
        ("399-MECHANIC", "399", "in_progress_training_eligible", "In Progress - Training Eligible", False),
        ("IATSE, Local #80 (Dolly Grip)", "80", "approaching_deadline", "Approaching Deadlines", True),
        ("IATSE, Local #80 (Grip)", "80", "compliant", "Compliant", True),
        ("Teamsters, Local #399 (Driver Group 3)", "399", "not_compliant", "Not Compliant", False),  # suspended
    ]  # 399-MECHANIC is not in the catalog: its code stands for its name


def test_safety_pass_lists_courses_completed_and_not_expired(session):
    robin = person(session, "Grip", "Robin")
    completed(session, robin, "A", date(2020, 1, 1))                              # never expires
    completed(session, robin, "HP1", date(2021, 1, 1), expires_on=date(2023, 1, 1))  # lapsed
    completed(session, robin, "C19", date(2023, 1, 1), expires_on=date(2024, 3, 1))  # last day today
    completed(session, robin, "B", date(2022, 1, 1), expires_on=date(2023, 1, 1))
    completed(session, robin, "B", date(2023, 2, 1), expires_on=date(2025, 2, 1))    # renewed
    person(session, "Grip", "Pat")

    results = {p.first_name: p.safety_pass.courses for p in search(session, {"last_name": "grip"}, today=TODAY).results}

    assert results == {"Robin": ["A", "B", "C19"], "Pat": []}


def test_a_person_with_no_shown_classification_is_still_found_by_name(session):
    lee = person(session, "Grip", "Lee", applied=False)
    holds(session, lee, "399-DRIVER-G2", "pending_advancement")

    [result] = search(session, {"last_name": "grip"}, today=TODAY).results

    assert result.classifications == []


# --- paging --------------------------------------------------------------------------------------

def test_results_come_25_to_a_page_in_name_order_with_the_total(session):
    for i in range(60):
        person(session, f"Grip{i:02d}", "Pat")
    person(session, "Dolly", "Pat")

    first = search(session, {"last_name": "grip"}, today=TODAY)
    last = search(session, {"last_name": "grip", "page": 3}, today=TODAY)
    beyond = search(session, {"last_name": "grip", "page": 4}, today=TODAY)

    assert (first.total, first.pages, first.page, first.page_size) == (60, 3, 1, PAGE_SIZE)
    assert [p.last_name for p in first.results] == [f"Grip{i:02d}" for i in range(25)]
    assert [p.last_name for p in last.results] == [f"Grip{i:02d}" for i in range(50, 60)]
    assert beyond.results == [] and beyond.total == 60


def test_people_with_the_same_name_are_ordered_by_il_number(session):
    person(session, "Grip", "Pat", il="0000000009")
    person(session, "grip", "pat", il="0000000002")

    assert [p.il_number for p in search(session, {"last_name": "grip"}, today=TODAY).results] == \
        ["0000000002", "0000000009"]


# --- what a search must say ----------------------------------------------------------------------

@pytest.mark.parametrize("criteria", [{}, {"page": 2}, {"last_name": "", "first_name": "  ", "ssn": ""}])
def test_at_least_one_criterion_is_needed(session, criteria):
    with pytest.raises(ValidationError, match="fill in at least one of last name, first name"):
        search(session, criteria)


@pytest.mark.parametrize("criteria, message", [
    ({"ssn": "219-09-87"}, "SSN must be 9 digits"),
    ({"ssn": "000-12-3456"}, "That is not a valid SSN"),
    ({"last_name": "x", "page": 0}, "greater than or equal to 1"),
    ({"last_name": "x", "page": 1001}, "less than or equal to 1000"),
    ({"last_name": "x", "date_of_birth": "1990-01-01"}, "Extra inputs are not permitted"),
    ({"last_name": "x" * 101}, "at most 100 characters"),
])
def test_criteria_that_cannot_be_searched_are_refused(criteria, message):
    with pytest.raises(ValidationError, match=message):
        SearchCriteria.model_validate(criteria)


def test_the_rpc_refuses_bad_criteria_without_repeating_an_ssn(session):
    rpcs = SearchRpcs()
    rpcs.db = session

    with pytest.raises(ValidationFailed) as refused:
        rpcs.search_roster({"ssn": "219-09-87"})

    assert "219-09-87" not in str(refused.value.to_json())
    with pytest.raises(ValidationFailed, match="at least one"):
        rpcs.search_roster({})


def test_the_rpc_answers_plain_json(session):
    robin = person(session, "Grip", "Robin", ssn=SSN, il="0012345678", applied=False)
    holds(session, robin, "80-GRIP", "compliant")
    rpcs = SearchRpcs()
    rpcs.db = session

    answer = rpcs.search_roster({"ssn": SSN, "last_name": "Grip"})

    assert json.loads(json.dumps(answer)) == answer
    assert answer["total"] == 1
    assert answer["results"][0]["classifications"][0]["name"] == "IATSE, Local #80 (Grip)"


# --- classification names ------------------------------------------------------------------------

def test_names_come_from_the_catalog_version_in_force(session):
    renamed = {**CATALOG["80"], "version": 2, "effective": "2024-06-01",
               "classifications": [{"code": "80-GRIP", "name": "IATSE, Local #80 (Company Grip)", "local": "80"}]}
    session.add(CatalogVersion(id=3, local="80", version=2, effective_on=date(2024, 6, 1),
                               document=json.dumps(renamed), source="test", loaded_at=NOW))
    session.commit()

    assert classification_names(session, TODAY)["80-GRIP"] == "IATSE, Local #80 (Grip)"
    assert classification_names(session, date(2024, 6, 1))["80-GRIP"] == "IATSE, Local #80 (Company Grip)"
    assert classification_names(session, date(2024, 6, 1))["399-DRIVER-G3"] == "Teamsters, Local #399 (Driver Group 3)"


# --- who is a public record ------------------------------------------------------------------------

def test_only_people_with_a_classification_record_are_public_records(session):
    person(session, "Grip", "Robin")                            # applied: a public record
    person(session, "Grip", "Sam", applied=False)               # an account, never applied
    person(session, "Grip", "Staff-Made", applied=False)        # made by staff, no record yet
    closed = person(session, "Grip", "Lee", applied=False)
    holds(session, closed, "80-GRIP", "compliant", closed_on=date(2023, 6, 1))  # had one: still a record

    answer = search(session, {"last_name": "grip"}, today=TODAY)

    assert [p.first_name for p in answer.results] == ["Lee", "Robin"] and answer.total == 2
    assert search(session, {"first_name": "sam"}, today=TODAY).total == 0


def test_an_ssn_is_searched_only_together_with_a_last_name(session):
    person(session, "Grip", "Robin", ssn=SSN)
    rpcs = SearchRpcs()
    rpcs.db = session

    with pytest.raises(ValidationFailed) as refused:
        rpcs.search_roster({"ssn": SSN})

    assert "Enter the last name with the SSN: search by last name and SSN together." in refused.value.message
    assert SSN not in str(refused.value.to_json()) and "219098765" not in str(refused.value.to_json())
    assert rpcs.search_roster({"ssn": SSN, "last_name": "grip"})["total"] == 1


# --- what a page costs (issue 12: each query costs the service more than the database) ------------

def statements_of(session, criteria) -> tuple[list[str], object]:
    import sqlalchemy as sa

    ran = []
    engine = session.get_bind()

    def record(conn, cursor, statement, *args):
        ran.append(statement)

    search(session, criteria, today=TODAY)   # the catalog's names, cached as in a running service
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        answer = search(session, criteria, today=TODAY)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return ran, answer


def test_a_name_search_is_three_queries_the_total_riding_on_the_page(session):
    for i in range(30):
        completed(session, person(session, f"Grip{i:02d}"), "A", date(2023, 5, 1))

    ran, answer = statements_of(session, {"last_name": "grip"})

    assert len(ran) == 3   # the catalog's stamp, the page with its total, records and courses together
    assert answer.total == 30 and len(answer.results) == PAGE_SIZE
    assert all(p.safety_pass.courses == ["A"] and p.classifications for p in answer.results)


def test_a_classification_search_counts_apart_so_the_page_can_stop_at_25(session):
    for i in range(30):
        holds(session, person(session, f"Grip{i:02d}", applied=False), "80-GRIP", "compliant")

    ran, answer = statements_of(session, {"classification": "80-GRIP"})

    assert len(ran) == 4
    assert answer.total == 30 and len(answer.results) == PAGE_SIZE


def test_a_search_that_finds_nobody_is_two_queries(session):
    ran, answer = statements_of(session, {"last_name": "nobody"})

    assert len(ran) == 2 and answer.total == 0 and answer.pages == 0
