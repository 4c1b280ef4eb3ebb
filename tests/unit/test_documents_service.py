"""The documents service's entrypoints with nameko's worker_factory on an in-memory database and
a local-folder bucket: every state change and every refusal. No broker."""
from __future__ import annotations

import hashlib
import os
import time
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from documents.document_types import load_document_types
from documents.models import Document, ExpirySweepRun
from documents.service import DocumentsService
from nameko.testing.services import worker_factory

from common.clock import today
from common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from common.events.accounts import PersonRegistered
from common.events.rosters import ApplicationStarted
from common.storage import LocalFolderStorage
from tests.support.databases import memory_sessions

TODAY = today()
STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_reviewer"]}
PDF = b"%PDF-1.7\n"


@pytest.fixture(scope="module")
def document_types():
    return load_document_types()


@pytest.fixture
def sessions():
    return memory_sessions("documents")


@pytest.fixture
def storage(tmp_path):
    return LocalFolderStorage(tmp_path / "objects")


@pytest.fixture
def documents(sessions, storage, document_types):
    """(service, session, published): the entrypoints over a real session and folder."""
    with sessions() as session:
        published = []
        service = worker_factory(DocumentsService, db=session, publish=published.append, storage=storage,
                                 document_types=document_types)
        yield service, session, published


def ip(person_id) -> dict:
    return {"account_id": str(uuid.uuid4()), "person_id": str(person_id), "roles": ["industry_professional"]}


def stage(storage, data: bytes, content_type: str = "application/pdf") -> str:
    key = f"incoming/{uuid.uuid4()}"
    storage.put(key, data, content_type)
    return key


def upload(service, storage, person_id, data: bytes = None, document_type="dot_medical_certificate",
           **overrides) -> dict:
    data = data if data is not None else PDF + uuid.uuid4().bytes
    payload = {"staging_key": stage(storage, data), "person_id": str(person_id), "document_type": document_type,
               "file_name": "medical.pdf", "size": len(data), "content_type": "application/pdf",
               "sha256": hashlib.sha256(data).hexdigest(), **overrides}
    return service.register_upload(payload, ip(person_id))


def keys(storage, prefix="") -> list[str]:
    return sorted(o.key for o in storage.list_objects(prefix))


def audit_actions(session) -> list[str]:
    entry = session.info["base"].AuditEntry
    return list(session.scalars(sa.select(entry.action).order_by(entry.id)))


def approve(service, document_id, expires_on=TODAY + timedelta(days=300), issued_on=None, actor=STAFF):
    payload = {"decision": "approve", "expires_on": expires_on.isoformat() if expires_on else None,
               "issued_on": issued_on.isoformat() if issued_on else None}
    return service.review_document(str(document_id), payload, actor)


# --- document types -----------------------------------------------------------------------------

def test_document_types_list_labels_and_whether_they_expire(documents):
    service, _, _ = documents
    types = {t["code"]: t for t in service.list_document_types()["document_types"]}
    assert {"cdl_class_a", "cdl_class_b", "dot_medical_certificate", "color_vision_test",
            "forklift_certificate", "proof_of_employment", "other"} <= set(types)
    assert types["dot_medical_certificate"]["expires"] is True
    assert types["dot_medical_certificate"]["label"] == "DOT Medical Examiner's Certificate"
    assert types["proof_of_employment"]["expires"] is False and types["proof_of_employment"]["checks"]


# --- uploads ------------------------------------------------------------------------------------

def test_an_upload_is_moved_to_its_place_recorded_pending_review_and_announced(documents, storage):
    service, session, published = documents
    person_id = uuid.uuid4()
    data = PDF + b"medical certificate"
    out = upload(service, storage, person_id, data, classification_code="399-DRIVER-G3")

    assert out["created"] is True
    document = out["document"]
    assert (document["status"], document["document_type"], document["classification_code"]) == (
        "pending_review", "dot_medical_certificate", "399-DRIVER-G3")
    assert document["label"] == "DOT Medical Examiner's Certificate" and document["size"] == len(data)
    row = session.get(Document, uuid.UUID(document["id"]))
    assert row.object_key == f"documents/{person_id}/{row.id}" and row.sha256 == hashlib.sha256(data).hexdigest()
    assert keys(storage) == [row.object_key] and storage.get(row.object_key) == data
    assert [(e.event_type, e.document_id, e.person_id) for e in published] == [
        ("document_uploaded", row.id, person_id)]
    assert audit_actions(session) == ["document.uploaded"]


