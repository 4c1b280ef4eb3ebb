"""The documents API (the documents issue's contract table) through Flask's test client: the
gateway streams uploads into a real local-folder store, a fake documents service records them.
Every refusal answers with a plain message and leaves nothing behind."""
import hashlib
import io
import struct
import tracemalloc
import uuid

import pytest
from gateway.uploads import StagedUpload, sniff, store_upload

from common.errors import ServiceUnavailable
from common.storage import LocalFolderStorage
from tests.support.fake_gateway import PERSON_ID, FakeDocuments, make_app, make_principal

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256)) * 8
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 500
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 500
OTHER_PERSON = str(uuid.uuid4())
BEARER = {"Authorization": "Bearer api-token"}


def ftyp(brand: bytes, *compatible: bytes) -> bytes:
    body = b"ftyp" + brand + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", len(body) + 4) + body + b"\x00" * 200


@pytest.fixture
def storage(tmp_path):
    return LocalFolderStorage(tmp_path / "objects")


@pytest.fixture
def documents(fake_rpc, storage):
    return FakeDocuments(fake_rpc, people={PERSON_ID: {"il_number": "1234567890", "first_name": "Pat",
                                                       "last_name": "Grip"}}, storage=storage)


@pytest.fixture
def app(fake_rpc, storage):
    app = make_app(fake_rpc)
    app.extensions["hub_storage"] = storage
    return app


def as_person(fake_rpc, *roles, person_id=PERSON_ID):
    fake_rpc.answer("accounts", "authenticate", {**make_principal(*roles), "person_id": person_id})


def stored_keys(storage) -> list[str]:
    return sorted(obj.key for obj in storage.list_objects(""))


def upload(client, data: bytes, name="scan.pdf", document_type="dot_medical_certificate", mimetype=None, **form):
    return client.post("/api/v1/me/documents", headers=BEARER, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), name, mimetype or "application/pdf"),
                             "document_type": document_type, **form})


# --- types and listing ----------------------------------------------------------------------------

def test_anyone_may_read_the_document_types(client, documents):
    response = client.get("/api/v1/document-types")

    assert response.status_code == 200
    types = {t["code"]: t for t in response.get_json()["document_types"]}
    assert types["dot_medical_certificate"]["expires"] is True
    assert types["proof_of_employment"]["expires"] is False


def test_a_person_lists_their_own_documents(client, fake_rpc, documents):
    as_person(fake_rpc)
    documents.add(status="rejected", reason="Document is illegible")
    documents.add(OTHER_PERSON)

    response = client.get("/api/v1/me/documents", headers=BEARER)

    assert response.status_code == 200
    [doc] = response.get_json()["documents"]
    assert (doc["status"], doc["reason"], doc["person_id"]) == ("rejected", "Document is illegible", PERSON_ID)
    assert fake_rpc.calls[-1][1] == "list_documents" and fake_rpc.calls[-1][2][0] == PERSON_ID


def test_listing_documents_needs_a_token(client, documents):
    assert client.get("/api/v1/me/documents").status_code == 401


# --- uploading -------------------------------------------------------------------------------------

def test_an_upload_is_stored_and_registered_with_its_size_type_and_sha256(client, fake_rpc, documents, storage):
    as_person(fake_rpc)

    response = upload(client, PDF, name="scans/medical card.PDF", mimetype="text/plain",
                      classification_code="399-DRIVER-G3")

    assert response.status_code == 201, response.get_json()
    doc = response.get_json()
    assert doc["status"] == "pending_review" and doc["document_type"] == "dot_medical_certificate"
    [(_, _, (payload, actor))] = [c for c in fake_rpc.calls if c[1] == "register_upload"]
    assert payload["staging_key"].startswith("incoming/")
    assert payload == {**payload, "person_id": PERSON_ID, "file_name": "medical card.PDF", "size": len(PDF),
                       "content_type": "application/pdf",  # from the bytes, not the client's word
                       "sha256": hashlib.sha256(PDF).hexdigest(), "classification_code": "399-DRIVER-G3",
                       "source": "portal"}
    assert "industry_professional" in actor["roles"]
    # the service adopted the staged object: it is stored once, under its own key
    assert stored_keys(storage) == [f"documents/{payload['staging_key'].split('/')[1]}"]
    assert storage.get(stored_keys(storage)[0]) == PDF


