"""The documents service's entrypoints on a real S3 endpoint (moto's server mode): an upload is
adopted with copy + remove, a download is a presigned link valid five minutes, and the orphan
sweeper lists the bucket."""
import hashlib
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
import sqlalchemy as sa
from documents.document_types import load_document_types
from documents.models import Document
from documents.service import DocumentsService
from nameko.testing.services import worker_factory

from common.storage import S3Storage
from tests.support.databases import memory_sessions

pytestmark = pytest.mark.s3
STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_reviewer"]}


@pytest.fixture
def s3(s3_endpoint):
    store = S3Storage(s3_endpoint, "test", "test", f"hub-docs-{uuid.uuid4().hex[:12]}")
    store.ensure_bucket()
    return store


@pytest.fixture
def documents(s3):
    with memory_sessions("documents")() as session:
        published = []
        yield worker_factory(DocumentsService, db=session, publish=published.append, storage=s3,
                             document_types=load_document_types()), session


def test_an_upload_on_s3_is_adopted_and_downloaded_through_a_five_minute_link(documents, s3):
    service, session = documents
    person_id = uuid.uuid4()
    data = b"%PDF-1.7\n" + b"certificate " * 1000
    key = f"incoming/{uuid.uuid4()}"
    stored = s3.put_stream(key, io.BytesIO(data), len(data), "application/pdf")
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    out = service.register_upload({"staging_key": key, "person_id": str(person_id), "document_type": "other",
                                   "file_name": "scan.pdf", "size": len(data), "content_type": "application/pdf",
                                   "sha256": stored.sha256}, STAFF)
    document_id = out["document"]["id"]
    assert [o.key for o in s3.list_objects("")] == [f"documents/{person_id}/{document_id}"]

    download = service.document_for_download(document_id, {"person_id": str(person_id),
                                                           "roles": ["industry_professional"]})
    assert "X-Amz-Expires=300" in download["presigned_url"]
    response = requests.get(download["presigned_url"], timeout=10)
    assert response.status_code == 200 and response.content == data
    assert b"".join(s3.open_stream(download["key"])) == data


def test_the_orphan_sweeper_on_s3_keeps_what_is_recent_or_has_a_row(documents, s3):
    service, session = documents
    s3.put("incoming/fresh-staged-1", b"x", "application/pdf")
    s3.put(f"documents/{uuid.uuid4()}/{uuid.uuid4()}", b"y", "application/pdf")
    assert service.sweep_orphans()["removed"] == 0  # everything is younger than an hour
    assert session.scalars(sa.select(Document)).all() == []

    from documents import orphans
    later = datetime.now(UTC) + timedelta(hours=2)
    assert len(orphans.orphan_keys(session, s3, later)) == 2
