"""Journey 7 over HTTP against the whole running Hub (issue 11): a Local 399 business rep sees a
399 applicant in their local's list, filters it by status, exports it as CSV (audited), and a
Local 44 rep asking for the 399 list, summary or export is told "not found"."""
from __future__ import annotations

import csv
import io
import uuid

import pytest
import requests

from tests.support.api_client import bearer, log_in
from tests.support.factories import make_person
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

STRONG = "correct horse battery staple 42"


def rep_login(hub, admin: str, locals_: list[str]) -> str:
    email = f"rep.{uuid.uuid4().hex[:10]}@example.com"
    response = requests.post(hub.api("/staff/accounts"), headers=bearer(admin), json={
        "email": email, "password": STRONG, "display_name": "Rep " + "/".join(locals_),
        "roles": ["union_rep"], "locals": locals_})
    assert response.status_code == 201, response.text
    return log_in(hub, email, STRONG)


def test_journey_7_a_rep_sees_filters_and_exports_their_local_and_no_other(hub):
    admin = log_in(hub, hub.admin_email, hub.admin_password)
    rep399 = rep_login(hub, admin, ["399"])
    rep44 = rep_login(hub, admin, ["44"])

    person = make_person()
    created = requests.post(hub.api("/accounts"), json=person)
    assert created.status_code == 201, created.text
    il_number = created.json()["il_number"]
    ip = log_in(hub, person["email"], person["password"])

    def applied():
        response = requests.post(hub.api("/me/applications"), headers=bearer(ip),
                                 json={"classification_code": "399-DRIVER-G3"})
        return None if response.status_code == 503 else (response,)
    response = wait_until(applied, timeout=20, message="rosters to know the new account")[0]
    assert response.status_code == 201, response.text
    status = response.json()["status"]

    # the 399 rep finds the applicant by IL number and by name
    members = requests.get(hub.api("/locals/399/members"), headers=bearer(rep399), params={"q": il_number})
    assert members.status_code == 200, members.text
    body = members.json()
    assert body["total"] == 1
    member = body["members"][0]
    assert (member["il_number"], member["first_name"], member["last_name"]) == (
        il_number, person["first_name"], person["last_name"])
    assert [c["code"] for c in member["classifications"]] == ["399-DRIVER-G3"]
    assert member["classifications"][0]["status"] == status
    for private in (person["email"], person["date_of_birth"], person.get("ssn", "no-ssn")):
        assert private not in members.text
    by_name = requests.get(hub.api("/locals/399/members"), headers=bearer(rep399),
                           params={"q": person["last_name"]}).json()
    assert il_number in [m["il_number"] for m in by_name["members"]]

    # filtering by status: in with the applicant's status, out with another
    same = requests.get(hub.api("/locals/399/members"), headers=bearer(rep399),
                        params={"q": il_number, "status": status}).json()
    assert same["total"] == 1
    other = "compliant" if status != "compliant" else "not_compliant"
    assert requests.get(hub.api("/locals/399/members"), headers=bearer(rep399),
                        params={"q": il_number, "status": other}).json()["total"] == 0

    summary = requests.get(hub.api("/locals/399/summary"), headers=bearer(rep399))
    assert summary.status_code == 200, summary.text
    assert summary.json()["counts"][status] >= 1

    # the export: a CSV attachment with the same filters, audited
    export = requests.get(hub.api("/locals/399/members"), headers=bearer(rep399),
                          params={"q": il_number, "status": status, "format": "csv"})
    assert export.status_code == 200, export.text
    assert export.headers["Content-Type"].startswith("text/csv")
    assert export.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert rows == [{"il_number": il_number, "last_name": person["last_name"], "first_name": person["first_name"],
                     "classification": "399-DRIVER-G3", "status": status, "placed_on": "",
                     "next_deadline": rows[0]["next_deadline"]}]
    assert person["email"] not in export.text and person["date_of_birth"] not in export.text
    audit = requests.get(hub.api("/staff/audit"), headers=bearer(admin),
                         params={"action": "members.exported", "target_id": "399"})
    assert audit.status_code == 200, audit.text
    entries = audit.json()
    entries = entries.get("entries", entries) if isinstance(entries, dict) else entries
    assert any(e["details"].get("filters", {}).get("q") == il_number and e["details"]["filters"]["status"] == status
               for e in entries), entries

    # the Local 44 rep: not found, for the list, the summary and the export alike
    for params in ({}, {"format": "csv"}, {"q": il_number}):
        refused = requests.get(hub.api("/locals/399/members"), headers=bearer(rep44), params=params)
        assert refused.status_code == 404, refused.text
        assert refused.json()["error"] == "not_found"
        assert il_number not in refused.text
    assert requests.get(hub.api("/locals/399/summary"), headers=bearer(rep44)).status_code == 404
    assert requests.get(hub.api("/locals/44/members"), headers=bearer(rep44)).status_code == 200
