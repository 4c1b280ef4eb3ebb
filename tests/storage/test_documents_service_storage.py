"""The documents service started on S3: its bucket is made at start and health checks it."""
import uuid

import pytest
from documents.service import DocumentsService
from minio import Minio
from nameko.standalone.rpc import ClusterRpcProxy

pytestmark = [pytest.mark.s3, pytest.mark.broker]


def test_documents_service_on_s3_creates_its_bucket_and_reports_storage_ok(
        service_config, s3_endpoint, container_factory):
    bucket = f"hub-docs-{uuid.uuid4().hex[:12]}"
    s3 = Minio(s3_endpoint.split("://", 1)[1], access_key="test", secret_key="test", secure=False)
    assert not s3.bucket_exists(bucket)
    config = {**service_config, "HUB_S3_ENDPOINT": s3_endpoint, "HUB_S3_ACCESS_KEY": "test",
              "HUB_S3_SECRET_KEY": "test", "HUB_S3_BUCKET": bucket}
    container = container_factory(DocumentsService, config)
    container.start()

    with ClusterRpcProxy(service_config, timeout=10) as rpc:
        report = rpc.documents.health()

    assert report["service"] == "documents"
    assert report["status"] == "ok"
    assert report["storage"] == "ok"
    assert s3.bucket_exists(bucket)
