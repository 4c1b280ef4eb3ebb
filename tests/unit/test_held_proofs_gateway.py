"""The gateway side of held proofs of employment: the staff API (GET the list, POST attach and dismiss;
staff only, 409 passed on, bodies checked before any RPC), the POST that already existed still there,
and the page /staff/employment-proofs with its flag, link to the person, actions and paging. Fake RPC."""
from __future__ import annotations

import uuid

import pytest

from common.errors import Conflict
from tests.unit.test_staff_home_pages import bearer, logged_in

PROOF_ID = str(uuid.uuid4())
OTHER_ID = str(uuid.uuid4())
PERSON = str(uuid.uuid4())
HELD = {"id": PROOF_ID, "first_name": "Ana", "last_name": "Mator", "employer": "Cartoon Studios",
        "organisation": "Cartoon Studios", "classification_code": "839-ANIMATION",
        "classification_name": "The Animation Guild, Local #839 (Animation)", "first_day": "2026-11-02",
        "submitted_on": "2026-11-03", "age_days": 27, "status": "held", "dismissed_on": None, "dismissed_reason": None,
        "registered_person": {"person_id": PERSON, "il_number": "5550001112", "first_name": "Ana",
                              "last_name": "Mator-Reyes"}}
WAITING = {**HELD, "id": OTHER_ID, "first_name": "Bo", "last_name": "Nobody", "registered_person": None}
LISTING = {"proofs": [HELD, WAITING], "total": 27, "page": 1, "page_size": 25, "pages": 2}
ATTACHED = {"id": PROOF_ID, "status": "attached", "person_id": PERSON, "il_number": "5550001112", "first_name": "Ana",
            "last_name": "Mator-Reyes", "classification_code": "839-ANIMATION", "record_status": "compliant",
            "record_status_label": "Compliant", "day_attached": True,
            "message": "The proof is now Ana Mator-Reyes's (IL# 5550001112), for Animation."}
DISMISSED = {"id": PROOF_ID, "status": "dismissed", "classification_code": "839-ANIMATION",
             "message": "The proof for Ana Mator is dismissed."}

ENDPOINTS = [("get", "/api/v1/staff/employment-proofs?held=true"),
             ("post", f"/api/v1/staff/employment-proofs/{PROOF_ID}/attach"),
             ("post", f"/api/v1/staff/employment-proofs/{PROOF_ID}/dismiss")]


@pytest.mark.parametrize("method, path", ENDPOINTS)
@pytest.mark.parametrize("roles", [("industry_professional",), ("union_rep",), ("employer",)])
def test_held_proofs_are_for_staff_only(client, fake_rpc, method, path, roles):
    response = getattr(client, method)(path, json={"person_id": PERSON, "reason": "x"},
                                       headers=bearer(fake_rpc, *roles))
    assert response.status_code == 403
    assert [m for s, m in fake_rpc.methods_called() if s == "rosters"] == []


@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_held_proofs_need_a_token(client, fake_rpc, method, path):
    assert getattr(client, method)(path, json={"person_id": PERSON}).status_code == 401


def test_staff_list_held_proofs_with_the_filters_checked_first(client, fake_rpc):
    fake_rpc.answer("rosters", "held_proofs", lambda filters, actor: {**LISTING, "page": filters["page"]})
    response = client.get("/api/v1/staff/employment-proofs?held=true&page=2",
                          headers=bearer(fake_rpc, "staff_reviewer"))
    assert response.status_code == 200 and response.get_json()["page"] == 2
    assert fake_rpc.calls[-1][2][0] == {"held": True, "page": 2}
    client.get("/api/v1/staff/employment-proofs", headers=bearer(fake_rpc, "staff_reviewer"))
    assert fake_rpc.calls[-1][2][0] == {"held": True, "page": 1}
    client.get("/api/v1/staff/employment-proofs?held=false", headers=bearer(fake_rpc, "staff_reviewer"))
    assert fake_rpc.calls[-1][2][0] == {"held": False, "page": 1}
    calls = len(fake_rpc.calls)
    for query in ("page=0", "page=x", "held=perhaps"):
        bad = client.get(f"/api/v1/staff/employment-proofs?{query}", headers=bearer(fake_rpc, "staff_reviewer"))
        assert bad.status_code == 422, query
    assert [m for _, m, _ in fake_rpc.calls[calls:]] == ["authenticate"] * 3


