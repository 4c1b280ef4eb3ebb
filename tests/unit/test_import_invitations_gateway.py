"""The gateway side of sending claim invitations to imported people later, in bulk: the staff API
(a call starts a drive in the background: 202 with the drive and what remains; the counts and the
drive), the button, counts and the drive's progress on the staff imports page (refreshing itself
while it runs) with a plain-words message of what a press did, staff only. Fake RPC."""
from __future__ import annotations

import uuid

import pytest

from common.errors import NotFound
from tests.support.fake_gateway import make_principal

STAFF = {"account_id": str(uuid.uuid4()), "person_id": None, "roles": ["staff_admin"], "display_name": "Admin"}
DRIVE_ID = str(uuid.uuid4())


def started(invited=0, remaining=4000, status="queued", started_now=True) -> dict:
    return {"id": DRIVE_ID, "status": status, "invited": invited, "remaining": remaining, "started_now": started_now}


def drive(status="running", invited=1200, total=4000, finished_at=None, error=None) -> dict:
    return {"id": DRIVE_ID, "status": status, "invited": invited, "total_at_start": total,
            "requested_at": "2024-03-01T16:59:58+00:00", "started_at": "2024-03-01T17:00:00+00:00",
            "finished_at": finished_at, "error": error}


def bearer(fake_rpc, principal=STAFF):
    fake_rpc.answer("accounts", "authenticate", principal)
    return {"Authorization": "Bearer api-token"}


def log_in(client, fake_rpc):
    with client.session_transaction() as session:
        session["token"] = "page-token"
    fake_rpc.answer("accounts", "authenticate", STAFF)


def sent(fake_rpc, method):
    return [args for service, name, args in fake_rpc.calls if (service, name) == ("accounts", method)]


def test_the_api_starts_a_drive_and_says_what_remains(client, fake_rpc):
    fake_rpc.answer("accounts", "invite_imported", started())
    response = client.post("/api/v1/staff/imports/invitations", headers=bearer(fake_rpc))
    assert response.status_code == 202 and response.get_json() == started()
    payload, actor = sent(fake_rpc, "invite_imported")[0]
    assert payload == {} and actor["account_id"] == STAFF["account_id"]
    # a second call while it runs: the same drive, still 202
    fake_rpc.answer("accounts", "invite_imported", started(1200, 2800, "running", started_now=False))
    again = client.post("/api/v1/staff/imports/invitations", json={}, headers=bearer(fake_rpc))
    assert again.status_code == 202
    assert {k: again.get_json()[k] for k in ("id", "status", "invited", "remaining")} == {
        "id": DRIVE_ID, "status": "running", "invited": 1200, "remaining": 2800}


def test_the_api_may_name_one_import_and_refuses_anything_else(client, fake_rpc):
    fake_rpc.answer("accounts", "invite_imported", started(0, 3))
    import_id = str(uuid.uuid4())
    response = client.post("/api/v1/staff/imports/invitations", json={"import_id": import_id},
                           headers=bearer(fake_rpc))
    assert response.status_code == 202 and sent(fake_rpc, "invite_imported")[0][0] == {"import_id": import_id}
    for body in ({"import_id": "nope"}, {"everyone": True}, ["not", "an", "object"]):
        refused = client.post("/api/v1/staff/imports/invitations", json=body, headers=bearer(fake_rpc))
        assert refused.status_code == 422
    assert len(sent(fake_rpc, "invite_imported")) == 1
    fake_rpc.answer("accounts", "invite_imported", NotFound("No such import."))
    missing = client.post("/api/v1/staff/imports/invitations", json={"import_id": import_id}, headers=bearer(fake_rpc))
    assert missing.status_code == 404


def test_the_api_gives_the_counts_and_the_drive(client, fake_rpc):
    status = {"pending": 2800, "invited": 1200, "drive": drive()}
    fake_rpc.answer("accounts", "imported_invitation_status", status)
    response = client.get("/api/v1/staff/imports/invitations", headers=bearer(fake_rpc))
    assert response.status_code == 200 and response.get_json() == status


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_api_is_staff_only(client, fake_rpc, method):
    response = getattr(client, method)("/api/v1/staff/imports/invitations",
                                       headers=bearer(fake_rpc, make_principal("industry_professional")))
    assert response.status_code == 403
    assert not sent(fake_rpc, "invite_imported") and not sent(fake_rpc, "imported_invitation_status")


def test_the_openapi_document_describes_both_with_an_optional_body(client):
    document = client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/staff/imports/invitations"])
    post = paths["/api/v1/staff/imports/invitations"]["post"]
    assert "202" in post["responses"] and post["requestBody"]["required"] is False
    body = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(document["components"]["schemas"][body]["properties"]) == {"import_id"}
    answer = post["responses"]["202"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"id", "status", "invited", "remaining"} <= set(document["components"]["schemas"][answer]["properties"])
    status = paths["/api/v1/staff/imports/invitations"]["get"]["responses"]["200"]["content"]["application/json"]
    assert "drive" in document["components"]["schemas"][status["schema"]["$ref"].rsplit("/", 1)[-1]]["properties"]


