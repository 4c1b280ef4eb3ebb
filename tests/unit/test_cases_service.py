"""Contact Us cases in the documents service: validation and every state change, through the
service's entrypoints (nameko's worker_factory, a real in-memory database, local storage)."""
import hashlib
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from documents import cases as case_domain
from documents.cases_models import Case, CaseAttachment
from documents.document_types import load_document_types
from documents.models import Document, Owner
from documents.service import DocumentsService
from nameko.testing.services import worker_factory

from common.db import base_of
from common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from common.storage import LocalFolderStorage
from tests.support.databases import memory_sessions

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
STAFF_ACCOUNT = uuid.uuid4()
STAFF = {"account_id": str(STAFF_ACCOUNT), "roles": ["staff_reviewer"], "client_ip": "10.0.0.7"}
ANONYMOUS = {"roles": ["anonymous"], "client_ip": "203.0.113.9"}


@pytest.fixture
def documents(tmp_path):
    """(service, session, published, storage)"""
    with memory_sessions("documents")() as session:
        published = []
        storage = LocalFolderStorage(tmp_path / "objects")
        service = worker_factory(DocumentsService, db=session, publish=published.append, storage=storage,
                                 document_types=load_document_types(), case_topics=case_domain.load_topics())
        yield service, session, published, storage


def make_person(session) -> uuid.UUID:
    person_id = uuid.uuid4()
    session.add(Owner(person_id=person_id, il_number=str(uuid.uuid4().int)[:10], first_name="Pat",
                      last_name="Grip", registered_at=datetime.now(UTC)))
    session.commit()
    return person_id


def stage(storage, data: bytes = PDF, name: str = "cdl.pdf") -> dict:
    key = f"incoming/{uuid.uuid4()}"
    storage.put(key, data, "application/pdf")
    return {"staging_key": key, "file_name": name, "size": len(data), "content_type": "application/pdf",
            "sha256": hashlib.sha256(data).hexdigest()}


def make_case(**overrides) -> dict:
    fields = {"topic": "roster", "subtopic": "required_documents", "subject": "My CDL",
              "description": "Here is my CDL.\nThank you!", "name": "Pat Grip", "email": "Pat@Example.com"}
    fields.update(overrides)
    return fields


def audit_actions(session) -> list[str]:
    entry = base_of(session).AuditEntry
    return [row.action for row in session.scalars(sa.select(entry).order_by(entry.id))]


# --- topics -------------------------------------------------------------------------------------

def test_topics_include_submitting_required_documents_under_roster_applications(documents):
    service, *_ = documents
    topics = {t["label"]: [s["label"] for s in t["subtopics"]] for t in service.list_case_topics()["topics"]}
    assert "Submitting Required Documents for Application" in topics["Roster Applications & Administration"]
    assert {"Safety Pass Training", "Portal Account", "General Questions"} <= set(topics)


def test_a_topics_file_without_a_mailbox_subtopic_is_refused_naming_the_file(tmp_path):
    bad = tmp_path / "cases_topics.yml"
    bad.write_text("topics:\n  - code: general\n    label: General\n    subtopics:\n"
                   "      - {code: other, label: Other}\n")
    with pytest.raises(case_domain.TopicsError, match="cases_topics.yml: .*mailbox"):
        case_domain.load_topics(bad)


def test_a_topics_file_with_a_bad_code_is_refused(tmp_path):
    bad = tmp_path / "cases_topics.yml"
    bad.write_text("topics:\n  - code: Not A Code\n    label: General\n    subtopics:\n"
                   "      - {code: other, label: Other, mailbox: true}\n")
    with pytest.raises(case_domain.TopicsError, match="topics.0.code"):
        case_domain.load_topics(bad)


# --- opening ------------------------------------------------------------------------------------

def test_an_anonymous_case_gets_a_reference_adopts_its_files_and_tells_notifications(documents):
    service, session, published, storage = documents
    staged = stage(storage)

    opened = service.open_case({**make_case(), "attachments": [staged]}, ANONYMOUS)

    assert opened["reference"].startswith(f"CS-{datetime.now().year}-")
    case = session.get(Case, uuid.UUID(opened["case_id"]))
    assert case.status == "open" and case.sender_email == "pat@example.com" and case.person_id is None
    assert case.needs_person_match  # anonymous with files: staff match it to a person
    [attachment] = session.scalars(sa.select(CaseAttachment)).all()
    assert attachment.object_key == f"cases/{case.id}/{attachment.id}"
    assert storage.get(attachment.object_key) == PDF
    with pytest.raises(NotFound):
        storage.get(staged["staging_key"])  # adopted, not copied
    [event] = published
    assert event.full_name() == "documents.case_opened"
    assert (event.reference, event.email, event.name, event.person_id) == (
        opened["reference"], "pat@example.com", "Pat Grip", None)
    assert audit_actions(session) == ["case.opened"]


