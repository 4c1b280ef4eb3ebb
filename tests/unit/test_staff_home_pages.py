"""The gateway side of issue 11's casework: the staff home (queues, each guarded so one service
down leaves the others), the extension, removal and report API (staff-only where it says), the
expiring report's CSV, and the Portal's Ask for more time and removals pages. Fake RPC."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from common.errors import ServiceUnavailable, ValidationFailed
from tests.support.fake_gateway import PERSON_ID, make_principal

EXT_ID = str(uuid.uuid4())
REMOVAL_ID = str(uuid.uuid4())
QUEUES = {"extensions": {"count": 2, "oldest_days": 5}, "protests": {"count": 1, "oldest_days": 0}}
REPORT = {"as_of": "2026-11-30", "within": 30,
          "rows": [{"local": "80", "classification_code": "80-GRIP", "records": 3, "earliest_lapse_on": "2026-12-04"}]}
EXTENSION = {"extension_id": EXT_ID, "person_id": PERSON_ID, "classification_code": "600-DIRECTOR-OF-PHOTOGRAPHY",
             "requirement": "Safety Pass course B", "circumstance": "medical", "circumstance_label": "Medical",
             "original_due_on": "2026-12-10", "requested_until": "2027-01-30", "document_ids": [],
             "requested_on": "2026-11-30", "status": "requested", "until": None, "decided_on": None, "reason": None}
REMOVAL = {"removal_id": REMOVAL_ID, "person_id": PERSON_ID, "classification_code": "80-GRIP", "reason": "request",
           "reason_label": "At the person's request", "note": None, "effective_on": "2026-11-30",
           "protest_by": "2026-12-30", "status": "pending", "protest_open": True, "protest_text": None,
           "protested_on": None, "decision": None, "decision_reason": None, "decided_on": None}


def bearer(fake_rpc, *roles):
    fake_rpc.answer("accounts", "authenticate", make_principal(*roles))
    return {"Authorization": "Bearer api-token"}


def logged_in(client, fake_rpc, *roles):
    with client.session_transaction() as session:
        session["token"] = "page-token"
    fake_rpc.answer("accounts", "authenticate", make_principal(*roles))
    fake_rpc.answer("accounts", "get_me", {"person_id": PERSON_ID, "il_number": "1", "first_name": "Pat",
                                           "last_name": "Grip", "email": "p@example.com",
                                           "email_undeliverable": False, "roles": list(roles)})
    return client


def quiet_queues(fake_rpc) -> None:
    """Every staff-home queue answers, and none has anything waiting (but the casework QUEUES)."""
    fake_rpc.answer("rosters", "casework_queues", QUEUES)
    fake_rpc.answer("rosters", "pending_work_days", [])
    fake_rpc.answer("documents", "review_queue", {"documents": []})
    fake_rpc.answer("cases", "list_cases", {"cases": []})
    fake_rpc.answer("accounts", "list_imports", [])
    fake_rpc.answer("rosters", "held_proofs", {"proofs": [], "total": 0, "page": 1, "page_size": 25, "pages": 0})


def test_the_staff_home_shows_each_queue_and_survives_a_service_being_down(client, fake_rpc):
    logged_in(client, fake_rpc, "staff_reviewer")
    fake_rpc.answer("rosters", "casework_queues", QUEUES)
    fake_rpc.answer("rosters", "pending_work_days", [{"id": "1", "created_at": "2026-01-01T10:00:00+00:00"}])
    fake_rpc.answer("documents", "review_queue", ServiceUnavailable("down"))
    fake_rpc.answer("cases", "list_cases", {"cases": [{"status": "open", "created_at": "2026-01-02T10:00:00+00:00"},
                                                      {"status": "closed", "created_at": "2025-01-01T10:00:00+00:00"}]})
    fake_rpc.answer("accounts", "list_imports", [])
    fake_rpc.answer("rosters", "held_proofs", {"proofs": [{"age_days": 12}], "total": 4, "page": 1,
                                               "page_size": 25, "pages": 1})
    page = client.get("/staff/home")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Extension requests" in html and "Removal protests" in html
    assert html.count('data-testid="queue"') == 7
    held = html[html.index("Held proofs of employment"):]
    held = held[:held.index("</tr>")]
    assert 'data-testid="queue-count">4</td>' in held and "12 days" in held
    assert 'href="/staff/employment-proofs' in html
    assert html.count('data-testid="queue-down"') == 1          # documents, and only it
    assert '<td data-label="Waiting" data-testid="queue-count">2</td>' in html
    assert "5 days" in html


def test_the_staff_home_counts_imports_under_way_and_failed_ones_not_since_retried(client, fake_rpc):
    logged_in(client, fake_rpc, "staff_admin")
    fake_rpc.answer("rosters", "casework_queues", QUEUES)
    fake_rpc.answer("rosters", "pending_work_days", [])
    fake_rpc.answer("documents", "review_queue", {"documents": []})
    fake_rpc.answer("cases", "list_cases", {"cases": []})
    days_ago = lambda n: (datetime.now(UTC) - timedelta(days=n)).isoformat()  # noqa: E731
    fake_rpc.answer("accounts", "list_imports", [  # the newest first, as the service lists them
        {"kind": "people", "status": "running", "created_at": days_ago(0)},
        {"kind": "work_days", "status": "queued", "created_at": days_ago(1)},
        {"kind": "people", "status": "failed", "created_at": days_ago(2)},        # retried since: not counted
        {"kind": "documents", "status": "failed", "created_at": days_ago(3)},     # needs attention
        {"kind": "completions", "status": "done", "created_at": days_ago(9)}])
    fake_rpc.answer("rosters", "held_proofs", {"proofs": [], "total": 0, "page": 1, "page_size": 25, "pages": 0})
    html = client.get("/staff/home").get_data(as_text=True)
    row = html[html.index("Imports running or failed"):]
    row = row[:row.index("</tr>")]
    assert 'href="/staff/imports"' in html
    assert 'data-testid="queue-count">3</td>' in row and "3 days" in row
    assert ("accounts", "list_imports") in fake_rpc.methods_called()


def test_the_staff_home_is_staff_only(client, fake_rpc):
    logged_in(client, fake_rpc, "industry_professional")
    assert client.get("/staff/home").status_code == 403


@pytest.mark.parametrize("method, path", [
    ("post", f"/api/v1/staff/extensions/{EXT_ID}/decision"),
    ("get", "/api/v1/staff/extensions"),
    ("post", f"/api/v1/staff/people/{PERSON_ID}/removals"),
    ("post", f"/api/v1/staff/removals/{REMOVAL_ID}/decision"),
    ("get", "/api/v1/staff/removals"),
    ("get", "/api/v1/staff/reports/expiring"),
])
def test_the_staff_api_is_staff_only(client, fake_rpc, method, path):
    response = getattr(client, method)(path, json={}, headers=bearer(fake_rpc, "industry_professional"))
    assert response.status_code == 403


def test_a_person_asks_for_more_time_and_a_late_request_is_refused_with_the_reason(client, fake_rpc):
    fake_rpc.answer("rosters", "request_extension", lambda person, payload, actor: {**EXTENSION, **payload})
    body = {"classification_code": "600-DIRECTOR-OF-PHOTOGRAPHY", "requirement": "Safety Pass course B",
            "circumstance": "medical", "until": "2027-01-30", "document_ids": []}
    response = client.post("/api/v1/me/extensions", json=body, headers=bearer(fake_rpc))
    assert response.status_code == 201
    assert fake_rpc.calls[-1][2][0] == PERSON_ID
    fake_rpc.answer("rosters", "request_extension", ValidationFailed(
        "The deadline passed on 11/01/2026: an extension must be asked for before the deadline."))
    late = client.post("/api/v1/me/extensions", json=body, headers=bearer(fake_rpc))
    assert late.status_code == 422 and "deadline passed" in late.get_json()["message"]
    assert client.post("/api/v1/me/extensions", json={**body, "until": "soon"},
                       headers=bearer(fake_rpc)).status_code == 422


def test_staff_decide_and_a_person_protests_through_the_api(client, fake_rpc):
    fake_rpc.answer("rosters", "decide_extension", lambda ext, payload, actor: {**EXTENSION, "status": "approved",
                                                                                "until": payload["until"]})
    decided = client.post(f"/api/v1/staff/extensions/{EXT_ID}/decision",
                          json={"decision": "approve", "until": "2027-01-15"},
                          headers=bearer(fake_rpc, "staff_reviewer"))
    assert decided.status_code == 200 and decided.get_json()["until"] == "2027-01-15"
    fake_rpc.answer("rosters", "start_removal", REMOVAL)
    started = client.post(f"/api/v1/staff/people/{PERSON_ID}/removals",
                          json={"classification_code": "80-GRIP", "reason": "request"},
                          headers=bearer(fake_rpc, "staff_reviewer"))
    assert started.status_code == 201
    fake_rpc.answer("rosters", "protest_removal", {**REMOVAL, "status": "protested", "protest_open": False})
    protested = client.post(f"/api/v1/me/removals/{REMOVAL_ID}/protest", json={"text": "I object"},
                            headers=bearer(fake_rpc))
    assert protested.status_code == 200 and protested.get_json()["status"] == "protested"
    assert fake_rpc.calls[-1][2][:2] == (PERSON_ID, REMOVAL_ID)


def test_the_expiring_report_as_json_and_csv(client, fake_rpc):
    fake_rpc.answer("rosters", "expiring_records", REPORT)
    as_json = client.get("/api/v1/staff/reports/expiring?within=30", headers=bearer(fake_rpc, "staff_reviewer"))
    assert as_json.get_json()["rows"][0]["records"] == 3
    as_csv = client.get("/api/v1/staff/reports/expiring?within=30&format=csv",
                        headers=bearer(fake_rpc, "staff_reviewer"))
    assert as_csv.mimetype == "text/csv"
    assert as_csv.get_data(as_text=True).splitlines() == [
        "local,classification_code,records,earliest_lapse_on", "80,80-GRIP,3,2026-12-04"]


def test_the_portal_pages_show_the_form_and_the_protest_button(client, fake_rpc):
    logged_in(client, fake_rpc, "industry_professional")
    fake_rpc.answer("rosters", "my_extensions", {"extensions": [EXTENSION],
                                                 "circumstances": {"medical": "Medical"}})
    fake_rpc.answer("documents", "list_documents", {"documents": []})
    page = client.get("/portal/extensions?code=600-DIRECTOR-OF-PHOTOGRAPHY&requirement=Safety+Pass+course+B")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="Safety Pass course B"' in html and "Waiting for a decision" in html
    fake_rpc.answer("rosters", "my_removals", {"removals": [REMOVAL], "reasons": {}})
    html = client.get("/portal/removals").get_data(as_text=True)
    assert 'data-testid="protest-button"' in html
    fake_rpc.answer("rosters", "protest_removal", {**REMOVAL, "status": "protested"})
    done = client.post(f"/portal/removals/{REMOVAL_ID}/protest", data={"text": "I object"})
    assert done.status_code == 302


def test_the_staff_reports_page_and_its_csv(client, fake_rpc):
    logged_in(client, fake_rpc, "staff_reviewer")
    fake_rpc.answer("rosters", "expiring_records", REPORT)
    # the activity per month under it: tests/unit/test_monthly_activity_gateway.py
    fake_rpc.answer("rosters", "monthly_activity", {"as_of": "2026-11-30", "months": 12, "local": None,
                                                    "time_zone": "America/Los_Angeles", "rows": [],
                                                    "totals": {"staff_suspensions": 0, "withdrawals": 0},
                                                    "locals": {}})
    html = client.get("/staff/reports?within=60").get_data(as_text=True)
    assert "80-GRIP" in html and "within=60" in html
    assert ("rosters", "expiring_records", 60) in [(s, m, a[0]) for s, m, a in fake_rpc.calls if a]
    assert client.get("/staff/reports?within=90&format=csv").mimetype == "text/csv"


def test_the_staff_home_shows_parked_events_with_the_command_that_replays_them(client, fake_rpc):
    logged_in(client, fake_rpc, "staff_admin")
    quiet_queues(fake_rpc)
    queue = "evt-accounts-person_registered--notifications.handle_person_registered"
    fake_rpc.answer("notifications", "parked_events", {"service": "notifications", "parked": {queue: 2}})
    fake_rpc.answer("training", "parked_events", ServiceUnavailable("down"))
    html = client.get("/staff/home").get_data(as_text=True)
    parked = html[html.index('data-testid="parked"'):]
    assert "<strong>2</strong> events failed every retry" in parked
    assert f"python -m hubstack.deadletters replay {queue}" in parked
    assert "Not available right now from: training" in parked


def test_the_staff_home_says_when_nothing_is_parked(client, fake_rpc):
    logged_in(client, fake_rpc, "staff_admin")
    quiet_queues(fake_rpc)
    html = client.get("/staff/home").get_data(as_text=True)
    assert "None: every event was handled." in html
