"""The account pages on their own: forgot password, reset and claim links, My Account, and the
staff pages, through Flask's test client with a fake RPC pool standing in for the services."""
import re
import uuid

import pytest

from common.errors import Conflict, LinkExpired, Unauthorized, ValidationFailed
from tests.support.fake_gateway import PERSON_ID, csrf_token_of, make_app, make_principal

TOKEN = "a-claim-or-reset-token-0123456789"
OTHER_PERSON = str(uuid.uuid4())
ME = {"person_id": PERSON_ID, "il_number": "1234567890", "first_name": "Pat", "last_name": "Grip",
      "date_of_birth": "1991-03-04", "ssn_masked": "***-**-6789", "roles": ["industry_professional"],
      "has_account": True, "email": "pat@example.com", "email_undeliverable": False,
      "phone": "818-555-0100", "address_line1": "1 Main St", "address_line2": "Apt 2",
      "city": "Burbank", "state": "CA", "postal_code": "91504", "email_notifications": True}
PERSON = {"person_id": OTHER_PERSON, "il_number": "5550001112", "first_name": "Robin",
          "last_name": "Dolly", "has_account": False, "locals": [], "origin": "import",
          "date_of_birth": "1980-01-02", "ssn_masked": "***-**-4321",
          "contact": {**{k: ME[k] for k in ("email_undeliverable", "phone", "address_line1",
                                            "address_line2", "city", "state", "postal_code",
                                            "email_notifications")}, "email": "robin@example.com"}}


def log_in_as(client, fake_rpc, principal: dict):
    with client.session_transaction() as session:
        session["token"] = "page-token"
    fake_rpc.answer("accounts", "authenticate", principal)
    return principal


def staff_principal(role: str = "staff_admin") -> dict:
    return {"account_id": str(uuid.uuid4()), "person_id": None, "roles": [role],
            "display_name": "Administrator"}


def main_text(response) -> str:
    """The visible words of the page's main region, without markup or spacing differences."""
    html = response.get_data(as_text=True)
    main = html[html.index('<main'):html.index('</main>')]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


# --- Forgot your password? -----------------------------------------------------------------------

def test_forgot_password_answers_the_same_for_a_known_and_an_unknown_address(client, fake_rpc):
    fake_rpc.answer("accounts", "request_password_reset", None)

    known = client.post("/forgot-password", data={"email": "pat@example.com"})
    unknown = client.post("/forgot-password", data={"email": "nobody-at-all@example.com"})

    assert known.status_code == unknown.status_code == 200
    assert main_text(known) == main_text(unknown)
    assert "we have sent it a link" in main_text(known)
    assert "pat@example.com" not in known.get_data(as_text=True)
    assert [args[0] for _, method, args in fake_rpc.calls if method == "request_password_reset"] == [
        {"email": "pat@example.com"}, {"email": "nobody-at-all@example.com"}]


def test_forgot_password_explains_an_address_that_is_not_an_e_mail_address(client, fake_rpc):
    response = client.post("/forgot-password", data={"email": "pat-at-example"})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in page
    assert "Enter an e-mail address like name@example.com." in page
    assert fake_rpc.calls == []


def test_the_login_page_offers_forgot_your_password(client):
    page = client.get("/login").get_data(as_text=True)

    assert re.search(r'<a href="/forgot-password">Forgot your password\?</a>', page)


# --- reset and claim links -----------------------------------------------------------------------

def test_reset_with_an_expired_link_says_so_with_a_way_to_a_new_link(client, fake_rpc):
    fake_rpc.answer("accounts", "confirm_password_reset", LinkExpired("This password reset link has expired."))

    response = client.post("/reset-password", data={"token": TOKEN, "password": "purple-harbor-lantern-7",
                                                     "password_confirm": "purple-harbor-lantern-7"})

    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "This password reset link has expired." in page
    assert 'href="/forgot-password"' in page
    assert "purple-harbor-lantern-7" not in page


