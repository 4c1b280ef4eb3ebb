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
    assert "everywhere else you were logged in is now logged out" in client.get("/portal/account").get_data(as_text=True)


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
    monkeypatch.setattr("gateway.pages.staff.audit_entries", lambda filters: asked.append(filters) or [])

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