def test_an_unknown_document_type_is_refused_by_name_and_nothing_is_left_behind(documents, storage):
    service, session, published = documents
    with pytest.raises(ValidationFailed, match="'passport'") as refused:
        upload(service, storage, uuid.uuid4(), document_type="passport")
    assert "document_type" in refused.value.details["fields"]
    assert keys(storage) == [] and session.scalars(sa.select(Document)).all() == [] and published == []


def test_the_same_bytes_twice_answer_the_document_on_file_and_store_nothing_more(documents, storage):
    service, session, published = documents
    person_id = uuid.uuid4()
    data = PDF + b"the same scan"
    first = upload(service, storage, person_id, data)
    again = upload(service, storage, person_id, data, file_name="copy of medical.pdf")

    assert again["created"] is False and again["document"]["id"] == first["document"]["id"]
    assert again["document"]["file_name"] == "medical.pdf"
    assert len(session.scalars(sa.select(Document)).all()) == 1
    assert keys(storage, "incoming/") == [] and len(keys(storage)) == 1
    assert [e.event_type for e in published] == ["document_uploaded"]


def test_the_same_bytes_from_another_person_are_their_own_document(documents, storage):
    service, session, _ = documents
    data = PDF + b"a form both filled in"
    assert upload(service, storage, uuid.uuid4(), data)["created"] is True
    assert upload(service, storage, uuid.uuid4(), data)["created"] is True
    assert len(session.scalars(sa.select(Document)).all()) == 2


def test_an_upload_whose_staged_file_is_gone_is_refused(documents, storage):
    service, session, _ = documents
    data = PDF + b"never arrived"
    payload = {"staging_key": f"incoming/{uuid.uuid4()}", "person_id": str(uuid.uuid4()),
               "document_type": "other", "file_name": "x.pdf", "size": len(data),
               "content_type": "application/pdf", "sha256": hashlib.sha256(data).hexdigest()}
    with pytest.raises(ValidationFailed, match="upload it again"):
        service.register_upload(payload, STAFF)
    assert session.scalars(sa.select(Document)).all() == []


def test_a_staged_file_of_another_size_than_announced_is_refused_and_removed(documents, storage):
    service, session, _ = documents
    with pytest.raises(ValidationFailed, match="did not arrive whole"):
        upload(service, storage, uuid.uuid4(), PDF + b"short", size=999)
    assert keys(storage) == [] and session.scalars(sa.select(Document)).all() == []


def test_a_failure_after_the_move_leaves_neither_row_nor_object(sessions, storage, document_types):
    def broken_outbox(event):
        raise RuntimeError("the outbox is unavailable")

    with sessions() as session:
        service = worker_factory(DocumentsService, db=session, publish=broken_outbox, storage=storage,
                                 document_types=document_types)
        with pytest.raises(RuntimeError):
            upload(service, storage, uuid.uuid4())
    with sessions() as session:
        assert session.scalars(sa.select(Document)).all() == []
    assert keys(storage) == []


# --- reads: the owner or staff, anyone else is "not found" ---------------------------------------

def test_a_person_lists_their_documents_and_staff_may_too_but_nobody_else(documents, storage):
    service, _, _ = documents
    person_id = uuid.uuid4()
    upload(service, storage, person_id)
    upload(service, storage, person_id, document_type="cdl_class_a")
    mine = service.list_documents(str(person_id), ip(person_id))["documents"]
    assert sorted(d["document_type"] for d in mine) == ["cdl_class_a", "dot_medical_certificate"]
    assert len(service.list_documents(str(person_id), STAFF)["documents"]) == 2
    with pytest.raises(NotFound):
        service.list_documents(str(person_id), ip(uuid.uuid4()))


def test_someone_elses_document_is_not_found(documents, storage):
    service, _, _ = documents
    person_id = uuid.uuid4()
    document_id = upload(service, storage, person_id)["document"]["id"]
    assert service.get_document(document_id, ip(person_id))["id"] == document_id
    assert service.get_document(document_id, STAFF)["id"] == document_id
    stranger = ip(uuid.uuid4())
    for read in (service.get_document, service.document_for_download):
        with pytest.raises(NotFound):
            read(document_id, stranger)
    with pytest.raises(NotFound):
        service.get_document("not-an-id", stranger)
    with pytest.raises(NotFound):
        service.review_document(str(uuid.uuid4()), {"decision": "reject", "reason": "Expired"}, STAFF)


