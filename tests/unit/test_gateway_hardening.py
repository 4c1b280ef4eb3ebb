"""What the first review found at the gateway's edge: caching of personal data, HSTS, 405s,
hostile JSON, out-of-range dates, implausible work dates, audit addresses, links in e-mails."""
import uuid
from datetime import date, timedelta

import pytest

from common import config as hub_config
from common.clock import today
from common.contracts.rosters import PayrollRecordIn, SweepIn, WorkDayIn
from tests.support.fake_gateway import PERSON_ID, make_app, make_principal


def logged_in(client, fake_rpc, *roles):
    with client.session_transaction() as session:
        session["token"] = "t"
    principal = make_principal(*roles)
    fake_rpc.answer("accounts", "authenticate", principal)
    return principal


def test_pages_and_api_answers_with_personal_data_are_never_cached(client, fake_rpc):
    fake_rpc.answer("accounts", "get_me", {"person_id": PERSON_ID})
    fake_rpc.answer("rosters", "list_classifications", [])
    logged_in(client, fake_rpc)
    for response in (client.get("/"), client.get("/api/v1/me", headers={"Authorization": "Bearer t"}),
                     client.get("/search"), client.get("/no-such-page")):
        assert response.headers["Cache-Control"] == "no-store", response.request.path


def test_static_files_may_still_be_cached(client):
    response = client.get("/static/hub.css")

    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_hsts_is_sent_only_when_cookies_are_secure(fake_rpc):
    fake_rpc.answer("rosters", "list_classifications", [])
    plain = make_app(fake_rpc).test_client().get("/search")
    secure = make_app(fake_rpc, SESSION_COOKIE_SECURE=True).test_client().get("/search")

    assert "Strict-Transport-Security" not in plain.headers
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_wrong_method_says_which_methods_are_allowed(client):
    response = client.get("/api/v1/roster/search")

    assert response.status_code == 405
    assert response.get_json()["error"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_json_nested_a_thousand_levels_deep_is_a_bad_request_not_a_crash(client, fake_rpc):
    fake_rpc.answer("accounts", "authenticate_api_key", make_principal("payroll_client"))
    body = "[" * 1000 + "]" * 1000
    nested = '{"last_name": ' + body + "}"

    for path in ("/api/v1/roster/search", "/api/v1/integrations/payroll/work-records"):
        response = client.post(path, data=nested, content_type="application/json",
                               headers={"Authorization": "Bearer hubpk_x"})
        assert response.status_code == 400, path
        assert response.get_json()["error"] == "bad_request"
    response = client.post("/api/v1/roster/search", data=nested, content_type="application/json")
    assert response.status_code == 400
    assert "nested" in response.get_json()["message"]


def test_a_sweep_as_of_the_year_one_is_refused_with_422(client, fake_rpc):
    logged_in(client, fake_rpc, "staff_admin")

    response = client.post("/api/v1/staff/sweeps", json={"as_of": "0001-01-01"},
                           headers={"Authorization": "Bearer t"})

    assert response.status_code == 422
    assert "as_of" in response.get_json()["details"]["fields"]
    assert not any(method == "run_sweep" for _, method, _ in fake_rpc.calls)


@pytest.mark.parametrize("shape", [WorkDayIn, PayrollRecordIn])
@pytest.mark.parametrize("work_date, problem", [(date(1949, 12, 31), "before"),
                                                (None, "future")])
def test_work_dates_before_1950_or_in_the_future_are_refused_with_a_reason(shape, work_date, problem):
    work_date = work_date or today() + timedelta(days=1)
    fields = {"work_date": work_date.isoformat(), "classification_code": "80-GRIP", "employer": "WB",
              "hours": 8, "ssn": "219-09-8765", "last_name": "Grip", "first_name": "Pat"}
    if shape is WorkDayIn:
        fields = {k: v for k, v in fields.items() if k not in ("ssn", "last_name", "first_name")}
    with pytest.raises(ValueError, match=problem):
        shape.model_validate(fields)
    assert shape.model_validate({**fields, "work_date": today().isoformat()})


def test_sweep_dates_keep_to_the_range_the_engine_can_add_years_to():
    assert SweepIn(as_of="1950-01-01") and SweepIn(as_of="2199-12-31")
    for bad in ("1949-12-31", "2200-01-01", "9999-12-31"):
        with pytest.raises(ValueError, match="between"):
            SweepIn(as_of=bad)


def test_a_staff_look_at_a_person_sends_the_client_address_for_the_audit(client, fake_rpc):
    logged_in(client, fake_rpc, "staff_reviewer")
    fake_rpc.answer("accounts", "get_person", {"person_id": PERSON_ID})
    person_id = str(uuid.uuid4())

    client.get(f"/api/v1/people/{person_id}", headers={"Authorization": "Bearer t"},
               environ_base={"REMOTE_ADDR": "203.0.113.9"})

    _, _, (asked_for, viewer) = next(c for c in fake_rpc.calls if c[1] == "get_person")
    assert asked_for == person_id and viewer["client_ip"] == "203.0.113.9"


def test_the_viewers_address_reaches_the_audit_entry():
    from common.authz import Principal

    viewer = Principal(roles=["staff_reviewer"], client_ip="203.0.113.9")

    assert viewer.actor().client_ip == "203.0.113.9"
    assert viewer.actor("198.51.100.1").client_ip == "198.51.100.1"


def test_links_in_e_mails_follow_the_port_the_hub_runs_on(monkeypatch):
    monkeypatch.delenv("HUB_PUBLIC_URL", raising=False)
    monkeypatch.setenv("HUB_PORT", "9090")
    monkeypatch.delenv("HUB_HOST", raising=False)

    assert hub_config.public_url() == "http://127.0.0.1:9090"
    assert hub_config.public_url({"HUB_PUBLIC_URL": "https://thehub.org/"}) == "https://thehub.org"
    # the services' config.yml leaves it empty unless set
    assert hub_config.public_url({"HUB_PUBLIC_URL": None}) == "http://127.0.0.1:9090"


def test_the_services_config_no_longer_pins_links_to_port_8080():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for service in ("accounts", "notifications"):
        text = (root / "services" / service / "config.yml").read_text()
        assert "127.0.0.1:8080" not in text, service


def test_the_audit_api_names_who_did_each_thing(client, fake_rpc):
    from common.config import SERVICES

    staff = logged_in(client, fake_rpc, "staff_admin")
    actor_id = str(uuid.uuid4())
    entry = {"service": "rosters", "id": 1, "at": "2026-05-01T21:03:07+00:00", "actor_account_id": actor_id,
             "actor_roles": ["staff_reviewer"], "on_behalf_of": None, "action": "work_day.approved",
             "target_type": "work_day", "target_id": "w-1", "details": {}, "client_ip": "10.0.0.1"}
    for service in SERVICES:
        fake_rpc.answer(service, "list_audit", [entry] if service == "rosters" else [])
    fake_rpc.answer("accounts", "name_accounts",
                    lambda ids, viewer: {actor_id: {"name": "Rita Reviewer", "email": "rita@example.com"}})

    answer = client.get("/api/v1/staff/audit", headers={"Authorization": "Bearer t"}).get_json()

    [named] = answer["entries"]
    assert named["actor_name"] == "Rita Reviewer" and named["actor_email"] == "rita@example.com"
    _, _, (ids, viewer) = next(c for c in fake_rpc.calls if c[1] == "name_accounts")
    assert ids == [actor_id] and viewer["account_id"] == staff["account_id"]


def test_staff_suspend_and_reinstate_through_the_api(client, fake_rpc):
    staff = logged_in(client, fake_rpc, "staff_reviewer")
    person_id, suspension_id = str(uuid.uuid4()), str(uuid.uuid4())
    out = {"suspension_id": suspension_id, "person_id": person_id, "classification_code": "80-GRIP",
           "kind": "withdrawal", "starts_on": "2026-01-05", "ends_on": None, "reason": "Asked to leave",
           "record_status": "not_compliant"}
    fake_rpc.answer("rosters", "impose_suspension", lambda payload, actor: out)
    fake_rpc.answer("rosters", "lift_suspension", lambda sid, payload, actor: {**out, "ends_on": "2026-02-01"})
    fake_rpc.answer("rosters", "list_suspensions", lambda pid, actor: {"suspensions": [out]})
    auth = {"Authorization": "Bearer t"}

    imposed = client.post("/api/v1/staff/suspensions", headers=auth, json={
        "person_id": person_id, "classification_code": "80-GRIP", "kind": "withdrawal",
        "reason": "Asked to leave", "starts_on": "2026-01-05"})
    lifted = client.post(f"/api/v1/staff/suspensions/{suspension_id}/lift", headers=auth)
    listed = client.get(f"/api/v1/staff/people/{person_id}/suspensions", headers=auth)
    no_reason = client.post("/api/v1/staff/suspensions", headers=auth,
                            json={"person_id": person_id, "classification_code": "80-GRIP"})

    assert imposed.status_code == 201 and imposed.get_json()["kind"] == "withdrawal"
    assert lifted.status_code == 200 and lifted.get_json()["ends_on"] == "2026-02-01"
    assert listed.get_json()["suspensions"][0]["suspension_id"] == suspension_id
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["details"]["fields"]
    _, _, (_payload, actor) = next(c for c in fake_rpc.calls if c[1] == "impose_suspension")
    assert actor["account_id"] == staff["account_id"]


def test_only_staff_may_suspend(client, fake_rpc):
    logged_in(client, fake_rpc, "industry_professional")

    response = client.post("/api/v1/staff/suspensions", headers={"Authorization": "Bearer t"},
                           json={"person_id": str(uuid.uuid4()), "classification_code": "80-GRIP", "reason": "x"})

    assert response.status_code == 403
    assert not any(method == "impose_suspension" for _, method, _ in fake_rpc.calls)


@pytest.mark.parametrize("field, value", [("last_name", "Gr\u202eip"), ("first_name", "Pat\x00"),
                                          ("last_name", "\u200b\u200b"), ("employer", "Warner\x1b[2J")])
def test_payroll_names_and_employers_with_control_or_invisible_characters_are_refused(field, value):
    record = {"work_date": today().isoformat(), "classification_code": "80-GRIP", "employer": "WB",
              "hours": 8, "ssn": "219-09-8765", "last_name": "Grip", "first_name": "Pat", field: value}

    with pytest.raises(ValueError, match="invisible|visible letter"):
        PayrollRecordIn.model_validate(record)


def test_a_request_too_large_for_any_endpoint_is_refused_in_plain_words(fake_rpc):
    client = make_app(fake_rpc, MAX_CONTENT_LENGTH=1000).test_client()

    response = client.post("/api/v1/roster/search", data=b'{"last_name": "' + b"x" * 2000 + b'"}',
                           content_type="application/json")

    assert response.status_code == 413
    assert response.get_json()["error"] == "too_large"
    assert "smaller files" in response.get_json()["message"]
    assert not fake_rpc.calls


def test_the_request_limit_leaves_room_for_five_attachments_of_the_upload_cap(monkeypatch, fake_rpc):
    monkeypatch.setenv("HUB_UPLOAD_MAX_MB", "10")

    assert make_app(fake_rpc).config["MAX_CONTENT_LENGTH"] == 51 * 1024 * 1024


def test_the_staff_sweep_expires_documents_before_the_rosters_sweep(client, fake_rpc):
    logged_in(client, fake_rpc, "staff_admin")
    fake_rpc.answer("documents", "sweep_expired", lambda as_of, actor: {"as_of": as_of, "expired": 2, "removed": 0})
    fake_rpc.answer("rosters", "run_sweep", lambda as_of, actor: {
        "as_of": as_of, "evaluated": 3, "placed": 0, "suspended": 1, "reinstated": 0, "advanced": 0, "warnings": 0})

    response = client.post("/api/v1/staff/sweeps", json={"as_of": "2026-07-01"}, headers={"Authorization": "Bearer t"})

    assert response.status_code == 200
    assert response.get_json()["documents_expired"] == 2 and response.get_json()["suspended"] == 1
    methods = [method for _, method, _ in fake_rpc.calls if method in ("sweep_expired", "run_sweep")]
    assert methods == ["sweep_expired", "run_sweep"]


def test_a_missing_preview_answers_plainly_and_leaves_the_pages_message_for_the_page(client, fake_rpc):
    from common.errors import NotFound

    logged_in(client, fake_rpc, "staff_reviewer")
    fake_rpc.answer("documents", "document_for_download", NotFound("No such document."))
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Rejected: a document.")]

    response = client.get(f"/staff/documents/{uuid.uuid4()}/preview")

    assert response.status_code == 404 and response.mimetype == "text/plain"
    with client.session_transaction() as session:
        assert session["_flashes"] == [("success", "Rejected: a document.")]
