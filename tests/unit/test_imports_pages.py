"""The staff import pages (gateway.pages.imports): the upload form, a running import's page
that refreshes itself, the report, a refused header shown at once, and the templates."""
from __future__ import annotations

import io
import uuid

import pytest

STAFF = {"account_id": str(uuid.uuid4()), "person_id": None, "roles": ["staff_admin"], "display_name": "Admin"}


def log_in(client, fake_rpc):
    with client.session_transaction() as session:
        session["token"] = "page-token"
    fake_rpc.answer("accounts", "authenticate", STAFF)


def job(**overrides):
    body = {"id": str(uuid.uuid4()), "kind": "people", "status": "running", "file_name": "people.csv",
            "send_invitations": True, "total": 1000, "done": 500, "created": 490, "updated": 0, "unchanged": 5,
            "rejected_count": 5, "rejected": [{"line": 7, "reason": "ssn: not a valid SSN"}], "warnings": [],
            "error": None, "created_at": None, "started_at": None, "finished_at": None, "rows_per_minute": 60000.0}
    body.update(overrides)
    return body


def test_the_import_page_lists_imports_and_refreshes_while_one_runs(client, fake_rpc, app):
    log_in(client, fake_rpc)
    fake_rpc.answer("accounts", "list_imports", [job()])
    page = client.get("/staff/imports")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'http-equiv="refresh"' in html and "500 / 1000" in html
    assert "/staff/imports/templates/people.csv" in html and "/staff/imports/samples/documents.csv" in html
    assert "disabled>documents" not in html and "not supported" not in html
    fake_rpc.answer("accounts", "list_imports", [job(status="done", done=1000)])
    assert 'http-equiv="refresh"' not in client.get("/staff/imports").get_data(as_text=True)


def test_an_import_report_shows_progress_and_rejections(client, fake_rpc):
    log_in(client, fake_rpc)
    running = job()
    fake_rpc.answer("accounts", "import_report", running)
    html = client.get(f"/staff/imports/{running['id']}").get_data(as_text=True)
    assert 'http-equiv="refresh"' in html and "ssn: not a valid SSN" in html and "60,000 rows a minute" in html


def test_a_file_lacking_a_column_is_refused_at_once_naming_it(client, fake_rpc):
    log_in(client, fake_rpc)
    fake_rpc.answer("accounts", "list_imports", [])
    upload = {"kind": "people", "file": (io.BytesIO(b"il_number,ssn\n1,2\n"), "p.csv")}
    page = client.post("/staff/imports", data=upload, content_type="multipart/form-data")
    assert page.status_code == 422 and "first_name" in page.get_data(as_text=True)
    assert ("accounts", "start_import") not in fake_rpc.methods_called()


def test_the_template_of_a_kind(client, fake_rpc):
    log_in(client, fake_rpc)
    response = client.get("/staff/imports/templates/work_days.csv")
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("il_number,classification_code")
    unknown = client.get("/api/v1/staff/imports/templates/nope.csv", headers={"Authorization": "Bearer page-token"})
    assert unknown.status_code == 404 and unknown.get_json()["message"] == "No such kind of import."


@pytest.mark.parametrize("path", ["/staff/imports/samples/{kind}.csv", "/api/v1/staff/imports/samples/{kind}.csv"])
def test_a_sample_of_each_kind_is_a_file_that_passes_the_upload_check(client, fake_rpc, path):
    from common.contracts.imports import KINDS, check_header

    log_in(client, fake_rpc)
    headers = {"Authorization": "Bearer page-token"} if path.startswith("/api") else {}
    for kind in KINDS:
        response = client.get(path.format(kind=kind), headers=headers)
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert f'filename="{kind}-sample.csv"' in response.headers["Content-Disposition"]
        lines = response.get_data(as_text=True).splitlines()
        assert check_header(kind, lines[0].split(",")) == [] and len(lines) == 3
    assert client.get(path.format(kind="nope"), headers=headers).status_code == 404