def test_a_download_says_where_the_bytes_are_and_a_staff_read_is_audited(documents, storage):
    service, session, _ = documents
    person_id = uuid.uuid4()
    document_id = upload(service, storage, person_id, PDF + b"download me")["document"]["id"]
    own = service.document_for_download(document_id, ip(person_id))
    assert own["key"] == f"documents/{person_id}/{document_id}"
    assert (own["file_name"], own["content_type"], own["presigned_url"]) == ("medical.pdf", "application/pdf", None)
    assert audit_actions(session) == ["document.uploaded"]
    service.document_for_download(document_id, STAFF)
    assert audit_actions(session) == ["document.uploaded", "document.downloaded"]


# --- review -------------------------------------------------------------------------------------

def test_approving_a_type_that_expires_needs_the_expiry_date(documents, storage):
    service, session, published = documents
    document_id = upload(service, storage, uuid.uuid4())["document"]["id"]
    with pytest.raises(ValidationFailed, match="expiry date") as refused:
        approve(service, document_id, expires_on=None)
    assert "expires_on" in refused.value.details["fields"]
    assert session.get(Document, uuid.UUID(document_id)).status == "pending_review"
    assert [e.event_type for e in published] == ["document_uploaded"]


def test_a_type_that_does_not_expire_is_approved_without_a_date(documents, storage):
    service, _, published = documents
    document_id = upload(service, storage, uuid.uuid4(), document_type="color_vision_test")["document"]["id"]
    out = approve(service, document_id, expires_on=None)
    assert (out["status"], out["expires_on"]) == ("approved", None)
    assert published[-1].decision == "approved"


def test_an_approval_records_the_dates_and_publishes_them(documents, storage):
    service, session, published = documents
    person_id = uuid.uuid4()
    document_id = upload(service, storage, person_id)["document"]["id"]
    issued, expires = TODAY - timedelta(days=20), TODAY + timedelta(days=700)
    out = approve(service, document_id, expires_on=expires, issued_on=issued)

    assert (out["status"], out["issued_on"], out["expires_on"], out["reason"]) == (
        "approved", issued.isoformat(), expires.isoformat(), None)
    row = session.get(Document, uuid.UUID(document_id))
    assert row.reviewed_by == uuid.UUID(STAFF["account_id"]) and row.reviewed_at is not None
    event = published[-1]
    assert (event.event_type, event.decision, event.issued_on, event.expires_on, event.reviewed_on) == (
        "document_reviewed", "approved", issued, expires, TODAY)
    assert event.reviewed_at == row.reviewed_at and event.document_label == "DOT Medical Examiner's Certificate"
    assert audit_actions(session)[-1] == "document.approved"


def test_a_rejection_needs_a_reason_and_the_reason_is_shown_and_published(documents, storage):
    service, session, published = documents
    person_id = uuid.uuid4()
    document_id = upload(service, storage, person_id)["document"]["id"]
    with pytest.raises(ValidationFailed, match="Say why"):
        service.review_document(document_id, {"decision": "reject"}, STAFF)

    out = service.review_document(document_id, {"decision": "reject", "reason": "Document is illegible"}, STAFF)
    assert (out["status"], out["reason"]) == ("rejected", "Document is illegible")
    assert service.list_documents(str(person_id), ip(person_id))["documents"][0]["reason"] == "Document is illegible"
    assert (published[-1].decision, published[-1].reason) == ("rejected", "Document is illegible")
    assert audit_actions(session)[-1] == "document.rejected"


def test_only_staff_review_documents(documents, storage):
    service, _, _ = documents
    person_id = uuid.uuid4()
    document_id = upload(service, storage, person_id)["document"]["id"]
    with pytest.raises(Forbidden):
        approve(service, document_id, actor=ip(person_id))
    with pytest.raises(Forbidden):
        service.review_queue({}, ip(person_id))