def test_the_imports_page_shows_the_counts_and_the_button(client, fake_rpc):
    log_in(client, fake_rpc)
    fake_rpc.answer("accounts", "list_imports", [])
    fake_rpc.answer("accounts", "imported_invitation_status", {"pending": 2800, "invited": 1200})
    html = client.get("/staff/imports").get_data(as_text=True)
    counts = html[html.index('data-testid="invitation-counts"'):]
    assert "Invited <strong>1,200</strong> so far." in counts
    assert "<strong>2,800</strong> imported people with an e-mail address and no account have not" in counts
    form = html[html.index('data-testid="invite-form"'):]
    assert 'action="/staff/imports/invitations"' in html and "Send invitations</button>" in form
    assert "disabled" not in form[:form.index("</button>")]
    fake_rpc.answer("accounts", "imported_invitation_status", {"pending": 0, "invited": 4000})
    html = client.get("/staff/imports").get_data(as_text=True)
    form = html[html.index('data-testid="invite-form"'):]
    assert "Nobody is waiting for an invitation." in html and "disabled" in form[:form.index("</button>")]


def page(client, fake_rpc, status: dict) -> str:
    fake_rpc.answer("accounts", "list_imports", [])
    fake_rpc.answer("accounts", "imported_invitation_status", status)
    return client.get("/staff/imports").get_data(as_text=True)


def test_the_imports_page_follows_a_running_drive_and_refreshes_itself(client, fake_rpc):
    log_in(client, fake_rpc)
    html = page(client, fake_rpc, {"pending": 2800, "invited": 1200, "drive": drive()})
    assert 'data-testid="invitation-drive">Sending invitations: 1,200 of 4,000</p>' in html
    assert 'value="1200" max="4000"' in html and 'http-equiv="refresh"' in html
    form = html[html.index('data-testid="invite-form"'):]
    assert "disabled" in form[:form.index("</button>")]   # one drive at a time
    queued = page(client, fake_rpc, {"pending": 4000, "invited": 0, "drive": drive("queued", 0)})
    assert "Sending invitations: 0 of 4,000" in queued and 'http-equiv="refresh"' in queued


def test_the_imports_page_says_when_the_last_drive_finished_and_stops_refreshing(client, fake_rpc):
    log_in(client, fake_rpc)
    done = drive("done", 4000, finished_at="2024-03-02T01:30:00+00:00")   # 03/01 in Burbank
    html = page(client, fake_rpc, {"pending": 0, "invited": 4000, "drive": done})
    assert 'data-testid="invitation-drive">Invitations sent to 4,000 people on 03/01/2024.</p>' in html
    assert 'http-equiv="refresh"' not in html and "Nobody is waiting for an invitation." in html
    # more imported since: they may be invited with a new press
    html = page(client, fake_rpc, {"pending": 12, "invited": 4000, "drive": done})
    form = html[html.index('data-testid="invite-form"'):]
    assert "Invitations sent to 4,000 people" in html and "disabled" not in form[:form.index("</button>")]


def test_the_imports_page_says_when_a_drive_stopped(client, fake_rpc):
    log_in(client, fake_rpc)
    failed = drive("failed", 1500, finished_at="2024-03-01T18:00:00+00:00",
                   error="An unexpected error stopped it. Press “Send invitations” to carry on: nobody is "
                         "invited twice.")
    html = page(client, fake_rpc, {"pending": 2500, "invited": 1500, "drive": failed})
    said = html[html.index('data-testid="invitation-drive"'):]
    assert said.startswith('data-testid="invitation-drive" class="error">Sending invitations stopped on 03/01/2024 '
                           "after 1,500 of 4,000. An unexpected error stopped it.")
    form = html[html.index('data-testid="invite-form"'):]
    assert 'http-equiv="refresh"' not in html and "disabled" not in form[:form.index("</button>")]


@pytest.mark.parametrize("answer, said", [
    (started(0, 4000),
     "Sending invitations to 4,000 people in the background: there is nothing more to press, and it goes on if "
     "you leave this page. The e-mails go out as fast as the mail server takes them."),
    (started(1200, 2800, "running", started_now=False), "Invitations are already being sent: 1,200 of 4,000."),
    (started(0, 4000, "queued", started_now=False), "Invitations are already being sent: 0 of 4,000."),
    ({"id": None, "status": "done", "invited": 0, "remaining": 0, "started_now": False},
     "Nobody to invite: everyone imported with an e-mail address has an account or has been invited already."),
])
def test_a_press_of_the_button_says_what_happened(client, fake_rpc, answer, said):
    log_in(client, fake_rpc)
    fake_rpc.answer("accounts", "invite_imported", answer)
    pressed = client.post("/staff/imports/invitations")
    assert pressed.status_code == 302 and pressed.headers["Location"].endswith("/staff/imports")
    assert sent(fake_rpc, "invite_imported")[0][0] == {}
    fake_rpc.answer("accounts", "list_imports", [])
    html = client.get("/staff/imports").get_data(as_text=True)
    assert said in html.replace("&#34;", '"')


def test_the_button_is_staff_only(client, fake_rpc):
    with client.session_transaction() as session:
        session["token"] = "page-token"
    fake_rpc.answer("accounts", "authenticate", make_principal("industry_professional"))
    fake_rpc.answer("accounts", "get_me", {"person_id": "x", "il_number": "1", "first_name": "Pat",
                                           "last_name": "Grip", "email": "p@example.com",
                                           "email_undeliverable": False, "roles": ["industry_professional"]})
    assert client.post("/staff/imports/invitations").status_code == 403
    assert not sent(fake_rpc, "invite_imported")