def test_reset_changes_the_password_and_sends_the_person_to_log_in(client, fake_rpc):
    fake_rpc.answer("accounts", "confirm_password_reset", None)

    response = client.post(f"/reset-password?token={TOKEN}",
                           data={"password": "purple-harbor-lantern-7", "password_confirm": "purple-harbor-lantern-7"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert fake_rpc.calls[-1][2][0] == {"token": TOKEN, "password": "purple-harbor-lantern-7"}
    login = client.get("/login").get_data(as_text=True)
    assert "Your password is changed. Log in with it." in login


def test_reset_with_a_weak_password_marks_the_password_field(client, fake_rpc):
    problem = "That password is too common or easy to guess. Try a longer phrase."
    fake_rpc.answer("accounts", "confirm_password_reset",
                    ValidationFailed(problem, {"fields": {"password": problem}}))

    response = client.post("/reset-password", data={"token": TOKEN, "password": "patgrip1234",
                                                    "password_confirm": "patgrip1234"})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="password"[^>]*aria-invalid="true"', page, re.S)
    assert problem in page
    assert "patgrip1234" not in page


def test_reset_refuses_two_different_passwords_before_asking_accounts(client, fake_rpc):
    response = client.post("/reset-password", data={"token": TOKEN, "password": "purple-harbor-lantern-7",
                                                    "password_confirm": "purple-harbor-lantern-8"})

    assert response.status_code == 400
    assert "The two passwords do not match." in response.get_data(as_text=True)
    assert fake_rpc.calls == []


def test_a_reset_link_without_its_token_is_explained_not_crashed(client, fake_rpc):
    response = client.get("/reset-password")

    assert response.status_code == 400
    assert "This link is not complete" in response.get_data(as_text=True)


def test_claiming_logs_the_person_in_and_opens_their_dashboard(client, fake_rpc):
    fake_rpc.answer("accounts", "claim_account", {"person_id": PERSON_ID, "token": "session-token",
                                                  "expires_at": "2030-01-01T00:00:00+00:00"})

    response = client.post("/claim", data={"token": TOKEN, "password": "purple-harbor-lantern-7",
                                           "password_confirm": "purple-harbor-lantern-7"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/portal"
    with client.session_transaction() as session:
        assert session["token"] == "session-token"
        assert session.permanent


@pytest.mark.parametrize("path, purpose", [("/claim", "claim"), ("/reset-password", "reset")])
def test_a_dead_link_says_so_as_soon_as_it_is_opened(client, fake_rpc, path, purpose):
    fake_rpc.answer("accounts", "check_link", lambda token, kind: False)

    again = client.get(f"{path}?token={TOKEN}")

    assert again.status_code == 410
    assert 'href="/forgot-password"' in again.get_data(as_text=True)
    assert ("accounts", "check_link", (TOKEN, purpose)) in fake_rpc.calls


@pytest.mark.parametrize("path", ["/claim", "/reset-password"])
def test_a_live_link_shows_its_password_form(client, fake_rpc, path):
    fake_rpc.answer("accounts", "check_link", lambda token, kind: True)

    page = client.get(f"{path}?token={TOKEN}")

    assert page.status_code == 200
    assert 'name="password_confirm"' in page.get_data(as_text=True)


def test_claim_with_an_expired_invitation_says_so_with_forgot_your_password(client, fake_rpc):
    fake_rpc.answer("accounts", "claim_account", LinkExpired("This invitation link has expired or was already used."))

    response = client.post("/claim", data={"token": TOKEN, "password": "purple-harbor-lantern-7",
                                           "password_confirm": "purple-harbor-lantern-7"})

    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "This invitation link has expired or was already used." in page
    assert re.search(r'href="/forgot-password">Forgot your password\?', page)
    with client.session_transaction() as session:
        assert "token" not in session


# --- My Account ----------------------------------------------------------------------------------

def account_form(**changes) -> dict:
    form = {field: ME[field] for field in ("email", "phone", "address_line1", "address_line2", "city",
                                           "state", "postal_code")}
    form["email_notifications"] = "1"
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def test_my_account_sends_only_what_changed_with_emptied_fields_as_none(client, fake_rpc):
    principal = log_in_as(client, fake_rpc, make_principal())
    fake_rpc.answer("accounts", "get_me", ME)
    fake_rpc.answer("accounts", "update_me", ME)
    form = account_form(phone="818-555-0199", address_line2="", email_notifications=None)

    response = client.post("/portal/account", data=form)

    assert response.status_code == 302
    (person_id, patch, actor), = [args for _, method, args in fake_rpc.calls if method == "update_me"]
    assert person_id == PERSON_ID
    assert patch == {"phone": "818-555-0199", "address_line2": None, "email_notifications": False}
    assert actor["account_id"] == principal["account_id"]
    assert "Saved." in client.get("/portal/account").get_data(as_text=True)


def test_my_account_shows_an_e_mail_already_in_use_on_the_e_mail_field(client, fake_rpc):
    log_in_as(client, fake_rpc, make_principal())
    fake_rpc.answer("accounts", "get_me", ME)
    fake_rpc.answer("accounts", "update_me", Conflict("Another account already uses that e-mail address."))

    response = client.post("/portal/account", data=account_form(email="taken@example.com"))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="email"[^>]*value="taken@example.com"[^>]*aria-invalid="true"', page, re.S)
    assert "Another account already uses that e-mail address." in page


def test_changing_the_password_with_a_wrong_current_one_is_refused_plainly(client, fake_rpc):
    log_in_as(client, fake_rpc, make_principal())
    fake_rpc.answer("accounts", "change_password", Unauthorized("nope"))
    fake_rpc.answer("accounts", "get_me", ME)

    response = client.post("/portal/account/password", data={
        "current_password": "not-it-at-all", "new_password": "purple-harbor-lantern-7",
        "new_password_confirm": "purple-harbor-lantern-7"})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Your current password is not right." in page
    assert re.search(r'id="current_password"[^>]*aria-invalid="true"', page, re.S)
    assert "not-it-at-all" not in page and "purple-harbor-lantern-7" not in page


def test_changing_the_password_keeps_this_session_and_says_the_others_ended(client, fake_rpc):
    principal = log_in_as(client, fake_rpc, make_principal())
    fake_rpc.answer("accounts", "change_password", {"other_sessions_ended": 2})
    fake_rpc.answer("accounts", "get_me", ME)

    response = client.post("/portal/account/password", data={
        "current_password": "a-long-password-1", "new_password": "purple-harbor-lantern-7",
        "new_password_confirm": "purple-harbor-lantern-7"})

    assert response.status_code == 302
    (account_id, payload, token, _), = [args for _, method, args in fake_rpc.calls if method == "change_password"]
    assert (account_id, token) == (principal["account_id"], "page-token")
    assert payload == {"current_password": "a-long-password-1", "new_password": "purple-harbor-lantern-7"}
    assert "everywhere else you were logged in is now logged out" in client.get("/portal/account").get_data(
        as_text=True)


# --- staff ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/staff", "/staff/audit", "/staff/people/new", f"/staff/people/{OTHER_PERSON}"])
def test_a_person_without_a_staff_role_may_not_open_the_staff_pages(client, fake_rpc, path):
    log_in_as(client, fake_rpc, make_principal("industry_professional", "union_rep"))

    response = client.get(path)

    assert response.status_code == 403
    assert fake_rpc.methods_called() == [("accounts", "authenticate")]


def test_a_staff_login_opening_the_dashboard_is_taken_to_the_staff_pages(client, fake_rpc):
    log_in_as(client, fake_rpc, staff_principal())

    response = client.get("/portal")

    assert response.status_code == 302
    assert response.headers["Location"] == "/staff"


def test_acting_on_behalf_shows_who_is_being_helped_with_one_look_up(client, fake_rpc):
    log_in_as(client, fake_rpc, staff_principal())
    card = {key: PERSON[key] for key in ("person_id", "il_number", "first_name", "last_name")}
    fake_rpc.answer("accounts", "start_acting", card)
    fake_rpc.answer("accounts", "person_card", card)
    fake_rpc.answer("accounts", "get_me", {**ME, "person_id": OTHER_PERSON, "first_name": "Robin",
                                           "last_name": "Dolly", "il_number": "5550001112"})
    fake_rpc.answer("notifications", "list_messages", {"messages": [], "unread": 0})
    fake_rpc.answer("rosters", "my_classifications", {"as_of": "2024-03-01", "records": [],
                                                      "pending": [], "closed": []})

    started = client.post(f"/staff/people/{OTHER_PERSON}/act")
    fake_rpc.calls.clear()
    dashboard = client.get("/portal")

    assert started.headers["Location"] == "/portal"
    page = dashboard.get_data(as_text=True)
    assert re.search(r"You are helping <strong>Robin Dolly</strong>\s*\(IL# 5550001112\)", page)
    assert fake_rpc.methods_called().count(("accounts", "person_card")) == 1
    stopped = client.post("/staff/act/stop")
    assert stopped.headers["Location"] == f"/staff/people/{OTHER_PERSON}"
    with client.session_transaction() as session:
        assert "acting_for" not in session


def test_recording_a_new_person_never_echoes_the_ssn_when_something_is_wrong(client, fake_rpc):
    log_in_as(client, fake_rpc, staff_principal("staff_reviewer"))
    fake_rpc.answer("accounts", "create_person", Conflict("A person with that SSN is already on file."))

    response = client.post("/staff/people/new", data={
        "first_name": "Robin", "last_name": "Dolly", "date_of_birth": "1980-01-02",
        "ssn": "321-54-9876", "email": "", "phone": ""})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "A person with that SSN is already on file." in page
    assert "321-54-9876" not in page and "321549876" not in page
    (payload, _), = [args for _, method, args in fake_rpc.calls if method == "create_person"]
    assert payload["email"] is None and payload["phone"] is None and payload["origin"] == "staff"


def test_a_staff_search_by_ssn_is_posted_and_not_shown_again(client, fake_rpc):
    log_in_as(client, fake_rpc, staff_principal())
    fake_rpc.answer("accounts", "find_people", [])

    response = client.post("/staff", data={"q": "321-54-9876"})

    assert response.status_code == 200
    assert "321-54-9876" not in response.get_data(as_text=True)
    assert "0 people found" in response.get_data(as_text=True)


def test_the_audit_page_refuses_an_account_id_that_is_not_one(client, fake_rpc, monkeypatch):
    log_in_as(client, fake_rpc, staff_principal())
    asked = []
    monkeypatch.setattr("gateway.pages.staff.audit_entries",
                        lambda filters, viewer_of=None: asked.append(filters) or [])

    response = client.get("/staff/audit?actor_account_id=not-a-uuid&action=person.")

    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert asked == [{"action": "person.", "limit": 100}]


# --- CSRF on every new form ----------------------------------------------------------------------

NEW_FORMS = ["/forgot-password", f"/reset-password?token={TOKEN}", f"/claim?token={TOKEN}",
             "/portal/account", "/portal/account/password", "/staff", "/staff/people/new",
             f"/staff/people/{OTHER_PERSON}/invitation", f"/staff/people/{OTHER_PERSON}/act",
             "/staff/act/stop"]


@pytest.mark.parametrize("path", NEW_FORMS)
def test_a_new_form_posted_without_its_csrf_token_is_refused(fake_rpc, path):
    client = make_app(fake_rpc, WTF_CSRF_ENABLED=True).test_client()
    log_in_as(client, fake_rpc, staff_principal())

    response = client.post(path, data={"email": "pat@example.com", "password": "purple-harbor-lantern-7",
                                       "password_confirm": "purple-harbor-lantern-7", "q": "x"})

    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    # refused before the form reached a service (the error page's menu only asks who is logged in)
    assert set(fake_rpc.methods_called()) <= {("accounts", "authenticate")}


@pytest.mark.parametrize("path", ["/forgot-password", f"/reset-password?token={TOKEN}", f"/claim?token={TOKEN}"])
def test_each_new_public_form_carries_its_csrf_token(fake_rpc, path):
    client = make_app(fake_rpc, WTF_CSRF_ENABLED=True).test_client()
    fake_rpc.answer("accounts", "check_link", True)

    assert csrf_token_of(client.get(path).get_data(as_text=True))


def test_forgot_password_is_rate_limited_like_login(fake_rpc):
    fake_rpc.answer("accounts", "request_password_reset", None)
    client = make_app(fake_rpc, RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="2 per hour").test_client()

    statuses = [client.post("/forgot-password", data={"email": "pat@example.com"}).status_code
                for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert fake_rpc.methods_called().count(("accounts", "request_password_reset")) == 2
    assert client.get("/forgot-password").status_code == 200  # only the POST is limited


def test_reset_that_conflicts_with_another_account_says_why_on_the_form(client, fake_rpc):
    fake_rpc.answer("accounts", "confirm_password_reset",
                    Conflict("Another account already uses this person's e-mail address."))

    response = client.post("/reset-password", data={"token": TOKEN, "password": "purple-harbor-lantern-7",
                                                    "password_confirm": "purple-harbor-lantern-7"})

    assert response.status_code == 400
    assert "Another account already uses this person&#39;s e-mail address." in response.get_data(as_text=True)


# --- First review: reps and employers land somewhere; staff pages name people --------------------

def rep_principal() -> dict:
    return {"account_id": str(uuid.uuid4()), "person_id": None, "roles": ["union_rep"],
            "locals": ["399", "44"], "display_name": "Dana Rep", "organisation": "Teamsters Local #399"}


def test_a_union_rep_logging_in_lands_on_their_own_home(client, fake_rpc):
    fake_rpc.answer("accounts", "log_in", {"token": "rep-token", "expires_at": "2030-01-01T00:00:00+00:00"})
    fake_rpc.answer("accounts", "authenticate", rep_principal())

    logged_in = client.post("/login", data={"email": "dana@teamsters399.example", "password": "x" * 12})
    landing = client.get(logged_in.headers["Location"])

    assert logged_in.headers["Location"] == "/portal"
    assert landing.status_code == 302 and landing.headers["Location"].startswith("/reps")
    assert "This login has no Industry Professional record" not in landing.get_data(as_text=True)


def test_an_employer_lands_on_their_own_home(client, fake_rpc):
    log_in_as(client, fake_rpc, {"account_id": str(uuid.uuid4()), "person_id": None, "roles": ["employer"],
                                 "organisation": "Burbank Studios", "display_name": "Lee Employer"})

    response = client.get("/portal")

    assert response.status_code == 302 and response.headers["Location"].startswith("/employers")


def test_an_unknown_page_has_the_hubs_look_and_a_way_back(client, fake_rpc):
    log_in_as(client, fake_rpc, make_principal())

    response = client.get("/portal/no-such-page")

    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert 'href="/static/hub.css' in page  # the Hub's layout, not Flask's plain page
    assert "<h1>Not found</h1>" in page and "We could not find that page." in main_text(response)
    assert 'href="/portal" role="button">My Dashboard</a>' in page
    assert 'href="/"' in page and 'href="tel:+18185650550,1100"' in page


def test_the_hub_has_a_favicon(client):
    home = client.get("/").get_data(as_text=True)
    icon = client.get("/favicon.ico")

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in home
    assert icon.status_code in (301, 302) and icon.headers["Location"].endswith("/static/favicon.svg")
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.data.startswith(b"<svg")


AT = "2025-05-01T21:03:07+00:00"


def test_the_audit_log_names_the_people_and_the_actor_instead_of_ids(client, fake_rpc, monkeypatch):
    staff = log_in_as(client, fake_rpc, staff_principal())
    helper = str(uuid.uuid4())
    entries = [
        {"service": "accounts", "id": 2, "at": AT, "actor_account_id": staff["account_id"],
         "actor_roles": ["staff_admin"], "on_behalf_of": OTHER_PERSON, "action": "profile.updated",
         "target_type": "person", "target_id": OTHER_PERSON, "details": {}, "client_ip": "10.0.0.1"},
        {"service": "notifications", "id": 1, "at": AT, "actor_account_id": helper,
         "actor_roles": ["industry_professional"], "on_behalf_of": None, "action": "message.read",
         "target_type": "message", "target_id": "m-1", "details": {"person_id": PERSON_ID}, "client_ip": None},
    ]
    monkeypatch.setattr("gateway.pages.staff.audit_entries", lambda filters, viewer_of=None: entries)
    cards = {OTHER_PERSON: {"person_id": OTHER_PERSON, "il_number": "5550001112", "first_name": "Robin",
                            "last_name": "Dolly"},
             PERSON_ID: {"person_id": PERSON_ID, "il_number": "1234567890", "first_name": "Pat",
                         "last_name": "Grip"}}
    fake_rpc.answer("accounts", "person_card", lambda person_id, viewer: cards[person_id])

    response = client.get("/staff/audit")

    assert response.status_code == 200
    rows = [" ".join(re.sub(r"<[^>]+>", " ", r).split())
            for r in re.findall(r'<tr data-testid="audit-entry">(.*?)</tr>', response.get_data(as_text=True), re.S)]
    assert rows[0].startswith("05/01/2025 2:03 PM PDT profile.updated (accounts) Robin Dolly IL# 5550001112 "
                              "You (Administrator) Staff (admin)")
    assert "Robin Dolly IL# 5550001112 10.0.0.1" in rows[0]  # on behalf of, by name
    assert "message m-1 of Pat Grip IL# 1234567890 Industry Professional" in rows[1]
    page = response.get_data(as_text=True)
    assert f'<a href="/staff/people/{OTHER_PERSON}" data-testid="audit-person">Robin Dolly</a>' in page
    assert f'<a href="/staff/people/{PERSON_ID}" data-testid="audit-person">Pat Grip</a>' in page
    # each person is looked up once, whatever the number of entries naming them
    assert sorted(args[0] for _, method, args in fake_rpc.calls if method == "person_card") == sorted(cards)


def test_the_audit_log_still_shows_an_entry_whose_person_cannot_be_named(client, fake_rpc, monkeypatch):
    log_in_as(client, fake_rpc, staff_principal())
    monkeypatch.setattr("gateway.pages.staff.audit_entries", lambda filters, viewer_of=None: [
        {"service": "accounts", "id": 1, "at": AT, "actor_account_id": None, "actor_roles": ["system"],
         "on_behalf_of": None, "action": "person.created", "target_type": "person",
         "target_id": OTHER_PERSON, "details": {}, "client_ip": None}])
    from common.errors import NotFound
    fake_rpc.answer("accounts", "person_card", NotFound("No such person."))

    response = client.get("/staff/audit")

    assert response.status_code == 200
    assert "a person" in main_text(response) and "The Hub itself" in main_text(response)


GRIP_RECORD = {"record_id": str(uuid.uuid4()), "classification_code": "80-GRIP", "name": "IATSE, Local #80 (Grip)",
               "local": "80", "local_name": "IATSE Local #80", "roster": "IER", "group": None,
               "status": "compliant", "label": "Compliant", "as_of": "2024-03-01", "applied_on": "2023-01-02",
               "placed_on": "2023-05-30", "training_eligible": True, "anticipated_advancement_on": None,
               "advances_to": None, "timeline": [],
               "rows": [{"phase": "ongoing", "kind": "work_days", "tab": "work_experience",
                         "label": "30 verified work days in the last year", "state": "met",
                         "detail": "31 of 30 days in the last year", "due_on": None, "next_step": None,
                         "numbers": {"have": 31, "need": 30, "window_days": 365}}]}


def test_a_persons_staff_page_shows_each_classification_with_status_placement_and_key_figure(client, fake_rpc):
    log_in_as(client, fake_rpc, staff_principal())
    fake_rpc.answer("accounts", "get_person", PERSON)
    fake_rpc.answer("rosters", "my_classifications", {"as_of": "2024-03-01", "records": [GRIP_RECORD],
                                                      "pending": [], "closed": []})
    fake_rpc.answer("rosters", "list_suspensions", {"suspensions": []})

    response = client.get(f"/staff/people/{OTHER_PERSON}")

    assert response.status_code == 200
    assert ("rosters", "my_classifications", (OTHER_PERSON,)) in fake_rpc.calls
    [card] = [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in
              re.findall(r'data-testid="staff-classification">(.*?)</li>', response.get_data(as_text=True), re.S)]
    assert card.startswith("IATSE, Local #80 (Grip) ✓ Compliant On the roster since 05/30/2023 31 of 30 days")
    assert "Suspend or withdraw from this roster" in card
    assert "Date of birth 01/02/1980" in main_text(response)


def test_a_persons_staff_page_still_shows_when_rosters_cannot_answer(client, fake_rpc):
    from common.errors import ServiceUnavailable
    log_in_as(client, fake_rpc, staff_principal())
    fake_rpc.answer("accounts", "get_person", PERSON)
    fake_rpc.answer("rosters", "my_classifications", ServiceUnavailable("The rosters service did not answer."))
    fake_rpc.answer("rosters", "list_suspensions", {"suspensions": []})

    response = client.get(f"/staff/people/{OTHER_PERSON}")

    assert response.status_code == 200
    assert "We cannot show their classifications right now." in main_text(response)
    assert "Robin Dolly" in main_text(response)


def test_staff_search_results_are_a_table_with_a_link_to_each_person(client, fake_rpc):
    log_in_as(client, fake_rpc, staff_principal())
    fake_rpc.answer("accounts", "find_people", [
        {"person_id": OTHER_PERSON, "il_number": "5550001112", "first_name": "Robin", "last_name": "Dolly",
         "has_account": False, "locals": ["80", "399"]},
        {"person_id": PERSON_ID, "il_number": "1234567890", "first_name": "Pat", "last_name": "Dolly",
         "has_account": True, "locals": []}])

    response = client.post("/staff", data={"q": "Dolly"})

    page = response.get_data(as_text=True)
    head = " ".join(re.sub(r"<[^>]+>", " ", re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)).split())
    assert head == "Name IL number Portal account Locals"
    rows = [" ".join(re.sub(r"<[^>]+>", " ", r).split())
            for r in re.findall(r'<tr data-testid="search-result">(.*?)</tr>', page, re.S)]
    assert rows == ["Dolly, Robin 5550001112 Not yet #80, #399", "Dolly, Pat 1234567890 Yes None yet"]
    assert f'<a href="/staff/people/{OTHER_PERSON}">Dolly, Robin</a>' in page
    assert 'class="stacked results-table"' in page  # one card per person on a phone


def test_staff_search_results_leave_out_columns_accounts_did_not_answer(client, fake_rpc):
    log_in_as(client, fake_rpc, staff_principal())
    fake_rpc.answer("accounts", "find_people", [
        {"person_id": OTHER_PERSON, "il_number": "5550001112", "first_name": "Robin", "last_name": "Dolly"}])

    page = client.post("/staff", data={"q": "Dolly"}).get_data(as_text=True)

    assert "Portal account" not in page and "<th scope=\"col\">Locals" not in page
    assert f'<a href="/staff/people/{OTHER_PERSON}">Dolly, Robin</a>' in page


def suspension(**overrides):
    return {"suspension_id": str(uuid.uuid4()), "person_id": OTHER_PERSON, "classification_code": "80-GRIP",
            "kind": "suspension", "starts_on": "2024-03-01", "ends_on": None, "reason": "Unsafe conduct on set",
            "record_status": "not_compliant", **overrides}


def test_staff_take_a_member_off_a_roster_from_their_page_with_a_reason(client, fake_rpc):
    staff = staff_principal()
    log_in_as(client, fake_rpc, staff)
    done = suspension()
    fake_rpc.answer("rosters", "impose_suspension", lambda payload, actor: done)

    response = client.post(f"/staff/people/{OTHER_PERSON}/suspensions",
                           data={"classification_code": "80-GRIP", "kind": "suspension",
                                 "reason": "Unsafe conduct on set", "starts_on": "2024-03-01"})

    assert response.status_code == 302 and response.headers["Location"] == f"/staff/people/{OTHER_PERSON}"
    _, _, (payload, actor) = next(c for c in fake_rpc.calls if c[1] == "impose_suspension")
    assert payload == {"person_id": OTHER_PERSON, "classification_code": "80-GRIP", "kind": "suspension",
                       "starts_on": "2024-03-01", "reason": "Unsafe conduct on set"}
    assert actor["account_id"] == staff["account_id"]
    with client.session_transaction() as session:
        assert ("success", "Done: they are suspended from the 80-GRIP roster from 03/01/2024, and were told why.") \
            in session["_flashes"]


def test_a_suspension_without_a_reason_is_refused_before_anything_changes(client, fake_rpc):
    log_in_as(client, fake_rpc, staff_principal())

    client.post(f"/staff/people/{OTHER_PERSON}/suspensions", data={"classification_code": "80-GRIP", "reason": " "})

    assert not any(method == "impose_suspension" for _, method, _ in fake_rpc.calls)
    with client.session_transaction() as session:
        assert session["_flashes"][0][0] == "error"


def test_an_open_suspension_shows_on_the_persons_page_with_a_way_to_lift_it(client, fake_rpc):
    log_in_as(client, fake_rpc, staff_principal())
    fake_rpc.answer("accounts", "get_person", PERSON)
    fake_rpc.answer("rosters", "my_classifications", {"as_of": "2024-03-01", "pending": [], "closed": [],
                                                      "records": [{**GRIP_RECORD, "status": "not_compliant",
                                                                   "label": "Not Compliant"}]})
    open_one = suspension()
    fake_rpc.answer("rosters", "list_suspensions", {"suspensions": [open_one]})
    fake_rpc.answer("rosters", "lift_suspension", lambda sid, payload, actor: {**open_one, "ends_on": "2024-03-09"})

    page = client.get(f"/staff/people/{OTHER_PERSON}").get_data(as_text=True)
    lifted = client.post(f"/staff/people/{OTHER_PERSON}/suspensions/{open_one['suspension_id']}/lift",
                         data={"lifted_on": "2024-03-10"})

    assert "Suspended from this roster since 03/01/2024: Unsafe conduct on set" in " ".join(page.split())
    assert f"/suspensions/{open_one['suspension_id']}/lift" in page
    assert lifted.status_code == 302
    _, _, (suspension_id, payload, _actor) = next(c for c in fake_rpc.calls if c[1] == "lift_suspension")
    assert suspension_id == open_one["suspension_id"] and payload == {"lifted_on": "2024-03-10"}
