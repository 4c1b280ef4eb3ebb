"""The Message Center RPCs (list with filters and pages, unread count, read / unread / archive),
links in every reaction, idempotent reactions, e-mail preferences, the digest, the record of
sends, and what no e-mail may carry. nameko's worker_factory on an in-memory database."""
from __future__ import annotations

import re
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from nameko.testing.services import worker_factory
from notifications import domain, preferences, render
from notifications.models import Message, OutgoingEmail
from notifications.service import NotificationsService

from common.contracts.notifications import MessageFiltersIn, PreferencesIn
from common.errors import Forbidden, NotFound
from common.events.accounts import ContactDetailsChanged
from common.events.documents import CaseReplied, DocumentReviewed
from common.events.rosters import DeadlineApproaching, PlacedOnRoster, StatusChanged, Suspended
from common.events.training import CourseCompleted
from tests.support.databases import memory_sessions
from tests.unit.test_notifications_domain import SAMPLES

PUBLIC_URL = "https://hub.example"
GRIP = "IATSE, Local #80 (Grip)"
PERSON_ACTOR = {"roles": ["industry_professional"]}
STAFF_ACTOR = {"account_id": str(uuid.uuid4()), "roles": ["staff_reviewer"]}


@pytest.fixture
def session():
    with memory_sessions("notifications")() as session:
        yield session


@pytest.fixture
def service(session):
    published = []
    worker = worker_factory(NotificationsService, db=session, publish=published.append,
                            config={"HUB_PUBLIC_URL": PUBLIC_URL})
    return worker, published


def known_person(session) -> uuid.UUID:
    person_id = uuid.uuid4()
    domain.record_contact(session, ContactDetailsChanged(person_id=person_id, email="jo@example.com",
                                                         first_name="Jo"))
    session.commit()
    return person_id


def deadline(person_id, **overrides) -> DeadlineApproaching:
    fields = {"person_id": person_id, "classification_code": "80-GRIP", "classification_name": GRIP,
              "requirement": "Harassment Prevention (HP1 or HP2)", "due_on": date(2027, 3, 15),
              "days_left": 30, "placed": True}
    return DeadlineApproaching(**{**fields, **overrides})


def post(session, person_id, n=1, category="document"):
    for i in range(n):
        domain.post_message(session, person_id, category, f"Message {i}", "Body", link="/portal/documents")
    session.commit()


# --- the Message Center ---------------------------------------------------------------------

def test_messages_come_25_a_page_newest_first_with_the_inbox_unread_count(service, session):
    worker, _ = service
    person_id = known_person(session)
    post(session, person_id, 30)
    first = worker.list_messages(str(person_id), {"page": 1})
    second = worker.list_messages(str(person_id), {"page": 2})
    assert (len(first["messages"]), len(second["messages"])) == (25, 5)
    assert (first["pages"], first["total"], first["unread"]) == (2, 30, 30)
    created = [m["created_at"] for m in first["messages"] + second["messages"]]
    assert created == sorted(created, reverse=True)
    assert first["messages"][0]["link"] == "/portal/documents" and first["messages"][0]["archived"] is False


def test_filters_by_category_and_unread_and_the_archive_is_its_own_view(service, session):
    worker, _ = service
    person_id = known_person(session)
    post(session, person_id, 2, "document")
    post(session, person_id, 3, "training")
    training = worker.list_messages(str(person_id), {"category": "training"})["messages"]
    assert {m["category"] for m in training} == {"training"} and len(training) == 3
    worker.mark_message_read(str(person_id), training[0]["id"], PERSON_ACTOR)
    assert len(worker.list_messages(str(person_id), {"unread": True})["messages"]) == 4
    worker.archive_message(str(person_id), training[1]["id"], PERSON_ACTOR)
    inbox = worker.list_messages(str(person_id))
    archive = worker.list_messages(str(person_id), {"archived": True})
    assert training[1]["id"] not in {m["id"] for m in inbox["messages"]}
    assert [m["id"] for m in archive["messages"]] == [training[1]["id"]] and archive["messages"][0]["archived"]
    # the header counts the inbox: read and archived ones are not waiting
    assert inbox["unread"] == archive["unread"] == worker.unread_count(str(person_id)) == 3


def test_read_unread_and_archive_are_audited_with_the_actor(service, session):
    worker, _ = service
    person_id = known_person(session)
    post(session, person_id)
    [message] = worker.list_messages(str(person_id))["messages"]
    worker.mark_message_read(str(person_id), message["id"], PERSON_ACTOR)
    assert worker.unread_count(str(person_id)) == 0
    worker.mark_message_unread(str(person_id), message["id"], PERSON_ACTOR)
    assert worker.unread_count(str(person_id)) == 1
    worker.archive_message(str(person_id), message["id"], PERSON_ACTOR)
    actions = session.execute(sa.text("SELECT action FROM audit_log ORDER BY id")).scalars().all()
    assert actions == ["message.read", "message.unread", "message.archived"]


