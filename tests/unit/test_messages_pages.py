"""The Message Center page, the unread badge in the Portal's menu on every page, the e-mail
preferences on My Account and the "E-mails sent" section of a person's staff page (issue 10)."""
import re
import uuid
from html import unescape

import pytest

from common.errors import ServiceUnavailable
from tests.support.fake_gateway import PERSON_ID, FakeNotifications, make_principal

OTHER_PERSON = str(uuid.uuid4())
ME = {"person_id": PERSON_ID, "il_number": "1234567890", "first_name": "Pat", "last_name": "Grip",
      "date_of_birth": "1991-03-04", "ssn_masked": "***-**-6789", "roles": ["industry_professional"],
      "has_account": True, "email": "pat@example.com", "email_undeliverable": False, "phone": None,
      "address_line1": None, "address_line2": None, "city": None, "state": None, "postal_code": None,
      "email_notifications": True}


@pytest.fixture
def notifications(fake_rpc):
    return FakeNotifications(fake_rpc)


def log_in(client, fake_rpc, principal=None):
    principal = principal or make_principal()
    with client.session_transaction() as session:
        session["token"] = "page-token"
    fake_rpc.answer("accounts", "authenticate", principal)
    return principal


def words(html: str) -> str:
    main = html[html.index("<main"):html.index("</main>")]
    return unescape(" ".join(re.sub(r"<[^>]+>", " ", main).split()))


def badge(html: str) -> str | None:
    found = re.search(r'data-testid="unread-badge">([^<]+)<', html)
    return found.group(1) if found else None


# --- the badge on every page -------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/portal/messages", "/portal/account", "/contact"])
def test_the_menu_shows_the_unread_count_on_every_portal_page_with_one_rpc(client, fake_rpc, notifications, path):
    log_in(client, fake_rpc)
    fake_rpc.answer("accounts", "get_me", ME)
    fake_rpc.answer("documents", "list_case_topics", {"topics": []})
    fake_rpc.answer("notifications", "unread_count", 4)
    fake_rpc.answer("notifications", "list_messages", {"messages": [], "unread": 4})

    html = client.get(path).get_data(as_text=True)

    assert badge(html) == "4"
    assert re.search(r'Message Center\s*<span class="unread-badge"', html)
    assert fake_rpc.methods_called().count(("notifications", "unread_count")) <= 1


def test_the_badge_is_asked_once_and_shown_on_the_dashboard_too(client, fake_rpc):
    log_in(client, fake_rpc)
    fake_rpc.answer("accounts", "get_me", ME)
    fake_rpc.answer("rosters", "my_classifications",
                    {"as_of": "2024-03-01", "records": [], "pending": [], "closed": []})
    fake_rpc.answer("notifications", "unread_count", 2)

    html = client.get("/portal").get_data(as_text=True)

    assert badge(html) == "2"
    assert re.search(r'data-testid="unread-count">2<', html)
    assert fake_rpc.methods_called().count(("notifications", "unread_count")) == 1


def test_no_badge_when_nothing_is_unread(client, fake_rpc, notifications):
    log_in(client, fake_rpc)

    html = client.get("/portal/messages").get_data(as_text=True)

    assert badge(html) is None
    assert "Message Center" in html


def test_the_page_still_shows_without_the_count_when_notifications_does_not_answer(client, fake_rpc):
    log_in(client, fake_rpc)
    fake_rpc.answer("accounts", "get_me", ME)
    fake_rpc.answer("notifications", "unread_count",
                    ServiceUnavailable("The notifications service did not answer."))

    response = client.get("/portal/account")

    assert response.status_code == 200
    assert badge(response.get_data(as_text=True)) is None
    assert "My Account" in words(response.get_data(as_text=True))


def test_logged_out_and_staff_pages_ask_no_count(client, fake_rpc):
    fake_rpc.answer("documents", "list_case_topics", {"topics": []})
    assert badge(client.get("/contact").get_data(as_text=True)) is None
    assert ("notifications", "unread_count") not in fake_rpc.methods_called()

    log_in(client, fake_rpc, {"account_id": str(uuid.uuid4()), "person_id": None, "roles": ["staff_admin"]})
    client.get("/contact")
    assert ("notifications", "unread_count") not in fake_rpc.methods_called()


def test_an_error_page_asks_no_count(client, fake_rpc):
    log_in(client, fake_rpc)

    response = client.get("/staff")  # not staff: 403

    assert response.status_code == 403
    assert fake_rpc.methods_called() == [("accounts", "authenticate")]


# --- the Message Center page --------------------------------------------------------------------------