def test_staff_attach_and_dismiss_and_a_second_decision_is_409(client, fake_rpc):
    fake_rpc.answer("rosters", "attach_held_proof", ATTACHED)
    attached = client.post(f"/api/v1/staff/employment-proofs/{PROOF_ID}/attach", json={"person_id": PERSON},
                           headers=bearer(fake_rpc, "staff_admin"))
    assert attached.status_code == 200 and attached.get_json()["status"] == "attached"
    assert fake_rpc.calls[-1][2][:2] == (PROOF_ID, PERSON)
    fake_rpc.answer("rosters", "dismiss_held_proof", DISMISSED)
    dismissed = client.post(f"/api/v1/staff/employment-proofs/{OTHER_ID}/dismiss", json={"reason": "Not them"},
                            headers=bearer(fake_rpc, "staff_admin"))
    assert dismissed.status_code == 200 and fake_rpc.calls[-1][2][:2] == (OTHER_ID, {"reason": "Not them"})

    fake_rpc.answer("rosters", "attach_held_proof", Conflict("Someone decided this proof of employment a moment ago."))
    again = client.post(f"/api/v1/staff/employment-proofs/{PROOF_ID}/attach", json={"person_id": PERSON},
                        headers=bearer(fake_rpc, "staff_reviewer"))
    assert again.status_code == 409 and again.get_json()["error"] == "conflict"


@pytest.mark.parametrize("path, body", [
    (f"/api/v1/staff/employment-proofs/{PROOF_ID}/attach", {}),
    (f"/api/v1/staff/employment-proofs/{PROOF_ID}/attach", {"person_id": "someone"}),
    (f"/api/v1/staff/employment-proofs/{PROOF_ID}/dismiss", {}),
    (f"/api/v1/staff/employment-proofs/{PROOF_ID}/dismiss", {"reason": ""}),
    (f"/api/v1/staff/employment-proofs/{PROOF_ID}/dismiss", {"reason": "ok", "ssn": "123-45-6789"}),
])
def test_a_bad_decision_body_is_refused_before_any_rpc(client, fake_rpc, path, body):
    response = client.post(path, json=body, headers=bearer(fake_rpc, "staff_reviewer"))
    assert response.status_code == 422
    assert [m for s, m in fake_rpc.methods_called() if s == "rosters"] == []


def test_the_existing_proof_submission_is_still_there(client, fake_rpc):
    response = client.post("/api/v1/staff/employment-proofs", json={}, headers=bearer(fake_rpc, "staff_reviewer"))
    assert response.status_code == 422     # routed to the submission, which checks the body
    assert client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/staff/employment-proofs"].keys() >= {
        "get", "post"}


def test_the_page_lists_held_proofs_flags_the_mismatch_and_links_the_person(client, fake_rpc):
    logged_in(client, fake_rpc, "staff_reviewer")
    fake_rpc.answer("rosters", "held_proofs", LISTING)
    page = client.get("/staff/employment-proofs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('data-testid="held-proof"') == 2 and html.count('data-testid="mismatch"') == 1
    assert "A person with this SSN registered under a different last name" in html
    assert f'href="/staff/people/{PERSON}"' in html and "IL# 5550001112" in html
    assert "Attach to Ana Mator-Reyes (IL# 5550001112)" in html
    assert html.count('data-testid="dismiss"') == 2 and 'data-testid="nobody-yet"' in html
    assert "27 days ago" in html and "11/02/2026" in html and "page 1 of 2" in html
    assert 'href="/staff/employment-proofs?held=true&amp;page=2"' in html
    assert 'href="/staff/employment-proofs"' in html   # the staff menu links the page


def test_the_page_attaches_and_dismisses_and_says_what_happened(client, fake_rpc):
    logged_in(client, fake_rpc, "staff_reviewer")
    fake_rpc.answer("rosters", "attach_held_proof", ATTACHED)
    done = client.post(f"/staff/employment-proofs/{PROOF_ID}/attach", data={"person_id": PERSON, "page": "2"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/staff/employment-proofs?held=true&page=2")
    assert fake_rpc.calls[-1][2][:2] == (PROOF_ID, PERSON)
    fake_rpc.answer("rosters", "held_proofs", {**LISTING, "proofs": [], "total": 0, "pages": 0})
    assert "Mator-Reyes&#39;s (IL# 5550001112)" in client.get("/staff/employment-proofs").get_data(as_text=True)

    fake_rpc.answer("rosters", "dismiss_held_proof", Conflict("This proof of employment was dismissed already."))
    client.post(f"/staff/employment-proofs/{PROOF_ID}/dismiss", data={"reason": "Not them"})
    assert fake_rpc.calls[-1][2][1] == {"reason": "Not them"}
    assert "dismissed already" in client.get("/staff/employment-proofs").get_data(as_text=True)

    calls = len(fake_rpc.calls)
    client.post(f"/staff/employment-proofs/{PROOF_ID}/dismiss", data={"reason": "  "})
    assert "dismiss_held_proof" not in [m for _, m, _ in fake_rpc.calls[calls:]]
    assert "Say why the proof is dismissed." in client.get("/staff/employment-proofs").get_data(as_text=True)


def test_the_page_is_for_staff_only(client, fake_rpc):
    logged_in(client, fake_rpc, "industry_professional")
    assert client.get("/staff/employment-proofs").status_code == 403
    assert client.post(f"/staff/employment-proofs/{PROOF_ID}/dismiss", data={"reason": "x"}).status_code == 403