@pytest.mark.parametrize("rpc", ["mark_message_read", "mark_message_unread", "archive_message"])
def test_someone_elses_message_is_not_found_and_stays_as_it_was(service, session, rpc):
    worker, _ = service
    owner, other = known_person(session), known_person(session)
    post(session, owner)
    [message] = worker.list_messages(str(owner))["messages"]
    with pytest.raises(NotFound):
        getattr(worker, rpc)(str(other), message["id"], PERSON_ACTOR)
    stored = session.get(Message, uuid.UUID(message["id"]))
    assert stored.read_at is None and stored.archived_at is None


def test_bad_filters_are_refused():
    with pytest.raises(ValueError):
        MessageFiltersIn.model_validate({"category": "gossip"})
    with pytest.raises(ValueError):
        MessageFiltersIn.model_validate({"page": 0})


def test_the_unread_count_is_an_indexed_count_with_a_partial_index_for_it(session):
    sql = str(sa.select(sa.func.count()).select_from(Message).where(
        Message.person_id == uuid.uuid4(), Message.archived_at.is_(None), Message.read_at.is_(None))
        .compile(session.get_bind()))
    plan = " ".join(str(row) for row in session.execute(sa.text("EXPLAIN QUERY PLAN " + sql.replace("?", "'x'"))))
    assert "USING" in plan and "INDEX" in plan and "SCAN messages" not in plan, plan
    [index] = [i for i in Message.__table__.indexes if i.name == "ix_messages_unread_inbox"]
    assert "read_at IS NULL AND archived_at IS NULL" in str(index.dialect_options["postgresql"]["where"])


# --- links and idempotent reactions -----------------------------------------------------------

def reactions(person_id):
    return [
        ("handle_document_reviewed", DocumentReviewed(document_id=uuid.uuid4(), person_id=person_id,
                                                      document_type="dot_medical_certificate",
                                                      decision="rejected", reason="Illegible",
                                                      reviewed_on=date(2027, 1, 4)), "/portal/documents"),
        ("handle_course_completed", CourseCompleted(person_id=person_id, course_code="HP1",
                                                    completed_on=date(2027, 1, 4)), "/portal/training"),
        ("handle_deadline_approaching", deadline(person_id), "/portal/classifications/80-GRIP"),
        ("handle_suspended", Suspended(person_id=person_id, classification_code="80-GRIP", as_of=date(2027, 1, 4),
                                       reason="DOT Medical", requirements=["DOT Medical"]),
         "/portal/classifications/80-GRIP"),
        ("handle_case_replied", CaseReplied(case_id=uuid.uuid4(), reference="CS-2027-000042", subject="My CDL",
                                            body="Thank you.", person_id=person_id), "/portal/cases"),
        ("handle_status_changed", StatusChanged(person_id=person_id, classification_code="80-GRIP",
                                                old_status="in_progress_not_training_eligible",
                                                new_status="in_progress_training_eligible",
                                                as_of=date(2027, 1, 4)), "/portal/classifications/80-GRIP"),
    ]


@pytest.mark.parametrize("index", range(6))
def test_each_reaction_links_to_the_place_to_act_and_a_redelivery_makes_no_second_message(service, session, index):
    worker, published = service
    person_id = known_person(session)
    handler, event, link = reactions(person_id)[index]
    payload = event.model_dump(mode="json")
    getattr(worker, handler)(payload)
    getattr(worker, handler)(payload)  # delivered again
    [message] = session.scalars(sa.select(Message).where(Message.person_id == person_id)).all()
    assert message.link == link
    assert len(session.scalars(sa.select(OutgoingEmail).where(OutgoingEmail.message_id == message.id)).all()) == 1
    assert [e.event_type for e in published] == ["message_created"]


@pytest.mark.parametrize("index", range(2))
def test_history_from_the_legacy_import_is_a_fact_but_no_message(service, session, index):
    worker, published = service
    person_id = known_person(session)
    handler, event, _link = reactions(person_id)[index]
    getattr(worker, handler)(event.model_copy(update={"imported": True}).model_dump(mode="json"))
    assert session.scalars(sa.select(Message)).all() == []
    assert published == []