def test_the_message_center_lists_newest_first_with_a_go_to_button(client, fake_rpc, notifications):
    log_in(client, fake_rpc)
    notifications.add(subject="Welcome to the Industry Hub", category="account", read=True)
    notifications.add(subject="Your CDL was not accepted", category="document",
                      body="The scan is unreadable. Upload it again.", link="/portal/documents")
    notifications.add(OTHER_PERSON, subject="Someone else's")

    html = client.get("/portal/messages").get_data(as_text=True)
    text = words(html)

    assert text.index("Your CDL was not accepted") < text.index("Welcome to the Industry Hub")
    assert "Someone else's" not in text
    assert "1 unread" in text
    assert "Go to My Documents" in text
    assert 'name="link" value="/portal/documents"' in html
    assert "Mark as read" in text and "Mark as unread" in text and "Archive" in text
    assert html.count('name="csrf_token"') >= 5


def test_the_category_filter_and_unread_toggle_reach_the_service(client, fake_rpc, notifications):
    log_in(client, fake_rpc)
    notifications.add(subject="Enrolled in HP1", category="training")
    notifications.add(subject="Training read", category="training", read=True)
    notifications.add(subject="Document", category="document")

    text = words(client.get("/portal/messages?category=training&unread=1").get_data(as_text=True))

    assert "Enrolled in HP1" in text and "Training read" not in text and "Document" not in text.split("Show")[-1]
    _, _, args = next(c for c in fake_rpc.calls if c[1] == "list_messages")
    assert args[1] == {"category": "training", "unread": True, "archived": False, "page": 1}


def test_an_unknown_filter_on_the_page_shows_all_messages_with_a_word(client, fake_rpc, notifications):
    log_in(client, fake_rpc)

    response = client.get("/portal/messages?category=gossip")

    assert response.status_code == 302 and response.headers["Location"] == "/portal/messages"
    assert not any(c[1] == "list_messages" for c in fake_rpc.calls)


@pytest.mark.parametrize("query, says", [
    ("", "No messages yet."), ("archived=1", "Your archive is empty"),
    ("category=case&unread=1", "No unread messages about cases.")])
def test_an_empty_message_center_says_so_in_plain_words(client, fake_rpc, notifications, query, says):
    log_in(client, fake_rpc)

    assert says in words(client.get(f"/portal/messages?{query}").get_data(as_text=True))


def test_reading_a_message_changes_the_count_and_keeps_the_filters(client, fake_rpc, notifications):
    principal = log_in(client, fake_rpc)
    message = notifications.add(subject="New course", category="training")

    response = client.post(f"/portal/messages/{message['id']}/read",
                           data={"next": "/portal/messages?category=training"})

    assert response.status_code == 302 and response.headers["Location"] == "/portal/messages?category=training"
    assert notifications.messages[message["id"]]["read"] is True
    assert notifications.changes[-1][2]["account_id"] == principal["account_id"]
    assert badge(client.get("/portal/messages").get_data(as_text=True)) is None


def test_unread_and_archive_from_the_page(client, fake_rpc, notifications):
    log_in(client, fake_rpc)
    message = notifications.add(read=True)

    client.post(f"/portal/messages/{message['id']}/unread")
    assert badge(client.get("/portal/messages").get_data(as_text=True)) == "1"

    response = client.post(f"/portal/messages/{message['id']}/archive", follow_redirects=True)
    text = words(response.get_data(as_text=True))
    assert "Moved to the archive" in text and "No messages yet." in text
    archive = words(client.get("/portal/messages?archived=1").get_data(as_text=True))
    assert "A message" in archive


def test_a_next_outside_the_portal_is_ignored(client, fake_rpc, notifications):
    log_in(client, fake_rpc)
    message = notifications.add()

    response = client.post(f"/portal/messages/{message['id']}/read", data={"next": "https://evil.example/x"})

    assert response.headers["Location"] == "/portal/messages"


def test_go_to_reads_the_message_and_lands_on_its_page(client, fake_rpc, notifications):
    log_in(client, fake_rpc)
    message = notifications.add(link="/portal/classifications/80-GRIP")

    response = client.post(f"/portal/messages/{message['id']}/open", data={"link": "/portal/classifications/80-GRIP"})

    assert response.headers["Location"] == "/portal/classifications/80-GRIP"
    assert notifications.messages[message["id"]]["read"] is True


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_go_to_never_leaves_the_hub(client, fake_rpc, notifications, link):
    log_in(client, fake_rpc)
    message = notifications.add()

    response = client.post(f"/portal/messages/{message['id']}/open", data={"link": link})

    assert response.headers["Location"] == "/portal/messages"


def test_someone_elses_message_is_not_found_on_the_page(client, fake_rpc, notifications):
    log_in(client, fake_rpc)
    theirs = notifications.add(OTHER_PERSON)

    for action in ("read", "unread", "archive", "open"):
        assert client.post(f"/portal/messages/{theirs['id']}/{action}").status_code == 404
    assert notifications.messages[theirs["id"]]["archived"] is False


def test_paging_links_keep_the_filters(client, fake_rpc, notifications):
    log_in(client, fake_rpc)
    notifications.page_size = 2
    for n in range(5):
        notifications.add(subject=f"Deadline {n}", category="deadline")

    html = client.get("/portal/messages?category=deadline&page=2").get_data(as_text=True)

    assert "Page 2 of 3" in words(html)
    assert 'href="/portal/messages?category=deadline"' in html  # newer: page 1
    assert 'href="/portal/messages?category=deadline&amp;page=3"' in html


