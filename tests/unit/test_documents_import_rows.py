"""Legacy import rows the documents service owns (documents.import_rows through the `import_rows`
RPC): papers on file, metadata only. People by IL number, each bad row rejected with its line, a
batch sent again changes nothing, decided papers count for the rosters like a staff review, and
a paper with no scan is listed everywhere but never downloaded (a clean 404, not a 500)."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from documents import orphans
from documents.document_types import load_document_types
from documents.import_rows import MAX_ROWS
from documents.models import Document
from documents.service import DocumentsService
from nameko.testing.services import worker_factory

from common.clock import now, today
from common.errors import Forbidden, NotFound, ValidationFailed
from common.events.accounts import PersonRegistered
from common.events.documents import DocumentExpired, DocumentReviewed
from common.storage import LocalFolderStorage
from tests.support.databases import memory_sessions
from tests.support.fake_gateway import PERSON_ID, make_principal
from tests.support.import_rows import numbered_rows, register_imported

TODAY = today()
STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_admin"]}
REVIEWER = {"account_id": str(uuid.uuid4()), "roles": ["staff_reviewer"]}
IL, OTHER_IL = "2000000001", "2000000002"
NO_SCAN = "No scan of this document was imported."


@pytest.fixture(scope="module")
def document_types():
    return load_document_types()


@pytest.fixture
def storage(tmp_path):
    return LocalFolderStorage(tmp_path / "objects")


@pytest.fixture
def documents(storage, document_types):
    """(service, session, published) over an in-memory database and a local-folder bucket."""
    with memory_sessions("documents")() as session:
        published = []
        service = worker_factory(DocumentsService, db=session, publish=published.append, storage=storage,
                                 document_types=document_types)
        yield service, session, published


def register(service, il_number=IL, person_id=None) -> uuid.UUID:
    return register_imported(service, il_number, person_id)


rows = numbered_rows


def paper(il=IL, **overrides):
    values = {"il_number": il, "document_type": "dot_medical_certificate", "status": "approved",
              "issued_on": (TODAY - timedelta(days=100)).isoformat(),
              "expires_on": (TODAY + timedelta(days=265)).isoformat(), "reason": ""}
    values.update(overrides)
    return values


def owner(person_id) -> dict:
    return {"account_id": str(uuid.uuid4()), "person_id": str(person_id), "roles": ["industry_professional"]}


def counts(out) -> tuple[int, int, int]:
    return out["created"], out["updated"], out["unchanged"]


def audit_actions(session) -> list[str]:
    entry = session.info["base"].AuditEntry
    return list(session.scalars(sa.select(entry.action).order_by(entry.id)))


# --- created, unchanged, updated ------------------------------------------------------------------

def test_papers_are_created_once_then_unchanged_then_updated(documents):
    service, session, published = documents
    person_id = register(service)
    batch = rows(paper(),
                 paper(document_type="cdl_class_a", status="rejected", reason="Name does not match"),
                 paper(document_type="forklift_certificate", status="pending_review", expires_on=""),
                 paper(document_type="color_vision_test", status="expired", issued_on="2019-05-01",
                       expires_on="2021-05-01"))

    out = service.import_rows("documents", batch, STAFF)

    assert counts(out) == (4, 0, 0) and out["rejected"] == [], out
    stored = {d.document_type: d for d in session.scalars(sa.select(Document))}
    medical = stored["dot_medical_certificate"]
    assert (medical.person_id, medical.status, medical.source) == (person_id, "approved", "import")
    assert (medical.object_key, medical.sha256, medical.content_type, medical.size) == (None, None, None, 0)
    assert medical.has_scan is False and medical.reviewed_by is None and medical.reviewed_at is not None
    assert medical.legacy_key == f"{person_id}/dot_medical_certificate/{medical.issued_on.isoformat()}"
    assert stored["cdl_class_a"].reason == "Name does not match"
    assert stored["forklift_certificate"].reviewed_at is None
    assert audit_actions(session).count("import.documents") == 1  # one entry per batch

    published.clear()
    again = service.import_rows("documents", batch, STAFF)
    assert counts(again) == (0, 0, 4) and published == []

    later = (TODAY + timedelta(days=600)).isoformat()
    changed = service.import_rows("documents", rows(paper(expires_on=later)), STAFF)
    assert counts(changed) == (0, 1, 0)
    session.refresh(medical)
    assert medical.expires_on.isoformat() == later
    assert [(type(e).__name__, e.expires_on.isoformat()) for e in published] == [("DocumentReviewed", later)]
    assert session.scalar(sa.select(sa.func.count()).select_from(Document)) == 4


def test_the_same_paper_twice_in_one_file_is_one_document(documents):
    service, session, _ = documents
    register(service)

    out = service.import_rows("documents", rows(paper(), paper()), STAFF)

    assert counts(out) == (1, 0, 1)
    assert session.scalar(sa.select(sa.func.count()).select_from(Document)) == 1


def test_a_paper_the_sweep_expired_is_unchanged_when_the_file_comes_again(documents, monkeypatch):
    service, session, published = documents
    register(service)
    batch = rows(paper(issued_on="2020-01-01", expires_on=(TODAY + timedelta(days=10)).isoformat()))
    service.import_rows("documents", batch, STAFF)
    later = TODAY + timedelta(days=11)
    monkeypatch.setattr("documents.service.today", lambda: later)
    service.sweep_expired()
    assert session.scalars(sa.select(Document.status)).one() == "expired"
    assert [type(e) for e in published][-1] is DocumentExpired

    # the file still says "approved": as of that day it is the same paper, not news
    published.clear()
    assert counts(service.import_rows("documents", batch, STAFF)) == (0, 0, 1)
    assert published == []


# --- rejections -----------------------------------------------------------------------------------

def test_each_bad_row_is_rejected_with_its_line_and_reason(documents):
    service, session, _ = documents
    register(service)
    batch = rows(paper(il="2999999999"),                                              # 2
                 paper(document_type="pilot_license"),                                # 3
                 paper(issued_on=(TODAY + timedelta(days=1)).isoformat()),            # 4
                 paper(expires_on=""),                                                # 5
                 paper(status="rejected", reason=""),                                 # 6
                 paper(status="lost"),                                                # 7
                 paper(issued_on="2024-02-30"),                                       # 8
                 paper(issued_on="2024-03-01", expires_on="2024-01-01"),              # 9
                 paper(status="rejected", reason="Name\u202edoes not match"),         # 10
                 paper(document_type="color_vision_test", expires_on=""))             # 11: fine

    out = service.import_rows("documents", batch, STAFF)

    assert counts(out) == (1, 0, 0)
    reasons = {r["line"]: r["reason"] for r in out["rejected"]}
    assert set(reasons) == set(range(2, 11)), reasons
    assert reasons[2] == "il_number: no person with this IL number (import the people file first)"
    assert reasons[3] == "document_type: unknown document type 'pilot_license'"
    assert reasons[4] == "issued_on: is in the future"
    assert reasons[5].startswith("expires_on: a DOT Medical Examiner's Certificate expires")
    assert reasons[6] == "reason: a rejected document needs the reason"
    assert reasons[7].startswith("status: ")
    assert reasons[8].startswith("issued_on: ")
    assert reasons[9] == "expires_on: is before issued_on"
    assert reasons[10].startswith("reason: ")
    assert session.scalars(sa.select(Document.document_type)).all() == ["color_vision_test"]


def test_only_staff_import_one_kind_in_batches_of_at_most_five_thousand(documents):
    service, session, _ = documents
    person_id = register(service)

    for actor in (owner(person_id), {"account_id": str(uuid.uuid4()), "roles": []}, None):
        with pytest.raises(Forbidden):
            service.import_rows("documents", rows(paper()), actor)
    with pytest.raises(ValidationFailed, match="does not import 'work_days'"):
        service.import_rows("work_days", rows(paper()), STAFF)
    with pytest.raises(ValidationFailed, match=str(MAX_ROWS)):
        service.import_rows("documents", rows(*[paper()] * (MAX_ROWS + 1)), STAFF)
    assert session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0
    # the rows (people's papers) are never written to the log
    assert "rows" in _sensitive_arguments(DocumentsService, "import_rows")


def _sensitive_arguments(service_cls, method: str) -> tuple:
    from nameko.rpc import Rpc

    entrypoint = next(e for e in getattr(service_cls, method).nameko_entrypoints if isinstance(e, Rpc))
    return tuple(entrypoint.sensitive_arguments)


# --- events: decided papers count like a staff review ----------------------------------------------

def test_approved_and_rejected_papers_are_announced_as_reviewed_and_the_rosters_count_them(documents, rosters):
    service, session, published = documents
    person_id = register(service)
    issued, expires = TODAY - timedelta(days=100), TODAY + timedelta(days=265)
    batch = rows(paper(issued_on=issued.isoformat(), expires_on=expires.isoformat()),
                 paper(document_type="cdl_class_a", status="rejected", reason="Name does not match"),
                 paper(document_type="forklift_certificate", status="pending_review"),
                 paper(document_type="color_vision_test", status="expired", expires_on="2021-05-01"))

    service.import_rows("documents", batch, STAFF)

    reviewed = [e for e in published if isinstance(e, DocumentReviewed)]
    assert len(published) == len(reviewed) == 2  # nothing for the pending or the expired paper
    approved, rejected = sorted(reviewed, key=lambda e: e.decision)
    by_type = {d.document_type: d for d in session.scalars(sa.select(Document))}
    assert approved.document_id == by_type["dot_medical_certificate"].id and approved.person_id == person_id
    assert (approved.issued_on, approved.expires_on, approved.reviewed_on) == (issued, expires, TODAY)
    assert approved.reviewed_at is not None and approved.document_label == "DOT Medical Examiner's Certificate"
    assert approved.imported and rejected.imported  # history, not news: no message to the person
    assert (rejected.document_type, rejected.reason) == ("cdl_class_a", "Name does not match")

    # the rosters take it exactly as they take a staff review
    from rosters.models import DocumentFact

    rosters_service, rosters_session, _ = rosters
    rosters_service.handle_person_registered(PersonRegistered(
        person_id=person_id, il_number=IL, first_name="Ana", last_name="Mator", origin="import",
        has_account=False).model_dump(mode="json"))
    for event in reviewed:
        rosters_service.handle_document_reviewed(event.model_dump(mode="json"))
    facts = {f.document_type: f for f in rosters_session.scalars(sa.select(DocumentFact))}
    assert (facts["dot_medical_certificate"].status, facts["dot_medical_certificate"].approved_on,
            facts["dot_medical_certificate"].expires_on) == ("approved", issued, expires)
    assert facts["cdl_class_a"].status == "rejected"


def test_a_paper_approved_then_imported_as_expired_tells_the_rosters_it_no_longer_counts(documents):
    service, _, published = documents
    register(service)
    service.import_rows("documents", rows(paper()), STAFF)
    published.clear()

    out = service.import_rows("documents", rows(paper(status="expired")), STAFF)

    assert counts(out) == (0, 1, 0)
    assert [type(e) for e in published] == [DocumentExpired] and published[0].expired_on == TODAY


def test_a_paper_long_expired_when_imported_is_not_announced_again_by_the_sweep(documents):
    service, session, published = documents
    register(service)
    service.import_rows("documents", rows(paper(issued_on="2018-01-01", expires_on="2020-01-01")), STAFF)
    published.clear()

    assert service.sweep_expired()["expired"] == 0 and published == []
    document = session.scalars(sa.select(Document)).one()
    assert service.list_documents(str(document.person_id), REVIEWER)["documents"][0]["status"] == "expired"


# --- no scan: listed, never downloaded ------------------------------------------------------------

def test_a_paper_on_file_is_listed_without_a_file_and_a_download_is_a_clean_not_found(documents):
    service, session, _ = documents
    person_id = register(service)
    stranger = register(service, OTHER_IL)
    service.import_rows("documents", rows(paper()), STAFF)
    document = session.scalars(sa.select(Document)).one()

    listed = service.list_documents(str(person_id), owner(person_id))["documents"]
    assert len(listed) == 1
    shown = listed[0]
    assert (shown["status"], shown["has_scan"], shown["source"], shown["content_type"]) == (
        "approved", False, "import", None)
    assert shown["issued_on"] == document.issued_on.isoformat()
    assert shown["expires_on"] == document.expires_on.isoformat()
    assert service.get_document(str(document.id), REVIEWER)["has_scan"] is False

    for viewer in (owner(person_id), REVIEWER):
        with pytest.raises(NotFound, match=NO_SCAN):
            service.document_for_download(str(document.id), viewer)
    with pytest.raises(NotFound, match="No such document"):  # someone else's: as if missing
        service.document_for_download(str(document.id), owner(stranger))


def test_the_orphan_sweep_leaves_papers_on_file_and_their_neighbours_alone(documents, storage):
    service, session, _ = documents
    register(service)
    service.import_rows("documents", rows(paper()), STAFF)
    storage.put("documents/someone/gone", b"%PDF-1.7\n", "application/pdf")  # no row claims it

    found = orphans.orphan_keys(session, storage, now() + timedelta(hours=2))

    assert found == ["documents/someone/gone"]
    assert session.scalar(sa.select(sa.func.count()).select_from(Document)) == 1


def test_the_review_queue_leaves_out_papers_decided_before_the_hub(documents):
    service, session, _ = documents
    register(service)
    batch = rows(paper(), paper(document_type="cdl_class_a", status="rejected", reason="Expired"),
                 paper(document_type="forklift_certificate", status="pending_review", expires_on=""))
    service.import_rows("documents", batch, STAFF)

    for status in ("all", "approved", "rejected"):
        queued = service.review_queue({"status": status}, REVIEWER)["documents"]
        assert [d["document_type"] for d in queued] == (["forklift_certificate"] if status == "all" else [])
    waiting = service.review_queue({}, REVIEWER)["documents"]
    assert [(d["document_type"], d["has_scan"], d["il_number"]) for d in waiting] == [
        ("forklift_certificate", False, IL)]

    # staff decide it from the paper in the cabinet; it is then theirs, not the file's
    expires = (TODAY + timedelta(days=300)).isoformat()
    service.review_document(waiting[0]["id"], {"decision": "approve", "expires_on": expires}, REVIEWER)
    assert [d["document_type"] for d in service.review_queue({"status": "approved"}, REVIEWER)["documents"]] == [
        "forklift_certificate"]
    again = service.import_rows("documents", batch, STAFF)
    assert counts(again) == (0, 0, 2)
    assert [r["line"] for r in again["rejected"]] == [4]
    assert again["rejected"][0]["reason"].startswith("status: staff have reviewed this document in the Hub")


# --- the pages: My Documents and the review queue, over the real service ---------------------------

@pytest.fixture
def wired(documents, fake_rpc, app, storage):
    """The gateway's documents RPCs answered by the real service worker."""
    service, session, published = documents
    app.extensions["hub_storage"] = storage
    for method in ("list_document_types", "list_documents", "get_document", "document_for_download",
                   "review_queue", "review_document"):
        fake_rpc.answer("documents", method, getattr(service, method))
    return service, session