def test_an_imported_placement_tells_nobody_but_a_new_one_does(service, session):
    worker, _ = service
    person_id = known_person(session)
    placed = PlacedOnRoster(person_id=person_id, classification_code="80-GRIP", placed_on=date(2019, 4, 1))
    worker.handle_placed_on_roster(placed.model_copy(update={"imported": True}).model_dump(mode="json"))
    assert session.scalars(sa.select(Message)).all() == []
    worker.handle_placed_on_roster(PlacedOnRoster(person_id=person_id, classification_code="80-GRIP",
                                                  placed_on=date(2027, 1, 4)).model_dump(mode="json"))
    assert len(session.scalars(sa.select(Message)).all()) == 1


def test_only_the_status_change_that_unlocks_training_posts_a_message(service, session):
    worker, _ = service
    person_id = known_person(session)
    worker.handle_status_changed(StatusChanged(person_id=person_id, classification_code="80-GRIP",
                                               old_status="compliant", new_status="approaching_deadline",
                                               as_of=date(2027, 1, 4)).model_dump(mode="json"))
    assert session.scalars(sa.select(Message)).all() == []


def test_the_reminder_after_a_lapse_says_overdue_and_still_unmet(session):
    person_id = known_person(session)
    message, _ = domain.deadline_approaching(session, deadline(person_id, days_left=-7, due_on=date(2027, 3, 8)),
                                             PUBLIC_URL)
    assert message.subject == "Overdue by 7 days: Harassment Prevention (HP1 or HP2)"
    assert "was due on March 8, 2027, 7 days ago, and is still not met" in message.body
    assert "Not Compliant" in message.body and "If it lapses" not in message.body
    assert message.link == "/portal/classifications/80-GRIP" and message.category == "deadline"


# --- e-mail preferences ---------------------------------------------------------------------------

def test_preferences_default_to_everything_by_email_and_mandatory_ones_cannot_be_turned_off(service, session):
    worker, _ = service
    person_id = known_person(session)
    assert worker.get_preferences(str(person_id)) == {
        "email": {c: True for c in ("deadline", "document", "training", "roster", "account", "case", "bulletin")},
        "digest": False, "mandatory": ["deadline", "account"]}
    after = worker.update_preferences(str(person_id), {"email": {"training": False, "deadline": False,
                                                                 "account": False}}, PERSON_ACTOR)
    assert after["email"]["training"] is False
    assert after["email"]["deadline"] is True and after["email"]["account"] is True
    assert worker.get_preferences(str(person_id)) == after
    [action] = session.execute(sa.text("SELECT action FROM audit_log")).scalars().all()
    assert action == "preferences.updated"


def test_a_category_turned_off_gets_no_email_but_still_its_message(session):
    person_id = known_person(session)
    preferences.update_preferences(session, person_id, PreferencesIn(email={"training": False, "roster": False}))
    domain.post_message(session, person_id, "training", "Enrolled", "Body")
    domain.deadline_approaching(session, deadline(person_id), PUBLIC_URL)
    domain.suspended(session, Suspended(person_id=person_id, classification_code="80-GRIP", as_of=date(2027, 1, 4),
                                        reason="x", requirements=["x"]), PUBLIC_URL)
    session.commit()
    assert len(session.scalars(sa.select(Message)).all()) == 3
    emails = session.scalars(sa.select(OutgoingEmail)).all()
    # the deadline and the suspension (a roster message, but mandatory) still come
    assert sorted((e.category, e.mandatory) for e in emails) == [("deadline", True), ("roster", True)]


def test_the_digest_gathers_the_rest_into_one_email_a_day_and_mandatory_ones_go_at_once(session):
    person_id = known_person(session)
    preferences.update_preferences(session, person_id, PreferencesIn(digest=True))
    domain.post_message(session, person_id, "training", "Enrolled: HP1", "Body")
    domain.post_message(session, person_id, "document", "Document approved: CDL", "Body")
    domain.deadline_approaching(session, deadline(person_id), PUBLIC_URL)
    session.commit()
    statuses = sorted((e.category, e.status) for e in session.scalars(sa.select(OutgoingEmail)))
    assert statuses == [("deadline", "pending"), ("document", "digest"), ("training", "digest")]
    assert preferences.gather_digests(session, PUBLIC_URL) == 1
    assert preferences.gather_digests(session, PUBLIC_URL) == 0  # nothing gathered twice
    session.commit()
    [digest] = session.scalars(sa.select(OutgoingEmail).where(OutgoingEmail.kind == "digest")).all()
    assert digest.status == "pending" and "Enrolled: HP1" in digest.body and "Document approved: CDL" in digest.body
    held = session.scalars(sa.select(OutgoingEmail).where(OutgoingEmail.digest_id == digest.id)).all()
    assert {e.status for e in held} == {"digested"} and len(held) == 2


