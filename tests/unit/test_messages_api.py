"""The Message Center's API (issue 10): /me/messages with its filters, read / unread / archive of
one's own messages, e-mail preferences, and the e-mails sent to a person as staff see them."""
import uuid

import pytest

from tests.support.fake_gateway import PERSON_ID, FakeNotifications, make_principal

OTHER_PERSON = str(uuid.uuid4())
AUTH = {"Authorization": "Bearer api-token"}


@pytest.fixture
def notifications(fake_rpc):
    return FakeNotifications(fake_rpc)


def as_person(fake_rpc, *roles, person_id=PERSON_ID):
    principal = {**make_principal(*roles), "person_id": person_id}
    fake_rpc.answer("accounts", "authenticate", principal)
    return principal


def as_staff(fake_rpc, role="staff_reviewer"):
    principal = {"account_id": str(uuid.uuid4()), "person_id": None, "roles": [role]}
    fake_rpc.answer("accounts", "authenticate", principal)
    return principal


def test_my_messages_come_newest_first_with_the_unread_count(client, fake_rpc, notifications):
    as_person(fake_rpc)
    older = notifications.add(subject="Older", read=True)
    newer = notifications.add(subject="Newer", category="deadline", deadline="2024-07-01",
                              link="/portal/training")
    notifications.add(OTHER_PERSON, subject="Not yours")

    response = client.get("/api/v1/me/messages", headers=AUTH)

    assert response.status_code == 200
    body = response.get_json()
    assert [m["subject"] for m in body["messages"]] == ["Newer", "Older"]
    assert body["unread"] == 1
    first = body["messages"][0]
    assert {"id", "subject", "body", "category", "created_at", "read", "link", "deadline"} <= set(first)
    assert first["id"] == newer["id"] and first["link"] == "/portal/training"
    assert older["id"] in {m["id"] for m in body["messages"]}


def test_the_filters_reach_the_service_checked(client, fake_rpc, notifications):
    as_person(fake_rpc)
    notifications.add(category="training", subject="Course done")
    notifications.add(category="document", subject="Document read", read=True)

    body = client.get("/api/v1/me/messages?category=training&unread=1&page=1", headers=AUTH).get_json()

    assert [m["subject"] for m in body["messages"]] == ["Course done"]
    _, _, args = next(c for c in fake_rpc.calls if c[1] == "list_messages")
    assert args == (PERSON_ID, {"category": "training", "unread": True, "archived": False, "page": 1})


@pytest.mark.parametrize("query, field", [("category=gossip", "category"), ("page=0", "page"),
                                          ("page=two", "page"), ("unread=maybe", "unread")])
def test_bad_filters_are_a_422_before_anything_reaches_the_service(client, fake_rpc, query, field):
    as_person(fake_rpc)

    response = client.get(f"/api/v1/me/messages?{query}", headers=AUTH)

    assert response.status_code == 422
    assert fake_rpc.methods_called() == [("accounts", "authenticate")]
    if field == "category":
        assert "deadline, document, training, roster, account, case, bulletin" in response.get_json()["message"]


def test_the_archive_is_its_own_view(client, fake_rpc, notifications):
    as_person(fake_rpc)
    kept = notifications.add(subject="Kept")
    notifications.add(subject="Archived", archived=True)

    inbox = client.get("/api/v1/me/messages", headers=AUTH).get_json()
    archive = client.get("/api/v1/me/messages?archived=1", headers=AUTH).get_json()

    assert [m["id"] for m in inbox["messages"]] == [kept["id"]]
    assert [m["subject"] for m in archive["messages"]] == ["Archived"]


@pytest.mark.parametrize("action, method, field, value", [
    ("read", "mark_message_read", "read", True), ("unread", "mark_message_unread", "read", False),
    ("archive", "archive_message", "archived", True)])
def test_read_unread_and_archive_change_ones_own_message_with_the_actor(client, fake_rpc, notifications,
                                                                        action, method, field, value):
    principal = as_person(fake_rpc)
    message = notifications.add(read=action == "unread")

    response = client.post(f"/api/v1/me/messages/{message['id']}/{action}", headers=AUTH)

    assert response.status_code == 204
    assert notifications.messages[message["id"]][field] is value
    _, _, args = next(c for c in fake_rpc.calls if c[1] == method)
    assert args[:2] == (PERSON_ID, message["id"])
    assert args[2]["account_id"] == principal["account_id"]