@pytest.mark.parametrize("data, content_type", [
    (JPEG, "image/jpeg"), (PNG, "image/png"),
    (ftyp(b"heic", b"mif1", b"heic"), "image/heic"),
    (ftyp(b"mif1", b"heic"), "image/heic"),
    (ftyp(b"mif1", b"miaf"), "image/heif"),
])
def test_pictures_and_iphone_photos_are_accepted_by_their_content(client, fake_rpc, documents, data, content_type):
    as_person(fake_rpc)

    response = upload(client, data, name="photo.bin", mimetype="application/octet-stream")

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["content_type"] == content_type


def test_the_same_bytes_twice_answer_the_document_on_file_and_store_one_copy(client, fake_rpc, documents, storage):
    as_person(fake_rpc)
    first = upload(client, PDF)

    again = upload(client, PDF, name="same-again.pdf")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert len(stored_keys(storage)) == 1


@pytest.mark.parametrize("data, name, words", [
    (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 300, "medical.pdf", "a program"),   # a renamed executable
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 300, "medical.jpg", "a program"),
    (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "medical.pdf", "a web page"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "card.png", "SVG"),
    (b"PK\x03\x04\x14\x00\x00\x00" + b"\x00" * 300, "scans.pdf", "ZIP"),
    (ftyp(b"avif", b"mif1"), "photo.heic", ""),
    (b"just some words, not a document at all", "notes.pdf", "cannot tell"),
])
def test_a_file_that_is_not_a_pdf_or_picture_is_refused_by_its_content(client, fake_rpc, documents, storage,
                                                                       data, name, words):
    as_person(fake_rpc)

    response = upload(client, data, name=name)

    assert response.status_code == 415
    body = response.get_json()
    assert body["error"] == "unsupported_file_type"
    assert words in body["message"] and "Send a PDF, a JPEG or PNG picture" in body["message"]
    assert "register_upload" not in [m for _, m in fake_rpc.methods_called()]
    assert stored_keys(storage) == []


def test_an_empty_file_is_refused(client, fake_rpc, documents, storage):
    as_person(fake_rpc)

    response = upload(client, b"")

    assert response.status_code == 422
    assert response.get_json()["message"].startswith("The file is empty.")
    assert stored_keys(storage) == []


def test_an_unknown_document_type_is_refused_and_the_staged_file_removed(client, fake_rpc, documents, storage):
    as_person(fake_rpc)

    response = upload(client, PDF, document_type="passport_photo")

    assert response.status_code == 422
    assert "Unknown document type" in response.get_json()["message"]
    assert [m for _, m in fake_rpc.methods_called()].count("register_upload") == 1
    assert stored_keys(storage) == []  # nothing left behind


def test_a_missing_document_type_is_refused_before_anything_is_stored(client, fake_rpc, documents, storage):
    as_person(fake_rpc)

    response = upload(client, PDF, document_type="")

    assert response.status_code == 422
    assert response.get_json()["message"] == "Choose what kind of document this is."
    assert stored_keys(storage) == []


def test_no_file_is_refused(client, fake_rpc, documents):
    as_person(fake_rpc)

    response = client.post("/api/v1/me/documents", headers=BEARER, data={"document_type": "other"},
                           content_type="multipart/form-data")

    assert response.status_code == 422
    assert response.get_json()["message"] == "Choose a file to upload."


def test_when_the_documents_service_fails_the_staged_file_is_removed(client, fake_rpc, documents, storage):
    as_person(fake_rpc)
    fake_rpc.answer("documents", "register_upload", ServiceUnavailable("The documents service did not answer."))

    response = upload(client, PDF)

    assert response.status_code == 503
    assert stored_keys(storage) == []


class Untouchable(io.RawIOBase):
    """A request body that must not be read."""

    def readable(self):
        return True

    def readinto(self, buffer):
        raise AssertionError("the body was read")