def test_references_are_distinct_and_increase(documents):
    service, *_ = documents
    first = service.open_case(make_case(), ANONYMOUS)["reference"]
    second = service.open_case(make_case(), ANONYMOUS)["reference"]
    assert first != second and int(second.rsplit("-", 1)[1]) == int(first.rsplit("-", 1)[1]) + 1


def test_a_persons_case_keeps_no_contact_details_and_its_event_carries_none(documents):
    service, session, published, _ = documents
    person_id = make_person(session)

    opened = service.open_case(make_case(person_id=str(person_id), name=None, email=None), {"roles": ["x"]})

    case = session.get(Case, uuid.UUID(opened["case_id"]))
    assert case.person_id == person_id and case.sender_email is None and not case.needs_person_match
    assert published[0].person_id == person_id and published[0].email is None
    mine = service.list_my_cases(str(person_id))["cases"]
    assert [c["reference"] for c in mine] == [opened["reference"]]
    assert mine[0]["topic_label"] == "Roster Applications & Administration"


def test_a_subtopic_of_another_topic_is_refused(documents):
    service, session, published, _ = documents
    with pytest.raises(ValidationFailed) as error:
        service.open_case(make_case(topic="training"), ANONYMOUS)
    assert "subtopic" in error.value.details["fields"]
    assert published == [] and session.scalars(sa.select(Case)).all() == []


def test_an_anonymous_case_without_an_address_is_refused(documents):
    service, *_ = documents
    with pytest.raises(ValidationFailed, match="e-mail address"):
        service.open_case(make_case(email=None), ANONYMOUS)


def test_a_description_keeps_its_line_breaks_but_hidden_characters_are_refused(documents):
    service, *_ = documents
    service.open_case(make_case(description="Line one\r\n\tLine two"), ANONYMOUS)
    with pytest.raises(ValidationFailed, match="invisible"):
        service.open_case(make_case(subject="Hello\u202egnp.exe"), ANONYMOUS)


def test_a_staged_key_outside_incoming_is_refused(documents):
    service, _, _, storage = documents
    staged = {**stage(storage), "staging_key": "documents/someone/else"}
    with pytest.raises(ValidationFailed):
        service.open_case({**make_case(), "attachments": [staged]}, ANONYMOUS)


def test_a_mailed_case_notes_each_refused_file_and_asks_staff_to_match_the_sender(documents):
    service, session, published, _ = documents
    opened = service.open_case({**make_case(source="email", topic="roster", subtopic="required_documents"),
                                "refused": [{"file_name": "setup.exe", "reason": "Not a PDF, JPEG, PNG or HEIC"}]},
                               {"roles": ["system"]})
    case = service.get_case(opened["case_id"], STAFF)
    assert case["needs_person_match"] and case["source"] == "email"
    assert [(a["file_name"], a["status"], a["reason"]) for a in case["attachments"]] == [
        ("setup.exe", "refused", "Not a PDF, JPEG, PNG or HEIC")]
    assert published[0].via == "email"


# --- staff --------------------------------------------------------------------------------------

@pytest.fixture
def opened(documents):
    service, _, published, storage = documents
    result = service.open_case({**make_case(), "attachments": [stage(storage)]}, ANONYMOUS)
    published.clear()
    return result["case_id"]


def test_only_staff_see_the_queue(documents, opened):
    service, *_ = documents
    with pytest.raises(Forbidden):
        service.list_cases({}, {"roles": ["industry_professional"], "person_id": str(uuid.uuid4())})
    with pytest.raises(Forbidden):
        service.assign_case(opened, {"roles": ["industry_professional"]})
    queue = service.list_cases({"status": "open"}, STAFF)["cases"]
    assert [c["id"] for c in queue] == [opened]
    assert queue[0]["sender_email"] == "pat@example.com"


def test_assign_takes_the_case_for_the_staff_member_asking(documents, opened):
    service, session, *_ = documents
    case = service.assign_case(opened, STAFF)
    assert case["status"] == "assigned" and case["assigned_to"] == str(STAFF_ACCOUNT)
    assert [c["id"] for c in service.list_cases({"assigned_to_me": True}, STAFF)["cases"]] == [opened]
    assert service.list_cases({"status": "open"}, STAFF)["cases"] == []
    assert "case.assigned" in audit_actions(session)


