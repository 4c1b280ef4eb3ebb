import inspect
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from nameko.testing.services import worker_factory
from notifications import domain, render
from notifications.models import Message, OutgoingEmail
from notifications.service import NotificationsService

from common import clock
from common.errors import NotFound
from common.events.accounts import AccountClaimed, ContactDetailsChanged, InvitationSent, PersonRegistered
from common.events.rosters import DeadlineApproaching, GroupAdvanced, PlacedOnRoster, Reinstated, Suspended
from tests.support.databases import memory_sessions

PUBLIC_URL = "https://hub.example"
GRIP = "IATSE, Local #80 (Grip)"


@pytest.fixture
def session():
    with memory_sessions("notifications")() as session:
        yield session


@pytest.fixture
def service(session):
    published = []
    worker = worker_factory(NotificationsService, db=session, publish=published.append,
                            config={"HUB_PUBLIC_URL": PUBLIC_URL + "/"})
    return worker, published


def registered(**overrides):
    fields = {"person_id": uuid.uuid4(), "il_number": "0123456789", "first_name": "Jo", "last_name": "Doe"}
    return PersonRegistered(**{**fields, **overrides})


def known_person(session, first_name="Jo") -> uuid.UUID:
    person_id = uuid.uuid4()
    domain.record_contact(session, ContactDetailsChanged(person_id=person_id, email="jo@example.com",
                                                         first_name=first_name))
    return person_id


def make_deadline(person_id, **overrides) -> DeadlineApproaching:
    fields = {"person_id": person_id, "classification_code": "80-GRIP", "classification_name": GRIP,
              "requirement": "Harassment Prevention (HP1 or HP2)", "due_on": date(2027, 3, 15),
              "days_left": 30}
    return DeadlineApproaching(**{**fields, **overrides})


def test_welcome_posts_a_message_with_the_il_number_and_queues_an_email(session):
    event = registered()
    message, [created] = domain.welcome(session, event, PUBLIC_URL)
    session.commit()
    assert "0123456789" in message.body and "https://hub.example/portal" in message.body
    assert created.message_id == message.id and created.person_id == event.person_id
    email = session.scalar(sa.select(OutgoingEmail))
    assert email.status == "pending" and email.subject == "Welcome to the Industry Hub"


def test_inbox_lists_newest_first_and_counts_unread(session):
    person = uuid.uuid4()
    first, _ = domain.post_message(session, person, "account", "First", "a", email=False)
    second, _ = domain.post_message(session, person, "account", "Second", "b", email=False)
    second.created_at = first.created_at.replace(year=first.created_at.year + 1)
    session.commit()
    inbox = domain.list_messages(session, person)
    assert [m.subject for m in inbox.messages] == ["Second", "First"]
    assert inbox.unread == 2
    domain.mark_read(session, person, first.id)
    session.commit()
    assert domain.list_messages(session, person).unread == 1


def test_someone_elses_message_cannot_be_marked_read(session):
    message, _ = domain.post_message(session, uuid.uuid4(), "account", "Private", "x", email=False)
    session.commit()
    with pytest.raises(NotFound):
        domain.mark_read(session, uuid.uuid4(), message.id)


def test_a_new_address_releases_emails_that_were_waiting_for_one(session):
    event = registered()
    domain.welcome(session, event, PUBLIC_URL)
    email = session.scalar(sa.select(OutgoingEmail))
    email.next_attempt_at = email.next_attempt_at.replace(year=email.next_attempt_at.year + 1)
    session.commit()
    domain.record_contact(session, ContactDetailsChanged(person_id=event.person_id, email="jo@example.com",
                                                         first_name="Jo"))
    session.commit()
    session.refresh(email)
    assert email.next_attempt_at <= clock.now()


# --- templates ----------------------------------------------------------------------------------