def test_a_document_already_decided_cannot_be_decided_again(documents, storage):
    service, _, published = documents
    document_id = upload(service, storage, uuid.uuid4())["document"]["id"]
    approve(service, document_id)
    with pytest.raises(Conflict, match="Someone else already reviewed this document"):
        service.review_document(document_id, {"decision": "reject", "reason": "Expired"}, STAFF)
    assert [e.event_type for e in published] == ["document_uploaded", "document_reviewed"]


def test_of_two_reviewers_deciding_at_once_the_second_gets_a_conflict(sessions, storage, document_types):
    with sessions() as setup:
        service = worker_factory(DocumentsService, db=setup, publish=lambda e: None, storage=storage,
                                 document_types=document_types)
        document_id = upload(service, storage, uuid.uuid4())["document"]["id"]
    first_published, second_published = [], []
    with sessions() as first, sessions() as second:
        first_reviewer = worker_factory(DocumentsService, db=first, publish=first_published.append,
                                        storage=storage, document_types=document_types)
        second_reviewer = worker_factory(DocumentsService, db=second, publish=second_published.append,
                                         storage=storage, document_types=document_types)
        # both have the document open, pending review (held, so the session keeps what it read)
        seen_by_second = second.get(Document, uuid.UUID(document_id))
        assert seen_by_second.status == "pending_review"
        approve(first_reviewer, document_id)
        with pytest.raises(Conflict, match="Someone else already reviewed this document"):
            second_reviewer.review_document(document_id, {"decision": "reject", "reason": "Expired"}, STAFF)
        second.rollback()
    with sessions() as session:
        row = session.get(Document, uuid.UUID(document_id))
        assert (row.status, row.reason) == ("approved", None)
    assert [e.decision for e in first_published] == ["approved"] and second_published == []


# --- expiry -------------------------------------------------------------------------------------

def test_an_approved_document_is_expired_from_the_day_after_its_expiry_date_on_every_read(documents, storage):
    service, session, _ = documents
    person_id = uuid.uuid4()
    through_today = upload(service, storage, person_id)["document"]["id"]
    through_yesterday = upload(service, storage, person_id)["document"]["id"]
    approve(service, through_today, expires_on=TODAY)
    approve(service, through_yesterday, expires_on=TODAY - timedelta(days=1))

    statuses = {d["id"]: d["status"] for d in service.list_documents(str(person_id), ip(person_id))["documents"]}
    assert statuses == {through_today: "approved", through_yesterday: "expired"}
    assert service.get_document(through_yesterday, STAFF)["status"] == "expired"
    assert session.get(Document, uuid.UUID(through_yesterday)).status == "approved"  # until the sweep
    queue = service.review_queue({"status": "expired"}, STAFF)["documents"]
    assert [d["id"] for d in queue] == [through_yesterday]


def test_the_expiry_sweep_makes_it_a_fact_and_announces_each_document_once(documents, storage):
    service, session, published = documents
    person_id = uuid.uuid4()
    lapsed = upload(service, storage, person_id)["document"]["id"]
    valid = upload(service, storage, person_id)["document"]["id"]
    approve(service, lapsed, expires_on=TODAY - timedelta(days=3))
    approve(service, valid, expires_on=TODAY + timedelta(days=3))
    published.clear()

    assert service.sweep_expired(TODAY.isoformat()) == {"as_of": TODAY.isoformat(), "expired": 1, "removed": 0}
    assert service.sweep_expired(TODAY.isoformat())["expired"] == 0
    assert [(e.event_type, str(e.document_id), e.expired_on) for e in published] == [
        ("document_expired", lapsed, TODAY - timedelta(days=2))]
    row = session.get(Document, uuid.UUID(lapsed))
    assert row.status == "expired" and row.expired_event_sent_at is not None
    assert session.get(Document, uuid.UUID(valid)).status == "approved"

    # as of a later day, the other one's turn comes
    assert service.sweep_expired((TODAY + timedelta(days=4)).isoformat())["expired"] == 1
    assert [str(e.document_id) for e in published] == [lapsed, valid]


def test_the_daily_expiry_sweep_runs_once_per_business_day(documents, storage):
    service, session, published = documents
    document_id = upload(service, storage, uuid.uuid4())["document"]["id"]
    approve(service, document_id, expires_on=TODAY - timedelta(days=1))
    published.clear()
    service.daily_expiry_sweep()
    service.daily_expiry_sweep()
    assert [e.event_type for e in published] == ["document_expired"]
    assert session.get(ExpirySweepRun, TODAY).finished_at is not None