def test_a_reply_to_an_anonymous_sender_goes_by_email_through_an_event(documents, opened):
    service, session, published, _ = documents
    case = service.reply_to_case(opened, {"body": "Thank you, we filed it.\nContract Services"}, STAFF)
    assert case["status"] == "answered" and case["replies"][0]["body"].startswith("Thank you")
    [event] = published
    assert event.full_name() == "documents.case_replied"
    assert (event.email, event.person_id) == ("pat@example.com", None)
    assert "case.replied" in audit_actions(session)


def test_linking_a_case_to_a_person_moves_replies_to_their_message_center(documents, opened):
    service, session, published, _ = documents
    person_id = make_person(session)

    case = service.link_case(opened, {"person_id": str(person_id)}, STAFF)
    assert case["person_id"] == str(person_id) and not case["needs_person_match"]
    service.reply_to_case(opened, {"body": "Filed."}, STAFF)
    assert (published[-1].person_id, published[-1].email) == (person_id, None)
    assert [c["id"] for c in service.list_my_cases(str(person_id))["cases"]] == [opened]
    with pytest.raises(NotFound):
        service.link_case(opened, {"person_id": str(uuid.uuid4())}, STAFF)


def test_attaching_a_file_puts_a_document_in_the_review_queue(documents, opened):
    service, session, published, storage = documents
    person_id = make_person(session)
    attachment_id = service.get_case(opened, STAFF)["attachments"][0]["id"]

    attached = service.attach_case_file(opened, {"attachment_id": attachment_id, "document_type": "cdl_class_a",
                                                 "person_id": str(person_id)}, STAFF)

    document = session.get(Document, uuid.UUID(attached["document_id"]))
    assert (document.person_id, document.status, document.source) == (person_id, "pending_review", "contact")
    assert storage.get(document.object_key) == PDF
    assert attached["case"]["attachments"][0]["document_type"] == "cdl_class_a"
    assert [e.full_name() for e in published] == ["documents.document_uploaded"]
    assert {"document.uploaded", "case.file_attached"} <= set(audit_actions(session))
    with pytest.raises(Conflict, match="filed already"):
        service.attach_case_file(opened, {"attachment_id": attachment_id, "document_type": "cdl_class_a",
                                          "person_id": str(person_id)}, STAFF)


def test_attaching_needs_a_person_and_a_known_type(documents, opened):
    service, session, *_ = documents
    attachment_id = service.get_case(opened, STAFF)["attachments"][0]["id"]
    with pytest.raises(ValidationFailed, match="link the case"):
        service.attach_case_file(opened, {"attachment_id": attachment_id, "document_type": "cdl_class_a"}, STAFF)
    person_id = make_person(session)
    with pytest.raises(ValidationFailed):
        service.attach_case_file(opened, {"attachment_id": attachment_id, "document_type": "tattoo",
                                          "person_id": str(person_id)}, STAFF)
    with pytest.raises(NotFound):
        service.attach_case_file(opened, {"attachment_id": str(uuid.uuid4()), "document_type": "cdl_class_a",
                                          "person_id": str(person_id)}, STAFF)


def test_a_closed_case_takes_no_more_changes(documents, opened):
    service, session, *_ = documents
    case = service.close_case(opened, STAFF)
    assert case["status"] == "closed" and case["closed_at"]
    with pytest.raises(Conflict, match="closed"):
        service.reply_to_case(opened, {"body": "More"}, STAFF)
    assert service.list_cases({}, STAFF)["cases"] == []  # the default queue is the active cases
    assert [c["id"] for c in service.list_cases({"status": "closed"}, STAFF)["cases"]] == [opened]
    assert "case.closed" in audit_actions(session)


def test_staff_can_open_a_stored_file_and_the_look_is_audited(documents, opened):
    service, session, *_ = documents
    attachment_id = service.get_case(opened, STAFF)["attachments"][0]["id"]
    download = service.case_file_for_download(opened, attachment_id, STAFF)
    assert download["key"].startswith(f"cases/{opened}/") and download["content_type"] == "application/pdf"
    assert "case.file_downloaded" in audit_actions(session)


def test_the_orphan_sweeper_knows_case_files_have_a_row(documents, opened):
    _, session, *_ = documents
    key = session.scalar(sa.select(CaseAttachment.object_key))
    assert case_domain.case_object_keys(session, [key, "cases/nobody/nothing"]) == {key}
