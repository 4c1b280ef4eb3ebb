"""The reps' API and home page through the gateway (issue 11, journey 7), with the rosters RPCs
answered by the real domain (rosters.members) over an in-memory database: scoping as HTTP 404,
filters from the query, the CSV export's content and headers, the home page and the landing."""
import csv
import io
import uuid
from datetime import UTC, date, datetime

import pytest
from rosters import members
from rosters.catalog_loader import Catalog
from rosters.models import ClassificationRecord, Person

from common.contracts.rosters import LocalMembersFilters
from common.errors import validated
from tests.support.databases import memory_sessions

TODAY = date(2024, 3, 1)
NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
BEARER = {"Authorization": "Bearer t"}


def rep(*locals_):
    return {"account_id": str(uuid.uuid4()), "person_id": None, "roles": ["union_rep"], "locals": list(locals_),
            "display_name": "Dana Rep"}


@pytest.fixture(scope="module")
def catalog():
    return Catalog.from_files()


@pytest.fixture
def db(catalog, fake_rpc):
    sessions = memory_sessions("rosters")
    with sessions() as session:
        def add(last, first, code, status, placed=None):
            p = Person(person_id=uuid.uuid4(), il_number=f"{uuid.uuid4().int % 10**10:010d}", first_name=first,
                       last_name=last, registered_at=NOW)
            session.add(p)
            session.flush()
            session.add(ClassificationRecord(id=uuid.uuid4(), person_id=p.person_id, classification_code=code,
                                             local=code.split("-")[0], applied_on=date(2024, 1, 2), placed_on=placed,
                                             status=status, status_as_of=TODAY, updated_at=NOW))
            session.flush()
            return p
        session.add_person = add
        fake_rpc.answer("rosters", "local_members", lambda local, filters, viewer: members.local_members(
            session, catalog, local, validated(LocalMembersFilters, filters), viewer, TODAY).model_dump(mode="json"))
        fake_rpc.answer("rosters", "local_summary", lambda local, viewer: members.local_summary(
            session, catalog, local, viewer, TODAY).model_dump(mode="json"))
        fake_rpc.answer("rosters", "local_members_export", lambda local, filters, viewer: {
            "columns": list(members.CSV_COLUMNS),
            "rows": members.export_rows(session, catalog, local, validated(LocalMembersFilters, filters),
                                        viewer, TODAY)})
        yield session


def as_(fake_rpc, principal):
    fake_rpc.answer("accounts", "authenticate", principal)


def test_a_44_rep_gets_404_for_399_and_its_export(client, fake_rpc, db):
    db.add_person("Doe", "John", "399-DRIVER-G3", "in_progress_not_training_eligible")
    as_(fake_rpc, rep("44"))
    for path in ("/api/v1/locals/399/members", "/api/v1/locals/399/members?format=csv",
                 "/api/v1/locals/399/summary"):
        response = client.get(path, headers=BEARER)
        assert response.status_code == 404, path
        assert response.get_json()["message"] == "No such local."
        assert "Doe" not in response.get_data(as_text=True)


def test_login_is_needed(client):
    assert client.get("/api/v1/locals/399/members").status_code == 401


def test_a_rep_of_two_locals_sees_both(client, fake_rpc, db):
    db.add_person("Doe", "John", "399-DRIVER-G3", "in_progress_not_training_eligible")
    db.add_person("Green", "Gina", "44-GREENSPERSON", "compliant", placed=date(2024, 2, 1))
    as_(fake_rpc, rep("399", "44"))
    a = client.get("/api/v1/locals/399/members", headers=BEARER).get_json()
    b = client.get("/api/v1/locals/44/members", headers=BEARER).get_json()
    assert [m["last_name"] for m in a["members"]] == ["Doe"] and a["total"] == 1
    assert [m["last_name"] for m in b["members"]] == ["Green"]
    summary = client.get("/api/v1/locals/44/summary", headers=BEARER).get_json()
    assert summary["counts"]["compliant"] == 1


def test_staff_see_any_local_and_filters_come_from_the_query(client, fake_rpc, db):
    db.add_person("Doe", "John", "399-DRIVER-G3", "in_progress_not_training_eligible")
    db.add_person("Roe", "Rita", "399-DRIVER-G3", "compliant", placed=date(2024, 2, 1))
    as_(fake_rpc, {"account_id": str(uuid.uuid4()), "person_id": None, "roles": ["staff_reviewer"]})
    found = client.get("/api/v1/locals/399/members?status=compliant&page=1&q=", headers=BEARER).get_json()
    assert [m["last_name"] for m in found["members"]] == ["Roe"]
    assert client.get("/api/v1/locals/399/members?q=do", headers=BEARER).get_json()["total"] == 1
    assert client.get("/api/v1/locals/399/members?status=bogus", headers=BEARER).status_code == 422
    assert client.get("/api/v1/locals/399/members?page=x", headers=BEARER).status_code == 422


def test_the_csv_export_has_the_columns_and_every_matching_record(client, fake_rpc, db):
    for n in range(30):
        db.add_person(f"Name{n:02d}", "Pat", "399-DRIVER-G3", "compliant", placed=date(2024, 2, 1))
    db.add_person("=cmd()", "Evil", "399-DRIVER-G3", "compliant", placed=date(2024, 2, 1))
    db.add_person("Waiting", "Will", "399-DRIVER-G3", "in_progress_not_training_eligible")
    as_(fake_rpc, rep("399"))
    response = client.get("/api/v1/locals/399/members?format=csv&status=compliant&page=2", headers=BEARER)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == ["il_number", "last_name", "first_name", "classification", "status", "placed_on",
                             "next_deadline"]
    assert len(rows) == 31   # every page, and only the filtered status
    assert {r["status"] for r in rows} == {"compliant"}
    assert {r["placed_on"] for r in rows} == {"2024-02-01"}
    assert "'=cmd()" in {r["last_name"] for r in rows}   # no formula reaches a spreadsheet
    text = response.get_data(as_text=True)
    assert "Waiting" not in text


def test_a_rep_lands_on_their_home_with_tabs_snapshot_list_and_export(client, fake_rpc, db):
    db.add_person("Doe", "John", "399-DRIVER-G3", "in_progress_not_training_eligible")
    as_(fake_rpc, rep("399", "44"))
    with client.session_transaction() as session:
        session["token"] = "page-token"
    landing = client.get("/portal")
    assert landing.status_code == 302 and landing.headers["Location"].endswith("/reps")
    home = client.get("/reps")
    assert home.status_code == 302 and home.headers["Location"].endswith("/reps/399")
    page = client.get("/reps/399?status=in_progress_not_training_eligible&q=do")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="local-tabs"' in html and "/reps/44" in html
    assert 'data-testid="snapshot"' in html and "Doe, John" in html
    assert "/reps/399/members.csv?" in html and "status=in_progress_not_training_eligible" in html
    export = client.get("/reps/399/members.csv?status=in_progress_not_training_eligible")
    assert export.status_code == 200 and "Doe" in export.get_data(as_text=True)
    assert client.get("/reps/80").status_code == 404
    assert client.get("/reps/80/members.csv").status_code == 404
