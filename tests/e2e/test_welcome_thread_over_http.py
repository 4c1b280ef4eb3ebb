"""The first thread through every layer, driven over HTTP against the stack `make run` starts:
create account → accounts publishes person_registered through its outbox → notifications posts
a welcome message and e-mails it over SMTP → the person logs in and reads it."""
import pytest
import requests

from tests.support.factories import make_person
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


def log_in(hub, person) -> str:
    response = requests.post(hub.api("/session"), json={"email": person["email"], "password": person["password"]})
    assert response.status_code == 200, response.text
    return response.json()["token"]


def test_health_reports_broker_and_every_service(hub):
    body = requests.get(hub.url + "/healthz").json()
    assert body["status"] == "ok"
    assert body["broker"] == "ok"
    assert set(body["services"]) == {"accounts", "rosters", "documents", "training", "notifications"}
    assert all(s["status"] == "ok" for s in body["services"].values())


def test_new_account_gets_welcome_message_and_email(hub):
    person = make_person()
    created = requests.post(hub.api("/accounts"), json=person)
    assert created.status_code == 201, created.text
    body = created.json()
    assert len(body["il_number"]) == 10 and body["il_number"].isdigit()

    token = log_in(hub, person)
    auth = {"Authorization": f"Bearer {token}"}

    def welcome():
        inbox = requests.get(hub.api("/me/messages"), headers=auth).json()
        return inbox if inbox["messages"] else None

    inbox = wait_until(welcome, timeout=20, message="the welcome message")
    assert inbox["unread"] == 1
    assert inbox["messages"][0]["subject"] == "Welcome to the Industry Hub"
    assert body["il_number"] in inbox["messages"][0]["body"]

    mails = wait_until(lambda: hub.smtp.messages_to(person["email"]), timeout=20,
                       message="the welcome e-mail at the SMTP server")
    assert mails[0]["Subject"] == "Welcome to the Industry Hub"

    message_id = inbox["messages"][0]["id"]
    assert requests.post(hub.api(f"/me/messages/{message_id}/read"), headers=auth).status_code == 204
    assert requests.get(hub.api("/me/messages"), headers=auth).json()["unread"] == 0


def test_me_shows_only_a_masked_ssn(hub):
    person = make_person()
    assert requests.post(hub.api("/accounts"), json=person).status_code == 201
    auth = {"Authorization": f"Bearer {log_in(hub, person)}"}
    me = requests.get(hub.api("/me"), headers=auth).json()
    assert me["ssn_masked"] == "***-**-" + person["ssn"][-4:]
    assert person["ssn"] not in requests.get(hub.api("/me"), headers=auth).text


def test_bad_input_is_refused_with_a_message_per_field(hub):
    response = requests.post(hub.api("/accounts"), json=make_person(ssn="12-34", email="nope", password="short"))
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_failed"
    assert {"ssn", "email", "password"} <= set(body["details"]["fields"])


def test_non_json_body_is_refused_clearly(hub):
    response = requests.post(hub.api("/accounts"), data="not json")
    assert response.status_code == 422
    assert "JSON" in response.json()["message"]


def test_duplicate_email_is_a_conflict(hub):
    person = make_person()
    assert requests.post(hub.api("/accounts"), json=person).status_code == 201
    again = requests.post(hub.api("/accounts"), json=make_person(email=person["email"]))
    assert again.status_code == 409
    assert again.json()["error"] == "conflict"


def test_wrong_password_is_refused(hub):
    person = make_person()
    assert requests.post(hub.api("/accounts"), json=person).status_code == 201
    response = requests.post(hub.api("/session"), json={"email": person["email"], "password": "wrong-password"})
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_messages_need_a_token_and_a_foreign_message_is_not_found(hub):
    assert requests.get(hub.api("/me/messages")).status_code == 401
    alice, bob = make_person(), make_person()
    for p in (alice, bob):
        assert requests.post(hub.api("/accounts"), json=p).status_code == 201
    alice_auth = {"Authorization": f"Bearer {log_in(hub, alice)}"}
    bob_auth = {"Authorization": f"Bearer {log_in(hub, bob)}"}
    alice_inbox = wait_until(lambda: requests.get(hub.api("/me/messages"), headers=alice_auth).json()["messages"],
                             timeout=20, message="alice's welcome")
    response = requests.post(hub.api(f"/me/messages/{alice_inbox[0]['id']}/read"), headers=bob_auth)
    assert response.status_code == 404
    assert requests.get(hub.api("/me/messages"), headers=alice_auth).json()["unread"] == 1


def test_logging_out_ends_the_token(hub):
    person = make_person()
    assert requests.post(hub.api("/accounts"), json=person).status_code == 201
    auth = {"Authorization": f"Bearer {log_in(hub, person)}"}
    assert requests.delete(hub.api("/session"), headers=auth).status_code == 204
    assert requests.get(hub.api("/me"), headers=auth).status_code == 401


def test_openapi_document_lists_the_endpoints_and_is_valid(hub):
    from openapi_spec_validator import validate

    document = requests.get(hub.api("/openapi.json")).json()
    validate(document)
    assert {"/api/v1/accounts", "/api/v1/session", "/api/v1/me/messages"} <= set(document["paths"])
    assert set(document["paths"]["/api/v1/session"]) == {"post", "delete"}