def test_a_body_too_large_by_its_content_length_is_refused_before_it_is_read(client, fake_rpc, documents, storage):
    as_person(fake_rpc)

    response = client.post("/api/v1/me/documents", headers=BEARER,
                           content_type="multipart/form-data; boundary=xyz",
                           environ_overrides={"wsgi.input": Untouchable(),
                                              "CONTENT_LENGTH": str(30 * 1024 * 1024)})

    assert response.status_code == 413
    body = response.get_json()
    assert body["error"] == "too_large"
    assert body["message"].startswith("The file is larger than 20 MB, the most we accept.")
    assert stored_keys(storage) == []


def test_a_file_over_the_cap_inside_an_allowed_body_is_refused_and_not_kept(fake_rpc, storage):
    app = make_app(fake_rpc, HUB_UPLOAD_MAX_MB="0.05")  # 52,428 bytes
    app.extensions["hub_storage"] = storage
    FakeDocuments(fake_rpc, storage=storage)
    as_person(fake_rpc)

    response = upload(app.test_client(), PDF * 40)  # ~90 KB

    assert response.status_code == 413
    assert response.get_json()["message"].startswith("The file is larger than 51 KB, the most we accept.")
    assert stored_keys(storage) == []


class OneWay(io.RawIOBase):
    """A stream that cannot seek (a chunked request): its size is known only by reading it."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self._data.read(len(buffer))
        buffer[:len(chunk)] = chunk
        return len(chunk)


class FileLike:
    def __init__(self, data: bytes, filename="big.pdf"):
        self.stream, self.filename = OneWay(data), filename


def test_a_stream_of_unknown_length_is_stopped_at_the_cap_and_the_partial_object_removed(app, storage):
    from gateway.uploads import FileTooLarge

    with app.app_context(), pytest.raises(FileTooLarge):
        store_upload(FileLike(PDF * 100), max_bytes=10_000, storage=storage)

    assert stored_keys(storage) == []
    assert not list((storage.root).rglob("*.partial"))


def test_a_stream_of_unknown_length_under_the_cap_is_stored_whole(app, storage):
    with app.app_context():
        staged = store_upload(FileLike(PDF * 10, "scan.pdf"), max_bytes=1_000_000, storage=storage)

    assert isinstance(staged, StagedUpload)
    assert staged.size == len(PDF * 10) and staged.sha256 == hashlib.sha256(PDF * 10).hexdigest()
    assert storage.get(staged.staging_key) == PDF * 10


def test_the_gateway_memory_stays_flat_while_a_file_near_the_cap_streams_through(client, fake_rpc, documents,
                                                                                  storage, tmp_path):
    as_person(fake_rpc)
    size = 19 * 1024 * 1024
    big = tmp_path / "big.pdf"
    with open(big, "wb") as out:
        out.write(PDF)
        block = bytes(range(256)) * 4096  # 1 MiB
        while out.tell() < size:
            out.write(block[:size - out.tell()])

    with open(big, "rb") as source:
        tracemalloc.start()
        try:
            response = client.post("/api/v1/me/documents", headers=BEARER, content_type="multipart/form-data",
                                   data={"file": (source, "big.pdf", "application/pdf"),
                                         "document_type": "other"})
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["size"] == size
    assert peak < 4 * 1024 * 1024, f"the upload took {peak / 1048576:.1f} MiB of memory for a 19 MiB file"
    [key] = stored_keys(storage)
    assert storage.stat(key).size == size


def test_only_the_four_allowed_kinds_are_recognised():
    assert sniff(PDF) == "application/pdf"
    assert sniff(b"%PDF") is None  # too short to be a PDF header
    assert sniff(ftyp(b"isom", b"mp42")) is None  # a video shares the box, not the brands
    assert sniff(b"GIF89a" + b"\x00" * 100) is None


# --- downloading -----------------------------------------------------------------------------------

def test_the_owner_downloads_their_file_as_an_attachment_that_is_never_sniffed_or_cached(client, fake_rpc,
                                                                                         documents):
    as_person(fake_rpc)
    doc = upload(client, PDF, name="Médical card.pdf").get_json()

    response = client.get(f"/api/v1/me/documents/{doc['id']}/file", headers=BEARER)

    assert response.status_code == 200
    assert response.get_data() == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''M%C3%A9dical%20card.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert int(response.headers["Content-Length"]) == len(PDF)


def test_someone_elses_document_is_not_found(client, fake_rpc, documents):
    theirs = documents.add(OTHER_PERSON)
    as_person(fake_rpc)

    response = client.get(f"/api/v1/me/documents/{theirs['id']}/file", headers=BEARER)

    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_staff_may_download_anyones_document(client, fake_rpc, documents, storage):
    storage.put("documents/theirs", PDF, "application/pdf")
    theirs = documents.add(OTHER_PERSON, key="documents/theirs")
    as_person(fake_rpc, "staff_reviewer", person_id=None)

    response = client.get(f"/api/v1/me/documents/{theirs['id']}/file", headers=BEARER)

    assert response.status_code == 200 and response.get_data() == PDF


def test_on_s3_the_download_is_a_short_lived_link(client, fake_rpc, documents):
    as_person(fake_rpc)
    fake_rpc.answer("documents", "document_for_download", {
        "key": "documents/x", "file_name": "x.pdf", "content_type": "application/pdf", "size": 10,
        "presigned_url": "https://s3.example.com/hub/documents/x?X-Amz-Expires=300"})

    response = client.get(f"/api/v1/me/documents/{uuid.uuid4()}/file", headers=BEARER)

    assert response.status_code == 302
    assert response.headers["Location"].endswith("X-Amz-Expires=300")
    assert response.headers["Cache-Control"] == "no-store"


# --- the staff queue and review --------------------------------------------------------------------

def test_the_staff_queue_is_oldest_first_with_each_persons_name(client, fake_rpc, documents):
    older = documents.add(uploaded_at="2024-01-01T10:00:00+00:00")
    documents.add(uploaded_at="2024-02-01T10:00:00+00:00")
    as_person(fake_rpc, "staff_reviewer", person_id=None)

    response = client.get("/api/v1/staff/documents?status=pending_review&type=&local=%23399", headers=BEARER)

    assert response.status_code == 200
    queue = response.get_json()["documents"]
    assert [d["id"] for d in queue][0] == older["id"]
    assert (queue[0]["person_id"], queue[0]["il_number"], queue[0]["last_name"]) == (PERSON_ID, "1234567890", "Grip")
    filters = next(args for _, method, args in fake_rpc.calls if method == "review_queue")[0]
    assert filters == {"status": "pending_review", "type": None, "local": "399", "classification": None}


def test_the_queue_refuses_an_unknown_status(client, fake_rpc, documents):
    as_person(fake_rpc, "staff_reviewer", person_id=None)

    response = client.get("/api/v1/staff/documents?status=lost", headers=BEARER)

    assert response.status_code == 422


def test_only_staff_see_the_queue(client, fake_rpc, documents):
    as_person(fake_rpc)

    assert client.get("/api/v1/staff/documents", headers=BEARER).status_code == 403
    assert client.post(f"/api/v1/staff/documents/{uuid.uuid4()}/review", headers=BEARER,
                       json={"decision": "approve"}).status_code == 403


def test_staff_approve_with_dates(client, fake_rpc, documents):
    doc = documents.add()
    as_person(fake_rpc, "staff_reviewer", person_id=None)

    response = client.post(f"/api/v1/staff/documents/{doc['id']}/review", headers=BEARER,
                           json={"decision": "approve", "issued_on": "2024-01-02", "expires_on": "2026-01-01"})

    assert response.status_code == 200
    assert (response.get_json()["status"], response.get_json()["expires_on"]) == ("approved", "2026-01-01")
    _, payload, actor = documents.reviews[0]
    assert payload == {"decision": "approve", "reason": None, "issued_on": "2024-01-02", "expires_on": "2026-01-01"}
    assert actor["roles"] == ["staff_reviewer"]


def test_a_second_decision_on_the_same_document_is_a_conflict(client, fake_rpc, documents):
    doc = documents.add()
    as_person(fake_rpc, "staff_reviewer", person_id=None)
    client.post(f"/api/v1/staff/documents/{doc['id']}/review", headers=BEARER,
                json={"decision": "reject", "reason": "Name does not match"})

    response = client.post(f"/api/v1/staff/documents/{doc['id']}/review", headers=BEARER,
                           json={"decision": "approve", "expires_on": "2026-01-01"})

    assert response.status_code == 409
    assert response.get_json()["error"] == "conflict"


@pytest.mark.parametrize("body", [
    {"decision": "reject"},                                              # a rejection says why
    {"decision": "approve", "issued_on": "2025-01-01", "expires_on": "2024-01-01"},
    {"decision": "maybe"},
])
def test_a_review_that_does_not_make_sense_is_refused(client, fake_rpc, documents, body):
    doc = documents.add()
    as_person(fake_rpc, "staff_reviewer", person_id=None)

    response = client.post(f"/api/v1/staff/documents/{doc['id']}/review", headers=BEARER, json=body)

    assert response.status_code == 422
    assert documents.reviews == []


# --- work days with proof --------------------------------------------------------------------------

DAYS = {"days": [{"work_date": "2024-02-01", "classification_code": "80-GRIP", "employer": "Stage 5 Payroll"}]}


def test_work_days_with_someone_elses_proof_are_refused_as_not_found(client, fake_rpc, documents):
    theirs = documents.add(OTHER_PERSON, "proof_of_employment")
    as_person(fake_rpc)

    response = client.post("/api/v1/me/work-experience", headers=BEARER,
                           json={**DAYS, "proof_document_id": theirs["id"]})

    assert response.status_code == 404
    assert response.get_json()["message"] == "No such document."
    assert "submit_work_days" not in [m for _, m in fake_rpc.methods_called()]


def test_work_days_with_an_unknown_proof_are_refused_as_not_found(client, fake_rpc, documents):
    as_person(fake_rpc)

    response = client.post("/api/v1/me/work-experience", headers=BEARER,
                           json={**DAYS, "proof_document_id": str(uuid.uuid4())})

    assert response.status_code == 404
    assert response.get_json()["message"] == "No such document."


def test_work_days_with_their_own_proof_go_to_rosters(client, fake_rpc, documents):
    mine = documents.add(PERSON_ID, "proof_of_employment")
    as_person(fake_rpc)
    fake_rpc.answer("accounts", "person_card", {"person_id": PERSON_ID, "il_number": "1234567890",
                                                "first_name": "Pat", "last_name": "Grip"})
    fake_rpc.answer("rosters", "submit_work_days", lambda person_id, payload, actor, facts: {
        "recorded": 1, "duplicates": 0, "days": []})

    response = client.post("/api/v1/me/work-experience", headers=BEARER, json={**DAYS, "proof_document_id": mine["id"]})

    assert response.status_code == 201
    _, _, (person_id, payload, _, _) = next(c for c in fake_rpc.calls if c[1] == "submit_work_days")
    assert (person_id, payload["proof_document_id"]) == (PERSON_ID, mine["id"])


# --- the contract ----------------------------------------------------------------------------------

def test_every_documents_endpoint_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    assert set(paths["/api/v1/document-types"]) == {"get"}
    assert set(paths["/api/v1/me/documents"]) == {"get", "post"}
    assert "multipart/form-data" in paths["/api/v1/me/documents"]["post"]["requestBody"]["content"]
    assert {"201", "413", "415", "422"} <= set(paths["/api/v1/me/documents"]["post"]["responses"])
    assert "get" in paths["/api/v1/me/documents/{document_id}/file"]
    assert [p["name"] for p in paths["/api/v1/staff/documents"]["get"]["parameters"]][:4] == [
        "status", "type", "local", "classification"]
    assert "409" in paths["/api/v1/staff/documents/{document_id}/review"]["post"]["responses"]