SAMPLES = {
    "welcome": {"il_number": "0123456789"},
    "invitation": {"expires_on": date(2027, 1, 8)},
    "password_reset": {},
    "account_ready": {},
    "placed_on_roster": {"classification": GRIP, "placed_on": date(2027, 1, 4)},
    "suspended": {"classification": GRIP, "as_of": date(2027, 1, 4), "reason": "DOT Medical Examiner's Certificate",
                  "requirements": ["DOT Medical Examiner's Certificate"]},
    "reinstated": {"classification": GRIP, "as_of": date(2027, 1, 4)},
    "extension_decided": {"classification": GRIP, "requirement": "Safety Pass course B", "decision": "approved",
                          "until": date(2027, 3, 1), "reason": None},
    "removed": {"classification": GRIP, "reason": "Retirement under the pension plan",
                "effective_on": date(2027, 1, 4), "protest_by": date(2027, 2, 3)},
    "group_advanced": {"as_of": date(2027, 1, 4), "from_classification": "Local #399 Driver (Group 3)",
                       "to_classification": "Local #399 Driver (Group 2)"},
    "deadline_approaching": {"classification": GRIP, "requirement": "Safety Pass A", "due_on": date(2027, 1, 4),
                             "days_left": 7, "placed": True},
    "document_approved": {"document": "DOT Medical Examiner's Certificate", "expires_on": date(2027, 1, 4)},
    "document_rejected": {"document": "DOT Medical Examiner's Certificate", "reason": "Document is illegible"},
    "document_expired": {"document": "DOT Medical Examiner's Certificate", "expired_on": date(2027, 1, 4)},
    "case_opened": {"reference": "CS-2027-000042", "case_subject": "My CDL", "via": "web", "in_portal": True},
    "case_replied": {"reference": "CS-2027-000042", "case_subject": "My CDL", "reply": "Thank you.",
                     "in_portal": True},
    "training_enrolled": {"course": "HP1: Harassment Prevention", "when": None, "location": None},
    "training_waitlisted": {"course": "Forklift Operator Training", "when": "June 3, 2027 at 9:00 AM",
                            "location": "2710 Winona Avenue, Burbank", "position": 2},
    "training_promoted": {"course": "Forklift Operator Training", "when": "June 3, 2027 at 9:00 AM",
                          "location": "2710 Winona Avenue, Burbank"},
    "training_completed": {"course": "HP1: Harassment Prevention", "completed_on": date(2027, 1, 4),
                           "expires_on": date(2029, 1, 3), "score": 83},
    "training_completion_expired": {"course": "HP1: Harassment Prevention", "expired_on": date(2027, 1, 4)},
    "training_eligible": {"classification": GRIP, "as_of": date(2027, 1, 4),
                          "training_url": f"{PUBLIC_URL}/portal/training"},
    "digest": {"items": [{"subject": "Document approved: CDL", "category": "document"},
                         {"subject": "Enrolled: HP1", "category": "training"}]},
    "bulletin": {"title": "Heat illness prevention on outdoor sets", "published_on": date(2027, 1, 4)},
}


def sample(name: str, first_name: str = "Pat") -> dict:
    return {"subject": "A subject", "first_name": first_name, "public_url": PUBLIC_URL,
            "action_url": f"{PUBLIC_URL}/go?to=somewhere&why=act", **SAMPLES[name]}