@pytest.mark.parametrize("action", ["read", "unread", "archive"])
def test_someone_elses_message_is_404(client, fake_rpc, notifications, action):
    as_person(fake_rpc)
    theirs = notifications.add(OTHER_PERSON)

    response = client.post(f"/api/v1/me/messages/{theirs['id']}/{action}", headers=AUTH)

    assert response.status_code == 404
    assert notifications.messages[theirs["id"]]["read"] is False
    assert notifications.messages[theirs["id"]]["archived"] is False


def test_a_message_id_that_is_not_one_is_404_without_asking(client, fake_rpc):
    as_person(fake_rpc)

    assert client.post("/api/v1/me/messages/not-an-id/read", headers=AUTH).status_code == 404
    assert fake_rpc.calls == []


@pytest.mark.parametrize("method, path", [("GET", "/api/v1/me/messages"),
                                          ("POST", f"/api/v1/me/messages/{uuid.uuid4()}/read"),
                                          ("GET", "/api/v1/me/notification-preferences"),
                                          ("PATCH", "/api/v1/me/notification-preferences"),
                                          ("GET", f"/api/v1/staff/people/{uuid.uuid4()}/deliveries")])
def test_without_a_token_the_api_answers_401(client, fake_rpc, method, path):
    assert client.open(path, method=method).status_code == 401
    assert fake_rpc.calls == []


def test_preferences_show_the_mandatory_categories(client, fake_rpc, notifications):
    as_person(fake_rpc)

    body = client.get("/api/v1/me/notification-preferences", headers=AUTH).get_json()

    assert body["email"]["deadline"] is True and body["email"]["account"] is True
    assert set(body["mandatory"]) == {"deadline", "account"}
    assert body["digest"] is False


def test_preferences_change_with_patch(client, fake_rpc, notifications):
    principal = as_person(fake_rpc)

    response = client.patch("/api/v1/me/notification-preferences", headers=AUTH,
                            json={"email": {"training": False}, "digest": True})

    assert response.status_code == 200
    assert response.get_json()["email"]["training"] is False and response.get_json()["digest"] is True
    _, payload, actor = notifications.changes[-1]
    assert payload == {"email": {"training": False}, "digest": True}
    assert actor["account_id"] == principal["account_id"]


@pytest.mark.parametrize("body", [{"email": {"gossip": True}}, {"digest": "often"}, {"email": {"training": "x"}},
                                  {"sms": True}, ["not", "an", "object"]])
def test_bad_preferences_are_a_422_before_anything_changes(client, fake_rpc, body):
    as_person(fake_rpc)

    response = client.patch("/api/v1/me/notification-preferences", headers=AUTH, json=body)

    assert response.status_code == 422
    assert fake_rpc.methods_called() == [("accounts", "authenticate")]


def test_staff_see_the_e_mails_sent_to_a_person(client, fake_rpc, notifications):
    as_staff(fake_rpc)
    notifications.deliveries[OTHER_PERSON] = [
        {"id": str(uuid.uuid4()), "kind": "invitation", "subject": "Claim your account", "status": "failed",
         "attempts": 3, "reason": "550 mailbox unavailable", "created_at": "2024-03-01T17:00:00+00:00",
         "sent_at": None}]

    response = client.get(f"/api/v1/staff/people/{OTHER_PERSON}/deliveries", headers=AUTH)

    assert response.status_code == 200
    assert response.get_json()["deliveries"][0]["reason"] == "550 mailbox unavailable"
    _, _, args = next(c for c in fake_rpc.calls if c[1] == "list_deliveries")
    assert args[0] == OTHER_PERSON and args[1]["roles"] == ["staff_reviewer"]


@pytest.mark.parametrize("roles", [("industry_professional",), ("union_rep",), ("employer",)])
def test_only_staff_see_deliveries(client, fake_rpc, roles):
    as_person(fake_rpc, *roles)

    response = client.get(f"/api/v1/staff/people/{PERSON_ID}/deliveries", headers=AUTH)

    assert response.status_code == 403
    assert fake_rpc.methods_called() == [("accounts", "authenticate")]


def test_a_staff_login_without_a_person_has_no_message_center(client, fake_rpc):
    as_staff(fake_rpc)

    assert client.get("/api/v1/me/messages", headers=AUTH).status_code == 404


def test_the_openapi_document_lists_the_new_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    assert {"post"} <= set(paths["/api/v1/me/messages/{message_id}/unread"])
    assert {"post"} <= set(paths["/api/v1/me/messages/{message_id}/archive"])
    assert {"get", "patch"} <= set(paths["/api/v1/me/notification-preferences"])
    assert "get" in paths["/api/v1/staff/people/{person_id}/deliveries"]