def test_only_staff_sweep_on_demand(documents):
    service, _, _ = documents
    with pytest.raises(Forbidden):
        service.sweep_expired(TODAY.isoformat(), ip(uuid.uuid4()))
    with pytest.raises(ValidationFailed):
        service.sweep_expired("yesterday", STAFF)


# --- the review queue ---------------------------------------------------------------------------

def register(service, il_number: str, first_name: str, last_name: str) -> uuid.UUID:
    person_id = uuid.uuid4()
    service.handle_person_registered(PersonRegistered(person_id=person_id, il_number=il_number,
                                                      first_name=first_name, last_name=last_name)
                                     .model_dump(mode="json"))
    return person_id


def applied(service, person_id, code: str, local: str) -> None:
    service.handle_application_started(ApplicationStarted(person_id=person_id, classification_code=code,
                                                          local=local).model_dump(mode="json"))


def test_the_review_queue_is_oldest_first_with_the_persons_name_and_il_number(documents, storage):
    service, session, _ = documents
    driver = register(service, "0000000399", "Dana", "Driver")
    grip = register(service, "0000000080", "Gil", "Grip")
    applied(service, driver, "399-DRIVER-G3", "399")
    applied(service, driver, "399-DRIVER-G3", "399")  # the same event twice: one row
    applied(service, grip, "80-GRIP", "80")
    older = upload(service, storage, driver)["document"]["id"]
    newer = upload(service, storage, grip, document_type="proof_of_employment")["document"]["id"]
    other = upload(service, storage, driver, document_type="cdl_class_a")["document"]["id"]
    session.get(Document, uuid.UUID(older)).uploaded_at -= timedelta(hours=2)
    session.get(Document, uuid.UUID(other)).uploaded_at -= timedelta(hours=1)
    session.commit()

    queue = service.review_queue({}, STAFF)["documents"]
    assert [d["id"] for d in queue] == [older, other, newer]
    assert (queue[0]["il_number"], queue[0]["first_name"], queue[0]["last_name"]) == ("0000000399", "Dana", "Driver")
    assert [d["id"] for d in service.review_queue({"local": "399"}, STAFF)["documents"]] == [older, other]
    assert [d["id"] for d in service.review_queue({"type": "proof_of_employment", "local": ""}, STAFF)
            ["documents"]] == [newer]
    assert [d["id"] for d in service.review_queue({"classification": "80-GRIP"}, STAFF)["documents"]] == [newer]
    approve(service, older)
    assert [d["id"] for d in service.review_queue({"status": "pending_review"}, STAFF)["documents"]] == [other, newer]
    assert [d["id"] for d in service.review_queue({"status": "approved"}, STAFF)["documents"]] == [older]
    assert len(service.review_queue({"status": "all"}, STAFF)["documents"]) == 3
    with pytest.raises(ValidationFailed):
        service.review_queue({"status": "lost"}, STAFF)


# --- orphans ------------------------------------------------------------------------------------

def age(storage, key: str, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(storage.root / key, (then, then))


def test_the_orphan_sweeper_removes_stale_staged_files_and_objects_without_a_row(documents, storage):
    service, _, _ = documents
    kept_document = upload(service, storage, uuid.uuid4())["document"]
    kept_key = f"documents/{kept_document['person_id']}/{kept_document['id']}"
    age(storage, kept_key, 5)
    stale_staged = stage(storage, b"abandoned")
    age(storage, stale_staged, 2)
    fresh_staged = stage(storage, b"being uploaded right now")
    orphan = f"documents/{uuid.uuid4()}/{uuid.uuid4()}"
    storage.put(orphan, b"lost", "application/pdf")
    age(storage, orphan, 3)
    fresh_orphan = f"documents/{uuid.uuid4()}/{uuid.uuid4()}"  # perhaps being adopted right now
    storage.put(fresh_orphan, b"new", "application/pdf")

    assert service.sweep_orphans() == {"as_of": None, "expired": 0, "removed": 2}
    assert keys(storage) == sorted([kept_key, fresh_staged, fresh_orphan])
    assert service.sweep_orphans()["removed"] == 0