def test_the_daily_digest_runs_once_a_day_across_replicas(service, session):
    worker, _ = service
    person_id = known_person(session)
    preferences.update_preferences(session, person_id, PreferencesIn(digest=True))
    domain.post_message(session, person_id, "training", "Enrolled: HP1", "Body")
    session.commit()
    worker.daily_digest()
    domain.post_message(session, person_id, "training", "Enrolled: HP2", "Body")
    session.commit()
    worker.daily_digest()  # same day: already run
    assert len(session.scalars(sa.select(OutgoingEmail).where(OutgoingEmail.kind == "digest")).all()) == 1


# --- the record of sends ----------------------------------------------------------------------

def test_staff_see_each_send_and_its_outcome_and_nobody_else_does(service, session):
    worker, _ = service
    person_id = known_person(session)
    post(session, person_id, 3)
    sent, failed, queued = session.scalars(sa.select(OutgoingEmail).order_by(OutgoingEmail.subject)).all()
    sent.status, sent.attempts, sent.sent_at = "sent", 1, sent.created_at
    failed.status, failed.attempts, failed.last_error = "failed", 1, "550 No such user"
    queued.attempts, queued.last_error = 2, "421 try later"
    session.commit()
    with pytest.raises(Forbidden):
        worker.list_deliveries(str(person_id), PERSON_ACTOR)
    out = worker.list_deliveries(str(person_id), STAFF_ACTOR)
    by_subject = {d["subject"]: d for d in out["deliveries"]}
    assert (by_subject["Message 0"]["status"], by_subject["Message 0"]["attempts"]) == ("sent", 1)
    assert (by_subject["Message 1"]["status"], by_subject["Message 1"]["reason"]) == ("failed", "550 No such user")
    assert (by_subject["Message 2"]["status"], by_subject["Message 2"]["reason"]) == ("queued", "421 try later")
    assert out["email_undeliverable"] is True
    assert "jo@example.com" not in str(out)


# --- what no e-mail may carry --------------------------------------------------------------------

SSN = "123-45-6789"
BIRTH = "1984-02-29"
URL = re.compile(r"https?://[^\s\"'<>]+")


@pytest.mark.parametrize("name", render.names())
def test_no_email_carries_an_ssn_a_birth_date_or_personal_data_in_a_link(name):
    # the facts offered include an SSN, a birth date and a document's content: none may show
    words = render.render(name, subject="A subject", first_name="Pat", public_url=PUBLIC_URL,
                          action_url=f"{PUBLIC_URL}/portal", ssn=SSN, date_of_birth=date(1984, 2, 29),
                          dob=BIRTH, document_content="PATIENT FINDINGS", **SAMPLES[name])
    for text in (words.text, words.html):
        assert SSN not in text and BIRTH not in text and "February 29, 1984" not in text
        assert "PATIENT FINDINGS" not in text
        assert not re.search(r"\b\d{3}-\d{2}-\d{4}\b", text)
        assert "date of birth" not in text.lower() and "social security" not in text.lower()
        for url in URL.findall(text):
            assert url.startswith(PUBLIC_URL + "/"), url
            assert "?" not in url and "@" not in url and not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", url), url


def test_the_links_messages_store_are_hub_paths_with_no_personal_data(session):
    person_id = known_person(session)
    for handler, event, _ in reactions(person_id):
        fn = {"handle_document_reviewed": domain.document_reviewed,
              "handle_course_completed": domain.training_completed,
              "handle_deadline_approaching": domain.deadline_approaching, "handle_suspended": domain.suspended,
              "handle_case_replied": domain.case_replied, "handle_status_changed": domain.status_changed}[handler]
        fn(session, event, PUBLIC_URL)
    session.commit()
    for message in session.scalars(sa.select(Message)):
        assert re.fullmatch(r"/portal/[a-z]+(/[A-Za-z0-9-]+)?", message.link), message.link
        assert str(person_id) not in message.link


def test_reminder_dates_in_emails_are_not_a_birth_date_field():
    # the deadline e-mail names the requirement, its date and the action
    words = render.render("deadline_approaching", subject="s", first_name="Pat", public_url=PUBLIC_URL,
                          action_url=f"{PUBLIC_URL}/portal/classifications/80-GRIP",
                          classification=GRIP, requirement="Safety Pass A", due_on=date(2027, 1, 4),
                          days_left=7, placed=True)
    assert "Safety Pass A" in words.text and "January 4, 2027" in words.text and "What to do" in words.text