def test_every_email_has_a_sample_here():
    assert render.names() == sorted(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_template_renders_as_text_and_as_html_in_the_hubs_layout(name):
    words = render.render(name, **sample(name))
    assert words.text.startswith("Hello Pat,\n\n") and words.text.endswith("Contract Services")
    assert f"{PUBLIC_URL}/go?to=somewhere&why=act" in words.text
    assert "{{" not in words.text and "{%" not in words.text and "\n\n\n" not in words.text
    assert words.html.startswith("<!doctype html>") and "Industry Hub" in words.html
    assert "Hello Pat," in words.html
    assert 'href="https://hub.example/go?to=somewhere&amp;why=act"' in words.html


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_html_escapes_a_name_containing_markup_and_text_keeps_it_as_typed(name):
    words = render.render(name, **sample(name, first_name="<script>alert(1)</script>"))
    assert "<script>" not in words.html
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt;," in words.html
    assert "Hello <script>alert(1)</script>," in words.text


def test_a_template_missing_a_fact_fails_loudly_instead_of_printing_nothing():
    with pytest.raises(Exception, match="il_number"):
        render.render("welcome", subject="s", first_name="Pat", public_url=PUBLIC_URL, action_url="x")


def test_the_queued_email_carries_the_html_layout_beside_the_text_of_the_message(session):
    message, _ = domain.welcome(session, registered(first_name="<b>Jo</b>"), PUBLIC_URL)
    email = session.scalar(sa.select(OutgoingEmail))
    assert email.body == message.body
    assert "Hello &lt;b&gt;Jo&lt;/b&gt;," in email.html and "0123456789" in email.html


# --- what each message says and where it sends the person ---------------------------------------

def test_deadline_for_an_applicant_says_placement_waits_and_never_mentions_suspension(session):
    person_id = known_person(session)
    message, _ = domain.deadline_approaching(session, make_deadline(person_id, placed=False), PUBLIC_URL)
    email = session.scalar(sa.select(OutgoingEmail))
    for words in (message.body, email.html):
        assert "suspend" not in words.lower() and "Not Compliant" not in words
        assert "your application cannot be completed until it is met again" in words
        assert "placement on the roster waits for it" in words
    assert message.subject == "Due in 30 days: Harassment Prevention (HP1 or HP2)"
    assert message.deadline == date(2027, 3, 15)


@pytest.mark.parametrize("placed", [True, None], ids=["placed", "older-publisher"])
def test_deadline_for_a_placed_person_warns_of_suspension(session, placed):
    person_id = known_person(session)
    message, _ = domain.deadline_approaching(session, make_deadline(person_id, placed=placed), PUBLIC_URL)
    assert "your record becomes Not Compliant and you are suspended from the roster" in message.body
    assert "application" not in message.body


def test_deadline_on_the_day_says_today(session):
    person_id = known_person(session)
    message, _ = domain.deadline_approaching(session, make_deadline(person_id, days_left=0, placed=True),
                                             PUBLIC_URL)
    assert message.subject == "Due today: Harassment Prevention (HP1 or HP2)"
    assert "Today, March 15, 2027, is the deadline" in message.body and "do it today" in message.body


def roster_news(person_id):
    return [
        (domain.placed_on_roster, PlacedOnRoster(person_id=person_id, classification_code="80-GRIP",
                                                 classification_name=GRIP, placed_on=date(2027, 1, 4)),
         "80-GRIP", "You are placed on the roster as IATSE, Local #80 (Grip), as of January 4, 2027"),
        (domain.suspended, Suspended(person_id=person_id, classification_code="399-DRIVER-G3",
                                     reason="DOT Medical Examiner's Certificate", as_of=date(2027, 1, 4),
                                     requirements=["DOT Medical Examiner's Certificate"]),
         "399-DRIVER-G3", "so you are suspended from the roster: DOT Medical Examiner's Certificate"),
        (domain.reinstated, Reinstated(person_id=person_id, classification_code="80-GRIP", as_of=date(2027, 1, 4)),
         "80-GRIP", "you are back on the roster"),
        (domain.group_advanced, GroupAdvanced(person_id=person_id, from_classification_code="399-DRIVER-G3",
                                              to_classification_code="399-DRIVER-G2", as_of=date(2027, 1, 4)),
         "399-DRIVER-G2", "you advanced from 399-DRIVER-G3 to 399-DRIVER-G2"),
        (domain.deadline_approaching, make_deadline(person_id, placed=True), "80-GRIP",
         "is due on March 15, 2027, in 30 days"),
    ]


@pytest.mark.parametrize("index", range(5), ids=["placed", "suspended", "reinstated", "advanced", "deadline"])
def test_roster_news_says_what_happened_what_to_do_and_links_to_the_classification(session, index):
    person_id = known_person(session, first_name="Jo")
    posting, event, code, what_happened = roster_news(person_id)[index]
    message, [created] = posting(session, event, PUBLIC_URL)
    record = f"{PUBLIC_URL}/portal/classifications/{code}"
    assert message.body.startswith("Hello Jo,")
    assert what_happened in message.body
    assert "What to do" in message.body or "Nothing more to do" in message.body
    assert record in message.body
    assert f"{PUBLIC_URL}/portal/messages" in message.body and f"{PUBLIC_URL}/portal/account" in message.body
    assert f'href="{record}"' in session.scalar(sa.select(OutgoingEmail)).html
    assert (created.message_id, created.person_id) == (message.id, person_id)


def test_account_messages_link_to_the_portal_the_message_center_and_my_account(session):
    person_id = known_person(session, first_name="Jo")
    message, _ = domain.account_ready(session, AccountClaimed(person_id=person_id), PUBLIC_URL)
    assert message.body.startswith("Hello Jo,")
    for page in ("/portal\n", "/portal/messages", "/portal/account"):
        assert PUBLIC_URL + page in message.body


def test_the_invitation_gives_its_link_the_hubs_expiry_day_and_where_to_go_after(session):
    person_id = known_person(session, first_name="Jo")
    # 06:00 UTC on the 8th is still the 7th in Burbank
    email, events = domain.invitation(session, InvitationSent(
        person_id=person_id, claim_url="https://hub.example/claim?token=secret",
        expires_at="2027-01-08T06:00:00+00:00"), PUBLIC_URL)
    assert events == [] and email.kind == "transactional" and email.message_id is None
    assert "https://hub.example/claim?token=secret" in email.body and "7 days" in email.body
    assert "expires on January 7, 2027" in email.body
    assert f"{PUBLIC_URL}/forgot-password" in email.body
    assert 'href="https://hub.example/claim?token=secret"' in email.html
    assert session.scalars(sa.select(Message)).all() == []


def test_domain_functions_take_plain_values_never_publish_commit_or_config():
    for name, function in inspect.getmembers(domain, inspect.isfunction):
        if function.__module__ == domain.__name__:
            assert not {"publish", "commit", "config"} & set(inspect.signature(function).parameters), name


# --- the handlers (worker_factory: no broker) ---------------------------------------------------

def test_a_handler_applies_an_event_once_publishes_message_created_and_commits(service, session):
    worker, published = service
    event = registered()
    worker.handle_person_registered(event.model_dump(mode="json"))
    worker.handle_person_registered(event.model_dump(mode="json"))  # delivered again

    [message] = session.scalars(sa.select(Message)).all()
    assert [(e.event_type, e.message_id) for e in published] == [("message_created", message.id)]
    assert "https://hub.example/portal\n" in message.body  # the configured URL, trailing "/" dropped
    assert not session.new and not session.dirty  # committed


def test_a_migrated_record_is_not_welcomed_until_it_is_claimed(service, session):
    worker, published = service
    event = registered(has_account=False)
    worker.handle_person_registered(event.model_dump(mode="json"))
    assert session.scalars(sa.select(Message)).all() == [] and published == []

    worker.handle_account_claimed(AccountClaimed(person_id=event.person_id).model_dump(mode="json"))
    [message] = session.scalars(sa.select(Message)).all()
    assert message.subject == "Your Portal account is ready"
    assert [e.event_type for e in published] == ["message_created"]


def test_the_deadline_handler_words_an_applicants_reminder_from_the_event(service, session):
    worker, published = service
    person_id = known_person(session)
    worker.handle_deadline_approaching(make_deadline(person_id, placed=False).model_dump(mode="json"))
    [message] = session.scalars(sa.select(Message)).all()
    assert "placement on the roster waits for it" in message.body
    assert f"{PUBLIC_URL}/portal/classifications/80-GRIP" in message.body
    assert [e.event_type for e in published] == ["message_created"]


def test_contact_details_publish_nothing_and_an_invitation_posts_no_message(service, session):
    worker, published = service
    person_id = uuid.uuid4()
    worker.handle_contact_details_changed(ContactDetailsChanged(
        person_id=person_id, email="jo@example.com", first_name="Jo").model_dump(mode="json"))
    worker.handle_invitation_sent(InvitationSent(
        person_id=person_id, claim_url="https://hub.example/claim?token=t",
        expires_at="2027-01-08T06:00:00+00:00").model_dump(mode="json"))
    assert published == []
    [email] = session.scalars(sa.select(OutgoingEmail)).all()
    assert email.body.startswith("Hello Jo,") and email.kind == "transactional"


def test_a_removal_says_why_until_when_to_protest_and_links_to_the_protest(session):
    from notifications.models import Message

    from common.events.rosters import Removed

    person_id = uuid.uuid4()
    event = Removed(person_id=person_id, removal_id=uuid.uuid4(), classification_code="80-GRIP",
                    reason="Retirement under the pension plan", effective_on=date(2027, 1, 4),
                    protest_by=date(2027, 2, 3), classification_name="IATSE, Local #80 (Grip)")

    message, events = domain.removed(session, event, "https://hub.example")

    assert message.link == "/portal/removals" and message.deadline == date(2027, 2, 3)
    assert "Retirement under the pension plan" in message.body and "protest until" in message.body
    assert "stays on the roster" in message.body and len(events) == 1
    assert session.get(Message, message.id) is not None


def test_an_approved_extension_gives_the_new_date(session):
    from common.events.rosters import ExtensionDecided

    event = ExtensionDecided(person_id=uuid.uuid4(), extension_id=uuid.uuid4(), classification_code="80-GRIP",
                             requirement="Safety Pass course B", decision="approved", until=date(2027, 3, 1))

    message, _ = domain.extension_decided(session, event, "https://hub.example")

    assert message.subject == "More time approved: Safety Pass course B"
    assert "03/01/2027" in message.body or "March 1, 2027" in message.body
    assert message.link == "/portal/classifications/80-GRIP"
