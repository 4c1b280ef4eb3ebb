"""The accounts part of the JSON API (SPEC §2, §6, §8), driven over HTTP against the running
stack: creating and attaching accounts, logging in and out, throttling, invitations, password
resets, My Account, who may see whose record, staff acting on behalf, the audit log, payroll keys
and staff logins. Every refusal is checked for its exact status and {"error", "message"} body."""
from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header

import pytest
import requests

from common.clock import today as hub_today
from tests.support.api_client import bearer, log_in
from tests.support.factories import make_person, make_ssn
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

BAD_LOGIN = "That e-mail and password do not match an account."
INVITATION_SUBJECT = "Action Required - Welcome to the Contract Services Portal!"
RESET_SUBJECT = "Reset your Contract Services Portal password"
STRONG = "violet-harbour-lantern-42"
STRONGER = "copper-meadow-sparrow-77"
MAIL_TIMEOUT = 30


# --- helpers ---------------------------------------------------------------------------------

def assert_error(response, status: int, code: str, message: str | None = None) -> dict:
    """The response is our error shape with this status and code (and message, if given)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) <= {"error", "message", "details"}, body
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"], body
    if message is not None:
        assert body["message"] == message, body
    return body


def bad_fields(response) -> set[str]:
    body = assert_error(response, 422, "validation_failed")
    return set(body.get("details", {}).get("fields", {}))


def new_account(hub, **overrides) -> tuple[dict, dict]:
    """Create Account with unique data: (what was sent, the 201 body)."""
    person = make_person(**overrides)
    response = requests.post(hub.api("/accounts"), json=person)
    assert response.status_code == 201, response.text
    return person, response.json()


def new_ip(hub, **overrides) -> tuple[dict, dict, str]:
    """An Industry Professional with an account, logged in: (sent, created, token)."""
    person, created = new_account(hub, **overrides)
    return person, created, log_in(hub, person["email"], person["password"])


@pytest.fixture(scope="module")
def admin(hub) -> str:
    return log_in(hub, hub.admin_email, hub.admin_password)


def staff_login(hub, admin: str, roles: list[str], locals_: list[str] = ()) -> tuple[str, str]:
    """A new staff / rep login made by the administrator: (account id, token)."""
    email = f"staff.{uuid.uuid4().hex[:10]}@example.com"
    response = requests.post(hub.api("/staff/accounts"), headers=bearer(admin), json={
        "email": email, "password": STRONG, "display_name": "Test " + "/".join(roles),
        "roles": roles, "locals": list(locals_)})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == email and body["roles"] == roles
    return body["account_id"], log_in(hub, email, STRONG)


def staff_person(hub, admin: str, with_email: bool = True, **overrides) -> tuple[dict, dict]:
    """A person record without an account, as staff (or an import) create them."""
    person = make_person(**overrides)
    payload = {key: person[key] for key in ("first_name", "last_name", "date_of_birth", "ssn")}
    if with_email:
        payload["email"] = person["email"]
    response = requests.post(hub.api("/staff/people"), headers=bearer(admin), json=payload)
    assert response.status_code == 201, response.text
    return person, response.json()


def text_of(message) -> str:
    if message.is_multipart():
        return "\n".join(text_of(part) for part in message.get_payload())
    payload = message.get_payload(decode=True) or b""
    return payload.decode(message.get_content_charset() or "utf-8")


def subject_of(message) -> str:
    return " ".join(str(make_header(decode_header(message["Subject"]))).split())


def mails_with_subject(hub, address: str, subject: str) -> list:
    return [m for m in hub.smtp.messages_to(address) if subject_of(m) == subject]


def link_token(hub, address: str, subject: str, path: str) -> str:
    """Wait for the e-mail and return the token of its `path?token=` link."""
    mails = wait_until(lambda: mails_with_subject(hub, address, subject), timeout=MAIL_TIMEOUT,
                       message=f"the e-mail “{subject}” to {address}")
    assert len(mails) == 1, [subject_of(m) for m in mails]
    found = re.search(re.escape(path) + r"\?token=([A-Za-z0-9_\-]+)", text_of(mails[0]))
    assert found, text_of(mails[0])
    return found.group(1)


def invite(hub, admin: str, person_id: str):
    return requests.post(hub.api(f"/staff/people/{person_id}/invitation"), headers=bearer(admin))


def audit(hub, token: str, **filters) -> list[dict]:
    response = requests.get(hub.api("/staff/audit"), headers=bearer(token), params=filters)
    assert response.status_code == 200, response.text
    return response.json()["entries"]


def publish_application_started(hub, person_id: str, local: str, code: str) -> None:
    from nameko.amqp.publish import Publisher
    from nameko.standalone.events import get_event_exchange

    from common.events.rosters import ApplicationStarted

    Publisher(hub.amqp_uri, use_confirms=True).publish(
        ApplicationStarted(person_id=person_id, classification_code=code, local=local).model_dump(mode="json"),
        exchange=get_event_exchange("rosters", {}), routing_key="application_started")


def seen_by(hub, token: str, person_id: str, what: str):
    """Wait until `token` may read the person (the rosters event has been handled)."""
    def look():
        response = requests.get(hub.api(f"/people/{person_id}"), headers=bearer(token))
        return response if response.status_code == 200 else None
    return wait_until(look, timeout=20, message=what)


# --- POST /accounts --------------------------------------------------------------------------

def test_create_account_answers_201_with_the_person_id_and_a_ten_digit_il_number(hub):
    person, created = new_account(hub)
    assert set(created) == {"person_id", "il_number"}
    uuid.UUID(created["person_id"])
    assert re.fullmatch(r"\d{10}", created["il_number"])
    me = requests.get(hub.api("/me"), headers=bearer(log_in(hub, person["email"], person["password"]))).json()
    assert me["person_id"] == created["person_id"] and me["il_number"] == created["il_number"]
    assert me["roles"] == ["industry_professional"] and me["has_account"] is True


def test_an_email_already_used_is_a_conflict_whatever_its_case(hub):
    person, _ = new_account(hub)
    for email in (person["email"], person["email"].upper(), person["email"].title()):
        again = requests.post(hub.api("/accounts"), json=make_person(email=email))
        body = assert_error(again, 409, "conflict")
        assert "e-mail" in body["message"]


@pytest.mark.parametrize("ssn", ["12-345-6789", "123-45-678", "abc-de-fghi", "000-12-3456",
                                 "123-45-67890"])
def test_a_badly_formed_ssn_is_refused_naming_the_ssn_field(hub, ssn):
    response = requests.post(hub.api("/accounts"), json=make_person(ssn=ssn))
    assert bad_fields(response) == {"ssn"}


def test_a_date_of_birth_in_the_future_is_refused_naming_the_field(hub):
    tomorrow = (hub_today() + timedelta(days=1)).isoformat()
    response = requests.post(hub.api("/accounts"), json=make_person(date_of_birth=tomorrow))
    assert bad_fields(response) == {"date_of_birth"}


@pytest.mark.parametrize("password", ["password123", "qwertyuiop1"])
def test_a_common_password_is_refused_naming_the_password_field(hub, password):
    person = make_person(password=password)
    response = requests.post(hub.api("/accounts"), json=person)
    body = assert_error(response, 422, "validation_failed")
    assert set(body["details"]["fields"]) == {"password"}
    assert password not in response.text  # the refusal does not echo the password back


def test_an_unknown_field_such_as_roles_is_refused(hub):
    response = requests.post(hub.api("/accounts"), json={**make_person(), "roles": ["staff_admin"]})
    assert bad_fields(response) == {"roles"}


def test_an_account_attaches_to_the_person_staff_already_recorded_instead_of_duplicating(hub, admin):
    person, recorded = staff_person(hub, admin, with_email=False)
    # the same SSN (written without dashes), last name (other case) and date of birth
    signup = make_person(ssn=person["ssn"].replace("-", ""), last_name=person["last_name"].upper(),
                         date_of_birth=person["date_of_birth"], first_name="Patricia")
    response = requests.post(hub.api("/accounts"), json=signup)
    assert response.status_code == 201, response.text
    assert response.json() == recorded

    me = requests.get(hub.api("/me"), headers=bearer(log_in(hub, signup["email"], signup["password"]))).json()
    assert me["il_number"] == recorded["il_number"] and me["person_id"] == recorded["person_id"]
    assert me["last_name"] == person["last_name"]  # the legal name on file stays as staff recorded it
    assert me["email"] == signup["email"] and me["has_account"] is True

    found = requests.post(hub.api("/staff/people/search"), headers=bearer(admin), json={"q": person["last_name"]})
    assert found.status_code == 200
    assert [p["person_id"] for p in found.json()["people"]] == [recorded["person_id"]]


def test_a_mismatching_last_name_gets_the_same_refusal_as_an_ssn_that_already_has_an_account(hub, admin):
    taken, _ = new_account(hub)
    has_account = requests.post(hub.api("/accounts"), json=make_person(
        ssn=taken["ssn"], last_name=taken["last_name"], date_of_birth=taken["date_of_birth"]))
    refusal = assert_error(has_account, 409, "conflict")

    waiting, recorded = staff_person(hub, admin)
    wrong_name = requests.post(hub.api("/accounts"), json=make_person(
        ssn=waiting["ssn"], last_name="Someone-Else", date_of_birth=waiting["date_of_birth"]))
    wrong_birthday = requests.post(hub.api("/accounts"), json=make_person(
        ssn=waiting["ssn"], last_name=waiting["last_name"], date_of_birth="1970-01-01"))
    for response in (wrong_name, wrong_birthday):
        assert assert_error(response, 409, "conflict") == refusal

    message = refusal["message"].lower()
    assert "exist" not in message and "already" not in message and "on file" not in message
    assert waiting["ssn"] not in wrong_name.text and taken["ssn"] not in has_account.text

    # the waiting record is untouched and still has no account
    record = requests.get(hub.api(f"/people/{recorded['person_id']}"), headers=bearer(admin)).json()
    assert record["has_account"] is False and record["contact"]["email"] == waiting["email"]


# --- POST /session, DELETE /session ------------------------------------------------------------

def test_log_in_returns_a_bearer_token_with_its_expiry(hub):
    person, _ = new_account(hub)
    response = requests.post(hub.api("/session"), json={"email": person["email"].upper(),
                                                        "password": person["password"]})
    assert response.status_code == 200, response.text
    body = response.json()
    expires = datetime.fromisoformat(body["expires_at"])
    assert datetime.now(UTC) < expires < datetime.now(UTC) + timedelta(days=2)
    assert requests.get(hub.api("/me"), headers=bearer(body["token"])).status_code == 200


def test_a_wrong_password_and_an_unknown_email_get_the_identical_401(hub):
    person, _ = new_account(hub)
    wrong = requests.post(hub.api("/session"), json={"email": person["email"], "password": "not-my-password-9"})
    unknown = requests.post(hub.api("/session"), json={"email": f"nobody.{uuid.uuid4().hex}@example.com",
                                                       "password": person["password"]})
    assert_error(wrong, 401, "unauthorized", BAD_LOGIN)
    assert_error(unknown, 401, "unauthorized", BAD_LOGIN)
    assert wrong.json() == unknown.json()


def test_a_log_in_without_a_password_is_refused_naming_the_field(hub):
    response = requests.post(hub.api("/session"), json={"email": "someone@example.com"})
    assert bad_fields(response) == {"password"}


def test_after_five_failures_even_the_right_password_is_refused_for_a_while_but_others_are_unaffected(hub):
    locked, _ = new_account(hub)
    other, _ = new_account(hub)
    for _ in range(5):
        response = requests.post(hub.api("/session"), json={"email": locked["email"], "password": "guess-again-123"})
        assert_error(response, 401, "unauthorized", BAD_LOGIN)

    sixth = requests.post(hub.api("/session"), json={"email": locked["email"], "password": locked["password"]})
    body = assert_error(sixth, 429, "too_many_requests")
    assert "Try again in" in body["message"] and "minute" in body["message"]
    assert "token" not in body

    assert requests.post(hub.api("/session"), json={"email": other["email"],
                                                    "password": other["password"]}).status_code == 200
    # the lock is per account, however the e-mail is written
    again = requests.post(hub.api("/session"), json={"email": locked["email"].upper(),
                                                     "password": locked["password"]})
    assert_error(again, 429, "too_many_requests")


def test_logging_out_ends_only_that_token(hub):
    person, _, token = new_ip(hub)
    other_token = log_in(hub, person["email"], person["password"])
    assert requests.delete(hub.api("/session"), headers=bearer(token)).status_code == 204
    assert_error(requests.get(hub.api("/me"), headers=bearer(token)), 401, "unauthorized")
    assert_error(requests.delete(hub.api("/session"), headers=bearer(token)), 401, "unauthorized")
    assert requests.get(hub.api("/me"), headers=bearer(other_token)).status_code == 200


def test_logging_out_without_a_token_is_refused(hub):
    assert_error(requests.delete(hub.api("/session")), 401, "unauthorized")
    assert_error(requests.delete(hub.api("/session"), headers=bearer("not-a-real-token")), 401, "unauthorized")


# --- invitations -----------------------------------------------------------------------------

def test_an_invited_person_claims_their_account_once_from_the_emailed_link(hub, admin):
    person, recorded = staff_person(hub, admin)
    sent = invite(hub, admin, recorded["person_id"])
    assert sent.status_code == 202, sent.text
    assert sent.json()["person_id"] == recorded["person_id"]
    expires = datetime.fromisoformat(sent.json()["expires_at"])
    assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)

    token = link_token(hub, person["email"], INVITATION_SUBJECT, "/claim")
    claimed = requests.post(hub.api("/invitations/claim"), json={"token": token, "password": STRONG})
    assert claimed.status_code == 200, claimed.text
    me = requests.get(hub.api("/me"), headers=bearer(claimed.json()["token"]))
    assert me.status_code == 200
    assert me.json()["il_number"] == recorded["il_number"] and me.json()["has_account"] is True
    assert requests.get(hub.api("/me"), headers=bearer(log_in(hub, person["email"], STRONG))).status_code == 200

    again = requests.post(hub.api("/invitations/claim"), json={"token": token, "password": STRONGER})
    body = assert_error(again, 410, "link_expired")
    assert "Forgot your password" in body["message"]
    assert_error(requests.post(hub.api("/session"), json={"email": person["email"], "password": STRONGER}),
                 401, "unauthorized", BAD_LOGIN)


def test_inviting_a_person_who_already_has_an_account_is_a_conflict(hub, admin):
    _, created = new_account(hub)
    assert_error(invite(hub, admin, created["person_id"]), 409, "conflict")


def test_inviting_a_person_without_an_email_is_refused(hub, admin):
    _, recorded = staff_person(hub, admin, with_email=False)
    body = assert_error(invite(hub, admin, recorded["person_id"]), 422, "validation_failed")
    assert "e-mail" in body["message"]


def test_inviting_someone_unknown_is_not_found(hub, admin):
    assert_error(invite(hub, admin, str(uuid.uuid4())), 404, "not_found")


def test_only_staff_may_invite(hub, admin):
    _, recorded = staff_person(hub, admin)
    _, _, ip_token = new_ip(hub)
    assert_error(invite(hub, ip_token, recorded["person_id"]), 403, "forbidden")
    assert_error(requests.post(hub.api(f"/staff/people/{recorded['person_id']}/invitation")), 401, "unauthorized")
    assert_error(requests.post(hub.api("/staff/people"), headers=bearer(ip_token),
                               json={k: v for k, v in make_person().items() if k != "password"}), 403, "forbidden")


def test_a_weak_password_does_not_use_up_the_invitation(hub, admin):
    person, recorded = staff_person(hub, admin)
    assert invite(hub, admin, recorded["person_id"]).status_code == 202
    token = link_token(hub, person["email"], INVITATION_SUBJECT, "/claim")
    weak = requests.post(hub.api("/invitations/claim"), json={"token": token, "password": "password123"})
    assert bad_fields(weak) == {"password"}
    with_name = requests.post(hub.api("/invitations/claim"),
                              json={"token": token, "password": person["last_name"].lower()})
    assert_error(with_name, 422, "validation_failed")
    assert requests.post(hub.api("/invitations/claim"), json={"token": token, "password": STRONG}).status_code == 200


def test_an_unknown_claim_token_is_refused_as_expired(hub):
    response = requests.post(hub.api("/invitations/claim"), json={"token": "x" * 43, "password": STRONG})
    assert "Forgot your password" in assert_error(response, 410, "link_expired")["message"]


# --- password reset --------------------------------------------------------------------------

def test_a_reset_request_answers_the_same_for_known_and_unknown_emails_and_only_mails_the_known(hub):
    person, _ = new_account(hub)
    stranger = f"stranger.{uuid.uuid4().hex[:10]}@example.com"
    unknown = requests.post(hub.api("/password-reset"), json={"email": stranger})
    known = requests.post(hub.api("/password-reset"), json={"email": person["email"]})
    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json() and unknown.json()["message"]

    link_token(hub, person["email"], RESET_SUBJECT, "/reset-password")
    assert hub.smtp.messages_to(stranger) == []


def test_a_reset_sets_the_new_password_ends_every_session_and_works_once(hub):
    person, _, before = new_ip(hub)
    assert requests.post(hub.api("/password-reset"), json={"email": person["email"]}).status_code == 202
    token = link_token(hub, person["email"], RESET_SUBJECT, "/reset-password")

    weak = requests.post(hub.api("/password-reset/confirm"), json={"token": token, "password": "qwertyuiop1"})
    assert bad_fields(weak) == {"password"}
    confirmed = requests.post(hub.api("/password-reset/confirm"), json={"token": token, "password": STRONG})
    assert confirmed.status_code == 204, confirmed.text
    assert confirmed.content == b""

    assert_error(requests.get(hub.api("/me"), headers=bearer(before)), 401, "unauthorized")
    assert_error(requests.post(hub.api("/session"), json={"email": person["email"], "password": person["password"]}),
                 401, "unauthorized", BAD_LOGIN)
    assert requests.get(hub.api("/me"), headers=bearer(log_in(hub, person["email"], STRONG))).status_code == 200

    reused = requests.post(hub.api("/password-reset/confirm"), json={"token": token, "password": STRONGER})
    assert_error(reused, 410, "link_expired")
    assert_error(requests.post(hub.api("/session"), json={"email": person["email"], "password": STRONGER}),
                 401, "unauthorized", BAD_LOGIN)


def test_a_reset_token_is_not_an_invitation(hub):
    person, _ = new_account(hub)
    assert requests.post(hub.api("/password-reset"), json={"email": person["email"]}).status_code == 202
    token = link_token(hub, person["email"], RESET_SUBJECT, "/reset-password")
    assert_error(requests.post(hub.api("/invitations/claim"), json={"token": token, "password": STRONG}),
                 410, "link_expired")
    # refusing it on the wrong endpoint does not use it up
    assert requests.post(hub.api("/password-reset/confirm"),
                         json={"token": token, "password": STRONG}).status_code == 204


def test_a_migrated_person_whose_invitation_lapsed_opens_their_portal_with_forgot_password(hub, admin):
    person, recorded = staff_person(hub, admin)
    assert invite(hub, admin, recorded["person_id"]).status_code == 202
    invitation = link_token(hub, person["email"], INVITATION_SUBJECT, "/claim")

    assert requests.post(hub.api("/password-reset"), json={"email": person["email"]}).status_code == 202
    token = link_token(hub, person["email"], RESET_SUBJECT, "/reset-password")
    assert requests.post(hub.api("/password-reset/confirm"),
                         json={"token": token, "password": STRONG}).status_code == 204

    me = requests.get(hub.api("/me"), headers=bearer(log_in(hub, person["email"], STRONG))).json()
    assert me["person_id"] == recorded["person_id"] and me["il_number"] == recorded["il_number"]
    assert me["has_account"] is True
    # the account exists now, so the old invitation cannot open a second one
    assert_error(requests.post(hub.api("/invitations/claim"), json={"token": invitation, "password": STRONGER}),
                 410, "link_expired")
    assert_error(invite(hub, admin, recorded["person_id"]), 409, "conflict")


def test_a_reset_request_with_a_malformed_email_is_refused(hub):
    assert bad_fields(requests.post(hub.api("/password-reset"), json={"email": "not-an-email"})) == {"email"}


# --- GET / PATCH /me ---------------------------------------------------------------------------

def test_contact_details_and_email_preference_can_be_changed(hub):
    _, _, token = new_ip(hub)
    change = {"phone": "(818) 555-0142", "address_line1": "4000 W Warner Blvd", "address_line2": "Stage 16",
              "city": "Burbank", "state": "CA", "postal_code": "91522", "email_notifications": False}
    patched = requests.patch(hub.api("/me"), headers=bearer(token), json=change)
    assert patched.status_code == 200, patched.text
    me = requests.get(hub.api("/me"), headers=bearer(token)).json()
    for body in (patched.json(), me):
        assert {key: body[key] for key in change} == change


def test_the_email_can_move_to_a_free_address_and_the_login_moves_with_it(hub):
    person, _, token = new_ip(hub)
    new_email = f"moved.{uuid.uuid4().hex[:10]}@example.com"
    patched = requests.patch(hub.api("/me"), headers=bearer(token), json={"email": new_email.upper()})
    assert patched.status_code == 200 and patched.json()["email"] == new_email
    assert requests.get(hub.api("/me"), headers=bearer(log_in(hub, new_email, person["password"]))).status_code == 200
    assert_error(requests.post(hub.api("/session"), json={"email": person["email"], "password": person["password"]}),
                 401, "unauthorized", BAD_LOGIN)


def test_taking_another_accounts_email_is_a_conflict(hub):
    other, _ = new_account(hub)
    person, _, token = new_ip(hub)
    response = requests.patch(hub.api("/me"), headers=bearer(token), json={"email": other["email"].upper()})
    assert_error(response, 409, "conflict")
    assert requests.get(hub.api("/me"), headers=bearer(token)).json()["email"] == person["email"]


@pytest.mark.parametrize("field, value", [("first_name", "Mallory"), ("last_name", "Else"),
                                          ("ssn", "123-45-6789"), ("date_of_birth", "1980-01-01"),
                                          ("roles", ["staff_admin"])])
def test_identity_and_roles_cannot_be_changed_through_my_account(hub, field, value):
    person, _, token = new_ip(hub)
    response = requests.patch(hub.api("/me"), headers=bearer(token), json={field: value})
    assert bad_fields(response) == {field}
    me = requests.get(hub.api("/me"), headers=bearer(token)).json()
    assert me["first_name"] == person["first_name"] and me["last_name"] == person["last_name"]
    assert me["date_of_birth"] == person["date_of_birth"] and me["roles"] == ["industry_professional"]
    assert me["ssn_masked"] == "***-**-" + person["ssn"][-4:]


def test_the_email_cannot_be_removed_because_it_is_the_login(hub):
    person, _, token = new_ip(hub)
    response = requests.patch(hub.api("/me"), headers=bearer(token), json={"email": None})
    assert bad_fields(response) == {"email"}
    assert requests.get(hub.api("/me"), headers=bearer(token)).json()["email"] == person["email"]


def test_a_badly_formed_phone_is_refused_naming_the_field(hub):
    _, _, token = new_ip(hub)
    assert bad_fields(requests.patch(hub.api("/me"), headers=bearer(token), json={"phone": "call me"})) == {"phone"}


def test_my_account_needs_a_token(hub):
    assert_error(requests.get(hub.api("/me")), 401, "unauthorized")
    assert_error(requests.patch(hub.api("/me"), json={"city": "Burbank"}), 401, "unauthorized")
    assert_error(requests.get(hub.api("/me"), headers=bearer("forged-token")), 401, "unauthorized")


def test_the_ssn_only_ever_appears_masked(hub, admin):
    person, created, token = new_ip(hub)
    _, rep = staff_login(hub, admin, ["union_rep"], ["80"])
    publish_application_started(hub, created["person_id"], "80", "80-GRIP")
    seen_by(hub, rep, created["person_id"], "the Local 80 rep to see the applicant")
    pid = created["person_id"]
    bodies = [
        requests.post(hub.api("/accounts"), json={**make_person(), "ssn": person["ssn"]}),
        requests.get(hub.api("/me"), headers=bearer(token)),
        requests.patch(hub.api("/me"), headers=bearer(token), json={"city": "Burbank"}),
        requests.get(hub.api(f"/people/{pid}"), headers=bearer(token)),
        requests.get(hub.api(f"/people/{pid}"), headers=bearer(admin)),
        requests.get(hub.api(f"/people/{pid}"), headers=bearer(rep)),
        requests.get(hub.api("/me"), headers=bearer(admin, **{"X-Act-For": pid})),
        requests.post(hub.api("/staff/people/search"), headers=bearer(admin), json={"q": person["ssn"]}),
        requests.get(hub.api("/staff/audit"), headers=bearer(admin), params={"target_id": pid}),
        requests.get(hub.api("/staff/audit"), headers=bearer(admin), params={"action": "person."}),
    ]
    masked = "***-**-" + person["ssn"][-4:]
    assert bodies[1].json()["ssn_masked"] == masked and bodies[4].json()["ssn_masked"] == masked
    assert [p["person_id"] for p in bodies[7].json()["people"]] == [pid]  # found by exact SSN
    for response in bodies:
        assert response.status_code < 500, response.text
        assert person["ssn"] not in response.text
        assert person["ssn"].replace("-", "") not in response.text


# --- POST /me/password -----------------------------------------------------------------------

def test_changing_the_password_needs_the_current_one(hub):
    person, _, token = new_ip(hub)
    wrong = requests.post(hub.api("/me/password"), headers=bearer(token),
                          json={"current_password": "not-my-password-9", "new_password": STRONG})
    assert_error(wrong, 422, "validation_failed", "Your current password is not right.")
    assert bad_fields(wrong) == {"current_password"}
    assert requests.get(hub.api("/me"), headers=bearer(token)).status_code == 200
    assert requests.get(hub.api("/me"),
                        headers=bearer(log_in(hub, person["email"], person["password"]))).status_code == 200


def test_a_weak_new_password_is_refused_naming_the_field(hub):
    person, _, token = new_ip(hub)
    weak = requests.post(hub.api("/me/password"), headers=bearer(token),
                         json={"current_password": person["password"], "new_password": "password123"})
    assert bad_fields(weak) == {"new_password"}


def test_changing_the_password_ends_the_other_sessions_but_keeps_mine(hub):
    person, _, mine = new_ip(hub)
    elsewhere = log_in(hub, person["email"], person["password"])
    changed = requests.post(hub.api("/me/password"), headers=bearer(mine),
                            json={"current_password": person["password"], "new_password": STRONG})
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"other_sessions_ended": 1}
    assert_error(requests.get(hub.api("/me"), headers=bearer(elsewhere)), 401, "unauthorized")
    assert requests.get(hub.api("/me"), headers=bearer(mine)).status_code == 200
    assert_error(requests.post(hub.api("/session"), json={"email": person["email"], "password": person["password"]}),
                 401, "unauthorized", BAD_LOGIN)
    assert requests.get(hub.api("/me"), headers=bearer(log_in(hub, person["email"], STRONG))).status_code == 200


def test_changing_the_password_needs_a_token(hub):
    response = requests.post(hub.api("/me/password"), json={"current_password": "x", "new_password": STRONG})
    assert_error(response, 401, "unauthorized")


# --- who may see whose record (SPEC §8) --------------------------------------------------------

def test_a_person_cannot_read_another_persons_record_by_guessing_its_id(hub):
    _, mine, token = new_ip(hub)
    _, theirs = new_account(hub)
    guessed = requests.get(hub.api(f"/people/{theirs['person_id']}"), headers=bearer(token))
    random_id = requests.get(hub.api(f"/people/{uuid.uuid4()}"), headers=bearer(token))
    assert_error(guessed, 404, "not_found")
    assert guessed.json() == random_id.json() and random_id.status_code == 404
    assert theirs["il_number"] not in guessed.text

    own = requests.get(hub.api(f"/people/{mine['person_id']}"), headers=bearer(token))
    assert own.status_code == 200
    assert own.json()["il_number"] == mine["il_number"] and own.json()["ssn_masked"].startswith("***-**-")
    assert_error(requests.get(hub.api(f"/people/{mine['person_id']}")), 401, "unauthorized")


def test_staff_see_the_private_record_and_the_look_is_audited(hub, admin):
    person, created = new_account(hub)
    reviewer_id, reviewer = staff_login(hub, admin, ["staff_reviewer"])
    response = requests.get(hub.api(f"/people/{created['person_id']}"), headers=bearer(reviewer))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["il_number"] == created["il_number"]
    assert body["ssn_masked"] == "***-**-" + person["ssn"][-4:]
    assert body["date_of_birth"] == person["date_of_birth"]
    assert body["contact"]["email"] == person["email"]

    entries = audit(hub, admin, target_id=created["person_id"], action="person.private_details_viewed")
    assert [(e["actor_account_id"], e["target_type"], e["service"]) for e in entries] == \
        [(reviewer_id, "person", "accounts")]
    assert "staff_reviewer" in entries[0]["actor_roles"] and entries[0]["on_behalf_of"] is None


def test_a_union_rep_sees_only_the_members_of_their_own_local_and_only_the_member_view(hub, admin):
    _, rep399 = staff_login(hub, admin, ["union_rep"], ["399"])
    _, rep44 = staff_login(hub, admin, ["union_rep"], ["44"])
    person, created = new_account(hub)
    pid = created["person_id"]
    not_found = requests.get(hub.api(f"/people/{uuid.uuid4()}"), headers=bearer(rep44)).json()

    # before the application nobody's rep sees them
    assert_error(requests.get(hub.api(f"/people/{pid}"), headers=bearer(rep399)), 404, "not_found")

    publish_application_started(hub, pid, "399", "399-DRIVER-G3")
    seen = seen_by(hub, rep399, pid, "the Local 399 rep to see the applicant")
    body = seen.json()
    assert body["il_number"] == created["il_number"] and body["locals"] == ["399"]
    assert body["first_name"] == person["first_name"] and body["last_name"] == person["last_name"]
    for private in ("ssn_masked", "contact", "date_of_birth"):
        assert body.get(private) is None, private
    assert person["email"] not in seen.text and person["date_of_birth"] not in seen.text

    other_local = requests.get(hub.api(f"/people/{pid}"), headers=bearer(rep44))
    assert_error(other_local, 404, "not_found")
    assert other_local.json() == not_found
    # a rep's look is not a staff look at private details
    assert audit(hub, admin, target_id=pid, action="person.private_details_viewed") == []


def test_a_union_rep_has_no_my_account_and_no_staff_tools(hub, admin):
    _, rep = staff_login(hub, admin, ["union_rep"], ["600"])
    assert_error(requests.get(hub.api("/me"), headers=bearer(rep)), 404, "not_found")
    assert_error(requests.post(hub.api("/staff/people/search"), headers=bearer(rep), json={"q": "x"}), 403, "forbidden")
    assert_error(requests.get(hub.api("/staff/audit"), headers=bearer(rep)), 403, "forbidden")


# --- staff acting on behalf ------------------------------------------------------------------

def test_staff_act_on_behalf_and_the_audit_names_both(hub, admin):
    helper_id, helper = staff_login(hub, admin, ["staff_admin"])
    person, created = new_account(hub)
    pid = created["person_id"]
    acting = bearer(helper, **{"X-Act-For": pid})

    me = requests.get(hub.api("/me"), headers=acting)
    assert me.status_code == 200, me.text
    assert me.json()["person_id"] == pid and me.json()["il_number"] == created["il_number"]

    patched = requests.patch(hub.api("/me"), headers=acting, json={"phone": "818-555-0199"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["phone"] == "818-555-0199" and patched.json()["person_id"] == pid
    own = requests.get(hub.api("/me"), headers=bearer(log_in(hub, person["email"], person["password"]))).json()
    assert own["phone"] == "818-555-0199"

    entries = audit(hub, admin, target_id=pid, action="profile.updated")
    assert len(entries) == 1
    assert entries[0]["actor_account_id"] == helper_id and entries[0]["on_behalf_of"] == pid
    assert entries[0]["service"] == "accounts" and entries[0]["details"] == {"fields": ["phone"]}


def test_staff_acting_on_behalf_cannot_change_a_password(hub, admin):
    helper_email = f"helper.{uuid.uuid4().hex[:10]}@example.com"
    assert requests.post(hub.api("/staff/accounts"), headers=bearer(admin), json={
        "email": helper_email, "password": STRONG, "display_name": "Helper", "roles": ["staff_reviewer"]}
    ).status_code == 201
    helper = log_in(hub, helper_email, STRONG)
    person, created, _ = new_ip(hub)
    response = requests.post(hub.api("/me/password"), headers=bearer(helper, **{"X-Act-For": created["person_id"]}),
                             json={"current_password": STRONG, "new_password": STRONGER})
    assert "Forgot your password" in assert_error(response, 403, "forbidden")["message"]
    # neither the helper's password nor the person's changed
    assert requests.get(hub.api("/staff/audit"), headers=bearer(log_in(hub, helper_email, STRONG)),
                        params={"limit": 1}).status_code == 200
    assert requests.get(hub.api("/me"),
                        headers=bearer(log_in(hub, person["email"], person["password"]))).status_code == 200


def test_staff_acting_for_an_unknown_person_get_not_found(hub, admin):
    assert_error(requests.get(hub.api("/me"), headers=bearer(admin, **{"X-Act-For": str(uuid.uuid4())})),
                 404, "not_found")


def test_staff_without_acting_for_someone_have_no_my_account(hub, admin):
    assert_error(requests.get(hub.api("/me"), headers=bearer(admin)), 404, "not_found")


def test_an_industry_professional_cannot_act_on_behalf_of_anyone(hub):
    _, _, token = new_ip(hub)
    _, other = new_account(hub)
    for who in (other["person_id"], str(uuid.uuid4())):
        headers = bearer(token, **{"X-Act-For": who})
        assert_error(requests.get(hub.api("/me"), headers=headers), 403, "forbidden")
        assert_error(requests.patch(hub.api("/me"), headers=headers, json={"city": "Burbank"}), 403, "forbidden")


# --- the audit log ---------------------------------------------------------------------------

def test_the_audit_log_is_for_staff_only(hub):
    _, _, token = new_ip(hub)
    assert_error(requests.get(hub.api("/staff/audit")), 401, "unauthorized")
    assert_error(requests.get(hub.api("/staff/audit"), headers=bearer(token)), 403, "forbidden")


def test_the_audit_log_records_who_created_an_account_and_from_where(hub, admin):
    _, created = new_account(hub)
    entries = audit(hub, admin, target_id=created["person_id"])
    actions = [e["action"] for e in entries]
    assert "account.created" in actions
    entry = entries[actions.index("account.created")]
    assert entry["actor_roles"] == ["anonymous"] and entry["client_ip"] == "127.0.0.1"


# --- payroll API keys ------------------------------------------------------------------------

def whoami(hub, key: str):
    return requests.get(hub.api("/integrations/payroll/whoami"), headers=bearer(key))


def test_the_bootstrapped_payroll_key_identifies_its_company(hub):
    response = whoami(hub, hub.payroll_key)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Default payroll company"
    uuid.UUID(response.json()["payroll_client_id"])


def test_a_wrong_payroll_key_is_unauthorized_and_a_person_is_forbidden(hub):
    assert_error(whoami(hub, hub.payroll_key + "x"), 401, "unauthorized")
    assert_error(whoami(hub, "hubpk_" + uuid.uuid4().hex), 401, "unauthorized")
    assert_error(requests.get(hub.api("/integrations/payroll/whoami")), 401, "unauthorized")
    _, _, token = new_ip(hub)
    assert_error(whoami(hub, token), 403, "forbidden")


def test_a_payroll_key_opens_nothing_but_the_payroll_api(hub):
    assert_error(requests.get(hub.api("/me"), headers=bearer(hub.payroll_key)), 404, "not_found")
    assert_error(requests.get(hub.api("/staff/audit"), headers=bearer(hub.payroll_key)), 403, "forbidden")
    assert_error(requests.post(hub.api("/staff/payroll-clients"), headers=bearer(hub.payroll_key),
                               json={"name": "Mine"}), 403, "forbidden")


def test_an_administrator_registers_a_payroll_company_and_rotates_its_key(hub, admin):
    name = f"Entertainment Partners {uuid.uuid4().hex[:6]}"
    added = requests.post(hub.api("/staff/payroll-clients"), headers=bearer(admin), json={"name": name})
    assert added.status_code == 201, added.text
    first = added.json()
    assert first["name"] == name and first["api_key"].startswith("hubpk_")
    assert whoami(hub, first["api_key"]).json() == {"payroll_client_id": first["payroll_client_id"], "name": name}

    rotated = requests.post(hub.api(f"/staff/payroll-clients/{first['payroll_client_id']}/rotate"),
                            headers=bearer(admin))
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["api_key"] != first["api_key"] and second["name"] == name
    assert whoami(hub, second["api_key"]).status_code == 200
    assert_error(whoami(hub, first["api_key"]), 401, "unauthorized")
    # the key is what the entries record, so neither appears in the audit log
    log = requests.get(hub.api("/staff/audit"), headers=bearer(admin), params={"action": "payroll_client"})
    assert first["api_key"] not in log.text and second["api_key"] not in log.text


def test_rotating_a_key_keeps_the_payroll_companys_identity(hub, admin):
    added = requests.post(hub.api("/staff/payroll-clients"), headers=bearer(admin),
                          json={"name": f"Cast & Crew {uuid.uuid4().hex[:6]}"}).json()
    client = f"/staff/payroll-clients/{added['payroll_client_id']}/rotate"
    second = requests.post(hub.api(client), headers=bearer(admin))
    assert second.status_code == 200, second.text
    assert second.json()["payroll_client_id"] == added["payroll_client_id"]
    assert whoami(hub, second.json()["api_key"]).json()["payroll_client_id"] == added["payroll_client_id"]
    # the company's id in the URL goes on working for the next rotation
    third = requests.post(hub.api(client), headers=bearer(admin))
    assert third.status_code == 200, third.text
    assert_error(whoami(hub, second.json()["api_key"]), 401, "unauthorized")
    assert whoami(hub, third.json()["api_key"]).status_code == 200


def test_rotating_an_unknown_payroll_company_is_not_found(hub, admin):
    assert_error(requests.post(hub.api(f"/staff/payroll-clients/{uuid.uuid4()}/rotate"), headers=bearer(admin)),
                 404, "not_found")


def test_payroll_companies_are_managed_by_administrators_only(hub, admin):
    added = requests.post(hub.api("/staff/payroll-clients"), headers=bearer(admin), json={"name": "Wrapbook"}).json()
    _, reviewer = staff_login(hub, admin, ["staff_reviewer"])
    _, _, ip = new_ip(hub)
    rotate = f"/staff/payroll-clients/{added['payroll_client_id']}/rotate"
    for token in (reviewer, ip):
        assert_error(requests.post(hub.api("/staff/payroll-clients"), headers=bearer(token), json={"name": "X"}),
                     403, "forbidden")
        assert_error(requests.post(hub.api(rotate), headers=bearer(token)), 403, "forbidden")
    assert_error(requests.post(hub.api("/staff/payroll-clients"), json={"name": "X"}), 401, "unauthorized")
    assert whoami(hub, added["api_key"]).status_code == 200  # nothing was rotated
    assert bad_fields(requests.post(hub.api("/staff/payroll-clients"), headers=bearer(admin),
                                    json={"name": ""})) == {"name"}


# --- staff logins ----------------------------------------------------------------------------

def test_a_union_rep_login_needs_at_least_one_local(hub, admin):
    response = requests.post(hub.api("/staff/accounts"), headers=bearer(admin), json={
        "email": f"rep.{uuid.uuid4().hex[:8]}@example.com", "password": STRONG, "display_name": "Rep",
        "roles": ["union_rep"], "locals": []})
    body = assert_error(response, 422, "validation_failed")
    assert "local" in body["message"]


def test_a_staff_login_with_an_email_already_used_is_a_conflict(hub, admin):
    person, _ = new_account(hub)
    response = requests.post(hub.api("/staff/accounts"), headers=bearer(admin), json={
        "email": person["email"].upper(), "password": STRONG, "display_name": "Dup", "roles": ["staff_reviewer"]})
    assert_error(response, 409, "conflict")
    # the person's own login is untouched
    assert requests.get(hub.api("/me"),
                        headers=bearer(log_in(hub, person["email"], person["password"]))).status_code == 200


@pytest.mark.parametrize("roles", [["industry_professional"], ["payroll_client"], []])
def test_staff_logins_only_take_staff_rep_and_employer_roles(hub, admin, roles):
    response = requests.post(hub.api("/staff/accounts"), headers=bearer(admin), json={
        "email": f"r.{uuid.uuid4().hex[:8]}@example.com", "password": STRONG, "display_name": "R", "roles": roles})
    assert "roles" in {name.split(".")[0] for name in bad_fields(response)}


def test_only_administrators_create_staff_logins(hub, admin):
    _, reviewer = staff_login(hub, admin, ["staff_reviewer"])
    _, _, ip = new_ip(hub)
    payload = {"email": f"s.{uuid.uuid4().hex[:8]}@example.com", "password": STRONG, "display_name": "S",
               "roles": ["staff_admin"]}
    for token in (reviewer, ip):
        assert_error(requests.post(hub.api("/staff/accounts"), headers=bearer(token), json=payload), 403, "forbidden")
    assert_error(requests.post(hub.api("/staff/accounts"), json=payload), 401, "unauthorized")
    assert_error(requests.post(hub.api("/session"), json={"email": payload["email"], "password": STRONG}),
                 401, "unauthorized", BAD_LOGIN)


def test_staff_records_a_person_once_per_ssn(hub, admin):
    person, _ = staff_person(hub, admin)
    again = requests.post(hub.api("/staff/people"), headers=bearer(admin), json={
        "first_name": "Other", "last_name": "Person", "date_of_birth": "1980-02-02", "ssn": person["ssn"]})
    assert_error(again, 409, "conflict")
    assert bad_fields(requests.post(hub.api("/staff/people"), headers=bearer(admin), json={
        "first_name": "A", "last_name": "B", "date_of_birth": "1980-02-02", "ssn": make_ssn(),
        "password": STRONG})) == {"password"}