def log_in(client, fake_rpc, *roles, person_id=PERSON_ID):
    with client.session_transaction() as session:
        session["token"] = "page-token"
    fake_rpc.answer("accounts", "authenticate", {**make_principal(*roles), "person_id": person_id})


def test_my_documents_shows_a_paper_on_file_with_no_link_and_its_file_is_a_404(client, fake_rpc, wired):
    service, session = wired
    register(service, person_id=PERSON_ID)
    service.import_rows("documents", rows(paper()), STAFF)
    document = session.scalars(sa.select(Document)).one()
    log_in(client, fake_rpc)

    page = client.get("/portal/documents")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "On file at Contract Services (no scan)" in html and 'data-status="approved"' in html
    assert f"Issued {document.issued_on:%m/%d/%Y}" in html
    assert f"/portal/documents/{document.id}/file" not in html and "On file (legacy)" not in html
    download = client.get(f"/portal/documents/{document.id}/file")
    assert download.status_code == 404 and NO_SCAN in download.get_data(as_text=True)


def test_the_review_queue_shows_an_imported_paper_without_preview_or_download(client, fake_rpc, wired):
    service, session = wired
    register(service, person_id=PERSON_ID)
    service.import_rows("documents", rows(paper(status="pending_review", expires_on="")), STAFF)
    document = session.scalars(sa.select(Document)).one()
    log_in(client, fake_rpc, "staff_reviewer", person_id=None)

    page = client.get("/staff/documents")

    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="queued-document"' in html
    assert "On file at Contract Services (no scan)" in html and 'data-testid="no-preview"' in html
    assert f"/staff/documents/{document.id}/preview" not in html
    assert f"/staff/documents/{document.id}/file" not in html
    assert 'data-testid="approve-form"' in html
    for path in ("preview", "file"):
        answer = client.get(f"/staff/documents/{document.id}/{path}")
        assert answer.status_code == 404 and NO_SCAN in answer.get_data(as_text=True)