def test_a_message_body_cannot_inject_markup(client, fake_rpc, notifications):
    log_in(client, fake_rpc)
    notifications.add(subject="<script>x</script>", body="<img src=x onerror=alert(1)>")

    html = client.get("/portal/messages").get_data(as_text=True)

    assert "<script>x</script>" not in html and "<img src=x" not in html


# --- My Account: e-mail preferences ---------------------------------------------------------------------

def test_my_account_shows_the_preferences_with_the_mandatory_ones_locked(client, fake_rpc, notifications):
    log_in(client, fake_rpc)
    fake_rpc.answer("accounts", "get_me", ME)
    notifications.update_preferences(PERSON_ID, {"email": {"training": False}}, {})

    html = client.get("/portal/account").get_data(as_text=True)

    for category in ("deadline", "account"):
        box = re.search(rf'<input type="checkbox" name="email_{category}"[^>]*>', html, re.S).group(0)
        assert "checked" in box and "disabled" in box
    training = re.search(r'<input type="checkbox" name="email_training"[^>]*>', html, re.S).group(0)
    assert "checked" not in training and "disabled" not in training
    assert "always sent" in words(html)
    assert 'name="digest"' in html


def test_saving_preferences_sends_each_category_and_the_digest(client, fake_rpc, notifications):
    principal = log_in(client, fake_rpc)

    response = client.post("/portal/account/notifications",
                           data={"email_document": "1", "email_roster": "1", "digest": "1",
                                 "email_deadline": ""})

    assert response.status_code == 302 and response.headers["Location"].endswith("/portal/account#email-preferences")
    _, payload, actor = notifications.changes[-1]
    assert payload == {"email": {"document": True, "training": False, "roster": True, "case": False,
                                 "bulletin": False}, "digest": True}
    assert actor["account_id"] == principal["account_id"]


def test_my_account_still_shows_when_preferences_cannot_be_read(client, fake_rpc):
    log_in(client, fake_rpc)
    fake_rpc.answer("accounts", "get_me", ME)
    fake_rpc.answer("notifications", "get_preferences", ServiceUnavailable("The notifications service did not answer."))

    response = client.get("/portal/account")

    assert response.status_code == 200
    assert "We cannot show your e-mail preferences right now." in words(response.get_data(as_text=True))
    assert 'name="email"' in response.get_data(as_text=True)


# --- the staff person page: e-mails sent ---------------------------------------------------------------

PERSON = {"person_id": OTHER_PERSON, "il_number": "5550001112", "first_name": "Robin", "last_name": "Dolly",
          "has_account": False, "locals": [], "origin": "import", "date_of_birth": None, "ssn_masked": None,
          "contact": {"email": "robin@example.com"}}


def staff_login(client, fake_rpc):
    log_in(client, fake_rpc, {"account_id": str(uuid.uuid4()), "person_id": None, "roles": ["staff_reviewer"]})
    fake_rpc.answer("accounts", "get_person", PERSON)
    fake_rpc.answer("rosters", "my_classifications",
                    {"as_of": "2024-03-01", "records": [], "pending": [], "closed": []})
    fake_rpc.answer("rosters", "list_suspensions", {"suspensions": []})
    fake_rpc.answer("training", "list_courses", {"courses": []})


def test_a_persons_staff_page_lists_the_e_mails_sent_and_their_outcome(client, fake_rpc, notifications):
    staff_login(client, fake_rpc)
    notifications.deliveries[OTHER_PERSON] = [
        {"id": str(uuid.uuid4()), "kind": "password_reset", "subject": "Reset your password", "status": "failed",
         "attempts": 3, "reason": "550 mailbox unavailable", "created_at": "2024-03-01T17:00:00+00:00",
         "sent_at": None},
        {"id": str(uuid.uuid4()), "kind": "welcome", "subject": "Welcome to the Industry Hub", "status": "sent",
         "attempts": 1, "reason": None, "created_at": "2024-02-01T17:00:00+00:00",
         "sent_at": "2024-02-01T17:00:05+00:00"}]

    response = client.get(f"/staff/people/{OTHER_PERSON}")

    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    text = words(response.get_data(as_text=True))
    section = text[text.index("E-mails sent"):]
    assert "Password reset Reset your password Failed (3 attempts) 550 mailbox unavailable" in section
    assert "Welcome Welcome to the Industry Hub Sent" in section


def test_a_persons_staff_page_still_shows_without_the_deliveries(client, fake_rpc):
    staff_login(client, fake_rpc)
    fake_rpc.answer("notifications", "list_deliveries", ServiceUnavailable("The notifications service did not answer."))

    response = client.get(f"/staff/people/{OTHER_PERSON}")

    assert response.status_code == 200
    assert "We cannot show the e-mails sent to them right now." in words(response.get_data(as_text=True))
